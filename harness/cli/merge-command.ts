/**
 * `callreplay merge-reports DIR... --report-dir OUT`: merges the report folders of a sharded run
 * (`callreplay run --shard i/n`, each with its Playwright blob report in blob/) into one report
 * folder, written by the same reporters as a run: html/, results.json, junit.xml, summary.md. Then
 * prints the run's summary and exits as the whole run would have.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { packageRoot } from '../paths.js';
import { reportDirFiles } from '../report/reporters.js';
import { styleHtmlReport } from '../report/html-report-style.js';
import type { ResultsFile } from '../report/results-file.js';
import { EXIT } from './exit-codes.js';
import { runPlaywrightCli } from './playwright-child.js';
import { MERGE_DIR_ENV } from '../runner/merge-dir.js';
import { claimReportDir } from './report-dir.js';
import { UsageError } from './resolve-flows.js';
import { botRestarts, printSummary } from './run-summary.js';

export interface MergeArgs {
  /** report folders of `callreplay run --shard` */
  dirs: string[];
  reportDir: string;
}

export async function mergeCommand(args: MergeArgs): Promise<number> {
  const out = resolve(args.reportDir);
  const blobs = args.dirs.map((d) => blobsOf(resolve(d)));
  if (args.dirs.some((d) => resolve(d) === out)) throw new UsageError(`--report-dir ${out} is one of the folders to merge: give the merged report its own folder`);
  const release = claimReportDir(out);
  const staging = mkdtempSync(join(tmpdir(), 'callreplay-merge-'));
  try {
    // one folder of blobs for Playwright; names made unique, as every shard may call its blob the same
    blobs.flat().forEach((blob, i) => copyFileSync(blob, join(staging, `${String(i).padStart(3, '0')}-${blob.split(/[\\/]/).pop()}`)));
    const files = reportDirFiles(out);
    for (const f of [files.html, files.results, files.junit, files.summary]) rmSync(f, { recursive: true, force: true });
    const status = await mergeWithPlaywright(staging, out);
    styleHtmlReport(files.html);
    if (!existsSync(files.results)) {
      console.error(`callreplay: merging ended (status ${status}) without writing ${files.results}`);
      return EXIT.internal;
    }
    const results = JSON.parse(readFileSync(files.results, 'utf8')) as ResultsFile;
    const restarts = args.dirs.map((d) => botRestarts(resolve(d))).filter((l): l is string => l !== undefined).map((l) => l.replace('callreplay: the bot', 'callreplay: in one shard, the bot'));
    console.log(`callreplay: merged ${blobs.flat().length} shard report(s) from ${args.dirs.length} folder(s)`);
    return printSummary(results, { maxFailures: 0, html: relative(process.cwd(), join(files.html, 'index.html')), extraLines: restarts, summaryFile: files.summary }, status === 0 ? 0 : 1);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    release();
  }
}

/** The blob reports a shard left in DIR/blob; a folder without any is a usage error naming it. */
function blobsOf(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`merge-reports: ${dir} is not a folder`);
  const blobDir = reportDirFiles(dir).blob;
  const zips = existsSync(blobDir) ? readdirSync(blobDir).filter((f) => f.endsWith('.zip')) : [];
  if (zips.length === 0) {
    throw new UsageError(`merge-reports: ${dir} holds no shard report (${relative(process.cwd(), blobDir) || blobDir}/*.zip): make it with callreplay run --shard I/N --report-dir ${dir}`);
  }
  return zips.map((z) => join(blobDir, z));
}

function mergeWithPlaywright(blobDir: string, out: string): Promise<number> {
  const config = join(packageRoot, 'dist', 'harness', 'runner', 'merge.config.js');
  return runPlaywrightCli(['merge-reports', '--config', config, blobDir], { [MERGE_DIR_ENV]: out });
}
