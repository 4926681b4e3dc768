// Notification authentication: the harness's notification authority (tokens, OpenID configuration,
// JWKS), the reference bot's validation of those tokens, a bot that skips the check, and the
// harness's auth probe against a bot that refuses with 401 and acts on the notification later.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, type JSONWebKeySet, type JWTPayload } from 'jose';
import { ReferenceBot, verifyNotificationToken } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import {
  DEFAULT_NOTIFICATION_TENANT,
  JWKS_PATH,
  jwksUriFor,
  NOTIFICATION_ISSUER,
  NotificationAuthority,
  OPENID_CONFIG_PATH,
} from '../harness/auth/notification-authority.js';
import { describeVariant } from '../harness/engine/explain.js';
import { formatFinding } from '../harness/engine/findings.js';
import { AUTH_VARIANTS, type AuthVariant, type InboundRequest } from '../harness/engine/ports.js';
import { Harness } from '../harness/runner/harness.js';
import { serializeBody, toInboundRequest } from '../harness/transports/read-request.js';
import { shippedFlow } from './fixtures/in-process.js';
import { LateActorBot } from './fixtures/late-actor-bot.js';
import { NoAuthCheckBot } from './fixtures/no-auth-check-bot.js';

const APP_ID = '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27';
const BROKEN: Exclude<AuthVariant, 'no-authorization'>[] = AUTH_VARIANTS.filter((v) => v !== 'no-authorization');

function get(path: string, host: string, via = 'gateway'): InboundRequest {
  return toInboundRequest('GET', path, { host, accept: 'application/json' }, '', 'login', via);
}

/** The JWKS as a bot finds it: the OpenID configuration's jwks_uri, then that document. */
async function jwksOf(authority: NotificationAuthority): Promise<JSONWebKeySet> {
  const config = await authority.answer(get(OPENID_CONFIG_PATH, '127.0.0.1:5871'));
  expect(config.status).toBe(200);
  expect(config.headers['content-type']).toMatch(/^application\/json/);
  const { jwks_uri } = config.body as { jwks_uri: string };
  const jwks = await authority.answer(get(new URL(jwks_uri).pathname, '127.0.0.1:5871'));
  expect(jwks.status).toBe(200);
  expect(jwks.headers['content-type']).toMatch(/^application\/json/);
  return jwks.body as JSONWebKeySet;
}

function tokenOf(authorization: string | undefined): string {
  expect(authorization).toMatch(/^Bearer \S+$/);
  return authorization!.slice('Bearer '.length);
}

/** How each broken token must fail the reference bot's rules. */
const EXPECTED_FAILURE: Record<(typeof BROKEN)[number], { code: string[]; claim?: string; reason?: string }> = {
  'garbage-token': { code: ['ERR_JWS_INVALID', 'ERR_JWT_INVALID'] },
  expired: { code: ['ERR_JWT_EXPIRED'], claim: 'exp' },
  'wrong-audience': { code: ['ERR_JWT_CLAIM_VALIDATION_FAILED'], claim: 'aud' },
  'wrong-issuer': { code: ['ERR_JWT_CLAIM_VALIDATION_FAILED'], claim: 'iss' },
  'unknown-kid': { code: ['ERR_JWKS_NO_MATCHING_KEY'] },
  'bad-signature': { code: ['ERR_JWS_SIGNATURE_VERIFICATION_FAILED'] },
  'no-tid': { code: ['ERR_JWT_CLAIM_VALIDATION_FAILED'], claim: 'tid', reason: 'missing' },
};

test.describe('notification authority', () => {
  test('jwks_uri: the request host (port kept), https for api.aps.skype.com and intercepting transports', () => {
    const uri = (host: string | undefined, via: string) => jwksUriFor({ headers: host === undefined ? {} : { host }, via });
    expect(uri('127.0.0.1:5871', 'gateway')).toBe('http://127.0.0.1:5871/v1/keys');
    expect(uri('localhost:5871', 'nock')).toBe('http://localhost:5871/v1/keys');
    expect(uri('api.aps.skype.com', 'gateway')).toBe('https://api.aps.skype.com/v1/keys');
    expect(uri('API.APS.Skype.com:443', 'nock')).toBe('https://API.APS.Skype.com:443/v1/keys');
    expect(uri('api.aps.skype.com', 'proxy')).toBe('https://api.aps.skype.com/v1/keys');
    expect(uri('api.aps.skype.com', 'preload')).toBe('https://api.aps.skype.com/v1/keys');
    expect(uri('127.0.0.1:8443', 'https-gateway')).toBe('https://127.0.0.1:8443/v1/keys');
    expect(uri('127.0.0.1:8443', 'proxy')).toBe('https://127.0.0.1:8443/v1/keys');
    expect(uri(undefined, 'gateway')).toBe('https://api.aps.skype.com/v1/keys');
  });

  test('serves the OpenID configuration and the JWKS (GET, any host, any case), nothing else', async () => {
    const authority = await NotificationAuthority.create({ appId: APP_ID });
    const req = (method: string, path: string) => toInboundRequest(method, path, { host: 'api.aps.skype.com' }, '', 'graph', 'proxy');
    for (const path of [OPENID_CONFIG_PATH, '/v1/.well-known/openidconfiguration', `${OPENID_CONFIG_PATH}?x=1`, JWKS_PATH, '/V1/KEYS', '/v1/keys/']) {
      expect(authority.handles(req('GET', path)), path).toBe(true);
    }
    for (const [method, path] of [['POST', OPENID_CONFIG_PATH], ['GET', '/v1/keys/other'], ['GET', '/common/discovery/v2.0/keys'], ['GET', '/v1.0/communications/calls']]) {
      expect(authority.handles(req(method!, path!)), `${method} ${path}`).toBe(false);
    }
    const config = await authority.answer(req('GET', OPENID_CONFIG_PATH));
    expect(config).toEqual({
      status: 200,
      headers: { 'content-type': expect.stringMatching(/^application\/json/) },
      body: { issuer: NOTIFICATION_ISSUER, jwks_uri: 'https://api.aps.skype.com/v1/keys', id_token_signing_alg_values_supported: ['RS256'] },
    });
    const { keys } = (await authority.answer(req('GET', JWKS_PATH))).body as JSONWebKeySet;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: authority.kid, use: 'sig', alg: 'RS256', n: expect.any(String), e: 'AQAB' });
    expect(keys[0]).not.toHaveProperty('d'); // public only
  });

  test('a valid token verifies with the reference bot rules against the served JWKS; it is reused per tenant', async () => {
    const authority = await NotificationAuthority.create({ appId: APP_ID });
    const keys = createLocalJWKSet(await jwksOf(authority));
    const tenant = randomUUID();
    const before = Math.floor(Date.now() / 1000);
    const authorization = await authority.authorization(tenant);
    const after = Math.ceil(Date.now() / 1000);
    const token = tokenOf(authorization);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: authority.kid });
    const claims = await verifyNotificationToken(token, keys, APP_ID);
    expect(claims).toEqual({ iss: NOTIFICATION_ISSUER, aud: APP_ID, tid: tenant, iat: expect.any(Number), nbf: expect.any(Number), exp: expect.any(Number) });
    // issued while it was asked for (an order, not a time limit)
    expect(claims.iat!).toBeGreaterThanOrEqual(before);
    expect(claims.iat!).toBeLessThanOrEqual(after);
    expect(claims.nbf!).toBeLessThan(claims.iat!);
    expect(claims.iat! - claims.nbf!).toBeLessThanOrEqual(60);
    expect(claims.exp! - claims.iat!).toBe(3600);

    expect(await authority.authorization(tenant)).toBe(authorization); // cached
    const other = await authority.authorization(randomUUID());
    expect(other).not.toBe(authorization);
    const byDefault = tokenOf(await authority.authorization(undefined));
    expect((await verifyNotificationToken(byDefault, keys, APP_ID)).tid).toBe(DEFAULT_NOTIFICATION_TENANT);
  });

  test('each broken variant fails verification for its own reason; no-authorization sends no header', async () => {
    const authority = await NotificationAuthority.create({ appId: APP_ID });
    const keys = createLocalJWKSet(await jwksOf(authority));
    const tenant = randomUUID();
    expect(await authority.authorization(tenant, 'no-authorization')).toBeUndefined();
    const valid = decodeJwt(tokenOf(await authority.authorization(tenant)));
    for (const variant of BROKEN) {
      const token = tokenOf(await authority.authorization(tenant, variant));
      const error = await verifyNotificationToken(token, keys, APP_ID).then(
        () => undefined,
        (e: unknown) => e,
      );
      const expected = EXPECTED_FAILURE[variant];
      expect(error, variant).toBeInstanceOf(errors.JOSEError);
      expect(expected.code, `${variant}: ${String(error)}`).toContain((error as errors.JOSEError).code);
      if (expected.claim !== undefined) expect((error as errors.JWTClaimValidationFailed).claim, variant).toBe(expected.claim);
      if (expected.reason !== undefined) expect((error as errors.JWTClaimValidationFailed).reason, variant).toBe(expected.reason);
      if (variant === 'garbage-token') continue;

      // exactly one defect: everything else is what a valid token has
      const header = decodeProtectedHeader(token);
      expect(header.alg, variant).toBe('RS256');
      expect(header.typ, variant).toBe('JWT');
      if (variant === 'unknown-kid') expect(header.kid).not.toBe(authority.kid);
      else expect(header.kid, variant).toBe(authority.kid);
      const claims = decodeJwt(token);
      const defect: Record<string, (c: JWTPayload) => void> = {
        expired: (c) => {
          expect(c.exp!).toBeLessThan(valid.exp! - 3600 - 300);
          expect(c.exp!).toBeLessThan(Math.floor(Date.now() / 1000) - 300);
          expect(c.nbf!).toBeLessThan(c.exp!);
        },
        'wrong-audience': (c) => expect(c.aud).toMatch(/^[0-9a-f-]{36}$/),
        'wrong-issuer': (c) => expect(c.iss).not.toBe(NOTIFICATION_ISSUER),
        'no-tid': (c) => expect(c).not.toHaveProperty('tid'),
      };
      defect[variant]?.(claims);
      const changed = { expired: ['iat', 'nbf', 'exp'], 'wrong-audience': ['aud'], 'wrong-issuer': ['iss'], 'no-tid': ['tid'] }[variant as string] ?? [];
      for (const name of ['iss', 'aud', 'tid', 'iat', 'nbf', 'exp']) {
        if (changed.includes(name)) continue;
        if (['iat', 'nbf', 'exp'].includes(name)) expect(Math.abs((claims[name] as number) - (valid[name] as number)), `${variant} ${name}`).toBeLessThanOrEqual(2);
        else expect(claims[name], `${variant} ${name}`).toEqual(valid[name]);
      }
      if (variant === 'wrong-audience') expect(claims.aud).not.toBe(APP_ID);
    }
  });
});

// ------------------------------------------------------------------------------------ end to end

interface Served {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => Promise<void> | void): Promise<Served> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      Promise.resolve(handler(req, Buffer.concat(chunks).toString('utf8'), res)).catch((e: unknown) => {
        res.writeHead(500).end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The authority on a loopback http server, as the plain gateway would serve it. */
function serveAuthority(authority: NotificationAuthority): Promise<Served> {
  return serve(async (req, body, res) => {
    const inbound = toInboundRequest(req.method ?? 'GET', req.url ?? '/', req.headers, body, 'login', 'gateway');
    if (!authority.handles(inbound)) return void res.writeHead(404).end();
    const answer = await authority.answer(inbound);
    res.writeHead(answer.status, answer.headers).end(serializeBody(answer.body));
  });
}

/** Plays Graph and the token endpoint badly: records every request and answers 503. */
function serveRecorder(): Promise<Served> {
  return serve((_req, _body, res) => void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"recorder"}'));
}

function incomingCall(tenant: string): { callId: string; body: string } {
  const callId = randomUUID();
  const hex = callId.replace(/-/g, '').toUpperCase();
  const caller = randomUUID();
  const resource = `/app/calls/${hex}`;
  const body = {
    value: [
      {
        changeType: 'created',
        resource,
        resourceData: {
          '@odata.type': '#microsoft.graph.call',
          '@odata.id': resource,
          '@odata.etag': 'W/"5445"',
          state: 'incoming',
          direction: 'incoming',
          tenantId: tenant,
          source: {
            '@odata.type': '#microsoft.graph.participantInfo',
            identity: { user: { displayName: 'Test User', language: 'en-US', id: caller, tenantId: tenant } },
          },
          targets: [{ '@odata.type': '#microsoft.graph.participantInfo', identity: { application: { displayName: 'Test BOT', language: 'en-US', id: APP_ID } } }],
          requestedModalities: ['audio', 'video'],
        },
      },
    ],
  };
  return { callId, body: JSON.stringify(body) };
}

async function notify(url: string, authorization: string | undefined, body: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function botEnv(openIdConfigUrl: string, recorder: Served): NodeJS.ProcessEnv {
  const base = `http://127.0.0.1:${recorder.port}`;
  return { PORT: '0', LOG_LEVEL: 'silent', BOT_APP_ID: APP_ID, CALLS_OPENID_CONFIG_URL: openIdConfigUrl, GRAPH_BASE_URL: base, LOGIN_BASE_URL: base };
}

test.describe('the reference bot over HTTP', () => {
  test('refuses every broken variant with 401 and no Graph request; accepts a valid token and answers the call', async () => {
    const authority = await NotificationAuthority.create({ appId: APP_ID });
    const authorityServer = await serveAuthority(authority);
    const recorder = await serveRecorder();
    const bot = new ReferenceBot(configFromEnv(botEnv(`http://127.0.0.1:${authorityServer.port}${OPENID_CONFIG_PATH}`, recorder)));
    try {
      await bot.start();
      const tenant = randomUUID();
      for (const variant of AUTH_VARIANTS) {
        const res = await notify(bot.url, await authority.authorization(tenant, variant), incomingCall(tenant).body);
        expect(res.status, variant).toBe(401);
        expect(JSON.parse(res.body), variant).toEqual({ error: 'notification not authorized' });
      }
      await new Promise((r) => setTimeout(r, 150)); // time for a bot that acts anyway
      expect(recorder.requests).toEqual([]);

      const call = incomingCall(tenant);
      const accepted = await notify(bot.url, await authority.authorization(tenant), call.body);
      expect(accepted.status).toBe(202);
      await until(() => recorder.requests.length > 0);
      expect(recorder.requests[0]).toBe(`POST /${tenant}/oauth2/v2.0/token`);

      // the OpenID configuration was read once for all ten notifications, and the keys it names fetched
      expect(authorityServer.requests.filter((r) => r === `GET ${OPENID_CONFIG_PATH}`)).toHaveLength(1);
      expect(authorityServer.requests).toContain(`GET ${JWKS_PATH}`);
    } finally {
      await bot.stop();
      await recorder.close();
      await authorityServer.close();
    }
  });

  test('an unreachable OpenID configuration refuses notifications with 401 and the bot stays up', async () => {
    const authority = await NotificationAuthority.create({ appId: APP_ID });
    const recorder = await serveRecorder();
    const dead = await serve(() => undefined);
    const deadPort = dead.port;
    await dead.close(); // nothing listens there any more
    const bot = new ReferenceBot(configFromEnv(botEnv(`http://127.0.0.1:${deadPort}${OPENID_CONFIG_PATH}`, recorder)));
    try {
      await bot.start();
      const tenant = randomUUID();
      for (let i = 0; i < 2; i++) {
        const res = await notify(bot.url, await authority.authorization(tenant), incomingCall(tenant).body);
        expect(res.status).toBe(401);
      }
      expect((await fetch(new URL('/health', bot.url))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      expect(recorder.requests).toEqual([]);
    } finally {
      await bot.stop();
      await recorder.close();
    }
  });

  test('a bot without the check (NoAuthCheckBot) answers 202 to every variant', async () => {
    const authority = await NotificationAuthority.create({ appId: APP_ID });
    const authorityServer = await serveAuthority(authority);
    const recorder = await serveRecorder();
    const bot = new NoAuthCheckBot(configFromEnv(botEnv(`http://127.0.0.1:${authorityServer.port}${OPENID_CONFIG_PATH}`, recorder)));
    try {
      await bot.start();
      const tenant = randomUUID();
      const statuses: Record<string, number> = {};
      for (const variant of AUTH_VARIANTS) statuses[variant] = (await notify(bot.url, await authority.authorization(tenant, variant), incomingCall(tenant).body)).status;
      expect(statuses).toEqual(Object.fromEntries(AUTH_VARIANTS.map((v) => [v, 202])));
      await until(() => recorder.requests.length > 0); // and it acts on them
      expect(authorityServer.requests).toEqual([]);
    } finally {
      await bot.stop();
      await recorder.close();
      await authorityServer.close();
    }
  });
});

// ------------------------------------------------------------------------------------ the harness's probe

test.describe('the auth probe watches until the bot is quiet', () => {
  /** Probes answer-incoming-call with `variants` (at once, as the auth check does) against a LateActorBot acting `delayMs` after its 401. */
  async function probeLateActor(delayMs: number, variants: readonly AuthVariant[]) {
    const harness = await Harness.start({ transport: 'nock' });
    const bot = new LateActorBot(configFromEnv({ PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId }));
    bot.delayMs = delayMs;
    try {
      await bot.start();
      const flow = await shippedFlow('answer-incoming-call');
      return await Promise.all(variants.map((v) => harness.probeAuth(flow, bot.url, v)));
    } finally {
      await bot.stop();
      await harness.close();
    }
  }

  for (const delayMs of [0, 400]) {
    test(`a bot that answers 401 and answers the call ${delayMs} ms later fails: auth-accepted, naming the variant and the request`, async () => {
      const variants = ['expired', 'no-authorization', 'bad-signature'] as const;
      const outcomes = await probeLateActor(delayMs, variants);
      variants.forEach((variant, i) => {
        const o = outcomes[i]!;
        expect(o.findings.map(formatFinding), variant).toHaveLength(1);
        expect(o.findings[0]).toMatchObject({ kind: 'auth-accepted', step: 1, stepName: 'incoming call' });
        expect(o.findings[0]!.rule).toBeUndefined();
        expect(o.findings[0]!.message).toBe(
          `after a notification with ${describeVariant(variant)}, the bot sent POST /beta/app/calls/{call}/answer: it must not act on a notification it cannot authenticate`,
        );
        // nothing visible in the answer: the bot refused the notification
        expect(o.transcript.entries.filter((e) => e.kind === 'ack').map((e) => e.status)).toEqual([401]);
      });
    });
  }
});

test.describe('the auth probe blames only what the refused notification could have caused', () => {
  /** Refuses a broken token (401) and, meanwhile, keeps up a call of its own the harness never announced (a keepAlive timer). */
  class KeepAliveElsewhereBot extends ReferenceBot {
    readonly otherCall = randomUUID();
    sent: Promise<unknown> | undefined;
    protected override async authorizeNotification(req: import('node:http').IncomingMessage): Promise<boolean | string> {
      const verdict = await super.authorizeNotification(req);
      if (verdict !== true) {
        this.sent ??= this.graphRequest('POST', this.callUrl({ version: 'v1.0', callsRoot: '/communications/calls' }, this.otherCall, '/keepAlive'), undefined, 'fixed-tenant').catch((e: unknown) => e);
      }
      return verdict;
    }
  }

  test('a keepAlive for a call the probe never announced is a stray, not auth-accepted', async () => {
    const harness = await Harness.start({ transport: 'nock' });
    const bot = new KeepAliveElsewhereBot(configFromEnv({ PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId }));
    try {
      await bot.start();
      const outcome = await harness.probeAuth(await shippedFlow('answer-incoming-call'), bot.url, 'expired');
      await bot.sent;
      expect(outcome.findings.map(formatFinding)).toEqual([]);
      const strays = outcome.transcript.entries.filter((e) => e.stray);
      expect(strays.map((e) => [e.method, e.url])).toEqual([['POST', `/v1.0/communications/calls/${bot.otherCall}/keepAlive`]]);
      expect(strays[0]!.stray!.reason).toContain('is probing its own');
    } finally {
      await bot.stop();
      await harness.close();
    }
  });
});
