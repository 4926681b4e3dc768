// Record mode's converter: a recording of a real call (here: made from a flow run's transcript, with
// realistic secrets and identities added) becomes a secret-free flow that replays green, catches a
// defective bot at the right step and mints fresh ids; `callreplay import` does the same for HAR
// files and folders of captured notifications.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ReferenceBot, type GraphRoute } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import type { FlowOutcome } from '../harness/engine/flow-run.js';
import { hexId } from '../harness/engine/ids.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { DEFAULT_BOT_APP_ID } from '../harness/runner/harness.js';
import { importCommand } from '../harness/cli/import-command.js';
import type { RecordedExchange, Recording } from '../harness/record/recording.js';
import { recordingToFlow, transcriptToRecording } from '../harness/record/to-flow.js';
import { tempDir } from './fixtures/cli.js';
import { defectiveBot } from './fixtures/defective-bots.js';
import { runInProcess, shippedFlow } from './fixtures/in-process.js';

const capturedDir = join(import.meta.dirname, 'fixtures', 'captured');

// ---------------------------------------------------------------------------- fixtures

/** A JWT-shaped string (header.payload.signature), unique per call. */
function fakeJwt(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ typ: 'JWT', alg: 'RS256', kid: randomBytes(8).toString('hex') })}.${b64({ ...claims, jti: randomUUID() })}.${randomBytes(64).toString('base64url')}`;
}

interface Realistic {
  rec: Recording;
  /** every secret fed in: none may appear in the flow */
  secrets: string[];
  /** every real identity fed in (GUIDs compared in any spelling): none may appear */
  identities: string[];
  /** the ids of the recorded call (calls, operations, participants, ...): none may appear */
  recordedIds: string[];
  /** name -> id as recorded */
  ids: Record<string, string>;
}

/**
 * A recording as `callreplay record` would make it of a real call: the transcript of a flow run,
 * with real-looking tenant, user and app ids, display names and phone numbers, the bot's meeting,
 * Authorization headers (the harness's own JWTs), cookies, correlation headers, a validationToken,
 * token requests with a client secret and a client assertion, and the signing-key fetches.
 */
function makeRealistic(outcome: FlowOutcome, extra: { meetingThread?: string; organizer?: string; recordingToken?: string } = {}): Realistic {
  const recorded = transcriptToRecording(outcome.transcript);
  const ids = Object.fromEntries(Object.entries(outcome.transcript.idNames).map(([id, name]) => [name, id]));
  const real = { tenant: randomUUID(), caller: randomUUID(), appId: randomUUID() };
  let text = JSON.stringify(recorded);
  const swap = (from: string, to: string) => {
    for (const [a, b] of [[from, to], [hexId(from), hexId(to)], [from.replace(/-/g, ''), to.replace(/-/g, '')]] as const) text = text.split(a).join(b);
  };
  swap(ids['tenant']!, real.tenant);
  swap(ids['caller']!, real.caller);
  swap(DEFAULT_BOT_APP_ID, real.appId);
  text = text.split('Test User').join('Adele Vance').split('Test Bot').join('Contoso Helpdesk Bot').split('Voicemail line').join('Contoso Voicemail');
  const secrets: string[] = [];
  if (extra.recordingToken) {
    text = text.split(ids['recordingToken']!).join(extra.recordingToken);
    secrets.push(extra.recordingToken);
  }
  const rec = JSON.parse(text) as Recording;

  const secret = `Xy7Q~${randomBytes(18).toString('base64url')}`;
  const assertion = fakeJwt({ aud: 'https://login.microsoftonline.com/tenant/oauth2/v2.0/token', iss: real.appId, sub: real.appId });
  const validationToken = randomBytes(24).toString('base64url');
  const phone = '+14255550123';
  secrets.push(secret, assertion, validationToken);

  for (const ex of rec.exchanges) {
    for (const v of Object.values(ex.request.headers)) if (/^bearer /i.test(v)) secrets.push(v, v.slice(7));
    if (ex.service === 'graph') {
      const cookie = `ARRAffinity=${randomBytes(32).toString('hex')}; ARRAffinitySameSite=${randomBytes(32).toString('hex')}`;
      ex.request.headers['cookie'] = cookie;
      ex.request.headers['client-request-id'] = randomUUID();
      secrets.push(cookie);
      if ('status' in ex.response) {
        const setCookie = `fpc=${randomBytes(20).toString('base64url')}; expires=Sun, 27-Dec-2026 10:00:00 GMT; path=/; secure; HttpOnly`;
        Object.assign(ex.response.headers, {
          'set-cookie': setCookie,
          'request-id': randomUUID(),
          'client-request-id': ex.request.headers['client-request-id'],
          'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'West US 2', Slice: 'E', Ring: '1', ScaleUnit: '001', RoleInstance: 'MW2PEPF0000ABCD' } }),
          date: new Date().toUTCString(),
        });
        secrets.push(setCookie.split(';')[0]!.slice(4));
      }
    }
    if (ex.service === 'login') {
      const accessToken = fakeJwt({ aud: 'https://graph.microsoft.com', tid: real.tenant, appid: real.appId });
      ex.request.headers['content-type'] = 'application/x-www-form-urlencoded';
      ex.request.body = new URLSearchParams({ client_id: real.appId, client_secret: secret, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString();
      ex.response = { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'set-cookie': `x-ms-gateway-slice=estsfd; path=/; secure; httponly` }, body: JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken }) };
      secrets.push(accessToken);
    }
  }
  // the first notification came with a validation token in its URL, and the incoming caller has a phone too
  const first = rec.exchanges.find((e) => e.direction === 'inbound')!;
  first.request.url += `?validationToken=${validationToken}`;
  const body = JSON.parse(first.request.body) as { value: Array<{ resourceData: { source: { identity: Record<string, unknown> } } }> };
  body.value[0]!.resourceData.source.identity['phone'] = { id: phone, displayName: phone };
  first.request.body = JSON.stringify(body);
  // a second token request with a certificate, and the notification-key fetches
  const extraExchanges: Array<Omit<RecordedExchange, 'seq'>> = [
    {
      at: 1,
      direction: 'outbound',
      service: 'login',
      request: { method: 'POST', url: `https://login.microsoftonline.com/${real.tenant}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: real.appId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }).toString() },
      response: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: fakeJwt({ tid: real.tenant }) }) },
      relayOverheadMs: 0.2,
      totalMs: 80,
    },
    {
      at: 2,
      direction: 'outbound',
      service: 'auth',
      request: { method: 'GET', url: 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration', headers: { accept: 'application/json' }, body: '' },
      response: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: 'https://api.aps.skype.com/v1/keys' }) },
      relayOverheadMs: 0.1,
      totalMs: 30,
    },
  ];
  for (const ex of extraExchanges) {
    const added = { ...ex, seq: rec.exchanges.length } as RecordedExchange;
    rec.exchanges.push(added);
    secrets.push(...Object.values(added.response).filter((v): v is string => typeof v === 'string' && v.includes('access_token')).map((b) => (JSON.parse(b) as { access_token: string }).access_token));
  }

  const identities = [real.tenant, real.caller, real.appId, 'Adele Vance', 'Contoso Helpdesk Bot', phone, phone.slice(2)];
  if (extra.meetingThread) identities.push(extra.meetingThread);
  if (extra.organizer) identities.push(extra.organizer);
  const recordedIds = Object.entries(ids)
    .filter(([name]) => name !== 'tenant' && name !== 'caller')
    .map(([, id]) => id);
  return { rec, secrets, identities, recordedIds, ids };
}

/** Fails naming every secret, identity or recorded id found in `text` (GUIDs in any spelling). */
function expectNoLeaks(text: string, r: Pick<Realistic, 'secrets' | 'identities' | 'recordedIds'>): void {
  const compact = text.replace(/-/g, '').toLowerCase();
  const hits: string[] = [];
  for (const s of r.secrets) {
    if (text.includes(s)) hits.push(`secret ${s.slice(0, 12)}...`);
    const sig = s.split('.')[2];
    if (sig && sig.length > 20 && text.includes(sig)) hits.push(`signature of ${s.slice(0, 12)}...`);
  }
  for (const id of [...r.identities, ...r.recordedIds]) {
    const isGuid = /^[0-9a-f-]{36}$/i.test(id);
    if (isGuid ? compact.includes(id.replace(/-/g, '').toLowerCase()) : text.includes(id)) hits.push(`identity/id ${id}`);
  }
  expect(hits, 'values from the recording found in the flow').toEqual([]);
}

const referenceBot = (extraEnv: Record<string, string | undefined> = {}) => (env: NodeJS.ProcessEnv) => new ReferenceBot(configFromEnv({ ...env, ...extraEnv }));

type FlowDoc = { ids?: string[]; values?: Record<string, string>; steps: Array<Record<string, Record<string, unknown>>>; [k: string]: unknown };

let p2p: Promise<{ r: Realistic; yaml: string; flow: FlowDoc; report: ReturnType<typeof recordingToFlow>['report'] }> | undefined;
/** The P2P-to-meeting transfer (v1.0), recorded with a realistic bot configuration, converted once per worker. */
function recordedP2p() {
  p2p ??= (async () => {
    const meetingThread = '19:meeting_NGFkMzQ1ZjctZjQ2Ny00YjI0LWE2NzEtODc3YjA0ZTg1NWQ4@thread.v2';
    const organizer = randomUUID();
    const outcome = await runInProcess(await shippedFlow('p2p-to-meeting-transfer-v1'), referenceBot({ MEETING_THREAD_ID: meetingThread, MEETING_ORGANIZER_ID: organizer }));
    expect(outcome.status, JSON.stringify(outcome.findings)).toBe('passed');
    const r = makeRealistic(outcome, { meetingThread, organizer });
    const { yaml, flow, report } = recordingToFlow(r.rec, { name: 'recorded-p2p-transfer' });
    return { r, yaml, flow: flow as FlowDoc, report };
  })();
  return p2p;
}

function stepIndex(flow: FlowDoc, pred: (s: Record<string, Record<string, unknown>>) => boolean): number {
  return flow.steps.findIndex(pred);
}

// ---------------------------------------------------------------------------- recordingToFlow

test('a recorded P2P-to-meeting transfer becomes a scrubbed flow: no secret, no real identity, no recorded id', async () => {
  const { r, yaml, flow, report } = await recordedP2p();
  expectNoLeaks(yaml, r);
  expectNoLeaks(JSON.stringify(flow), r);
  // nothing of a credential header, a correlation header or a cookie is written
  expect(yaml).not.toMatch(/^\s*"?(authorization|cookie|set-cookie|client-request-id|request-id|x-ms-ags-diagnostic|date)"?:/im);
  expect(yaml).not.toMatch(/validationToken|client_secret|client_assertion|access_token|ARRAffinity|Bearer/i);
  expect(report.secretsRemoved).toBeGreaterThanOrEqual(r.rec.exchanges.filter((e) => e.request.headers['authorization']).length + 3);
  expect(report.pseudonymised).toMatchObject({ tenantId: 1, displayName: expect.any(Number), phone: 1, threadId: 1 });
  expect(report.skipped.join('\n')).toMatch(/token request/);
  expect(report.skipped.join('\n')).toMatch(/signing keys/);
  // neutral names and numbers
  expect(yaml).toContain('displayName: User 1');
  expect(yaml).toContain('displayName: Bot');
  expect(yaml).toMatch(/id: "?\+1555010\d{4}"?/);
});

test('the recorded flow names its ids by role, templates them as spelled and keeps volatile fields out of literals', async () => {
  const { yaml, flow, report } = await recordedP2p();
  expect(flow).toMatchObject({ callreplay: 1, name: 'recorded-p2p-transfer', suite: 'recorded', api: 'v1.0', source: expect.stringMatching(/^recorded \d{4}-\d{2}-\d{2} with callreplay record$/) });
  expect(flow.ids).toEqual(expect.arrayContaining(['p2pCall', 'meetingCall', 'tenant', 'caller', 'inviteOp', 'botParticipant', 'callerParticipant']));
  expect(report.captures).toEqual(['inviteContext']);
  // each notification a notify step, each Graph request an expect step, in the recorded order
  const kinds = flow.steps.map((s) => Object.keys(s)[0]);
  expect(kinds).toEqual(['notify', 'expect', 'notify', 'notify', 'expect', 'notify', 'notify', 'expect', 'notify', 'notify', 'notify', 'notify']);
  expect(flow.steps[0]!['notify']).toMatchObject({ to: 'auto' });
  // spelling: Graph's notifications upper-case hyphen-less, the bot's paths and Graph's answers as they were
  expect(yaml).toContain('resourceUrl: /communications/calls/${p2pCall:hex}');
  expect(yaml).toContain('path: /v1.0/communications/calls/${meetingCall}/participants/invite');
  expect(yaml).toContain('Location: ${graph}/v1.0/communications/calls/${meetingCall}/operations/${inviteOp}');
  expect(yaml).toMatch(/"@odata.id": \/communications\/calls\/\$\{meetingCall:hex\}\/participants\/\$\{callerParticipant:hex\}/);
  // the bot's app id, its clientContext, Graph's echo of it, volatile fields
  expect(yaml).toContain('id: ${botAppId}');
  const invite = flow.steps[stepIndex(flow, (s) => String(s['expect']?.['path']).endsWith('/participants/invite'))]!['expect']!;
  expect(invite['capture']).toEqual({ inviteContext: 'body.clientContext?' });
  expect(invite['body']).toMatchObject({ participants: [{ replacesCallId: { $id: 'p2pCall' }, identity: { user: { id: { $id: 'caller' }, tenantId: { $id: 'tenant' } } } }] });
  expect(JSON.stringify(invite['body'])).not.toContain('clientContext');
  expect(invite['respond']).toMatchObject({ status: 200, body: { clientContext: '${inviteContext}', createdDateTime: '${now}', lastActionDateTime: '${now}' } });
  expect(yaml).toMatch(/clientContext: \$\{inviteContext\}\n\s+status: completed/);
  // what the bot chose from its configuration (meeting, organizer, callback) is matched loosely
  const join = flow.steps[stepIndex(flow, (s) => s['expect']?.['path'] === '/v1.0/communications/calls')]!['expect']!;
  expect(join['body']).toMatchObject({ callbackUri: { $type: 'string' }, chatInfo: { threadId: { $type: 'string' } }, meetingInfo: { organizer: { user: { id: { $type: 'string' }, tenantId: { $id: 'tenant' } } } } });
  // comments say where each step came from
  expect(yaml).toMatch(/# recorded #\d+ at \+\d+\.\d{3} s: POST \/v1\.0\/communications\/calls\/\{p2pCall\}\/answer -> 202\n\s+- expect:/);
  expect(yaml).toMatch(/# recorded #0 at \+\d+\.\d{3} s: notification POST \/api\/calls -> 202\n\s+- notify:/);
});

test('the recorded flow parses and replays green against the reference bot (with its default configuration)', async () => {
  const { yaml } = await recordedP2p();
  const flow = parseFlow(yaml, 'recorded-p2p-transfer.yaml');
  const outcome = await runInProcess(flow, referenceBot());
  expect(outcome.findings).toEqual([]);
  expect(outcome.status).toBe('passed');
});

test('the recorded flow fails a defective bot at the invite step, naming the replacesCallId mismatch', async () => {
  const { yaml, flow } = await recordedP2p();
  const invite = stepIndex(flow, (s) => String(s['expect']?.['path']).endsWith('/participants/invite')) + 1;
  const outcome = await runInProcess(parseFlow(yaml, 'recorded-p2p-transfer.yaml'), (env) => defectiveBot('wrong-replaces-call-id', env));
  expect(outcome.status).toBe('failed');
  const f = outcome.findings[0]!;
  expect(f).toMatchObject({ kind: 'incorrect', step: invite });
  expect(f.message).toMatch(/body\.participants\[0\]\.replacesCallId: expected p2pCall \([0-9a-f-]{36}\), got meetingCall \(/);
});

test('ids are fresh on replay: a bot that replays the recorded call id fails', async () => {
  const { r, yaml, flow } = await recordedP2p();
  const recordedP2pCall = r.ids['p2pCall']!;
  class ReplayingBot extends ReferenceBot {
    protected override callUrl(route: GraphRoute, callId?: string, suffix = ''): string {
      return super.callUrl(route, callId === undefined ? undefined : recordedP2pCall, suffix);
    }
  }
  const outcome = await runInProcess(parseFlow(yaml, 'recorded-p2p-transfer.yaml'), (env) => new ReplayingBot(configFromEnv(env)));
  expect(outcome.status).toBe('failed');
  const answer = stepIndex(flow, (s) => String(s['expect']?.['path']).endsWith('/answer')) + 1;
  expect(outcome.findings[0]!.step).toBe(answer);
});

test('ivr-record-response: the recording access token becomes a fresh id (never the literal); the flow replays green', async () => {
  const outcome = await runInProcess(await shippedFlow('ivr-record-response'), referenceBot());
  expect(outcome.status, JSON.stringify(outcome.findings)).toBe('passed');
  const recordingToken = fakeJwt({ aud: 'https://graph.microsoft.com/recordings', scope: 'recording.read' });
  const r = makeRealistic(outcome, { recordingToken });
  const { yaml, flow, report } = recordingToFlow(r.rec, { name: 'recorded-voicemail' });
  expectNoLeaks(yaml, r);
  expect(yaml).not.toContain('Contoso Voicemail');
  const doc = flow as FlowDoc;
  expect(doc.ids).toEqual(expect.arrayContaining(['call', 'recordOp', 'recording', 'recordingToken']));
  expect(yaml).toContain('recordingAccessToken: ${recordingToken}');
  expect(yaml).toContain('recordingLocation: ${graph}/v1.0/communications/calls/${call}/recordings/${recording}');
  const download = doc.steps.find((s) => s['expect']?.['method'] === 'GET')!['expect']!;
  expect(download).toMatchObject({ path: '/v1.0/communications/calls/${call}/recordings/${recording}', headers: { authorization: 'Bearer ${recordingToken}' } });
  expect(JSON.stringify(download['respond'])).not.toContain('callreplay-recording'); // recorded media is not kept
  expect(report.captures).toEqual(['recordResponseContext']);
  // the line called is the bot's resource account: a fixed pseudonym the bot is configured with
  const line = doc.values?.['botLine'];
  expect(line).toMatch(/^00000000-0000-4000-8000-\d{12}$/);
  const replay = await runInProcess(parseFlow(yaml, 'recorded-voicemail.yaml'), referenceBot({ VOICEMAIL_LINE_ID: line }));
  expect(replay.findings).toEqual([]);
  expect(replay.status).toBe('passed');

  // --keep appId keeps the real line, so the bot's own configuration replays it as it is
  const kept = recordingToFlow(r.rec, { name: 'recorded-voicemail', keep: ['appId'] });
  expect((kept.flow as FlowDoc).values?.['botLine']).toBe('2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b06');
  const keptReplay = await runInProcess(parseFlow(kept.yaml, 'recorded-voicemail.yaml'), referenceBot());
  expect(keptReplay.status, JSON.stringify(keptReplay.findings)).toBe('passed');
});

test('keep opts identity fields out of pseudonymising; an unknown field is refused', async () => {
  const { r } = await recordedP2p();
  const { yaml, report } = recordingToFlow(r.rec, { name: 'recorded-kept', keep: ['displayName', 'tenantId,phone'] });
  expect(yaml).toContain('Adele Vance');
  expect(yaml).toContain('+14255550123');
  const tenant = r.identities[0]!;
  expect(yaml).toContain(`tenant: ${tenant}`); // a kept tenant is a fixed value, not a fresh id
  expect(report.pseudonymised['tenantId']).toBeUndefined();
  expect(yaml).not.toContain(r.identities[1]!); // the caller is still pseudonymised
  // the bot's own app id is always the built-in, even with appId kept
  const appKept = recordingToFlow(r.rec, { name: 'recorded-kept', keep: ['appId'] });
  expect(appKept.yaml).toContain('id: ${botAppId}');
  expect(appKept.yaml).not.toContain(r.identities[2]!);
  expect(() => recordingToFlow(r.rec, { name: 'recorded-kept', keep: ['password'] })).toThrow(/unknown --keep field "password": known fields are tenantId, userId, appId, phone, displayName, threadId, joinUrl/);
  expect(() => recordingToFlow(r.rec, { name: 'Not Kebab' })).toThrow(/kebab-case/);
});

test('the last line of defence: a recorded value the templating cannot reach stops the conversion, naming only its kind', () => {
  const tenant = randomUUID();
  const call = randomUUID();
  const notification = (changeType: string, resourceData: Record<string, unknown>) => JSON.stringify({ value: [{ changeType, resourceUrl: `/communications/calls/${call}`, resourceData }] });
  const rec: Recording = {
    version: 1,
    startedAt: '2026-11-01T10:00:00.000Z',
    botUrl: 'http://127.0.0.1:3978/api/calls',
    upstream: { graph: 'https://graph.microsoft.com', login: 'https://login.microsoftonline.com', auth: 'https://api.aps.skype.com' },
    exchanges: [
      // an id used as a property name is never templated
      { seq: 0, at: 0, direction: 'inbound', service: 'notification', request: { method: 'POST', url: '/api/calls', headers: {}, body: notification('created', { state: 'incoming', tenantId: tenant, extensions: { [tenant]: { enabled: true } } }) }, response: { status: 202, headers: {}, body: '' }, relayOverheadMs: 0, totalMs: 1 },
    ],
  };
  let message = '';
  try {
    recordingToFlow(rec, { name: 'leaky' });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/refusing to write the flow: it would contain recorded tenantId values/);
  expect(message).not.toContain(tenant);
  // without that property the same recording converts
  const body = JSON.parse(rec.exchanges[0]!.request.body) as { value: Array<{ resourceData: Record<string, unknown> }> };
  delete body.value[0]!.resourceData['extensions'];
  rec.exchanges[0]!.request.body = JSON.stringify(body);
  rec.exchanges[0]!.response = { status: 401, headers: {}, body: '' };
  const { report } = recordingToFlow(rec, { name: 'leaky' });
  expect(report.notes).toEqual(['step 1: the bot answered this notification with 401; a replay expects 2xx']);
});

// ---------------------------------------------------------------------------- import

test('import: a folder of captured notifications gives a valid draft flow of notify steps', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'recordings', 'captured-p2p.yaml');
    const lines: string[] = [];
    const code = await importCommand({ input: join(capturedDir, 'p2p-simple'), out }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toMatch(/wrote .*captured-p2p\.yaml: flow captured-p2p, 6 steps \(6 notify, 0 expect\)/);
    const yaml = readFileSync(out, 'utf8');
    const flow = parseFlow(yaml, out);
    expect(flow.steps.map((s) => s.kind)).toEqual(['notify', 'notify', 'notify', 'notify', 'notify', 'notify']);
    expect(yaml).toMatch(/# DRAFT: made from notifications only\. The bot's requests must be added/);
    expect(flow.steps.map((s) => s.name)).toEqual(['call establishing', 'call established', 'call established', 'call established tone tone1', 'playPromptOp completed', 'call terminated']);
    // the captured ids, the developer's tunnel host and the operation's clientContext are not kept as recorded
    expect(yaml).not.toMatch(/6f1f5c00|11cccef9|sambetts|299adb91/i);
    expect(yaml).toContain('uri: ${botUrl}/audio/responder-notification.wav');

    // a group call's captures: tenant, users, the bot's application, tokens, encoded routing data
    const out2 = join(dir, 'recordings', 'captured-group-call.yaml');
    expect(await importCommand({ input: join(capturedDir, 'group-call'), out: out2 }, { out: () => {}, err: (l) => lines.push(l) })).toBe(0);
    const group = readFileSync(out2, 'utf8');
    parseFlow(group, out2);
    const raw = ['GroupCalls-GroupCallBotJoin.json', 'GroupCalls-GroupCallEnd.json', 'GroupCalls-GroupCallUserJoin.json'].map((f) => readFileSync(join(capturedDir, 'group-call', f), 'utf8')).join('\n');
    const guids = [...new Set(raw.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])].filter((g) => !/^0{8}/.test(g));
    const jwts = raw.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? [];
    expect(guids.length).toBeGreaterThan(5);
    expectNoLeaks(group, { secrets: [...jwts, 'eyJydGlkIjoiMjg6b3JnaWQ6'], identities: ['CallAndRedirectBot', 'Sam2', 'RandoBot2 (appid:d2a35726'], recordedIds: guids });
  } finally {
    cleanup();
  }
});

/** A small HAR (as Dev Proxy writes them): a call to the bot's reject line, rejected. */
function rejectHar(ids: { tenant: string; call: string; line: string; appId: string; secret: string; notificationJwt: string; graphJwt: string; validationToken: string }) {
  const callHex = hexId(ids.call);
  const h = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
  const entry = (startedDateTime: string, method: string, url: string, headers: Record<string, string>, body: unknown, status: number, resHeaders: Record<string, string>, resBody: unknown) => ({
    startedDateTime,
    time: 42,
    request: { method, url, httpVersion: 'HTTP/1.1', headers: h(headers), queryString: [], cookies: [], headersSize: -1, bodySize: -1, ...(body === undefined ? {} : { postData: { mimeType: 'application/json', text: typeof body === 'string' ? body : JSON.stringify(body) } }) },
    response: { status, statusText: '', httpVersion: 'HTTP/1.1', headers: h(resHeaders), cookies: [], content: { size: -1, mimeType: resHeaders['content-type'] ?? 'application/json', ...(resBody === undefined ? {} : { text: typeof resBody === 'string' ? resBody : JSON.stringify(resBody) }) }, redirectURL: '', headersSize: -1, bodySize: -1 },
    cache: {},
    timings: { send: 0, wait: 42, receive: 0 },
  });
  const notification = (changeType: string, resourceData: Record<string, unknown>) => ({ '@odata.type': '#microsoft.graph.commsNotifications', value: [{ '@odata.type': '#microsoft.graph.commsNotification', changeType, resourceUrl: `/communications/calls/${callHex}`, resourceData: { '@odata.type': '#microsoft.graph.call', '@odata.id': `/communications/calls/${callHex}`, ...resourceData } }] });
  const bot = 'https://contoso-bot.ngrok-free.app';
  return {
    log: {
      version: '1.2',
      creator: { name: 'Dev Proxy', version: '0.29.0' },
      entries: [
        entry('2026-11-20T09:00:00.000Z', 'POST', `${bot}/api/calls?validationToken=${ids.validationToken}`, { 'content-type': 'application/json', authorization: `Bearer ${ids.notificationJwt}`, 'client-request-id': randomUUID() }, notification('created', {
          state: 'incoming',
          direction: 'incoming',
          tenantId: ids.tenant,
          callChainId: randomUUID(),
          source: { '@odata.type': '#microsoft.graph.participantInfo', identity: { phone: { '@odata.type': '#microsoft.graph.identity', id: '+12065550199', displayName: 'Jane Roe' } }, endpointType: 'default' },
          targets: [{ '@odata.type': '#microsoft.graph.participantInfo', identity: { applicationInstance: { '@odata.type': '#microsoft.graph.identity', id: ids.line, displayName: 'Contoso Reception', tenantId: ids.tenant } } }],
          requestedModalities: ['audio'],
        }), 202, {}, ''),
        entry('2026-11-20T09:00:00.050Z', 'POST', `https://login.microsoftonline.com/${ids.tenant}/oauth2/v2.0/token`, { 'content-type': 'application/x-www-form-urlencoded' }, `client_id=${ids.appId}&client_secret=${encodeURIComponent(ids.secret)}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&grant_type=client_credentials`, 200, { 'content-type': 'application/json' }, { token_type: 'Bearer', expires_in: 3599, access_token: ids.graphJwt }),
        entry('2026-11-20T09:00:00.120Z', 'GET', 'https://graph.microsoft.com/v1.0/me', { authorization: `Bearer ${ids.graphJwt}` }, undefined, 403, {}, { error: { code: 'Forbidden' } }),
        entry('2026-11-20T09:00:00.150Z', 'POST', `https://graph.microsoft.com/v1.0/communications/calls/${callHex}/reject`, { 'content-type': 'application/json', authorization: `Bearer ${ids.graphJwt}`, cookie: 'ARRAffinity=0123456789abcdef0123456789abcdef' }, { reason: 'busy', callbackUri: `${bot}/api/calls` }, 202, { 'request-id': randomUUID(), 'client-request-id': randomUUID(), 'x-ms-ags-diagnostic': '{"ServerInfo":{"DataCenter":"West Europe"}}', date: 'Fri, 20 Nov 2026 09:00:00 GMT' }, undefined),
        entry('2026-11-20T09:00:01.500Z', 'POST', `${bot}/api/calls`, { 'content-type': 'application/json', authorization: `Bearer ${ids.notificationJwt}` }, notification('deleted', { state: 'terminated', resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', code: 603, subcode: 0, message: 'Call rejected by the application' }, endedDateTime: '2026-11-20T09:00:01.400Z' }), 202, {}, ''),
        entry('2026-11-20T09:00:01.600Z', 'GET', 'https://www.bing.com/', {}, undefined, 200, { 'content-type': 'text/html' }, '<html></html>'),
      ],
    },
  };
}

test('import: a hand-written HAR gives notify and expect steps, scrubbed, that replay green', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const ids = {
      tenant: randomUUID(),
      call: randomUUID(),
      line: randomUUID(),
      appId: randomUUID(),
      secret: `Zq8Q~${randomBytes(18).toString('base64url')}`,
      notificationJwt: fakeJwt({ iss: 'https://api.botframework.com', aud: 'app' }),
      graphJwt: fakeJwt({ aud: 'https://graph.microsoft.com' }),
      validationToken: randomBytes(20).toString('hex'),
    };
    const har = join(dir, 'reject.har');
    writeFileSync(har, JSON.stringify(rejectHar(ids), null, 2));
    const out = join(dir, 'recordings', 'imported-reject.yaml');
    const lines: string[] = [];
    const code = await importCommand({ input: har, out }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    const yaml = readFileSync(out, 'utf8');
    const flow = parseFlow(yaml, out);
    expect(flow.steps.map((s) => `${s.kind} ${s.name}`)).toEqual(['notify call incoming', 'expect reject', 'notify call terminated']);
    expect(yaml).toMatch(/source: imported 2026-11-20 with callreplay import from reject\.har/);
    expect(yaml).toMatch(/# recorded #3 at \+0\.150 s: POST \/v1\.0\/communications\/calls\/\{call\}\/reject -> 202/);
    expectNoLeaks(yaml, {
      secrets: [ids.secret, ids.notificationJwt, ids.graphJwt, ids.validationToken, '0123456789abcdef0123456789abcdef'],
      identities: [ids.tenant, ids.line, ids.appId, '+12065550199', 'Jane Roe', 'Contoso Reception', 'contoso-bot.ngrok-free.app'],
      recordedIds: [ids.call],
    });
    expect(yaml).not.toMatch(/bing|\/me\b|request-id|x-ms-ags-diagnostic/);
    expect(yaml).toContain('endedDateTime: ${now}');
    // the reference bot, its reject line configured as the flow's pseudonym, replays it green
    const line = (/^\s+botLine: (\S+)$/m.exec(yaml) ?? [])[1];
    expect(line).toBeDefined();
    const outcome = await runInProcess(flow, referenceBot({ REJECT_LINE_ID: line }));
    expect(outcome.findings).toEqual([]);
    expect(outcome.status).toBe('passed');
  } finally {
    cleanup();
  }
});

test('import: bad input exits 2 naming the file and the problem; an existing flow is not overwritten without --force', async () => {
  const { dir, cleanup } = tempDir();
  const run = async (input: string, out = join(dir, 'out', 'x.yaml'), extra: { force?: boolean; keep?: string[] } = {}) => {
    const err: string[] = [];
    const code = await importCommand({ input, out, ...extra }, { out: () => {}, err: (l) => err.push(l) });
    return { code, err: err.join('\n') };
  };
  try {
    // a folder with a file that is not JSON
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, '01-ok.json'), readFileSync(join(capturedDir, 'p2p-simple', 'P2P-SimpleTest-P2PTest1Event1CallEstablishing.json')));
    writeFileSync(join(bad, '02-broken.json'), '{ "value": [ ');
    let r = await run(bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/02-broken\.json: not valid JSON/);
    // JSON that is no notification
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'roster.json'), JSON.stringify([{ file: '637346081767043326', event: { AddedResources: [] } }]));
    r = await run(other);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/roster\.json: not a commsNotifications body or a single notification/);
    // an empty folder, a missing file, a HAR that is not one, a HAR with nothing to use
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((r = await run(empty)).code).toBe(2);
    expect(r.err).toMatch(/empty: the folder holds no \.json files/);
    expect((r = await run(join(dir, 'missing.har'))).code).toBe(2);
    expect(r.err).toMatch(/missing\.har: cannot read it \(ENOENT\)/);
    writeFileSync(join(dir, 'not.har'), '{"entries": []}');
    expect((r = await run(join(dir, 'not.har'))).code).toBe(2);
    expect(r.err).toMatch(/not\.har: not a HAR file/);
    writeFileSync(join(dir, 'useless.har'), JSON.stringify({ log: { entries: [{ startedDateTime: '2026-01-01T00:00:00Z', request: { method: 'GET', url: 'https://example.com/', headers: [] }, response: { status: 200, headers: [], content: {} } }] } }));
    expect((r = await run(join(dir, 'useless.har'))).code).toBe(2);
    expect(r.err).toMatch(/useless\.har: none of its 1 entries is a Graph calling request/);
    // an unknown --keep field
    expect((r = await run(join(capturedDir, 'p2p-simple'), undefined, { keep: ['secret'] })).code).toBe(2);
    expect(r.err).toMatch(/unknown --keep field "secret"/);
    // refuses to overwrite unless forced
    const out = join(dir, 'out', 'captured.yaml');
    expect((await run(join(capturedDir, 'p2p-simple'), out)).code).toBe(0);
    r = await run(join(capturedDir, 'p2p-simple'), out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/captured\.yaml already exists: use --force/);
    expect((await run(join(capturedDir, 'p2p-simple'), out, { force: true })).code).toBe(0);
    // a name that is not kebab-case
    expect((r = await run(join(capturedDir, 'p2p-simple'), join(dir, 'out', 'Bad Name.yaml'))).code).toBe(2);
    expect(r.err).toMatch(/kebab-case/);
  } finally {
    cleanup();
  }
});
