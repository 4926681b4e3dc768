/**
 * results.json: its types, the record of one test (flowResult, from Playwright's TestCase and
 * TestResult and the attachments the suite wrote), and the run's counts. The reporters
 * (results-reporter.ts) and the CLI (its summary, merge-reports) read the same file.
 */
import { readFileSync } from 'node:fs';
import type { FullResult, TestCase, TestResult } from '@playwright/test/reporter';
import type { Finding } from '../engine/findings.js';
import { formatFinding } from '../engine/findings.js';
import { safeText } from './report-safe.js';
import { AUTH_CHECK_MODE, BOT_NOTE_START, NOT_RUN, REFUSAL_MODE, RUN_WIDE, VARIANT_MODE } from './annotations.js';

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

/** What a test checked: the flow itself, a robustness variant of it, its notification auth, or a refusal check. */
export type TestKind = 'flow' | 'variant' | 'notification-auth' | 'refusal';

export interface FlowResult {
  flow: string;
  file?: string;
  suite?: string;
  mode?: string;
  /** what the test checked (derived from mode) */
  kind: TestKind;
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
  /** test errors (ANSI stripped), only when there are no findings: a harness error, not the bot's */
  errors: string[];
  /** a failed test's own message (ANSI stripped, without the bot output shown beside it): the finding, or a check's verdict and its findings */
  message?: string;
  /** the last 4000 characters of the bot-output.txt attachment (ANSI codes removed), if any */
  botOutput?: string;
  /** why the check (or the flow itself: a trigger not mapped to the bot) was not run (a flag, or a flow with nothing to check); the test is skipped */
  notRun?: string;
  /** the run stopped (--max-failures) or was interrupted before this test started */
  notReached?: true;
  /** the test checks the whole run, not one flow (`flow` then names the check) */
  runWide?: true;
}

/** A check that was not run, and why (results.json `notRun`). */
export interface NotRunCheck {
  /** the check's mode: 'notification-auth', 'variant', 'refusal'; 'flow': the flow itself (a trigger not mapped to the bot) */
  check: string;
  /** the flow, when the reason is the flow's */
  flow?: string;
  reason: string;
}

/** Tests of one kind: how many, and how they ended ("skipped": not run, not reached, or interrupted). */
export interface Count {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface ResultsSummary {
  /** every test of the run, whatever it checked */
  tests: Count;
  /** the flows themselves (one test each) */
  flows: Count;
  variants: Count;
  /** the checks beside the flows: notification auth (per flow) and refusal (per run) */
  checks: { notificationAuth: Count; refusal: Count };
  /** warnings raised by tests that ran (findings with severity 'warning'), in all and by rule */
  warnings: { total: number; byRule: Record<string, number> };
  /** tests the run never started: stopped by --max-failures, or interrupted */
  notReached: number;
  /** tests cut short by an interrupt (Ctrl-C) */
  interrupted: number;
}

export interface ResultsFile {
  tool: 'callreplay';
  /** 2: summary counts flows, variants, checks and tests apart */
  version: 2;
  startedAt: string;
  durationMs: number;
  status: FullResult['status'];
  /** set by `callreplay run --shard`: this file covers one shard */
  shard?: { current: number; total: number };
  summary: ResultsSummary;
  flows: FlowResult[];
  /** every check that was not run, and why (their tests are reported as skipped) */
  notRun: NotRunCheck[];
}

/** The error of a test the run never reached (stopped early, or interrupted). */
export const NEVER_RAN = 'the test did not run';
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

function testKind(mode: string | undefined): TestKind {
  return mode === VARIANT_MODE ? 'variant' : mode === AUTH_CHECK_MODE ? 'notification-auth' : mode === REFUSAL_MODE ? 'refusal' : 'flow';
}

/**
 * The records made so far, by result: the console reporter makes each test's record as the test
 * ends, and the results reporter (in the same process) reuses it at the end of the run instead of
 * reading the attachments (findings.json, bot-output.txt) from disk again.
 */
const records = new WeakMap<TestResult, FlowResult>();

/**
 * The record of one test: `result` is its last retry, absent when the run never reached it. Made
 * once per result (the attachments are read once), so callers must not change it.
 */
export function flowResult(test: TestCase, result: TestResult | undefined): FlowResult {
  if (!result) return makeFlowResult(test, undefined);
  let record = records.get(result);
  if (!record) {
    record = makeFlowResult(test, result);
    records.set(result, record);
  }
  return record;
}

function makeFlowResult(test: TestCase, result: TestResult | undefined): FlowResult {
  const mode = annotation(test, result, 'mode');
  const flow: FlowResult = {
    flow: annotation(test, result, 'flow') ?? test.title,
    file: annotation(test, result, 'flow-file'),
    suite: annotation(test, result, 'suite'),
    mode,
    kind: testKind(mode),
    variant: annotation(test, result, 'variant'),
    checks: annotation(test, result, 'checks')?.split(', ').filter((c) => c && c !== 'none'),
    ackLatency: parseJson(annotation(test, result, 'ack-latency')),
    title: test.title,
    status: result?.status ?? 'skipped',
    durationMs: Math.round(result?.duration ?? 0),
    retry: result?.retry ?? 0,
    failures: [],
    warnings: [],
    errors: [],
  };
  const notRun = annotation(test, result, NOT_RUN);
  if (notRun !== undefined) flow.notRun = notRun;
  if (annotation(test, result, RUN_WIDE) !== undefined) flow.runWide = true;
  // skipped, neither by test.skip() nor with a reason: the run stopped (--max-failures) or was
  // interrupted before the test began (Playwright gives such tests no result, or a skipped one)
  const deliberate = test.expectedStatus === 'skipped' || annotation(test, result, 'skip') !== undefined || annotation(test, result, 'fixme') !== undefined;
  if (notRun === undefined && flow.status === 'skipped' && !deliberate) {
    flow.notReached = true;
    flow.errors.push(NEVER_RAN);
  }
  if (!result) return flow;
  for (const a of result.attachments) {
    if (a.name === 'findings.json') {
      try {
        const parsed: unknown = JSON.parse(attachmentText(a));
        if (!Array.isArray(parsed)) throw new Error('not an array');
        for (const f of parsed as Finding[]) (f.severity === 'warning' ? flow.warnings : flow.failures).push(toFailure(f));
      } catch (err) {
        flow.errors.push(`could not read the findings.json attachment: ${(err as Error).message}`);
      }
    } else if (a.name === 'bot-output.txt') {
      try {
        const text = stripAnsi(attachmentText(a));
        flow.botOutput = text.length > BOT_OUTPUT_TAIL ? text.slice(-BOT_OUTPUT_TAIL) : text;
      } catch (err) {
        flow.errors.push(`could not read the bot-output.txt attachment: ${(err as Error).message}`);
      }
    }
  }
  const first = result.errors[0];
  if (first && isFailed(flow)) flow.message = safeText(withoutBotNote(stripAnsi(first.message ?? first.value ?? ''))).trim() || undefined;
  // a passing test keeps no findings: the run's findings.json of a flow that passed alone lists the
  // earlier failure only through its overlap warning
  if (flow.failures.length === 0 && flow.status !== 'skipped') {
    for (const e of result.errors) {
      const message = safeText(stripAnsi(e.message ?? e.value ?? 'unknown error')).trim();
      if (message && !flow.errors.includes(message)) flow.errors.push(message);
    }
  }
  return flow;
}

/** A test's error carries the bot's output after it (check-tests.ts botNote); results.json has it as botOutput. */
function withoutBotNote(message: string): string {
  const cut = message.indexOf(BOT_NOTE_START);
  return cut >= 0 ? message.slice(0, cut) : message;
}

/** A test that did not pass and ran: failed, timed out (interrupted ones are counted apart). */
export function isFailed(r: FlowResult): boolean {
  return r.status === 'failed' || r.status === 'timedOut';
}

function count(list: readonly FlowResult[]): Count {
  const passed = list.filter((r) => r.status === 'passed').length;
  const failed = list.filter(isFailed).length;
  return { total: list.length, passed, failed, skipped: list.length - passed - failed };
}

/** The run's counts: placeholders of a whole check turned off (`--no-auth-check`) count as tests only. */
export function summarize(flows: readonly FlowResult[]): ResultsSummary {
  const checks = flows.filter((r) => !(r.runWide && r.notRun !== undefined));
  const of = (kind: TestKind) => count(checks.filter((r) => r.kind === kind));
  const byRule: Record<string, number> = {};
  let warnings = 0;
  for (const r of flows) {
    for (const w of r.warnings) {
      warnings += 1;
      const rule = w.rule ?? w.kind;
      byRule[rule] = (byRule[rule] ?? 0) + 1;
    }
  }
  return {
    tests: count(flows),
    flows: of('flow'),
    variants: of('variant'),
    checks: { notificationAuth: of('notification-auth'), refusal: of('refusal') },
    warnings: { total: warnings, byRule },
    notReached: flows.filter((r) => r.notReached).length,
    interrupted: flows.filter((r) => r.status === 'interrupted').length,
  };
}

/** The checks that were not run, and why (results.json `notRun`). */
export function notRunChecks(flows: readonly FlowResult[]): NotRunCheck[] {
  // a flow not run itself (a trigger not mapped to the bot) is check 'flow'; its mode is the ways in
  return flows.filter((f) => f.notRun !== undefined).map((f) => ({ check: f.kind === 'flow' && !f.runWide ? 'flow' : (f.mode ?? 'flow'), ...(f.runWide ? {} : { flow: f.flow }), reason: f.notRun! }));
}
