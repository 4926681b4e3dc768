/**
 * Plays the Microsoft identity platform for client-credentials requests, as MSAL node,
 * @azure/identity and hand-written clients send them: issues real RS256 JWTs and remembers them, so
 * that Graph requests can be checked for a bearer token this harness issued. Not a flow step: it
 * answers automatically.
 *
 * Served (paths case-insensitive, any query):
 * - `POST /{tenant}/oauth2/v2.0/token`: grant_type=client_credentials with client_secret (form or
 *   HTTP Basic) or client_assertion (a JWT: shape and claims checked, see checkAssertion);
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` (and the v1 `/{tenant}/.well-known/...`),
 *   with URLs on the base the bot used (https://login.microsoftonline.com through the preload, nock
 *   or a proxy; the gateway's own http://127.0.0.1:port otherwise);
 * - `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...` (instance discovery);
 * - `GET /{tenant}/discovery/v2.0/keys` (the keys the access tokens are signed with).
 *
 * Lenient about encoding (charset in the content type, `+` or `%20`, whitespace, a double slash in
 * `https://graph.microsoft.com//.default`, MSAL's telemetry and library parameters in the query, form
 * or headers), strict about what matters: the grant, the credential, the Graph `.default` scope and
 * a tenant in the path.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { InboundRequest, OutboundResponse } from './ports.js';

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i;
const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i;
const OPENID_V1_PATH = /^\/([^/]+)\/\.well-known\/openid-configuration\/?$/i;
const INSTANCE_DISCOVERY_PATH = /^\/([^/]+)\/discovery\/instance\/?$/i;
const KEYS_PATH = /^\/([^/]+)\/discovery\/(?:v2\.0\/)?keys\/?$/i;
const TOKEN_LIFETIME_S = 3599;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** tenants that name no tenant: the client-credentials grant needs a real one */
const NON_TENANTS = ['common', 'organizations', 'consumers'];
/** the public cloud's login hosts (instance discovery aliases); requests naming one are answered with https URLs on it */
const PUBLIC_LOGIN_HOSTS = ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'];
/** `https://graph.microsoft.com/.default` (also with `//`, as a Microsoft sample writes it) or Graph's app id form */
const GRAPH_DEFAULT_SCOPE = /^(?:https:\/\/graph\.microsoft\.com\/+|00000003-0000-0000-c000-000000000000\/)\.default$/i;
/** clock skew tolerated for a client assertion's nbf */
const SKEW_S = 300;

export interface IssuedToken {
  tenant: string;
  clientId: string;
  expiresAt: number;
}

export class TokenIssuer {
  private readonly issued = new Map<string, IssuedToken>();

  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly kid: string,
    private readonly loginBaseUrl: () => string,
  ) {}

  /** @param loginBaseUrl the login base URL of the plain gateway (or nock), read at request time */
  static async create(loginBaseUrl: () => string): Promise<TokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
    return new TokenIssuer(privateKey, jwk, kid, loginBaseUrl);
  }

  /** True for requests this issuer answers (token endpoint, OpenID metadata, instance discovery, keys). */
  handles(req: InboundRequest): boolean {
    const path = pathOf(req.path);
    return [TOKEN_PATH, OPENID_PATH, OPENID_V1_PATH, INSTANCE_DISCOVERY_PATH, KEYS_PATH].some((re) => re.test(path));
  }

  async answer(req: InboundRequest): Promise<OutboundResponse> {
    const url = new URL(req.path, 'http://callreplay.invalid');
    const path = pathOf(req.path);
    const base = this.baseFor(req);
    const echo = correlationHeaders(req, url);
    let m: RegExpExecArray | null;
    if ((m = OPENID_PATH.exec(path))) return withHeaders(this.openIdConfiguration(base, decode(m[1]!), 'v2.0'), echo);
    if ((m = OPENID_V1_PATH.exec(path))) return withHeaders(this.openIdConfiguration(base, decode(m[1]!), 'v1'), echo);
    if (INSTANCE_DISCOVERY_PATH.test(path)) return withHeaders(instanceDiscovery(url.searchParams), echo);
    if (KEYS_PATH.test(path)) return withHeaders(json(200, { keys: [this.publicJwk] }), echo);
    if ((m = TOKEN_PATH.exec(path))) return withHeaders(await this.token(req, decode(m[1]!), base), echo);
    return withHeaders(
      aadError(404, 'invalid_request', `callreplay's login endpoint does not serve ${req.method} ${path}: it answers /{tenant}/oauth2/v2.0/token, /{tenant}/v2.0/.well-known/openid-configuration, /common/discovery/instance and /{tenant}/discovery/v2.0/keys.`),
      echo,
    );
  }

  async issue(tenant: string, clientId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tid: tenant, appid: clientId, roles: ['Calls.Initiate.All', 'Calls.InitiateGroupCall.All', 'Calls.JoinGroupCall.All', 'Calls.AccessMedia.All'] })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(`https://sts.windows.net/${tenant}/`)
      .setAudience('https://graph.microsoft.com')
      .setSubject(clientId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + TOKEN_LIFETIME_S)
      .setJti(randomUUID())
      .sign(this.privateKey);
    this.issued.set(token, { tenant, clientId, expiresAt: (now + TOKEN_LIFETIME_S) * 1000 });
    return token;
  }

  /** The token an Authorization header carries, if this issuer issued it. */
  tokenOf(authorization: string | undefined): IssuedToken | undefined {
    const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization.trim()) : null;
    return m ? this.issued.get(m[1]!) : undefined;
  }

  /** Why an Authorization header is not acceptable, or undefined when it carries a live token we issued. */
  problemWith(authorization: string | undefined): string | undefined {
    if (!authorization) return 'has no Authorization header (Graph answers 401 InvalidAuthenticationToken)';
    if (!/^Bearer\s+\S+$/i.test(authorization.trim())) return `has an Authorization header that is not "Bearer <token>" (${authorization.slice(0, 20)}...)`;
    const t = this.tokenOf(authorization);
    if (!t) return 'carries a bearer token the harness did not issue (get one from LOGIN_BASE_URL/{tenant}/oauth2/v2.0/token)';
    if (t.expiresAt < Date.now()) return 'carries an expired bearer token';
    return undefined;
  }

  // ------------------------------------------------------------------------------ token endpoint

  private async token(req: InboundRequest, tenant: string, base: string): Promise<OutboundResponse> {
    if (req.method !== 'POST') return aadError(405, 'invalid_request', `AADSTS900561: The endpoint only accepts POST requests. Received a ${req.method} request.`);
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    const form = readForm(req.rawBody);
    const grant = form.get('grant_type');
    if (!grant) {
      const hint = contentType && !contentType.includes('application/x-www-form-urlencoded') ? ` (the body must be application/x-www-form-urlencoded; it was sent as ${contentType})` : '';
      return aadError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: 'grant_type'.${hint}`);
    }
    if (grant !== 'client_credentials') return aadError(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant}': callreplay answers the client_credentials grant only.`);

    const basic = basicCredentials(req.headers['authorization']);
    const clientId = form.get('client_id') ?? basic?.clientId;
    if (!clientId) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
    if (basic && basic.clientId !== clientId) return aadError(401, 'invalid_client', `AADSTS700021: The client_id in the Authorization header (${basic.clientId}) does not match the client_id parameter (${clientId}).`);
    const secret = form.get('client_secret') ?? basic?.secret;
    const assertion = form.get('client_assertion');
    const assertionType = form.get('client_assertion_type');
    if (!secret && !assertion) {
      if (assertionType) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_assertion'.");
      return aadError(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    if (assertion || assertionType) {
      const problem = checkAssertion(assertion ?? '', assertionType, clientId, tenant, tokenEndpointsFor(base, tenant));
      if (problem) return problem;
    }

    const scopeParam = form.get('scope');
    if (!scopeParam) {
      const hint = form.get('resource') ? ` (a v1 'resource' parameter was sent: the v2.0 endpoint takes scope=https://graph.microsoft.com/.default)` : '';
      return aadError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: 'scope'.${hint}`);
    }
    const scopes = scopeParam.split(/\s+/).filter(Boolean);
    if (scopes.length !== 1 || !GRAPH_DEFAULT_SCOPE.test(scopes[0]!)) {
      return aadError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scopeParam} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (https://graph.microsoft.com/.default).`);
    }
    if (NON_TENANTS.includes(tenant.toLowerCase())) {
      return aadError(400, 'invalid_request', `AADSTS90009: Use a tenant-specific endpoint for the client credentials flow, not /${tenant}: ${base}/{tenant}/oauth2/v2.0/token with the tenant of the call.`);
    }
    const token = await this.issue(tenant, clientId);
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
      // what MSAL reads: token_type, expires_in, ext_expires_in, access_token (refresh_in is
      // optional: Entra ID sends it only for tokens living 2 hours or more)
      body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: token },
    };
  }

  // ------------------------------------------------------------------------------ metadata

  /**
   * The base URL the bot used. A Host header naming a real host (login.microsoftonline.com, or any
   * host other than loopback) came through the preload, nock or a proxy from an https URL: the
   * identity platform is https only. A loopback Host is the gateway itself: its login base URL.
   */
  private baseFor(req: InboundRequest): string {
    const host = (req.headers['host'] ?? '').trim().toLowerCase().replace(/:443$/, '');
    const configured = this.loginBaseUrl().replace(/\/+$/, '');
    if (!host) return configured || 'https://login.microsoftonline.com';
    const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (PUBLIC_LOGIN_HOSTS.includes(name) || !isLoopback(name)) return `https://${host}`;
    try {
      if (configured && new URL(configured).host === host) return configured;
    } catch {
      // not a URL: fall through to the Host header
    }
    return `${/https|tls/i.test(req.via) ? 'https' : 'http'}://${host}`;
  }

  private openIdConfiguration(base: string, tenant: string, version: 'v2.0' | 'v1'): OutboundResponse {
    // like Entra ID: a multi-tenant alias answers with the {tenantid} placeholder in the issuer
    const issuerTenant = NON_TENANTS.includes(tenant.toLowerCase()) ? '{tenantid}' : tenant;
    const t = `${base}/${tenant}`;
    const v2 = version === 'v2.0';
    return json(200, {
      token_endpoint: v2 ? `${t}/oauth2/v2.0/token` : `${t}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: v2 ? `${t}/discovery/v2.0/keys` : `${t}/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? `${base}/${issuerTenant}/v2.0` : `https://sts.windows.net/${issuerTenant}/`,
      request_uri_parameter_supported: false,
      authorization_endpoint: v2 ? `${t}/oauth2/v2.0/authorize` : `${t}/oauth2/authorize`,
      device_authorization_endpoint: v2 ? `${t}/oauth2/v2.0/devicecode` : `${t}/oauth2/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: v2 ? `${t}/oauth2/v2.0/logout` : `${t}/oauth2/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid'],
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }
}

// ------------------------------------------------------------------------------------ helpers

/**
 * Instance discovery as Entra ID answers it: `{tenant_discovery_endpoint, api-version, metadata}`,
 * the public cloud's aliases, plus the gateway's own host when the authority is on it (so that
 * MSAL finds its authority in the list).
 */
function instanceDiscovery(query: URLSearchParams): OutboundResponse {
  const endpoint = query.get('authorization_endpoint');
  const apiVersion = query.get('api-version') ?? '1.1';
  if (!endpoint) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'authorization_endpoint'.");
  let authority: URL;
  try {
    authority = new URL(endpoint.trim());
  } catch {
    return { status: 400, headers: jsonType(), body: { error: 'invalid_instance', error_description: `AADSTS50049: Unknown or invalid instance (authorization_endpoint ${endpoint} is not a URL).`, error_codes: [50049] } };
  }
  const segments = authority.pathname.split('/').filter(Boolean);
  const tenant = segments[0] ?? 'common';
  const v2 = segments.includes('v2.0');
  const discoveryBase = PUBLIC_LOGIN_HOSTS.includes(authority.hostname.toLowerCase()) ? 'https://login.microsoftonline.com' : authority.origin;
  const metadata: { preferred_network: string; preferred_cache: string; aliases: string[] }[] = [
    { preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: [...PUBLIC_LOGIN_HOSTS] },
  ];
  const authorityHost = authority.host.toLowerCase();
  if (!PUBLIC_LOGIN_HOSTS.includes(authorityHost)) metadata.push({ preferred_network: authorityHost, preferred_cache: authorityHost, aliases: [authorityHost] });
  return json(200, {
    tenant_discovery_endpoint: `${discoveryBase}/${tenant}${v2 ? '/v2.0' : ''}/.well-known/openid-configuration`,
    'api-version': apiVersion,
    metadata,
  });
}

/** Token endpoint URLs a client assertion may name as its audience: on the base the bot used, or the public one; v2.0 or v1. */
function tokenEndpointsFor(base: string, tenant: string): string[] {
  const bases = [base, 'https://login.microsoftonline.com'];
  return bases.flatMap((b) => [`${b}/${tenant}/oauth2/v2.0/token`, `${b}/${tenant}/oauth2/token`]).map(normalizeEndpoint);
}

function normalizeEndpoint(url: string): string {
  return url.trim().replace(/[?#].*$/, '').replace(/\/+$/, '').toLowerCase();
}

/**
 * A client assertion (certificate credential): `client_assertion_type` must be the JWT bearer type
 * and `client_assertion` a JWT whose header names its algorithm and key (`x5t`, `x5t#S256` or
 * `kid`) and whose claims are `aud` = the token endpoint, `iss` = `sub` = client_id, `exp` in the
 * future. The signature cannot be checked: no certificate is registered with the harness (there
 * is no app registration at all), so a well-formed assertion signed with any key is accepted.
 */
function checkAssertion(assertion: string, assertionType: string | undefined, clientId: string, tenant: string, audiences: string[]): OutboundResponse | undefined {
  if (!assertionType) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_assertion_type'.");
  if (assertionType !== JWT_BEARER) {
    return aadError(400, 'invalid_request', `AADSTS70011: The provided value for the input parameter 'client_assertion_type' is not valid: expected '${JWT_BEARER}', got '${assertionType}'.`);
  }
  const malformed = (why: string) => aadError(401, 'invalid_client', `AADSTS50027: JWT token is invalid or malformed: the client_assertion ${why}.`);
  const parts = assertion.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return malformed('must be a signed JWT: three non-empty base64url parts separated by dots');
  const header = decodeJson(parts[0]!);
  const claims = decodeJson(parts[1]!);
  if (!header) return malformed('header is not base64url-encoded JSON');
  if (!claims) return malformed('payload is not base64url-encoded JSON');
  const alg = header['alg'];
  if (typeof alg !== 'string' || !/^(RS|PS|ES)(256|384|512)$/.test(alg)) return malformed(`header must name an asymmetric signing algorithm in 'alg' (RS256, PS256, ...; got ${JSON.stringify(alg)})`);
  if (!['x5t', 'x5t#S256', 'kid'].some((k) => typeof header[k] === 'string' && header[k] !== '')) return malformed("header must name the certificate: 'x5t', 'x5t#S256' or 'kid'");
  const aud = claims['aud'];
  const auds = (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === 'string');
  if (!auds.some((a) => audiences.includes(normalizeEndpoint(a)))) {
    return aadError(401, 'invalid_client', `AADSTS700023: Client assertion audience claim does not match Realm issuer: 'aud' must be the token endpoint (${audiences[0]}), got ${JSON.stringify(aud)} (tenant ${tenant}).`);
  }
  if (claims['iss'] !== clientId || claims['sub'] !== clientId) {
    return aadError(401, 'invalid_client', `AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter: 'iss' and 'sub' must both be ${clientId} (got iss ${JSON.stringify(claims['iss'])}, sub ${JSON.stringify(claims['sub'])}).`);
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = claims['exp'];
  if (typeof exp !== 'number' || exp <= now) return aadError(401, 'invalid_client', `AADSTS700024: Client assertion is not within its valid time range: 'exp' ${exp === undefined ? 'is missing' : `(${JSON.stringify(exp)}) is not in the future`}.`);
  const nbf = claims['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + SKEW_S)) return aadError(401, 'invalid_client', `AADSTS700024: Client assertion is not within its valid time range: 'nbf' (${JSON.stringify(nbf)}) is in the future.`);
  return undefined;
}

/** Form fields, values trimmed; `+` and `%20` both decode to a space. */
function readForm(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw.trim());
  } catch {
    return out;
  }
  for (const [k, v] of params) if (!out.has(k.trim())) out.set(k.trim(), v.trim());
  return out;
}

/** client_secret_basic: `Basic base64(urlencode(client_id):urlencode(secret))`. */
function basicCredentials(authorization: string | undefined): { clientId: string; secret: string } | undefined {
  const m = authorization ? /^Basic\s+(\S+)$/i.exec(authorization.trim()) : null;
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { clientId: decode(text.slice(0, i).replace(/\+/g, ' ')), secret: decode(text.slice(i + 1).replace(/\+/g, ' ')) };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Entra ID echoes the client's correlation id (MSAL sends it in the query and as a header). */
function correlationHeaders(req: InboundRequest, url: URL): Record<string, string> {
  const id = url.searchParams.get('client-request-id') ?? req.headers['client-request-id'];
  return { ...(id ? { 'client-request-id': id } : {}), 'x-ms-request-id': randomUUID() };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1';
}

function pathOf(path: string): string {
  return path.replace(/[?#].*$/, '');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function withHeaders(res: OutboundResponse, headers: Record<string, string>): OutboundResponse {
  return { ...res, headers: { ...res.headers, ...headers } };
}

function jsonType(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8' };
}

function json(status: number, body: unknown): OutboundResponse {
  return { status, headers: jsonType(), body };
}

function aadError(status: number, error: string, description: string): OutboundResponse {
  return {
    status,
    headers: jsonType(),
    body: { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() },
  };
}
