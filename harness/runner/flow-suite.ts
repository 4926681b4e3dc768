/**
 * The Playwright side of `callreplay run`: per flow a group (the flow, its variants, its
 * notification-auth check, in that order), groups in parallel; one test.step per flow step, the
 * exchange attached to every test. Tests drive the run's session (global-setup.ts: one harness and
 * one bot for the whole run) and only present what it judged.
 */
import { readFileSync } from 'node:fs';
import { test as base, type TestInfo } from '@playwright/test';
import { formatFinding, type Finding } from '../engine/findings.js';
import { renderSequenceDiagram } from '../report/sequence-diagram.js';
import { ackLatencySummary } from '../variants/ack-latency.js';
import { AUTH_CHECK_MODE, NOT_RUN_ANNOTATION, RUN_WIDE_ANNOTATION, readRunConfig, REFUSAL_MODE, VARIANT_MODE } from './run-config.js';
import type { BaseVerdict, BotSnapshot, RunRecord, RunRef, SessionApi, StepExchange } from './session-api.js';
import { SESSION_ENV, sessionClient } from './session-rpc.js';
import { attachJson, attachText, FlowFailure, checkNotificationAuth, checkRefusal, showStepDetail } from './check-tests.js';
import { botNote } from './bot-note.js';
import { untagged, type PlannedRun, type PlannedStep, type TestPlan } from './test-plan.js';
import { callAt, declaringFile, hideHarnessFrames, locationOf, pointAt, type FlowLocation } from './flow-location.js';
import type { Transcript } from '../engine/transcript.js';

interface WorkerFixtures {
  session: SessionApi;
}

const test = base.extend<object, WorkerFixtures>({
  session: [
    async ({}, use) => {
      const address = process.env[SESSION_ENV];
      if (address) return use(sessionClient(address));
      // a Playwright config without callreplay's globalSetup: a session per worker (loaded only then)
      const { RunSession } = await import('./run-session.js');
      const session = await RunSession.start(readRunConfig());
      try {
        await use(session);
      } finally {
        await session.close();
      }
    },
    // boxed: the report's steps are the flow's, not the harness's plumbing
    { scope: 'worker', timeout: 120_000, box: true },
  ],
});

/**
 * Declares the run's tests from its plan (test-plan.ts): per flow, a group of the flow, its
 * variants and its notification-auth check (a flow that sends no notification gets a not-run entry
 * instead); then the refusal checks, once per run. A check turned off by a flag, or whose flow
 * failed, is a not-run entry, so that the report names what was not checked and why.
 */
export function defineFlowTests(): void {
  hideHarnessFrames();
  const config = readRunConfig();
  const plan = JSON.parse(readFileSync(config.planFile, 'utf8')) as TestPlan;
  const specFile = declaringFile();
  test.describe.configure({ mode: 'parallel' });
  for (const flow of plan.flows) {
    const annotation = (mode: string) => [
      { type: 'flow', description: flow.name },
      { type: 'flow-file', description: flow.file },
      { type: 'suite', description: flow.suite },
      { type: 'mode', description: mode },
      { type: 'bot', description: config.bot.label },
      { type: 'checks', description: plan.checks.join(', ') || 'none' },
    ];
    // every test of the group is located at the flow's `name` in the flow file
    const at = locationOf(flow.file, flow.flow.at);
    const declare = (title: string, details: Parameters<typeof test>[1], body: Parameters<typeof test>[2]) => callAt(at, test, untagged(title), details, body);
    callAt(at, test.describe, untagged(flow.name), () => {
      // in order, in one worker: the variants and the auth check learn how the flow itself did
      test.describe.configure({ mode: 'default' });
      if (flow.skipped !== undefined) {
        // not run against this bot (a trigger not mapped): one skipped test saying the flag to add; no variants, no auth check
        const details = { annotation: [...annotation(config.intercept.join('+')), { type: NOT_RUN_ANNOTATION, description: flow.skipped }] };
        callAt(at, test.skip, untagged(flow.flow.title), details, () => undefined);
        return;
      }
      declare(flow.flow.title, { annotation: annotation(config.intercept.join('+')) }, async ({ session }, testInfo) => {
        test.setTimeout(flow.flow.timeoutMs);
        await atFlow(at, () => runFlowAsTest(flow.flow, { flowFile: flow.file }, session, testInfo, true));
      });
      for (const variant of flow.variants) {
        const variantAnnotation = [...annotation(VARIANT_MODE), { type: 'variant', description: variant.variant! }, { type: 'variant-doc', description: variant.doc ?? '' }];
        declare(variant.title, { annotation: variantAnnotation }, async ({ session }, testInfo) => {
          test.setTimeout(variant.timeoutMs);
          if (await skippedAfterBase(session, flow.name, testInfo, at)) return;
          await atFlow(at, () => runFlowAsTest(variant, { flowFile: flow.file, variant: variant.variant }, session, testInfo, false));
        });
      }
      const authCheck = flow.authCheck;
      if (config.authCheck && authCheck) {
        const probeAt = locationOf(flow.file, flow.flow.steps[authCheck.probeStep - 1]?.at ?? flow.flow.at);
        declare(`${flow.name}: notification auth`, { annotation: annotation(AUTH_CHECK_MODE) }, async ({ session }, testInfo) => {
          test.setTimeout(authCheck.timeoutMs);
          if (await skippedAfterBase(session, flow.name, testInfo, at)) return;
          await atFlow(probeAt, () => checkNotificationAuth(plan, flow.file, authCheck.probeStep, session, testInfo, probeAt));
        });
      } else if (config.authCheck) {
        notRun(`${flow.name}: notification auth`, annotation(AUTH_CHECK_MODE), 'the flow sends no notification', at);
      }
    });
  }
  const runAnnotation = (mode: string) => [
    { type: 'flow', description: mode },
    { type: RUN_WIDE_ANNOTATION, description: 'a check of the run, not of one flow' },
    { type: 'mode', description: mode },
    { type: 'bot', description: config.bot.label },
  ];
  // the run's own tests are located at the spec file that declared them (no flow file is theirs)
  const runAt = specFile ? locationOf(specFile, undefined) : undefined;
  // the checks of the run itself, in one group run in order by one worker: with the flows' groups,
  // a run has (flows + 1) groups, so a small run starts no more worker processes than it can use
  const runChecks = () => {
    test.describe.configure({ mode: 'default' });
    if (config.refusalChecks) {
      for (const info of plan.refusalChecks) {
        const annotation = [...runAnnotation(REFUSAL_MODE), { type: 'check', description: info.check }];
        const title = untagged(`refusal: ${info.check}: ${info.sends}; the bot must give ${info.expects}`);
        const body = async ({ session }: { session: SessionApi }, testInfo: TestInfo) => {
          await atFlow(runAt, () => checkRefusal(info, session, testInfo, runAt));
        };
        if (runAt) callAt(runAt, test, title, { annotation }, body);
        else test(title, { annotation }, body);
      }
    } else notRun('refusal checks', runAnnotation(REFUSAL_MODE), '--no-refusal-checks', runAt);
    if (!config.authCheck) notRun('notification auth', runAnnotation(AUTH_CHECK_MODE), '--no-auth-check', runAt);
    if (config.checks.variants.length === 0) notRun('robustness variants', runAnnotation(VARIANT_MODE), '--variants none', runAt);
  };
  if (runAt) callAt(runAt, test.describe, RUN_CHECKS_GROUP, runChecks);
  else test.describe(RUN_CHECKS_GROUP, runChecks);
}

/** The group of the run's own checks (refusal checks, and the checks a flag turned off). */
const RUN_CHECKS_GROUP = 'run checks';

/** A test that is declared, reported as skipped, and says why the check did not run (annotation `not-run`). */
function notRun(title: string, annotation: Array<{ type: string; description: string }>, reason: string, at: FlowLocation | undefined): void {
  const details = { annotation: [...annotation, { type: NOT_RUN_ANNOTATION, description: reason }] };
  if (at) callAt(at, test.skip, untagged(`${title}: not run (${reason})`), details, () => undefined);
  else test.skip(untagged(`${title}: not run (${reason})`), details, () => undefined);
}

/** Runs a test body; an error that is not the flow's own (the session gone, a timeout) points at `at`, not at the harness. */
async function atFlow(at: FlowLocation | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (at && e instanceof Error && !(e instanceof FlowFailure)) pointAt(e, at);
    throw e;
  }
}

/** One cause, one red row: after the flow itself failed, its variants and auth check are not run. */
async function skippedAfterBase(session: SessionApi, flow: string, testInfo: TestInfo, at: FlowLocation): Promise<boolean> {
  const verdict = await session.baseVerdict(flow);
  if (verdict?.status !== 'failed') return false;
  const reason = `its flow ${verdict.summary ?? 'failed'}`;
  testInfo.annotations.push({ type: NOT_RUN_ANNOTATION, description: reason });
  callAt(at, test.skip, true, reason);
  return true;
}

/**
 * Plays one flow (or variant) step by step. When it fails while other calls were in flight, it is
 * played again alone: passing then is a finding of its own (kind 'overlap'); failing again is
 * reported from the lone run, whose verdict does not depend on the schedule. Every step is located
 * at its lines in the flow file and carries what happened at it (step-report.ts).
 */
async function runFlowAsTest(flow: PlannedRun, ref: RunRef, session: SessionApi, testInfo: TestInfo, isBase: boolean): Promise<void> {
  let verdict: BaseVerdict = { flow: flow.name, status: 'failed', summary: 'did not complete' };
  const where = (step: PlannedStep | undefined) => locationOf(ref.flowFile, step?.at ?? flow.at);
  try {
    const started = await session.startRun(ref);
    if (started.botRestarted) testInfo.annotations.push({ type: 'bot-restarted', description: started.botRestarted });
    let failure: { finding: Finding; bot?: BotSnapshot } | undefined;
    let record: RunRecord | undefined;
    try {
      for (const step of flow.steps) {
        await test.step(step.title, async () => {
          const { outcome, bot, exchange } = await session.runStep(started.id, step.index);
          const finding = outcome.status === 'failed' ? outcome.finding : undefined;
          await attachStep(testInfo, ref.flowFile, step, exchange, finding);
          if (finding) {
            failure = { finding, bot };
            throw pointAt(new FlowFailure(formatFinding(finding) + botNote(bot)), where(step));
          }
        }, { location: where(step) }).catch(() => undefined); // marked failed in the report; decided below
        if (failure) break;
      }
      if (!failure) {
        const after: PlannedStep = { index: flow.steps.length, name: 'no further requests', title: 'no further requests' };
        await test.step(after.title, async () => {
          const { outcome, bot, exchange } = await session.finish(started.id);
          const finding = outcome.status === 'failed' ? outcome.findings[0] : undefined;
          // a finding raised only now about an earlier step (e.g. a request to the wrong resource): show that step's YAML
          const named = finding ? stepOf(flow, finding) : undefined;
          await attachStep(testInfo, ref.flowFile, named ? { ...after, at: named.at } : after, exchange, finding);
          if (finding) {
            failure = { finding, bot };
            throw pointAt(new FlowFailure(formatFinding(finding) + botNote(bot)), where(stepOf(flow, finding)));
          }
        }, { location: where(undefined) }).catch(() => undefined);
      }
    } finally {
      record = await session.release(started.id);
      // the exchange of a run played again alone is the report's; this one is kept beside it
      if (!failure || record.overlapped === 0) await attachRecord(record, testInfo, '');
      else await attachRecord(record, testInfo, 'overlapped-');
    }
    if (!failure) {
      verdict = { flow: flow.name, status: 'passed' };
      return;
    }
    verdict = failedVerdict(flow, failure.finding);
    if (record.overlapped === 0) throw pointAt(new FlowFailure(formatFinding(failure.finding) + botNote(failure.bot)), where(stepOf(flow, failure.finding)));
    await playAlone(flow, ref, session, testInfo, failure.finding, record, (v) => (verdict = v));
  } finally {
    if (isBase) await session.settleBase(verdict);
  }
}

async function playAlone(flow: PlannedRun, ref: RunRef, session: SessionApi, testInfo: TestInfo, first: Finding, overlappedRecord: RunRecord, settle: (v: BaseVerdict) => void): Promise<void> {
  const overlapped = overlappedRecord.overlapped;
  const where = (finding: Finding) => locationOf(ref.flowFile, stepOf(flow, finding)?.at ?? flow.at);
  const alone = await test.step(`played again alone (it failed while ${overlapped} other call(s) were in flight)`, async () => {
    const result = await session.runAlone(ref);
    // the lone run's steps, as the flow's own are shown: each at its line, with what happened at it
    await replaySteps(flow, ref.flowFile, result.record.transcript, result.outcome.findings[0], testInfo);
    return result;
  }, { location: locationOf(ref.flowFile, flow.at) });
  const lone = alone.outcome.findings[0];
  if (lone) {
    await attachRecord(alone.record, testInfo, '');
    settle(failedVerdict(flow, lone));
    const same = lone.step === first.step && lone.kind === first.kind && lone.rule === first.rule;
    const before = same ? 'the same failure as with other calls in flight' : `with other calls in flight it had failed otherwise: ${first.message}`;
    throw pointAt(new FlowFailure(`${formatFinding(lone)}\n(played again alone: ${before})${botNote(alone.bot)}`), where(lone));
  }
  if (overlappedRecord.guessedRoute) {
    // the harness could not tell the calls apart: no verdict on the bot from that run (a warning, the flow passes)
    const warning: Finding = {
      kind: 'overlap',
      severity: 'warning',
      step: first.step,
      stepName: first.stepName,
      message: `with ${overlapped} other call(s) in flight, ${first.message}; but callreplay had routed ${overlappedRecord.guessedRoute} by timing alone (nothing in it names its call), so the failure may be the harness's mix-up; played alone, the flow passed. To check the bot under overlap, run with --tenant per-run (for a bot that takes the tenant from each call)`,
      rule: 'overlap/guessed-route',
    };
    settle({ flow: flow.name, status: 'passed' });
    await attachRecord({ ...alone.record, warnings: [warning, ...alone.record.warnings] }, testInfo, '');
    return;
  }
  const finding: Finding = {
    kind: 'overlap',
    step: first.step,
    stepName: first.stepName,
    message: `fails only when calls overlap: with ${overlapped} other call(s) in flight, ${first.message}; played alone, the flow passed. Does the bot keep call state per process (one "current call") instead of per call id?`,
    rule: 'overlap/fails-only-concurrently',
  };
  settle({ ...failedVerdict(flow, first), summary: `${failedVerdict(flow, first).summary} (only while other calls were in flight)` });
  await attachRecord({ ...alone.record, findings: [finding] }, testInfo, '');
  throw pointAt(new FlowFailure(formatFinding(finding)), where(first));
}

/** Shows a run played at once (the lone run) as steps: those up to its failing step, each with its exchange. */
async function replaySteps(flow: PlannedRun, flowFile: string, transcript: Transcript, finding: Finding | undefined, testInfo: TestInfo): Promise<void> {
  const last = finding?.step ?? flow.steps.length;
  for (const step of flow.steps.slice(0, last)) {
    const failed = finding && finding.step === step.index + 1 ? finding : undefined;
    const entries = transcript.entries.filter((e) => !e.kind.startsWith('token') && (e.step === step.index || (failed !== undefined && e.failed === true && e.step === undefined)));
    await test.step(step.title, async () => {
      await attachStep(testInfo, flowFile, step, { entries, idNames: transcript.idNames }, failed, 'alone-');
      if (failed) throw pointAt(new FlowFailure(formatFinding(failed)), locationOf(flowFile, step.at));
    }, { location: locationOf(flowFile, step.at ?? flow.at) }).catch(() => undefined);
  }
}

/** Shows, inside the running step, what happened at it (check-tests.ts showStepDetail). */
async function attachStep(testInfo: TestInfo, flowFile: string, step: PlannedStep, exchange: StepExchange | undefined, finding: Finding | undefined, prefix = ''): Promise<void> {
  const input = { title: step.title, flowFile, at: step.at, entries: exchange?.entries ?? [], idNames: exchange?.idNames ?? {}, finding: finding && formatFinding(finding) };
  await showStepDetail(testInfo, input, `${prefix}step-${step.index + 1}.txt`);
}

/** The planned step a finding names (1-based), if any. */
function stepOf(flow: PlannedRun, finding: Finding): PlannedStep | undefined {
  return finding.step !== undefined ? flow.steps[finding.step - 1] : undefined;
}

function failedVerdict(flow: PlannedRun, finding: Finding): BaseVerdict {
  const step = stepOf(flow, finding);
  const where = step ? `failed at step ${finding.step}: ${step.name}` : finding.step !== undefined ? `failed at step ${finding.step}` : 'failed after its last step';
  return { flow: flow.name, status: 'failed', failedStep: finding.step, summary: where };
}

/**
 * Attaches a run's exchange as files (the HTML report copies them into its data/ folder), and its
 * warnings as annotations of type `warning`: one per rule, with how often it was raised and the
 * first message (a warning does not fail the flow: it is never an error box).
 */
async function attachRecord(record: RunRecord, testInfo: TestInfo, prefix: string): Promise<void> {
  const findings: Finding[] = [...record.findings, ...record.warnings];
  if (prefix === '') {
    testInfo.annotations.push({ type: 'ack-latency', description: JSON.stringify(ackLatencySummary(record.transcript)) });
    testInfo.annotations.push(...warningAnnotations(record.warnings));
  }
  const title = prefix === 'overlapped-' ? 'the exchange with other calls in flight (overlapped-*)' : 'the exchange: sequence diagram, findings, transcript, bot output';
  await test.step(title, async () => {
    await attachText(testInfo, `${prefix}sequence.html`, renderSequenceDiagram(record.transcript, { findings }), 'text/html');
    await attachJson(testInfo, `${prefix}findings.json`, findings);
    await attachJson(testInfo, `${prefix}transcript.json`, record.transcript);
    if (record.bot) await attachText(testInfo, `${prefix}bot-output.txt`, record.bot.output || '(the bot printed nothing during this flow)');
  });
}

/** One `warning` annotation per rule: "[schema/undeclared] 5 times; first: step 5 (…): …". */
function warningAnnotations(warnings: readonly Finding[]): Array<{ type: 'warning'; description: string }> {
  const byRule = new Map<string, Finding[]>();
  for (const w of warnings) {
    const rule = w.rule ?? w.kind;
    byRule.set(rule, [...(byRule.get(rule) ?? []), w]);
  }
  return [...byRule].map(([rule, all]) => {
    const first = all[0]!;
    const where = first.step !== undefined ? `step ${first.step}${first.stepName ? ` (${first.stepName})` : ''}: ` : '';
    const count = all.length === 1 ? 'once' : `${all.length} times`;
    return { type: 'warning', description: `[${rule}] ${count}; first: ${where}${first.message}` };
  });
}
