/**
 * Goal 1 of issue 9: a default `callreplay run` against the reference bot within 5x Playwright's own
 * floor: `playwright test` on a generated spec of as many empty tests, with the same reporters (list,
 * html, junit, results-reporter) and the same worker count. Also the run helper the failing-bot
 * bench (bench-failing.ts) shares.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ResultsFile } from '../harness/report/results-reporter.js';
import { packageRoot } from '../harness/paths.js';
import { runReporters } from '../harness/report/reporters.js';
import { AUTH_CHECK_MODE, REFUSAL_MODE, VARIANT_MODE } from '../harness/runner/run-config.js';
import { DEFAULT_WORKERS } from '../harness/cli/run-command.js';
import { mean, ratioRow, runChild, seconds, tailLines, withTempDir, type BenchResult } from './bench-util.js';

export const SUITE_GOAL = 5;
const bin = join(packageRoot, 'bin', 'callreplay.js');
/** `--quick` runs the flows of one suite only (plus the run-wide refusal checks). */
export const QUICK_RUN_ARGS = ['--suite', 'answer'];

export interface CallreplayRun {
  /** wall time of the whole `callreplay run` process, ms */
  ms: number;
  code: number | null;
  results: ResultsFile;
  /** Playwright's "Running N tests using W workers" */
  listedTests?: number;
  workers?: number;
  stdout: string;
}

/** Runs `callreplay run` (default flows and bot unless `extra` says otherwise) in a temporary report folder. */
export async function runCallreplay(extra: string[], timeoutMs: number): Promise<CallreplayRun> {
  return withTempDir('run', async (dir) => {
    const run = await runChild(process.execPath, [bin, 'run', '--report-dir', dir, ...extra], { timeoutMs, cwd: packageRoot });
    const what = `callreplay run ${extra.join(' ')}`.trim();
    if (run.timedOut) throw new Error(`${what} did not finish within ${seconds(timeoutMs)} (killed)\n${tailLines(run.stdout + run.stderr)}`);
    if (run.leftovers.length > 0) console.error(`bench: ${what} left processes behind (killed): ${run.leftovers.join(', ')}`);
    let results: ResultsFile;
    try {
      results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;
    } catch (e) {
      throw new Error(`${what} (exit ${run.code}) wrote no readable results.json: ${(e as Error).message}\n${tailLines(run.stdout + run.stderr)}`);
    }
    const running = /Running (\d+) tests? using (\d+) workers?/.exec(run.stdout);
    return { ms: run.ms, code: run.code, results, listedTests: num(running?.[1]), workers: num(running?.[2]), stdout: run.stdout };
  });
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));

/** The flow tests (not variants, auth checks or refusal checks) that ran. */
export function baseFlows(results: ResultsFile): ResultsFile['flows'] {
  return results.flows.filter((f) => f.notRun === undefined && !f.runWide && f.mode !== AUTH_CHECK_MODE && f.mode !== VARIANT_MODE && f.mode !== REFUSAL_MODE);
}

/** Where a run's time went: start-up outside Playwright's run, test time per worker, the slowest tests. */
export function timeBreakdown(run: CallreplayRun, workers: number): string[] {
  const tests = run.results.flows;
  const ran = tests.filter((t) => t.notRun === undefined);
  const busy = ran.reduce((a, t) => a + t.durationMs, 0);
  const byMode = new Map<string, { n: number; ms: number }>();
  for (const t of ran) {
    const mode = t.mode === VARIANT_MODE || t.mode === AUTH_CHECK_MODE || t.mode === REFUSAL_MODE ? t.mode : 'flow';
    const m = byMode.get(mode) ?? { n: 0, ms: 0 };
    byMode.set(mode, { n: m.n + 1, ms: m.ms + t.durationMs });
  }
  const slow = [...ran].sort((a, b) => b.durationMs - a.durationMs).slice(0, 3);
  return [
    `process ${seconds(run.ms)} = Playwright's run ${seconds(run.results.durationMs)} (results.json durationMs) + ${seconds(run.ms - run.results.durationMs)} outside it (CLI, flow validation, Playwright start, report writing)`,
    `${ran.length} of ${tests.length} tests ran (${tests.length - ran.length} skipped as not run); test bodies sum to ${seconds(busy)}, ${seconds(busy / workers)} per worker of ${workers}: ` +
      `the other ${seconds(Math.max(0, run.results.durationMs - busy / workers))} of Playwright's run is global setup (harness + bot), worker start-ups and scheduling`,
    `by kind: ${[...byMode].map(([k, v]) => `${k} ${v.n} tests ${seconds(v.ms)} (mean ${(v.ms / v.n).toFixed(0)} ms)`).join(', ')}`,
    `slowest: ${slow.map((t) => `${t.mode === REFUSAL_MODE ? t.title.slice(0, 40) : t.flow}${t.variant ? `~${t.variant}` : ''}${t.mode === AUTH_CHECK_MODE ? ' (auth)' : ''} ${t.durationMs} ms`).join(', ')}`,
  ];
}

/** `playwright test` on `tests` empty tests, with the run's reporters and `workers`; returns the wall time (ms). */
export async function runFloor(tests: number, workers: number, timeoutMs: number): Promise<number> {
  const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
  return withTempDir('floor', async (dir) => {
    symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'), 'dir'); // @playwright/test for the spec
    mkdirSync(join(dir, 'tests'));
    writeFileSync(
      join(dir, 'tests', 'empty.spec.ts'),
      `import { test } from '@playwright/test';\ntest.describe.configure({ mode: 'parallel' });\nfor (let i = 0; i < ${tests}; i++) test(\`empty \${i}\`, () => {});\n`,
    );
    // the run's own reporters (harness/report/reporters.ts), writing into out/
    const reporters = runReporters(join(dir, 'out'));
    writeFileSync(
      join(dir, 'playwright.config.mjs'),
      `export default {
  testDir: ${JSON.stringify(join(dir, 'tests'))},
  workers: ${workers},
  retries: 0,
  outputDir: ${JSON.stringify(join(dir, 'out', 'test-output'))},
  reporter: ${JSON.stringify(reporters)},
};
`,
    );
    const run = await runChild(process.execPath, [cli, 'test', '--config', join(dir, 'playwright.config.mjs')], {
      timeoutMs,
      cwd: dir,
      env: { PLAYWRIGHT_HTML_OPEN: 'never', FORCE_COLOR: '0' },
    });
    if (run.timedOut) throw new Error(`the Playwright floor did not finish within ${seconds(timeoutMs)} (killed)`);
    // the floor's own results.json (the run's reporters wrote it) says how many passed
    const resultsFile = join(dir, 'out', 'results.json');
    const passed = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as ResultsFile).summary.tests.passed : undefined;
    if (run.code !== 0 || passed !== tests) {
      throw new Error(`the Playwright floor exited ${run.code} with ${passed ?? 'no'} test(s) passed (expected ${tests})\n${tailLines(run.stdout + run.stderr)}`);
    }
    return run.ms;
  });
}

/** Goal 1, from the passing runs (made by the caller, shared with goal 2) and the floor runs. */
export function suiteResult(passing: CallreplayRun[], floorMs: number[], tests: number, workers: number, quick: boolean): BenchResult {
  const run = mean(passing.map((p) => p.ms));
  const floor = mean(floorMs);
  const ratio = run / floor;
  return {
    rows: [ratioRow('1 suite vs Playwright floor', `run ${seconds(run)} vs floor ${seconds(floor)} (${tests} tests, ${workers} workers)`, ratio, SUITE_GOAL)],
    raw: [
      `1 suite: callreplay run${quick ? ` ${QUICK_RUN_ARGS.join(' ')}` : ''} (reference bot): ${passing.map((p) => seconds(p.ms)).join(', ')} (exit ${passing.map((p) => p.code).join(', ')}); ` +
        `floor (playwright test, ${tests} empty tests, the run's reporters, ${workers} workers): ${floorMs.map(seconds).join(', ')}`,
      ...timeBreakdown(passing[0]!, workers).map((l) => `    ${l}`),
    ],
  };
}

/** The test count and worker count to use for the floor: what the run itself reported. */
export function floorShape(run: CallreplayRun): { tests: number; workers: number } {
  const tests = run.results.flows.length;
  if (run.listedTests !== undefined && run.listedTests !== tests) {
    console.error(`bench: Playwright listed ${run.listedTests} tests, results.json has ${tests}; the floor uses results.json's`);
  }
  return { tests, workers: run.workers ?? Math.min(DEFAULT_WORKERS, tests) };
}
