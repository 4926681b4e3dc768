/**
 * Goal 2 of issue 9: a bot that fails every flow on one wrong field takes at most 1.5x the passing
 * run. The failing bot is the reference bot with one setting of its environment overridden: another
 * BOT_APP_ID, so it refuses every notification's token (wrong audience, 401) and every flow fails at
 * its first notification. The reference bot itself is not touched.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot, referenceBotMain } from '../harness/paths.js';
import { DEFAULT_BOT_APP_ID } from '../harness/runner/harness.js';
import { baseFlows, runCallreplay, timeBreakdown, type CallreplayRun } from './bench-suite.js';
import { errorRow, mean, median, ratioRow, runChild, seconds, type BenchResult } from './bench-util.js';

export const FAILING_GOAL = 1.5;
/** Not the harness's app id (DEFAULT_BOT_APP_ID): the notification tokens' audience is never this. */
export const WRONG_APP_ID: string = '0badbad0-0000-4000-8000-00000000b07a';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The `--bot-command` of the failing bot: the reference bot with BOT_APP_ID overridden. */
export function failingBotCommand(): string {
  return `BOT_APP_ID=${WRONG_APP_ID} exec ${quote(process.execPath)} ${quote(referenceBotMain)}`;
}

/** `callreplay run` against the failing bot (`extra`: the flow selection, as for the passing run). */
export function runFailingBot(extra: string[], timeoutMs: number): Promise<CallreplayRun> {
  if (WRONG_APP_ID === DEFAULT_BOT_APP_ID) throw new Error('WRONG_APP_ID must differ from the harness app id');
  // the reference bot started as any bot: its triggers are the flows' own (reference), not skipped
  return runCallreplay(['--bot-command', failingBotCommand(), '--trigger', '*=reference', ...extra], timeoutMs);
}

/** "401 x17, ..." for the first failure of every failed flow: how they failed. */
function failureKinds(run: CallreplayRun): string {
  const counts = new Map<string, number>();
  for (const f of baseFlows(run.results)) {
    const first = f.failures[0];
    const what = first
      ? `${first.kind} at step ${first.step ?? '?'}${/HTTP 401/.test(first.message) ? ' (401 to a notification)' : ''}`
      : (f.errors[0]?.split('\n')[0] ?? f.status);
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} x${n}`).join(', ');
}

/**
 * What a fresh Playwright worker pays to load the suite module (dist/harness/runner/flow-suite.js),
 * Playwright's own worker start not included: median ms of 3 fresh processes. Playwright replaces
 * the worker after every failed test, so a failing run pays it once per failed test.
 */
export async function workerImportMs(): Promise<number> {
  const suite = join(packageRoot, 'dist', 'harness', 'runner', 'flow-suite.js');
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(suite).href)}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await runChild(process.execPath, ['--input-type=module', '-e', code], { timeoutMs: 60_000, cwd: packageRoot });
    if (run.code !== 0) throw new Error(`importing flow-suite.js failed (exit ${run.code}): ${run.stderr.split('\n')[0]}`);
    times.push(Number(run.stdout.trim()));
  }
  return median(times);
}

/** Goal 2 from the failing run and the passing run(s) of the same bench. */
export function failingResult(failing: CallreplayRun, passing: CallreplayRun[], workers: number, suiteImportMs?: number): BenchResult {
  const goal = '2 failing vs passing bot';
  const flows = baseFlows(failing.results);
  const failed = flows.filter((f) => f.status === 'failed' || f.status === 'timedOut');
  const firstNotification = failed.filter((f) => f.failures[0] && /the bot answered the notification .* with HTTP 401/.test(f.failures[0].message));
  const verified = `exit ${failing.code}, ${failed.length} of ${flows.length} flows failed, ${firstNotification.length} of them on a 401 to their first notification`;
  const raw = [
    `2 failing bot: --bot-command "${failingBotCommand().replace(packageRoot + '/', '')}"`,
    `    verified: ${verified}; first failures: ${failureKinds(failing)}`,
    ...timeBreakdown(failing, workers).map((l) => `    ${l}`),
  ];
  const skipped = failing.results.flows.filter((f) => f.notRun !== undefined).length;
  raw.push(`    the failing run ran ${failing.results.flows.length - skipped} tests (${skipped} checks not run after their flow failed) where the passing one ran ${passing[0]!.results.flows.filter((f) => f.notRun === undefined).length}`);
  const failedTests = failing.results.flows.filter((f) => f.status === 'failed' || f.status === 'timedOut').length;
  raw.push(
    `    Playwright starts a new worker after each failed test: ${failedTests} failed tests, ${failedTests} worker start-ups more than a passing run` +
      (suiteImportMs === undefined ? '' : `; a fresh worker's import of flow-suite.js alone took ${suiteImportMs.toFixed(0)} ms (median of 3, Playwright's own worker start not included)`),
  );
  if (failing.code !== 1 || flows.length === 0 || failed.length !== flows.length) {
    return { rows: [errorRow(goal, `the override did not fail every flow (${verified})`)], raw };
  }
  const pass = mean(passing.map((p) => p.ms));
  return {
    rows: [ratioRow(goal, `failing ${seconds(failing.ms)} vs passing ${seconds(pass)} (${verified.replace(/, \d+ of them.*/, '')})`, failing.ms / pass, FAILING_GOAL)],
    raw,
  };
}
