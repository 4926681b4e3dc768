// The sequencer on its own, with a scripted bot (no sockets): unordered groups, meaning-based
// matching, hard-coded ids, acknowledgements and triggers; the run's clock (FlowRunOptions.now).
import { expect, test } from '@playwright/test';
import { FlowRun, QUIET_FLOOR_MS, quietPeriodMs, type FlowOutcome } from '../harness/engine/flow-run.js';
import type { Transcript, TranscriptEntry } from '../harness/engine/transcript.js';
import type { BotRequest, HttpClient, InboundRequest } from '../harness/engine/ports.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { callStateRules } from '../harness/rules/rules.js';
import { ManualClock } from './fixtures/manual-clock.js';

type Reaction = (run: FlowRun) => Array<{ method: string; path: string; body?: unknown }>;

/** A bot that answers every POST with `status` and reacts to the n-th one with requests. */
async function runScripted(flowYaml: string, reactions: Record<number, Reaction>, status = (_n: number, _req: BotRequest) => 202): Promise<FlowOutcome> {
  const flow = parseFlow(flowYaml, 'inline.yaml');
  let n = 0;
  let run: FlowRun;
  const client: HttpClient = {
    async send(req) {
      n++;
      for (const r of reactions[n]?.(run) ?? []) {
        const inbound: InboundRequest = { method: r.method, path: r.path, headers: {}, rawBody: r.body === undefined ? '' : JSON.stringify(r.body), body: r.body, service: 'graph', via: 'test' };
        queueMicrotask(() => run.handleRequest(inbound));
      }
      return { status: status(n, req), headers: {}, body: '', latencyMs: 0 };
    },
  };
  run = new FlowRun({ flow, http: client, webhookUrl: 'http://127.0.0.1:4999/api/calls', graphBaseUrl: 'http://127.0.0.1:5000', botAppId: 'app' });
  return run.run();
}

const header = `callreplay: 1\nname: t\ndescription: t\nquiet: 20\ntimeout: 400\nids: [call, op]\nsteps:\n`;
const incoming = `  - notify: { name: incoming, body: { value: [ { changeType: created, resourceUrl: '/communications/calls/\${call:hex}', resourceData: { state: incoming } } ] } }\n`;
const id = (run: FlowRun, name = 'call') => String(run.valueOf(name));

test('an unordered group accepts its requests in any order', async () => {
  const flow =
    header +
    incoming +
    `  - unordered:
      name: media setup
      steps:
        - expect: { name: subscribe, method: POST, path: '/v1.0/communications/calls/\${call}/subscribeToTone', respond: { status: 200 } }
        - expect: { name: prompt, method: POST, path: '/v1.0/communications/calls/\${call}/playPrompt', respond: { status: 200 } }
`;
  const reverse = await runScripted(flow, { 1: (r) => [{ method: 'POST', path: `/v1.0/communications/calls/${id(r)}/playPrompt` }, { method: 'POST', path: `/v1.0/communications/calls/${id(r)}/subscribeToTone` }] });
  expect(reverse.findings).toEqual([]);
  const onlyOne = await runScripted(flow, { 1: (r) => [{ method: 'POST', path: `/v1.0/communications/calls/${id(r)}/playPrompt` }] });
  expect(onlyOne.findings[0]).toMatchObject({ kind: 'missing', step: 2, stepName: 'media setup' });
  expect(onlyOne.findings[0]!.message).toMatch(/^the bot never sent POST \/v1\.0\/communications\/calls\/\{call\}\/subscribeToTone \(waited 400 ms/);
});

test('matching is on meaning: upper-case hyphen-less ids, /microsoft.graph.answer, the 2019 names, /app on beta', async () => {
  const flow =
    header.replace('[call, op]', '[call]') +
    incoming +
    `  - expect:
      name: answer
      method: POST
      path: /beta/communications/calls/\${call}/answer
      body: { callbackUri: 'https://bot/api/calls', acceptedModalities: [audio] }
`;
  const outcome = await runScripted(flow, {
    1: (r) => [{ method: 'POST', path: `/beta/app/calls/${id(r).replace(/-/g, '').toUpperCase()}/microsoft.graph.answer`, body: { callback: 'https://bot/api/calls', acceptModalities: ['audio'] } }],
  });
  expect(outcome.findings).toEqual([]);
});

test('a bot that hard-codes the recorded ids fails: its request goes to the wrong call', async () => {
  const flow = header + incoming + `  - expect: { name: answer, method: POST, path: '/v1.0/communications/calls/\${call}/answer' }\n`;
  const outcome = await runScripted(flow, { 1: () => [{ method: 'POST', path: '/v1.0/communications/calls/57DAB8B1894C409AB240BD8BEAE78896/answer' }] });
  expect(outcome.findings[0]).toMatchObject({ kind: 'incorrect', step: 2 });
  expect(outcome.findings[0]!.message).toBe(
    'POST /v1.0/communications/calls/57DAB8B1894C409AB240BD8BEAE78896/answer went to the wrong resource: expected POST /v1.0/communications/calls/{call}/answer',
  );
});

test('a notification answered with a non-2xx status fails the step that sent it', async () => {
  const outcome = await runScripted(header + incoming, {}, () => 500);
  expect(outcome.findings[0]).toMatchObject({ kind: 'bad-ack', step: 1, stepName: 'incoming' });
  expect(outcome.findings[0]!.message).toContain('the bot answered the notification "incoming" with HTTP 500 (expected 2xx)');
  expect(outcome.transcript.entries.find((e) => e.kind === 'ack')).toMatchObject({ status: 500, failed: true });
});

test('triggers call the bot API; captured values flow into later steps; the quiet period catches late requests', async () => {
  const flow =
    header +
    `  - trigger: { name: start, method: POST, path: '/api/start', body: { call: '\${call}' } }
  - expect:
      name: prompt
      method: POST
      path: /v1.0/communications/calls/\${call}/playPrompt
      capture: { ctx: body.clientContext }
      respond: { status: 200, body: { id: '\${op}', status: running, clientContext: '\${ctx}' } }
  - notify: { name: done, body: { value: [ { changeType: deleted, resourceUrl: '/communications/calls/\${call}/operations/\${op}', resourceData: { status: completed, clientContext: '\${ctx}' } } ] } }
`;
  const seen: BotRequest[] = [];
  const outcome = await runScripted(
    flow,
    {
      1: (r) => [{ method: 'POST', path: `/v1.0/communications/calls/${id(r)}/playPrompt`, body: { clientContext: 'ctx-42' } }],
      2: (r) => [{ method: 'POST', path: `/v1.0/communications/calls/${id(r)}/keepAlive` }],
    },
    (_n, req) => (seen.push(req), 200),
  );
  expect(seen[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:4999/api/start' });
  expect(JSON.parse(seen[1]!.body!).value[0].resourceData.clientContext).toBe('ctx-42');
  const response = outcome.transcript.entries.find((e) => e.kind === 'response');
  expect(response?.body).toMatchObject({ status: 'running', clientContext: 'ctx-42' });
  expect(outcome.findings[0]).toMatchObject({ kind: 'unexpected', step: 3 });
  expect(outcome.findings[0]!.message).toBe("unexpected request after the flow's last step: POST /v1.0/communications/calls/{call}/keepAlive (the flow lists no further requests)");
});

test('a flow without `quiet` watches three times the bot\'s slowest reaction, between 100 and 300 ms; a flow\'s own `quiet` is kept', async () => {
  const flow = parseFlow(header.replace('quiet: 20\n', '') + incoming, 'inline.yaml');
  expect(flow.quietFromBot).toBe(true);
  const entry = (at: number, kind: TranscriptEntry['kind'], latencyMs?: number): TranscriptEntry => ({ seq: 0, at, from: kind === 'notification' || kind === 'response' ? 'graph' : 'bot', to: 'bot', kind, latencyMs, label: kind });
  const transcript = (...entries: TranscriptEntry[]): Transcript => ({ flow: 't', startedAt: '', idNames: {}, entries });
  // a quick bot: the floor
  expect(quietPeriodMs(flow, transcript(entry(0, 'notification'), entry(4, 'ack', 4), entry(9, 'request'), entry(10, 'response')))).toBe(QUIET_FLOOR_MS);
  // its request came 70 ms after the notification: 3 x 70
  expect(quietPeriodMs(flow, transcript(entry(0, 'notification'), entry(5, 'ack', 5), entry(70, 'request')))).toBe(210);
  // a slow acknowledgement counts too, and the period never exceeds 300 ms
  expect(quietPeriodMs(flow, transcript(entry(0, 'notification'), entry(90, 'ack', 90)))).toBe(270);
  expect(quietPeriodMs(flow, transcript(entry(0, 'notification'), entry(500, 'ack', 500)))).toBe(300);
  // the time from Graph's answer to the bot's next request is a reaction as well
  expect(quietPeriodMs(flow, transcript(entry(0, 'notification'), entry(10, 'request'), entry(11, 'response'), entry(91, 'request')))).toBe(240);
  // a flow that sets `quiet` gets exactly that
  const fixed = parseFlow(header + incoming, 'inline.yaml');
  expect(fixed.quietFromBot).toBe(false);
  expect(quietPeriodMs(fixed, transcript(entry(0, 'notification'), entry(500, 'ack', 500)))).toBe(20);
});

test('the default quiet period still catches a request sent just after the last notification by a quick bot', async () => {
  const flow = header.replace('quiet: 20\n', '') + incoming;
  let run!: FlowRun;
  const parsed = parseFlow(flow, 'inline.yaml');
  const client: HttpClient = {
    async send() {
      // acknowledged at once; 30 ms later, a request the flow does not list
      setTimeout(() => run.handleRequest({ method: 'POST', path: `/v1.0/communications/calls/${id(run)}/keepAlive`, headers: {}, rawBody: '', body: undefined, service: 'graph', via: 'test' }), 30);
      return { status: 202, headers: {}, body: '', latencyMs: 1 };
    },
  };
  run = new FlowRun({ flow: parsed, http: client, webhookUrl: 'http://127.0.0.1:4999/api/calls', graphBaseUrl: 'http://127.0.0.1:5000', botAppId: 'app' });
  const outcome = await run.run();
  expect(outcome.findings).toHaveLength(1);
  expect(outcome.findings[0]).toMatchObject({ kind: 'unexpected', step: 1, stepName: 'incoming' });
  expect(outcome.findings[0]!.rule).toBeUndefined();
  expect(outcome.findings[0]!.message).toContain("unexpected request after the flow's last step: POST /v1.0/communications/calls/{call}/keepAlive");
});

test("the run's clock (FlowRunOptions.now) times the transcript and the rules by default: an answer 20 s after the incoming call is late", async () => {
  const flow = parseFlow(
    header +
      `  - notify: { name: incoming, body: { value: [ { changeType: created, resourceUrl: '/communications/calls/\${call}', resourceData: { '@odata.type': '#microsoft.graph.call', state: incoming, direction: incoming } } ] } }\n` +
      `  - expect: { name: answer, method: POST, path: '/v1.0/communications/calls/\${call}/answer', respond: { status: 202 } }\n`,
    'inline.yaml',
  );
  const clock = new ManualClock();
  let run!: FlowRun;
  const client: HttpClient = {
    async send() {
      // the bot takes 20 s (on the run's clock) before it answers the call
      queueMicrotask(() => {
        clock.advance(20_000);
        run.handleRequest({ method: 'POST', path: `/v1.0/communications/calls/${id(run)}/answer`, headers: {}, rawBody: '{}', body: {}, service: 'graph', via: 'test' });
      });
      return { status: 202, headers: {}, body: '', latencyMs: 0 };
    },
  };
  run = new FlowRun({ flow, http: client, webhookUrl: 'http://127.0.0.1:4999/api/calls', graphBaseUrl: 'http://127.0.0.1:5000', botAppId: 'app', now: clock.now, observers: [callStateRules()] });
  const outcome = await run.run();
  expect(outcome.transcript.entries.map((e) => [e.kind, e.at])).toEqual([
    ['notification', 0],
    ['request', 20_000],
    ['response', 20_000],
    ['ack', 20_000],
  ]);
  expect(outcome.findings).toHaveLength(1);
  expect(outcome.findings[0]).toMatchObject({ kind: 'incorrect', rule: 'timing/answer-deadline', step: 2, stepName: 'answer' });
  expect(outcome.findings[0]!.message).toMatch(/^POST \/v1\.0\/communications\/calls\/\{call\}\/answer came 20 s after the incoming-call notification of call \{call\} \(deadline 15 s\)/);
});
