// The fake Graph plays calls on: a request no flow step scripts gets Graph's answer for the call as
// it is now (harness/graph/call-book.ts, legality.ts) and the notifications Graph sends after it,
// delivered to the bot like the flow's own; a path Graph does not have gets Graph's error, not 202.
// A flow's own `respond` and `notify` still win. In-process runs (nock) against a small bot written
// apart from the reference bot (fixtures/play-on-bot.ts), and the per-run fake Graph on its own.
import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { FlowRun, type FlowOutcome } from '../harness/engine/flow-run.js';
import type { HttpClient, InboundRequest, OutboundResponse } from '../harness/engine/ports.js';
import type { ObserverContext } from '../harness/engine/run-types.js';
import type { TranscriptEntry } from '../harness/engine/transcript.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { RunGraph } from '../harness/graph/run-graph.js';
import { Harness } from '../harness/runner/harness.js';
import { observersFor } from '../harness/runner/run-checks.js';
import { PlayOnBot, type PlayOnBotOptions } from './fixtures/play-on-bot.js';

const head = (over = '') => `callreplay: 1\nname: play-on\ndescription: t\ntimeout: 2000\nids: [call, op]\n${over}steps:\n`;
const callNote = (name: string, change: string, data: string) =>
  `  - notify: { name: ${name}, body: { value: [ { changeType: ${change}, resourceUrl: '/communications/calls/\${call:hex}', resourceData: { '@odata.type': '#microsoft.graph.call', '@odata.id': '/communications/calls/\${call:hex}'${data} } } ] } }\n`;
const incoming = callNote('incoming', 'created', ', state: incoming, direction: incoming');
const answer = `  - expect: { name: answer, method: POST, path: '/v1.0/communications/calls/\${call}/answer' }\n`;
const established = callNote('established', 'updated', ', state: established');
/** the answered call, the prompt and the hang-up left to the bot and the fake Graph */
const IVR = head('unmatched: ignore\nquiet: 600\n') + incoming + answer + established;

const playsOn = (o: FlowOutcome) => o.transcript.entries.filter((e) => e.kind === 'notification' && e.label.startsWith('Graph plays on'));
const key = (id: unknown) => String(id).toLowerCase().replace(/-/g, '');

/** Runs `yaml` against a PlayOnBot in this process; `oldHarness` answers as the harness did before (no follow-ups). */
async function run(yaml: string, bot: Partial<PlayOnBotOptions> = {}, opts: { rules?: boolean; oldHarness?: boolean } = {}) {
  const observers = opts.rules === false ? undefined : observersFor({ rules: {}, schema: true, variants: [], ackThresholdMs: 1000 });
  const harness = await Harness.start({ transport: 'nock', observers });
  const b = new PlayOnBot({ graphBaseUrl: harness.graphBaseUrl, loginBaseUrl: harness.loginBaseUrl, appId: harness.botAppId, tenant: harness.tenant!, ...bot });
  await b.start();
  const flow = parseFlow(yaml, 'inline.yaml');
  try {
    if (!opts.oldHarness) return { outcome: await harness.run(flow, b.url), bot: b };
    const graph = new RunGraph({ graphBaseUrl: harness.graphBaseUrl, botAppId: harness.botAppId });
    const old = new FlowRun({
      flow, http: harness.http, webhookUrl: b.url, graphBaseUrl: harness.graphBaseUrl, botAppId: harness.botAppId, tenant: harness.tenant, signer: harness.signer,
      observers: [graph.observer], defaultAnswer: (req) => ({ response: graph.answer(req).response }),
    });
    harness.router.add(old);
    try {
      return { outcome: await old.run(), bot: b };
    } finally {
      harness.release(old);
    }
  } finally {
    await b.stop();
    await harness.close();
  }
}

test('an unscripted playPrompt completes: the bot gets Graph\'s completion, hangs up, and Graph ends the call', async () => {
  const { outcome, bot } = await run(IVR);
  expect(outcome.findings).toEqual([]);
  expect(outcome.warnings).toEqual([]);
  const prompt = bot.log.find((x) => x.path.endsWith('/playPrompt'))!;
  expect(prompt.status).toBe(200);
  const opId = key((prompt.body as { id: string }).id);
  // the completion came from the fake Graph, to the callback, signed like the flow's notifications
  const completion = playsOn(outcome).find((e) => e.label.includes('operation'))!;
  expect(completion.label).toBe('Graph plays on: call operation completed');
  expect(completion.headers?.['authorization']).toMatch(/^Bearer ey/);
  expect(bot.endedOperations).toEqual([opId]);
  // ...and the bot acted on it: its DELETE (unscripted too) was answered 204 and Graph ended the call
  expect(bot.log.map((x) => `${x.method} ${x.status}`)).toEqual(['POST 202', 'POST 200', 'DELETE 204']);
  expect(playsOn(outcome).map((e) => e.label)).toEqual(['Graph plays on: call operation completed', 'Graph plays on: call terminating', 'Graph plays on: call terminated']);
  expect(bot.endedCalls.length).toBe(1);
  // every follow-up was acknowledged, in the transcript
  expect(outcome.transcript.entries.filter((e) => e.kind === 'ack' && e.step === undefined).map((e) => e.status)).toEqual([202, 202, 202]);
});

test('a bot that waits for the completion of an unscripted prompt hung before: the old harness never sent it', async () => {
  const flow = IVR.replace('quiet: 600\n', '') + `  - expect: { name: hang up once the prompt has played, method: DELETE, path: '/v1.0/communications/calls/\${call}', timeout: 700 }\n`;
  const now = await run(flow, {}, { rules: false });
  expect(now.outcome.findings).toEqual([]);
  const before = await run(flow, {}, { rules: false, oldHarness: true });
  expect(before.outcome.findings[0]).toMatchObject({ kind: 'missing', step: 4, stepName: 'hang up once the prompt has played' });
  expect(before.bot.endedOperations).toEqual([]);
});

test('keepAlive and DELETE after the call ended (a deleted with only @odata.id) get 404 with 8522', async () => {
  const flow = head('unmatched: ignore\nquiet: 300\n') + incoming + answer + established + callNote('hang-up', 'deleted', '');
  const { outcome, bot } = await run(flow, { prompt: false, afterEnd: true }, { rules: false });
  expect(bot.endedCalls.length).toBe(1);
  const late = bot.log.slice(1);
  expect(late.map((x) => `${x.method} ${x.path.split('/').pop()} ${x.status}`)).toEqual([`POST keepAlive 404`, `DELETE ${bot.endedCalls[0]} 404`]);
  for (const x of late) expect((x.body as { error: { code: string; message: string } }).error).toMatchObject({ code: '8522', message: 'Call not found.' });
  expect(outcome.transcript.entries.filter((e) => e.kind === 'response').map((e) => e.status)).toEqual([202, 404, 404]);
});

test('paths Graph does not have get 400, resources the fake does not serve 501: in the transcript and as warnings', async () => {
  const { outcome, bot } = await run(IVR, { oddRequests: true }, { rules: false });
  expect(bot.log.slice(1, 3).map((x) => `${x.method} ${x.path.replace(/[0-9a-f]{32}/, '{call}')} ${x.status} ${(x.body as { error: { code: string } }).error.code}`)).toEqual([
    'POST /v1.0/app/calls/{call}/playPrompt 400 BadRequest',
    'GET /v1.0/users/{call} 501 NotImplemented',
  ]);
  expect(outcome.findings).toEqual([]);
  expect(outcome.warnings.map((w) => [w.kind, w.severity, w.message])).toEqual([
    ['unexpected', 'warning', 'POST /v1.0/app/calls/{call}/playPrompt: Graph has no such path: /app is beta only (v1.0 has no app singleton) (answered 400)'],
    ['unexpected', 'warning', "GET /v1.0/users/{call}: Graph has this resource outside the calling API, but callreplay's fake Graph does not serve it (answered 501)"],
  ]);
  const responses = outcome.transcript.entries.filter((e) => e.kind === 'response').map((e) => e.status);
  expect(responses.slice(0, 3)).toEqual([202, 400, 501]);
});

test('a flow\'s respond and notify win: a scripted playPrompt gets the flow\'s answer and completion, and no follow-ups', async () => {
  const flow =
    head() + incoming + answer + established +
    `  - expect: { name: prompt, method: POST, path: '/v1.0/communications/calls/\${call}/playPrompt', respond: { status: 200, body: { '@odata.type': '#microsoft.graph.playPromptOperation', id: '\${op}', status: running } } }\n` +
    `  - notify: { name: prompt played, body: { value: [ { changeType: deleted, resourceUrl: '/communications/calls/\${call:hex}/operations/\${op:hex}', resourceData: { '@odata.type': '#microsoft.graph.playPromptOperation', status: completed } } ] } }\n` +
    `  - expect: { name: hang up, method: DELETE, path: '/v1.0/communications/calls/\${call}' }\n`;
  const { outcome, bot } = await run(flow);
  expect(outcome.findings).toEqual([]);
  const prompt = bot.log.find((x) => x.path.endsWith('/playPrompt'))!;
  const op = key((prompt.body as { id: string }).id);
  expect(bot.endedOperations).toEqual([op]); // the flow's completion, once; none from the fake
  expect(playsOn(outcome)).toEqual([]);
  // an expect without respond is still answered by the fake Graph, as the call is now
  expect(bot.log.map((x) => `${x.method} ${x.status}`)).toEqual(['POST 202', 'POST 200', 'DELETE 204']);
  expect(bot.endedCalls).toEqual([]);
});

test('a bot that refuses Graph\'s follow-up notification fails as bad-ack, naming the notification and the request it followed', async () => {
  const flow = parseFlow(head('unmatched: ignore\nquiet: 300\n') + incoming, 'inline.yaml');
  const graph = new RunGraph({ graphBaseUrl: 'https://graph.microsoft.com', botAppId: 'app' });
  let run: FlowRun;
  const posts: string[] = [];
  // a scripted bot: it plays a prompt when the call comes in, and answers 500 to anything after that
  const http: HttpClient = {
    async send(req) {
      posts.push(JSON.parse(req.body ?? '{}').value[0].resourceUrl);
      if (posts.length === 1) {
        const path = `/v1.0/communications/calls/${String(run.valueOf('call'))}/playPrompt`;
        const body = { prompts: [] };
        queueMicrotask(() => run.handleRequest({ method: 'POST', path, headers: {}, rawBody: JSON.stringify(body), body, service: 'graph', via: 'test' }));
        return { status: 202, headers: {}, body: '', latencyMs: 1 };
      }
      return { status: 500, headers: {}, body: 'busy', latencyMs: 1 };
    },
  };
  run = new FlowRun({ flow, http, webhookUrl: 'http://127.0.0.1:4999/api/calls', graphBaseUrl: 'https://graph.microsoft.com', botAppId: 'app', observers: [graph.observer], defaultAnswer: (req) => graph.answer(req) });
  const outcome = await run.run();
  expect(posts.length).toBe(2);
  expect(posts[1]).toMatch(/\/operations\//);
  expect(outcome.findings[0]).toMatchObject({ kind: 'bad-ack', step: 1, stepName: 'incoming' });
  expect(outcome.findings[0]!.message).toBe('the bot answered the notification "Graph plays on: call operation completed" that Graph sends after POST /v1.0/communications/calls/{call}/playPrompt with HTTP 500: busy (expected 2xx)');
});

// ------------------------------------------------------------------ the per-run fake Graph on its own

function fakeGraph() {
  const graph = new RunGraph({ graphBaseUrl: 'https://graph.microsoft.com', botAppId: 'app' });
  const ctx = {} as ObserverContext;
  let seq = 0;
  const entry = (e: Partial<TranscriptEntry>) => graph.observer.onEntry({ seq: seq++, at: 0, from: 'graph', to: 'bot', label: '', kind: 'notification', ...e }, ctx);
  const notify = (id: string, changeType: string, data: Record<string, unknown>, sub = '') =>
    entry({ kind: 'notification', body: { value: [{ changeType, resourceUrl: `/communications/calls/${id}${sub}`, resourceData: data }] } });
  /** the request answered by the fake Graph, as a run records it (the book learns from the exchange) */
  const ask = (method: string, path: string, body?: unknown): OutboundResponse & { followUps: unknown[] } => {
    const req: InboundRequest = { method, path, headers: {}, rawBody: body === undefined ? '' : JSON.stringify(body), body, service: 'graph', via: 'test' };
    const a = graph.answer(req);
    entry({ kind: 'request', from: 'bot', to: 'graph', method, url: path, body });
    entry({ kind: 'response', status: a.response.status, headers: a.response.headers, body: a.response.body });
    return { ...a.response, followUps: [...(a.followUps ?? [])] };
  };
  return { graph, notify, ask };
}
const code = (r: OutboundResponse) => (r.body as { error?: { code?: string } } | undefined)?.error?.code;
const target = (id = randomUUID()) => ({ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id } } });

test('answer, reject and redirect only on an incoming call: a second answer, or one after established (even reordered), is refused', () => {
  const { notify, ask } = fakeGraph();
  const id = randomUUID();
  notify(id, 'created', { state: 'incoming' });
  expect(ask('POST', `/v1.0/communications/calls/${id}/answer`, { callbackUri: 'https://bot/cb' }).status).toBe(202);
  const again = ask('POST', `/v1.0/communications/calls/${id}/reject`, { reason: 'busy' });
  expect([again.status, code(again)]).toEqual([400, 'BadRequest']);
  const other = randomUUID();
  notify(other, 'created', { state: 'incoming' });
  notify(other, 'updated', { state: 'established' });
  notify(other, 'updated', { state: 'establishing' }); // reordered
  expect(ask('POST', `/v1.0/communications/calls/${other}/answer`, {}).status).toBe(400);
  // a call the book never heard of is not judged
  expect(ask('POST', `/v1.0/communications/calls/${randomUUID()}/answer`, {}).status).toBe(202);
});

test('transfer on a group call needs a transferee (8523); mute only on group calls; an incoming call\'s kind is not guessed', () => {
  const { notify, ask } = fakeGraph();
  const group = ask('POST', '/v1.0/communications/calls', { callbackUri: 'https://bot/cb', targets: [target(), target()], mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } });
  const g = (group.body as { id: string }).id;
  const blind = ask('POST', `/v1.0/communications/calls/${g}/transfer`, { transferTarget: target() });
  expect([blind.status, code(blind)]).toEqual([400, '8523']);
  expect(blind.followUps).toEqual([]);
  expect(ask('POST', `/v1.0/communications/calls/${g}/transfer`, { transferTarget: target(), transferee: target() }).status).toBe(202);
  expect(ask('POST', `/v1.0/communications/calls/${g}/mute`, {}).status).toBe(200);
  const p2p = (ask('POST', '/v1.0/communications/calls', { callbackUri: 'https://bot/cb', targets: [target()] }).body as { id: string }).id;
  for (const action of ['mute', 'unmute', `participants/${randomUUID()}/mute`]) expect(ask('POST', `/v1.0/communications/calls/${p2p}/${action}`, {}).status, action).toBe(400);
  expect(ask('POST', `/v1.0/communications/calls/${p2p}/transfer`, { transferTarget: target() }).status).toBe(202);
  // an invite escalates the P2P call to "meeting mode": a blind transfer is refused from then on
  expect(ask('POST', `/v1.0/communications/calls/${p2p}/participants/invite`, { participants: [target()] }).status).toBe(200);
  expect(code(ask('POST', `/v1.0/communications/calls/${p2p}/transfer`, { transferTarget: target() }))).toBe('8523');
  // an incoming call: kind unknown until a meeting or a third participant shows
  const inc = randomUUID();
  notify(inc, 'created', { state: 'incoming' });
  expect(ask('POST', `/v1.0/communications/calls/${inc}/mute`, {}).status).toBe(200);
  notify(inc, 'updated', [{ id: 'a' }, { id: 'b' }, { id: 'c' }], '/participants');
  expect(code(ask('POST', `/v1.0/communications/calls/${inc}/transfer`, { transferTarget: target() }))).toBe('8523');
  // a one-target create with chatInfo is not guessed a group call (P2P calls carry chatInfo too: graph/call-kind.ts)
  const chat = (ask('POST', '/v1.0/communications/calls', { callbackUri: 'https://bot/cb', targets: [target()], chatInfo: { threadId: '19:x@thread.v2', messageId: '0' } }).body as { id: string }).id;
  expect(ask('POST', `/v1.0/communications/calls/${chat}/transfer`, { transferTarget: target() }).status).toBe(202);
});

test('after the call ended every request about it is 404 8522 (a create is not); running operations are known to cancelMediaProcessing', () => {
  const { notify, ask } = fakeGraph();
  const id = randomUUID();
  notify(id, 'created', { state: 'incoming' });
  ask('POST', `/v1.0/communications/calls/${id}/answer`, {});
  notify(id, 'updated', { state: 'established' });
  const play = ask('POST', `/v1.0/communications/calls/${id}/playPrompt`, { clientContext: 'menu', prompts: [] });
  const cancel = ask('POST', `/v1.0/communications/calls/${id}/cancelMediaProcessing`, {});
  const failed = cancel.followUps.map((f) => (f as { body: { value: Array<{ resourceUrl: string; resourceData: { status: string; resultInfo: { subcode: number } } }> } }).body.value[0]!);
  expect(failed.map((n) => [n.resourceUrl.split('/').pop(), n.resourceData.status, n.resourceData.resultInfo.subcode])).toEqual([[(play.body as { id: string }).id, 'failed', 8508]]);
  notify(id, 'deleted', { '@odata.type': '#microsoft.graph.call' }); // a deleted with no state
  for (const [method, path] of [['POST', `${id}/keepAlive`], ['DELETE', id], ['GET', id], ['POST', `${id}/playPrompt`]]) {
    const r = ask(method!, `/v1.0/communications/calls/${path}`, method === 'POST' ? {} : undefined);
    expect([r.status, code(r)], `${method} ${path}`).toEqual([404, '8522']);
  }
  expect(ask('POST', '/v1.0/communications/calls', { callbackUri: 'https://bot/cb', targets: [target()] }).status).toBe(201);
});

test('paths the fake has no action for: 400 where Graph has no such path, 501 where it does but the fake does not serve it', () => {
  const { ask } = fakeGraph();
  const id = randomUUID();
  const cases: Array<[string, string, number, string]> = [
    ['POST', `/v1.0/app/calls/${id}/answer`, 400, 'BadRequest'], // /app is beta only
    ['POST', `/v1.0/communications/calls/${id}/record`, 400, 'BadRequest'], // the 2019 beta name
    ['POST', `/v1.0/communications/calls/${id}/participants/muteAll`, 400, 'BadRequest'], // beta only
    ['POST', `/v1.0/communications/calls/${id}/frobnicate`, 400, 'BadRequest'],
    ['GET', `/v1.0/communications/calls/${id}/answer`, 400, 'BadRequest'], // wrong method
    ['POST', `/v2.0/communications/calls`, 400, 'BadRequest'],
    ['POST', `/beta/communications/calls/${id}/participants/muteAll`, 501, 'NotImplemented'],
    ['GET', `/v1.0/communications/calls/${id}/contentSharingSessions`, 501, 'NotImplemented'],
    ['GET', '/v1.0/users/someone', 501, 'NotImplemented'],
  ];
  for (const [method, path, status, errorCode] of cases) {
    const r = ask(method, path, method === 'POST' ? {} : undefined);
    expect([r.status, code(r)], `${method} ${path}`).toEqual([status, errorCode]);
    expect(r.followUps, `${method} ${path}`).toEqual([]);
  }
  const segment = ask('POST', `/v1.0/communications/calls/${id}/frobnicate`, {});
  expect((segment.body as { error: { message: string } }).error.message).toBe("Resource not found for the segment 'frobnicate'.");
});
