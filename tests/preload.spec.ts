// The Node preload: a way in for Node bots that hard-code https://graph.microsoft.com. Node bots
// (plain fetch; the Graph SDK with @azure/identity/MSAL over https.request) pass a flow through the
// preload alone, every other destination is refused and reported, the module is inert without its
// configuration, and the token endpoint answers what MSAL and hand-written clients send.
// Needs `npm run build` (the preload runs from dist/).
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { generateKeyPair, SignJWT } from 'jose';
import forge from 'node-forge';
import { BotProcess } from '../harness/bot/bot-process.js';
import { FlowRun } from '../harness/engine/flow-run.js';
import type { InboundRequest, OutboundResponse } from '../harness/engine/ports.js';
import { REFUSED_PATH, Router } from '../harness/engine/router.js';
import { TokenIssuer } from '../harness/engine/token-issuer.js';
import { PRELOAD_ENV, preloadEnvironment, preloadModuleUrl, type PreloadConfig } from '../harness/preload/config.js';
import { freePort } from '../harness/runner/free-port.js';
import { BotHttpClient } from '../harness/transports/bot-http-client.js';
import { startGateway } from '../harness/transports/gateway.js';
import { shippedFlow } from './fixtures/in-process.js';

const root = join(import.meta.dirname, '..');
const BOT_APP_ID = '6a1b3f0e-9c2d-4e5f-8a7b-1c2d3e4f5a6b';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

test.describe.configure({ mode: 'parallel' });

test.beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'harness', 'preload', 'redirect.js'))) throw new Error('run `npm run build` first: the preload runs from dist/');
});

interface Seen {
  request: InboundRequest;
  response: OutboundResponse;
}

/** Token issuer, router and plain gateway, wired as the harness does, recording every request. */
async function startParts(extraTargets: Record<string, 'graph' | 'login'> = {}) {
  let loginBase = '';
  const tokens = await TokenIssuer.create(() => loginBase);
  const router = new Router(tokens);
  const seen: Seen[] = [];
  const handle = router.handle.bind(router);
  router.handle = async (request) => {
    const response = await handle(request);
    seen.push({ request, response });
    return response;
  };
  const gateway = await startGateway(router);
  loginBase = gateway.loginBaseUrl;
  const base = (s: 'graph' | 'login') => (s === 'graph' ? gateway.graphBaseUrl : gateway.loginBaseUrl);
  const config: PreloadConfig = {
    targets: {
      'graph.microsoft.com': gateway.graphBaseUrl,
      'login.microsoftonline.com': gateway.loginBaseUrl,
      'api.aps.skype.com': gateway.loginBaseUrl,
      ...Object.fromEntries(Object.entries(extraTargets).map(([h, s]) => [h, base(s)])),
    },
    refusedUrl: `${gateway.graphBaseUrl}${REFUSED_PATH}`,
  };
  return { tokens, router, gateway, config, seen };
}

/** Runs `node --input-type=module -e script` with `env` over this process's environment. */
function runNode(script: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, ...env }, timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: unknown }).code === undefined ? 1 : typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

async function until(what: string, ok: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the v1.0 transfer flow against a fixture bot started with the preload only (no base URLs). */
async function transferThroughPreload(botFile: string) {
  const parts = await startParts();
  const port = await freePort();
  const client = new BotHttpClient();
  let bot: BotProcess | undefined;
  try {
    bot = await BotProcess.start({
      command: `"${process.execPath}" ${JSON.stringify(join('tests', 'fixtures', botFile))}`,
      env: { PORT: String(port), BOT_APP_ID, ...preloadEnvironment(parts.config, preloadModuleUrl, process.env.NODE_OPTIONS) },
      readyUrl: `http://127.0.0.1:${port}/health`,
      cwd: root,
    });
    const flow = await shippedFlow('p2p-to-meeting-transfer-v1');
    const run = new FlowRun({ flow, http: client, webhookUrl: `http://127.0.0.1:${port}/api/calls`, graphBaseUrl: 'https://graph.microsoft.com', botAppId: BOT_APP_ID });
    parts.router.add(run);
    let outcome;
    try {
      outcome = await run.run();
    } finally {
      parts.router.remove(run);
    }
    return { ...parts, outcome, run, botLog: bot.log };
  } finally {
    await bot?.stop();
    client.close();
    await parts.gateway.close();
  }
}

test('a Node bot on plain fetch with hard-coded Microsoft URLs passes the v1.0 transfer through the preload alone', async () => {
  const { outcome, seen, tokens, router, run, botLog } = await transferThroughPreload('node-fetch-bot.mjs');
  expect(outcome.findings, botLog).toEqual([]);
  expect(outcome.status).toBe('passed');
  const tenant = String(run.valueOf('tenant'));
  // it reached the harness as the real hosts, through the gateway
  const graph = seen.filter((s) => s.request.service === 'graph');
  expect(graph.map((s) => `${s.request.method} ${s.request.path.replace(/[0-9A-F]{32}|[0-9a-f-]{36}/gi, '{id}')}`)).toEqual([
    'POST /v1.0/communications/calls/{id}/answer',
    'POST /v1.0/communications/calls',
    'POST /v1.0/communications/calls/{id}/participants/invite',
  ]);
  for (const s of graph) {
    expect(s.request.headers.host).toBe('graph.microsoft.com');
    expect(s.request.via).toBe('gateway');
    // every Graph request carried a token this harness issued, for the call's tenant (the flow
    // would have failed as 'unauthorized' otherwise)
    expect(tokens.problemWith(s.request.headers.authorization)).toBeUndefined();
    expect(tokens.tokenOf(s.request.headers.authorization)).toMatchObject({ tenant, clientId: BOT_APP_ID });
  }
  const logins = seen.filter((s) => s.request.service === 'login');
  expect(logins.map((s) => `${s.request.method} ${s.request.path} ${s.response.status}`)).toEqual([`POST /${tenant}/oauth2/v2.0/token 200`]);
  expect(logins[0]!.request.headers.host).toBe('login.microsoftonline.com');
  expect(router.strays).toEqual([]);
});

test('a bot on the Graph SDK and @azure/identity (MSAL over https.request) passes it too, with the token on every request', async () => {
  const { outcome, seen, tokens, router, run, botLog } = await transferThroughPreload('graph-client-bot.mjs');
  expect(outcome.findings, botLog).toEqual([]);
  const tenant = String(run.valueOf('tenant'));
  const graph = seen.filter((s) => s.request.service === 'graph');
  expect(graph).toHaveLength(3);
  for (const s of graph) {
    // the Graph client attaches the token only to https Graph URLs: the bot asked for https://graph.microsoft.com
    expect(s.request.headers.authorization).toMatch(/^Bearer /);
    expect(tokens.tokenOf(s.request.headers.authorization)).toMatchObject({ tenant, clientId: BOT_APP_ID });
    expect(s.request.headers['sdkversion']).toMatch(/graph-js/);
  }
  // what MSAL sent to the login endpoint: it knows login.microsoftonline.com's metadata (no
  // instance discovery, no OpenID configuration request), so one token request, with its
  // correlation id in the query and its library and telemetry parameters in the form
  const logins = seen.filter((s) => s.request.service === 'login');
  const discovery = logins.filter((s) => /discovery\/instance|openid-configuration/.test(s.request.path));
  for (const d of discovery) expect(d.response.status, d.request.path).toBe(200);
  const tokenRequests = logins.filter((s) => s.request.path.includes('/oauth2/v2.0/token'));
  expect(tokenRequests).toHaveLength(1);
  expect(logins).toHaveLength(tokenRequests.length + discovery.length);
  const t = tokenRequests[0]!;
  expect(t.request.path).toMatch(new RegExp(`^/${tenant}/oauth2/v2\\.0/token\\?client-request-id=[0-9a-f-]{36}`));
  expect(t.request.headers.host).toBe('login.microsoftonline.com');
  // sent by core-rest-pipeline's https.request (with its own https.Agent), redirected by the preload
  expect(t.request.headers['user-agent']).toMatch(/azsdk-js-identity\/[\d.]+ core-rest-pipeline\/[\d.]+/);
  const form = new URLSearchParams(t.request.rawBody);
  expect(form.get('grant_type')).toBe('client_credentials');
  expect(form.get('x-client-SKU')).toBe('msal.js.node');
  expect(form.get('client-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(t.response.status).toBe(200);
  expect(t.response.headers['client-request-id']).toBe(form.get('client-request-id'));
  expect(router.strays).toEqual([]);
});

test('with the preload, any other destination is refused before a connection, reported, and fails the running flow', async () => {
  const { router, gateway, config } = await startParts();
  const client = new BotHttpClient();
  const flow = await shippedFlow('p2p-to-meeting-transfer-v1');
  const run = new FlowRun({ flow, http: client, webhookUrl: 'http://127.0.0.1:9/api/calls', graphBaseUrl: 'https://graph.microsoft.com', botAppId: BOT_APP_ID });
  router.add(run);
  try {
    const script = `
      import dc from 'node:diagnostics_channel';
      import https from 'node:https';
      // every connection this process attempts, by address
      const attempts = [];
      dc.subscribe('net.client.socket', ({ socket }) => {
        socket.on('connectionAttempt', (ip, port) => attempts.push(ip + ':' + port));
        socket.on('lookup', (err, address, family, host) => attempts.push('lookup ' + host));
      });
      const out = {};
      try { await fetch('https://example.com/upload', { method: 'POST', body: 'x' }); out.fetch = 'reached'; }
      catch (e) { out.fetch = { type: e.constructor.name, message: e.message, cause: e.cause?.message, code: e.cause?.code }; }
      out.https = await new Promise((resolve) => {
        https.get('https://203.0.113.9/', () => resolve('reached')).on('error', (e) => resolve({ message: e.message, code: e.code }));
      });
      await new Promise((r) => setTimeout(r, 300)); // the reports are fire and forget
      out.attempts = attempts;
      console.log(JSON.stringify(out));
    `;
    const child = await runNode(script, preloadEnvironment(config, preloadModuleUrl));
    expect(child.code, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout) as {
      fetch: { type: string; message: string; cause: string; code: string };
      https: { message: string; code: string };
      attempts: string[];
    };
    const says = (dest: string) => `callreplay refused a connection to ${dest}: during a run a bot may only reach Graph, the login endpoint and loopback`;
    expect(out.fetch).toEqual({ type: 'TypeError', message: says('example.com:443'), cause: says('example.com:443'), code: 'ECALLREPLAYREFUSED' });
    expect(out.https).toEqual({ message: says('203.0.113.9:443'), code: 'ECALLREPLAYREFUSED' });
    // nothing left the machine: no lookup, no connection attempt but the reports to the gateway on loopback
    expect(out.attempts.length).toBeGreaterThan(0);
    for (const a of out.attempts) expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
    await until('both refusals reported', () => router.strays.length >= 2);
    expect(router.strays.map((s) => `${s.request.path} ${s.request.via} ${s.reason}`).sort()).toEqual([
      '203.0.113.9:443 preload refused destination',
      'example.com:443 preload refused destination',
    ]);
    expect(run.findings[0]?.kind).toBe('forbidden-destination');
    expect(run.findings[0]?.message).toMatch(/the bot tried to reach (example\.com|203\.0\.113\.9):443 \(preload\)/);
  } finally {
    router.remove(run);
    run.dispose();
    client.close();
    await gateway.close();
  }
});

test('without CALLREPLAY_PRELOAD the preload module is inert', async () => {
  // it runs inside the bot: node built-ins only
  const compiled = readFileSync(fileURLToPath(preloadModuleUrl), 'utf8');
  const imports = [...compiled.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((i) => !i.startsWith('node:'))).toEqual([]);
  expect(compiled).not.toMatch(/\brequire\(|\bimport\(/);
  // in this process: importing it patches nothing
  expect(process.env[PRELOAD_ENV]).toBeUndefined();
  const before = [globalThis.fetch, http.request, http.get, https.request, https.get, net.connect, net.createConnection, tls.connect, http.Agent.prototype.createConnection];
  await import(preloadModuleUrl);
  expect([globalThis.fetch, http.request, http.get, https.request, https.get, net.connect, net.createConnection, tls.connect, http.Agent.prototype.createConnection]).toEqual(before);
  // in a child loading it through NODE_OPTIONS: loopback works as usual and nothing is installed
  const server = http.createServer((_req, res) => res.end('local'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const env = preloadEnvironment({ targets: {} }, preloadModuleUrl);
    const child = await runNode(
      `const text = await (await fetch('http://127.0.0.1:${port}/')).text();
       console.log(JSON.stringify({ text, installed: globalThis[Symbol.for('callreplay.preload.installed')] === true, fetchName: fetch.name }));`,
      { NODE_OPTIONS: env.NODE_OPTIONS, [PRELOAD_ENV]: undefined },
    );
    expect(child.code, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ text: 'local', installed: false, fetchName: 'fetch' });
    // a malformed configuration stops the process with one clear line
    const bad = await runNode('console.log("ran")', { ...env, [PRELOAD_ENV]: '{"targets": {"graph.microsoft.com": "https://graph.example"}}' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^callreplay preload: CALLREPLAY_PRELOAD targets\["graph\.microsoft\.com"\] must be a plain-HTTP loopback base URL/)]);
  } finally {
    server.close();
  }
});

test('preloadEnvironment appends the --import flag to NODE_OPTIONS once', () => {
  const env = preloadEnvironment({ targets: { 'graph.microsoft.com': 'http://127.0.0.1:1' } }, 'file:///x/redirect.js', '--max-old-space-size=512');
  expect(env).toEqual({ CALLREPLAY_PRELOAD: '{"targets":{"graph.microsoft.com":"http://127.0.0.1:1"}}', NODE_OPTIONS: '--max-old-space-size=512 --import=file:///x/redirect.js' });
  expect(preloadEnvironment({ targets: {} }, 'file:///x/redirect.js', env.NODE_OPTIONS).NODE_OPTIONS).toBe(env.NODE_OPTIONS);
  expect(preloadEnvironment({ targets: {} }, 'file:///x/redirect.js').NODE_OPTIONS).toBe('--import=file:///x/redirect.js');
});

// ------------------------------------------------------------------------------ token endpoint

/** A request as the preload (or nock) hands it over: Host is the real login host. */
function login(method: string, path: string, rawBody = '', headers: Record<string, string> = {}): InboundRequest {
  return {
    method,
    path,
    headers: { host: 'login.microsoftonline.com', 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...headers },
    rawBody,
    body: undefined,
    service: 'login',
    via: 'gateway',
  };
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** What MSAL node 3 sends for acquireTokenByClientCredential (query, headers and form). */
function msalTokenRequest(tenant: string, credential: Record<string, string>, overrides: Record<string, string> = {}): InboundRequest {
  const correlation = randomUUID();
  return login(
    'POST',
    `/${tenant}/oauth2/v2.0/token?client-request-id=${correlation}`,
    form({
      client_id: BOT_APP_ID,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
      'x-client-SKU': 'msal.js.node',
      'x-client-VER': '3.8.10',
      'x-client-OS': 'linux',
      'x-client-CPU': 'x64',
      'x-ms-lib-capability': 'retry-after, h429',
      'x-client-current-telemetry': '5|771,2,,,|,',
      'x-client-last-telemetry': '5|0|||0,0',
      'client-request-id': correlation,
      ...credential,
      ...overrides,
    }),
    { 'client-request-id': correlation, 'return-client-request-id': 'true', 'x-client-sku': 'msal.js.node', 'x-client-ver': '3.8.10', 'x-client-os': 'linux', 'x-client-cpu': 'x64' },
  );
}

async function assertion(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const { privateKey } = await generateKeyPair('PS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': 'bm90LWEtcmVhbC10aHVtYnByaW50', ...header }).sign(privateKey);
}

function errorOf(res: OutboundResponse): { status: number; error: string; code: number } {
  const body = res.body as { error: string; error_codes: number[] };
  return { status: res.status, error: body.error, code: body.error_codes[0]! };
}

test('token endpoint: MSAL-shaped client-secret and client-assertion requests get tokens; what matters is checked', async () => {
  const tokens = await TokenIssuer.create(() => 'http://127.0.0.1:5871');
  const tenant = randomUUID();
  const endpoint = `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`;
  const now = Math.floor(Date.now() / 1000);
  const claims = { aud: endpoint, iss: BOT_APP_ID, sub: BOT_APP_ID, exp: now + 600, nbf: now, jti: randomUUID() };
  const jwt = await assertion(claims);

  // client secret, as MSAL sends it
  const secret = await tokens.answer(msalTokenRequest(tenant, { client_secret: 's3cret' }));
  expect(secret.status).toBe(200);
  const body = secret.body as Record<string, unknown>;
  expect(body).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });
  expect(tokens.problemWith(`Bearer ${body.access_token as string}`)).toBeUndefined();
  expect(tokens.tokenOf(`Bearer ${body.access_token as string}`)).toMatchObject({ tenant, clientId: BOT_APP_ID });
  // certificate: a client assertion (the signature cannot be checked: any key will do)
  expect((await tokens.answer(msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: jwt }))).status).toBe(200);
  expect((await tokens.answer(msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: await assertion(claims, { 'x5t#S256': undefined, x5t: 'c2hhMQ' }) }))).status).toBe(200);
  // the audience may name the gateway's token endpoint when the bot used the gateway
  const viaGateway = { ...msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: await assertion({ ...claims, aud: `http://127.0.0.1:5871/${tenant}/oauth2/v2.0/token` }) }), headers: { host: '127.0.0.1:5871' } };
  expect((await tokens.answer(viaGateway)).status).toBe(200);
  // lenient about encoding: charset, '+' for spaces, a double slash in the scope, whitespace, HTTP Basic
  const lenient = `grant_type=client_credentials+&client_id=${BOT_APP_ID}&client_secret=a+b%20c&scope=+https%3A%2F%2Fgraph.microsoft.com%2F%2F.default+`;
  expect((await tokens.answer(login('POST', `/${tenant}/oauth2/v2.0/token`, lenient, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }))).status).toBe(200);
  const basic = `Basic ${Buffer.from(`${BOT_APP_ID}:s3cret`).toString('base64')}`;
  expect((await tokens.answer(login('POST', `/${tenant}/oauth2/v2.0/token`, form({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }), { authorization: basic }))).status).toBe(200);

  // strict about what matters
  const cases: [string, InboundRequest, { status: number; error: string; code: number }][] = [
    ['wrong assertion type', msalTokenRequest(tenant, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: jwt }), { status: 400, error: 'invalid_request', code: 70011 }],
    ['assertion without its type', msalTokenRequest(tenant, { client_assertion: jwt }), { status: 400, error: 'invalid_request', code: 900144 }],
    ['assertion that is no JWT', msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: 'abc.def' }), { status: 401, error: 'invalid_client', code: 50027 }],
    ['assertion naming no key', msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: await assertion(claims, { 'x5t#S256': undefined }) }), { status: 401, error: 'invalid_client', code: 50027 }],
    ['assertion for another endpoint', msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: await assertion({ ...claims, aud: 'https://login.microsoftonline.com/other/oauth2/v2.0/token' }) }), { status: 401, error: 'invalid_client', code: 700023 }],
    ['assertion issued by another app', msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: await assertion({ ...claims, iss: randomUUID() }) }), { status: 401, error: 'invalid_client', code: 700021 }],
    ['expired assertion', msalTokenRequest(tenant, { client_assertion_type: JWT_BEARER, client_assertion: await assertion({ ...claims, exp: now - 5 }) }), { status: 401, error: 'invalid_client', code: 700024 }],
    ['no grant', msalTokenRequest(tenant, { client_secret: 's' }, { grant_type: '' }), { status: 400, error: 'invalid_request', code: 900144 }],
    ['another grant', msalTokenRequest(tenant, { client_secret: 's' }, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }), { status: 400, error: 'unsupported_grant_type', code: 70003 }],
    ['no credential', msalTokenRequest(tenant, {}), { status: 401, error: 'invalid_client', code: 7000218 }],
    ['wrong scope', msalTokenRequest(tenant, { client_secret: 's' }, { scope: 'https://management.azure.com/.default' }), { status: 400, error: 'invalid_scope', code: 1002012 }],
    ['a delegated scope', msalTokenRequest(tenant, { client_secret: 's' }, { scope: 'https://graph.microsoft.com/Calls.Initiate.All' }), { status: 400, error: 'invalid_scope', code: 1002012 }],
    ['no scope', msalTokenRequest(tenant, { client_secret: 's' }, { scope: '' }), { status: 400, error: 'invalid_request', code: 900144 }],
    ['common tenant', msalTokenRequest('common', { client_secret: 's' }), { status: 400, error: 'invalid_request', code: 90009 }],
    ['organizations tenant', msalTokenRequest('organizations', { client_secret: 's' }), { status: 400, error: 'invalid_request', code: 90009 }],
    ['GET', login('GET', `/${tenant}/oauth2/v2.0/token`), { status: 405, error: 'invalid_request', code: 900561 }],
  ];
  for (const [name, req, expected] of cases) expect(errorOf(await tokens.answer(req)), name).toEqual(expected);
});

test('token endpoint: OpenID configuration and instance discovery name the base URL the bot used', async () => {
  const parts = await startParts();
  const { tokens, gateway } = parts;
  try {
    const tenant = randomUUID();
    // through the preload, nock or a proxy: the real host
    const viaPreload = await tokens.answer(login('GET', `/${tenant}/v2.0/.well-known/openid-configuration`));
    expect(viaPreload.body).toMatchObject({
      token_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
      issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
      authorization_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
      jwks_uri: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
    });
    expect((await tokens.answer(login('GET', '/common/v2.0/.well-known/openid-configuration'))).body).toMatchObject({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    // through the plain gateway, over real HTTP: the gateway's own URL
    const res = await fetch(`${gateway.loginBaseUrl}/${tenant}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, string>;
    expect(doc).toMatchObject({ token_endpoint: `${gateway.loginBaseUrl}/${tenant}/oauth2/v2.0/token`, issuer: `${gateway.loginBaseUrl}/${tenant}/v2.0` });
    const keys = (await (await fetch(doc['jwks_uri']!)).json()) as { keys: { kid: string }[] };
    expect(keys.keys.map((k) => k.kid)).toEqual([tokens.kid]);

    // instance discovery, as MSAL node builds it (not encoded) and as MSAL.NET does (encoded)
    for (const query of [
      `api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
      `api-version=1.1&authorization_endpoint=${encodeURIComponent(`https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`)}`,
    ]) {
      const d = await tokens.answer(login('GET', `/common/discovery/instance?${query}`));
      expect(d.status).toBe(200);
      expect(d.body).toEqual({
        tenant_discovery_endpoint: `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] }],
      });
    }
    // an authority on the gateway itself is listed, so that MSAL finds it
    const host = new URL(gateway.loginBaseUrl).host;
    const onGateway = await (await fetch(`${gateway.loginBaseUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=${gateway.loginBaseUrl}/${tenant}/oauth2/v2.0/authorize`)).json();
    expect(onGateway).toMatchObject({
      tenant_discovery_endpoint: `${gateway.loginBaseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
      metadata: expect.arrayContaining([{ preferred_network: host, preferred_cache: host, aliases: [host] }]),
    });
    expect(errorOf(await tokens.answer(login('GET', '/common/discovery/instance?api-version=1.1')))).toEqual({ status: 400, error: 'invalid_request', code: 900144 });
    // anything else on the login host is a clear 404, not a crash
    expect((await tokens.answer(login('GET', `/${tenant}/oauth2/v2.0/authorize`))).status).toBe(404);
  } finally {
    await gateway.close();
  }
});

test('token endpoint: real MSAL with a certificate (@azure/identity) discovers the authority and gets a token through the preload', async () => {
  // an authority MSAL has no built-in metadata for, so that it asks: instance discovery (on
  // login.microsoftonline.com), then the authority's OpenID configuration, then the token
  const parts = await startParts({ 'login.callreplay.test': 'login' });
  const { tokens, gateway, config, seen } = parts;
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ name: 'commonName', value: 'callreplay test bot' }]);
    cert.setIssuer([{ name: 'commonName', value: 'callreplay test bot' }]);
    cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
    const pem = `${forge.pki.certificateToPem(cert)}${privateKey}`;
    const tenant = randomUUID();
    const script = `
      import { ClientCertificateCredential } from '@azure/identity';
      const credential = new ClientCertificateCredential(${JSON.stringify(tenant)}, ${JSON.stringify(BOT_APP_ID)}, { certificate: process.env.TEST_CERT }, { authorityHost: 'https://login.callreplay.test' });
      const token = await credential.getToken('https://graph.microsoft.com/.default');
      console.log(JSON.stringify({ token: token.token }));
    `;
    const child = await runNode(script, { ...preloadEnvironment(config, preloadModuleUrl), TEST_CERT: pem });
    expect(child.code, child.stderr).toBe(0);
    const { token } = JSON.parse(child.stdout) as { token: string };
    expect(tokens.tokenOf(`Bearer ${token}`)).toMatchObject({ tenant, clientId: BOT_APP_ID });
    const logins = seen.filter((s) => s.request.service === 'login');
    expect(logins.map((s) => `${s.request.method} ${s.request.path.replace(/\?.*/, '')} ${s.request.headers.host} ${s.response.status}`)).toEqual([
      'GET /common/discovery/instance login.microsoftonline.com 200',
      `GET /${tenant}/v2.0/.well-known/openid-configuration login.callreplay.test 200`,
      `POST /${tenant}/oauth2/v2.0/token login.callreplay.test 200`,
    ]);
    expect(new URL(logins[0]!.request.path, 'http://x').searchParams.get('authorization_endpoint')).toBe(`https://login.callreplay.test/${tenant}/oauth2/v2.0/authorize`);
    expect((logins[1]!.response.body as { token_endpoint: string }).token_endpoint).toBe(`https://login.callreplay.test/${tenant}/oauth2/v2.0/token`);
    const sent = new URLSearchParams(logins[2]!.request.rawBody);
    expect(sent.get('client_assertion_type')).toBe(JWT_BEARER);
    const header = JSON.parse(Buffer.from(sent.get('client_assertion')!.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header['x5t#S256'] ?? header['x5t']).toBeTruthy();
  } finally {
    await gateway.close();
  }
});
