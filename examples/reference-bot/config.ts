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
  openIdConfigUrl: 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration',
  meetingThreadId: '19:meeting_reference-bot@thread.v2',
  meetingOrganizerId: '11111111-1111-4111-8111-111111111111',
  graphApi: 'v1.0',
  logLevel: 'info',
} as const;

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
    openIdConfigUrl: parseUrl('CALLS_OPENID_CONFIG_URL', get('CALLS_OPENID_CONFIG_URL') ?? DEFAULTS.openIdConfigUrl),
    tenantId: get('BOT_TENANT_ID'),
    publicUrl: publicUrl === undefined ? undefined : parseBaseUrl('PUBLIC_URL', publicUrl),
    meeting: {
      threadId: get('MEETING_THREAD_ID') ?? DEFAULTS.meetingThreadId,
      organizerId: get('MEETING_ORGANIZER_ID') ?? DEFAULTS.meetingOrganizerId,
      tenantId: get('MEETING_TENANT_ID'),
    },
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
