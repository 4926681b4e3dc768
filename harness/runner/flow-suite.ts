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
import type { BaseVerdict, BotSnapshot, RunRecord, RunRef, SessionApi } from './session-api.js';
import { SESSION_ENV, sessionClient } from './session-rpc.js';
import { attachJson, attachText, FlowFailure, botNote, checkNotificationAuth, checkRefusal } from './check-tests.js';
import type { PlannedRun, TestPlan } from './test-plan.js';

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
    { scope: 'worker', timeout: 120_000 },
  ],
});

/**
 * Declares the run's tests from its plan (test-plan.ts): per flow, a group of the flow, its
 * variants and its notification-auth check (a flow that sends no notification gets a not-run entry
 * instead); then the refusal checks, once per run. A check turned off by a flag, or whose flow
 * failed, is a not-run entry, so that the report names what was not checked and why.
 */
export function defineFlowTests(): void {
  const config = readRunConfig();
  const plan = JSON.parse(readFileSync(config.planFile, 'utf8')) as TestPlan;
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
    test.describe(flow.name, () => {
      // in order, in one worker: the variants and the auth check learn how the flow itself did
      test.describe.configure({ mode: 'default' });
      test(flow.flow.title, { annotation: annotation(config.intercept.join('+')) }, async ({ session }, testInfo) => {
        test.setTimeout(flow.flow.timeoutMs);
        await runFlowAsTest(flow.flow, { flowFile: flow.file }, session, testInfo, true);
      });
      for (const variant of flow.variants) {
        const variantAnnotation = [...annotation(VARIANT_MODE), { type: 'variant', description: variant.variant! }];
        test(variant.title, { annotation: variantAnnotation }, async ({ session }, testInfo) => {
          test.setTimeout(variant.timeoutMs);
          if (await skippedAfterBase(session, flow.name, testInfo)) return;
          await runFlowAsTest(variant, { flowFile: flow.file, variant: variant.variant }, session, testInfo, false);
        });
      }
      const authCheck = flow.authCheck;
      if (config.authCheck && authCheck) {
        test(`${flow.name}: notification auth`, { annotation: annotation(AUTH_CHECK_MODE) }, async ({ session }, testInfo) => {
          test.setTimeout(authCheck.timeoutMs);
          if (await skippedAfterBase(session, flow.name, testInfo)) return;
          await checkNotificationAuth(plan, flow.file, authCheck.probeStep, session, testInfo);
        });
      } else if (config.authCheck) {
        notRun(`${flow.name}: notification auth`, annotation(AUTH_CHECK_MODE), 'the flow sends no notification');
      }
    });
  }
  const runAnnotation = (mode: string) => [
    { type: 'flow', description: mode },
    { type: RUN_WIDE_ANNOTATION, description: 'a check of the run, not of one flow' },
    { type: 'mode', description: mode },
    { type: 'bot', description: config.bot.label },
  ];
  if (config.refusalChecks) {
    for (const info of plan.refusalChecks) {
      const annotation = [...runAnnotation(REFUSAL_MODE), { type: 'check', description: info.check }];
      test(`refusal: ${info.check}: ${info.sends}; the bot must give ${info.expects}`, { annotation }, async ({ session }, testInfo) => {
        await checkRefusal(info, session, testInfo);
      });
    }
  } else notRun('refusal checks', runAnnotation(REFUSAL_MODE), '--no-refusal-checks');
  if (!config.authCheck) notRun('notification auth', runAnnotation(AUTH_CHECK_MODE), '--no-auth-check');
  if (config.checks.variants.length === 0) notRun('robustness variants', runAnnotation(VARIANT_MODE), '--variants none');
}

/** A test that is declared, reported as skipped, and says why the check did not run (annotation `not-run`). */
function notRun(title: string, annotation: Array<{ type: string; description: string }>, reason: string): void {
  test.skip(`${title}: not run (${reason})`, { annotation: [...annotation, { type: NOT_RUN_ANNOTATION, description: reason }] }, () => undefined);
}

/** One cause, one red row: after the flow itself failed, its variants and auth check are not run. */
async function skippedAfterBase(session: SessionApi, flow: string, testInfo: TestInfo): Promise<boolean> {
  const verdict = await session.baseVerdict(flow);
  if (verdict?.status !== 'failed') return false;
  const reason = `its flow ${verdict.summary ?? 'failed'}`;
  testInfo.annotations.push({ type: NOT_RUN_ANNOTATION, description: reason });
  test.skip(true, reason);
  return true;
}

/**
 * Plays one flow (or variant) step by step. When it fails while other calls were in flight, it is
 * played again alone: passing then is a finding of its own (kind 'overlap'); failing again is
 * reported from the lone run, whose verdict does not depend on the schedule.
 */
async function runFlowAsTest(flow: PlannedRun, ref: RunRef, session: SessionApi, testInfo: TestInfo, isBase: boolean): Promise<void> {
  let verdict: BaseVerdict = { flow: flow.name, status: 'failed', summary: 'did not complete' };
  try {
    const started = await session.startRun(ref);
    if (started.botRestarted) testInfo.annotations.push({ type: 'bot-restarted', description: started.botRestarted });
    let failure: { finding: Finding; bot?: BotSnapshot } | undefined;
    let record: RunRecord | undefined;
    try {
      for (const step of flow.steps) {
        await test.step(step.title, async () => {
          const { outcome, bot } = await session.runStep(started.id, step.index);
          if (outcome.status === 'failed') {
            failure = { finding: outcome.finding!, bot };
            throw new FlowFailure(formatFinding(outcome.finding!) + botNote(bot));
          }
        }, { box: true }).catch(() => undefined); // marked failed in the report; decided below
        if (failure) break;
      }
      if (!failure) {
        await test.step('no further requests', async () => {
          const { outcome, bot } = await session.finish(started.id);
          if (outcome.status === 'failed') {
            failure = { finding: outcome.findings[0]!, bot };
            throw new FlowFailure(formatFinding(outcome.findings[0]!) + botNote(bot));
          }
        }, { box: true }).catch(() => undefined);
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
    if (record.overlapped === 0) throw new FlowFailure(formatFinding(failure.finding) + botNote(failure.bot));
    await playAlone(flow, ref, session, testInfo, failure.finding, record, (v) => (verdict = v));
  } finally {
    if (isBase) await session.settleBase(verdict);
  }
}

async function playAlone(flow: PlannedRun, ref: RunRef, session: SessionApi, testInfo: TestInfo, first: Finding, overlappedRecord: RunRecord, settle: (v: BaseVerdict) => void): Promise<void> {
  const overlapped = overlappedRecord.overlapped;
  const alone = await test.step(`played again alone (it failed while ${overlapped} other call(s) were in flight)`, async () => {
    return session.runAlone(ref);
  });
  const lone = alone.outcome.findings[0];
  if (lone) {
    await attachRecord(alone.record, testInfo, '');
    settle(failedVerdict(flow, lone));
    const before = lone.message === first.message ? 'the same failure as with other calls in flight' : `with other calls in flight it had failed otherwise: ${first.message}`;
    throw new FlowFailure(`${formatFinding(lone)}\n(played again alone: ${before})${botNote(alone.bot)}`);
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
    testInfo.annotations.push({ type: 'warning', description: formatFinding(warning) });
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
  throw new FlowFailure(formatFinding(finding));
}

function failedVerdict(flow: PlannedRun, finding: Finding): BaseVerdict {
  const step = finding.step !== undefined ? flow.steps[finding.step - 1] : undefined;
  const where = step ? `failed at step ${finding.step}: ${step.name}` : finding.step !== undefined ? `failed at step ${finding.step}` : 'failed after its last step';
  return { flow: flow.name, status: 'failed', failedStep: finding.step, summary: where };
}

/** Attaches a run's exchange as files (the HTML report copies them into its data/ folder). */
async function attachRecord(record: RunRecord, testInfo: TestInfo, prefix: string): Promise<void> {
  const findings: Finding[] = [...record.findings, ...record.warnings];
  if (prefix === '') testInfo.annotations.push({ type: 'ack-latency', description: JSON.stringify(ackLatencySummary(record.transcript)) });
  await attachText(testInfo, `${prefix}sequence.html`, renderSequenceDiagram(record.transcript, { findings }), 'text/html');
  await attachJson(testInfo, `${prefix}findings.json`, findings);
  await attachJson(testInfo, `${prefix}transcript.json`, record.transcript);
  if (record.bot) await attachText(testInfo, `${prefix}bot-output.txt`, record.bot.output || '(the bot printed nothing during this flow)');
}
