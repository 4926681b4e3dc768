/**
 * The delegated grants of the token endpoint: tokens that carry a signed-in user, as calling bots
 * get them to act as a user (create an online meeting with /me/onlineMeetings, ...):
 *
 * - `refresh_token` (`refresh_token`): a refresh token this endpoint issued keeps its user; any other
 *   refresh token is the default user's. A new refresh token is always returned.
 * - `authorization_code` (`code`, `redirect_uri`): the default user (callreplay serves no
 *   /authorize page, so every code is the default user's); a code is redeemed once.
 * - `password` (`username`, `password`): the user named; its oid is derived from the username.
 * - `urn:ietf:params:oauth:grant-type:jwt-bearer` (on-behalf-of: `assertion`,
 *   `requested_token_use=on_behalf_of`): the user of the assertion when it is a JWT with an oid,
 *   else the default user. A confidential client only.
 *
 * Scopes: Graph scopes in any form (`OnlineMeetings.ReadWrite`,
 * `https://graph.microsoft.com/OnlineMeetings.ReadWrite`, `00000003-.../OnlineMeetings.ReadWrite`)
 * become the token's `scp` in short form (the response's `scope` echoes them as written);
 * `.default` gives DEFAULT_DELEGATED_SCOPES; the OpenID
 * Connect scopes (openid, profile, email, offline_access) are not Graph scopes: `openid` adds an
 * id_token, `offline_access` a refresh token. `client_info=1` adds client_info ({uid, utid}), as
 * MSAL asks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { aadError, decodeJson, missingCredential, NON_TENANTS, TOKEN_LIFETIME_S, tokenResponse, type ClientIdentity } from './token-common.js';
import type { OutboundResponse } from './ports.js';

export const OBO_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The grants answered here (client_credentials is the token issuer's own). */
export const DELEGATED_GRANTS: readonly string[] = ['refresh_token', 'authorization_code', 'password', OBO_GRANT];

/** A signed-in user as tokens carry it. */
export interface DelegatedUser {
  /** object id (the token's `oid`, Graph's user id) */
  oid: string;
  /** user principal name (`upn`, `preferred_username`) */
  upn: string;
  /** display name (`name`) */
  name: string;
  /** the home tenant, used when the request names no tenant (/common, /organizations) */
  tenantId: string;
}

/** The user of an unknown refresh token, of every authorization code, and of OBO assertions that name none. */
export const DEFAULT_DELEGATED_USER: Readonly<DelegatedUser> = Object.freeze({
  oid: '5d1c2b3a-7e4f-4a6b-9c8d-0e1f2a3b4c5d',
  upn: 'organizer@callreplay.test',
  name: 'Callreplay Organizer',
  tenantId: 'b7c4e2d9-3f1a-4c6e-8d5b-2a9f0e1c7d34',
});

/** The scp of a token asked for `https://graph.microsoft.com/.default` (what an admin would have consented). */
export const DEFAULT_DELEGATED_SCOPES: readonly string[] = ['User.Read', 'OnlineMeetings.ReadWrite', 'Calendars.ReadWrite'];

/** What a delegated token is issued for. */
export interface DelegatedIssue {
  tenant: string;
  clientId: string;
  user: DelegatedUser;
  /** Graph scopes, short names (the token's scp) */
  scopes: string[];
  grant: string;
}

/** Signs the tokens (the issuer's key, served at /{tenant}/discovery/v2.0/keys) and remembers the access tokens. */
export interface DelegatedMinter {
  accessToken(issue: DelegatedIssue): Promise<string>;
  idToken(issue: DelegatedIssue): Promise<string>;
}

const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const GRAPH_SCOPE = /^(?:https:\/\/graph\.microsoft\.com\/+|00000003-0000-0000-c000-000000000000\/)(.+)$/i;
/** a scope with no resource: Graph's (the default resource) */
const BARE_SCOPE = /^[A-Za-z][A-Za-z0-9._-]*$/;
/** namespace of the oids derived from usernames (a UUID v5-style hash) */
const USER_NAMESPACE = Buffer.from('0c7d1f5e9a4b4e3c8f2a6b1d3e5c7a90', 'hex');

/** A user named by its username (password grant): oid a stable UUID derived from the username. */
export function userFromUsername(username: string, tenantId = DEFAULT_DELEGATED_USER.tenantId): DelegatedUser {
  const h = createHash('sha1').update(USER_NAMESPACE).update(username.trim().toLowerCase()).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  const oid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const local = username.trim().split('@')[0] ?? username;
  const name = local.split(/[._-]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ') || username;
  return { oid, upn: username.trim(), name, tenantId };
}

interface RefreshRecord {
  user: DelegatedUser;
  tenant: string;
  clientId: string;
  scopes: string[];
}

interface AskedScopes {
  /** Graph scopes, short names (the token's scp) */
  graph: string[];
  /** the same scopes as the client wrote them (the response's `scope` echoes them: MSAL's cache matches on it) */
  spelled: string[];
  oidc: string[];
}

export class DelegatedGrants {
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly redeemedCodes = new Set<string>();

  constructor(
    readonly defaultUser: Readonly<DelegatedUser>,
    private readonly mint: DelegatedMinter,
  ) {}

  /** The answer to a delegated grant (one of DELEGATED_GRANTS) from `client`, the client already checked. */
  async answer(grant: string, form: Map<string, string>, tenant: string, client: ClientIdentity): Promise<OutboundResponse> {
    const need = (name: string) => aadError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: '${name}'.`);
    const scopeParam = form.get('scope');
    if (!scopeParam && (grant === 'password' || grant === OBO_GRANT)) return need('scope');
    let asked: AskedScopes | OutboundResponse | undefined = scopeParam ? askedScopes(scopeParam) : undefined;
    if (asked && 'status' in asked) return asked;
    let user: DelegatedUser = { ...this.defaultUser };
    let remembered: RefreshRecord | undefined;

    if (grant === 'refresh_token') {
      const token = form.get('refresh_token');
      if (!token) return need('refresh_token');
      remembered = this.refreshTokens.get(token);
      if (remembered && remembered.clientId !== client.clientId) {
        return aadError(400, 'invalid_grant', `AADSTS70000: Provided grant is invalid or malformed: the refresh token was issued to client ${remembered.clientId}, not ${client.clientId}.`);
      }
      if (remembered) user = remembered.user;
      const graph = remembered?.scopes ?? ['User.Read'];
      asked ??= { graph, spelled: graph, oidc: ['offline_access'] };
      if (!asked.oidc.includes('offline_access')) asked = { ...asked, oidc: [...asked.oidc, 'offline_access'] }; // the refresh token grant always returns a new one
    } else if (grant === 'authorization_code') {
      const code = form.get('code');
      if (!code) return need('code');
      if (!form.get('redirect_uri')) return need('redirect_uri');
      if (this.redeemedCodes.has(code)) return aadError(400, 'invalid_grant', 'AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
      this.redeemedCodes.add(code);
      asked ??= { graph: ['User.Read'], spelled: ['User.Read'], oidc: ['openid', 'profile'] };
    } else if (grant === 'password') {
      const username = form.get('username');
      if (!username) return need('username');
      if (!form.get('password')) return need('password');
      user = userFromUsername(username, this.defaultUser.tenantId);
    } else if (grant === OBO_GRANT) {
      if (!client.authenticated) return missingCredential();
      const use = form.get('requested_token_use');
      if (!use) return need('requested_token_use');
      if (use !== 'on_behalf_of') return aadError(400, 'invalid_request', `AADSTS70011: The provided value for the input parameter 'requested_token_use' is not valid: expected 'on_behalf_of', got '${use}'.`);
      const assertion = form.get('assertion');
      if (!assertion) return need('assertion');
      user = userOfAssertion(assertion) ?? user;
    } else {
      return aadError(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant}'.`);
    }

    const scopes = asked!.graph;
    const nonTenant = NON_TENANTS.includes(tenant.toLowerCase());
    const tid = nonTenant ? (remembered?.tenant ?? user.tenantId) : tenant;
    const issue: DelegatedIssue = { tenant: tid, clientId: client.clientId, user, scopes, grant };
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...asked!.spelled, ...asked!.oidc.filter((s) => s !== 'offline_access')].join(' '),
      expires_in: TOKEN_LIFETIME_S,
      ext_expires_in: TOKEN_LIFETIME_S,
      access_token: await this.mint.accessToken(issue),
    };
    if (asked!.oidc.includes('offline_access')) {
      const refresh = `1.callreplay.${randomBytes(48).toString('base64url')}`;
      this.refreshTokens.set(refresh, { user, tenant: tid, clientId: client.clientId, scopes });
      body['refresh_token'] = refresh;
    }
    if (asked!.oidc.includes('openid')) body['id_token'] = await this.mint.idToken(issue);
    if (form.get('client_info') === '1') body['client_info'] = Buffer.from(JSON.stringify({ uid: user.oid, utid: tid })).toString('base64url');
    return tokenResponse(body);
  }
}

/**
 * The scopes a delegated request asks for: Graph scopes (short names, deduplicated) and the OpenID
 * Connect ones. Scopes of another resource, and `.default` with other Graph scopes, are refused as
 * Entra ID refuses them.
 */
function askedScopes(param: string): AskedScopes | OutboundResponse {
  const graph: string[] = [];
  const spelled: string[] = [];
  const oidc: string[] = [];
  let dotDefault = false;
  for (const scope of param.split(/\s+/).filter(Boolean)) {
    const lower = scope.toLowerCase();
    if (OIDC_SCOPES.includes(lower)) {
      if (!oidc.includes(lower)) oidc.push(lower);
      continue;
    }
    const name = GRAPH_SCOPE.exec(scope)?.[1]?.replace(/^\/+/, '') ?? (BARE_SCOPE.test(scope) ? scope : undefined);
    if (name === undefined) {
      return aadError(400, 'invalid_scope', `AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not a Microsoft Graph scope (callreplay issues tokens for Microsoft Graph only).`);
    }
    if (name.toLowerCase() === '.default') dotDefault = true;
    else if (!graph.some((g) => g.toLowerCase() === name.toLowerCase())) {
      graph.push(name);
      spelled.push(scope);
    }
  }
  if (dotDefault && graph.length > 0) {
    return aadError(400, 'invalid_scope', `AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '${param}' combines '.default' with other scopes of the same resource.`);
  }
  // .default: what was consented; only OpenID Connect scopes: Entra ID issues a token for Graph with User.Read
  if (dotDefault) return { graph: [...DEFAULT_DELEGATED_SCOPES], spelled: DEFAULT_DELEGATED_SCOPES.map((g) => `https://graph.microsoft.com/${g}`), oidc };
  return graph.length > 0 ? { graph, spelled, oidc } : { graph: ['User.Read'], spelled: ['User.Read'], oidc };
}

/** The user an OBO assertion carries (oid, upn, name, tid), when it is a JWT naming one. */
function userOfAssertion(assertion: string): DelegatedUser | undefined {
  const parts = assertion.split('.');
  const claims = parts.length === 3 ? decodeJson(parts[1]!) : undefined;
  const oid = claims?.['oid'];
  if (typeof oid !== 'string' || oid === '') return undefined;
  const str = (k: string) => (typeof claims![k] === 'string' && claims![k] !== '' ? (claims![k] as string) : undefined);
  const upn = str('upn') ?? str('preferred_username') ?? str('unique_name') ?? `${oid}@callreplay.test`;
  return { oid, upn, name: str('name') ?? upn, tenantId: str('tid') ?? DEFAULT_DELEGATED_USER.tenantId };
}
