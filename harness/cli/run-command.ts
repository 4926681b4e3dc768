/**
 * `callreplay run`: validates the flows, then runs them as Playwright tests (suites/) against the
 * bot, writes the reports and turns the outcome into an exit status.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { packageRoot, referenceBotMain } from '../paths.js';
import { loadFlowFile } from '../flow/load-flow.js';
import { DEFAULT_BOT_APP_ID, DEFAULT_CA_DIR, DEFAULT_TENANT_ID, INTERCEPT_WAYS, type HarnessPorts, type InterceptWay } from '../runner/harness.js';
import { RUN_CONFIG_ENV, type CheckConfig, type RunConfig } from '../runner/run-config.js';
import type { ResultsFile } from '../report/results-file.js';
import { reportDirFiles } from '../report/reporters.js';
import { botRestarts, printSummary } from './run-summary.js';
import { planTests, writeTestPlan } from '../runner/test-plan.js';
import { resolveFlowArgs, UsageError } from './resolve-flows.js';
import { botUrlProblem } from '../bot/bot-url.js';
import { EXIT } from './exit-codes.js';
import { runPlaywrightCli } from './playwright-child.js';
import { DEFAULT_WORKERS } from './run-options.js';
import { claimReportDir } from './report-dir.js';
import { styleHtmlReport } from '../report/html-report-style.js';
import type { CompiledFlow } from '../engine/plan.js';
import { checkMappings, mappingsByName, mapsOtherTriggers, skipReason, triggerNames, TriggerMappingError, unmappedTriggers, type TriggerMapping } from '../flow/trigger-mapping.js';

export interface RunArgs {
  flows: string[];
  botUrl?: string;
  botCommand?: string;
  webhookPath: string;
  readyTimeout: number;
  reportDir: string;
  intercept?: InterceptWay[];
  ports: HarnessPorts;
  caDir?: string;
  authCheck: boolean;
  /** the refusal checks (hostile input), once per run */
  refusalChecks: boolean;
  /** run only the flows of this suite */
  suite?: string;
  /** the checks on every flow */
  checks: CheckConfig;
  appId?: string;
  /** the tenant of every call (default DEFAULT_TENANT_ID) */
  tenant?: string;
  /** flows run at once against the bot (Playwright workers; default DEFAULT_WORKERS) */
  workers?: number;
  /** stop after this many failed tests (0: never); -x is 1 */
  maxFailures?: number;
  /** run only this part of the tests (--shard 2/3) */
  shard?: { current: number; total: number };
  /** flow triggers mapped to the bot's own endpoints (--trigger, config `triggers`), a later one winning by name */
  triggers?: TriggerMapping[];
}

export { DEFAULT_WORKERS };

/** Ports for a bot started by hand (it must know them in advance; `callreplay env` prints them). */
export const HAND_STARTED_PORTS: Required<HarnessPorts> = { graph: 5870, login: 5871, httpsGraph: 5872, httpsLogin: 5873, proxy: 5874 };
const ANY_PORTS: Required<HarnessPorts> = { graph: 0, login: 0, httpsGraph: 0, httpsLogin: 0, proxy: 0 };

/** Fixed ports for a hand-started bot, free ones otherwise; explicit flags win. */
export function resolvePorts(handStarted: boolean, given: HarnessPorts): Required<HarnessPorts> {
  const base = handStarted ? HAND_STARTED_PORTS : ANY_PORTS;
  return {
    graph: given.graph ?? base.graph,
    login: given.login ?? base.login,
    httpsGraph: given.httpsGraph ?? base.httpsGraph,
    httpsLogin: given.httpsLogin ?? base.httpsLogin,
    proxy: given.proxy ?? base.proxy,
  };
}

export { EXIT };

export async function runCommand(args: RunArgs): Promise<number> {
  const names = new Map<string, string>();
  const loaded = [];
  for (const file of resolveFlowArgs(args.flows)) {
    const flow = await loadFlowFile(file); // throws FlowFileError -> exit 2
    const clash = names.get(flow.name);
    if (clash) throw new UsageError(`two flows are named "${flow.name}": ${clash} and ${file}`);
    names.set(flow.name, file);
    loaded.push(flow);
  }
  const chosen = args.suite === undefined ? loaded : loaded.filter((f) => f.suite === args.suite);
  if (chosen.length === 0) {
    throw new UsageError(`no flow is in suite "${args.suite}"; suites: ${[...new Set(loaded.map((f) => f.suite))].sort().join(', ')}`);
  }
  if (args.botUrl) checkBotUrl(args.botUrl);
  const triggers = [...mappingsByName(args.triggers ?? []).values()];
  await checkTriggers(chosen, loaded, triggers);
  // a bot other than the reference bot has its own API: a flow with a trigger it has no mapping for is skipped
  const skipped = args.botCommand || args.botUrl ? skippedFlows(chosen, triggers) : new Map<string, string>();
  if (skipped.size === chosen.length) throw new UsageError(nothingToRun(skipped));

  const handStarted = Boolean(args.botUrl && !args.botCommand);
  const bot = args.botCommand || args.botUrl ? { command: args.botCommand, url: args.botUrl, label: args.botCommand ?? args.botUrl! } : referenceBot();
  const reportDir = resolve(args.reportDir);
  const releaseReportDir = claimReportDir(reportDir); // before anything starts: a bad folder fails at once
  const config: RunConfig = {
    bot: { ...bot, webhookPath: args.webhookPath, readyTimeoutMs: args.readyTimeout },
    // a bot the harness starts gets every way in, so that any bot works with no flag at all
    intercept: args.intercept ?? (handStarted ? ['gateway'] : [...INTERCEPT_WAYS]),
    ports: resolvePorts(handStarted, args.ports),
    caDir: resolve(args.caDir ?? DEFAULT_CA_DIR),
    authCheck: args.authCheck,
    refusalChecks: args.refusalChecks,
    checks: args.checks,
    appId: args.appId ?? DEFAULT_BOT_APP_ID,
    tenant: args.tenant ?? DEFAULT_TENANT_ID,
    reportDir,
    workers: args.workers ?? DEFAULT_WORKERS,
    maxFailures: args.maxFailures ?? 0,
    planFile: join(mkdtempSync(join(tmpdir(), 'callreplay-plan-')), 'plan.json'),
    ...(triggers.length > 0 ? { triggers } : {}),
    ...(args.shard ? { shard: args.shard } : {}),
  };
  if (handStarted) {
    console.log(`callreplay: bot at ${args.botUrl}; ways in: ${config.intercept.join(', ')}. Start the bot with the environment \`callreplay env\` prints (same flags).`);
  }
  try {
    for (const out of ['html', 'junit.xml', 'results.json', 'summary.md', 'blob', 'test-output', 'session.json']) rmSync(join(reportDir, out), { recursive: true, force: true });
    writeTestPlan(config.planFile, planTests(chosen, config.checks, skipped));
    const status = await runPlaywright(config);
    styleHtmlReport(join(config.reportDir, 'html'));
    return summarize(config, status);
  } finally {
    rmSync(dirname(config.planFile), { recursive: true, force: true });
    releaseReportDir();
  }
}

/**
 * Checks the mappings against the selected flows; a name no selected flow has may be a trigger of
 * another flow given (another suite) or of a shipped flow, so that one config file serves runs of a
 * few flows; a name no flow has is an error. UsageError naming the flag or key.
 */
async function checkTriggers(flows: readonly CompiledFlow[], loaded: readonly CompiledFlow[], triggers: readonly TriggerMapping[]): Promise<void> {
  try {
    const others = mapsOtherTriggers(loaded, triggers) ? await Promise.all(resolveFlowArgs([]).map((f) => loadFlowFile(f))) : [];
    checkMappings(flows, triggers, triggerNames([...loaded, ...others]));
  } catch (e) {
    throw e instanceof TriggerMappingError ? new UsageError(e.message) : e;
  }
}

/** The flows that cannot run against this bot (a trigger not mapped), each with why and the flag to add. */
function skippedFlows(flows: readonly CompiledFlow[], triggers: readonly TriggerMapping[]): Map<string, string> {
  const skipped = new Map<string, string>();
  for (const flow of flows) {
    const unmapped = unmappedTriggers(flow, triggers);
    if (unmapped.length > 0) skipped.set(flow.name, skipReason(unmapped));
  }
  return skipped;
}

/** A run in which every flow would be skipped tests nothing: it stops before anything starts (exit 2), saying what to map. */
function nothingToRun(skipped: ReadonlyMap<string, string>): string {
  const lines = [...skipped].map(([flow, why]) => `  ${flow}: ${why}`);
  return `no flow can run against this bot: every selected flow starts from a trigger with no mapping to the bot's own API\n${lines.join('\n')}\nMap each trigger to your bot's endpoint (README, "Trigger mapping"), NAME=reference for a bot with the reference bot's API, or choose flows without triggers`;
}

function referenceBot(): { command: string; label: string } {
  if (!existsSync(referenceBotMain)) {
    throw new UsageError(`the bundled reference bot is not built (${referenceBotMain} is missing): run npm install or npm run build first`);
  }
  return { command: `"${process.execPath}" "${referenceBotMain}"`, label: 'reference bot (examples/reference-bot)' };
}

function checkBotUrl(url: string): void {
  const problem = botUrlProblem(url);
  if (problem) throw new UsageError(`--bot-url ${problem}`);
}

function runPlaywright(config: RunConfig): Promise<number> {
  const pwConfig = join(packageRoot, 'dist', 'harness', 'runner', 'playwright.config.js');
  return runPlaywrightCli(['test', '--config', pwConfig], { [RUN_CONFIG_ENV]: JSON.stringify(config) });
}

function summarize(config: RunConfig, playwrightStatus: number): number {
  const files = reportDirFiles(config.reportDir);
  if (!existsSync(files.results)) {
    console.error(`callreplay: the run ended (status ${playwrightStatus}) without writing ${files.results}`);
    return EXIT.internal;
  }
  const results = JSON.parse(readFileSync(files.results, 'utf8')) as ResultsFile;
  const restarts = botRestarts(config.reportDir);
  return printSummary(results, { maxFailures: config.maxFailures, html: relative(process.cwd(), join(files.html, 'index.html')), extraLines: restarts ? [restarts] : [], summaryFile: files.summary }, playwrightStatus);
}
