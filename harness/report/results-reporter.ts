/**
 * A Playwright Test reporter that writes a machine-readable results.json for CI: one record per
 * flow test (its last retry), with the findings of failed flows.
 *
 * Output path: the reporter option `outputFile` (relative to the config's directory), else the
 * environment variable CALLREPLAY_RESULTS_FILE (relative to the working directory), else
 * reports/results.json (relative to the working directory).
 *
 *   reporter: [['list'], ['./harness/report/results-reporter.ts', { outputFile: 'reports/results.json' }]]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import type { Finding } from '../engine/findings.js';
import { formatFinding } from '../engine/findings.js';
import { NOT_RUN, RUN_WIDE } from './annotations.js';

export interface ResultsReporterOptions {
  /** where to write results.json; relative paths are resolved against the config's directory */
  outputFile?: string;
  /** passed by Playwright: the directory of the config file */
  configDir?: string;
}

export type FlowStatus = TestResult['status'];

export interface FlowFailure {
  step?: number;
  stepName?: string;
  kind: Finding['kind'];
  /** the rule or check that raised it, if any */
  rule?: string;
  message: string;
  /** formatFinding output */
  text: string;
}

export interface FlowResult {
  flow: string;
  file?: string;
  suite?: string;
  mode?: string;
  /** the robustness variant this test ran, if any */
  variant?: string;
  /** the checks that watched the run (rule ids, 'schema') */
  checks?: string[];
  /** how fast the bot acknowledged notifications (ms) */
  ackLatency?: { count: number; p50: number; p95: number; max: number };
  title: string;
  status: FlowStatus;
  durationMs: number;
  retry: number;
  failures: FlowFailure[];
  /** findings with severity 'warning' (reported, not failing) */
  warnings: FlowFailure[];
  /** test errors (ANSI stripped), only when there are no findings */
  errors: string[];
  /** the last 4000 characters of the bot-output.txt attachment (ANSI codes removed), if any */
  botOutput?: string;
  /** why the check was not run (a flag, or a flow with nothing to check); the test is skipped */
  notRun?: string;
  /** the test checks the whole run, not one flow (`flow` then names the check) */
  runWide?: true;
}

/** A check that was not run, and why (results.json `notRun`). */
export interface NotRunCheck {
  /** the check's mode: 'notification-auth', 'variant', 'refusal' */
  check: string;
  /** the flow, when the reason is the flow's */
  flow?: string;
  reason: string;
}

export interface ResultsFile {
  tool: 'callreplay';
  version: 1;
  startedAt: string;
  durationMs: number;
  status: FullResult['status'];
  summary: { flows: number; passed: number; failed: number; skipped: number };
  flows: FlowResult[];
  /** every check that was not run, and why (their tests are reported as skipped) */
  notRun: NotRunCheck[];
}

export { NOT_RUN, RUN_WIDE };

export const DEFAULT_RESULTS_FILE = 'reports/results.json';
export const RESULTS_FILE_ENV = 'CALLREPLAY_RESULTS_FILE';
const BOT_OUTPUT_TAIL = 4000;

// eslint-disable-next-line no-control-regex
const ANSI_RE = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

type Attachment = TestResult['attachments'][number];

function attachmentText(a: Attachment): string {
  if (a.body !== undefined) return Buffer.from(a.body).toString('utf8');
  if (a.path !== undefined) return readFileSync(a.path, 'utf8');
  return '';
}

/** The error of a test the run never reached (stopped early, or interrupted). */
export const NEVER_RAN = 'the test did not run';

function annotation(test: TestCase, result: TestResult | undefined, type: string): string | undefined {
  // annotations added during the run (testInfo.annotations) live on the result; static ones on the test
  const found = result?.annotations?.find((a) => a.type === type) ?? test.annotations.find((a) => a.type === type);
  return found?.description;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function toFailure(f: Finding): FlowFailure {
  // key order as documented; undefined step / stepName / rule are left out of the JSON
  return { step: f.step, stepName: f.stepName, kind: f.kind, rule: f.rule, message: f.message, text: formatFinding(f) };
}

export function flowResult(test: TestCase, result: TestResult | undefined): FlowResult {
  if (!result) {
    // never ran (the run was interrupted or stopped at maxFailures before reaching it)
    const notRun = annotation(test, undefined, NOT_RUN);
    return {
      flow: annotation(test, undefined, 'flow') ?? test.title,
      file: annotation(test, undefined, 'flow-file'),
      mode: annotation(test, undefined, 'mode'),
      title: test.title,
      status: 'skipped',
      durationMs: 0,
      retry: 0,
      failures: [],
      warnings: [],
      errors: notRun ? [] : [NEVER_RAN],
      ...(notRun ? { notRun } : {}),
      ...(annotation(test, undefined, RUN_WIDE) !== undefined ? { runWide: true as const } : {}),
    };
  }
  const errors: string[] = [];
  const failures: FlowFailure[] = [];
  const warnings: FlowFailure[] = [];
  let botOutput: string | undefined;
  for (const a of result.attachments) {
    if (a.name === 'findings.json') {
      try {
        const parsed: unknown = JSON.parse(attachmentText(a));
        if (!Array.isArray(parsed)) throw new Error('not an array');
        for (const f of parsed as Finding[]) (f.severity === 'warning' ? warnings : failures).push(toFailure(f));
      } catch (err) {
        errors.push(`could not read the findings.json attachment: ${(err as Error).message}`);
      }
    } else if (a.name === 'bot-output.txt') {
      try {
        const text = stripAnsi(attachmentText(a));
        botOutput = text.length > BOT_OUTPUT_TAIL ? text.slice(-BOT_OUTPUT_TAIL) : text;
      } catch (err) {
        errors.push(`could not read the bot-output.txt attachment: ${(err as Error).message}`);
      }
    }
  }
  if (failures.length === 0) {
    for (const e of result.errors) {
      const message = stripAnsi(e.message ?? e.value ?? 'unknown error').trim();
      if (message && !errors.includes(message)) errors.push(message);
    }
  }
  const flow: FlowResult = {
    flow: annotation(test, result, 'flow') ?? test.title,
    file: annotation(test, result, 'flow-file'),
    suite: annotation(test, result, 'suite'),
    mode: annotation(test, result, 'mode'),
    variant: annotation(test, result, 'variant'),
    checks: annotation(test, result, 'checks')?.split(', ').filter((c) => c && c !== 'none'),
    ackLatency: parseJson(annotation(test, result, 'ack-latency')),
    title: test.title,
    status: result.status,
    durationMs: Math.round(result.duration),
    retry: result.retry,
    failures,
    warnings,
    errors,
  };
  if (botOutput !== undefined) flow.botOutput = botOutput;
  const notRun = annotation(test, result, NOT_RUN);
  if (notRun !== undefined) flow.notRun = notRun;
  if (annotation(test, result, RUN_WIDE) !== undefined) flow.runWide = true;
  return flow;
}

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

  /** The path results.json is written to. */
  outputFile(): string {
    if (this.options.outputFile) {
      const base = this.options.configDir ?? (this.config?.configFile ? dirname(this.config.configFile) : process.cwd());
      return resolve(base, this.options.outputFile);
    }
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
    const passed = flows.filter((f) => f.status === 'passed').length;
    const skipped = flows.filter((f) => f.status === 'skipped').length;
    const out: ResultsFile = {
      tool: 'callreplay',
      version: 1,
      startedAt: result.startTime.toISOString(),
      durationMs: Math.round(result.duration),
      status: result.status,
      summary: { flows: flows.length, passed, failed: flows.length - passed - skipped, skipped },
      flows,
      notRun: flows.filter((f) => f.notRun !== undefined).map((f) => ({ check: f.mode ?? 'flow', ...(f.runWide ? {} : { flow: f.flow }), reason: f.notRun! })),
    };
    writeAtomic(this.outputFile(), `${JSON.stringify(out, null, 2)}\n`);
  }
}
