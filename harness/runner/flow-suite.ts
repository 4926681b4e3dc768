/**
 * The Playwright side of `callreplay run`: one test per flow, one test.step per flow step, the
 * exchange attached to every test. A worker-scoped fixture starts the harness (gateway) and the
 * bot once per worker and stops both at the end, whatever happened.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { test as base, type TestInfo } from '@playwright/test';
import { formatFinding, type Finding } from '../engine/findings.js';
import { describeVariant, type FlowRun } from '../engine/flow-run.js';
import { AUTH_STATUS_RULE } from '../engine/auth-probe.js';
import { AUTH_VARIANTS, type AuthVariant } from '../engine/ports.js';
import type { CompiledFlow, CompiledStep } from '../engine/plan.js';
import { parseFlow } from '../flow/load-flow.js';
import { startBot, type BotUnderTest } from './bot-under-test.js';
import { renderSequenceDiagram } from '../report/sequence-diagram.js';
import { Harness } from './harness.js';
import { AUTH_CHECK_MODE, checkIds, NOT_RUN_ANNOTATION, RUN_WIDE_ANNOTATION, observersFor, readRunConfig, REFUSAL_MODE, VARIANT_MODE, type RunConfig } from './run-config.js';
import { REFUSAL_CHECK_TABLE, refusalCheckInfo, type RefusalCheck } from '../engine/refusal-checks.js';
import { ackLatencySummary, applicableVariants, variantInfo } from '../variants/index.js';

interface WorkerFixtures {
  callreplay: { harness: Harness; bot: BotUnderTest; config: RunConfig };
}

/** A step failure: its message is the finding, without a stack pointing into the harness. */
class FlowFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowFailure';
    this.stack = `${this.name}: ${message}`;
  }
}

const test = base.extend<object, WorkerFixtures>({
  callreplay: [
    async ({}, use) => {
      const config = readRunConfig();
      const harness = await Harness.start({
        transport: 'gateway',
        intercept: config.intercept,
        ports: config.ports,
        caDir: config.caDir,
        botAppId: config.appId,
        tenant: config.tenant,
        observers: observersFor(config.checks),
      });
      let bot: BotUnderTest | undefined;
      try {
        bot = await startBot(config.bot, harness);
        await use({ harness, bot, config });
      } finally {
        await bot?.process?.stop();
        await harness.close();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
});

/**
 * Declares the run's tests: per flow, the flow, its variants and its notification-auth check (a
 * flow that sends no notification gets a not-run entry instead); then the refusal checks, once per
 * run. A check turned off by a flag is a not-run entry too, so that the report names what was not
 * checked and why.
 */
export function defineFlowTests(): void {
  const config = readRunConfig();
  for (const file of config.flows) {
    const flow = parseFlow(readFileSync(file, 'utf8'), file);
    const annotation = (mode: string) => [
      { type: 'flow', description: flow.name },
      { type: 'flow-file', description: file },
      { type: 'suite', description: flow.suite },
      { type: 'mode', description: mode },
      { type: 'bot', description: config.bot.label },
      { type: 'checks', description: checkIds(config.checks).join(', ') || 'none' },
    ];
    test(`${flow.name}: ${flow.description}`, { annotation: annotation(config.intercept.join('+')) }, async ({ callreplay }, testInfo) => {
      test.setTimeout(flowBudgetMs(flow));
      await runFlowAsTest(flow, callreplay.harness, callreplay.bot, testInfo);
    });
    for (const variant of applicableVariants(flow, config.checks.variants)) {
      const kind = variant.variant.kind;
      const variantAnnotation = [...annotation(VARIANT_MODE), { type: 'variant', description: kind }];
      test(`${variant.name}: ${variantInfo(kind).doc}`, { annotation: variantAnnotation }, async ({ callreplay }, testInfo) => {
        test.setTimeout(flowBudgetMs(variant));
        await runFlowAsTest(variant, callreplay.harness, callreplay.bot, testInfo);
      });
    }
    const firstNotification = flow.steps.findIndex((s) => s.kind === 'notify');
    if (config.authCheck && firstNotification >= 0) {
      test(`${flow.name}: notification auth`, { annotation: annotation(AUTH_CHECK_MODE) }, async ({ callreplay }, testInfo) => {
        const before = flow.steps.slice(0, firstNotification + 1).reduce((sum, s) => sum + s.timeoutMs, 0);
        test.setTimeout(AUTH_VARIANTS.length * (before + 300) + 15_000);
        await checkNotificationAuth(flow, callreplay.harness, callreplay.bot, testInfo);
      });
    } else if (config.authCheck) {
      notRun(`${flow.name}: notification auth`, annotation(AUTH_CHECK_MODE), 'the flow sends no notification');
    }

  }
  const runAnnotation = (mode: string) => [
    { type: 'flow', description: mode },
    { type: RUN_WIDE_ANNOTATION, description: 'a check of the run, not of one flow' },
    { type: 'mode', description: mode },
    { type: 'bot', description: config.bot.label },
  ];
  if (config.refusalChecks) {
    for (const info of REFUSAL_CHECK_TABLE) {
      const annotation = [...runAnnotation(REFUSAL_MODE), { type: 'check', description: info.check }];
      test(`refusal: ${info.check}: ${info.sends}; the bot must give ${info.expects}`, { annotation }, async ({ callreplay }, testInfo) => {
        await checkRefusal(info.check, callreplay.harness, callreplay.bot, testInfo);
      });
    }
  } else notRun('refusal checks', runAnnotation(REFUSAL_MODE), '--no-refusal-checks');
  if (!config.authCheck) notRun('notification auth', runAnnotation(AUTH_CHECK_MODE), '--no-auth-check');
  if (config.checks.variants.length === 0) notRun('robustness variants', runAnnotation(VARIANT_MODE), '--variants none');

}


/**
 * Sends the flow's first notification with each broken token; the bot must refuse every one
 * (401/403) and act on none. All variants run (unless the flow fails before its first
 * notification: then once is enough); the test then fails naming the accepted ones.
 */
async function checkNotificationAuth(flow: CompiledFlow, harness: Harness, bot: BotUnderTest, testInfo: TestInfo): Promise<void> {
  const outputMark = bot.process?.mark() ?? 0;
  const failed: Array<{ variant: AuthVariant; finding: Finding }> = [];
  const probeStep = flow.steps.findIndex((s) => s.kind === 'notify') + 1;
  for (const variant of AUTH_VARIANTS) {
    if (failed.some((f) => (f.finding.step ?? probeStep) < probeStep)) break; // the flow cannot get to its first notification
    await test
      .step(`refuses ${describeVariant(variant)}`, async () => {
        const outcome = await harness.probeAuth(flow, bot.webhookUrl, variant, bot.process?.liveness(outputMark));
        await attachJson(testInfo, `transcript-${variant}.json`, outcome.transcript);
        const finding = outcome.findings[0];
        if (finding) {
          failed.push({ variant, finding });
          throw new FlowFailure(formatFinding(finding));
        }
      }, { box: true })
      .catch(() => undefined); // the step is marked failed in the report; go on with the next variant
  }
  await attachJson(testInfo, 'findings.json', failed.map((f) => f.finding));
  if (bot.process) await attachText(testInfo, 'bot-output.txt', bot.process.logSince(outputMark));
  if (failed.length > 0) {
    const accepted = failed.filter((f) => f.finding.kind === 'auth-accepted').map((f) => f.variant);
    const wrongStatus = failed.filter((f) => f.finding.rule === AUTH_STATUS_RULE).map((f) => f.variant);
    const lines = [
      accepted.length > 0
        ? `the bot accepted ${accepted.length} of ${AUTH_VARIANTS.length} notifications it must refuse: ${accepted.map(describeVariant).join('; ')}`
        : wrongStatus.length > 0
          ? `the bot refused ${wrongStatus.length} of ${AUTH_VARIANTS.length} notifications with a broken token with another status than 401 or 403: ${wrongStatus.map(describeVariant).join('; ')}`
          : failed.some((f) => (f.finding.step ?? probeStep) < probeStep)
          ? `the notification-auth check could not reach the flow's first notification (step ${probeStep}): the flow failed before it`
          : `the notification-auth check could not complete`,
      ...failed.map((f) => `[${f.variant}] ${formatFinding(f.finding)}`),
    ];
    throw new FlowFailure(lines.join('\n') + botNote(bot, outputMark));
  }
}

/** A test that is declared, reported as skipped, and says why the check did not run (annotation `not-run`). */
function notRun(title: string, annotation: Array<{ type: string; description: string }>, reason: string): void {
  test.skip(`${title}: not run (${reason})`, { annotation: [...annotation, { type: NOT_RUN_ANNOTATION, description: reason }] }, () => undefined);
}

/** One refusal check (refusal-checks.ts): the bot must refuse or ignore the delivery and act on nothing. */
async function checkRefusal(check: RefusalCheck, harness: Harness, bot: BotUnderTest, testInfo: TestInfo): Promise<void> {
  const outputMark = bot.process?.mark() ?? 0;
  if (bot.process && !bot.process.running) throw new FlowFailure(`the bot is not running (${bot.process.exitDescription})`);
  const outcome = await harness.probeRefusal(check, bot.webhookUrl, bot.process?.liveness(outputMark));
  await attachJson(testInfo, 'findings.json', outcome.findings);
  await attachJson(testInfo, 'transcript.json', outcome.transcript);
  if (bot.process) await attachText(testInfo, 'bot-output.txt', bot.process.logSince(outputMark) || '(the bot printed nothing during this check)');
  const finding = outcome.findings[0];
  if (finding) throw new FlowFailure(`${formatFinding(finding)}\n  expected: ${refusalCheckInfo(check).expects} (${refusalCheckInfo(check).evidence})${botNote(bot, outputMark)}`);
}

async function attachJson(testInfo: TestInfo, name: string, value: unknown): Promise<void> {
  await attachText(testInfo, name, JSON.stringify(value, null, 2), 'application/json');
}

async function attachText(testInfo: TestInfo, name: string, body: string, contentType = 'text/plain'): Promise<void> {
  const path = testInfo.outputPath(name);
  await writeFile(path, body);
  await testInfo.attach(name, { path, contentType });
}

async function runFlowAsTest(flow: CompiledFlow, harness: Harness, bot: BotUnderTest, testInfo: TestInfo): Promise<void> {
  const outputMark = bot.process?.mark() ?? 0;
  const run = harness.createRun(flow, bot.webhookUrl, undefined, bot.process?.liveness(outputMark));
  try {
    if (bot.process && !bot.process.running) throw new FlowFailure(`the bot is not running (${bot.process.exitDescription})`);
    for (const step of run.steps) {
      await test.step(stepTitle(step), async () => {
        const outcome = await run.runStep(step.index);
        if (outcome.status === 'failed') throw new FlowFailure(formatFinding(outcome.finding!) + botNote(bot, outputMark));
      }, { box: true });
    }
    await test.step('no further requests', async () => {
      const outcome = await run.finish();
      if (outcome.status === 'failed') throw new FlowFailure(formatFinding(outcome.findings[0]!) + botNote(bot, outputMark));
    }, { box: true });
  } finally {
    harness.release(run);
    const acks = ackLatencySummary(run.transcript);
    testInfo.annotations.push({ type: 'ack-latency', description: JSON.stringify(acks) });
    await attachExchange(run, testInfo, bot.process?.logSince(outputMark));
  }
}

/** What the bot printed during this flow (last lines) and whether it is still running: shown beside the failing step. */
function botNote(bot: BotUnderTest, outputMark: number): string {
  if (!bot.process) return '';
  const lines = bot.process.logSince(outputMark).trimEnd().split('\n').filter(Boolean).slice(-BOT_OUTPUT_LINES);
  const exit = bot.process.running ? '' : `\n(the bot process ${bot.process.exitDescription})`;
  return `${exit}\n--- bot output during this flow${lines.length ? ` (last ${lines.length} lines)` : ''} ---\n${lines.join('\n') || '(nothing)'}`;
}

const BOT_OUTPUT_LINES = 15;

/** Attaches the exchange as files (the HTML report copies them into its data/ folder). */
async function attachExchange(run: FlowRun, testInfo: TestInfo, botOutput: string | undefined): Promise<void> {
  const findings: Finding[] = [...run.findings, ...run.warnings];
  await attachText(testInfo, 'sequence.html', renderSequenceDiagram(run.transcript, { findings }), 'text/html');
  await attachJson(testInfo, 'findings.json', findings);
  await attachJson(testInfo, 'transcript.json', run.transcript);
  if (botOutput !== undefined) await attachText(testInfo, 'bot-output.txt', botOutput || '(the bot printed nothing during this flow)');
}

export function stepTitle(step: CompiledStep): string {
  const n = `${step.index + 1}.`;
  switch (step.kind) {
    case 'notify':
      return `${n} notify: ${step.name}`;
    case 'expect':
      return `${n} expect ${step.method} ${step.pathTemplate} (${step.name})`;
    case 'unordered':
      return `${n} expect in any order: ${step.name}`;
    case 'trigger':
      return `${n} trigger: ${step.name}`;
  }
}

/** A test timeout that lets every step use its own timeout, plus slack. */
function flowBudgetMs(flow: CompiledFlow): number {
  return flow.steps.reduce((sum, s) => sum + s.timeoutMs, 0) + flow.quietMs + 15_000;
}
