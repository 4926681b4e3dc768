/**
 * The reference bot acting as a signed-in user: a delegated token from the refresh token it was
 * configured with (USER_REFRESH_TOKEN), and the online meeting it creates as that user
 * (`POST /{version}/me/onlineMeetings`) before joining it. The calling API itself takes application
 * tokens only: the join uses the bot's client-credentials token.
 *
 *   POST {LOGIN_BASE_URL}/{tenant}/oauth2/v2.0/token
 *     grant_type=refresh_token&client_id&client_secret&refresh_token&scope=https://graph.microsoft.com/OnlineMeetings.ReadWrite offline_access
 *
 * The identity platform may return a new refresh token (it rotates them): the session keeps the
 * newest one.
 */
import type { BotConfig } from './config.js';

/** The delegated permission creating a meeting as the user needs (application-post-onlinemeetings). */
export const MEETING_SCOPE = 'https://graph.microsoft.com/OnlineMeetings.ReadWrite';
const RENEW_MARGIN_S = 60;

/** The part of Graph's onlineMeeting the bot joins with. */
export interface CreatedMeeting {
  id?: string;
  joinWebUrl?: string;
  threadId: string;
  messageId: string;
  organizerId: string;
  /** the organizer's tenant, when Graph names it */
  organizerTenantId?: string;
}

export class DelegatedSession {
  private refreshToken: string;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    private readonly config: BotConfig,
    private readonly signal: () => AbortSignal,
  ) {
    this.refreshToken = config.userRefreshToken;
  }

  /** Forgets the cached access tokens (the newest refresh token is kept). */
  clear(): void {
    this.tokens.clear();
  }

  /** A delegated access token for `tenant` (refresh_token grant), cached until shortly before it expires. */
  async accessToken(tenant: string): Promise<string> {
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const url = `${this.config.loginBaseUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.config.appId,
      client_secret: this.config.appSecret,
      refresh_token: this.refreshToken,
      scope: `${MEETING_SCOPE} offline_access`,
    });
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal: this.signal() });
    const answer = await readJson(res);
    const token = typeof answer['access_token'] === 'string' ? answer['access_token'] : undefined;
    if (!res.ok || token === undefined) throw new Error(`delegated token request to ${url} failed: HTTP ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    if (typeof answer['refresh_token'] === 'string' && answer['refresh_token'] !== '') this.refreshToken = answer['refresh_token'];
    const expiresIn = Number(answer['expires_in'] ?? 3600);
    this.tokens.set(tenant, { token, expiresAt: Date.now() + (expiresIn - RENEW_MARGIN_S) * 1000 });
    return token;
  }

  /**
   * `POST {graph}/{version}/me/onlineMeetings {subject, startDateTime, endDateTime}` as the user;
   * the meeting's chatInfo and organizer (what joining it takes). Throws on a non-2xx answer or a
   * meeting without them.
   */
  async createOnlineMeeting(version: 'v1.0' | 'beta', tenant: string, subject: string): Promise<CreatedMeeting> {
    const url = `${this.config.graphBaseUrl}/${version}/me/onlineMeetings`;
    const start = new Date();
    const body = { subject, startDateTime: start.toISOString(), endDateTime: new Date(start.getTime() + 3_600_000).toISOString() };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await this.accessToken(tenant)}` },
      body: JSON.stringify(body),
      signal: this.signal(),
    });
    const meeting = await readJson(res);
    if (!res.ok) throw new MeetingError(`POST ${url} failed: HTTP ${res.status} ${JSON.stringify(meeting).slice(0, 300)}`, res.status);
    const chatInfo = object(meeting['chatInfo']);
    const user = object(object(object(object(meeting['participants'])['organizer'])['identity'])['user']);
    const threadId = chatInfo['threadId'];
    const organizerId = user['id'];
    if (typeof threadId !== 'string' || typeof organizerId !== 'string') {
      throw new MeetingError(`POST ${url}: the meeting has no chatInfo.threadId or participants.organizer.identity.user.id`, res.status);
    }
    return {
      id: typeof meeting['id'] === 'string' ? meeting['id'] : undefined,
      joinWebUrl: typeof meeting['joinWebUrl'] === 'string' ? meeting['joinWebUrl'] : undefined,
      threadId,
      messageId: typeof chatInfo['messageId'] === 'string' ? chatInfo['messageId'] : '0',
      organizerId,
      organizerTenantId: typeof user['tenantId'] === 'string' && user['tenantId'] !== '' ? user['tenantId'] : undefined,
    };
  }
}

/** Graph refused to create the meeting (status: Graph's HTTP status). */
export class MeetingError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'MeetingError';
  }
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return object(JSON.parse(text));
  } catch {
    return { text };
  }
}

function object(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
