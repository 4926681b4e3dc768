/**
 * The options of `callreplay load [flow]`: the yargs option object, their checks and the LoadArgs the
 * handler (load-command.ts) takes. A light module on purpose: the CLI builds its parser from it at
 * every start, so it imports no engine, harness, yaml or ajv (type-only imports are erased).
 */
import type { HarnessPorts, InterceptWay } from '../runner/harness.js';
import { resolveFlowArgs } from './resolve-flows.js';

/** The flow `load` runs when none is named: the seed P2P-into-meeting transfer (`callreplay list`). */
export const DEFAULT_LOAD_FLOW = 'p2p-to-meeting-transfer';
export const DEFAULT_LOAD_CALLS = 100;
export const DEFAULT_LOAD_CONCURRENCY = 100;

/** The ways in (a copy of harness.ts's INTERCEPT_WAYS, which this light module must not load). */
const WAYS = ['gateway', 'https', 'proxy', 'preload'] as const satisfies readonly InterceptWay[];
const GUID = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;
const PORT_FLAGS = ['graph-port', 'login-port', 'https-graph-port', 'https-login-port', 'proxy-port'] as const;

export interface LoadArgs {
  /** a shipped flow's name or a flow file (default DEFAULT_LOAD_FLOW) */
  flow: string;
  /** calls to run, each with fresh ids (>= 1) */
  calls: number;
  /** calls in flight at once (>= 1; more than `calls` means all at once) */
  concurrency: number;
  botUrl?: string;
  botCommand?: string;
  webhookPath: string;
  readyTimeout: number;
  reportDir: string;
  /** a tenant GUID or 'per-run' (default: the harness's stable tenant) */
  tenant?: string;
  /** check the call-state rules on every call */
  rules: boolean;
  /** validate every Graph request body against the calling schemas */
  schemaCheck: boolean;
  intercept?: InterceptWay[];
  ports: HarnessPorts;
  caDir?: string;
  appId?: string;
}

/** The yargs options of `load` (the positional `flow` is declared by the command: `load [flow]`). */
export const LOAD_OPTIONS = {
  calls: { type: 'number', default: DEFAULT_LOAD_CALLS, describe: 'how many calls to run, each with fresh ids' },
  concurrency: { type: 'number', default: DEFAULT_LOAD_CONCURRENCY, describe: 'how many calls are in flight at once' },
  'bot-url': { type: 'string', describe: "the bot's calling webhook, e.g. http://127.0.0.1:3978/api/calls" },
  'bot-command': { type: 'string', describe: 'command that starts the bot (once, for all calls); it gets PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID' },
  'webhook-path': { type: 'string', default: '/api/calls', describe: 'webhook path on a bot started with --bot-command' },
  'ready-timeout': { type: 'number', default: 15000, describe: 'ms to wait for a started bot to answer' },
  'report-dir': { type: 'string', default: 'reports', describe: 'where load.json goes' },
  tenant: { type: 'string', describe: 'the tenant of every call (a GUID; default the harness\'s stable tenant), or per-run: each call its own' },
  rules: { type: 'boolean', default: true, describe: 'check the call-state rules on every call (--no-rules skips them)' },
  'schema-check': { type: 'boolean', default: true, describe: 'validate every Graph request body against the calling schemas (--no-schema-check skips it)' },
  intercept: { type: 'string', describe: `ways in, comma-separated: ${WAYS.join(',')} (default: all for a bot callreplay starts, gateway for --bot-url)` },
  'graph-port': { type: 'number', describe: 'Graph gateway port (default: free; 5870 for a hand-started bot)' },
  'login-port': { type: 'number', describe: 'login gateway port (default: free; 5871)' },
  'https-graph-port': { type: 'number', describe: 'HTTPS Graph gateway port (default: free; 5872)' },
  'https-login-port': { type: 'number', describe: 'HTTPS login gateway port (default: free; 5873)' },
  'proxy-port': { type: 'number', describe: 'HTTPS proxy port (default: free; 5874)' },
  'ca-dir': { type: 'string', describe: 'folder of the CA for the HTTPS ways in (kept between runs)' },
  'app-id': { type: 'string', describe: "the bot's app id (BOT_APP_ID)" },
} as const;

/** What yargs hands over for `load [flow]` with LOAD_OPTIONS (loosely typed: checked here). */
export type LoadArgv = { flow?: string } & { [K in keyof typeof LOAD_OPTIONS]?: unknown };

function wholeAtLeastOne(flag: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`--${flag} must be a whole number >= 1, got ${String(v)}`);
}

function parseIntercept(text: unknown): InterceptWay[] | undefined {
  if (text === undefined) return undefined;
  const ways = String(text).split(',').map((w) => w.trim()).filter(Boolean);
  const bad = ways.filter((w) => !(WAYS as readonly string[]).includes(w));
  if (bad.length > 0 || ways.length === 0) throw new Error(`--intercept takes a comma-separated list of ${WAYS.join(', ')} (got "${String(text)}")`);
  return ways as InterceptWay[];
}

/**
 * Checks `load`'s arguments; throws an Error whose message names the flag (or the flow argument)
 * and what it takes. Returns true for yargs' `.check()`.
 */
export function checkLoadOptions(argv: LoadArgv): true {
  wholeAtLeastOne('calls', argv.calls ?? DEFAULT_LOAD_CALLS);
  wholeAtLeastOne('concurrency', argv.concurrency ?? DEFAULT_LOAD_CONCURRENCY);
  const ready = argv['ready-timeout'] ?? 15000;
  if (typeof ready !== 'number' || !Number.isFinite(ready) || ready <= 0) throw new Error(`--ready-timeout must be a positive number of milliseconds, got ${String(ready)}`);
  for (const k of PORT_FLAGS) {
    const v = argv[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)) throw new Error(`--${k} must be a port number (0-65535), got ${String(v)}`);
  }
  parseIntercept(argv.intercept);
  const tenant = argv.tenant;
  if (tenant !== undefined && (typeof tenant !== 'string' || (tenant !== 'per-run' && !GUID.test(tenant)))) {
    throw new Error(`--tenant must be a tenant id (a GUID) or per-run, got "${String(tenant)}"`);
  }
  const flow = argv.flow ?? DEFAULT_LOAD_FLOW;
  if (typeof flow !== 'string' || flow === '') throw new Error(`flow must be one shipped flow's name or a flow file, got ${String(flow)}`);
  try {
    const files = resolveFlowArgs([flow]);
    if (files.length !== 1) throw new Error(`"${flow}" is a folder of ${files.length} flows; load runs one flow`);
  } catch (e) {
    throw new Error(`flow: ${(e as Error).message}`);
  }
  return true;
}

/** The checked LoadArgs of a parsed `load` command line (throws like checkLoadOptions). */
export function toLoadArgs(argv: LoadArgv): LoadArgs {
  checkLoadOptions(argv);
  const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
  const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));
  return {
    flow: argv.flow ?? DEFAULT_LOAD_FLOW,
    calls: Number(argv.calls ?? DEFAULT_LOAD_CALLS),
    concurrency: Number(argv.concurrency ?? DEFAULT_LOAD_CONCURRENCY),
    botUrl: str(argv['bot-url']),
    botCommand: str(argv['bot-command']),
    webhookPath: str(argv['webhook-path']) ?? '/api/calls',
    readyTimeout: Number(argv['ready-timeout'] ?? 15000),
    reportDir: str(argv['report-dir']) ?? 'reports',
    tenant: str(argv.tenant),
    rules: argv.rules !== false,
    schemaCheck: argv['schema-check'] !== false,
    intercept: parseIntercept(argv.intercept),
    ports: {
      graph: num(argv['graph-port']),
      login: num(argv['login-port']),
      httpsGraph: num(argv['https-graph-port']),
      httpsLogin: num(argv['https-login-port']),
      proxy: num(argv['proxy-port']),
    },
    caDir: str(argv['ca-dir']),
    appId: str(argv['app-id']),
  };
}
