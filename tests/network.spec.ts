// Nothing leaves the machine: the harness only sends to loopback, public callback URLs are mapped
// onto the bot's own address, and an in-process bot cannot reach any other host.
import http from 'node:http';
import { expect, test } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { BotUnreachableError, type HttpClient } from '../harness/engine/ports.js';
import { FlowRun } from '../harness/engine/flow-run.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { BotHttpClient } from '../harness/transports/bot-http-client.js';
import { Harness } from '../harness/runner/harness.js';
import { runInProcess, shippedFlow } from './fixtures/in-process.js';

test('the harness refuses to send to anything but loopback', async () => {
  const client = new BotHttpClient();
  try {
    for (const url of ['http://example.com/api/calls', 'https://127.0.0.1:1/api/calls', 'http://10.0.0.1/api/calls']) {
      const err = await client.send({ method: 'POST', url, headers: {}, timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(BotUnreachableError);
      expect((err as BotUnreachableError).reason).toBe('forbidden-host');
    }
  } finally {
    client.close();
  }
});

test('in-process, a bot that tries to reach another host is refused, and loopback still works', async () => {
  const harness = await Harness.start({ transport: 'nock' });
  const server = http.createServer((_req, res) => res.end('local'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const external = await fetch('https://example.com/upload').then(
      () => 'reached',
      (e: Error) => `${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`,
    );
    expect(external).toMatch(/Disallowed net connect for "example\.com:443/);
    const viaHttp = await new Promise<string>((resolve) => {
      http.get('http://203.0.113.7/', () => resolve('reached')).on('error', (e) => resolve(e.message));
    });
    expect(viaHttp).toMatch(/Disallowed net connect for "203\.0\.113\.7:80/);
    const port = (server.address() as { port: number }).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('local');
  } finally {
    server.close();
    await harness.close();
  }
});

test("a public callbackUri (the bot's tunnel) is delivered to the bot's loopback address, same path", async () => {
  const flow = await shippedFlow('p2p-to-meeting-transfer');
  const outcome = await runInProcess(flow, (env) =>
    new ReferenceBot(configFromEnv({ ...env, PUBLIC_URL: 'https://bot.contoso.example' })),
  );
  expect(outcome.findings).toEqual([]);
  const answer = outcome.transcript.entries.find((e) => e.kind === 'request' && e.url?.endsWith('/answer'))!;
  expect((answer.body as { callbackUri: string }).callbackUri).toBe('https://bot.contoso.example/api/calls');
  const targets = outcome.transcript.entries.filter((e) => e.kind === 'notification').map((e) => new URL(e.url!));
  expect(targets.length).toBe(flow.steps.filter((s) => s.kind === 'notify').length);
  for (const t of targets) {
    expect(t.hostname).toBe('127.0.0.1');
    expect(t.pathname).toBe('/api/calls');
  }
});

test('notifications follow the callbackUri registered for their call, mapped onto loopback', async () => {
  const flow = parseFlow(
    `callreplay: 1
name: callback-mapping
description: t
quiet: 0
ids: [call]
steps:
  - notify: { name: incoming, body: { value: [ { changeType: created, resourceUrl: '/communications/calls/\${call}', resourceData: { state: incoming } } ] } }
  - expect: { name: answer, method: POST, path: '/v1.0/communications/calls/\${call}/answer' }
  - notify: { name: established, body: { value: [ { changeType: updated, resourceUrl: '/communications/calls/\${call:hex}', resourceData: { state: established } } ] } }
`,
    'inline.yaml',
  );
  const sent: string[] = [];
  let run: FlowRun;
  const client: HttpClient = {
    async send(req) {
      sent.push(req.url);
      if (sent.length === 1) {
        const body = { callbackUri: 'https://bot.public.example/tunnel/cb?tenant=1' };
        queueMicrotask(() => run.handleRequest({ method: 'POST', path: `/v1.0/communications/calls/${String(run.valueOf('call'))}/answer`, headers: {}, rawBody: JSON.stringify(body), body, service: 'graph', via: 'test' }));
      }
      return { status: 202, headers: {}, body: '', latencyMs: 0 };
    },
  };
  run = new FlowRun({ flow, http: client, webhookUrl: 'http://127.0.0.1:4999/api/calls', graphBaseUrl: 'http://127.0.0.1:5000', botAppId: 'app' });
  const outcome = await run.run();
  expect(outcome.findings).toEqual([]);
  expect(sent).toEqual(['http://127.0.0.1:4999/api/calls', 'http://127.0.0.1:4999/tunnel/cb?tenant=1']);
});
