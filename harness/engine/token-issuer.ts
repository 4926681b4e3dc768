/**
 * Plays the Microsoft identity platform for token requests, as MSAL node, @azure/identity and
 * hand-written clients send them: issues real RS256 JWTs and remembers them, so that Graph requests
 * can be checked for a bearer token this harness issued. Not a flow step: it answers automatically.
 *
 * Served (paths case-insensitive, any query):
 * - `POST /{tenant}/oauth2/v2.0/token`: grant_type=client_credentials with client_secret (form or
 *   HTTP Basic) or client_assertion (a JWT: shape and claims checked, see token-common.ts), for app
 *   tokens; refresh_token, authorization_code, password and on-behalf-of (jwt-bearer) for delegated
 *   tokens carrying a user (token-grants.ts);
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
import { randomUUID, verify, type KeyObject } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { newSigningKey, type SigningKey } from './signing-key.js';
import { isGuidLike } from './ids.js';
import type { InboundRequest, OutboundResponse } from './ports.js';
import { aadError, decode, decodeJson, identifyClient, json, jsonType, missingCredential, NON_TENANTS, readForm, TOKEN_LIFETIME_S, tokenResponse } from './token-common.js';
import { DEFAULT_DELEGATED_USER, DELEGATED_GRANTS, DelegatedGrants, type DelegatedIssue, type DelegatedUser } from './token-grants.js';

export { DEFAULT_DELEGATED_SCOPES, DEFAULT_DELEGATED_USER, userFromUsername, type DelegatedUser } from './token-grants.js';

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i;
const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i;
const OPENID_V1_PATH = /^\/([^/]+)\/\.well-known\/openid-configuration\/?$/i;
const INSTANCE_DISCOVERY_PATH = /^\/([^/]+)\/discovery\/instance\/?$/i;
const KEYS_PATH = /^\/([^/]+)\/discovery\/(?:v2\.0\/)?keys\/?$/i;
const IDENTITY_PATHS = [TOKEN_PATH, OPENID_PATH, OPENID_V1_PATH, INSTANCE_DISCOVERY_PATH, KEYS_PATH];
/** the public cloud's login hosts (instance discovery aliases); requests naming one are answered with https URLs on it */
const PUBLIC_LOGIN_HOSTS = ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'];
/** `https://graph.microsoft.com/.default` (also with `//`, as a Microsoft sample writes it) or Graph's app id form */
const GRAPH_DEFAULT_SCOPE = /^(?:https:\/\/graph\.microsoft\.com\/+|00000003-0000-0000-c000-000000000000\/)\.default$/i;
/** the application permissions of app tokens (their `roles`) */
const APP_ROLES = ['Calls.Initiate.All', 'Calls.InitiateGroupCall.All', 'Calls.JoinGroupCall.All', 'Calls.AccessMedia.All'];
const CLIENT_CREDENTIALS = 'client_credentials';

/** A token this issuer issued. */
export interface IssuedToken {
  /** the tenant of the token (`tid`): the tenant in the request path, or the user's for /common */
  tenant: string;
  clientId: string;
  expiresAt: number;
  /** 'app': client credentials (roles, no user); 'delegated': a signed-in user (scp) */
  kind: 'app' | 'delegated';
  /** the signed-in user of a delegated token (name: the `name` claim) */
  user?: { oid: string; upn: string; name?: string };
  /** the permissions the token carries: its `scp` (delegated, short names) or its `roles` (app) */
  scopes: string[];
  /** the grant_type that obtained it, e.g. 'client_credentials', 'refresh_token' */
  grant: string;
}

/** Who a Graph request acts as (the fake Graph's `caller`): the token's kind, user and tenant. */
export interface TokenCaller {
  kind: 'app' | 'delegated';
  userId?: string;
  upn?: string;
  tenantId?: string;
  displayName?: string;
}

export class TokenIssuer {
  private readonly issued = new Map<string, IssuedToken>();
  private readonly delegated: DelegatedGrants;

  private constructor(
    private readonly privateKey: CryptoKey | KeyObject,
    private readonly publicKey: KeyObject,
    readonly publicJwk: JWK,
    readonly kid: string,
    private readonly loginBaseUrl: () => string,
    /** the user of unknown refresh tokens, of authorization codes and of OBO assertions naming none */
    readonly defaultUser: Readonly<DelegatedUser>,
    private readonly homeTenant?: string,
  ) {
    this.delegated = new DelegatedGrants(defaultUser, { accessToken: (i) => this.issueDelegated(i), idToken: (i) => this.idToken(i) });
  }

  /**
   * @param loginBaseUrl the login base URL of the plain gateway (or nock), read at request time
   * @param opts.defaultUser the default user of delegated grants (default DEFAULT_DELEGATED_USER)
   */
  /**
   * @param opts.homeTenant the tenant the harness runs as: a tenant named by its domain
   *   (contoso.onmicrosoft.com) is this one, as Entra ID resolves a domain to its tenant id, and so is
   *   the tenant of the default user (for /common and /organizations)
   */
  static async create(loginBaseUrl: () => string, opts: { defaultUser?: DelegatedUser; key?: SigningKey; homeTenant?: string } = {}): Promise<TokenIssuer> {
    const key = opts.key ?? (await newSigningKey());
    const user = { ...(opts.defaultUser ?? DEFAULT_DELEGATED_USER), ...(opts.homeTenant && !opts.defaultUser ? { tenantId: opts.homeTenant } : {}) };
    return new TokenIssuer(key.privateKey, key.publicKey, key.publicJwk, key.kid, loginBaseUrl, Object.freeze(user), opts.homeTenant);
  }

  /** True for requests this issuer answers (token endpoint, OpenID metadata, instance discovery, keys). */
  handles(req: InboundRequest): boolean {
    const path = pathOf(req.path);
    return IDENTITY_PATHS.some((re) => re.test(path));
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

  /** An app token (client credentials) for `clientId` in `tenant`. */
  async issue(tenant: string, clientId: string): Promise<string> {
    return this.sign({ tid: tenant, appid: clientId, idtyp: 'app', roles: APP_ROLES }, tenant, clientId, { kind: 'app', scopes: [...APP_ROLES], grant: CLIENT_CREDENTIALS });
  }

  /** A delegated access token (a Graph v1 access token: upn, oid, scp, no roles). */
  private async issueDelegated(i: DelegatedIssue): Promise<string> {
    const { oid, upn, name } = i.user;
    const claims = { tid: i.tenant, appid: i.clientId, idtyp: 'user', oid, upn, unique_name: upn, preferred_username: upn, name, scp: i.scopes.join(' ') };
    return this.sign(claims, i.tenant, oid, { kind: 'delegated', user: { oid, upn, name }, scopes: [...i.scopes], grant: i.grant }, i.clientId);
  }

  private async sign(claims: JWTPayload, tenant: string, subject: string, what: Omit<IssuedToken, 'tenant' | 'clientId' | 'expiresAt'>, clientId = subject): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(`https://sts.windows.net/${tenant}/`)
      .setAudience('https://graph.microsoft.com')
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + TOKEN_LIFETIME_S)
      .setJti(randomUUID())
      .sign(this.privateKey);
    this.issued.set(token, { tenant, clientId, expiresAt: (now + TOKEN_LIFETIME_S) * 1000, ...what });
    return token;
  }

  /** An OpenID Connect id token (v2.0): aud = the client, iss = login.microsoftonline.com/{tid}/v2.0. */
  private async idToken(i: DelegatedIssue): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { oid, upn, name } = i.user;
    return new SignJWT({ ver: '2.0', oid, tid: i.tenant, preferred_username: upn, name })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(`https://login.microsoftonline.com/${i.tenant}/v2.0`)
      .setAudience(i.clientId)
      .setSubject(oid)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + TOKEN_LIFETIME_S)
      .sign(this.privateKey);
  }

  /**
   * The token an Authorization header carries, if this issuer issued it: one it remembers, or one
   * signed with its key (kept with the CA) by an earlier harness, which a bot may still hold.
   */
  tokenOf(authorization: string | undefined): IssuedToken | undefined {
    // hot: a bot sends the same header with every request (and the router and the judge both ask)
    if (authorization !== undefined && authorization === this.lastLookup?.authorization) return this.lastLookup.token;
    const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization.trim()) : null;
    if (!m) return undefined;
    const token = this.issued.get(m[1]!) ?? verifiedToken(m[1]!, this.kid, this.publicKey);
    if (token) {
      this.issued.set(m[1]!, token);
      this.lastLookup = { authorization: authorization!, token };
    }
    return token;
  }

  /** The last header tokenOf found a token in (only tokens found are kept: what is issued later cannot change them). */
  private lastLookup: { authorization: string; token: IssuedToken } | undefined;

  /** Who a Graph request with this Authorization header acts as (undefined when the token is not ours). */
  callerOf(authorization: string | undefined): TokenCaller | undefined {
    const t = this.tokenOf(authorization);
    if (!t) return undefined;
    return t.kind === 'delegated' ? { kind: 'delegated', userId: t.user?.oid, upn: t.user?.upn, tenantId: t.tenant, displayName: t.user?.name } : { kind: 'app', tenantId: t.tenant };
  }

  /**
   * Why an Authorization header is not acceptable, or undefined when it carries a live token we
   * issued. `known`: the header's token, when the caller already looked it up (tokenOf).
   */
  problemWith(authorization: string | undefined, known?: IssuedToken): string | undefined {
    if (!authorization) return 'has no Authorization header (Graph answers 401 InvalidAuthenticationToken)';
    // a header tokenOf found a token in is well formed: no need to scan its ~1 KB again
    if (!known && !/^Bearer\s+\S+$/i.test(authorization.trim())) return `has an Authorization header that is not "Bearer <token>" (${authorization.slice(0, 20)}...)`;
    const t = known ?? this.tokenOf(authorization);
    if (!t) return 'carries a bearer token the harness did not issue (get one from LOGIN_BASE_URL/{tenant}/oauth2/v2.0/token)';
    if (t.expiresAt < Date.now()) return 'carries an expired bearer token';
    return undefined;
  }

  /**
   * One line on a refused token request (status >= 400), naming the grant and Entra ID's reason,
   * e.g. "the token endpoint refused a refresh_token grant: invalid_grant (AADSTS70000: ...)";
   * undefined for a success.
   */
  describeRefusal(req: InboundRequest, res: OutboundResponse): string | undefined {
    return describeTokenRefusal(req, res);
  }

  // ------------------------------------------------------------------------------ token endpoint

  private async token(req: InboundRequest, named: string, base: string): Promise<OutboundResponse> {
    // a tenant named by its domain is the harness's tenant (Entra ID resolves the domain to its id)
    const tenant = this.homeTenant && !isGuidLike(named) && !NON_TENANTS.includes(named.toLowerCase()) ? this.homeTenant : named;
    if (req.method !== 'POST') return aadError(405, 'invalid_request', `AADSTS900561: The endpoint only accepts POST requests. Received a ${req.method} request.`);
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    const form = readForm(req.rawBody);
    const grant = form.get('grant_type');
    if (!grant) {
      const hint = contentType && !contentType.includes('application/x-www-form-urlencoded') ? ` (the body must be application/x-www-form-urlencoded; it was sent as ${contentType})` : '';
      return aadError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: 'grant_type'.${hint}`);
    }
    if (grant !== CLIENT_CREDENTIALS && !DELEGATED_GRANTS.includes(grant)) {
      return aadError(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant}': callreplay answers ${[CLIENT_CREDENTIALS, ...DELEGATED_GRANTS].join(', ')}.`);
    }
    const client = identifyClient(req, form, tenant, base);
    if ('status' in client) return client;
    if (grant !== CLIENT_CREDENTIALS) return this.delegated.answer(grant, form, tenant, client);
    if (!client.authenticated) return missingCredential();

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
    // what MSAL reads: token_type, expires_in, ext_expires_in, access_token (refresh_in is
    // optional: Entra ID sends it only for tokens living 2 hours or more)
    return tokenResponse({ token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: await this.issue(tenant, client.clientId) });
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

function withHeaders(res: OutboundResponse, headers: Record<string, string>): OutboundResponse {
  return { ...res, headers: { ...res.headers, ...headers } };
}

/**
 * An access token signed with `publicKey`'s private key (kid `kid`) by an earlier harness, read
 * back from its claims; undefined for anything else (another key, a bad signature, not a JWT).
 */
function verifiedToken(token: string, kid: string, publicKey: KeyObject): IssuedToken | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = decodeJson(parts[0]!);
  if (header?.['kid'] !== kid || header['alg'] !== 'RS256') return undefined;
  if (!verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2]!, 'base64url'))) return undefined;
  const c = decodeJson(parts[1]!);
  if (!c || typeof c['tid'] !== 'string' || typeof c['exp'] !== 'number' || c['aud'] !== 'https://graph.microsoft.com') return undefined;
  const scp = typeof c['scp'] === 'string' ? c['scp'].split(' ').filter(Boolean) : undefined;
  const base = { tenant: c['tid'], clientId: String(c['appid'] ?? c['sub'] ?? ''), expiresAt: c['exp'] * 1000, grant: 'unknown (issued by an earlier harness)' };
  if (!scp) return { ...base, kind: 'app', scopes: Array.isArray(c['roles']) ? (c['roles'] as string[]) : [] };
  return { ...base, kind: 'delegated', scopes: scp, user: { oid: String(c['oid'] ?? ''), upn: String(c['upn'] ?? ''), name: typeof c['name'] === 'string' ? c['name'] : undefined } };
}


/** See TokenIssuer.describeRefusal. */
export function describeTokenRefusal(req: InboundRequest, res: OutboundResponse): string | undefined {
  if (res.status < 400) return undefined;
  const body = (res.body !== null && typeof res.body === 'object' ? res.body : {}) as { error?: unknown; error_description?: unknown };
  const error = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
  const reason = typeof body.error_description === 'string' ? `${error} (${body.error_description.replace(/\s+/g, ' ').trim()})` : error;
  if (!TOKEN_PATH.test(pathOf(req.path))) return `the login endpoint refused ${req.method} ${pathOf(req.path)}: ${reason}`;
  const grant = req.method === 'POST' ? readForm(req.rawBody).get('grant_type') : undefined;
  const what = grant ? `a ${grant} grant` : req.method === 'POST' ? 'a token request without grant_type' : `a ${req.method} token request`;
  return `the token endpoint refused ${what}: ${reason}`;
}
