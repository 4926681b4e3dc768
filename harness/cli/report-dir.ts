/**
 * The report folder of a run: made writable before anything starts (a folder that cannot be
 * written is a usage error in well under a second, not a hang at the end), and held by one run at
 * a time (a second run on the same folder would silently replace the first one's results).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './resolve-flows.js';

const LOCK_FILE = '.callreplay-run.lock';

/** Makes `dir` and takes it for this process; returns the release function. Throws UsageError naming the folder. */
export function claimReportDir(dir: string): () => void {
  try {
    makeDirs(dir);
  } catch (e) {
    throw new UsageError(`--report-dir ${dir} cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const lock = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new UsageError(`--report-dir ${dir} cannot be written (${code ?? (e as Error).message})`);
      const holder = Number(readFileSafe(lock));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new UsageError(`--report-dir ${dir} is in use by another callreplay run (pid ${holder}); give this run its own --report-dir`);
      }
      rmSync(lock, { force: true }); // left by a run that is gone: take it over
    }
  }
  throw new UsageError(`--report-dir ${dir}: could not take ${LOCK_FILE}`);
}

/**
 * mkdir -p one level at a time: Node's recursive mkdirSync spins forever on some paths it cannot
 * create (e.g. below /proc), where a plain mkdir fails at once.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d);
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
