/**
 * Shared by the bench scripts (scripts/bench.ts and its measurements): child processes with a
 * timeout that kills their whole process group, a sweep for processes a measurement left behind,
 * temporary folders, medians and the result row every measurement returns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One line of the bench table: one goal of issue 9. */
export interface BenchRow {
  /** e.g. "1 suite vs floor" */
  goal: string;
  /** the measured values, e.g. "35.8 s vs 7.2 s" */
  measured: string;
  /** the measured ratio (or value) compared with `limit` */
  ratio?: number;
  /** how the ratio is printed, e.g. "1.58x" (default `${ratio}x`) */
  ratioText?: string;
  /** e.g. "<= 5x" */
  limit: string;
  /** PASS/MISS: measured; N/A: could not run (not an error); ERROR: the measurement failed */
  verdict: 'PASS' | 'MISS' | 'N/A' | 'ERROR';
}

/** What one measurement hands back: its table rows and the raw numbers / notes printed below the table. */
export interface BenchResult {
  rows: BenchRow[];
  raw: string[];
}

/** Every child process of a bench run carries this in its environment (so do its children): the leftover sweep looks for it. */
export const BENCH_TAG = `CALLREPLAY_BENCH_TAG=${randomUUID()}`;
const [TAG_NAME, TAG_VALUE] = BENCH_TAG.split('=') as [string, string];

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** wall time from spawn to exit, ms */
  ms: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** pids of tagged processes still alive after the child exited (killed by the sweep) */
  leftovers: number[];
}

export interface RunOptions {
  timeoutMs: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const active = new Set<ChildProcess>();
const KEEP = 256 * 1024;

/** Kills the process group of `child` (it was spawned detached: its own group). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}

/** Tagged processes (not this one) still alive: a measurement's leftovers. Killed with SIGKILL; returns their pids. */
export function sweepLeftovers(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (!environ.split('\0').includes(BENCH_TAG)) continue;
      process.kill(pid, 'SIGKILL');
      found.push(pid);
    } catch {
      // not ours, or gone
    }
  }
  return found;
}

/** Runs `command args` as its own process group, kills the group after `timeoutMs`, sweeps leftovers. */
export function runChild(command: string, args: string[], opts: RunOptions): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, [TAG_NAME]: TAG_VALUE },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    active.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-KEEP)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-KEEP)));
    let timedOut = false;
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      hardKill = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      active.delete(child);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      clearTimeout(hardKill);
      active.delete(child);
      killGroup(child, 'SIGKILL'); // members of its group still alive
      const leftovers = sweepLeftovers();
      // stdio may stay open a moment (or for good, held by a leftover): wait for it briefly
      const closed = new Promise<void>((r) => child.once('close', () => r()));
      void Promise.race([closed, delay(2000)]).then(() => resolve({ code, signal, ms, stdout, stderr, timedOut, leftovers }));
    });
  });
}

const tempDirs = new Set<string>();

/** Kills every child still running and removes the temporary folders (on SIGINT / SIGTERM of the bench). */
export function killActiveChildren(): void {
  for (const child of active) killGroup(child, 'SIGKILL');
  sweepLeftovers();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Rejects when `promise` takes longer than `ms` (the in-process measurements). */
export async function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `callreplay-bench-${prefix}-`));
  tempDirs.add(dir);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const micros = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

/** A row for a ratio that must be at most `goal`. */
export function ratioRow(goal: string, measured: string, ratio: number, max: number): BenchRow {
  return { goal, measured, ratio, limit: `<= ${max}x`, verdict: ratio <= max ? 'PASS' : 'MISS' };
}

/** A row for a measurement that could not be made. */
export function errorRow(goal: string, why: string): BenchRow {
  return { goal, measured: why, limit: '', verdict: 'ERROR' };
}

/** The last `n` lines of `text`, indented, for a failure message. */
export function tailLines(text: string, n = 12): string {
  return text.trimEnd().split('\n').slice(-n).map((l) => `      ${l}`).join('\n');
}
