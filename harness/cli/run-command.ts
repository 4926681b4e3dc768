/**
 * `callreplay run`: validates the flows, then runs them as Playwright tests (suites/) against the
 * bot, writes the reports and turns the outcome into an exit status.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { packageRoot, referenceBotMain } from '../paths.js';
import { loadFlowFile } from '../flow/load-flow.js';
import { DEFAULT_BOT_APP_ID, DEFAULT_CA_DIR, DEFAULT_TENANT_ID, INTERCEPT_WAYS, type HarnessPorts, type InterceptWay } from '../runner/harness.js';
import { AUTH_CHECK_MODE, REFUSAL_MODE, RUN_CONFIG_ENV, VARIANT_MODE, type CheckConfig, type RunConfig } from '../runner/run-config.js';
import { NEVER_RAN, type ResultsFile } from '../report/results-reporter.js';
import { SESSION_FILE, type SessionFile } from '../runner/session-file.js';
import { planTests, writeTestPlan } from '../runner/test-plan.js';
import { resolveFlowArgs, UsageError } from './resolve-flows.js';
import { botUrlProblem } from '../bot/bot-url.js';
import { EXIT } from './exit-codes.js';
import { DEFAULT_WORKERS } from './run-options.js';
import { claimReportDir } from './report-dir.js';
import { styleHtmlReport } from '../report/html-report-style.js';

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
  };
  if (handStarted) {
    console.log(`callreplay: bot at ${args.botUrl}; ways in: ${config.intercept.join(', ')}. Start the bot with the environment \`callreplay env\` prints (same flags).`);
  }
  try {
    for (const out of ['html', 'junit.xml', 'results.json', 'test-output', 'session.json']) rmSync(join(reportDir, out), { recursive: true, force: true });
    writeTestPlan(config.planFile, planTests(chosen, config.checks));
    const status = await runPlaywright(config);
    styleHtmlReport(join(config.reportDir, 'html'));
    return summarize(config, status);
  } finally {
    rmSync(dirname(config.planFile), { recursive: true, force: true });
    releaseReportDir();
  }
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
  const require = createRequire(import.meta.url);
  const cli = require.resolve('@playwright/test/cli');
  const pwConfig = join(packageRoot, 'dist', 'harness', 'runner', 'playwright.config.js');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'test', '--config', pwConfig], {
      cwd: packageRoot,
      env: { ...process.env, [RUN_CONFIG_ENV]: JSON.stringify(config), PLAYWRIGHT_HTML_OPEN: 'never', FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
      stdio: 'inherit',
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolvePromise(code ?? (signal ? 130 : 1));
    });
  });
}


function summarize(config: RunConfig, playwrightStatus: number): number {
  const resultsPath = join(config.reportDir, 'results.json');
  const html = relative(process.cwd(), join(config.reportDir, 'html', 'index.html'));
  if (!existsSync(resultsPath)) {
    console.error(`callreplay: the run ended (status ${playwrightStatus}) without writing ${resultsPath}`);
    return EXIT.internal;
  }
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultsFile;
  // tests the run never reached (stopped by --max-failures, or interrupted) are counted, not listed
  const unreached = results.flows.filter((r) => r.notRun === undefined && r.status === 'skipped' && r.errors.includes(NEVER_RAN));
  const ran = results.flows.filter((r) => r.notRun === undefined && !unreached.includes(r));
  const of = (mode?: string) => ran.filter((r) => (mode === undefined ? r.mode !== AUTH_CHECK_MODE && r.mode !== VARIANT_MODE && r.mode !== REFUSAL_MODE : r.mode === mode));
  const flows = of();
  const passed = (list: typeof flows) => list.filter((r) => r.status === 'passed').length;
  console.log('');
  for (const f of ran.filter((r) => r.status !== 'passed')) {
    const what = f.mode === AUTH_CHECK_MODE ? `${f.flow} (notification auth)` : f.mode === VARIANT_MODE ? `${f.flow}~${f.variant}` : f.mode === REFUSAL_MODE ? f.title : f.flow;
    console.log(`✘ ${what} (${f.status})`);
    for (const line of [...(f.failures ?? []).map((x) => x.text), ...(f.failures?.length ? [] : (f.errors ?? []))]) console.log(indent(line));
  }
  const notRun = (mode: string) => (results.notRun ?? []).filter((n) => n.check === mode);
  // e.g. "variants: 8 of 8 passed", "auth not checked (--no-auth-check)",
  // "notification auth: 14 of 15 check(s) passed, not checked for ping (the flow sends no notification)";
  // never "0 of 0 passed"
  const part = (mode: string, label: string, noun: string, subject: string, notDone: string): string => {
    const off = `${subject} ${notDone}`;
    const skipped = notRun(mode);
    const whole = skipped.find((n) => n.flow === undefined);
    if (whole) return `${off} (${whole.reason})`;
    const list = of(mode);
    const missed = [...new Set(skipped.map((n) => `${n.flow} (${n.reason})`))].join(', ');
    if (list.length === 0) return skipped.length > 0 ? `${off}: ${missed}` : `${label}: none apply`;
    const text = `${label}: ${passed(list)} of ${list.length} ${noun}passed`;
    return skipped.length > 0 ? `${text}, ${notDone} for ${missed}` : text;
  };
  const parts = [
    part(VARIANT_MODE, 'variants', '', 'variants', 'not run'),
    part(AUTH_CHECK_MODE, 'notification auth', 'check(s) ', 'auth', 'not checked'),
    part(REFUSAL_MODE, 'refusal checks', '', 'refusal checks', 'not run'),
  ];
  if (unreached.length > 0) {
    const failedTests = ran.filter((r) => r.status === 'failed' || r.status === 'timedOut').length;
    const why = config.maxFailures > 0 && failedTests >= config.maxFailures ? `stopped after ${failedTests} failed test${failedTests === 1 ? '' : 's'} (--max-failures ${config.maxFailures})` : 'the run was interrupted';
    console.log(`callreplay: ${why}: ${unreached.length} test(s) not run`);
  }
  const restarts = botRestarts(config.reportDir);
  if (restarts) console.log(restarts);
  console.log(`callreplay: ${passed(flows)} of ${flows.length} flow(s) passed; ${parts.join('; ')}. Report: ${html}`);
  if (flows.length === 0) return EXIT.internal;
  if (results.status === 'interrupted') return EXIT.interrupted;
  return passed(ran) === ran.length && playwrightStatus === 0 ? EXIT.passed : EXIT.botFailed;
}

/** "callreplay: the bot exited with code 3 and was restarted (2 times)", from the session's file. */
function botRestarts(reportDir: string): string | undefined {
  const path = join(reportDir, SESSION_FILE);
  if (!existsSync(path)) return undefined;
  const { restarts } = JSON.parse(readFileSync(path, 'utf8')) as SessionFile;
  if (restarts.length === 0) return undefined;
  const exits = [...new Set(restarts.map((r) => r.exit))].join('; ');
  return `callreplay: the bot ${exits} and was restarted (${restarts.length} time${restarts.length === 1 ? '' : 's'}); the tests it was running when it died failed as bot-unavailable`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
