/**
 * The result of `callreplay load`: load.json (exactly the fields of LoadReport) and the console
 * summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFinding } from '../engine/findings.js';
import { percentile, type LoadOutcome } from './load-runner.js';

/** load.json. Durations in ms, memory in MB (1024 * 1024 bytes). */
export interface LoadReport {
  flow: string;
  /** calls run */
  calls: number;
  passed: number;
  failed: number;
  /** requests judged by a call they do not belong to, plus strays (harness/load/misrouted.ts) */
  misrouted: number;
  wallMs: number;
  callsPerSecond: number;
  /** the bot's acknowledgement latency of notifications; null without any notification */
  ackLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  /** the harness process's peak RSS */
  harnessPeakRssMb: number;
  /** VmHWM of the bot's main process; null for a bot started by hand */
  botPeakRssMb: number | null;
  /** failed calls by the kind of the finding that failed each, e.g. {"missing": 3} */
  failuresByKind: Record<string, number>;
}

export function toReport(flow: string, outcome: LoadOutcome, harnessPeakRssMb: number, botPeakRssMb: number | undefined): LoadReport {
  const ms = (p: number) => {
    const v = percentile(outcome.ackLatenciesMs, p);
    return v === undefined ? null : round(v, 2);
  };
  return {
    flow,
    calls: outcome.calls,
    passed: outcome.passed,
    failed: outcome.failed,
    misrouted: outcome.misrouted,
    wallMs: Math.round(outcome.wallMs),
    callsPerSecond: outcome.wallMs > 0 ? round(outcome.calls / (outcome.wallMs / 1000), 1) : 0,
    ackLatencyMs: { p50: ms(50), p95: ms(95), p99: ms(99) },
    harnessPeakRssMb,
    botPeakRssMb: botPeakRssMb ?? null,
    failuresByKind: { ...outcome.failuresByKind } as Record<string, number>,
  };
}

/** Writes `<dir>/load.json`; returns its path. */
export function writeReport(dir: string, report: LoadReport): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'load.json');
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  return path;
}

/** The console summary, e.g. "1000 of 1000 calls passed in 8.4 s (118.9 calls/s)". */
export function formatSummary(report: LoadReport, outcome: LoadOutcome, reportPath: string): string {
  const ack = report.ackLatencyMs;
  const kinds = Object.entries(report.failuresByKind).map(([k, n]) => `${k}: ${n}`);
  const lines = [
    `${report.passed} of ${report.calls} call(s) of ${report.flow} passed in ${(report.wallMs / 1000).toFixed(2)} s (${report.callsPerSecond} calls/s)${outcome.aborted ? ' (interrupted)' : ''}`,
    `  ack latency: p50 ${ack.p50 ?? '-'} ms, p95 ${ack.p95 ?? '-'} ms, p99 ${ack.p99 ?? '-'} ms`,
    `  failures: ${kinds.length ? kinds.join(', ') : 'none'}`,
    `  misrouted requests: ${report.misrouted}`,
    `  peak RSS: harness ${report.harnessPeakRssMb} MB, bot ${report.botPeakRssMb === null ? 'unknown (started by hand)' : `${report.botPeakRssMb} MB`}`,
  ];
  for (const example of outcome.examples) {
    lines.push(`  ✘ call ${example.index + 1}: ${formatFinding(example.finding).split('\n').slice(0, 4).join('\n      ')}`);
  }
  lines.push(`  report: ${reportPath}`);
  return lines.join('\n');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
