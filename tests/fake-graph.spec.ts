// The fake Graph's answer to each calling action, compared with what the Graph docs say
// (tests/fixtures/graph-doc-table.ts, written from the doc pages, never from the fake's own table):
// status, Location, response body and the notifications that follow. One test per action in the v1.0
// spelling, then one test per other spelling class a bot may use (namespace-qualified actions with
// Graph-style ids, beta /communications, the deprecated beta /app), each over every action. Also:
// keepAlive on an ended call, read bodies, paths that are not actions, and Graph's error shape.
import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { FAKE_GRAPH_ACTIONS, answerAsGraph, graphErrorBody, type FakeGraphAnswer } from '../harness/graph/fake-graph.js';
import { GRAPH_REFUSALS } from '../harness/graph/legality.js';
import { answerUnknownPath } from '../harness/graph/unknown-paths.js';
import { GRAPH_DOC_REFUSALS, GRAPH_DOC_TABLE, type DocResource, type DocRow } from './fixtures/graph-doc-table.js';
import { BODIES, GRAPH, bodyFor, context, notificationsOf, type Notification } from './fixtures/fake-graph-requests.js';

/** A way of spelling request paths; classes differ in what the answer echoes (version, root, ids). */
interface SpellingClass {
  name: string;
  version: 'v1.0' | 'beta';
  root: 'communications' | 'app';
  /** POST actions as `/microsoft.graph.{action}` (C# SDK v4; the v1.0 sendDtmfTones example) */
  qualified: boolean;
  /** how the bot spells ids: Graph's notifications use upper-case GUIDs without hyphens (call-answer Example 1 posts to one) */
  spell: (id: string) => string;
}

const V1: SpellingClass = { name: 'v1.0 /communications/calls/{id}/{action}', version: 'v1.0', root: 'communications', qualified: false, spell: (id) => id };

const OTHER_CLASSES: SpellingClass[] = [
  { name: 'v1.0 /microsoft.graph.{action}, ids upper-case without hyphens', version: 'v1.0', root: 'communications', qualified: true, spell: (id) => id.replace(/-/g, '').toUpperCase() },
  // graph-docs/beta_api_*.md: same statuses as v1.0; "Location: https://graph.microsoft.com/beta/communications/calls/..."
  { name: 'beta /communications/calls', version: 'beta', root: 'communications', qualified: false, spell: (id) => id },
  // graph-docs/beta_api_call-playprompt.md: "POST /app/calls/{id}/playPrompt" (deprecated alias). The Location keeps /app
  // (the 2019 beta seed page: "201 + Location …/beta/app/calls/90ED…", quoted in fidelity-audit-2026-12.md §1 row 7).
  // Notifications: doc examples and every capture carry resourceUrl /communications/... with resource /app/...;
  // the fake puts /app in both. Not clear enough to fix (no capture says which path the bot used), so either root is accepted.
  { name: 'beta /app/calls (deprecated alias)', version: 'beta', root: 'app', qualified: false, spell: (id) => id.toUpperCase() },
];

/** Ids compare without case or hyphens: Graph spells the same GUID both ways. */
const norm = (s: string) => s.toLowerCase().replace(/-/g, '');
const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** `want` is part of `actual`: objects key by key, each entry of an array in some entry of the actual array, GUIDs in any spelling. */
function partOf(actual: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(actual) && want.every((w) => actual.some((a) => partOf(a, w)));
  if (want !== null && typeof want === 'object') {
    return actual !== null && typeof actual === 'object' && !Array.isArray(actual) && Object.entries(want).every(([k, v]) => partOf((actual as Record<string, unknown>)[k], v));
  }
  if (typeof want === 'string' && GUID.test(want)) return typeof actual === 'string' && norm(actual) === norm(want);
  return Object.is(actual, want);
}

type Ids = { id: string; participantId: string; operationId: string; recordingId: string };

function fill(data: unknown, ids: Ids): unknown {
  return JSON.parse(JSON.stringify(data).replace(/\{(id|participantId)\}/g, (_, k: keyof Ids) => ids[k]));
}

/** The request path of a doc row in a spelling class. */
function pathFor(row: DocRow, cls: SpellingClass, ids: Ids): string {
  const segs = row.path.split('/').filter(Boolean);
  segs[0] = cls.root;
  const last = segs.length - 1;
  const out = segs.map((seg, i) => {
    const m = /^\{(\w+)\}$/.exec(seg);
    if (m) return cls.spell(ids[m[1] as keyof Ids]);
    return cls.qualified && row.method === 'POST' && i === last && i > 1 ? `microsoft.graph.${seg}` : seg;
  });
  return `/${cls.version}/${out.join('/')}`;
}

/** Runs one action against the fake Graph on an established call (incoming for answer, reject, redirect) with a recordResponse running. */
function run(row: DocRow, cls: SpellingClass) {
  const ids: Ids = { id: randomUUID(), participantId: randomUUID(), operationId: randomUUID(), recordingId: randomUUID() };
  const running = { id: randomUUID(), action: 'recordResponse', clientContext: 'rec' };
  const state = ['answer', 'reject', 'redirect'].includes(row.action) ? 'incoming' : 'established';
  const clientContext = `cc-${randomUUID()}`;
  const path = pathFor(row, cls, ids);
  const answer = answerAsGraph(row.method, path, bodyFor(row.action, clientContext), context({ call: { id: ids.id, state, runningOperations: [running] } }));
  return { ids, running, clientContext, path, answer };
}

/** Compares the fake's answer with the doc row; every message names the action and its page. */
function expectAsDocumented(row: DocRow, cls: SpellingClass, r: ReturnType<typeof run>): void {
  const label = `${row.method} ${row.action} [${cls.name}] (${row.doc})`;
  expect(r.answer, `${label}: ${r.path} is recognised`).toBeDefined();
  const answer = r.answer as FakeGraphAnswer;
  expect(answer.action, `${label}: action`).toBe(row.action);
  const { status, headers, body } = answer.response;
  expect(status, `${label}: status`).toBe(row.status);

  // the body
  const b = body as Record<string, unknown> | undefined;
  if (row.body.kind === 'none') expect(body, `${label}: no body`).toBeUndefined();
  if (row.body.kind === 'operation') {
    expect(b?.['@odata.type'], `${label}: operation type`).toBe(row.body.type);
    expect(b?.['status'], `${label}: operation status`).toBe(row.body.status);
    expect(String(b?.['id']), `${label}: operation id`).toMatch(GUID);
    expect(b?.['clientContext'], `${label}: the request's clientContext`).toBe(r.clientContext);
  }
  if (row.body.kind === 'entity') {
    expect(b?.['@odata.type'], `${label}: entity type`).toBe(row.body.type);
    const named = row.path.endsWith('{participantId}') ? r.ids.participantId : row.path.endsWith('{operationId}') ? r.ids.operationId : row.path.endsWith('{id}') ? r.ids.id : undefined;
    if (named) expect(norm(String(b?.['id'])), `${label}: the entity the path names`).toBe(norm(named));
  }
  if (row.body.kind === 'collection') {
    const value = (b?.['value'] ?? []) as Array<Record<string, unknown>>;
    expect(value.length, `${label}: a collection`).toBeGreaterThan(0);
    for (const item of value) expect(item['@odata.type'], `${label}: collection item type`).toBe(row.body.type);
  }
  if (row.body.kind === 'bytes') {
    expect(headers['content-type'], `${label}: content type`).toBe(row.body.contentType);
    expect(typeof body === 'string' && body.length > 0, `${label}: bytes`).toBe(true);
  }

  // the Location header, ids compared in any spelling
  const callId = row.location === 'call' ? String(b?.['id']) : r.ids.id;
  const callAt = `${GRAPH}/${cls.version}/${cls.root}/calls/${cls.spell(callId)}`;
  const location = headers['location'];
  if (row.location === 'none') expect(location, `${label}: no Location`).toBeUndefined();
  if (row.location === 'call') expect(norm(String(location)), `${label}: Location of the created call`).toBe(norm(callAt));
  if (row.location === 'operation') {
    expect(norm(String(location)), `${label}: Location of the operation`).toBe(norm(`${callAt}/operations/${String(b?.['id'])}`));
  }

  // the follow-ups: what each is about, in order, then its data
  const notes = notificationsOf(answer);
  const root = cls.root === 'app' ? '(communications|app)' : 'communications';
  const about = (n: Notification): DocResource | string => {
    const m = new RegExp(`^/${root}/calls/(?<call>[^/]+)(?<sub>/participants|/operations/(?<op>[^/]+))?$`, 'i').exec(n.resourceUrl)?.groups;
    if (!m || norm(m['call']!) !== norm(callId)) return `another call: ${n.resourceUrl}`;
    if (m['sub'] === '/participants') return 'participants';
    if (m['op'] === undefined) return 'call';
    if (norm(m['op']) === norm(String(b?.['id']))) return 'own-operation';
    return norm(m['op']) === norm(r.running.id) ? 'running-operation' : `another operation: ${n.resourceUrl}`;
  };
  expect(notes.map((n) => `${n.changeType} ${about(n)}`), `${label}: follow-ups`).toEqual(row.followUps.map((f) => `${f.changeType} ${f.on}`));
  row.followUps.forEach((f, i) => {
    const n = notes[i]!;
    const want = fill(f.data, r.ids);
    expect(partOf(n.resourceData, want), `${label}: follow-up ${i + 1} ${JSON.stringify(n.resourceData)} should have ${JSON.stringify(want)}`).toBe(true);
    if (cls.root === 'app' && n.resource !== undefined) expect(n.resource, `${label}: the legacy resource is the /app spelling`).toMatch(/^\/app\/calls\//);
    if (f.on === 'own-operation') {
      expect(norm(String((n.resourceData as Record<string, unknown>)['id'])), `${label}: the operation's id`).toBe(norm(String(b?.['id'])));
      expect((n.resourceData as Record<string, unknown>)['clientContext'], `${label}: the operation's clientContext`).toBe(r.clientContext);
    }
    if (f.on === 'running-operation') expect((n.resourceData as Record<string, unknown>)['clientContext'], `${label}: the running operation's clientContext`).toBe(r.running.clientContext);
  });
}

test.describe('each action as the Graph docs document it (v1.0)', () => {
  for (const row of GRAPH_DOC_TABLE) {
    test(`${row.method} ${row.path} (${row.action})`, () => {
      expectAsDocumented(row, V1, run(row, V1));
    });
  }
});

for (const cls of OTHER_CLASSES) {
  test(`every action, spelled ${cls.name}`, () => {
    for (const row of GRAPH_DOC_TABLE) expectAsDocumented(row, cls, run(row, cls));
  });
}

test('the doc table and the fake Graph name the same actions, and every row cites its page', () => {
  const documented = GRAPH_DOC_TABLE.map((r) => r.action);
  expect(new Set(documented).size).toBe(documented.length);
  // names only: the values the fake serves are compared above, with the doc table's
  expect([...documented].sort()).toEqual(FAKE_GRAPH_ACTIONS.map((a) => a.action).sort());
  for (const row of GRAPH_DOC_TABLE) {
    expect(row.doc, row.action).toMatch(/^graph-docs\/v1\.0_\w+_[\w-]+\.md$|^graph-calling-protocol\.md §/);
    expect(row.quote.length, row.action).toBeGreaterThan(20);
    if (row.doc.startsWith('graph-calling-protocol')) expect(row.note, `${row.action}: says why no doc page`).toBeTruthy();
  }
});

test('keepAlive: 200 without a body; on a terminated call 404 with error 8522 in Graph\'s error shape', () => {
  const callId = randomUUID();
  expect(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/keepAlive`, undefined, context({ call: { id: callId, state: 'established' } }))).toEqual({
    action: 'keepAlive',
    response: { status: 200, headers: {} },
    followUps: [],
  });
  const now = new Date('2025-01-02T03:04:05.678Z');
  const dead = answerAsGraph('POST', `/v1.0/communications/calls/${callId.replace(/-/g, '')}/microsoft.graph.keepAlive`, undefined, context({ call: { id: callId, state: 'terminated' }, now: () => now, clientRequestId: 'crid' }))!;
  expect(dead.response.status).toBe(404);
  expect(dead.followUps).toEqual([]);
  const error = (dead.response.body as { error: Record<string, unknown> }).error;
  expect(error).toMatchObject({ code: '8522', innerError: { date: '2025-01-02T03:04:05', 'client-request-id': 'crid' } });
  expect(String((error['innerError'] as Record<string, unknown>)['request-id'])).toMatch(/^[0-9a-f-]{36}$/);
  // another call's state does not matter
  expect(answerAsGraph('POST', `/v1.0/communications/calls/${randomUUID()}/keepAlive`, undefined, context({ call: { id: callId, state: 'terminated' } }))!.response.status).toBe(200);
});

test('GET call, participants, participant and operation answer with plausible bodies', () => {
  const callId = randomUUID();
  const me = randomUUID();
  const running = { id: randomUUID(), action: 'playPrompt', clientContext: 'x' };
  const ctx = context({ call: { id: callId, state: 'established', myParticipantId: me, runningOperations: [running] } });
  expect(answerAsGraph('GET', `/v1.0/communications/calls/${callId}`, undefined, ctx)!.response.body).toMatchObject({ '@odata.type': '#microsoft.graph.call', id: callId, state: 'established', myParticipantId: me });
  const list = answerAsGraph('GET', `/v1.0/communications/calls/${callId}/participants`, undefined, ctx)!.response.body as { value: Array<Record<string, unknown>> };
  expect(list.value.map((p) => p['@odata.type'])).toEqual(['#microsoft.graph.participant', '#microsoft.graph.participant']);
  expect(list.value[0]!['id']).toBe(me);
  expect(answerAsGraph('GET', `/v1.0/communications/calls/${callId}/participants/${me}`, undefined, ctx)!.response.body).toMatchObject({ id: me, isMuted: false });
  expect(answerAsGraph('GET', `/v1.0/communications/calls/${callId}/operations/${running.id}`, undefined, ctx)!.response.body).toMatchObject({ '@odata.type': '#microsoft.graph.playPromptOperation', id: running.id, status: 'running', clientContext: 'x' });
  expect(answerAsGraph('GET', `/v1.0/communications/calls/${callId}/operations/${randomUUID()}`, undefined, ctx)!.response.body).toMatchObject({ '@odata.type': '#microsoft.graph.commsOperation', status: 'completed' });
});

test('paths that are not calling actions give undefined', () => {
  const ctx = context();
  const id = randomUUID();
  for (const [method, path] of [
    ['GET', '/v1.0/me'],
    ['POST', '/v1.0/communications/onlineMeetings'],
    ['POST', `/${id}/oauth2/v2.0/token`],
    ['POST', '/v2.0/communications/calls'],
    ['POST', `/v1.0/app/calls/${id}/answer`], // /app is beta only
    ['GET', `/v1.0/communications/calls/${id}/answer`], // wrong method
    ['PATCH', `/v1.0/communications/calls/${id}`],
    ['POST', `/v1.0/communications/calls/${id}/frobnicate`],
    ['POST', `/v1.0/communications/calls/${id}/participants/${id}/unmute`], // there is no participant unmute
    ['GET', '/__callreplay/refused'],
  ] as const) {
    expect(answerAsGraph(method, path, {}, ctx), `${method} ${path}`).toBeUndefined();
  }
});

test('queries, trailing slashes and lower-case methods are tolerated', () => {
  const id = randomUUID();
  expect(answerAsGraph('post', `/v1.0/communications/calls/${id}/answer/?x=1`, BODIES['answer'], context())?.action).toBe('answer');
  const shouting = answerAsGraph('POST', `/BETA/APP/CALLS/${id}/PLAYPROMPT`, BODIES['playPrompt'], context())!;
  expect(shouting.response.headers['location']).toBe(`${GRAPH}/BETA/app/calls/${id}/operations/${(shouting.response.body as { id: string }).id}`);
  expect(answerAsGraph('GET', `/v1.0/communications/calls/${id}`, undefined, context({ graphBaseUrl: `${GRAPH}/` }))).toBeDefined();
  const created = answerAsGraph('POST', '/v1.0/communications/calls', BODIES['create'], context({ graphBaseUrl: `${GRAPH}//` }))!;
  expect(created.response.headers['location']).toMatch(new RegExp(`^${GRAPH}/v1\\.0/communications/calls/[0-9a-f-]{36}$`));
});

test('graphErrorBody has Graph\'s error shape', () => {
  const e = graphErrorBody(404, '8522', 'Call not found.', { now: new Date('2024-05-06T07:08:09Z'), requestId: 'r', clientRequestId: 'c' });
  expect(e).toEqual({ error: { code: '8522', message: 'Call not found.', innerError: { date: '2024-05-06T07:08:09', 'request-id': 'r', 'client-request-id': 'c' } } });
  const d = graphErrorBody(401, '', 'no token');
  expect(d.error.code).toBe('InvalidAuthenticationToken');
  expect(d.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
});


test('each refusal of the fake Graph (call state or kind, unknown path) is in the doc table, with the documented status and code where there is one', () => {
  const fake: Record<string, { status: number; code: string; message: string }> = { ...GRAPH_REFUSALS };
  const unknown = answerUnknownPath('POST', `/v1.0/app/calls/${randomUUID()}/answer`, { newId: randomUUID });
  const error = (unknown.response.body as { error: { code: string; message: string } }).error;
  fake['noSuchPath'] = { status: unknown.response.status, code: error.code, message: error.message };
  expect(GRAPH_DOC_REFUSALS.map((r) => r.id).sort()).toEqual(Object.keys(fake).sort());
  for (const row of GRAPH_DOC_REFUSALS) {
    const f = fake[row.id]!;
    expect(row.doc, row.id).toMatch(/^graph-docs\/v1\.0_\w+_[\w-]+\.md$|^graph-calling-protocol\.md §/);
    if (row.status !== 'undocumented') expect(f.status, `${row.id}: status (${row.doc})`).toBe(row.status);
    if (row.code !== 'undocumented') expect(f.code, `${row.id}: code (${row.doc})`).toBe(row.code);
    // where the sources give no code, the fake uses Graph's generic one and does not pass off a made-up subcode
    else expect(f.code, `${row.id}: generic code`).toBe('BadRequest');
    if (row.status === 'undocumented' || row.code === 'undocumented') expect(row.note, `${row.id}: says what was used`).toBeTruthy();
    if (row.id !== 'noSuchPath' && row.status === 'undocumented') expect(f.message, `${row.id}: the message admits it`).toMatch(/callreplay: the (Graph docs name no error code|HTTP status of this error is not documented)/);
  }
});
