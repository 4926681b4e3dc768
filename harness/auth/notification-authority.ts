/**
 * Plays the authority behind the `Authorization: Bearer <JWT>` that Graph puts on every call
 * notification: signs RS256 notification tokens (issuer https://api.botframework.com, audience the
 * bot's app id, `tid` the tenant) and serves the OpenID configuration and JWKS a bot validates them
 * with, at the paths of `https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration`.
 *
 * It also mints the broken tokens of the auth conformance check (AUTH_VARIANTS): each has exactly
 * one defect and is otherwise a valid token.
 */
import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { newSigningKey, type SigningKey as EngineSigningKey } from '../engine/signing-key.js';
import type { AuthVariant, InboundRequest, NotificationSigner, OutboundResponse, ServiceResponder } from '../engine/ports.js';
import { NOTIFICATION_AUTHORITY_HOST } from './authority-host.js';

/** The OpenID configuration path (`https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration`). */
export const OPENID_CONFIG_PATH = '/v1/.well-known/OpenIdConfiguration';
/** The JWKS path (`https://api.aps.skype.com/v1/keys`). */
export const JWKS_PATH = '/v1/keys';
/** `iss` of notification tokens. */
export const NOTIFICATION_ISSUER = 'https://api.botframework.com';
// dependency-free, for the command line's help (authority-host.ts)
export { NOTIFICATION_AUTHORITY_HOST };
/** `tid` of tokens for a notification whose flow names no tenant. */
export const DEFAULT_NOTIFICATION_TENANT = '7a3f2c1e-5b4d-4e8f-9a6b-1c2d3e4f5a6b';

/** How long a signed valid token is reused for its tenant (it stays valid for TOKEN_LIFETIME_S). */
const TOKEN_REUSE_MS = 5 * 60_000;
const TOKEN_LIFETIME_S = 3600;
/** nbf lies this far before iat, as in tokens whose clocks differ slightly. */
const NBF_BACKDATE_S = 5;
/** Tenants are fresh GUIDs every flow run: keep the cache bounded. */
const MAX_CACHED_TENANTS = 256;
/** Transports that reach us on the real https host name. */
const HTTPS_VIAS = new Set(['proxy', 'preload', 'https-gateway']);

const PATH_OF = /^([^?#]*)/;
const CONFIG_PATH_LC = OPENID_CONFIG_PATH.toLowerCase();
const JWKS_PATH_LC = JWKS_PATH.toLowerCase();

interface SigningKey {
  privateKey: CryptoKey | KeyObject;
  kid: string;
}

/**
 * The `jwks_uri` the OpenID configuration names for a request: the request's own Host (port kept),
 * over https when the bot believes it talks to api.aps.skype.com (the host itself, or a transport
 * that intercepts https: proxy, preload, https-gateway), else over http (the plain gateway).
 */
export function jwksUriFor(req: Pick<InboundRequest, 'headers' | 'via'>): string {
  const host = req.headers['host']?.trim() || NOTIFICATION_AUTHORITY_HOST;
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const https = hostname === NOTIFICATION_AUTHORITY_HOST || HTTPS_VIAS.has(req.via);
  return `${https ? 'https' : 'http'}://${host}${JWKS_PATH}`;
}

export class NotificationAuthority implements NotificationSigner, ServiceResponder {
  private readonly cache = new Map<string, { authorization: string; until: number }>();

  private constructor(
    readonly appId: string,
    private readonly key: SigningKey,
    /** signs 'unknown-kid' tokens: its kid is not in the JWKS */
    private readonly rogueKey: SigningKey,
    /** the JWKS entry of `key` (public) */
    readonly publicJwk: JWK,
  ) {}

  /** @param opts.key, opts.rogueKey the signing keys (default: fresh ones; the harness passes the keys it keeps) */
  static async create(opts: { appId: string; key?: EngineSigningKey; rogueKey?: EngineSigningKey }): Promise<NotificationAuthority> {
    const [real, rogue] = await Promise.all([opts.key ?? newSigningKey(), opts.rogueKey ?? newSigningKey()]);
    return new NotificationAuthority(opts.appId, { privateKey: real.privateKey, kid: real.kid }, { privateKey: rogue.privateKey, kid: rogue.kid }, real.publicJwk);
  }

  /** The kid of the signing key (the one the JWKS lists). */
  get kid(): string {
    return this.key.kid;
  }

  /**
   * `Bearer <jwt>` for a notification about a call of `tenant` (DEFAULT_NOTIFICATION_TENANT when
   * undefined): a valid token without `variant`, else one broken the variant's way;
   * undefined for 'no-authorization'.
   */
  async authorization(tenant: string | undefined, variant?: AuthVariant): Promise<string | undefined> {
    const tid = tenant ?? DEFAULT_NOTIFICATION_TENANT;
    if (variant === undefined) return this.validAuthorization(tid);
    return this.brokenAuthorization(tid, variant);
  }

  /** GET of the OpenID configuration or the JWKS, on any host, path case-insensitive. */
  handles(req: InboundRequest): boolean {
    return req.method.toUpperCase() === 'GET' && documentOf(req.path) !== undefined;
  }

  async answer(req: InboundRequest): Promise<OutboundResponse> {
    const document = req.method.toUpperCase() === 'GET' ? documentOf(req.path) : undefined;
    if (document === 'openid-configuration') {
      return json(200, {
        issuer: NOTIFICATION_ISSUER,
        jwks_uri: jwksUriFor(req),
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (document === 'jwks') return json(200, { keys: [this.publicJwk] });
    return json(404, { error: 'not found', message: `callreplay's notification authority serves only GET ${OPENID_CONFIG_PATH} and GET ${JWKS_PATH}` });
  }

  // ------------------------------------------------------------------------------------ tokens

  /** The hot path: one signature per tenant every few minutes. */
  private async validAuthorization(tid: string): Promise<string> {
    const now = Date.now();
    const cached = this.cache.get(tid);
    if (cached && cached.until > now) return cached.authorization;
    const authorization = `Bearer ${await this.sign(this.claims(tid), this.key)}`;
    this.cache.delete(tid);
    if (this.cache.size >= MAX_CACHED_TENANTS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(tid, { authorization, until: now + TOKEN_REUSE_MS });
    return authorization;
  }

  private async brokenAuthorization(tid: string, variant: AuthVariant): Promise<string | undefined> {
    switch (variant) {
      case 'no-authorization':
        return undefined;
      case 'garbage-token':
        return 'Bearer not.a.jwt';
      case 'expired': {
        // expired an hour ago: beyond any clock skew a validator allows
        const now = nowSeconds() - 2 * TOKEN_LIFETIME_S;
        return `Bearer ${await this.sign(this.claims(tid, now), this.key)}`;
      }
      case 'wrong-audience':
        return `Bearer ${await this.sign({ ...this.claims(tid), aud: randomUUID() }, this.key)}`;
      case 'wrong-issuer':
        return `Bearer ${await this.sign({ ...this.claims(tid), iss: 'https://evil.example' }, this.key)}`;
      case 'unknown-kid':
        return `Bearer ${await this.sign(this.claims(tid), this.rogueKey)}`;
      case 'bad-signature':
        return `Bearer ${alterSignature(await this.sign(this.claims(tid), this.key))}`;
      case 'no-tid': {
        const { tid: _omitted, ...claims } = this.claims(tid);
        return `Bearer ${await this.sign(claims, this.key)}`;
      }
      default:
        throw new Error(`unknown auth variant ${String(variant satisfies never)}`);
    }
  }

  /** A valid token's claims, issued at `now` (seconds). */
  private claims(tid: string, now = nowSeconds()): JWTPayload & { tid: string } {
    return {
      iss: NOTIFICATION_ISSUER,
      aud: this.appId,
      tid,
      iat: now,
      nbf: now - NBF_BACKDATE_S,
      exp: now + TOKEN_LIFETIME_S,
    };
  }

  private sign(claims: JWTPayload, key: SigningKey): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
  }
}

function documentOf(path: string): 'openid-configuration' | 'jwks' | undefined {
  const p = PATH_OF.exec(path)![1]!.replace(/\/+$/, '').toLowerCase();
  if (p === CONFIG_PATH_LC) return 'openid-configuration';
  if (p === JWKS_PATH_LC) return 'jwks';
  return undefined;
}

/** The same header and payload with one signature byte changed. */
function alterSignature(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length - 1] ^= 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function json(status: number, body: unknown): OutboundResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}
