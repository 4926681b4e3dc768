// Record mode's relay, offline: the "real" Graph is callreplay itself replaying a flow (a Harness on
// the gateway), the bot is the reference bot, and the recorder sits between them in both
// directions. The call must pass as if the recorder were not there, the recording must hold every
// exchange byte for byte, and the recorder must add little time. Needs `npm run build` (the
// reference bot, the preload and the CLI run from dist/).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { expect, test } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { OPENID_CONFIG_PATH } from '../harness/auth/notification-authority.js';
import { BotProcess } from '../harness/bot/bot-process.js';
import type { BotRequest, BotResponse, InboundRequest } from '../harness/engine/ports.js';
import { REFUSED_PATH } from '../harness/engine/router.js';
import { loadFlowFile, parseFlow } from '../harness/flow/load-flow.js';
import { packageRoot, referenceBotMain, shippedRecordingsDir } from '../harness/paths.js';
import type { RecordedExchange } from '../harness/record/recording.js';
import { describeExchange, Recorder, summarize } from '../harness/record/relay.js';
import { recordingToFlow } from '../harness/record/to-flow.js';
import { freePort } from '../harness/runner/free-port.js';
import { Harness, INTERCEPT_WAYS } from '../harness/runner/harness.js';
import { serializeBody } from '../harness/transports/read-request.js';
import { callreplay, tempDir, type CliResult } from './fixtures/cli.js';
import { defectiveBot } from './fixtures/defective-bots.js';

test.describe.configure({ mode: 'parallel' });

test.beforeAll(() => {
  for (const f of [referenceBotMain, join(packageRoot, 'dist', 'harness', 'preload', 'redirect.js'), join(packageRoot, 'dist', 'harness', 'cli', 'record-command.js')]) {
    if (!existsSync(f)) throw new Error(`run \`npm run build\` first: ${f} is missing`);
  }
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** TCP handles (sockets, servers) this process holds. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

/** True when nothing listens at the port any more. */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

const portOf = (url: string) => Number(new URL(url).port);

test('records a live P2P-to-meeting transfer (reference bot, every way in) without changing it', async () => {
  test.setTimeout(90_000);
  const dir = await mkdtemp(join(tmpdir(), 'callreplay-record-'));
  const handlesBefore = tcpHandles();

  // "Graph": callreplay replaying the flow; every notification it sends and every request it answers is kept raw
  const upstream = await Harness.start({ transport: 'gateway' });
  const notified: Array<{ req: BotRequest; res?: BotResponse }> = [];
  const send = upstream.http.send.bind(upstream.http);
  upstream.http.send = async (req) => {
    const entry: { req: BotRequest; res?: BotResponse } = { req };
    notified.push(entry);
    entry.res = await send(req);
    return entry.res;
  };
  const answered: Array<{ req: InboundRequest; status: number; body: string }> = [];
  const handle = upstream.router.handle.bind(upstream.router);
  upstream.router.handle = async (req) => {
    const res = await handle(req);
    answered.push({ req, status: res.status, body: serializeBody(res.body) ?? '' });
    return res;
  };

  const botPort = await freePort();
  const botUrl = `http://127.0.0.1:${botPort}/api/calls`;
  const lines: string[] = [];
  const recorder = await Recorder.start({
    botUrl,
    upstreams: { graph: upstream.graphBaseUrl, login: upstream.loginBaseUrl, auth: upstream.loginBaseUrl },
    ways: { intercept: [...INTERCEPT_WAYS], caDir: join(dir, 'ca') },
    botAppId: upstream.botAppId,
    onExchange: (e) => lines.push(describeExchange(e)),
    onWarning: (m) => lines.push(`! ${m}`),
  });
  const recorderPorts = [recorder.inboundUrl, recorder.graphBaseUrl, recorder.loginBaseUrl].map(portOf);
  let bot: BotProcess | undefined;
  try {
    const env: Record<string, string> = {
      ...recorder.botEnvironment(botPort),
      // the bot's callbackUri points at the recorder, as it would at a tunnel in front of it
      PUBLIC_URL: recorder.inboundUrl,
      CALLS_OPENID_CONFIG_URL: `${recorder.loginBaseUrl}${OPENID_CONFIG_PATH}`,
      LOG_LEVEL: 'silent',
    };
    expect(env['GRAPH_BASE_URL']).toBe(recorder.graphBaseUrl);
    expect(env['NODE_OPTIONS']).toContain('preload/redirect.js');
    expect(env['HTTPS_PROXY']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    bot = await BotProcess.start({ command: `"${process.execPath}" "${referenceBotMain}"`, env, readyUrl: botUrl });

    const flow = await loadFlowFile(join(shippedRecordingsDir, 'p2p-to-meeting-transfer-v1.yaml'));
    const outcome = await upstream.run(flow, `${recorder.inboundUrl}/api/calls`);
    expect(outcome.findings.map((f) => f.message)).toEqual([]);
    expect(outcome.status).toBe('passed');
    await recorder.drain(2000);
    const recording = recorder.recording();
    expect(recording.exchanges.map((e) => e.seq)).toEqual(recording.exchanges.map((_, i) => i));
    expect(recording.upstream).toEqual({ graph: upstream.graphBaseUrl, login: upstream.loginBaseUrl, auth: upstream.loginBaseUrl });

    // every notification, byte for byte, with the bot's own answers (202)
    const inbound = recording.exchanges.filter((e) => e.direction === 'inbound');
    expect(inbound.length).toBe(flow.steps.filter((s) => s.kind === 'notify').length);
    expect(inbound.length).toBe(notified.length);
    inbound.forEach((ex, i) => {
      const sent = notified[i]!;
      const url = new URL(sent.req.url);
      expect(url.origin).toBe(recorder.inboundUrl);
      expect(ex.service).toBe('notification');
      expect(ex.request.method).toBe(sent.req.method);
      expect(ex.request.url).toBe(`${url.pathname}${url.search}`);
      expect(ex.request.body).toBe(sent.req.body);
      expect(ex.request.headers['authorization']).toBe(sent.req.headers['authorization']);
      expect(ex.request.headers['host']).toBe(`127.0.0.1:${botPort}`);
      expect(ex.response).toMatchObject({ status: 202, body: sent.res!.body });
      expect(sent.res!.status).toBe(202);
    });

    // every Graph, token and key request went through the recorder and back, byte for byte
    const outbound = recording.exchanges.filter((e) => e.direction === 'outbound');
    const viaRecorder = [...answered];
    for (const ex of outbound) {
      const i = viaRecorder.findIndex((a) => a.req.method === ex.request.method && ex.request.url.endsWith(a.req.path) && a.req.rawBody === ex.request.body);
      expect(i, `upstream saw ${ex.request.method} ${ex.request.url}`).toBeGreaterThanOrEqual(0);
      const seen = viaRecorder.splice(i, 1)[0]!;
      expect(ex.response).toEqual({ status: seen.status, headers: expect.any(Object), body: seen.body });
      expect(seen.req.headers['host']).toBe(new URL(ex.request.url).host);
    }
    // what the upstream saw and the recording lacks: only the keys, fetched straight from the jwks_uri the upstream named
    expect(viaRecorder.map((a) => `${a.req.method} ${a.req.path}`)).toEqual(viaRecorder.length ? ['GET /v1/keys'] : []);
    expect(outbound.filter((e) => e.service === 'login').length).toBeGreaterThan(0);
    expect(outbound.filter((e) => e.service === 'auth').map((e) => e.request.url)).toEqual([`${upstream.loginBaseUrl}${OPENID_CONFIG_PATH}`]);

    // the run's transcript and the recording agree on every Graph request and answer
    const graph = outbound.filter((e) => e.service === 'graph');
    const requests = outcome.transcript.entries.filter((e) => e.kind === 'request');
    const responses = outcome.transcript.entries.filter((e) => e.kind === 'response');
    expect(graph.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`)).toEqual(requests.map((e) => `${e.method} ${e.url}`));
    graph.forEach((ex, i) => {
      expect(ex.request.body ? JSON.parse(ex.request.body) : undefined).toEqual(requests[i]!.body);
      const res = ex.response as { status: number; body: string };
      expect(res.status).toBe(responses[i]!.status);
      expect(res.body ? JSON.parse(res.body) : undefined).toEqual(responses[i]!.body);
    });
    const notifications = outcome.transcript.entries.filter((e) => e.kind === 'notification');
    inbound.forEach((ex, i) => expect(JSON.parse(ex.request.body)).toEqual(notifications[i]!.body));

    // progress lines and the summary
    expect(lines.some((l) => /^← notification created call incoming \(202, \d+ ms\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^→ POST \/v1\.0\/communications\/calls\/…\/answer 202 \(\d+ ms\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^→ login POST \/…\/oauth2\/v2\.0\/token 200/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('!'))).toEqual([]);
    expect(summarize(recording)).toMatch(/^2 calls, 9 notifications, 3 Graph requests, \d+ login\/key requests$/);

    // the time the recorder adds per hop (its own work, not the other side's)
    const overhead = (d: RecordedExchange['direction']) => median(recording.exchanges.filter((e) => e.direction === d).map((e) => e.relayOverheadMs));
    const total = (d: RecordedExchange['direction']) => median(recording.exchanges.filter((e) => e.direction === d).map((e) => e.totalMs));
    console.log(
      `record relay overhead (median per hop): inbound ${overhead('inbound').toFixed(3)} ms of ${total('inbound').toFixed(3)} ms, ` +
        `outbound ${overhead('outbound').toFixed(3)} ms of ${total('outbound').toFixed(3)} ms (${recording.exchanges.length} hops)`,
    );
    for (const e of recording.exchanges) {
      expect(e.relayOverheadMs).toBeGreaterThanOrEqual(0);
      expect(e.relayOverheadMs).toBeLessThanOrEqual(e.totalMs);
    }
    // how small the overhead is, is `npm run bench:record`'s to measure (no wall-clock threshold in a test)
  } finally {
    await bot?.stop();
    await recorder.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
  // nothing left running: the bot, the recorder's endpoints and its connections
  expect(bot?.running).toBe(false);
  for (const port of recorderPorts) expect(await refuses(port), `port ${port} closed`).toBe(true);
  await expect.poll(tcpHandles, { timeout: 5000 }).toBeLessThanOrEqual(handlesBefore);
});

test('a recorded call becomes a flow the same bot passes when replayed (in-process bot)', async () => {
  const upstream = await Harness.start({ transport: 'gateway' });
  const port = await freePort();
  const recorder = await Recorder.start({
    botUrl: `http://127.0.0.1:${port}/api/calls`,
    upstreams: { graph: upstream.graphBaseUrl, login: upstream.loginBaseUrl, auth: upstream.loginBaseUrl },
    botAppId: upstream.botAppId,
  });
  const bot = new ReferenceBot(configFromEnv({ ...recorder.botEnvironment(port), PUBLIC_URL: recorder.inboundUrl, LOG_LEVEL: 'silent' }));
  let replay: Harness | undefined;
  let bot2: ReferenceBot | undefined;
  try {
    await bot.start();
    const live = await upstream.run(await loadFlowFile(join(shippedRecordingsDir, 'p2p-to-meeting-transfer-v1.yaml')), `${recorder.inboundUrl}/api/calls`);
    expect(live.status).toBe('passed');
    await recorder.drain(2000);
    const { yaml } = recordingToFlow(recorder.recording(), { name: 'recorded-transfer' });
    await bot.stop();

    replay = await Harness.start({ transport: 'gateway' });
    bot2 = new ReferenceBot(configFromEnv({ ...replay.botEnvironment(0), LOG_LEVEL: 'silent' }));
    await bot2.start();
    const recorded = parseFlow(yaml, 'recorded-transfer.yaml');
    const outcome = await replay.run(recorded, bot2.url);
    expect(outcome.findings.map((f) => f.message)).toEqual([]);
    await bot2.stop();

    // ... and a bot that behaves differently fails it at the right step, for the reason
    bot2 = defectiveBot('wrong-replaces-call-id', { ...replay.botEnvironment(0), LOG_LEVEL: 'silent' });
    await bot2.start();
    const defective = await replay.run(recorded, bot2.url);
    expect(defective.status).toBe('failed');
    const invite = recorded.steps.find((s) => s.kind === 'expect' && s.pathTemplate.endsWith('/participants/invite'))!;
    expect(defective.findings[0]).toMatchObject({ kind: 'incorrect', step: invite.index + 1 });
    expect(defective.findings[0]!.message).toMatch(/^body\.participants\[0\]\.replacesCallId: expected \w+ \(/);
  } finally {
    await bot.stop();
    await bot2?.stop();
    await recorder.close();
    await replay?.close();
    await upstream.close();
  }
});

test('a bot on another stack (Python, URLs hard-coded) is recorded through the proxy, and its flow replays green', async () => {
  const upstream = await Harness.start({ transport: 'gateway' });
  const port = await freePort();
  const recorder = await Recorder.start({
    botUrl: `http://127.0.0.1:${port}/api/calls`,
    upstreams: { graph: upstream.graphBaseUrl, login: upstream.loginBaseUrl, auth: upstream.loginBaseUrl },
    ways: { intercept: ['proxy'] },
    botAppId: upstream.botAppId,
  });
  const pythonBot = join(packageRoot, 'tests', 'fixtures', 'python-bot', 'bot.py');
  let bot: BotProcess | undefined;
  let replay: Harness | undefined;
  try {
    bot = await BotProcess.start({ command: `python3 "${pythonBot}"`, env: { ...recorder.botEnvironment(port), PUBLIC_URL: recorder.inboundUrl }, readyUrl: `http://127.0.0.1:${port}/health` });
    const flow = await loadFlowFile(join(shippedRecordingsDir, 'p2p-to-meeting-transfer-v1.yaml'));
    const live = await upstream.run(flow, `${recorder.inboundUrl}/api/calls`);
    expect(live.findings.map((f) => f.message), bot.log).toEqual([]);
    await recorder.drain(2000);
    const recording = recorder.recording();
    // the bot's Graph requests went out to https://graph.microsoft.com through the proxy and were recorded
    const graph = recording.exchanges.filter((e) => e.direction === 'outbound' && e.service === 'graph');
    expect(graph.map((e) => `${e.request.method} ${new URL(e.request.url).pathname.replace(/[0-9a-fA-F-]{32,36}/g, '{id}')}`)).toEqual([
      'POST /v1.0/communications/calls/{id}/answer',
      'POST /v1.0/communications/calls',
      'POST /v1.0/communications/calls/{id}/participants/invite',
    ]);
    expect(recording.exchanges.filter((e) => e.direction === 'inbound')).toHaveLength(flow.steps.filter((s) => s.kind === 'notify').length);
    const { yaml } = recordingToFlow(recording, { name: 'recorded-python-transfer' });
    await bot.stop();

    // replay the recorded flow against the same bot, again through the proxy
    replay = await Harness.start({ transport: 'gateway', intercept: ['proxy'] });
    bot = await BotProcess.start({ command: `python3 "${pythonBot}"`, env: replay.botEnvironment(port), readyUrl: `http://127.0.0.1:${port}/health` });
    const outcome = await replay.run(parseFlow(yaml, 'recorded-python-transfer.yaml'), `http://127.0.0.1:${port}/api/calls`);
    expect(outcome.findings.map((f) => f.message), bot.log).toEqual([]);
  } finally {
    await bot?.stop();
    await recorder.close();
    await replay?.close();
    await upstream.close();
  }
});

test('the inbound relay passes notifications and the bot answers on byte for byte', async () => {
  // a bot that keeps exactly what it received and answers with bytes that are not UTF-8
  const received: Array<{ method: string; url: string; rawHeaders: string[]; body: Buffer }> = [];
  const answer = Buffer.from([0x7b, 0xff, 0x00, 0x80, 0x7d]);
  const bot = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
      res.writeHead(202, 'Accepted Here', ['X-Bot', 'yes', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'application/octet-stream']);
      res.end(answer);
    });
  });
  await new Promise<void>((r) => bot.listen(0, '127.0.0.1', () => r()));
  const botPort = (bot.address() as net.AddressInfo).port;
  const warnings: string[] = [];
  const recorder = await Recorder.start({ botUrl: `http://127.0.0.1:${botPort}/api/calls`, onWarning: (m) => warnings.push(m) });
  try {
    const body = Buffer.concat([Buffer.from('{"value":[{"changeType":"created","resourceData":{"@odata.type":"#microsoft.graph.call","state":"incoming","displayName":"Zoë ✓"}}]}'), Buffer.from([0xc3])]);
    const reply = await new Promise<{ status: number; message: string; raw: string[]; body: Buffer }>((resolve, reject) => {
      const req = http.request(
        `${recorder.inboundUrl}/some/callback/path?tenant=abc&x=1`,
        { method: 'POST', headers: [['Host', recorder.inboundUrl.slice('http://'.length)], ['Authorization', 'Bearer eyJ.x.y'], ['Content-Type', 'application/json'], ['X-Twice', '1'], ['X-Twice', '2'], ['Connection', 'keep-alive, X-Hop'], ['X-Hop', 'gone']].flat() },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, message: res.statusMessage!, raw: res.rawHeaders, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      // chunked, in two writes: the bot still gets the same bytes (with their length)
      req.write(body.subarray(0, 10));
      req.end(body.subarray(10));
    });
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/some/callback/path?tenant=abc&x=1');
    expect(got.body.equals(body)).toBe(true);
    const pairs = (raw: string[]) => raw.flatMap((v, i) => (i % 2 ? [] : [`${v.toLowerCase()}: ${raw[i + 1]}`]));
    expect(pairs(got.rawHeaders)).toEqual(
      expect.arrayContaining(['host: 127.0.0.1:' + botPort, 'authorization: Bearer eyJ.x.y', 'content-type: application/json', 'x-twice: 1', 'x-twice: 2', `content-length: ${body.length}`]),
    );
    expect(pairs(got.rawHeaders).filter((h) => /^(x-hop|transfer-encoding)/.test(h))).toEqual([]);

    expect(reply.status).toBe(202);
    expect(reply.message).toBe('Accepted Here');
    expect(reply.body.equals(answer)).toBe(true);
    expect(pairs(reply.raw)).toEqual(expect.arrayContaining(['x-bot: yes', 'set-cookie: a=1', 'set-cookie: b=2', 'content-type: application/octet-stream', `content-length: ${answer.length}`]));

    await recorder.drain(1000);
    const [ex] = recorder.recording().exchanges;
    expect(ex).toMatchObject({ seq: 0, direction: 'inbound', service: 'notification', request: { method: 'POST', url: '/some/callback/path?tenant=abc&x=1' }, response: { status: 202 } });
    expect(ex!.request.headers['x-twice']).toBe('1, 2');
    // the body is not JSON (its last byte is not UTF-8): the progress line names the request instead
    expect(describeExchange(ex!)).toMatch(/^← notification POST \/some\/callback\/path\?tenant=abc&x=1 \(202, \d+ ms\)$/);

    // the bot gone: Graph gets a 502, the recording says why
    bot.closeAllConnections();
    await new Promise<void>((r) => bot.close(() => r()));
    const down = await fetch(`${recorder.inboundUrl}/api/calls`, { method: 'POST', body: '{}' });
    expect(down.status).toBe(502);
    expect(await down.text()).toContain('did not answer');
    await recorder.drain(1000);
    expect(recorder.recording().exchanges[1]).toMatchObject({ direction: 'inbound', response: { error: expect.stringContaining('ECONNREFUSED') } });
    await expect.poll(() => warnings.join('\n')).toContain('the bot did not answer');
  } finally {
    await recorder.close();
    bot.closeAllConnections();
    bot.close();
  }
});

/** Stub upstreams on one server, told apart by path prefix: /graph, /login, /auth. */
async function stubUpstream() {
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url!.includes('/gzipped')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(JSON.stringify({ zipped: true, text: 'ünïcode' })));
      } else if (req.url!.includes('/oauth2/v2.0/token')) {
        res.writeHead(200, [['Content-Type', 'application/json'], ['Set-Cookie', 'fpc=1; path=/'], ['Set-Cookie', 'x-ms-gateway-slice=estsfd; path=/']].flat());
        res.end('{"token_type":"Bearer","access_token":"t"}');
      } else {
        res.writeHead(201, { 'content-type': 'application/json', location: 'https://graph.microsoft.com/v1.0/communications/calls/1' });
        res.end(JSON.stringify({ echo: body, path: req.url }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    seen,
    upstreams: { graph: `${base}/graph`, login: `${base}/login/`, auth: `${base}/auth` },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test('every way in feeds the forwarder: gateway, HTTPS gateway, CONNECT proxy, preload; refusals are recorded', async () => {
  test.setTimeout(60_000);
  const dir = await mkdtemp(join(tmpdir(), 'callreplay-record-ways-'));
  const stub = await stubUpstream();
  const refused: string[] = [];
  const recorder = await Recorder.start({
    botUrl: 'http://127.0.0.1:9/api/calls',
    upstreams: stub.upstreams,
    ways: { intercept: [...INTERCEPT_WAYS], caDir: join(dir, 'ca') },
    onRefused: (r) => refused.push(`${r.destination} ${r.via}`),
  });
  try {
    const env = recorder.botEnvironment(9);
    expect(env['BOT_APP_ID']).toBeUndefined(); // a recorded bot keeps its own app id
    const ca = await readFile(env['NODE_EXTRA_CA_CERTS']!, 'utf8');

    // plain gateway: Graph, the token endpoint (cookies kept apart), the notification keys' OpenID configuration
    const call = await fetch(`${recorder.graphBaseUrl}/v1.0/communications/calls?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer abc' }, body: '{"a":"é"}' });
    expect(call.status).toBe(201);
    expect(call.headers.get('location')).toBe('https://graph.microsoft.com/v1.0/communications/calls/1');
    expect(await call.json()).toEqual({ echo: '{"a":"é"}', path: '/graph/v1.0/communications/calls?x=1' });
    const token = await fetch(`${recorder.loginBaseUrl}/tenant-1/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x' });
    expect(token.headers.getSetCookie()).toEqual(['fpc=1; path=/', 'x-ms-gateway-slice=estsfd; path=/']);
    expect((await fetch(`${recorder.loginBaseUrl}${OPENID_CONFIG_PATH}`)).status).toBe(201);
    // a compressed answer reaches the bot decoded (the ways in carry text)
    const zipped = await fetch(`${recorder.graphBaseUrl}/v1.0/gzipped`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBeNull();
    expect(await zipped.json()).toEqual({ zipped: true, text: 'ünïcode' });

    // HTTPS gateway
    const viaHttps = await new Promise<string>((resolve, reject) => {
      https
        .get(`${env['GRAPH_BASE_URL_HTTPS']}/beta/app/calls/abc`, { ca }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(viaHttps)).toEqual({ echo: '', path: '/graph/beta/app/calls/abc' });

    // CONNECT proxy: graph.microsoft.com and api.aps.skype.com are relayed, anything else refused
    const proxy = new URL(env['HTTPS_PROXY']!);
    // raw sockets: the proxy is what a bot's HTTP stack talks to
    const throughProxy = (host: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = net.connect({ host: proxy.hostname, port: Number(proxy.port) }, () => socket.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`));
        socket.on('error', reject);
        let head = '';
        const onData = (chunk: Buffer) => {
          head += chunk.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          socket.off('data', onData);
          const status = Number(head.split(' ')[1]);
          if (status !== 200) {
            socket.destroy();
            return resolve({ status, body: '' });
          }
          const secure = tls.connect({ socket, servername: host, ca }, () => secure.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
          let text = '';
          secure.on('data', (c: Buffer) => (text += c.toString('utf8')));
          secure.on('end', () => {
            secure.destroy();
            resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
          });
          secure.on('error', reject);
        };
        socket.on('data', onData);
      });
    expect(JSON.parse((await throughProxy('graph.microsoft.com', '/v1.0/communications/calls/xyz')).body)).toMatchObject({ path: '/graph/v1.0/communications/calls/xyz' });
    expect(JSON.parse((await throughProxy('api.aps.skype.com', '/v1/keys')).body)).toMatchObject({ path: '/auth/v1/keys' });
    expect((await throughProxy('example.com', '/')).status).toBe(403);

    // preload: a Node process with https://graph.microsoft.com hard-coded, and its refusal report
    const script = `const r = await fetch('https://graph.microsoft.com/v1.0/communications/calls/from-preload', { method: 'POST', body: 'hi' }); console.log(String(r.status) + ' ' + (await r.text())); try { await fetch('https://elsewhere.example/'); } catch { console.log('refused'); }`;
    const preloadOut = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env, HTTPS_PROXY: '', HTTP_PROXY: '', https_proxy: '', http_proxy: '' }, timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(preloadOut).toContain('201 {"echo":"hi","path":"/graph/v1.0/communications/calls/from-preload"}');
    expect(preloadOut).toContain('refused');
    const report = await fetch(`${recorder.graphBaseUrl}${REFUSED_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"destination":"evil.example:443","via":"preload"}' });
    expect(report.status).toBe(204);

    await recorder.drain(1000);
    await expect.poll(() => refused).toEqual(expect.arrayContaining(['example.com:443 proxy', 'elsewhere.example:443 preload', 'evil.example:443 preload']));
    expect(recorder.refusals.map((r) => r.destination)).toContain('evil.example:443');

    const recording = recorder.recording();
    const byUrl = (part: string) => recording.exchanges.find((e) => e.request.url.includes(part))!;
    expect(byUrl('/communications/calls?x=1')).toMatchObject({ direction: 'outbound', service: 'graph', request: { method: 'POST', body: '{"a":"é"}', url: `${stub.upstreams.graph}/v1.0/communications/calls?x=1` }, response: { status: 201 } });
    expect(byUrl('/oauth2/v2.0/token')).toMatchObject({ service: 'login', request: { url: `${stub.upstreams.login.replace(/\/$/, '')}/tenant-1/oauth2/v2.0/token`, body: 'grant_type=client_credentials&client_id=x' } });
    expect(byUrl(OPENID_CONFIG_PATH).service).toBe('auth');
    expect(byUrl('/v1/keys').service).toBe('auth');
    expect(byUrl('/calls/abc').service).toBe('graph');
    expect(byUrl('/calls/xyz').service).toBe('graph');
    expect(byUrl('/from-preload')).toMatchObject({ service: 'graph', request: { body: 'hi', headers: { host: new URL(stub.upstreams.graph).host } } });
    expect((byUrl('/gzipped').response as { body: string }).body).toBe('{"zipped":true,"text":"ünïcode"}');
    // the preload's refusal reports and the refused hosts never reach the upstream
    expect(stub.seen.map((s) => s.url).filter((u) => u.includes('refused') || u.includes('elsewhere'))).toEqual([]);
    // the upstream saw the bot's headers, without hop-by-hop ones, Host its own
    const seenCall = stub.seen.find((s) => s.url === '/graph/v1.0/communications/calls?x=1')!;
    expect(seenCall.headers).toMatchObject({ authorization: 'Bearer abc', 'content-type': 'application/json', host: new URL(stub.upstreams.graph).host });
    expect(seenCall.headers['transfer-encoding']).toBeUndefined();

    // an upstream that is gone: the bot gets a 502, the recording says why
    await stub.close();
    const gone = await fetch(`${recorder.graphBaseUrl}/v1.0/communications/calls/q`);
    expect(gone.status).toBe(502);
    await recorder.drain(1000);
    expect(recorder.recording().exchanges.at(-1)).toMatchObject({ service: 'graph', response: { error: expect.stringContaining('ECONNREFUSED') } });
  } finally {
    await recorder.close();
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  }
});

// untilIdle's quiet window is a timer of the recorder's; how long it waits is not timed here (no
// wall-clock thresholds in tests): only that it waits for traffic first, and then returns
test('untilIdle waits for the first traffic, then returns once quiet', async () => {
  const recorder = await Recorder.start({ botUrl: 'http://127.0.0.1:9/api/calls' });
  try {
    let idle = false;
    const waiting = recorder.untilIdle(150).then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 400));
    expect(idle).toBe(false); // no traffic yet: still waiting
    await fetch(`${recorder.inboundUrl}/api/calls`, { method: 'POST', body: '{}' }); // the bot is not there: 502, still traffic
    await waiting;
    expect(idle).toBe(true);
    const aborted = new AbortController();
    const never = recorder.untilIdle(60_000, aborted.signal);
    aborted.abort();
    await never;
  } finally {
    await recorder.close();
  }
});

test('callreplay record: usage errors name the flag (exit 2)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const existing = join(dir, 'exists.yaml');
    await writeFile(existing, 'x');
    const cases: Array<[string[], RegExp]> = [
      [['record', '--bot-url', 'http://127.0.0.1:3978/api/calls'], /out/],
      [['record', '--out', join(dir, 'a.yaml')], /--bot-url/],
      [['record', '--bot-url', 'https://bot.example.com/api/calls', '--out', join(dir, 'a.yaml')], /--bot-url must be an http URL on loopback/],
      [['record', '--bot-url', 'http://127.0.0.1:3978/api/calls', '--out', existing], /--out .*exists; pass --force/],
      [['record', '--bot-url', 'http://127.0.0.1:3978/api/calls', '--out', join(dir, 'a.yaml'), '--until-idle', '0'], /--until-idle/],
      [['record', '--bot-url', 'http://127.0.0.1:3978/api/calls', '--out', join(dir, 'a.yaml'), '--upstream', 'ftp://graph'], /--upstream must be an http\(s\) URL/],
      [['record', '--bot-url', 'http://127.0.0.1:3978/api/calls', '--out', join(dir, 'a.yaml'), '--listen', '70000'], /--listen/],
      [['record', '--bot-url', 'http://127.0.0.1:3978/api/calls', '--out', join(dir, 'a.yaml'), '--keep', 'password'], /--keep field "password"/],
    ];
    for (const [args, message] of cases) {
      const r = await callreplay(args);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  } finally {
    cleanup();
  }
});

test('callreplay record: a bot that does not start records nothing (exit 1)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = join(dir, 'never.yaml');
    const r = await callreplay(['record', '--bot-command', 'exit 3', '--out', out, '--intercept', 'gateway', '--ready-timeout', '3000']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('exited with code 3');
    expect(existsSync(out)).toBe(false);
  } finally {
    cleanup();
  }
});

/** Starts the CLI and resolves once its stderr shows `text`; `done` resolves with its exit. */
function startCli(args: string[]): { ready: (text: string) => Promise<void>; done: Promise<CliResult>; kill: (signal?: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'callreplay.js'), ...args], { cwd: packageRoot, env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of waiters.filter((w) => stderr.includes(w.text))) w.resolve();
  });
  const done = new Promise<CliResult>((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
  return {
    ready: (text) =>
      Promise.race([
        new Promise<void>((resolve) => (stderr.includes(text) ? resolve() : waiters.push({ text, resolve }))),
        done.then((r) => {
          throw new Error(`callreplay exited (${r.status}) before printing "${text}"\n${r.stderr}`);
        }),
      ]),
    done,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

test('callreplay record: records a call end to end and writes the flow', async () => {
  test.setTimeout(90_000);
  const { dir, cleanup } = tempDir();
  const upstream = await Harness.start({ transport: 'gateway' });
  const listen = await freePort();
  const out = join(dir, 'recorded', 'Live Transfer.yaml');
  const botCommand = `PUBLIC_URL=http://127.0.0.1:${listen} LOG_LEVEL=silent "${process.execPath}" "${referenceBotMain}"`;
  // the idle clock starts with the first exchange; SIGINT ends the second run below
  const cli = startCli([
    'record', '--bot-command', botCommand, '--out', out, '--listen', String(listen), '--until-idle', '2', '--intercept', 'gateway',
    '--upstream', upstream.graphBaseUrl, '--upstream-login', upstream.loginBaseUrl, '--upstream-auth', upstream.loginBaseUrl, '--app-id', upstream.botAppId,
  ]);
  try {
    await cli.ready('callreplay record: recording');
    const flow = await loadFlowFile(join(shippedRecordingsDir, 'p2p-to-meeting-transfer-v1.yaml'));
    const outcome = await upstream.run(flow, `http://127.0.0.1:${listen}/api/calls`);
    expect(outcome.findings.map((f) => f.message)).toEqual([]);
    const r = await cli.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/← notification created call incoming \(202, \d+ ms\)/);
    expect(r.stderr).toMatch(/→ POST \/v1\.0\/communications\/calls\/…\/answer 202 \(\d+ ms\)/);
    expect(r.stderr).toContain('no traffic for 2 s');
    expect(r.stdout).toMatch(/recorded 2 calls, 9 notifications, 3 Graph requests/);
    expect(await readFile(out, 'utf8')).toMatch(/live-transfer/);
    // the recorder and the bot it started are gone
    expect(await refuses(listen)).toBe(true);

    // Ctrl-C ends a recording too; an existing --out is kept unless --force
    const again = startCli(['record', '--bot-command', botCommand, '--out', out, '--force', '--listen', String(listen), '--intercept', 'gateway',
      '--upstream', upstream.graphBaseUrl, '--upstream-login', upstream.loginBaseUrl, '--upstream-auth', upstream.loginBaseUrl, '--app-id', upstream.botAppId]);
    await again.ready('callreplay record: recording');
    expect((await upstream.run(flow, `http://127.0.0.1:${listen}/api/calls`)).status).toBe('passed');
    again.kill('SIGINT');
    const r2 = await again.done;
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).toContain('SIGINT received');
    expect(r2.stdout).toMatch(/recorded 2 calls, 9 notifications/);
    expect(await refuses(listen)).toBe(true);
  } finally {
    cli.kill();
    await upstream.close();
    cleanup();
  }
});

test('callreplay record --webhook-path: the bot it starts is awaited and named at that path; notifications keep the path they came in on', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  const upstream = await Harness.start({ transport: 'gateway' });
  const listen = await freePort();
  const botCommand = `PUBLIC_URL=http://127.0.0.1:${listen} LOG_LEVEL=silent "${process.execPath}" "${referenceBotMain}"`;
  const cli = startCli([
    'record', '--bot-command', botCommand, '--webhook-path', '/hooks/calling', '--out', join(dir, 'f.yaml'), '--listen', String(listen), '--until-idle', '1', '--intercept', 'gateway',
    '--upstream', upstream.graphBaseUrl, '--upstream-login', upstream.loginBaseUrl, '--upstream-auth', upstream.loginBaseUrl, '--app-id', upstream.botAppId,
  ]);
  try {
    await cli.ready('callreplay record: recording');
    // the relay passes each notification on with its own path (the reference bot's /api/calls)
    const flow = await loadFlowFile(join(shippedRecordingsDir, 'answer-incoming-call.yaml'));
    expect((await upstream.run(flow, `http://127.0.0.1:${listen}/api/calls`)).findings).toEqual([]);
    const r = await cli.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/; bot at http:\/\/127\.0\.0\.1:\d+\/hooks\/calling\n/);
  } finally {
    cli.kill();
    await upstream.close();
    cleanup();
  }
});
