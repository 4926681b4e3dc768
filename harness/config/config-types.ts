/**
 * The shape of a callreplay config file (callreplay.config.ts/.js/.json/.yaml, docs/config.md):
 * every `callreplay run` flag as a camelCase key, and `defineConfig`, which only types it. A test
 * (tests/config-file.spec.ts) checks that these keys are exactly the `run` options' keys, so a new
 * flag needs its key here. Dependency-free: a config file imports it through `import 'callreplay'`.
 */

export interface CallreplayConfig {
  /** flow files, folders or names of shipped flows (default: every shipped flow); a flow named on the command line replaces them; relative paths are from the config file's folder */
  flows?: string | string[];
  /** the bot's calling webhook, e.g. http://127.0.0.1:3978/api/calls (http on loopback only) */
  botUrl?: string;
  /** the command that starts the bot (it gets PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID); it runs in the working folder */
  botCommand?: string;
  /** the webhook path of a bot started with botCommand (default /api/calls) */
  webhookPath?: string;
  /** ms a started bot may take to answer at its webhook (default 15000) */
  readyTimeout?: number;
  /** where html/, junit.xml and results.json go (default reports); relative to the config file's folder */
  reportDir?: string;
  /** run only the flows of this suite (see callreplay list) */
  suite?: string;
  /** flows run at once against the bot, a whole number >= 1 (default 6) */
  workers?: number;
  /** stop after this many failed tests, a whole number >= 0 (default 0: no limit) */
  maxFailures?: number;
  /** stop after the first failed test (maxFailures: 1) */
  x?: boolean;
  /** run only this part of the tests, "CURRENT/TOTAL", e.g. "2/3" (merge the parts with callreplay merge-reports) */
  shard?: string;
  /** check the call-state rules on every flow (default true; docs/rules.md) */
  rules?: boolean;
  /** rule ids (or prefix/*) not to check */
  disableRule?: string | string[];
  /** ms within which the bot must answer an incoming call (rule timing/answer-deadline; default 15000) */
  answerDeadline?: number;
  /** ms a call may go without keepAlive (rule timing/keepalive; default 45 minutes) */
  keepaliveInterval?: number;
  /** robustness variants run with every flow: 'all' (default), 'none', or a comma-separated list (or an array) of variant kinds */
  variants?: string | string[];
  /** ms: a notification acknowledged slower than this is reported as a warning (default 1000) */
  ackThreshold?: number;
  /** validate every Graph request body against the calling schemas (default true) */
  schemaCheck?: boolean;
  /** check that the bot refuses notifications with broken tokens (default true) */
  authCheck?: boolean;
  /** check that the bot refuses or ignores hostile input (default true) */
  refusalChecks?: boolean;
  /** ways in: gateway, https, proxy, preload, comma-separated or an array (default: all for a started bot, gateway for botUrl) */
  intercept?: string | string[];
  /** Graph gateway port (default: free; 5870 for a hand-started bot) */
  graphPort?: number;
  /** login gateway port (default: free; 5871) */
  loginPort?: number;
  /** HTTPS Graph gateway port (default: free; 5872) */
  httpsGraphPort?: number;
  /** HTTPS login gateway port (default: free; 5873) */
  httpsLoginPort?: number;
  /** HTTPS proxy port (default: free; 5874) */
  proxyPort?: number;
  /** folder of the CA for the HTTPS ways in, kept between runs; relative to the config file's folder */
  caDir?: string;
  /** the bot's app id (BOT_APP_ID) */
  appId?: string;
  /** the tenant of every call (a GUID), or 'per-run' */
  tenant?: string;
  /**
   * --trigger: each flow trigger (by name, `callreplay list --json`) mapped to the bot's own endpoint:
   * `{ 'join-meeting': { method: 'POST', path: '/join', body: { joinUrl: '${joinWebUrl}' } } }`, a
   * string `'POST:/join'` (the trigger's values as the JSON body), or `'reference'` (the reference
   * bot's API, as the flow writes it; `'*': 'reference'` for every trigger). Also a list of
   * `NAME=METHOD:PATH` strings, as the flag takes them. A --trigger flag replaces the mapping of its trigger.
   */
  triggers?: Record<string, TriggerMappingConfig | string> | string[];
}

/** A trigger's endpoint on the bot: PATH and the templates read `${name}` from the trigger's values, then the flow's names. */
export interface TriggerMappingConfig {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** a path on the bot, e.g. /join or /calls/${callId}/invite (values in it are URL-encoded) */
  path: string;
  /** the JSON body template (default: the trigger's values; a GET sends none) */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Types a config file's default export: `export default defineConfig({ ... })`. Returns it unchanged. */
export function defineConfig(config: CallreplayConfig): CallreplayConfig {
  return config;
}
