// The call-state rules (harness/rules): each rule is broken by one bot (tests/fixtures/rule-defects.ts)
// that still passes the flow's own matching, and the finding names the rule; the reference bot passes
// every shipped flow with the rules on; docs/rules.md is the table rendered from RULES. The time-based
// rules run on a ManualClock (tests/fixtures/manual-clock.ts): no test waits for, or races, real time.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { FlowRun, type FlowOutcome } from '../harness/engine/flow-run.js';
import { formatFinding, type Finding } from '../harness/engine/findings.js';
import type { CompiledFlow } from '../harness/engine/plan.js';
import type { HttpClient, InboundRequest } from '../harness/engine/ports.js';
import { loadFlowFile, parseFlow } from '../harness/flow/load-flow.js';
import { classifyRequest } from '../harness/rules/call-state.js';
import { RULES, callStateRules, rulesMarkdownTable, type CallStateRules, type RuleOptions } from '../harness/rules/rules.js';
import { Harness } from '../harness/runner/harness.js';
import type { ReferenceBot } from '../examples/reference-bot/bot.js';
import type { RunObserver } from '../harness/engine/run-types.js';
import { ruleBots, type RuleBot } from './fixtures/rule-defects.js';
import { ManualClock, advanceAt } from './fixtures/manual-clock.js';
import { recordingsDir, shippedFlow } from './fixtures/in-process.js';

const docsFile = join(import.meta.dirname, '..', 'docs', 'rules.md');

interface RulesRun {
  outcome: FlowOutcome;
  observer: CallStateRules;
}

/** Time for a run: the rules read `clock`; `advances` (advanceAt) move it; `bot` sets the bot up (e.g. its cold start). */
interface Timing {
  clock: ManualClock;
  advances?: (clock: ManualClock) => RunObserver[];
  bot?: (bot: ReferenceBot, clock: ManualClock) => void;
}

/** Runs `flow` against one of the rule bots in-process (nock) with the call-state rules on. */
async function runWithRules(flow: CompiledFlow, botName: RuleBot, options: RuleOptions = {}, timing?: Timing): Promise<RulesRun> {
  let observer: CallStateRules | undefined;
  const rulesOptions = timing ? { ...options, now: timing.clock.now } : options;
  const harness = await Harness.start({ transport: 'nock', observers: () => [...(timing?.advances?.(timing.clock) ?? []), (observer = callStateRules(rulesOptions))] });
  const env = { PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId };
  const bot = new ruleBots[botName](configFromEnv(env));
  if (timing?.bot) timing.bot(bot, timing.clock);
  try {
    await bot.start();
    const outcome = await harness.run(flow, bot.url);
    return { outcome, observer: observer! };
  } finally {
    await bot.stop();
    await harness.close();
  }
}

// ------------------------------------------------------------------ inline flows

const incoming = (call: string) => `
  - notify:
      name: incoming call
      body:
        value:
          - changeType: created
            resource: /app/calls/\${${call}:hex}
            resourceData:
              '@odata.type': '#microsoft.graph.call'
              state: incoming
              direction: incoming
              tenantId: \${tenant}
              source: { identity: { user: { displayName: Test User, id: '\${caller}', tenantId: '\${tenant}' } } }
              targets: [ { identity: { application: { id: '\${botAppId}' } } } ]
              requestedModalities: [audio]
`;
const callState = (name: string, call: string, state: string, extra = '') =>
  `  - notify: { name: ${name},${extra} body: { value: [ { changeType: updated, resource: '/app/calls/\${${call}:hex}', resourceData: { '@odata.type': '#microsoft.graph.call', state: ${state} } } ] } }\n`;
const header = (name: string, ids: string, quiet = 400) => `callreplay: 1\nname: ${name}\ndescription: ${name}\napi: beta\nunmatched: ignore\nquiet: ${quiet}\nids: [${ids}]\nsteps:\n`;

/**
 * Incoming call answered and established (Graph's PascalCase state), then the call ends; the flow
 * waits for a keepAlive once the call is terminated (a bot that sends one is caught however slow it is).
 */
const P2P_ENDS =
  header('rules-p2p-ends', 'call, caller, tenant') +
  incoming('call') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${call}/answer', respond: { status: 202 } }\n` +
  callState('call establishing', 'call', 'establishing') +
  callState('call established', 'call', 'Established') +
  callState('call terminated', 'call', 'terminated') +
  `  - expect: { name: keepAlive, method: POST, path: '/beta/app/calls/\${call}/keepAlive' }\n` +
  `  - notify: { name: call deleted, body: { value: [ { changeType: deleted, resource: '/app/calls/\${call:hex}', resourceData: { '@odata.type': '#microsoft.graph.call' } } ] } }\n`;

/** Incoming call answered; the bot plays a prompt before Graph reports the call establishing (the flow waits for it). */
const P2P_PROMPT_EARLY =
  header('rules-p2p-prompt-early', 'call, caller, tenant', 200) +
  incoming('call') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${call}/answer', respond: { status: 202 } }\n` +
  `  - expect: { name: prompt, method: POST, path: '/beta/app/calls/\${call}/playPrompt' }\n` +
  callState('call establishing', 'call', 'establishing') +
  callState('call established', 'call', 'established');

const rosterUpdate = (name: string) => `  - notify: { name: ${name}, body: { value: [ { changeType: updated, resource: '/app/calls/\${call:hex}/participants', resourceData: [] } ] } }\n`;
const keepAlive = (name: string) => `  - expect: { name: ${name}, method: POST, path: '/beta/app/calls/\${call}/keepAlive' }\n`;
const P2P_ESTABLISHED =
  incoming('call') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${call}/answer', respond: { status: 202 } }\n` +
  callState('call establishing', 'call', 'establishing') +
  callState('call established', 'call', 'established');

/** Incoming call answered and established; two roster updates follow (the tests put 30 minutes before each). */
const P2P_ROSTERS = header('rules-p2p-rosters', 'call, caller, tenant', 100) + P2P_ESTABLISHED + rosterUpdate('roster update 1') + rosterUpdate('roster update 2');

/** P2P_ROSTERS where the bot answers each roster update with a keepAlive (the flow waits for it). */
const P2P_ROSTERS_KEPT_ALIVE =
  header('rules-p2p-rosters-kept-alive', 'call, caller, tenant', 100) +
  P2P_ESTABLISHED +
  rosterUpdate('roster update 1') +
  keepAlive('keepAlive 1') +
  rosterUpdate('roster update 2') +
  keepAlive('keepAlive 2');

const MEETING_START =
  incoming('p2pCall') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${p2pCall}/answer', respond: { status: 202 } }\n` +
  callState('p2p call established', 'p2pCall', 'established') +
  `  - expect: { name: join meeting, method: POST, path: /beta/app/calls, respond: { status: 201, headers: { Location: '\${graph}/beta/app/calls/\${meetingCall:hex}' } } }\n`;
const invite = `  - expect: { name: invite, method: POST, path: '/beta/app/calls/\${meetingCall}/participants/invite' }\n`;

/** The transfer up to the meeting call being established, then the invite (its content is left to the rules). */
const P2P_TO_MEETING =
  header('rules-p2p-to-meeting', 'p2pCall, meetingCall, caller, tenant', 200) +
  MEETING_START +
  callState('meeting call establishing', 'meetingCall', 'establishing') +
  callState('meeting call established', 'meetingCall', 'established') +
  invite;

/** The transfer where the invite comes before Graph reports the meeting call establishing (the flow waits for it). */
const P2P_INVITE_EARLY =
  header('rules-p2p-invite-early', 'p2pCall, meetingCall, caller, tenant', 200) +
  MEETING_START +
  invite +
  callState('meeting call establishing', 'meetingCall', 'establishing') +
  callState('meeting call established', 'meetingCall', 'established');

/** An incoming call the bot redirects; Graph then deletes it. */
const REDIRECT =
  header('rules-redirect', 'call, caller, tenant', 200) +
  incoming('call') +
  `  - expect: { name: redirect, method: POST, path: '/beta/app/calls/\${call}/redirect', respond: { status: 202 } }\n` +
  `  - notify: { name: call deleted, body: { value: [ { changeType: Deleted, resource: '/app/calls/\${call:hex}', resourceData: { '@odata.type': '#microsoft.graph.call', state: Terminated } } ] } }\n`;

/** The bot joins a meeting through its API; once established, what it does is left to the rules. */
const API_MEETING =
  header('rules-api-meeting', 'meetingCall, organizer, tenant, thread', 500) +
  `  - trigger: { name: ask the bot to join, method: POST, path: /api/join-meeting, body: { threadId: '19:meeting_\${thread:hex}@thread.v2', messageId: '0', organizerId: '\${organizer}', tenantId: '\${tenant}', api: beta-app } }\n` +
  `  - expect: { name: join, method: POST, path: /beta/app/calls, respond: { status: 201, headers: { Location: '\${graph}/beta/app/calls/\${meetingCall:hex}' } } }\n` +
  callState('meeting call established', 'meetingCall', 'established') +
  invite;

const inline = (yaml: string) => async () => parseFlow(yaml, 'inline.yaml');
const shipped = (name: string) => async () => shippedFlow(name);

// ------------------------------------------------------------------ one defective bot per rule

interface Case {
  title: string;
  bot: RuleBot;
  flow: () => Promise<CompiledFlow>;
  options?: RuleOptions;
  /** a ManualClock for the time-based rules, made per run */
  timing?: () => Timing;
  rule: string;
  /** the name of the step the finding names */
  step: string;
  kind: Finding['kind'];
  message: RegExp;
}

const cases: Case[] = [
  {
    title: 'answering the call again once it is established',
    bot: 'answer-twice',
    flow: shipped('answer-incoming-call'),
    rule: 'state/answer-while-incoming',
    step: 'call established',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/answer was sent while call \{call\} is established \(the bot already sent POST \/beta\/app\/calls\/\{call\}\/answer at step 2\)/,
  },
  {
    title: 'a prompt after the answer, before the call is established',
    bot: 'prompt-before-established',
    flow: inline(P2P_PROMPT_EARLY),
    rule: 'state/established-only',
    step: 'prompt',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/playPrompt was sent while call \{call\} is incoming \(answered, not yet established\): Graph accepts media actions only on an established call/,
  },
  {
    title: 'an invite on the meeting call before it is established',
    bot: 'invite-before-established',
    flow: inline(P2P_INVITE_EARLY),
    rule: 'state/established-only',
    step: 'invite',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite was sent while call \{meetingCall\} is establishing: Graph accepts invites only on an established call/,
  },
  {
    title: 'a keepAlive after the call ended',
    bot: 'keepalive-after-end',
    flow: inline(P2P_ENDS),
    rule: 'state/after-terminated',
    step: 'keepAlive',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/keepAlive was sent after call \{call\} was terminated \(step 5\): Graph answers 404 \/ 8522/,
  },
  {
    title: 'an answer later than the deadline',
    bot: 'slow-answer',
    flow: shipped('answer-incoming-call'),
    timing: () => ({ clock: new ManualClock(), bot: (bot, clock) => ((bot as InstanceType<typeof ruleBots['slow-answer']>).coldStart = () => clock.advance(20_000)) }),
    rule: 'timing/answer-deadline',
    step: 'answer with service-hosted media',
    kind: 'incorrect',
    message: /^POST \/beta\/app\/calls\/\{call\}\/answer came 20 s after the incoming-call notification of call \{call\} \(deadline 15 s\)/,
  },
  {
    title: 'no keepAlive on an established call (the reference bot sends none)',
    bot: 'reference',
    flow: inline(P2P_ROSTERS),
    timing: () => ({ clock: new ManualClock(), advances: (clock) => [advanceAt(clock, 'roster update 1', 30 * 60_000), advanceAt(clock, 'roster update 2', 30 * 60_000)] }),
    rule: 'timing/keepalive',
    step: 'roster update 2',
    kind: 'missing',
    message: /^call \{call\} got no keepAlive for 60 min since it was established \(\d+ ms into the run\) \(limit 45 min\)/,
  },
  {
    title: 'an invite whose replacesCallId names the meeting call itself',
    bot: 'replaces-own-call',
    flow: inline(P2P_TO_MEETING),
    rule: 'invite/replaces-call-id',
    step: 'invite',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite has replacesCallId naming call \{meetingCall\}, the call the invite is posted on/,
  },
  {
    title: 'an invite with replacesCallId and two participants',
    bot: 'replaces-with-two-participants',
    flow: inline(P2P_TO_MEETING),
    rule: 'invite/replaces-call-id',
    step: 'invite',
    kind: 'incorrect',
    message: /participants\/invite has replacesCallId p2pCall \([0-9a-fA-F-]{32,36}\) and 2 participants: an invite that replaces a call invites exactly one participant/,
  },
  {
    title: 'an invite with replacesCallId naming no call of the run',
    bot: 'replaces-unknown-call',
    flow: inline(P2P_TO_MEETING),
    rule: 'invite/replaces-call-id',
    step: 'invite',
    kind: 'incorrect',
    message: /participants\/invite has replacesCallId "[0-9a-f-]{36}", which is not a call of this run/,
  },
  {
    title: 'playPrompt with 21 prompts',
    bot: 'twenty-one-prompts',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/play-prompt-prompts',
    step: 'call established',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/playPrompt has 21 prompts: playPrompt takes 1 to 20 prompts/,
  },
  {
    title: 'a clientContext of 300 characters',
    bot: 'long-client-context',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/client-context',
    step: 'call established',
    kind: 'incorrect',
    message: /playPrompt has a clientContext of 300 characters: Graph allows at most 256/,
  },
  {
    title: 'recordResponse with two prompts',
    bot: 'record-two-prompts',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/record-response-prompts',
    step: 'call established',
    kind: 'incorrect',
    message: /recordResponse has 2 prompts: recordResponse takes at most 1 prompt/,
  },
  {
    title: 'recordResponse for 300 s',
    bot: 'record-too-long',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/record-response-durations',
    step: 'call established',
    kind: 'incorrect',
    message: /recordResponse has maxRecordDurationInSeconds 300: Graph takes whole seconds from 1 to 120/,
  },
  {
    title: 'a redirect to 26 targets',
    bot: 'redirect-twenty-six-targets',
    flow: inline(REDIRECT),
    rule: 'limits/redirect-targets',
    step: 'redirect',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/redirect has 26 targets: redirect takes 1 to 25 targets/,
  },
  {
    title: 'a redirect with a 10 s timeout',
    bot: 'redirect-short-timeout',
    flow: inline(REDIRECT),
    rule: 'limits/redirect-timeout',
    step: 'redirect',
    kind: 'incorrect',
    message: /redirect has timeout 10: Graph takes whole seconds from 15 to 90/,
  },
  {
    title: 'an invite of six participants',
    bot: 'invite-six',
    flow: inline(API_MEETING),
    rule: 'limits/invite-participants',
    step: 'invite',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite has 6 participants: an invite takes 1 to 5 participants/,
  },
];

for (const c of cases) {
  test(`[${c.rule}] ${c.title}`, async () => {
    const flow = await c.flow();
    const { outcome } = await runWithRules(flow, c.bot, c.options, c.timing?.());
    expect(outcome.status, outcome.findings.map(formatFinding).join('\n')).toBe('failed');
    expect(outcome.findings).toHaveLength(1);
    const f = outcome.findings[0]!;
    expect(f.rule, formatFinding(f)).toBe(c.rule);
    expect(f.kind).toBe(c.kind);
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(c.message);
    expect(formatFinding(f)).toContain(`[${c.rule}] `);
    expect({ step: f.step, stepName: f.stepName }).toEqual({ step: flow.steps.findIndex((s) => s.name === c.step) + 1, stepName: c.step });
    if (c.kind === 'incorrect') {
      expect(f.received?.method).toBe('POST');
      expect(outcome.transcript.entries.some((e) => e.kind === 'request' && e.failed)).toBe(true);
    }
  });
}

test('[invite/replaces-remote-party] inviting somebody other than the caller is a warning, not a failure', async () => {
  const { outcome } = await runWithRules(await inline(P2P_TO_MEETING)(), 'replaces-with-wrong-party');
  expect(outcome.status, outcome.findings.map(formatFinding).join('\n')).toBe('passed');
  expect(outcome.warnings).toHaveLength(1);
  const w = outcome.warnings[0]!;
  expect(w).toMatchObject({ rule: 'invite/replaces-remote-party', severity: 'warning', kind: 'incorrect', step: 7, stepName: 'invite' });
  expect(w.message).toMatch(/invites user "[0-9a-f-]{36}" to replace call \{p2pCall\}, whose remote party is user caller \([0-9a-f-]{36}\)/);
  expect(formatFinding(w)).toMatch(/^warning: step \d+ \(.+\): \[invite\/replaces-remote-party\] /);
});

test('[timing/keepalive] is checked at the end of the flow too (46 minutes pass in the quiet period)', async () => {
  const flow = await shippedFlow('answer-incoming-call');
  const last = flow.steps.length;
  const { outcome } = await runWithRules(flow, 'reference', {}, { clock: new ManualClock(), advances: (clock) => [advanceAt(clock, 'end', 46 * 60_000)] });
  expect(outcome.status).toBe('failed');
  expect(outcome.findings).toHaveLength(1);
  expect(outcome.findings[0]).toMatchObject({ rule: 'timing/keepalive', kind: 'missing', step: last, stepName: flow.steps[last - 1]!.name });
  // the call still up is the meeting call the bot created for the seed's P2P-to-meeting move (the fake
  // Graph plays the unscripted create on: established; its id is the fake's, so it has no name); the
  // P2P call {call} was replaced by it and ended
  const created = outcome.transcript.entries.find((e) => e.kind === 'response' && e.status === 201)?.body as { id: string };
  expect(outcome.findings[0]!.message).toMatch(new RegExp(`^call ${created.id} got no keepAlive for 46 min since it was established`));
});

test('[timing/answer-deadline] an answer 14 s after the incoming call is in time', async () => {
  const { outcome } = await runWithRules(await shippedFlow('answer-incoming-call'), 'slow-answer', {}, {
    clock: new ManualClock(),
    bot: (bot, clock) => ((bot as InstanceType<(typeof ruleBots)['slow-answer']>).coldStart = () => clock.advance(14_000)),
  });
  expect(outcome.findings.map(formatFinding)).toEqual([]);
});

// ------------------------------------------------------------------ well-behaved bots pass

test('a bot that sends keepAlive every 30 minutes passes the keepAlive rule', async () => {
  const timing: Timing = { clock: new ManualClock(), advances: (clock) => [advanceAt(clock, 'roster update 1', 30 * 60_000), advanceAt(clock, 'roster update 2', 30 * 60_000)] };
  const { outcome, observer } = await runWithRules(await inline(P2P_ROSTERS_KEPT_ALIVE)(), 'keepalive', {}, timing);
  expect(outcome.findings.map(formatFinding)).toEqual([]);
  const call = observer.tracker.list().find((c) => c.direction === 'incoming')!;
  expect(call.lastKeepAliveAt! - call.establishedAt!).toBe(60 * 60_000);
  expect(call.actions.filter((a) => a.action === 'keepAlive')).toHaveLength(2);
});

test('a prompt once the call is established and a redirect in time pass', async () => {
  for (const [flow, bot] of [
    [await shippedFlow('answer-incoming-call'), 'prompt-when-established'],
    [await inline(REDIRECT)(), 'redirect'],
  ] as const) {
    const { outcome } = await runWithRules(flow, bot);
    expect(outcome.findings.map(formatFinding), bot).toEqual([]);
    expect(outcome.warnings.map(formatFinding), bot).toEqual([]);
  }
});

// every flow in recordings/ (whatever other work adds there), all at once through one harness and one
// bot as `callreplay run` does: each run routes by its own ids and tenant (tests/concurrency.spec.ts)
test('the reference bot passes every shipped flow with the rules on, without warnings', async () => {
  const files = readdirSync(recordingsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const flows = await Promise.all(files.map((f) => loadFlowFile(join(recordingsDir, f))));
  const observers: CallStateRules[] = [];
  const harness = await Harness.start({ transport: 'nock', tenant: 'per-run', observers: () => [observers[observers.push(callStateRules()) - 1]!] });
  const bot = new ruleBots.reference(configFromEnv({ PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId }));
  let outcomes: FlowOutcome[];
  try {
    await bot.start();
    outcomes = await Promise.all(flows.map((flow) => harness.run(flow, bot.url)));
  } finally {
    await bot.stop();
    await harness.close();
  }
  expect(outcomes.map((o) => o.flow).sort()).toEqual(flows.map((f) => f.name).sort());
  // every finding fails the test: a rule's, or the flow's own (the reference bot passes every shipped flow)
  expect(outcomes.flatMap((o) => o.findings.map((f) => `${o.flow}: ${formatFinding(f)}`))).toEqual([]);
  expect(outcomes.map((o) => `${o.flow}: ${o.status}`)).toEqual(outcomes.map((o) => `${o.flow}: passed`));
  expect(outcomes.flatMap((o) => o.warnings.map((w) => `${o.flow}: ${formatFinding(w)}`))).toEqual([]);
  expect(observers.map((o) => o.tracker.list().length).every((n) => n > 0)).toBe(true);
});

test('a disabled rule reports nothing', async () => {
  const { outcome } = await runWithRules(await shippedFlow('answer-incoming-call'), 'answer-twice', { disabled: ['state/*'] });
  expect(outcome.findings.map(formatFinding)).toEqual([]);
  expect(() => callStateRules({ disabled: ['state/no-such-rule'] })).toThrow(/unknown call-state rule "state\/no-such-rule"/);
  expect(callStateRules({ disabled: ['limits/*'] }).rules.map((r) => r.id)).not.toContain('limits/client-context');
});

// ------------------------------------------------------------------ the tracker

test('the tracker reads batched notifications, hex ids, PascalCase states and legacy resource paths', async () => {
  const flow = parseFlow(
    `callreplay: 1
name: batch
description: batch
unmatched: ignore
quiet: 20
ids: [a, b, caller]
steps:
  - notify:
      name: two incoming calls
      body:
        value:
          - { changeType: Created, resourceUrl: '/communications/calls/\${a:hex}', resourceData: { state: Incoming, direction: Incoming, source: { identity: { user: { id: '\${caller}' } } } } }
          - { changeType: created, resource: 'app/calls/\${b:hex}', resourceData: [ { state: incoming } ] }
  - notify:
      name: a established, b gone
      body:
        value:
          - { changeType: updated, resourceUrl: '/communications/calls/\${a:hex}', resourceData: { state: ESTABLISHED } }
          - { changeType: updated, resourceUrl: '/communications/calls/\${a:hex}/participants', resourceData: [] }
          - { changeType: Deleted, resource: '/app/calls/\${b:hex}', resourceData: { state: TransferAccepted } }
`,
    'inline.yaml',
  );
  const observer = callStateRules();
  const http: HttpClient = { send: async () => ({ status: 202, headers: {}, body: '', latencyMs: 0 }) };
  const run = new FlowRun({ flow, http, webhookUrl: 'http://127.0.0.1:4999/api/calls', graphBaseUrl: 'http://127.0.0.1:5000', botAppId: 'app', observers: [observer] });
  await run.runStep(0);
  const request: InboundRequest = { method: 'POST', path: `/v1.0/communications/calls/${String(run.valueOf('a')).toUpperCase()}/microsoft.graph.answer`, headers: {}, rawBody: '{}', body: {}, service: 'graph', via: 'test' };
  run.handleRequest(request);
  await run.runStep(1);
  const outcome = await run.finish();
  const a = observer.tracker.get(String(run.valueOf('a')))!;
  const b = observer.tracker.get(String(run.valueOf('b')))!;
  expect(a).toMatchObject({ direction: 'incoming', state: 'established', remoteParty: { user: { id: run.valueOf('caller') } } });
  expect(a.actions.map((x) => [x.action, x.status])).toEqual([['answer', 202]]);
  expect(b.history.map((h) => h.state)).toEqual(['incoming', 'transferAccepted', 'deleted']);
  expect(outcome.findings).toEqual([]);
});

test('requests map to actions from the canonical path', () => {
  const id = '57DAB8B1-894C-409A-B240-BD8BEAE78896';
  const hex = '57dab8b1894c409ab240bd8beae78896';
  const map = (m: string, p: string) => {
    const r = classifyRequest(m, p);
    return r && [r.action, r.callId ?? null, r.participantId ?? null];
  };
  expect(map('POST', '/v1.0/communications/calls')).toEqual(['create', null, null]);
  expect(map('POST', `/beta/app/calls/${id}/microsoft.graph.answer`)).toEqual(['answer', hex, null]);
  expect(map('POST', `https://graph.microsoft.com/v1.0/communications/calls/${id}/participants/invite`)).toEqual(['invite', hex, null]);
  expect(map('POST', `/v1.0/communications/calls/${id}/participants/${id}/startHoldMusic`)).toEqual(['startHoldMusic', hex, hex]);
  expect(map('POST', `/v1.0/communications/calls/${id}/participants/${id}/mute`)).toEqual(['participantMute', hex, hex]);
  expect(map('DELETE', `/v1.0/communications/calls/${id}/participants/${id}`)).toEqual(['removeParticipant', hex, hex]);
  expect(map('DELETE', `/v1.0/communications/calls/${id}`)).toEqual(['hangUp', hex, null]);
  expect(map('GET', `/v1.0/communications/calls/${id}/operations/${id}`)).toEqual(['get', hex, null]);
  expect(map('POST', `/v1.0/communications/calls/${id}/keepAlive?x=1`)).toEqual(['keepAlive', hex, null]);
  expect(map('POST', `/beta/communications/calls/${id}/record`)).toEqual(['recordResponse', hex, null]);
  expect(map('POST', '/v1.0/communications/calls/logTeleconferenceDeviceQuality')).toEqual(['logTeleconferenceDeviceQuality', null, null]);
  expect(map('GET', `/v1.0/communications/calls/${id}/recordings/${id}`)).toEqual(['downloadRecording', hex, null]);
  expect(map('GET', 'https://cdn.example.com/recording.wav')).toBeUndefined();
});

// ------------------------------------------------------------------ docs

test('docs/rules.md holds the rules table rendered from RULES', () => {
  const table = rulesMarkdownTable();
  if (process.env['UPDATE_RULES_DOC']) {
    const text = readFileSync(docsFile, 'utf8');
    const start = text.indexOf('| id | severity |');
    const end = text.indexOf('\n\n', start);
    writeFileSync(docsFile, text.slice(0, start) + table + (end < 0 ? '\n' : text.slice(end)));
  }
  const doc = readFileSync(docsFile, 'utf8');
  expect(doc, 'docs/rules.md is out of date: run UPDATE_RULES_DOC=1 npx playwright test -c tests/playwright.config.ts rules').toContain(table);
  for (const r of RULES) {
    expect(doc).toContain(`\`${r.id}\``);
    expect(doc).toContain(r.doc);
  }
  expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  for (const r of RULES) expect(r.id).toMatch(/^[a-z]+\/[a-z-]+$/);
});
