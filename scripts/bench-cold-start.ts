/**
 * Cold start of the command line: the median wall time of `node -e 0`, `callreplay --help` and
 * `callreplay list`, each a fresh child process, interleaved so that a busy machine slows all of them
 * alike. The goal is each command within 2x a bare `node -e 0`.
 *
 *   node dist/scripts/bench-cold-start.js [--runs 15]
 *
 * One untimed run of each comes first (it fills the file cache and list's summary cache).
 * benchColdStart() returns the rows for other benches.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../harness/paths.js';

export interface ColdStartRow {
  name: string;
  /** median wall time, ms */
  ms: number;
  /** ms / the median of `node -e 0` */
  ratio: number;
  /** the most `ratio` may be */
  goal: number;
}

const GOAL = 2;
const bin = join(packageRoot, 'bin', 'callreplay.js');
const COMMANDS: ReadonlyArray<{ name: string; args: string[] }> = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'callreplay --help', args: [bin, '--help'] },
  { name: 'callreplay list', args: [bin, 'list'] },
];

function timeOnce(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: packageRoot, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians of `runs` interleaved runs of each command, with their ratio to `node -e 0`. */
export async function benchColdStart(runs = 15): Promise<ColdStartRow[]> {
  for (const c of COMMANDS) await timeOnce(c.args); // warm-up, not counted
  const times: number[][] = COMMANDS.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, c] of COMMANDS.entries()) times[j]!.push(await timeOnce(c.args));
  }
  const base = median(times[0]!);
  return COMMANDS.map((c, j) => {
    const ms = median(times[j]!);
    return { name: c.name, ms, ratio: ms / base, goal: c.name === 'node -e 0' ? 1 : GOAL };
  });
}

export function formatColdStart(rows: readonly ColdStartRow[]): string {
  return rows
    .map((r) => {
      const verdict = r.goal === 1 ? '(baseline)' : `goal <= ${r.goal}x  ${r.ratio <= r.goal ? 'PASS' : 'MISS'}`;
      return `${r.name.padEnd(20)} ${r.ms.toFixed(1).padStart(7)} ms  ${r.ratio.toFixed(2).padStart(5)}x  ${verdict}`;
    })
    .join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--runs');
  const runs = at >= 0 ? Number(process.argv[at + 1]) : 15;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error('bench-cold-start: --runs must be a whole number >= 1');
    process.exit(2);
  }
  console.log(`cold start, median of ${runs} interleaved runs each (node ${process.version}):`);
  console.log(formatColdStart(await benchColdStart(runs)));
}
