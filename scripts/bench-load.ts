/**
 * Goal 4 of issue 9: `callreplay load` (docs/load.md) against the reference bot: 1,000 concurrent
 * P2P-transfer calls all pass, none misrouted, the harness under 300 MB RSS, and time(1,000) within
 * 12x time(100) (each run with as many calls in flight as it has calls). Reads each run's load.json.
 * Without a `load` command the rows say "not available yet" (not an error).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadReport } from '../harness/load/load-report.js';
import { packageRoot } from '../harness/paths.js';
import { errorRow, ratioRow, runChild, seconds, tailLines, withTempDir, type BenchResult, type BenchRow } from './bench-util.js';

export const LOAD_SCALING_GOAL = 12;
export const LOAD_RSS_GOAL_MB = 300;
const bin = join(packageRoot, 'bin', 'callreplay.js');

interface LoadRun {
  report: LoadReport;
  code: number | null;
  /** the whole process, ms (start-up of harness and bot included) */
  processMs: number;
}

/** Why `load` cannot be measured, or undefined when `callreplay load --help` shows it. */
async function unavailable(): Promise<string | undefined> {
  const help = await runChild(process.execPath, [bin, 'load', '--help'], { timeoutMs: 30_000, cwd: packageRoot });
  if (help.code === 0 && help.stdout.includes('--calls')) return undefined;
  const said = (help.stderr || help.stdout).trim().split('\n')[0] ?? '';
  return `callreplay load --help exited ${help.timedOut ? 'on timeout' : help.code}${said ? `: ${said.slice(0, 120)}` : ''}`;
}

async function runLoad(calls: number, timeoutMs: number): Promise<LoadRun> {
  return withTempDir('load', async (dir) => {
    const args = [bin, 'load', '--calls', String(calls), '--concurrency', String(calls), '--report-dir', dir];
    const run = await runChild(process.execPath, args, { timeoutMs, cwd: packageRoot });
    const what = `callreplay load --calls ${calls} --concurrency ${calls}`;
    if (run.timedOut) throw new Error(`${what} did not finish within ${seconds(timeoutMs)} (killed)\n${tailLines(run.stdout + run.stderr)}`);
    if (run.leftovers.length > 0) console.error(`bench: ${what} left processes behind (killed): ${run.leftovers.join(', ')}`);
    try {
      return { report: JSON.parse(readFileSync(join(dir, 'load.json'), 'utf8')) as LoadReport, code: run.code, processMs: run.ms };
    } catch (e) {
      throw new Error(`${what} (exit ${run.code}) wrote no readable load.json: ${(e as Error).message}\n${tailLines(run.stdout + run.stderr)}`);
    }
  });
}

const describe = (r: LoadRun) => {
  const a = r.report.ackLatencyMs;
  const kinds = Object.entries(r.report.failuresByKind ?? {}).map(([k, n]) => `${k} x${n}`).join(', ');
  return (
    `${r.report.calls} calls: exit ${r.code}, ${r.report.passed} passed, ${r.report.failed} failed${kinds ? ` (${kinds})` : ''}, ${r.report.misrouted} misrouted, ` +
    `load ${seconds(r.report.wallMs)} (${r.report.callsPerSecond} calls/s) of a ${seconds(r.processMs)} process, ack p50/p95/p99 ${a.p50}/${a.p95}/${a.p99} ms, ` +
    `peak RSS harness ${r.report.harnessPeakRssMb} MB, bot ${r.report.botPeakRssMb ?? '?'} MB`
  );
};

export async function benchLoad(quick: boolean): Promise<BenchResult> {
  const [small, large] = quick ? [20, 200] : [100, 1000];
  const why = await unavailable();
  if (why) {
    const row: BenchRow = { goal: '4 load', measured: `load: not available yet (${why})`, limit: '', verdict: 'N/A' };
    return { rows: [row], raw: [`4 load: not available yet (${why})`] };
  }
  const s = await runLoad(small, 180_000);
  const l = await runLoad(large, 600_000);
  const L = l.report;
  const ratio = L.wallMs / s.report.wallMs;
  const rows: BenchRow[] = [
    { goal: `4a load ${large} calls all pass`, measured: `${L.passed} of ${L.calls} passed`, ratioText: `${L.passed}/${L.calls}`, limit: 'all', verdict: L.calls === large && L.passed === large ? 'PASS' : 'MISS' },
    { goal: '4b load misrouted', measured: `${L.misrouted} misrouted of ${L.calls} calls`, ratioText: String(L.misrouted), limit: '0', verdict: L.misrouted === 0 ? 'PASS' : 'MISS' },
    {
      goal: '4c load harness RSS',
      measured: `harness peak ${L.harnessPeakRssMb} MB at ${large} calls`,
      ratioText: `${L.harnessPeakRssMb} MB`,
      limit: `< ${LOAD_RSS_GOAL_MB} MB`,
      verdict: L.harnessPeakRssMb < LOAD_RSS_GOAL_MB ? 'PASS' : 'MISS',
    },
    ratioRow(`4d load time(${large}) vs time(${small})`, `${seconds(L.wallMs)} vs ${seconds(s.report.wallMs)} (load.json wallMs)`, ratio, LOAD_SCALING_GOAL),
  ];
  if (L.calls !== large) rows[0] = errorRow(rows[0]!.goal, `load.json says ${L.calls} calls, ${large} were asked for`);
  return {
    rows,
    raw: [
      `4 load (${L.flow ?? 'default flow'}, every call in flight at once):`,
      `    ${describe(s)}`,
      `    ${describe(l)}`,
      `    per call: ${(s.report.wallMs / small).toFixed(1)} ms at ${small}, ${(L.wallMs / large).toFixed(1)} ms at ${large}; ` +
        `process start-up and shut-down outside the load: ${seconds(s.processMs - s.report.wallMs)}, ${seconds(l.processMs - L.wallMs)}`,
    ],
  };
}
