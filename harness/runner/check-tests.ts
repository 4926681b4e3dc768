/**
 * The checks of a run beside its flows, as Playwright test bodies: notification auth (per flow)
 * and the refusal checks (once per run); and what every test body shares (attachments, the
 * failure type, the bot's output beside a failure).
 */
import { writeFile } from 'node:fs/promises';
import { test, type TestInfo } from '@playwright/test';
import { formatFinding, type Finding } from '../engine/findings.js';
import type { AuthVariant } from '../engine/ports.js';
import type { BotSnapshot, ProbeResult, SessionApi } from './session-api.js';
import { untagged, type TestPlan } from './test-plan.js';
import { pointAt, type FlowLocation } from './flow-location.js';
import { stepSections, stepText, type StepTextInput } from './step-report.js';
import { safeJson, safeText } from '../report/report-safe.js';
import { botNote } from './bot-note.js';

/** A step failure: its message is the finding, without a stack pointing into the harness. */
export class FlowFailure extends Error {
  constructor(text: string) {
    // it reaches the HTML report's data, results.json and junit.xml: secrets shortened (the bot's output beside it prints tokens)
    const message = safeText(text);
    super(message);
    this.name = 'FlowFailure';
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Sends the flow's first notification with each broken token; the bot must refuse every one
 * (401/403) and act on none. The probes run at once; the test then fails naming the accepted ones.
 */
export async function checkNotificationAuth(plan: TestPlan, flowFile: string, probeStep: number, session: SessionApi, testInfo: TestInfo, at: FlowLocation): Promise<void> {
  const failed: Array<{ variant: AuthVariant; finding: Finding }> = [];
  const outputs: string[] = [];
  const broken: string[] = [];
  let lastBot: BotSnapshot | undefined;
  const AUTH_VARIANTS = plan.authVariants.map((v) => v.variant);
  const describeVariant = (variant: AuthVariant) => plan.authVariants.find((v) => v.variant === variant)!.description;
  const probe = (variant: AuthVariant) =>
    test
      .step(untagged(`refuses ${describeVariant(variant)}`), async () => {
        const result: ProbeResult = await session.probeAuth(flowFile, variant);
        if (result.botRestarted) testInfo.annotations.push({ type: 'bot-restarted', description: result.botRestarted });
        const { transcript } = result.outcome;
        const finding = result.outcome.findings[0];
        const entries = transcript.entries.filter((e) => !e.kind.startsWith('token'));
        const title = `the flow up to its first notification (step ${probeStep}), that notification with ${describeVariant(variant)}`;
        await showStepDetail(testInfo, { title, flowFile, at, entries, idNames: transcript.idNames, finding: finding && formatFinding(finding) }, `probe-${variant}.txt`);
        await attachJson(testInfo, `transcript-${variant}.json`, transcript);
        if (result.bot) {
          lastBot = result.bot;
          if (result.bot.output) outputs.push(`--- ${variant} ---\n${result.bot.output}`);
        }
        if (finding) {
          failed.push({ variant, finding });
          throw pointAt(new FlowFailure(formatFinding(finding)), at);
        }
      }, { location: at })
      // the step is marked failed in the report; go on with the next variant. A probe that could not
      // be played at all (the session broke) is no refusal: the check fails on it, never passes
      .catch((err: unknown) => {
        if (!(err instanceof FlowFailure)) broken.push(err instanceof Error ? err.message : String(err));
      });
  // all at once, so the check waits one watch window, not two (its flow passed just before: it reaches
  // its first notification, and if it does not now, every probe says the same and one is reported)
  await Promise.all(AUTH_VARIANTS.map(probe));
  const beforeProbe = (f: { finding: Finding }) => (f.finding.step ?? probeStep) < probeStep;
  const unreachable = () => failed.some(beforeProbe);
  failed.sort((a, b) => AUTH_VARIANTS.indexOf(a.variant) - AUTH_VARIANTS.indexOf(b.variant)); // in the order of the check, not of completion
  if (failed.length > 1 && failed.every(beforeProbe)) failed.splice(1); // the same story eight times: told once
  await attachJson(testInfo, 'findings.json', failed.map((f) => f.finding));
  if (lastBot) await attachText(testInfo, 'bot-output.txt', outputs.join('\n') || '(the bot printed nothing during this check)');
  if (broken.length > 0 && failed.length === 0) throw new Error(`the notification-auth check could not be played: ${broken[0]}`);
  if (failed.length === 0) return;
  const accepted = failed.filter((f) => f.finding.kind === 'auth-accepted').map((f) => f.variant);
  const wrongStatus = failed.filter((f) => f.finding.rule === plan.authStatusRule).map((f) => f.variant);
  const lines = [
    accepted.length > 0
      ? `the bot accepted ${accepted.length} of ${AUTH_VARIANTS.length} notifications it must refuse: ${accepted.map(describeVariant).join('; ')}`
      : wrongStatus.length > 0
        ? `the bot refused ${wrongStatus.length} of ${AUTH_VARIANTS.length} notifications with a broken token with another status than 401 or 403: ${wrongStatus.map(describeVariant).join('; ')}`
        : unreachable()
          ? `the notification-auth check could not reach the flow's first notification (step ${probeStep}): the flow failed before it`
          : `the notification-auth check could not complete`,
    ...failed.map((f) => `[${f.variant}] ${formatFinding(f.finding)}`),
  ];
  throw pointAt(new FlowFailure(lines.join('\n') + botNote(lastBot)), at);
}

/** One refusal check (refusal-checks.ts): the bot must refuse or ignore the delivery and act on nothing. */
export async function checkRefusal(info: TestPlan['refusalChecks'][number], session: SessionApi, testInfo: TestInfo, at: FlowLocation | undefined): Promise<void> {
  const result = await session.probeRefusal(info.check);
  if (result.botRestarted) testInfo.annotations.push({ type: 'bot-restarted', description: result.botRestarted });
  await attachJson(testInfo, 'findings.json', result.outcome.findings);
  await attachJson(testInfo, 'transcript.json', result.outcome.transcript);
  if (result.bot) await attachText(testInfo, 'bot-output.txt', result.bot.output || '(the bot printed nothing during this check)');
  const finding = result.outcome.findings[0];
  if (finding) {
    const failure = new FlowFailure(`${formatFinding(finding)}\n  expected: ${info.expects} (${info.evidence})${botNote(result.bot)}`);
    throw at ? pointAt(failure, at) : failure;
  }
}

/**
 * Shows, inside the running step, what happened at it: one nested step for the step as the flow
 * file writes it, one per message, and one for what went wrong (the report lists them under the
 * step when it is expanded); a failing step also gets the whole text as `attachment`.
 */
export async function showStepDetail(testInfo: TestInfo, input: StepTextInput, attachment: string): Promise<void> {
  const sections = stepSections(input);
  // lines, not checks: they pass (the step itself fails), so a console reporter names the step, not a line
  // (step titles make no tag chips, so bodies keep their `@odata.type` as the bot sent it)
  const line = (title: string) => test.step(title, async () => {});
  if (sections.expected) await line(`expected: ${sections.expected}`);
  for (const message of sections.exchange) await line(message);
  if (sections.finding) {
    await line(sections.finding);
    await attachText(testInfo, attachment, stepText(input));
  }
}

export async function attachJson(testInfo: TestInfo, name: string, value: unknown): Promise<void> {
  // bodies over the cap cut, secrets shortened (report/report-safe.ts); attachText's own pass is then a no-op
  await attachText(testInfo, name, safeJson(value), 'application/json');
}

export async function attachText(testInfo: TestInfo, name: string, body: string, contentType = 'text/plain'): Promise<void> {
  const path = testInfo.outputPath(name);
  // every report file passes here: no token or secret the bot sent or printed is written whole
  await writeFile(path, safeText(body));
  await testInfo.attach(name, { path, contentType });
}
