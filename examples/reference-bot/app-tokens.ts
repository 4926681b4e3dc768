/**
 * The bot's application tokens: OAuth2 client credentials at `{LOGIN_BASE_URL}/{tenant}/oauth2/v2.0/token`
 * with scope `https://graph.microsoft.com/.default`, cached per tenant until 60 s before they expire.
 * Every Graph calling request carries one (the calling API takes application permissions only).
 */
import type { BotConfig } from './config.js';
import { asString, isJsonObject, preview, readResponseBody } from './helpers.js';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** Tokens are renewed this long before they expire. */
const TOKEN_RENEW_MARGIN_S = 60;

export class AppTokens {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  /** Token requests in flight, per tenant: concurrent calls of a tenant share one. */
  private readonly requests = new Map<string, Promise<string>>();

  constructor(
    private readonly config: BotConfig,
    /** the signal each token request is sent with (the bot's lifetime and a timeout) */
    private readonly signal: () => AbortSignal,
  ) {}

  /** Forgets every token (the bot stopped). */
  clear(): void {
    this.tokens.clear();
    this.requests.clear();
  }

  /**
   * Client-credentials token for `tenant`, cached until shortly before it expires. Calls that need
   * it at the same time share one request (a burst of calls does not send a burst of token requests).
   */
  async accessToken(tenant: string): Promise<string> {
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    let pending = this.requests.get(tenant);
    if (pending === undefined) {
      pending = this.requestToken(tenant).finally(() => this.requests.delete(tenant));
      this.requests.set(tenant, pending);
    }
    return pending;
  }

  /** `POST {login}/{tenant}/oauth2/v2.0/token` (client credentials); caches the token. */
  private async requestToken(tenant: string): Promise<string> {
    const url = `${this.config.loginBaseUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.config.appId,
      client_secret: this.config.appSecret,
      scope: GRAPH_SCOPE,
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: this.signal(),
    });
    const answer = await readResponseBody(res);
    const payload = isJsonObject(answer) ? answer : {};
    const token = asString(payload.access_token);
    if (!res.ok || token === undefined) {
      throw new Error(`token request to ${url} failed: HTTP ${res.status} ${preview(answer)}`);
    }
    const expiresIn = Number(payload.expires_in ?? 3600); // some endpoints send it as a string
    this.tokens.set(tenant, { token, expiresAt: Date.now() + (expiresIn - TOKEN_RENEW_MARGIN_S) * 1000 });
    return token;
  }
}
