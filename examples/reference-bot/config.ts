/**
 * Configuration of the reference calling bot. It comes ONLY from environment variables; the
 * variable names below are a documented contract (see README.md), so keep them stable.
 */

/**
 * Which Graph URL family a call started through the bot's own API uses:
 * `v1.0` -> `/v1.0/communications/calls`, `beta` -> `/beta/communications/calls`,
 * `beta-app` -> `/beta/app/calls` (the deprecated `/app` alias exists only on beta).
 */
export type GraphApi = 'v1.0' | 'beta' | 'beta-app';

export type LogLevel = 'info' | 'silent';

/** Why a call to the reject line is rejected (Graph's `rejectReason`). */
export type RejectReason = 'none' | 'busy' | 'forbidden';

/**
 * What the bot does with a call to one of its lines (resource accounts, i.e. application
 * instances). A call to the bot's plain application identity keeps the default behaviour (it is
 * moved into the meeting).
 */
export type LineBehaviour =
  /** rejects the call (REJECT_REASON) */
  | 'reject'
  /** redirects the call to REDIRECT_TARGET_ID before answering it */
  | 'redirect'
  /** an IVR: menu prompt, tones; 1 = blind transfer to TRANSFER_TARGET_ID, 0 = hang up */
  | 'ivr'
  /** answers, then blind-transfers the caller to TRANSFER_TARGET_ID */
  | 'transfer'
  /** answers, calls TRANSFER_TARGET_ID, then transfers the caller to them, replacing that call */
  | 'consult'
  /** answers, records a message (recordResponse), downloads it, hangs up */
  | 'voicemail'
  /** answers and keeps the call alive (keepAlive) until it ends */
  | 'park'
  /** answers with application-hosted media (appHostedMediaConfig): the bot's media platform takes the call */
  | 'app-media'
  /** a policy-based compliance recorder: answers with app-hosted media, then updateRecordingStatus */
  | 'recorder'
  /** a PSTN number: answers a phone caller, blind-transfers them to PSTN_TRANSFER_NUMBER (pstn.ts) */
  | 'pstn'
  /** a PSTN number: answers, calls PSTN_TRANSFER_NUMBER from the line, then transfers replacing that call (pstn.ts) */
  | 'pstn-consult'
  /** an info menu with barge-in: a key pressed during the menu cancels it (info-line.ts) */
  | 'info'
  /** answers, then invites TRANSFER_TARGET_ID into the caller's own call (conference-line.ts) */
  | 'conference'
  /** answers, then moves the caller into the meeting, like a call to the bot's own identity (meeting-line.ts) */
  | 'meeting';

export interface LineConfig {
  /** the application instance id callers reach (`targets[0].identity.applicationInstance.id`) */
  id: string;
  behaviour: LineBehaviour;
  /** the environment variable that sets `id` */
  variable: string;
}

export interface BotConfig {
  /** PORT: port to listen on; 0 picks a free port (read it from `bot.port` after start) */
  port: number;
  /** HOST: interface to listen on */
  host: string;
  /** GRAPH_BASE_URL without a trailing slash; the bot appends `/v1.0` or `/beta` */
  graphBaseUrl: string;
  /** LOGIN_BASE_URL without a trailing slash; tokens come from `{loginBaseUrl}/{tenant}/oauth2/v2.0/token` */
  loginBaseUrl: string;
  /** BOT_APP_ID: the bot's Microsoft Entra application (client) id */
  appId: string;
  /**
   * CALLS_OPENID_CONFIG_URL: the OpenID configuration whose `jwks_uri` holds the keys that sign the
   * `Authorization: Bearer <JWT>` of Graph's notifications
   */
  openIdConfigUrl: string;
  /** BOT_APP_SECRET: the application's client secret */
  appSecret: string;
  /**
   * USER_REFRESH_TOKEN: a refresh token of the user the bot creates meetings as
   * (`/api/create-meeting-and-join`; delegated OnlineMeetings.ReadWrite, refresh_token grant)
   */
  userRefreshToken: string;
  /** BOT_TENANT_ID: tenant used when an incoming call does not name one (and for API calls) */
  tenantId?: string;
  /** PUBLIC_URL without a trailing slash; undefined = `http://127.0.0.1:<actual port>` */
  publicUrl?: string;
  /** the meeting the bot moves callers into */
  meeting: {
    /** MEETING_THREAD_ID */
    threadId: string;
    /** MEETING_ORGANIZER_ID: the organizer's user id */
    organizerId: string;
    /** MEETING_TENANT_ID; undefined = the tenant of the call being moved */
    tenantId?: string;
  };
  /** the lines (resource accounts) the bot serves, one per behaviour; `*_LINE_ID` */
  lines: LineConfig[];
  /** TRANSFER_TARGET_ID: the user (the operator) callers are transferred to (blind and consultative) */
  transferTargetId: string;
  /** REDIRECT_TARGET_ID: the user calls to the redirect line are redirected to */
  redirectTargetId: string;
  /** PSTN_TRANSFER_NUMBER: the phone number (E.164) the PSTN lines transfer callers to */
  pstnTransferNumber: string;
  /** REDIRECT_TIMEOUT_S: how long (15-90 s) the redirect target rings */
  redirectTimeoutS: number;
  /** REJECT_REASON: the reason given when rejecting a call to the reject line */
  rejectReason: RejectReason;
  /** PROMPT_BASE_URL without a trailing slash: where the bot's prompts (`*.wav`) are */
  promptBaseUrl: string;
  /** KEEPALIVE_INTERVAL_MS: how often the bot sends keepAlive on a call it keeps up (Graph: 15-45 min) */
  keepAliveIntervalMs: number;
  /** GRAPH_API_VERSION: family for `/api/join-meeting` requests that do not name one */
  graphApi: GraphApi;
  /** LOG_LEVEL */
  logLevel: LogLevel;
}

export const DEFAULTS = {
  port: 3978,
  host: '127.0.0.1',
  graphBaseUrl: 'https://graph.microsoft.com',
  loginBaseUrl: 'https://login.microsoftonline.com',
  appId: '00000000-0000-0000-0000-000000000000',
  appSecret: 'reference-bot-secret',
  userRefreshToken: 'reference-bot-user-refresh-token',
  openIdConfigUrl: 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration',
  meetingThreadId: '19:meeting_reference-bot@thread.v2',
  meetingOrganizerId: '11111111-1111-4111-8111-111111111111',
  graphApi: 'v1.0',
  logLevel: 'info',
  transferTargetId: '7a3e5c1d-8b2f-4a6e-b1d9-3c4f5a6b7c01',
  redirectTargetId: '7a3e5c1d-8b2f-4a6e-b1d9-3c4f5a6b7c02',
  pstnTransferNumber: '+14255550100',
  redirectTimeoutS: 30,
  rejectReason: 'busy',
  promptBaseUrl: 'https://cdn.contoso.example/prompts',
  keepAliveIntervalMs: 15 * 60_000,
} as const;

/** The lines and the fixed ids they have unless their variable sets another (flows use these ids). */
export const LINE_DEFAULTS: ReadonlyArray<{ variable: string; behaviour: LineBehaviour; id: string }> = [
  { variable: 'IVR_LINE_ID', behaviour: 'ivr', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b01' },
  { variable: 'REJECT_LINE_ID', behaviour: 'reject', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b02' },
  { variable: 'REDIRECT_LINE_ID', behaviour: 'redirect', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b03' },
  { variable: 'TRANSFER_LINE_ID', behaviour: 'transfer', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b04' },
  { variable: 'CONSULT_LINE_ID', behaviour: 'consult', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b05' },
  { variable: 'VOICEMAIL_LINE_ID', behaviour: 'voicemail', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b06' },
  { variable: 'PARK_LINE_ID', behaviour: 'park', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b07' },
  { variable: 'MEDIA_LINE_ID', behaviour: 'app-media', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b08' },
  { variable: 'RECORDER_LINE_ID', behaviour: 'recorder', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b09' },
  { variable: 'PSTN_LINE_ID', behaviour: 'pstn', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b21' },
  { variable: 'PSTN_CONSULT_LINE_ID', behaviour: 'pstn-consult', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b22' },
  { variable: 'INFO_LINE_ID', behaviour: 'info', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b23' },
  { variable: 'CONFERENCE_LINE_ID', behaviour: 'conference', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b24' },
  { variable: 'MEETING_LINE_ID', behaviour: 'meeting', id: '2f1c9a6e-3b7d-4e2a-9c41-7d5e8f0a1b25' },
];

export const REJECT_REASONS: readonly RejectReason[] = ['none', 'busy', 'forbidden'];

export const GRAPH_APIS: readonly GraphApi[] = ['v1.0', 'beta', 'beta-app'];
const LOG_LEVELS: readonly LogLevel[] = ['info', 'silent'];

/** Reads the bot's configuration from `env`. Throws an Error naming the variable on a bad value. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): BotConfig {
  // An empty variable (`PORT=`) counts as unset.
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const publicUrl = get('PUBLIC_URL');
  return {
    port: parsePort(get('PORT')),
    host: get('HOST') ?? DEFAULTS.host,
    graphBaseUrl: parseBaseUrl('GRAPH_BASE_URL', get('GRAPH_BASE_URL') ?? DEFAULTS.graphBaseUrl),
    loginBaseUrl: parseBaseUrl('LOGIN_BASE_URL', get('LOGIN_BASE_URL') ?? DEFAULTS.loginBaseUrl),
    appId: get('BOT_APP_ID') ?? DEFAULTS.appId,
    appSecret: get('BOT_APP_SECRET') ?? DEFAULTS.appSecret,
    userRefreshToken: get('USER_REFRESH_TOKEN') ?? DEFAULTS.userRefreshToken,
    openIdConfigUrl: parseUrl('CALLS_OPENID_CONFIG_URL', get('CALLS_OPENID_CONFIG_URL') ?? DEFAULTS.openIdConfigUrl),
    tenantId: get('BOT_TENANT_ID'),
    publicUrl: publicUrl === undefined ? undefined : parseBaseUrl('PUBLIC_URL', publicUrl),
    meeting: {
      threadId: get('MEETING_THREAD_ID') ?? DEFAULTS.meetingThreadId,
      organizerId: get('MEETING_ORGANIZER_ID') ?? DEFAULTS.meetingOrganizerId,
      tenantId: get('MEETING_TENANT_ID'),
    },
    lines: parseLines(get),
    transferTargetId: get('TRANSFER_TARGET_ID') ?? DEFAULTS.transferTargetId,
    redirectTargetId: get('REDIRECT_TARGET_ID') ?? DEFAULTS.redirectTargetId,
    pstnTransferNumber: parsePhoneNumber('PSTN_TRANSFER_NUMBER', get('PSTN_TRANSFER_NUMBER') ?? DEFAULTS.pstnTransferNumber),
    redirectTimeoutS: parseInteger('REDIRECT_TIMEOUT_S', get('REDIRECT_TIMEOUT_S'), DEFAULTS.redirectTimeoutS, 15, 90),
    rejectReason: parseChoice('REJECT_REASON', (get('REJECT_REASON') ?? DEFAULTS.rejectReason).toLowerCase(), REJECT_REASONS),
    promptBaseUrl: parseBaseUrl('PROMPT_BASE_URL', get('PROMPT_BASE_URL') ?? DEFAULTS.promptBaseUrl),
    keepAliveIntervalMs: parseInteger('KEEPALIVE_INTERVAL_MS', get('KEEPALIVE_INTERVAL_MS'), DEFAULTS.keepAliveIntervalMs, 10, 45 * 60_000),
    graphApi: parseChoice(
      'GRAPH_API_VERSION',
      (get('GRAPH_API_VERSION') ?? DEFAULTS.graphApi).toLowerCase(),
      GRAPH_APIS,
    ),
    logLevel: parseChoice('LOG_LEVEL', (get('LOG_LEVEL') ?? DEFAULTS.logLevel).toLowerCase(), LOG_LEVELS),
  };
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULTS.port;
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new Error(`PORT must be an integer from 0 to 65535 (0 = any free port), got "${value}"`);
  }
  return port;
}

/** The `*_LINE_ID` variables; two lines cannot share an id. */
function parseLines(get: (name: string) => string | undefined): LineConfig[] {
  const lines = LINE_DEFAULTS.map(({ variable, behaviour, id }) => ({ variable, behaviour, id: get(variable) ?? id }));
  const key = (id: string) => id.replace(/-/g, '').toLowerCase();
  for (const line of lines) {
    const other = lines.find((l) => l !== line && key(l.id) === key(line.id));
    if (other) throw new Error(`${line.variable} and ${other.variable} must differ, both are "${line.id}"`);
  }
  return lines;
}

/** An E.164 phone number: `+`, then up to 15 digits (the first not 0). */
function parsePhoneNumber(name: string, value: string): string {
  if (!/^\+[1-9]\d{1,14}$/.test(value)) throw new Error(`${name} must be a phone number in E.164 format (e.g. +14255550100), got "${value}"`);
  return value;
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Checks that `value` is an absolute http(s) URL and removes trailing slashes. */
function parseBaseUrl(name: string, value: string): string {
  return parseUrl(name, value).replace(/\/+$/, '');
}

/** Checks that `value` is an absolute http(s) URL. */
function parseUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${name} must be an http or https URL, got "${value}"`);
  }
  return value;
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === value);
  if (choice === undefined) {
    throw new Error(`${name} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return choice;
}
