/**
 * Plays the Microsoft identity platform's token endpoint for client-credentials requests:
 * issues real RS256 JWTs and remembers them, so that Graph requests can be checked for a bearer
 * token this harness issued. Not a flow step: it answers automatically.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { InboundRequest, OutboundResponse } from './ports.js';

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?(?:\?.*)?$/i;
const OPENID_PATH = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?(?:\?.*)?$/i;
const TOKEN_LIFETIME_S = 3599;

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

  static async create(loginBaseUrl: () => string): Promise<TokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
    return new TokenIssuer(privateKey, jwk, kid, loginBaseUrl);
  }

  /** True for requests this issuer answers (token and OpenID metadata). */
  handles(req: InboundRequest): boolean {
    return TOKEN_PATH.test(req.path) || OPENID_PATH.test(req.path);
  }

  async answer(req: InboundRequest): Promise<OutboundResponse> {
    const openid = OPENID_PATH.exec(req.path);
    if (openid) return this.openIdConfiguration(openid[1]!);
    const tenant = decodeURIComponent(TOKEN_PATH.exec(req.path)![1]!);
    if (req.method !== 'POST') return aadError(405, 'invalid_request', `AADSTS900561: The endpoint only accepts POST requests. Received a ${req.method} request.`);
    const form = new URLSearchParams(req.rawBody);
    const grant = form.get('grant_type');
    if (!grant) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials') return aadError(400, 'unsupported_grant_type', `AADSTS70003: callreplay answers the client_credentials grant only (got '${grant}').`);
    const clientId = form.get('client_id');
    if (!clientId) return aadError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
    if (!form.get('client_secret') && !form.get('client_assertion')) {
      return aadError(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const scope = form.get('scope') ?? '';
    if (!/^https:\/\/graph\.microsoft\.com\/+\.default$/.test(scope.trim())) {
      return aadError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope || '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (https://graph.microsoft.com/.default).`);
    }
    if (['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())) {
      return aadError(400, 'invalid_request', `AADSTS90009: Use a tenant-specific endpoint for the client credentials flow, not /${tenant}.`);
    }
    const token = await this.issue(tenant, clientId);
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache' },
      body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: token },
    };
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

  private openIdConfiguration(tenant: string): OutboundResponse {
    const base = `${this.loginBaseUrl()}/${tenant}`;
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${this.loginBaseUrl()}/${tenant}/discovery/v2.0/keys`,
        issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        id_token_signing_alg_values_supported: ['RS256'],
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
      },
    };
  }
}

function aadError(status: number, error: string, description: string): OutboundResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() },
  };
}
