// The call-kind, media and group-call rules (harness/rules: kind/*, media/*, limits/group-call-targets,
// and invite/replaces-call-id's "the bot's own call"): each is broken by a small scripted bot written
// apart from the reference bot (tests/fixtures/scripted-call-bot.ts), and the finding names the rule,
// the step and the request; the same bot doing the legal thing (mute on a group call, invite on a beta
// P2P call, a prompt on a service-hosted call, ...) passes. Flows are inline, so each test shows the
// whole call it plays. The last test feeds the rules a transcript directly (no run): replacesCallId's spellings.
import { expect, test } from '@playwright/test';
import type { FlowOutcome } from '../harness/engine/flow-run.js';
import { formatFinding, type Finding } from '../harness/engine/findings.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import type { ObserverContext } from '../harness/engine/run-types.js';
import type { TranscriptEntry } from '../harness/engine/transcript.js';
import type { TrackedCall } from '../harness/rules/call-state.js';
import { callStateRules, type CallStateRules } from '../harness/rules/rules.js';
import { Harness } from '../harness/runner/harness.js';
import { APP_HOSTED, SERVICE_HOSTED, ScriptedCallBot, type Script, type ScriptedCall, type ScriptedRequest } from './fixtures/scripted-call-bot.js';

interface Run {
  outcome: FlowOutcome;
  observer: CallStateRules;
  botErrors: string[];
}

async function runScripted(yaml: string, script: Script): Promise<Run> {
  let observer: CallStateRules | undefined;
  const harness = await Harness.start({ transport: 'nock', observers: () => [(observer = callStateRules())] });
  const bot = new ScriptedCallBot(script, { GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId });
  try {
    await bot.start();
    const outcome = await harness.run(parseFlow(yaml, 'inline.yaml'), bot.url);
    return { outcome, observer: observer!, botErrors: bot.errors };
  } finally {
    await bot.stop();
    await harness.close();
  }
}

// ------------------------------------------------------------------ inline flows

type Api = 'v1.0' | 'beta';
const calls = (api: Api) => `/${api}/communications/calls`;
const header = (name: string, api: Api, ids: string) => `callreplay: 1\nname: ${name}\ndescription: ${name}\napi: ${api}\nunmatched: ignore\nquiet: 150\nids: [${ids}]\nsteps:\n`;

/** A group-call invite carries chatInfo and meetingInfo (call-answer: "If an invite to a group call is received, the notification will contain the chatInfo and meetingInfo parameters"). */
const GROUP_INVITE = `
              chatInfo: { '@odata.type': '#microsoft.graph.chatInfo', threadId: '19:meeting_\${thread:hex}@thread.v2', messageId: '0' }
              meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer: { user: { id: '\${caller}', tenantId: '\${tenant}' } } }`;

const incoming = (call: string, extra = '') => `
  - notify:
      name: incoming ${call}
      body:
        value:
          - changeType: created
            resourceUrl: /communications/calls/\${${call}}
            resourceData:
              '@odata.type': '#microsoft.graph.call'
              state: incoming
              direction: incoming
              tenantId: \${tenant}
              source: { identity: { user: { displayName: Test User, id: '\${caller}', tenantId: '\${tenant}' } } }
              targets: [ { identity: { application: { id: '\${botAppId}' } } } ]${extra}
`;
const established = (call: string) =>
  `  - notify: { name: ${call} established, body: { value: [ { changeType: updated, resourceUrl: '/communications/calls/\${${call}}', resourceData: { '@odata.type': '#microsoft.graph.call', state: established } } ] } }\n`;
const expectRequest = (name: string, api: Api, call: string, path: string, respond = '') =>
  `  - expect: { name: ${name}, method: POST, path: '${calls(api)}/\${${call}}${path}'${respond ? `, respond: ${respond}` : ''} }\n`;

/** An incoming call (a group-call invite with `group`) the bot answers; once established the bot sends its request, which the flow waits for. */
function answeredCall(api: Api, action: { name: string; path: string }, opts: { group?: boolean; extra?: string } = {}): string {
  return (
    header(`answered-${action.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`, api, 'call, caller, tenant, thread') +
    incoming('call', opts.extra ?? (opts.group ? GROUP_INVITE : '')) +
    expectRequest('answer', api, 'call', '/answer', '{ status: 202 }') +
    established('call') +
    expectRequest(action.name, api, 'call', action.path)
  );
}

const USERS = ['0b7d1c52-6a1e-4b8e-9f3a-1c2d3e4f5a01', '0b7d1c52-6a1e-4b8e-9f3a-1c2d3e4f5a02', '0b7d1c52-6a1e-4b8e-9f3a-1c2d3e4f5a03', '0b7d1c52-6a1e-4b8e-9f3a-1c2d3e4f5a04', '0b7d1c52-6a1e-4b8e-9f3a-1c2d3e4f5a05', '0b7d1c52-6a1e-4b8e-9f3a-1c2d3e4f5a06'];
const target = (id: string) => ({ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id } } });

/** The bot places a group call to `users` when asked (trigger); once established, it may send one request, which the flow waits for. */
function placedGroupCall(users: readonly string[], then?: { name: string; path: string }): string {
  const create = {
    '@odata.type': '#microsoft.graph.call',
    source: { identity: { application: { id: '${botAppId}' } } },
    targets: users.map(target),
    requestedModalities: ['audio'],
    mediaConfig: SERVICE_HOSTED,
  };
  return (
    header('placed-group-call', 'v1.0', 'call, tenant') +
    `  - trigger: { name: ask the bot to call, method: POST, path: /api/create, body: { tenantId: '\${tenant}', call: ${JSON.stringify(create)} } }\n` +
    `  - expect: { name: create group call, method: POST, path: ${calls('v1.0')}, respond: { status: 201, headers: { Location: '\${graph}/v1.0/communications/calls/\${call}' }, body: { id: '\${call}', state: establishing } } }\n` +
    established('call') +
    (then ? expectRequest(then.name, 'v1.0', 'call', then.path) : '')
  );
}

const PROMPT = { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo', uri: 'https://cdn.example.com/hello.wav' } };
const send =
  (...requests: ScriptedRequest[]) =>
  (): ScriptedRequest[] =>
    requests;
const inviteUser = (id = USERS[0]!) => ({ path: '/participants/invite', body: { participants: [target(id)], clientContext: 'ctx-invite' } });
const TRANSFER = { path: '/transfer', body: { transferTarget: { ...target(USERS[1]!), endpointType: 'default' } } };

// ------------------------------------------------------------------ a defective bot per rule

interface Case {
  title: string;
  flow: string;
  script: Script;
  rule: string;
  severity: Finding['severity'];
  step: string;
  message: RegExp;
}

const cases: Case[] = [
  {
    title: 'call mute on a P2P call',
    flow: answeredCall('v1.0', { name: 'mute', path: '/mute' }),
    script: { api: 'v1.0', onEstablished: send({ path: '/mute', body: { clientContext: 'ctx-mute' } }) },
    rule: 'kind/mute-group-call-only',
    severity: 'error',
    step: 'mute',
    message:
      /^POST \/v1\.0\/communications\/calls\/\{call\}\/mute was sent on call \{call\}, a P2P call \(the incoming-call notification \(step 1\) carries no chatInfo or meetingInfo\): Graph supports mute only on group calls \(call-mute: "This method is only supported for group calls\."\)/,
  },
  {
    title: 'participant mute on a P2P call (beta)',
    flow: answeredCall('beta', { name: 'mute the caller', path: '/participants/caller-participant/mute' }),
    script: { api: 'beta', onEstablished: send({ path: '/participants/caller-participant/mute', body: { clientContext: 'ctx-mute' } }) },
    rule: 'kind/mute-group-call-only',
    severity: 'error',
    step: 'mute the caller',
    message: /^POST \/beta\/communications\/calls\/\{call\}\/participants\/caller-participant\/mute was sent on call \{call\}, a P2P call .*: Graph supports participant mute only on group calls \(participant-mute:/,
  },
  {
    title: 'playPrompt on a call answered with app-hosted media',
    flow: answeredCall('v1.0', { name: 'prompt', path: '/playPrompt' }),
    script: { api: 'v1.0', answer: () => APP_HOSTED, onEstablished: send({ path: '/playPrompt', body: { prompts: [PROMPT], clientContext: 'ctx-prompt' } }) },
    rule: 'media/service-hosted-only',
    severity: 'error',
    step: 'prompt',
    message: /^POST \/v1\.0\/communications\/calls\/\{call\}\/playPrompt was sent on call \{call\}, which the bot answered with appHostedMediaConfig: Graph supports playPrompt only on calls initiated with serviceHostedMediaConfig \(call-playPrompt:/,
  },
  {
    title: 'subscribeToTone on a call answered with app-hosted media',
    flow: answeredCall('v1.0', { name: 'tones', path: '/subscribeToTone' }),
    script: { api: 'v1.0', answer: () => APP_HOSTED, onEstablished: send({ path: '/subscribeToTone', body: { clientContext: 'ctx-tones' } }) },
    rule: 'media/service-hosted-only',
    severity: 'error',
    step: 'tones',
    message: /subscribeToTone was sent on call \{call\}, which the bot answered with appHostedMediaConfig: Graph supports subscribeToTone only on calls initiated with serviceHostedMediaConfig/,
  },
  {
    title: 'changeScreenSharingRole on a group call joined with service-hosted media',
    flow: answeredCall('v1.0', { name: 'share screen', path: '/changeScreenSharingRole' }, { group: true }),
    script: { api: 'v1.0', onEstablished: send({ path: '/changeScreenSharingRole', body: { role: 'sharer' } }) },
    rule: 'kind/screen-sharing-app-hosted-group',
    severity: 'error',
    step: 'share screen',
    message: /^POST \/v1\.0\/communications\/calls\/\{call\}\/changeScreenSharingRole was sent on call \{call\} \(joined with service-hosted media\): Graph supports changeScreenSharingRole only on group calls with app-hosted media/,
  },
  {
    title: 'changeScreenSharingRole on a P2P call',
    flow: answeredCall('v1.0', { name: 'share screen', path: '/changeScreenSharingRole' }),
    script: { api: 'v1.0', answer: () => APP_HOSTED, onEstablished: send({ path: '/changeScreenSharingRole', body: { role: 'sharer' } }) },
    rule: 'kind/screen-sharing-app-hosted-group',
    severity: 'error',
    step: 'share screen',
    message: /changeScreenSharingRole was sent on call \{call\} \(a P2P call: the incoming-call notification \(step 1\) carries no chatInfo or meetingInfo\)/,
  },
  {
    title: 'a group call created with six targets',
    flow: placedGroupCall(USERS),
    script: { api: 'v1.0' },
    rule: 'limits/group-call-targets',
    severity: 'error',
    step: 'create group call',
    message: /^POST \/v1\.0\/communications\/calls creates a group call with 6 VoIP targets: Graph supports up to 5 \(application-post-calls, group call: "This supports up to 5 VoIP users\."\)/,
  },
  {
    title: 'a transfer without transferee on a group call the bot created',
    flow: placedGroupCall(USERS.slice(0, 2), { name: 'transfer', path: '/transfer' }),
    script: { api: 'v1.0', onEstablished: send(TRANSFER) },
    rule: 'kind/transfer-needs-transferee',
    severity: 'error',
    step: 'transfer',
    message: /^POST \/v1\.0\/communications\/calls\/\{call\}\/transfer has no transferee and was sent on call \{call\}, a group call \(the bot created it with 2 targets \(step 2\)\): .*8523 "Cannot do transfer for meeting mode"/,
  },
  {
    title: 'a transfer without transferee on a beta P2P call the bot escalated with an invite',
    flow:
      header('escalated-transfer', 'beta', 'call, caller, tenant') +
      incoming('call') +
      expectRequest('answer', 'beta', 'call', '/answer', '{ status: 202 }') +
      established('call') +
      expectRequest('invite', 'beta', 'call', '/participants/invite', "{ status: 200, body: { '@odata.type': '#microsoft.graph.inviteParticipantsOperation', id: 'op-1', status: Running } }") +
      expectRequest('transfer', 'beta', 'call', '/transfer'),
    script: { api: 'beta', onEstablished: send(inviteUser(), TRANSFER) },
    rule: 'kind/transfer-needs-transferee',
    severity: 'error',
    step: 'transfer',
    message: /transfer has no transferee and was sent on call \{call\}, a group call \(the bot's invite at step 4 turned the P2P call into a group call \("meeting mode"\)\)/,
  },
  {
    title: 'an invite whose replacesCallId names a call of the run the bot neither answered nor created',
    flow:
      header('replaces-not-own', 'v1.0', 'call, other, caller, tenant') +
      `  - trigger: { name: ask the bot to join, method: POST, path: /api/create, body: { tenantId: '\${tenant}', call: { chatInfo: { threadId: '19:meeting_x@thread.v2', messageId: '0' }, meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer: { user: { id: '\${caller}' } } }, mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } } } }\n` +
      `  - expect: { name: join, method: POST, path: ${calls('v1.0')}, respond: { status: 201, headers: { Location: '\${graph}/v1.0/communications/calls/\${call}' } } }\n` +
      incoming('other') +
      established('other') +
      established('call') +
      expectRequest('invite', 'v1.0', 'call', '/participants/invite'),
    script: {
      api: 'v1.0',
      answer: () => undefined, // another instance of the bot takes incoming calls
      onEstablished: (call: ScriptedCall, known: readonly ScriptedCall[]) => {
        const other = known.find((c) => !c.placed);
        return call.placed && other ? [{ path: '/participants/invite', body: { participants: [{ ...target(USERS[0]!), replacesCallId: other.id }] } }] : [];
      },
    },
    rule: 'invite/replaces-call-id',
    severity: 'error',
    step: 'invite',
    message: /^POST \/v1\.0\/communications\/calls\/\{call\}\/participants\/invite has replacesCallId naming call \{other\}, which the bot neither answered nor created/,
  },
  {
    title: 'an invite posted on a v1.0 P2P call (a warning: the page forbids it, the platform takes it)',
    flow: answeredCall('v1.0', { name: 'invite', path: '/participants/invite' }),
    script: { api: 'v1.0', onEstablished: send(inviteUser()) },
    rule: 'kind/invite-group-call-only',
    severity: 'warning',
    step: 'invite',
    message:
      /^POST \/v1\.0\/communications\/calls\/\{call\}\/participants\/invite was sent on call \{call\}, a P2P call \(.*\): on v1\.0 Graph supports invite only on group calls \(participant-invite: "This API is only supported for group calls\."\)/,
  },
];

for (const c of cases) {
  test(`[${c.rule}] ${c.title}`, async () => {
    const { outcome, botErrors } = await runScripted(c.flow, c.script);
    expect(botErrors).toEqual([]);
    const flow = parseFlow(c.flow, 'inline.yaml');
    const stepNumber = flow.steps.findIndex((s) => s.name === c.step) + 1;
    const found = c.severity === 'error' ? outcome.findings : outcome.warnings;
    const other = c.severity === 'error' ? outcome.warnings : outcome.findings;
    expect(outcome.status, [...outcome.findings, ...outcome.warnings].map(formatFinding).join('\n')).toBe(c.severity === 'error' ? 'failed' : 'passed');
    expect(found.map(formatFinding)).toHaveLength(1);
    expect(other.map(formatFinding)).toEqual([]);
    const f = found[0]!;
    expect(f).toMatchObject({ rule: c.rule, kind: 'incorrect', severity: c.severity, step: stepNumber, stepName: c.step });
    expect(f.message).toMatch(c.message);
    expect(f.received?.method).toBe('POST');
    expect(formatFinding(f)).toContain(`[${c.rule}] `);
  });
}

// ------------------------------------------------------------------ the same bot doing the legal thing passes

/**
 * `actions`: what the rules saw the bot send on its call (the tracker's action names), so a pass is not a
 * bot that did nothing; `call`: what the tracker read about the call (kind, media mode, why), so a pass
 * is not a rule that stayed silent because the kind or media mode was never read.
 */
const legal: Array<{ title: string; flow: string; script: Script; actions: string[]; call: Partial<TrackedCall> }> = [
  {
    title: 'call mute and participant mute on a group call the bot was invited to',
    flow: answeredCall('v1.0', { name: 'mute', path: '/participants/caller-participant/mute' }, { group: true }),
    script: { api: 'v1.0', onEstablished: send({ path: '/mute', body: { clientContext: 'ctx-mute' } }, { path: '/participants/caller-participant/mute', body: {} }) },
    actions: ['answer', 'mute', 'participantMute'],
    call: { kind: 'group', media: 'serviceHosted', kindReason: 'the incoming-call notification (step 1) carries meetingInfo' },
  },
  {
    // a P2P call has a chat thread too (captured P2PTest2Event4UpdatedWithChatInfo): chatInfo alone tells no kind
    title: 'call mute on an incoming call whose notification carries chatInfo but no meetingInfo (kind unknown)',
    flow: answeredCall('v1.0', { name: 'mute', path: '/mute' }, { extra: `\n              chatInfo: { threadId: '19:\${thread}_\${caller}@unq.gbl.spaces', messageId: '0' }` }),
    script: { api: 'v1.0', onEstablished: send({ path: '/mute', body: {} }) },
    actions: ['answer', 'mute'],
    call: { kind: 'unknown', media: 'serviceHosted' },
  },
  {
    title: 'an invite posted on a beta P2P call answered with app-hosted media (the 2019 beta recording does it)',
    flow: answeredCall('beta', { name: 'invite', path: '/participants/invite' }),
    script: { api: 'beta', answer: () => APP_HOSTED, onEstablished: send(inviteUser()) },
    actions: ['answer', 'invite'],
    call: { media: 'appHosted', kind: 'group', escalatedAtStep: 4, kindReason: 'the bot\'s invite at step 4 turned the P2P call into a group call ("meeting mode")' },
  },
  {
    title: 'changeScreenSharingRole on a group call joined with app-hosted media',
    flow: answeredCall('v1.0', { name: 'share screen', path: '/changeScreenSharingRole' }, { group: true }),
    script: { api: 'v1.0', answer: () => APP_HOSTED, onEstablished: send({ path: '/changeScreenSharingRole', body: { role: 'sharer' } }) },
    actions: ['answer', 'changeScreenSharingRole'],
    call: { kind: 'group', media: 'appHosted' },
  },
  {
    title: 'playPrompt, recordResponse and subscribeToTone on a call answered with service-hosted media',
    flow: answeredCall('v1.0', { name: 'tones', path: '/subscribeToTone' }),
    script: {
      api: 'v1.0',
      onEstablished: send({ path: '/playPrompt', body: { prompts: [PROMPT] } }, { path: '/recordResponse', body: { maxRecordDurationInSeconds: 10 } }, { path: '/subscribeToTone', body: {} }),
    },
    actions: ['answer', 'playPrompt', 'recordResponse', 'subscribeToTone'],
    call: { kind: 'p2p', media: 'serviceHosted' },
  },
  {
    title: 'a group call to five users, transferred with transferee',
    flow: placedGroupCall(USERS.slice(0, 5), { name: 'transfer', path: '/transfer' }),
    script: { api: 'v1.0', onEstablished: send({ path: '/transfer', body: { ...TRANSFER.body, transferee: { identity: { user: { id: USERS[0] } }, participantId: 'participant-1' } } }) },
    actions: ['create', 'transfer'],
    call: { kind: 'group', media: 'serviceHosted', createdByBot: true, kindReason: 'the bot created it with 5 targets (step 2)' },
  },
  {
    title: 'a transfer without transferee on a P2P call',
    flow: answeredCall('v1.0', { name: 'transfer', path: '/transfer' }),
    script: { api: 'v1.0', onEstablished: send(TRANSFER) },
    actions: ['answer', 'transfer'],
    call: { kind: 'p2p' },
  },
];

for (const l of legal) {
  test(`legal: ${l.title}`, async () => {
    const { outcome, observer, botErrors } = await runScripted(l.flow, l.script);
    expect(botErrors).toEqual([]);
    expect(observer.tracker.list().flatMap((c) => c.actions.map((a) => a.action))).toEqual(l.actions);
    expect(observer.tracker.list()).toHaveLength(1);
    expect(observer.tracker.list()[0]).toMatchObject(l.call);
    expect(outcome.findings.map(formatFinding)).toEqual([]);
    expect(outcome.warnings.map(formatFinding)).toEqual([]);
    expect(outcome.status).toBe('passed');
  });
}

// ------------------------------------------------------------------ replacesCallId in any spelling Graph takes

test('invite/replaces-call-id reads replacesCallId as a bare id (any case, with or without hyphens) or as the call path / URL', () => {
  // fed straight to the rules (no harness run): the bot answered P2P call `p2p` from the caller, joined meeting call `meeting`, both established
  const p2p = '57dab8b1-894c-409a-b240-bd8beae78896';
  const meeting = '421f0b00-3c7a-4a2f-9d3e-0e5c2b1a9f10';
  const caller = USERS[0]!;
  const hex = (id: string) => id.replace(/-/g, '').toUpperCase();
  const run = (replacesCallId: string): Finding[] => {
    const observer = callStateRules();
    const findings: Finding[] = [];
    const ctx: ObserverContext = {
      flow: { api: 'beta', steps: [] } as unknown as ObserverContext['flow'],
      currentStep: () => 1,
      stepOf: () => 1,
      report: (f) => findings.push(f),
      describe: (v) => String(v),
      describePath: (p) => p,
      valueOf: () => undefined,
    };
    let seq = 0;
    const feed = (e: Pick<TranscriptEntry, 'kind'> & Partial<TranscriptEntry>) =>
      observer.onEntry({ seq: seq++, at: seq, from: 'graph', to: 'bot', label: '', ...e } as TranscriptEntry, ctx);
    const state = (id: string, s: string, extra: Record<string, unknown> = {}) =>
      feed({ kind: 'notification', body: { value: [{ changeType: s === 'incoming' ? 'created' : 'updated', resource: `/app/calls/${hex(id)}`, resourceData: { state: s, ...extra } }] } });
    const request = (url: string, body: unknown, status: number, response?: unknown) => {
      feed({ kind: 'request', from: 'bot', to: 'graph', method: 'POST', url, body });
      feed({ kind: 'response', status, body: response });
    };
    state(p2p, 'incoming', { direction: 'incoming', source: { identity: { user: { id: caller } } } });
    request(`/beta/app/calls/${p2p}/answer`, { mediaConfig: SERVICE_HOSTED }, 202);
    state(p2p, 'established');
    request('/beta/app/calls', { meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo' }, mediaConfig: SERVICE_HOSTED }, 201, { id: meeting });
    state(meeting, 'established');
    request(`/beta/app/calls/${meeting}/participants/invite`, { participants: [{ identity: { user: { id: caller } }, replacesCallId }] }, 200);
    return findings;
  };
  for (const spelling of [p2p, p2p.toUpperCase(), hex(p2p), `/app/calls/${hex(p2p)}`, `/communications/calls/${p2p}`, `https://graph.microsoft.com/beta/communications/calls/${p2p}`]) {
    expect(run(spelling).map(formatFinding), spelling).toEqual([]);
  }
  // the same spellings of the meeting call are the call the invite is posted on; a path on another host names no call of the run
  expect(run(`/app/calls/${hex(meeting)}`)).toEqual([expect.objectContaining({ rule: 'invite/replaces-call-id', message: expect.stringContaining('the call the invite is posted on') })]);
  expect(run(`https://example.com/communications/calls/${p2p}`)).toEqual([expect.objectContaining({ rule: 'invite/replaces-call-id', message: expect.stringContaining('which is not a call of this run') })]);
});
