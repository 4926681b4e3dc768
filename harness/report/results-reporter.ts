/**
 * A Playwright Test reporter that writes the machine-readable files of a run for CI, all from one
 * ResultsFile (results-file.ts): results.json, and, when asked, junit.xml (junit-xml.ts) and
 * summary.md (job-summary.ts). It runs in `callreplay run` and in `callreplay merge-reports`.
 *
 * Output paths: the reporter options (relative to the config's directory); results.json falls back
 * to the environment variable CALLREPLAY_RESULTS_FILE (relative to the working directory), else
 * reports/results.json.
 *
 *   reporter: [['list'], ['./harness/report/results-reporter.ts', { outputFile: 'reports/results.json', junitFile: 'reports/junit.xml' }]]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { renderJobSummary } from './job-summary.js';
import { renderJunit } from './junit-xml.js';
import { flowResult, notRunChecks, summarize, type ResultsFile } from './results-file.js';

export type { Count, FlowFailure, FlowResult, FlowStatus, NotRunCheck, ResultsFile, ResultsSummary, TestKind } from './results-file.js';

export interface ResultsReporterOptions {
  /** where to write results.json; relative paths are resolved against the config's directory */
  outputFile?: string;
  /** where to write junit.xml (none when absent) */
  junitFile?: string;
  /** where to write summary.md (none when absent) */
  summaryFile?: string;
  /** passed by Playwright: the directory of the config file */
  configDir?: string;
}

export const DEFAULT_RESULTS_FILE = 'reports/results.json';
export const RESULTS_FILE_ENV = 'CALLREPLAY_RESULTS_FILE';

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
function writeAtomic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export default class ResultsReporter implements Reporter {
  private readonly options: ResultsReporterOptions;
  private config: FullConfig | undefined;
  private suite: Suite | undefined;
  /** the last result seen for each test: with retries, the last onTestEnd is the last retry */
  private readonly last = new Map<TestCase, TestResult>();
  private readonly order: TestCase[] = [];

  constructor(options: ResultsReporterOptions = {}) {
    this.options = options ?? {};
  }

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.config = config;
    this.suite = suite;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    if (!this.last.has(test)) this.order.push(test);
    this.last.set(test, result);
  }

  private resolveOption(file: string): string {
    const base = this.options.configDir ?? (this.config?.configFile ? dirname(this.config.configFile) : process.cwd());
    return resolve(base, file);
  }

  /** The path results.json is written to. */
  outputFile(): string {
    if (this.options.outputFile) return this.resolveOption(this.options.outputFile);
    const fromEnv = process.env[RESULTS_FILE_ENV];
    if (fromEnv) return resolve(process.cwd(), fromEnv);
    return resolve(process.cwd(), DEFAULT_RESULTS_FILE);
  }

  onEnd(result: FullResult): void {
    // every test of the run in declaration order, then any reported test the suite did not list
    const tests: TestCase[] = this.suite ? this.suite.allTests() : [];
    const seen = new Set(tests);
    for (const t of this.order) if (!seen.has(t)) tests.push(t);

    const flows = tests.map((t) => flowResult(t, this.last.get(t) ?? t.results[t.results.length - 1]));
    const shard = this.config?.shard;
    const out: ResultsFile = {
      tool: 'callreplay',
      version: 2,
      startedAt: result.startTime.toISOString(),
      durationMs: Math.round(result.duration),
      status: result.status,
      ...(shard ? { shard: { current: shard.current, total: shard.total } } : {}),
      summary: summarize(flows),
      flows,
      notRun: notRunChecks(flows),
    };
    writeAtomic(this.outputFile(), `${JSON.stringify(out, null, 2)}\n`);
    if (this.options.junitFile) writeAtomic(this.resolveOption(this.options.junitFile), renderJunit(out));
    if (this.options.summaryFile) writeAtomic(this.resolveOption(this.options.summaryFile), renderJobSummary(out));
  }
}
