/**
 * What the token endpoint's grants share: reading the form, Entra ID's error body, and client
 * authentication (client_secret in the form or HTTP Basic, or a client assertion) as Entra ID checks
 * it. Used by token-issuer.ts (client credentials, metadata) and token-grants.ts (delegated grants).
 */
import { randomUUID } from 'node:crypto';
import type { InboundRequest, OutboundResponse } from './ports.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** lifetime of the access tokens issued (seconds), as expires_in and ext_expires_in say */
export const TOKEN_LIFETIME_S = 3599;
/** tenants that name no tenant: the client-credentials grant needs a real one */
export const NON_TENANTS = ['common', 'organizations', 'consumers'];
/** clock skew tolerated for a client assertion's nbf */
const SKEW_S = 300;

/** Who the client is, and whether it proved it (a secret or an assertion: a confidential client). */
export interface ClientIdentity {
  clientId: string;
  /** false for a public client (no secret, no assertion) */
  authenticated: boolean;
}

/**
 * The client of a token request: client_id (form or HTTP Basic) and its credential, checked as
 * Entra ID checks it. A request with no credential is a public client (`authenticated: false`); the
 * grant decides whether that is allowed. An error response when the credential is wrong.
 */
export function identifyClient(req: InboundRequest, form: Map<string, string>, tenant: string, base: string): ClientIdentity | OutboundResponse {
  const basic = basicCredentials(req.headers['authorization']);
  const clientId = form.get('client_id') ?? basic?.clientId;
  if (!clientId) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
  if (basic && basic.clientId !== clientId) return aadError(401, 'invalid_client', `AADSTS700021: The client_id in the Authorization header (${basic.clientId}) does not match the client_id parameter (${clientId}).`);
  const secret = form.get('client_secret') ?? basic?.secret;
  const assertion = form.get('client_assertion');
  const assertionType = form.get('client_assertion_type');
  if (!secret && !assertion) {
    if (assertionType) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_assertion'.");
    return { clientId, authenticated: false };
  }
  if (assertion || assertionType) {
    const problem = checkAssertion(assertion ?? '', assertionType, clientId, tenant, tokenEndpointsFor(base, tenant));
    if (problem) return problem;
  }
  return { clientId, authenticated: true };
}

/** Entra ID's answer to a confidential-client grant sent without a credential. */
export function missingCredential(): OutboundResponse {
  return aadError(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
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
export function readForm(raw: string): Map<string, string> {
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

/** The JSON object a base64url part (of a JWT, or client_info) holds; undefined when it holds none. */
export function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function jsonType(): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8' };
}

export function json(status: number, body: unknown): OutboundResponse {
  return { status, headers: jsonType(), body };
}

/** A successful token response as Entra ID sends it (no caching by intermediaries). */
export function tokenResponse(body: Record<string, unknown>): OutboundResponse {
  return { status: 200, headers: { ...jsonType(), 'cache-control': 'no-store, no-cache', pragma: 'no-cache' }, body };
}

/** Entra ID's error body: error, error_description (starting with the AADSTS code), error_codes, timestamp, trace and correlation ids. */
export function aadError(status: number, error: string, description: string): OutboundResponse {
  return {
    status,
    headers: jsonType(),
    body: { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() },
  };
}
