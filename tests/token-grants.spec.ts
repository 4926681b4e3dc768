// The token endpoint's grants over the real HTTP gateway: delegated tokens (refresh_token,
// authorization_code, password, on-behalf-of) are RS256 JWTs verifiable with the served keys and
// carry the user; client credentials still give app tokens; refusals have Entra ID's error body and
// a one-line description; real MSAL (msal-node) redeems a refresh token; the fake Graph answers
// /me/onlineMeetings as the token's user, and the reference bot creates and joins a meeting.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { ConfidentialClientApplication, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import type { InboundRequest } from '../harness/engine/ports.js';
import { DEFAULT_DELEGATED_SCOPES, DEFAULT_DELEGATED_USER, userFromUsername } from '../harness/engine/token-grants.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { Harness } from '../harness/runner/harness.js';
import { runInProcess, shippedFlow } from './fixtures/in-process.js';

const CLIENT = '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27';
const MEETINGS = 'https://graph.microsoft.com/OnlineMeetings.ReadWrite';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let harness: Harness;
test.beforeAll(async () => {
  harness = await Harness.start({ transport: 'gateway' });
});
test.afterAll(async () => {
  await harness?.close();
});

interface TokenAnswer {
  status: number;
  contentType: string | null;
  body: Record<string, any>;
}

/** A token request over HTTP to the gateway's token endpoint. */
async function token(fields: Record<string, string>, tenant = harness.tenant, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const res = await fetch(`${harness.loginBaseUrl}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, any> };
}

/** Verifies a token with the keys the gateway serves for `tenant` (signature, alg, kid). */
async function verify(jwt: string, tenant = harness.tenant, opts: { issuer?: string; audience?: string } = {}): Promise<JWTPayload & Record<string, any>> {
  const keys = createRemoteJWKSet(new URL(`${harness.loginBaseUrl}/${tenant}/discovery/v2.0/keys`));
  return (await jwtVerify(jwt, keys, { algorithms: ['RS256'], ...opts })).payload as JWTPayload & Record<string, any>;
}

function asRequest(fields: Record<string, string>, tenant = harness.tenant): InboundRequest {
  const rawBody = new URLSearchParams(fields).toString();
  return { method: 'POST', path: `/${tenant}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody, body: undefined, service: 'login', via: 'gateway' };
}

const refreshFields = (refresh: string, extra: Record<string, string> = {}) => ({ grant_type: 'refresh_token', client_id: CLIENT, client_secret: 's3cret', refresh_token: refresh, ...extra });

test('refresh_token grant: a delegated RS256 token for the default user, id_token, client_info and a new refresh token, as Entra ID sends them', async () => {
  const tenant = harness.tenant;
  const a = await token(refreshFields('an-opaque-refresh-token-from-elsewhere', { scope: `${MEETINGS} openid profile offline_access`, client_info: '1' }));
  expect(a.status).toBe(200);
  expect(a.contentType).toMatch(/^application\/json/);
  expect(Object.keys(a.body)).toEqual(['token_type', 'scope', 'expires_in', 'ext_expires_in', 'access_token', 'refresh_token', 'id_token', 'client_info']);
  expect(a.body).toMatchObject({ token_type: 'Bearer', scope: `${MEETINGS} openid profile`, expires_in: 3599, ext_expires_in: 3599 });

  const user = harness.router.tokens.defaultUser;
  // the default user, in the harness's tenant (a user signed in through /common belongs to it)
  expect(user).toEqual({ ...DEFAULT_DELEGATED_USER, tenantId: harness.tenant });
  const access = await verify(a.body.access_token, tenant, { issuer: `https://sts.windows.net/${tenant}/`, audience: 'https://graph.microsoft.com' });
  expect(access).toMatchObject({ oid: user.oid, upn: user.upn, preferred_username: user.upn, name: user.name, tid: tenant, scp: 'OnlineMeetings.ReadWrite', appid: CLIENT });
  expect(access).not.toHaveProperty('roles');
  const id = await verify(a.body.id_token, tenant, { issuer: `https://login.microsoftonline.com/${tenant}/v2.0`, audience: CLIENT });
  expect(id).toMatchObject({ oid: user.oid, tid: tenant, preferred_username: user.upn, name: user.name });
  expect(JSON.parse(Buffer.from(a.body.client_info, 'base64url').toString())).toEqual({ uid: user.oid, utid: tenant });

  // the issuer remembers it: what routing, findings and the fake Graph read
  const issued = harness.router.tokens.tokenOf(`Bearer ${a.body.access_token}`);
  expect(issued).toMatchObject({ kind: 'delegated', user: { oid: user.oid, upn: user.upn }, scopes: ['OnlineMeetings.ReadWrite'], grant: 'refresh_token', tenant, clientId: CLIENT });
  expect(harness.router.tokens.problemWith(`Bearer ${a.body.access_token}`)).toBeUndefined();
  expect(harness.router.tokens.callerOf(`Bearer ${a.body.access_token}`)).toMatchObject({ kind: 'delegated', userId: user.oid, upn: user.upn, tenantId: tenant });

  // the refresh token it issued is redeemed again (rotated), for the same client only
  const b = await token(refreshFields(a.body.refresh_token, { scope: MEETINGS }));
  expect(b.status).toBe(200);
  expect(b.body.refresh_token).toEqual(expect.any(String));
  expect(b.body.refresh_token).not.toBe(a.body.refresh_token);
  expect(b.body).not.toHaveProperty('id_token');
  expect(b.body).not.toHaveProperty('client_info');
  const other = await token({ ...refreshFields(a.body.refresh_token, { scope: MEETINGS }), client_id: randomUUID() });
  expect(other.status).toBe(400);
  expect(other.body).toMatchObject({ error: 'invalid_grant', error_codes: [70000] });
});

test('password grant (a public client): the user named, a stable oid derived from the username, scopes in short form', async () => {
  const fields = { grant_type: 'password', client_id: CLIENT, username: 'Adele.Vance@contoso.example', password: 'anything', scope: `User.Read 00000003-0000-0000-c000-000000000000/Calendars.Read ${MEETINGS} offline_access` };
  const a = await token(fields);
  expect(a.status).toBe(200);
  expect(a.body).not.toHaveProperty('id_token'); // no openid asked
  expect(a.body).not.toHaveProperty('client_info'); // not asked
  const claims = await verify(a.body.access_token);
  expect(claims).toMatchObject({ upn: 'Adele.Vance@contoso.example', preferred_username: 'Adele.Vance@contoso.example', name: 'Adele Vance', scp: 'User.Read Calendars.Read OnlineMeetings.ReadWrite' });
  expect(claims['oid']).toMatch(UUID);
  expect(claims['oid']).toBe(userFromUsername('adele.vance@contoso.example').oid);
  expect(claims['oid']).not.toBe(userFromUsername('megan@contoso.example').oid);
  expect((await verify((await token(fields)).body.access_token))['oid']).toBe(claims['oid']);
  // its refresh token remembers the user
  const refreshed = await token({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: a.body.refresh_token });
  expect(refreshed.status).toBe(200);
  expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ oid: claims['oid'], upn: 'Adele.Vance@contoso.example', scp: 'User.Read Calendars.Read OnlineMeetings.ReadWrite' });
  expect(harness.router.tokens.tokenOf(`Bearer ${refreshed.body.access_token}`)).toMatchObject({ kind: 'delegated', grant: 'refresh_token', user: { oid: claims['oid'] } });

  expect((await token({ ...fields, username: '' })).body).toMatchObject({ error: 'invalid_request', error_codes: [900144] });
  expect((await token({ ...fields, scope: 'https://management.azure.com/user_impersonation' })).body).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
  expect((await token({ ...fields, scope: 'https://graph.microsoft.com/.default https://graph.microsoft.com/User.Read' })).body).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
  const dotDefault = await token({ ...fields, scope: 'https://graph.microsoft.com/.default' });
  expect(decodeJwt(dotDefault.body.access_token)['scp']).toBe(DEFAULT_DELEGATED_SCOPES.join(' '));
});

test('authorization_code grant with a certificate assertion: the default user; a code is redeemed once', async () => {
  const { privateKey } = await generateKeyPair('PS256');
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ aud: `${harness.loginBaseUrl}/${harness.tenant}/oauth2/v2.0/token`, iss: CLIENT, sub: CLIENT, exp: now + 600, nbf: now, jti: randomUUID() })
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': 'bm90LWEtcmVhbC10aHVtYnByaW50' })
    .sign(privateKey);
  const code = `0.AXEA${randomUUID()}`;
  const fields = { grant_type: 'authorization_code', client_id: CLIENT, code, redirect_uri: 'https://bot.contoso.example/auth', scope: `${MEETINGS} openid offline_access`, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
  const a = await token(fields);
  expect(a.status).toBe(200);
  expect(decodeJwt(a.body.access_token)).toMatchObject({ oid: DEFAULT_DELEGATED_USER.oid, scp: 'OnlineMeetings.ReadWrite' });
  expect(decodeJwt(a.body.id_token)).toMatchObject({ aud: CLIENT, oid: DEFAULT_DELEGATED_USER.oid });
  expect(harness.router.tokens.tokenOf(`Bearer ${a.body.access_token}`)).toMatchObject({ grant: 'authorization_code', kind: 'delegated' });
  const again = await token(fields);
  expect(again.status).toBe(400);
  expect(again.body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
  expect((await token({ ...fields, code: 'other', redirect_uri: '' })).body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining("'redirect_uri'") });
  // the credential is still checked when one is sent
  expect((await token({ ...fields, code: 'third', client_assertion: 'abc.def' })).body).toMatchObject({ error: 'invalid_client', error_codes: [50027] });
});

test('on-behalf-of (jwt-bearer): the assertion\'s user; a confidential client only', async () => {
  const { privateKey } = await generateKeyPair('RS256');
  const userOid = randomUUID();
  const incoming = await new SignJWT({ oid: userOid, upn: 'lee@contoso.example', name: 'Lee Gu', tid: harness.tenant, scp: 'access_as_user' }).setProtectedHeader({ alg: 'RS256' }).setAudience(CLIENT).sign(privateKey);
  const fields = { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: CLIENT, client_secret: 's3cret', assertion: incoming, requested_token_use: 'on_behalf_of', scope: MEETINGS };
  const a = await token(fields);
  expect(a.status).toBe(200);
  expect(await verify(a.body.access_token)).toMatchObject({ oid: userOid, upn: 'lee@contoso.example', name: 'Lee Gu', tid: harness.tenant, scp: 'OnlineMeetings.ReadWrite' });
  expect(harness.router.tokens.tokenOf(`Bearer ${a.body.access_token}`)).toMatchObject({ kind: 'delegated', grant: 'urn:ietf:params:oauth:grant-type:jwt-bearer', user: { oid: userOid, upn: 'lee@contoso.example' } });
  // an assertion that is no JWT: the default user
  expect(decodeJwt((await token({ ...fields, assertion: 'opaque' })).body.access_token)['oid']).toBe(DEFAULT_DELEGATED_USER.oid);
  const noSecret = await token({ ...fields, client_secret: '' });
  expect(noSecret.status).toBe(401);
  expect(noSecret.body).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
  expect((await token({ ...fields, requested_token_use: '' })).body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining("'requested_token_use'") });
  expect((await token({ ...fields, assertion: '' })).body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining("'assertion'") });
});

test('client credentials still give app tokens: roles, no user', async () => {
  const a = await token({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 's3cret', scope: 'https://graph.microsoft.com/.default' });
  expect(a.status).toBe(200);
  expect(Object.keys(a.body)).toEqual(['token_type', 'expires_in', 'ext_expires_in', 'access_token']);
  const claims = await verify(a.body.access_token);
  expect(claims['roles']).toContain('Calls.JoinGroupCall.All');
  expect(claims).not.toHaveProperty('scp');
  expect(claims).not.toHaveProperty('oid');
  const issued = harness.router.tokens.tokenOf(`Bearer ${a.body.access_token}`)!;
  expect(issued).toMatchObject({ kind: 'app', grant: 'client_credentials', tenant: harness.tenant, clientId: CLIENT, scopes: expect.arrayContaining(['Calls.JoinGroupCall.All']) });
  expect(issued.user).toBeUndefined();
  // a public client (no credential) cannot use it
  expect((await token({ grant_type: 'client_credentials', client_id: CLIENT, scope: 'https://graph.microsoft.com/.default' })).body).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
});

test('an unsupported grant gets Entra ID\'s error body, and refusals are described in one line', async () => {
  const fields = { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: CLIENT, device_code: 'x' };
  const a = await token(fields);
  expect(a.status).toBe(400);
  expect(a.contentType).toMatch(/^application\/json/);
  expect(Object.keys(a.body).sort()).toEqual(['correlation_id', 'error', 'error_codes', 'error_description', 'timestamp', 'trace_id']);
  expect(a.body['error']).toBe('unsupported_grant_type');
  expect(a.body['error_description']).toMatch(/^AADSTS70003: The app requested an unsupported grant type 'urn:ietf:params:oauth:grant-type:device_code'/);
  expect(a.body['error_codes']).toEqual([70003]);
  expect(new Date(a.body['timestamp']).toISOString()).toBe(a.body['timestamp']);
  expect(a.body['trace_id']).toMatch(UUID);
  expect(a.body['correlation_id']).toMatch(UUID);

  const tokens = harness.router.tokens;
  expect(tokens.describeRefusal(asRequest(fields), { status: a.status, headers: {}, body: a.body })).toBe(`the token endpoint refused a urn:ietf:params:oauth:grant-type:device_code grant: unsupported_grant_type (${a.body['error_description']})`);
  const stranger = refreshFields('x', { client_id: randomUUID() });
  const first = await tokens.answer(asRequest(refreshFields('x', { scope: 'offline_access' })));
  const rt = (first.body as Record<string, string>)['refresh_token']!;
  const refusedReq = asRequest({ ...stranger, refresh_token: rt });
  const refused = await tokens.answer(refusedReq);
  expect(tokens.describeRefusal(refusedReq, refused)).toMatch(/^the token endpoint refused a refresh_token grant: invalid_grant \(AADSTS70000: [^\n]+\)$/);
  expect(tokens.describeRefusal(asRequest({}), await tokens.answer(asRequest({})))).toMatch(/^the token endpoint refused a token request without grant_type: invalid_request \(AADSTS900144: /);
  expect(tokens.describeRefusal(asRequest(refreshFields('x')), first)).toBeUndefined();
});

/** MSAL's network module, sending to the gateway what MSAL addresses to login.microsoftonline.com (the Host kept). */
function gatewayNetwork(seen: string[]): INetworkModule {
  const send = <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const target = new URL(url);
    seen.push(`${method} ${target.pathname}`);
    const gateway = new URL(harness.loginBaseUrl);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: gateway.hostname, port: gateway.port, method, path: `${target.pathname}${target.search}`, headers: { ...(options?.headers ?? {}), host: target.host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: JSON.parse(Buffer.concat(chunks).toString()) as T }));
      });
      req.on('error', reject);
      req.end(options?.body);
    });
  };
  return { sendGetRequestAsync: (url, options) => send('GET', url, options), sendPostRequestAsync: (url, options) => send('POST', url, options) };
}

test('MSAL node: acquireTokenByRefreshToken gets a delegated token and an account from the harness', async () => {
  const seen: string[] = [];
  const tenant = harness.tenant;
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT, clientSecret: 's3cret', authority: `https://login.microsoftonline.com/${tenant}` },
    system: { networkClient: gatewayNetwork(seen) },
  });
  const result = await app.acquireTokenByRefreshToken({ refreshToken: 'a-refresh-token-from-a-sign-in', scopes: [MEETINGS], forceCache: true });
  expect(result).not.toBeNull();
  const user = harness.router.tokens.defaultUser;
  expect(result!.account).toMatchObject({ homeAccountId: `${user.oid}.${tenant}`, localAccountId: user.oid, tenantId: tenant, username: user.upn, name: user.name });
  expect(result!.scopes.map((s) => s.toLowerCase())).toContain(MEETINGS.toLowerCase());
  expect(harness.router.tokens.tokenOf(`Bearer ${result!.accessToken}`)).toMatchObject({ kind: 'delegated', grant: 'refresh_token', scopes: ['OnlineMeetings.ReadWrite'], user: { oid: user.oid } });
  expect(seen).toContain(`POST /${tenant}/oauth2/v2.0/token`);
  // cached (forceCache: no sign-in put the account there): a silent request is answered from the cache
  const silent = await app.acquireTokenSilent({ account: result!.account!, scopes: [MEETINGS] });
  expect(silent.accessToken).toBe(result!.accessToken);
  expect(seen.filter((s) => s.endsWith('/oauth2/v2.0/token'))).toHaveLength(1);
});

test('the fake Graph answers /me/onlineMeetings as the token\'s user, and refuses an app token there', async () => {
  const flow = parseFlow(
    'callreplay: 1\nname: ignore-all\ndescription: answers every request as Graph does\nunmatched: ignore\nsteps:\n  - trigger: { name: nothing, method: GET, path: /health }\n',
    'inline.yaml',
  );
  const run = harness.createRun(flow, 'http://127.0.0.1:9/api/calls');
  try {
    const refresh = await token({ grant_type: 'password', client_id: CLIENT, username: 'pradeep@contoso.example', password: 'x', scope: MEETINGS });
    const app = await token({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 's', scope: 'https://graph.microsoft.com/.default' });
    const post = (bearer: string) =>
      fetch(`${harness.graphBaseUrl}/v1.0/me/onlineMeetings`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'Standup' }) });
    const created = await post(refresh.body.access_token);
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as Record<string, any>;
    expect(meeting['subject']).toBe('Standup');
    expect(meeting['participants'].organizer).toMatchObject({ upn: 'pradeep@contoso.example', identity: { user: { id: userFromUsername('pradeep@contoso.example').oid, tenantId: harness.tenant } } });
    const refused = await post(app.body.access_token);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('/me request is only valid with delegated authentication flow.');
  } finally {
    harness.release(run);
  }
});

test('create-meeting-and-join: the reference bot passes; a bot that joins its configured meeting instead fails at the join', async () => {
  const outcome = await runInProcess(await shippedFlow('create-meeting-and-join'), (env) => new ReferenceBot(configFromEnv(env)));
  expect(outcome.findings).toEqual([]);
  expect(outcome.status).toBe('passed');

  class ConfiguredMeetingBot extends ReferenceBot {
    protected override joinMeetingBody(meeting: Parameters<ReferenceBot['joinMeetingBody']>[0]) {
      return super.joinMeetingBody({ ...meeting, threadId: this.config.meeting.threadId, organizerId: this.config.meeting.organizerId });
    }
  }
  const flow = await shippedFlow('create-meeting-and-join', 1500);
  const bad = await runInProcess(flow, (env) => new ConfiguredMeetingBot(configFromEnv(env)));
  expect(bad.status).toBe('failed');
  expect(bad.findings[0]).toMatchObject({ step: 3 });
  expect(bad.findings[0]!.message).toMatch(/chatInfo\.threadId|organizer/);
});
