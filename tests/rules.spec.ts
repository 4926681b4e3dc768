// The call-state rules (harness/rules): each rule is broken by one bot (tests/fixtures/rule-defects.ts)
// that still passes the flow's own matching, and the finding names the rule; the reference bot passes
// every shipped flow with the rules on; docs/rules.md is the table rendered from RULES.
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
import { ruleBots, type RuleBot } from './fixtures/rule-defects.js';
import { recordingsDir, shippedFlow } from './fixtures/in-process.js';

const docsFile = join(import.meta.dirname, '..', 'docs', 'rules.md');

interface RulesRun {
  outcome: FlowOutcome;
  observer: CallStateRules;
}

/** Runs `flow` against one of the rule bots in-process (nock) with the call-state rules on. */
async function runWithRules(flow: CompiledFlow, botName: RuleBot, options: RuleOptions = {}): Promise<RulesRun> {
  let observer: CallStateRules | undefined;
  const harness = await Harness.start({ transport: 'nock', observers: () => [(observer = callStateRules(options))] });
  const env = { PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId };
  const bot = new ruleBots[botName](configFromEnv(env));
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

/** Incoming call answered and established (Graph's PascalCase state), then the call ends. */
const P2P_ENDS =
  header('rules-p2p-ends', 'call, caller, tenant') +
  incoming('call') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${call}/answer', respond: { status: 202 } }\n` +
  callState('call establishing', 'call', 'establishing') +
  callState('call established', 'call', 'Established') +
  callState('call terminated', 'call', 'terminated') +
  `  - notify: { name: call deleted, body: { value: [ { changeType: deleted, resource: '/app/calls/\${call:hex}', resourceData: { '@odata.type': '#microsoft.graph.call' } } ] } }\n`;

/** Incoming call answered; Graph takes 300 ms to report it establishing (the bot acts meanwhile). */
const P2P_SLOW_ESTABLISH =
  header('rules-p2p-slow-establish', 'call, caller, tenant', 200) +
  incoming('call') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${call}/answer', respond: { status: 202 } }\n` +
  callState('call establishing', 'call', 'establishing', ' delay: 300,') +
  callState('call established', 'call', 'established');

/** Incoming call answered and established; the last notification comes 400 ms later. */
const P2P_WAITS =
  header('rules-p2p-waits', 'call, caller, tenant', 100) +
  incoming('call') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${call}/answer', respond: { status: 202 } }\n` +
  callState('call establishing', 'call', 'establishing') +
  callState('call established', 'call', 'established') +
  `  - notify: { name: roster update, delay: 400, body: { value: [ { changeType: updated, resource: '/app/calls/\${call:hex}/participants', resourceData: [] } ] } }\n`;

/** The transfer up to the meeting call being established; the invite is left to the rules. */
const P2P_TO_MEETING =
  header('rules-p2p-to-meeting', 'p2pCall, meetingCall, caller, tenant', 500) +
  incoming('p2pCall') +
  `  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${p2pCall}/answer', respond: { status: 202 } }\n` +
  callState('p2p call established', 'p2pCall', 'established') +
  `  - expect: { name: join meeting, method: POST, path: /beta/app/calls, respond: { status: 201, headers: { Location: '\${graph}/beta/app/calls/\${meetingCall:hex}' } } }\n` +
  callState('meeting call establishing', 'meetingCall', 'establishing', ' delay: 150,') +
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
  callState('meeting call established', 'meetingCall', 'established');

const inline = (yaml: string) => async () => parseFlow(yaml, 'inline.yaml');
const shipped = (name: string) => async () => shippedFlow(name);

// ------------------------------------------------------------------ one defective bot per rule

interface Case {
  title: string;
  bot: RuleBot;
  flow: () => Promise<CompiledFlow>;
  options?: RuleOptions;
  rule: string;
  kind: Finding['kind'];
  message: RegExp;
}

const cases: Case[] = [
  {
    title: 'answering the call again once it is established',
    bot: 'answer-twice',
    flow: shipped('answer-incoming-call'),
    rule: 'state/answer-while-incoming',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/answer was sent while call \{call\} is established \(the bot already sent POST \/beta\/app\/calls\/\{call\}\/answer at step 2\)/,
  },
  {
    title: 'a prompt after the answer, before the call is established',
    bot: 'prompt-before-established',
    flow: inline(P2P_SLOW_ESTABLISH),
    rule: 'state/established-only',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/playPrompt was sent while call \{call\} is incoming \(answered, not yet established\): Graph accepts media actions only on an established call/,
  },
  {
    title: 'an invite on the meeting call before it is established',
    bot: 'invite-before-established',
    flow: inline(P2P_TO_MEETING),
    rule: 'state/established-only',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite was sent while call \{meetingCall\} is establishing: Graph accepts invites only on an established call/,
  },
  {
    title: 'a keepAlive after the call ended',
    bot: 'keepalive-after-end',
    flow: inline(P2P_ENDS),
    rule: 'state/after-terminated',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/keepAlive was sent after call \{call\} was (terminated \(step 5\)|deleted \(step 6\)): Graph answers 404 \/ 8522/,
  },
  {
    title: 'an answer later than the deadline',
    bot: 'slow-answer',
    flow: shipped('answer-incoming-call'),
    options: { answerDeadlineMs: 100 },
    rule: 'timing/answer-deadline',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/answer came \d+ ms after the incoming-call notification of call \{call\} \(deadline 100 ms\)/,
  },
  {
    title: 'no keepAlive on an established call (the reference bot sends none)',
    bot: 'reference',
    flow: inline(P2P_WAITS),
    options: { keepAliveIntervalMs: 150 },
    rule: 'timing/keepalive',
    kind: 'missing',
    message: /call \{call\} got no keepAlive for \d+ ms since it was established \(\d+ ms into the run\) \(limit 150 ms\)/,
  },
  {
    title: 'an invite whose replacesCallId names the meeting call itself',
    bot: 'replaces-own-call',
    flow: inline(P2P_TO_MEETING),
    rule: 'invite/replaces-call-id',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite has replacesCallId naming call \{meetingCall\}, the call the invite is posted on/,
  },
  {
    title: 'an invite with replacesCallId and two participants',
    bot: 'replaces-with-two-participants',
    flow: inline(P2P_TO_MEETING),
    rule: 'invite/replaces-call-id',
    kind: 'incorrect',
    message: /participants\/invite has replacesCallId p2pCall \([0-9a-fA-F-]{32,36}\) and 2 participants: an invite that replaces a call invites exactly one participant/,
  },
  {
    title: 'an invite with replacesCallId naming no call of the run',
    bot: 'replaces-unknown-call',
    flow: inline(P2P_TO_MEETING),
    rule: 'invite/replaces-call-id',
    kind: 'incorrect',
    message: /participants\/invite has replacesCallId "[0-9a-f-]{36}", which is not a call of this run/,
  },
  {
    title: 'playPrompt with 21 prompts',
    bot: 'twenty-one-prompts',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/play-prompt-prompts',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/playPrompt has 21 prompts: playPrompt takes 1 to 20 prompts/,
  },
  {
    title: 'a clientContext of 300 characters',
    bot: 'long-client-context',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/client-context',
    kind: 'incorrect',
    message: /playPrompt has a clientContext of 300 characters: Graph allows at most 256/,
  },
  {
    title: 'recordResponse with two prompts',
    bot: 'record-two-prompts',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/record-response-prompts',
    kind: 'incorrect',
    message: /recordResponse has 2 prompts: recordResponse takes at most 1 prompt/,
  },
  {
    title: 'recordResponse for 300 s',
    bot: 'record-too-long',
    flow: shipped('answer-incoming-call'),
    rule: 'limits/record-response-durations',
    kind: 'incorrect',
    message: /recordResponse has maxRecordDurationInSeconds 300: Graph takes whole seconds from 1 to 120/,
  },
  {
    title: 'a redirect to 26 targets',
    bot: 'redirect-twenty-six-targets',
    flow: inline(REDIRECT),
    rule: 'limits/redirect-targets',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{call\}\/redirect has 26 targets: redirect takes 1 to 25 targets/,
  },
  {
    title: 'a redirect with a 10 s timeout',
    bot: 'redirect-short-timeout',
    flow: inline(REDIRECT),
    rule: 'limits/redirect-timeout',
    kind: 'incorrect',
    message: /redirect has timeout 10: Graph takes whole seconds from 15 to 90/,
  },
  {
    title: 'an invite of six participants',
    bot: 'invite-six',
    flow: inline(API_MEETING),
    rule: 'limits/invite-participants',
    kind: 'incorrect',
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite has 6 participants: an invite takes 1 to 5 participants/,
  },
];

for (const c of cases) {
  test(`[${c.rule}] ${c.title}`, async () => {
    const flow = await c.flow();
    const { outcome } = await runWithRules(flow, c.bot, c.options);
    expect(outcome.status, outcome.findings.map(formatFinding).join('\n')).toBe('failed');
    expect(outcome.findings).toHaveLength(1);
    const f = outcome.findings[0]!;
    expect(f.rule, formatFinding(f)).toBe(c.rule);
    expect(f.kind).toBe(c.kind);
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(c.message);
    expect(formatFinding(f)).toContain(`[${c.rule}] `);
    expect(f.step).toBeGreaterThanOrEqual(1);
    expect(f.stepName).toBe(flow.steps[f.step! - 1]!.name);
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
  expect(w.rule).toBe('invite/replaces-remote-party');
  expect(w.severity).toBe('warning');
  expect(w.message).toMatch(/invites user "[0-9a-f-]{36}" to replace call \{p2pCall\}, whose remote party is user caller \([0-9a-f-]{36}\)/);
  expect(formatFinding(w)).toMatch(/^warning: step \d+ \(.+\): \[invite\/replaces-remote-party\] /);
});

test('[timing/keepalive] is checked at the end of the flow too (quiet period)', async () => {
  const flow = await shippedFlow('answer-incoming-call');
  flow.quietMs = 400;
  flow.quietFromBot = false;
  const { outcome } = await runWithRules(flow, 'reference', { keepAliveIntervalMs: 150 });
  expect(outcome.status).toBe('failed');
  expect(outcome.findings[0]).toMatchObject({ rule: 'timing/keepalive', kind: 'missing', step: 4, stepName: 'call established' });
});

// ------------------------------------------------------------------ well-behaved bots pass

test('a bot that sends keepAlive in time passes the keepAlive rule', async () => {
  const { outcome, observer } = await runWithRules(await inline(P2P_WAITS)(), 'keepalive', { keepAliveIntervalMs: 150 });
  expect(outcome.findings.map(formatFinding)).toEqual([]);
  const call = observer.tracker.list().find((c) => c.direction === 'incoming')!;
  expect(call.lastKeepAliveAt).toBeGreaterThan(call.establishedAt!);
  expect(call.actions.filter((a) => a.action === 'keepAlive').length).toBeGreaterThanOrEqual(3);
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
  const harness = await Harness.start({ transport: 'nock', observers: () => [observers[observers.push(callStateRules()) - 1]!] });
  const bot = new ruleBots.reference(configFromEnv({ PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId }));
  let outcomes: FlowOutcome[];
  try {
    await bot.start();
    outcomes = await Promise.all(flows.map((flow) => harness.run(flow, bot.url)));
  } finally {
    await bot.stop();
    await harness.close();
  }
  expect(outcomes.length).toBeGreaterThanOrEqual(5);
  // A first finding without a rule is the flow failing on its own (the rules report their errors first
  // and change nothing else): that is the flow suites' business, noted here, not failed.
  const own = outcomes.flatMap((o) => (o.findings[0] && o.findings[0].rule === undefined ? [`${o.flow}: ${formatFinding(o.findings[0]).split('\n')[0]}`] : []));
  for (const text of own) test.info().annotations.push({ type: 'flow fails without the rules', description: text });
  expect(outcomes.flatMap((o) => o.findings.filter((f) => f.rule !== undefined).map((f) => `${o.flow}: ${formatFinding(f)}`))).toEqual([]);
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
