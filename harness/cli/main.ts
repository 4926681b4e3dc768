/**
 * The `callreplay` command line. Start-up loads yargs and this file only: each command's options
 * (its builder) and its handler are imported when that command is chosen, so `--help` and `list`
 * stay cheap (scripts/bench-cold-start.ts measures them).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT } from './exit-codes.js';

const COMMANDS = 'run, init, merge-reports, env, record, import, load, list or validate';

async function main(argv: string[]): Promise<number> {
  let status: number = EXIT.passed;
  await yargs(argv)
    .scriptName('callreplay')
    .usage('$0 <command> [options]\n\nConformance tests for Microsoft Teams calling bots: callreplay plays Microsoft Graph, sends call notifications to your bot and checks every request it sends back.')
    .command(
      'run [flows..]',
      'Run flows against a bot (default: every shipped flow against the bundled reference bot)',
      async (y) => (await import('./run-options.js')).runOptions(y),
      async (a) => {
        // the config file (if any) under the flags; the raw arguments tell a flag given from a default
        status = await (await import('./config-file.js')).runWithConfigFile(a, argv);
      },
    )
    .command(
      'init',
      'Write a commented starter config file, callreplay.config.<format>, in the working folder (docs/config.md)',
      (y) =>
        y
          .option('format', { choices: ['ts', 'js', 'json', 'yaml'] as const, default: 'ts' as const, describe: 'the config file format' })
          .option('force', { type: 'boolean', default: false, describe: 'replace an existing callreplay.config.<format>' }),
      async (a) => {
        status = (await import('./init-command.js')).initCommand({ format: a.format, force: a.force });
      },
    )
    .command(
      'env',
      'Print the environment for a bot you start yourself (then run with --bot-url and the same flags)',
      async (y) => {
        const { checkPort, checkWayOptions, wayOptions } = await import('./way-options.js');
        return y
          .options(wayOptions)
          .check(checkWayOptions)
          .option('port', { type: 'number', default: 3978, describe: 'the port the bot will listen on (PORT)' })
          .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of shell exports' })
          .check((a) => checkPort('port', a.port));
      },
      async (a) => {
        const [{ envCommand }, { parseIntercept, portsFrom }] = await Promise.all([import('./env-command.js'), import('./way-options.js')]);
        status = await envCommand({ intercept: parseIntercept(a.intercept), ports: portsFrom(a), caDir: a['ca-dir'], appId: a['app-id'], tenant: a.tenant, port: a.port, json: a.json });
      },
    )
    .command(
      'record',
      'Relay a live call between your bot and Graph, record it, and write it as a flow file',
      async (y) => (await import('./record-options.js')).recordOptions(y),
      async (a) => {
        const [{ recordCommand }, { parseIntercept, portsFrom }] = await Promise.all([import('./record-command.js'), import('./way-options.js')]);
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
          keep: a.keep,
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
        const { importCommand } = await import('./import-command.js');
        status = await importCommand({ input: a.input, out: a.out, name: a.name, keep: a.keep, force: a.force });
      },
    )
    .command(
      'load [flow]',
      'Run many calls of one flow at once against a bot and measure throughput, latency and memory',
      async (y) => {
        const { checkLoadOptions, DEFAULT_LOAD_FLOW, LOAD_OPTIONS } = await import('./load-options.js');
        return y
          .positional('flow', { type: 'string', describe: `a shipped flow's name or a flow file (default ${DEFAULT_LOAD_FLOW})` })
          .options(LOAD_OPTIONS)
          .check(checkLoadOptions);
      },
      async (a) => {
        const [{ loadCommand }, { toLoadArgs }] = await Promise.all([import('./load-command.js'), import('./load-options.js')]);
        status = await loadCommand(toLoadArgs(a));
      },
    )
    .command(
      'merge-reports <dirs..>',
      'Merge the report folders of a sharded run (run --shard I/N) into one report: html/, results.json, junit.xml, summary.md',
      (y) =>
        y
          .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'report folders of callreplay run --shard' })
          .option('report-dir', { type: 'string', default: 'reports', describe: 'where the merged report goes' }),
      async (a) => {
        const { mergeCommand } = await import('./merge-command.js');
        status = await mergeCommand({ dirs: a.dirs, reportDir: a['report-dir'] });
      },
    )
    .command(
      'list [flows..]',
      'List flows with their descriptions (default: the shipped flows)',
      (y) =>
        y
          .positional('flows', { type: 'string', array: true, default: [] as string[] })
          .option('json', { type: 'boolean', default: false, describe: 'print a JSON array: name, suite, api, description, file and triggers (each trigger name and the values it passes) of each flow' }),
      async (a) => {
        status = await (await import('./flow-commands.js')).listCommand(a.flows, a.json);
      },
    )
    .command(
      'validate <files..>',
      'Check flow files against the flow schema and templates',
      (y) => y.positional('files', { type: 'string', array: true, demandOption: true }),
      async (a) => {
        status = await (await import('./flow-commands.js')).validateCommand(a.files);
      },
    )
    .demandCommand(1, `name a command: ${COMMANDS}`)
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

/** Exit 2 for bad usage or a bad flow file (the message names it), 3 for anything else. */
async function report(err: unknown): Promise<number> {
  // a parse error (e.g. a flag without its value) of a command whose options load lazily comes here, not to .fail()
  if (err instanceof Error && err.name === 'YError') {
    console.error(`callreplay: ${err.message}\n(see callreplay --help)`);
    return EXIT.usage;
  }
  const [{ FlowFileError }, { UsageError }] = await Promise.all([import('../flow/flow-file-error.js'), import('./resolve-flows.js')]);
  if (err instanceof FlowFileError || err instanceof UsageError) {
    console.error(`callreplay: ${err.message}`);
    return EXIT.usage;
  }
  console.error('callreplay: internal error:', err);
  return EXIT.internal;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    process.exitCode = await report(err);
  },
);
