/**
 * The options of `callreplay run`, their checks, and the RunArgs they become. Light: the parser
 * loads it for `run` only; the rule and variant checks load their modules when the run starts.
 */
import type { Argv } from 'yargs';
import type { RunArgs } from './run-command.js';
import { OPT_IN_VARIANT_KINDS, VARIANT_KINDS } from '../variants/table.js';
import { checkReadyTimeout, checkWayOptions, parseIntercept, portsFrom, wayOptions, type WayArgs } from './way-options.js';
import { UsageError } from './resolve-flows.js';
import { parseTriggerFlag, type TriggerMapping } from '../flow/trigger-mapping.js';

/**
 * Flows run at once by default (run-command.ts re-exports it). Measured on 2 cores, the default run
 * against the reference bot (38 flows, 501 tests): 4 workers 62 s, 6: 49 s, 8: 45 s.
 */
export const DEFAULT_WORKERS = 6;

export function runOptions<T>(y: Argv<T>) {
  const built = y
    .positional('flows', { type: 'string', array: true, default: [] as string[], describe: 'flow files, folders, or names of shipped flows' })
    .option('config', { type: 'string', requiresArg: true, describe: 'a config file of run options (default: the first of callreplay.config.ts, .mts, .js, .mjs, .json, .yaml, .yml in the working folder; flags override it; docs/config.md)' })
    .option('bot-url', { type: 'string', describe: "the bot's calling webhook, e.g. http://127.0.0.1:3978/api/calls" })
    .option('bot-command', { type: 'string', describe: 'command that starts the bot; it gets PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID' })
    .options(wayOptions)
    .check(checkWayOptions)
    .option('trigger', { type: 'string', array: true, nargs: 1, default: [] as string[], describe: "map a flow's trigger (by name: callreplay list --json) to the bot's own endpoint: NAME=METHOD:PATH, e.g. join-meeting=POST:/join (the trigger's values go as the JSON body; a body template goes in the config file's triggers); NAME=reference or *=reference for the reference bot's API; repeatable. For a bot other than the reference bot, a flow with a trigger not mapped is skipped" })
    .check(checkTriggerFlags)
    .option('webhook-path', { type: 'string', default: '/api/calls', describe: 'webhook path on a bot started with --bot-command' })
    .option('ready-timeout', { type: 'number', default: 15000, describe: 'ms to wait for a started bot to answer' })
    .option('report-dir', { type: 'string', default: 'reports', describe: 'where reports go (html/, junit.xml, results.json)' })
    .option('suite', { type: 'string', describe: 'run only the flows of this suite (see callreplay list)' })
    .option('workers', { type: 'number', default: DEFAULT_WORKERS, requiresArg: true, describe: 'flows run at once against the bot (a whole number >= 1)' })
    .option('max-failures', { type: 'number', requiresArg: true, describe: 'stop after this many failed tests (a whole number >= 0; 0: no limit, the default)' })
    .option('x', { type: 'boolean', describe: 'stop after the first failed test (--max-failures 1)' })
    .option('shard', { type: 'string', requiresArg: true, describe: 'run only this part of the tests, e.g. 2/3 (deterministic; merge the parts with callreplay merge-reports)' })
    .conflicts('x', 'max-failures')
    .option('rules', { type: 'boolean', default: true, describe: 'check the call-state rules on every flow (docs/rules.md; --no-rules skips them)' })
    .option('disable-rule', { type: 'string', array: true, default: [] as string[], describe: 'a rule id (or prefix/*) not to check; repeatable' })
    .option('answer-deadline', { type: 'number', describe: 'ms within which the bot must answer an incoming call (rule timing/answer-deadline; default 15000)' })
    .option('keepalive-interval', { type: 'number', describe: 'ms a call may go without keepAlive (rule timing/keepalive; default 45 minutes)' })
    .option('variants', { type: 'string', default: 'all', describe: `robustness variants to run with every flow: all (every variant with evidence, i.e. all but the opt-in ${OPT_IN_VARIANT_KINDS.join(', ')}), none, or a comma-separated list of ${VARIANT_KINDS.join(', ')}` })
    .option('ack-threshold', { type: 'number', default: 1000, describe: 'ms: a notification acknowledged slower than this is reported (warning)' })
    .option('schema-check', { type: 'boolean', default: true, describe: 'validate every Graph request body against the calling schemas (--no-schema-check skips it)' })
    .option('auth-check', { type: 'boolean', default: true, describe: 'check that the bot refuses notifications with broken tokens (--no-auth-check skips it)' })
    .option('refusal-checks', { type: 'boolean', default: true, describe: 'check that the bot refuses or ignores hostile input: malformed JSON, no value, a wrong content type, an unknown call, a body over 1 MB (--no-refusal-checks skips them)' })
    .check(checkReadyTimeout)
    .check(checkRunCounts);
  lastOptionTable = optionTableOf(built);
  return built;
}

/** The `run` options as yargs holds them (kebab-case names and their types): the keys a config file may set. */
export interface OptionTable {
  keys: readonly string[];
  boolean: ReadonlySet<string>;
  number: ReadonlySet<string>;
  string: ReadonlySet<string>;
  array: ReadonlySet<string>;
}

/** Options yargs adds itself, and --config, which a config file cannot set. */
const NOT_CONFIG_KEYS = new Set(['help', 'version', 'config']);

/**
 * The config file's key of each option: its name in camelCase, but `triggers` for the repeatable
 * --trigger (in the file, an object of trigger name -> mapping: docs/config.md).
 */
export function configKey(option: string): string {
  return option === 'trigger' ? 'triggers' : option.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Every --trigger is NAME=METHOD:PATH or NAME=reference (yargs prints the error, exit 2). */
export function checkTriggerFlags(a: { trigger?: unknown[] }): true {
  for (const t of a.trigger ?? []) if (typeof t === 'string') parseTriggerFlag(t);
  return true;
}

/** The mappings of a parsed command line: the config file's (objects, already checked) first, then the flags' (strings), a later one winning by name. */
export function triggerMappings(values: readonly unknown[] | undefined): TriggerMapping[] {
  return (values ?? []).map((v) => (typeof v === 'string' ? parseTriggerFlag(v) : (v as TriggerMapping)));
}

/** What yargs' getOptions() returns (yargs has it; @types/yargs does not declare it), the parts read here. */
interface YargsOptionLists {
  key: Record<string, unknown>;
  boolean?: string[];
  number?: string[];
  string?: string[];
  array?: string[];
}

/** The option table of a yargs instance `runOptions` built (what yargs holds, so a flag added later is a key at once). */
export function optionTableOf(y: Argv<unknown>): OptionTable {
  const o = (y as unknown as { getOptions(): YargsOptionLists }).getOptions();
  const keep = (list: readonly string[] | undefined) => new Set((list ?? []).filter((k) => !NOT_CONFIG_KEYS.has(k)));
  return {
    keys: Object.keys(o.key).filter((k) => !NOT_CONFIG_KEYS.has(k)),
    boolean: keep(o.boolean),
    number: keep(o.number),
    string: keep(o.string),
    array: keep(o.array),
  };
}

let lastOptionTable: OptionTable | undefined;

/** The option table of the `run` command being parsed (its builder, runOptions, ran first). */
export function runOptionTable(): OptionTable {
  if (!lastOptionTable) throw new Error('runOptionTable() before runOptions() built the run command');
  return lastOptionTable;
}

export type RunArgv = Awaited<ReturnType<typeof runOptions>['argv']>;

/** "2/3" -> { current: 2, total: 3 }; throws naming the flag and the form it takes. */
function parseShard(value: string): { current: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const current = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || total < 1 || current < 1 || current > total) {
    throw new Error(`--shard must be CURRENT/TOTAL with 1 <= CURRENT <= TOTAL, e.g. 2/3, got ${JSON.stringify(value)}`);
  }
  return { current, total };
}

export function checkRunCounts(a: { workers?: number; 'max-failures'?: number; shard?: string }): true {
  const got = (v: unknown) => (typeof v !== 'number' ? JSON.stringify(v) : Number.isNaN(v) ? 'no number' : String(v));
  const w = a.workers;
  if (w !== undefined && !(Number.isInteger(w) && w >= 1)) throw new Error(`--workers must be a whole number >= 1 (flows run at once), got ${got(w)}`);
  if (a.shard !== undefined) parseShard(a.shard);
  const m = a['max-failures'];
  if (m !== undefined && !(Number.isInteger(m) && m >= 0)) throw new Error(`--max-failures must be a whole number >= 0 (0: no limit), got ${got(m)}`);
  return true;
}

/** The RunArgs of a parsed `run` command line; throws UsageError for bad rule or variant options. */
export async function toRunArgs(a: RunArgv): Promise<RunArgs> {
  return {
    flows: a.flows,
    botUrl: a['bot-url'],
    botCommand: a['bot-command'],
    webhookPath: a['webhook-path'],
    readyTimeout: a['ready-timeout'],
    reportDir: a['report-dir'],
    intercept: parseIntercept(a.intercept),
    ports: portsFrom(a as WayArgs),
    caDir: a['ca-dir'],
    authCheck: a['auth-check'],
    refusalChecks: a['refusal-checks'],
    suite: a.suite,
    checks: await checksFrom(a),
    appId: a['app-id'],
    tenant: a.tenant,
    workers: a.workers,
    maxFailures: a.x ? 1 : (a['max-failures'] ?? 0),
    triggers: triggerMappings(a.trigger),
    ...(a.shard !== undefined ? { shard: parseShard(a.shard) } : {}),
  };
}

async function checksFrom(a: RunArgv): Promise<RunArgs['checks']> {
  const [{ callStateRules }, { parseVariantKinds }] = await Promise.all([import('../rules/index.js'), import('../variants/index.js')]);
  for (const flag of ['answer-deadline', 'keepalive-interval'] as const) {
    const v = a[flag];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UsageError(`--${flag} must be a positive number of milliseconds, got ${v}`);
  }
  const rules = { disabled: a['disable-rule'], answerDeadlineMs: a['answer-deadline'], keepAliveIntervalMs: a['keepalive-interval'] };
  try {
    callStateRules(rules); // refuses unknown rule ids, naming them
  } catch (e) {
    throw new UsageError(`--disable-rule: ${(e as Error).message}`);
  }
  if (!Number.isFinite(a['ack-threshold']) || a['ack-threshold'] < 0) throw new UsageError(`--ack-threshold must be a number of milliseconds >= 0, got ${a['ack-threshold']}`);
  let variants;
  try {
    variants = parseVariantKinds(a.variants);
  } catch (e) {
    throw new UsageError(`--variants: ${(e as Error).message}`);
  }
  return { rules: a.rules ? rules : undefined, schema: a['schema-check'], variants, ackThresholdMs: a['ack-threshold'] };
}
