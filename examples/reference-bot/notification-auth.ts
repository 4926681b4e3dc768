/**
 * Notification authentication: Graph puts `Authorization: Bearer <JWT>` on every notification. The
 * token must be signed (RS256) by a key of the JWKS named by the OpenID configuration at
 * CALLS_OPENID_CONFIG_URL; see README.md, "Notification authentication".
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { asString, errorMessage, isJsonObject, preview, readResponseBody } from './helpers.js';

/**
 * Issuers accepted on notification tokens: Graph's documented one and the one Microsoft's samples
 * also accept, each with and without the trailing slash (the government cloud sends one).
 */
export const NOTIFICATION_ISSUERS: readonly string[] = [
  'https://api.botframework.com',
  'https://api.botframework.com/',
  'https://graph.microsoft.com',
  'https://graph.microsoft.com/',
];
/** Clock skew allowed on `iat`, `nbf` and `exp` of notification tokens (as .NET's token handler). */
export const NOTIFICATION_CLOCK_TOLERANCE_S = 300;
/** The OpenID configuration is read again after this long (Microsoft's samples: 2 h). */
const OPENID_CONFIG_REFRESH_MS = 2 * 60 * 60_000;
/** A refresh that failed while an older configuration is known is tried again after this long. */
const OPENID_CONFIG_RETRY_MS = 60_000;
/** Fetching the OpenID configuration or the keys may take this long (the notification waits for it). */
const KEY_FETCH_TIMEOUT_MS = 5_000;

/** The claims of a notification token that passed verifyNotificationToken. */
export interface NotificationClaims extends JWTPayload {
  /** the tenant the notification is for */
  tid: string;
}

/**
 * Verifies the bearer token of a notification: RS256 signature by a key of `keys` (selected by
 * `kid`), `iss` one of NOTIFICATION_ISSUERS, `aud` = `appId`, `iat`/`nbf`/`exp` with 5 minutes of
 * clock skew (`exp` required), and a non-empty string `tid`. Throws jose's error saying why not.
 */
export async function verifyNotificationToken(token: string, keys: JWTVerifyGetKey, appId: string): Promise<NotificationClaims> {
  const { payload } = await jwtVerify(token, keys, {
    issuer: [...NOTIFICATION_ISSUERS],
    audience: appId,
    algorithms: ['RS256'],
    clockTolerance: NOTIFICATION_CLOCK_TOLERANCE_S,
    requiredClaims: ['exp', 'tid'],
  });
  if (typeof payload.tid !== 'string' || payload.tid === '') {
    throw new joseErrors.JWTClaimValidationFailed('"tid" claim must be a non-empty string', payload, 'tid', 'check_failed');
  }
  return payload as NotificationClaims;
}

/** Why a token failed verifyNotificationToken, as the bot logs it. */
export function refusalReason(err: unknown): string {
  return err instanceof joseErrors.JOSEError ? `${err.code}: ${err.message}` : `the token could not be checked: ${errorMessage(err)}`;
}

/** The keys that sign notification tokens, from the OpenID configuration's `jwks_uri`. */
export class NotificationKeys {
  private current?: { jwksUri: string; keys: JWTVerifyGetKey; refreshAt: number };
  /** The OpenID configuration being fetched (shared by concurrent notifications). */
  private loading?: Promise<JWTVerifyGetKey>;

  constructor(
    private readonly openIdConfigUrl: string,
    /** the bot's lifetime: aborted when it stops */
    private readonly lifetime: () => AbortSignal,
    private readonly log: (message: string) => void,
    private readonly logError: (message: string, err: unknown) => void,
  ) {}

  /** Forgets the configuration (the bot stopped). */
  clear(): void {
    this.current = undefined;
  }

  /**
   * The key set named by the OpenID configuration, read again every 2 hours. The key set fetches
   * the JWKS itself, caches it and fetches it again for a `kid` it does not know (jose's
   * createRemoteJWKSet). A failed refresh keeps the previous configuration for another minute.
   */
  async keys(): Promise<JWTVerifyGetKey> {
    const current = this.current;
    if (current && current.refreshAt > Date.now()) return current.keys;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    try {
      return await this.loading;
    } catch (err) {
      if (!current || this.current !== current) throw err;
      current.refreshAt = Date.now() + OPENID_CONFIG_RETRY_MS;
      this.logError(`could not refresh the OpenID configuration ${this.openIdConfigUrl}; keeping the previous one`, err);
      return current.keys;
    }
  }

  private async load(): Promise<JWTVerifyGetKey> {
    const url = this.openIdConfigUrl;
    const lifetime = this.lifetime();
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.any([lifetime, AbortSignal.timeout(KEY_FETCH_TIMEOUT_MS)]),
      });
    } catch (err) {
      // undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause
      const cause = err instanceof Error && err.cause !== undefined ? ` (${errorMessage(err.cause)})` : '';
      throw new Error(`${errorMessage(err)}${cause}`);
    }
    const answer = await readResponseBody(res);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${preview(answer)}`);
    const jwksUri = isJsonObject(answer) ? asString(answer.jwks_uri) : undefined;
    if (jwksUri === undefined) throw new Error(`the configuration has no "jwks_uri": ${preview(answer)}`);
    let jwks: URL;
    try {
      jwks = new URL(jwksUri, url);
    } catch {
      throw new Error(`the configuration's "jwks_uri" is not a URL: ${jwksUri}`);
    }
    if (jwks.protocol !== 'https:' && jwks.protocol !== 'http:') throw new Error(`the configuration's "jwks_uri" is not http(s): ${jwksUri}`);
    if (lifetime.aborted) throw new Error('reference bot stopped');
    // The same jwks_uri keeps its key set, and with it the keys already fetched.
    const previous = this.current;
    const keys = previous?.jwksUri === jwks.href ? previous.keys : createRemoteJWKSet(jwks, { timeoutDuration: KEY_FETCH_TIMEOUT_MS });
    this.current = { jwksUri: jwks.href, keys, refreshAt: Date.now() + OPENID_CONFIG_REFRESH_MS };
    this.log(`notification signing keys: ${jwks.href}`);
    return keys;
  }
}
