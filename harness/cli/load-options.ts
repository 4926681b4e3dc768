/**
 * The options of `callreplay load [flow]`: the yargs option object, their checks and the LoadArgs the
 * handler (load-command.ts) takes. A light module on purpose: the CLI builds its parser from it at
 * every start, so it imports no engine, harness, yaml or ajv (type-only imports are erased).
 */
import type { HarnessPorts } from '../runner/harness.js';
import { DEFAULT_TENANT_ID, PER_RUN_TENANT, type InterceptWay } from '../runner/harness-defaults.js';
import { checkWayOptions, parseIntercept, portsFrom, wayOptions, type WayArgs } from './way-options.js';
import { resolveFlowArgs } from './resolve-flows.js';

/** The flow `load` runs when none is named: the seed P2P-into-meeting transfer (`callreplay list`). */
export const DEFAULT_LOAD_FLOW = 'p2p-to-meeting-transfer';
export const DEFAULT_LOAD_CALLS = 100;
export const DEFAULT_LOAD_CONCURRENCY = 100;
/**
 * `load`'s tenant unless --tenant names one: each call mints its own, so that every request the bot
 * sends names its call (a create-call that joins a configured meeting carries the call's tenant,
 * and so does its token). With one tenant for all calls, such a request names no call and can only
 * be routed by timing, which many identical concurrent calls make a guess (docs/load.md).
 */
export const DEFAULT_LOAD_TENANT = PER_RUN_TENANT;

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
  /** a tenant GUID, or 'per-run' (DEFAULT_LOAD_TENANT): each call its own */
  tenant: string;
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
  rules: { type: 'boolean', default: true, describe: 'check the call-state rules on every call (--no-rules skips them)' },
  'schema-check': { type: 'boolean', default: true, describe: 'validate every Graph request body against the calling schemas (--no-schema-check skips it)' },
  ...wayOptions,
  tenant: {
    type: 'string',
    describe: `${PER_RUN_TENANT} (default): each call mints its own tenant, so every request names its call; or a tenant GUID for every call (e.g. ${DEFAULT_TENANT_ID}, for a bot configured with one tenant)`,
  },
} as const;

/** What yargs hands over for `load [flow]` with LOAD_OPTIONS (loosely typed: checked here). */
export type LoadArgv = { flow?: string } & { [K in keyof typeof LOAD_OPTIONS]?: unknown };

function wholeAtLeastOne(flag: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`--${flag} must be a whole number >= 1, got ${String(v)}`);
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
  if (argv.intercept !== undefined && typeof argv.intercept !== 'string') throw new Error(`--intercept takes a comma-separated list of ways in, got ${String(argv.intercept)}`);
  if (argv.tenant !== undefined && typeof argv.tenant !== 'string') throw new Error(`--tenant must be a tenant id (a GUID) or ${PER_RUN_TENANT}, got ${String(argv.tenant)}`);
  checkWayOptions(argv as WayArgs);
  const flow = argv.flow ?? DEFAULT_LOAD_FLOW;
  if (typeof flow !== 'string' || flow === '') throw new Error(`flow must be one shipped flow's name or a flow file, got ${String(flow)}`);
  let files: string[];
  try {
    files = resolveFlowArgs([flow]);
  } catch (e) {
    throw new Error(`flow: ${(e as Error).message}`);
  }
  if (files.length !== 1) throw new Error(`flow: "${flow}" is a folder of ${files.length} flows; load runs one flow (name one file or shipped flow)`);
  return true;
}

/** The checked LoadArgs of a parsed `load` command line (throws like checkLoadOptions). */
export function toLoadArgs(argv: LoadArgv): LoadArgs {
  checkLoadOptions(argv);
  const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
  return {
    flow: argv.flow ?? DEFAULT_LOAD_FLOW,
    calls: Number(argv.calls ?? DEFAULT_LOAD_CALLS),
    concurrency: Number(argv.concurrency ?? DEFAULT_LOAD_CONCURRENCY),
    botUrl: str(argv['bot-url']),
    botCommand: str(argv['bot-command']),
    webhookPath: str(argv['webhook-path']) ?? '/api/calls',
    readyTimeout: Number(argv['ready-timeout'] ?? 15000),
    reportDir: str(argv['report-dir']) ?? 'reports',
    tenant: str(argv.tenant) ?? DEFAULT_LOAD_TENANT,
    rules: argv.rules !== false,
    schemaCheck: argv['schema-check'] !== false,
    intercept: parseIntercept(str(argv.intercept)),
    ports: portsFrom(argv as WayArgs),
    caDir: str(argv['ca-dir']),
    appId: str(argv['app-id']),
  };
}
