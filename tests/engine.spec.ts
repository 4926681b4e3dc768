// The sequencer on its own, with a scripted bot (no sockets): unordered groups, meaning-based
// matching, hard-coded ids, acknowledgements and triggers.
import { expect, test } from '@playwright/test';
import { FlowRun, type FlowOutcome } from '../harness/engine/flow-run.js';
import type { BotRequest, HttpClient, InboundRequest } from '../harness/engine/ports.js';
import { parseFlow } from '../harness/flow/load-flow.js';

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
