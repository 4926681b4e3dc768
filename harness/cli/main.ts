/** The `callreplay` command line. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { FlowFileError, loadFlowFile } from '../flow/load-flow.js';
import { resolveFlowArgs, UsageError } from './resolve-flows.js';
import { EXIT, runCommand } from './run-command.js';
import { envCommand } from './env-command.js';
import { recordCommand } from './record-command.js';
import { importCommand } from './import-command.js';
import type { CheckConfig } from '../runner/run-config.js';
import { callStateRules, type RuleOptions } from '../rules/index.js';
import { OPT_IN_VARIANT_KINDS, parseVariantKinds, VARIANT_KINDS, type VariantKind } from '../variants/index.js';
import { DEFAULT_TENANT_ID, INTERCEPT_WAYS, PER_RUN_TENANT, type HarnessPorts, type InterceptWay } from '../runner/harness.js';
import { isGuidLike } from '../engine/ids.js';
import { DEFAULT_UPSTREAMS } from '../record/forwarder.js';

async function listCommand(flows: string[]): Promise<number> {
  const loaded = await Promise.all(resolveFlowArgs(flows).map((file) => loadFlowFile(file)));
  const suites = [...new Set(loaded.map((f) => f.suite))].sort();
  for (const suite of suites) {
    console.log(`${suite}:`);
    for (const flow of loaded.filter((f) => f.suite === suite)) console.log(`  ${flow.name.padEnd(32)} ${flow.description}`);
  }
  return EXIT.passed;
}

async function validateCommand(files: string[]): Promise<number> {
  let bad = 0;
  for (const file of resolveFlowArgs(files)) {
    try {
      const flow = await loadFlowFile(file);
      console.log(`ok  ${file} (${flow.name}, ${flow.steps.length} steps)`);
    } catch (e) {
      if (!(e instanceof FlowFileError)) throw e;
      bad++;
      console.error(`bad ${e.message}`);
    }
  }
  return bad ? EXIT.usage : EXIT.passed;
}

/** Options shared by `run` and `env`: the ways in, their ports, the CA, the app id. */
const wayOptions = {
  intercept: { type: 'string', describe: `ways in, comma-separated: ${INTERCEPT_WAYS.join(',')} (default: all for a bot callreplay starts, gateway for --bot-url)` },
  'graph-port': { type: 'number', describe: 'Graph gateway port (default: free; 5870 for a hand-started bot)' },
  'login-port': { type: 'number', describe: 'login gateway port (default: free; 5871)' },
  'https-graph-port': { type: 'number', describe: 'HTTPS Graph gateway port (default: free; 5872)' },
  'https-login-port': { type: 'number', describe: 'HTTPS login gateway port (default: free; 5873)' },
  'proxy-port': { type: 'number', describe: 'HTTPS proxy port (default: free; 5874)' },
  'ca-dir': { type: 'string', describe: 'folder of the CA for the HTTPS ways in (kept between runs)' },
  'app-id': { type: 'string', describe: "the bot's app id (BOT_APP_ID): notifications address it and their tokens' audience is it" },
  tenant: { type: 'string', describe: `the tenant of every call (TENANT_ID), a GUID, the same for every flow of the run (default ${DEFAULT_TENANT_ID}); or per-run: each flow its own (bots that take the tenant from each call)` },
} as const;

type WayArgs = { intercept?: string; tenant?: string; 'graph-port'?: number; 'login-port'?: number; 'https-graph-port'?: number; 'https-login-port'?: number; 'proxy-port'?: number };

function checkWayOptions(a: WayArgs): true {
  for (const k of ['graph-port', 'login-port', 'https-graph-port', 'https-login-port', 'proxy-port'] as const) {
    const v = a[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) throw new Error(`--${k} must be a port number (0-65535), got ${String(v)}`);
  }
  parseIntercept(a.intercept);
  if (a.tenant !== undefined && a.tenant !== PER_RUN_TENANT && !isGuidLike(a.tenant)) throw new Error(`--tenant must be a tenant id (a GUID) or ${PER_RUN_TENANT}, got "${a.tenant}"`);
  return true;
}

function parseIntercept(text: string | undefined): InterceptWay[] | undefined {
  if (text === undefined) return undefined;
  const ways = text.split(',').map((w) => w.trim()).filter(Boolean);
  const bad = ways.filter((w) => !(INTERCEPT_WAYS as readonly string[]).includes(w));
  if (bad.length > 0 || ways.length === 0) throw new Error(`--intercept takes a comma-separated list of ${INTERCEPT_WAYS.join(', ')} (got "${text}")`);
  return ways as InterceptWay[];
}

interface CheckArgs {
  rules: boolean;
  'disable-rule': string[];
  'answer-deadline'?: number;
  'keepalive-interval'?: number;
  'schema-check': boolean;
  variants: string;
  'ack-threshold': number;
}

function checksFrom(a: CheckArgs): CheckConfig {
  const rules: RuleOptions = { disabled: a['disable-rule'], answerDeadlineMs: a['answer-deadline'], keepAliveIntervalMs: a['keepalive-interval'] };
  callStateRules(rules); // refuses unknown rule ids and bad durations, naming them
  if (!Number.isFinite(a['ack-threshold']) || a['ack-threshold'] < 0) throw new UsageError(`--ack-threshold must be a number of milliseconds >= 0, got ${a['ack-threshold']}`);
  let variants: VariantKind[];
  try {
    variants = parseVariantKinds(a.variants);
  } catch (e) {
    throw new UsageError(`--variants: ${(e as Error).message}`);
  }
  return { rules: a.rules ? rules : undefined, schema: a['schema-check'], variants, ackThresholdMs: a['ack-threshold'] };
}

function portsFrom(a: WayArgs): HarnessPorts {
  return { graph: a['graph-port'], login: a['login-port'], httpsGraph: a['https-graph-port'], httpsLogin: a['https-login-port'], proxy: a['proxy-port'] };
}

async function main(argv: string[]): Promise<number> {
  let status: number = EXIT.passed;
  await yargs(argv)
    .scriptName('callreplay')
    .usage('$0 <command> [options]\n\nConformance tests for Microsoft Teams calling bots: callreplay plays Microsoft Graph, sends call notifications to your bot and checks every request it sends back.')
    .command(
      'run [flows..]',
      'Run flows against a bot (default: every shipped flow against the bundled reference bot)',
      (y) =>
        y
          .positional('flows', { type: 'string', array: true, default: [], describe: 'flow files, folders, or names of shipped flows' })
          .option('bot-url', { type: 'string', describe: "the bot's calling webhook, e.g. http://127.0.0.1:3978/api/calls" })
          .option('bot-command', { type: 'string', describe: 'command that starts the bot; it gets PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID' })
          .options(wayOptions)
          .check(checkWayOptions)
          .option('webhook-path', { type: 'string', default: '/api/calls', describe: 'webhook path on a bot started with --bot-command' })
          .option('ready-timeout', { type: 'number', default: 15000, describe: 'ms to wait for a started bot to answer' })
          .option('report-dir', { type: 'string', default: 'reports', describe: 'where reports go (html/, junit.xml, results.json)' })
          .option('suite', { type: 'string', describe: 'run only the flows of this suite (see callreplay list)' })
          .option('rules', { type: 'boolean', default: true, describe: 'check the call-state rules on every flow (docs/rules.md; --no-rules skips them)' })
          .option('disable-rule', { type: 'string', array: true, default: [], describe: 'a rule id (or prefix/*) not to check; repeatable' })
          .option('answer-deadline', { type: 'number', describe: 'ms within which the bot must answer an incoming call (rule timing/answer-deadline; default 15000)' })
          .option('keepalive-interval', { type: 'number', describe: 'ms a call may go without keepAlive (rule timing/keepalive; default 45 minutes)' })
          .option('variants', { type: 'string', default: 'all', describe: `robustness variants to run with every flow: all (every variant with evidence, i.e. all but the opt-in ${OPT_IN_VARIANT_KINDS.join(', ')}), none, or a comma-separated list of ${VARIANT_KINDS.join(', ')}` })
          .option('ack-threshold', { type: 'number', default: 1000, describe: 'ms: a notification acknowledged slower than this is reported (warning)' })
          .option('schema-check', { type: 'boolean', default: true, describe: 'validate every Graph request body against the calling schemas (--no-schema-check skips it)' })
          .option('auth-check', { type: 'boolean', default: true, describe: 'check that the bot refuses notifications with broken tokens (--no-auth-check skips it)' })
          .option('refusal-checks', { type: 'boolean', default: true, describe: 'check that the bot refuses or ignores hostile input: malformed JSON, no value, a wrong content type, an unknown call, a body over 1 MB (--no-refusal-checks skips them)' })
          .check((a) => {
            if (a['ready-timeout'] <= 0 || !Number.isFinite(a['ready-timeout'])) throw new Error('--ready-timeout must be a positive number of milliseconds');
            return true;
          }),
      async (a) => {
        status = await runCommand({
          flows: a.flows as string[],
          botUrl: a['bot-url'],
          botCommand: a['bot-command'],
          webhookPath: a['webhook-path'],
          readyTimeout: a['ready-timeout'],
          reportDir: a['report-dir'],
          intercept: parseIntercept(a.intercept),
          ports: portsFrom(a),
          caDir: a['ca-dir'],
          authCheck: a['auth-check'],
          refusalChecks: a['refusal-checks'],
          suite: a.suite,
          checks: checksFrom(a),
          appId: a['app-id'],
          tenant: a.tenant,
        });
      },
    )
    .command(
      'env',
      'Print the environment for a bot you start yourself (then run with --bot-url and the same flags)',
      (y) =>
        y
          .options(wayOptions)
          .check(checkWayOptions)
          .option('port', { type: 'number', default: 3978, describe: 'the port the bot will listen on (PORT)' })
          .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of shell exports' }),
      async (a) => {
        status = await envCommand({ intercept: parseIntercept(a.intercept), ports: portsFrom(a), caDir: a['ca-dir'], appId: a['app-id'], tenant: a.tenant, port: a.port, json: a.json });
      },
    )
    .command(
      'record',
      'Relay a live call between your bot and Graph, record it, and write it as a flow file',
      (y) =>
        y
          .option('out', { type: 'string', demandOption: true, describe: 'the flow file to write, e.g. recordings/my-call.yaml' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite --out if it exists' })
          .option('bot-url', { type: 'string', describe: "the bot's calling webhook on loopback (its origin gets the notifications), e.g. http://127.0.0.1:3978/api/calls" })
          .option('bot-command', { type: 'string', describe: "command that starts the bot; it gets the environment of `callreplay env` pointing at the recorder's ways in" })
          .option('webhook-path', { type: 'string', default: '/api/calls', describe: 'webhook path of a bot started with --bot-command and no --bot-url' })
          .option('ready-timeout', { type: 'number', default: 15000, describe: 'ms to wait for a started bot to answer' })
          .option('listen', { type: 'number', describe: "port on 127.0.0.1 for Graph's notifications: the bot's registered callback URL (your tunnel) points here (default: a free port, printed)" })
          .option('upstream', { type: 'string', describe: `Graph to relay the bot's requests to (default ${DEFAULT_UPSTREAMS.graph})` })
          .option('upstream-login', { type: 'string', describe: `login endpoint to relay token requests to (default ${DEFAULT_UPSTREAMS.login})` })
          .option('upstream-auth', { type: 'string', describe: `host of the notification signing keys (default ${DEFAULT_UPSTREAMS.auth})` })
          .option('until-idle', { type: 'number', describe: 'end after this many seconds without traffic (counted from the first exchange); default: on Ctrl-C only' })
          .option('keep', { type: 'string', array: true, default: [], describe: 'a field the scrubber keeps as recorded; repeatable' })
          .options(wayOptions)
          .check(checkWayOptions)
          .check((a) => {
            if (a['ready-timeout'] <= 0 || !Number.isFinite(a['ready-timeout'])) throw new Error('--ready-timeout must be a positive number of milliseconds');
            if (a.listen !== undefined && (!Number.isInteger(a.listen) || a.listen < 0 || a.listen > 65535)) throw new Error(`--listen must be a port number (0-65535), got ${String(a.listen)}`);
            if (a['until-idle'] !== undefined && !(Number.isFinite(a['until-idle']) && a['until-idle'] > 0)) throw new Error(`--until-idle must be a positive number of seconds, got ${String(a['until-idle'])}`);
            return true;
          }),
      async (a) => {
        status = await recordCommand({
          out: a.out,
          force: a.force,
          botUrl: a['bot-url'],
          botCommand: a['bot-command'],
          webhookPath: a['webhook-path'],
          readyTimeout: a['ready-timeout'],
          listen: a.listen,
          upstream: a.upstream,
          upstreamLogin: a['upstream-login'],
          upstreamAuth: a['upstream-auth'],
          untilIdle: a['until-idle'],
          keep: a.keep as string[],
          intercept: parseIntercept(a.intercept),
          ports: portsFrom(a),
          caDir: a['ca-dir'],
          appId: a['app-id'],
        });
      },
    )
    .command(
      'import <input>',
      'Turn a HAR file or a folder of captured notifications into a draft flow (scrubbed and templated like record)',
      (y) =>
        y
          .positional('input', { type: 'string', demandOption: true, describe: 'a .har file, a folder of commsNotifications JSON files, or one such file' })
          .option('out', { type: 'string', demandOption: true, describe: 'the flow file to write, e.g. recordings/my-flow.yaml' })
          .option('name', { type: 'string', describe: 'the flow name (default: from --out)' })
          .option('keep', { type: 'string', array: true, describe: 'fields not to pseudonymise: tenantId, phone, displayName, threadId, ...' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite --out' }),
      async (a) => {
        status = await importCommand({ input: a.input, out: a.out, name: a.name, keep: a.keep, force: a.force });
      },
    )
    .command(
      'list [flows..]',
      'List flows with their descriptions (default: the shipped flows)',
      (y) => y.positional('flows', { type: 'string', array: true, default: [] }),
      async (a) => {
        status = await listCommand(a.flows as string[]);
      },
    )
    .command(
      'validate <files..>',
      'Check flow files against the flow schema and templates',
      (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        status = await validateCommand(a.files as string[]);
      },
    )
    .demandCommand(1, 'name a command: run, env, record, import, list or validate')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .fail((msg, err) => {
      // errors from command handlers come without a message: main() reports them
      if (err && !msg) throw err;
      console.error(`callreplay: ${msg}\n(see callreplay --help)`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
  return status;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof FlowFileError || err instanceof UsageError) {
      console.error(`callreplay: ${err.message}`);
      process.exitCode = EXIT.usage;
    } else {
      console.error('callreplay: internal error:', err);
      process.exitCode = EXIT.internal;
    }
  },
);
