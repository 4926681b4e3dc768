/**
 * `callreplay load [flow]`: starts the harness and the bot once, runs the flow `--calls` times with
 * fresh ids, `--concurrency` at a time (harness/load/load-runner.ts), writes load.json and prints
 * throughput, acknowledgement latency, failures by kind, misrouted requests and peak memory.
 * Exit status: 0 every call passed, 1 some failed (or the bot did not start), 2 bad input (thrown
 * as UsageError / FlowFileError), 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { loadFlowFile } from '../flow/load-flow.js';
import { referenceBotMain } from '../paths.js';
import { BotStartError } from '../bot/bot-process.js';
import { startBot, type BotUnderTest } from '../runner/bot-under-test.js';
import { DEFAULT_CA_DIR, Harness, INTERCEPT_WAYS } from '../runner/harness.js';
import type { BotSpec } from '../runner/run-config.js';
import { observersFor } from '../runner/run-checks.js';
import { botUrlProblem } from '../bot/bot-url.js';
import { runLoad, type LoadOutcome } from '../load/load-runner.js';
import { formatSummary, toReport, writeReport } from '../load/load-report.js';
import { botPeakRssMb, harnessPeakRssMb } from '../load/peak-rss.js';
import { checkLoadOptions, type LoadArgs } from './load-options.js';
import { claimReportDir } from './report-dir.js';
import { resolveFlowArgs, UsageError } from './resolve-flows.js';
import { EXIT } from './exit-codes.js';
import { resolvePorts } from './run-command.js';

export async function loadCommand(args: LoadArgs): Promise<number> {
  try {
    // the handler may be called without the CLI's parser (a library caller): the same checks
    const p = args.ports;
    checkLoadOptions({
      flow: args.flow,
      calls: args.calls,
      concurrency: args.concurrency,
      'ready-timeout': args.readyTimeout,
      tenant: args.tenant,
      intercept: args.intercept?.join(','),
      'graph-port': p.graph,
      'login-port': p.login,
      'https-graph-port': p.httpsGraph,
      'https-login-port': p.httpsLogin,
      'proxy-port': p.proxy,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [file] = resolveFlowArgs([args.flow]);
  const flow = await loadFlowFile(file!); // a bad flow file throws FlowFileError: exit 2
  if (args.botUrl) {
    const problem = botUrlProblem(args.botUrl);
    if (problem) throw new UsageError(`--bot-url ${problem}`);
  }
  const handStarted = Boolean(args.botUrl && !args.botCommand);
  const spec: BotSpec = { ...botOf(args), webhookPath: args.webhookPath, readyTimeoutMs: args.readyTimeout };

  // before anything starts: a folder that cannot be written fails at once, and one run at a time writes it
  const releaseReportDir = claimReportDir(resolve(args.reportDir));
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
  let harness: Harness | undefined;
  let bot: BotUnderTest | undefined;
  try {
    harness = await Harness.start({
      transport: 'gateway',
      intercept: args.intercept ?? (handStarted ? ['gateway'] : [...INTERCEPT_WAYS]),
      ports: resolvePorts(handStarted, args.ports),
      caDir: resolve(args.caDir ?? DEFAULT_CA_DIR),
      botAppId: args.appId,
      tenant: args.tenant,
      observers: observersFor({ rules: args.rules ? {} : undefined, schema: args.schemaCheck, variants: [], ackThresholdMs: 1000 }),
    });
    if (handStarted) console.log(`callreplay: bot at ${args.botUrl}. Start it with the environment \`callreplay env\` prints (same flags).`);
    try {
      bot = await startBot(spec, harness);
    } catch (e) {
      if (!(e instanceof BotStartError)) throw e;
      console.error(`callreplay: ${e.message}`);
      return EXIT.botFailed;
    }
    if (abort.signal.aborted) return EXIT.interrupted;
    const process_ = bot.process;
    const mark = process_?.mark() ?? 0;
    console.log(`callreplay load: ${flow.name}, ${args.calls} call(s), ${Math.min(args.concurrency, args.calls)} at a time, against ${spec.label}`);
    const outcome: LoadOutcome = await runLoad({
      harness,
      flow,
      webhookUrl: bot.webhookUrl,
      calls: args.calls,
      concurrency: args.concurrency,
      liveness: process_ ? () => process_.liveness(mark) : undefined,
      signal: abort.signal,
    });
    // VmHWM is read while the bot still runs (its /proc entry goes with it)
    const botPeak = process_?.pid !== undefined ? botPeakRssMb(process_.pid) : undefined;
    const report = toReport(flow.name, outcome, harnessPeakRssMb(), botPeak);
    const path = writeReport(resolve(args.reportDir), report);
    console.log(formatSummary(report, outcome, relative(process.cwd(), path) || path));
    if (outcome.aborted) return EXIT.interrupted;
    return report.failed === 0 && report.passed === report.calls ? EXIT.passed : EXIT.botFailed;
  } finally {
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
    await bot?.process?.stop();
    await harness?.close();
    releaseReportDir();
  }
}

/** The bot to load: the command or URL given, else the bundled reference bot. */
function botOf(args: LoadArgs): Omit<BotSpec, 'webhookPath' | 'readyTimeoutMs'> {
  if (args.botCommand || args.botUrl) return { command: args.botCommand, url: args.botUrl, label: args.botCommand ?? args.botUrl! };
  if (!existsSync(referenceBotMain)) {
    throw new UsageError(`the bundled reference bot is not built (${referenceBotMain} is missing): run npm install or npm run build first`);
  }
  return { command: `"${process.execPath}" "${referenceBotMain}"`, label: 'the reference bot (examples/reference-bot)' };
}
