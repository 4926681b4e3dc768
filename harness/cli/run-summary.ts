/**
 * What `callreplay run` (and `merge-reports`) print after Playwright ends, from results.json: each
 * failure in full, what was not run and why, the warnings by rule, an honest account of a run cut
 * short, and the verdict line; then the exit status. Also hands summary.md to a CI job page.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { isFailed, type FlowResult, type ResultsFile } from '../report/results-file.js';
import { AUTH_CHECK_MODE, REFUSAL_MODE, VARIANT_MODE } from '../report/annotations.js';
import { join } from 'node:path';
import { SESSION_FILE, type SessionFile } from '../runner/session-file.js';
import { EXIT } from './exit-codes.js';

export interface SummaryContext {
  /** --max-failures of the run (0: none), to say why it stopped */
  maxFailures: number;
  /** the report's index.html, as shown to the user */
  html: string;
  /** e.g. "callreplay: the bot exited with code 3 and was restarted (1 time)" */
  extraLines?: string[];
  /** summary.md of the run, appended to $GITHUB_STEP_SUMMARY when that is set */
  summaryFile?: string;
}

/** Prints the summary of `results` and returns the exit status of the run. */
export function printSummary(results: ResultsFile, ctx: SummaryContext, playwrightStatus: number): number {
  const all = results.flows;
  const ran = all.filter((r) => r.notRun === undefined && !r.notReached && r.status !== 'interrupted');
  console.log('');
  for (const f of ran.filter(isFailed)) {
    console.log(`✘ ${what(f)} (${f.status === 'timedOut' ? 'timed out' : 'failed'})`);
    for (const line of f.message ? [f.message] : f.failures.length ? f.failures.map((x) => x.text) : f.errors) console.log(indent(line));
  }
  const s = results.summary;
  if (s.interrupted > 0 || results.status === 'interrupted') {
    const cut = all.filter((r) => r.status === 'interrupted').map(what);
    const finished = ran.length;
    console.log(
      `callreplay: interrupted: ${finished} test(s) finished and are reported${cut.length ? `; ${cut.length} cut short (${cut.join(', ')}), no verdict` : ''}; ${s.notReached} not reached`,
    );
  } else if (s.notReached > 0) {
    const failedTests = ran.filter(isFailed).length;
    const why = ctx.maxFailures > 0 && failedTests >= ctx.maxFailures ? `stopped after ${failedTests} failed test${failedTests === 1 ? '' : 's'} (--max-failures ${ctx.maxFailures})` : 'the run stopped early';
    console.log(`callreplay: ${why}: ${s.notReached} test(s) not run`);
  }
  for (const line of ctx.extraLines ?? []) console.log(line);
  if (s.warnings.total > 0) {
    const rules = Object.entries(s.warnings.byRule).sort((a, b) => b[1] - a[1]);
    console.log(`callreplay: ${s.warnings.total} warning(s), not failing: ${rules.map(([rule, n]) => `${rule} ${n}`).join(', ')} (each listed on its test in the report and in results.json)`);
  }
  // flows not run against this bot (a trigger not mapped): each with the flag to add, and counted apart
  const skippedFlows = all.filter((r) => r.kind === 'flow' && !r.runWide && r.notRun !== undefined);
  if (skippedFlows.length > 0) {
    console.log(`callreplay: ${skippedFlows.length} flow(s) skipped, not run against this bot:`);
    for (const f of skippedFlows) console.log(indent(`${f.flow}: ${f.notRun}`));
  }
  const shard = results.shard ? ` (shard ${results.shard.current} of ${results.shard.total})` : '';
  const flowsCut = unfinished(results, undefined);
  const skippedPart = skippedFlows.length > 0 ? `, ${skippedFlows.length} skipped` : '';
  const flowsRun = s.flows.total - skippedFlows.length;
  const flowPart = flowsCut > 0 ? `${s.flows.passed} of ${flowsRun - flowsCut} flow(s) passed${skippedPart}, ${flowsCut} not reached or cut short` : `${s.flows.passed} of ${flowsRun} flow(s) passed${skippedPart}`;
  console.log(`callreplay: ${flowPart}${shard}; ${checkParts(results).join('; ')}. Report: ${ctx.html}`);
  appendJobSummary(ctx.summaryFile);
  if (s.tests.total === 0) {
    // a shard beyond the number of test groups is empty: nothing failed, nothing to say
    if (results.shard) return EXIT.passed;
    return EXIT.internal;
  }
  if (results.status === 'interrupted' || s.interrupted > 0) return EXIT.interrupted;
  if (flowsRun === 0 && skippedFlows.length > 0 && !results.shard) {
    // run-command stops such a run before it starts; merged shards can still come to it: no verdict on the bot's calls
    console.error(`callreplay: no flow ran: all ${skippedFlows.length} were skipped (exit ${EXIT.usage}); map their triggers (README, "Trigger mapping")`);
    return EXIT.usage;
  }
  // a test that failed with no finding is the harness's error (JUnit <error>): the verdict is incomplete
  const harnessErrors = ran.filter((r) => isFailed(r) && r.failures.length === 0);
  if (harnessErrors.length > 0) {
    console.error(`callreplay: ${harnessErrors.length} test(s) ended in an error of the harness, not a verdict on the bot (exit ${EXIT.internal}); see the messages above`);
    return EXIT.internal;
  }
  return ran.every((r) => r.status === 'passed') && playwrightStatus === 0 ? EXIT.passed : EXIT.botFailed;
}

/** e.g. "variants: 8 of 8 passed", "auth not checked (--no-auth-check)"; never "0 of 0 passed" */
function checkParts(results: ResultsFile): string[] {
  const ran = results.flows.filter((r) => r.notRun === undefined && !r.notReached && r.status !== 'interrupted');
  const part = (mode: string, label: string, noun: string, subject: string, notDone: string): string => {
    const off = `${subject} ${notDone}`;
    const skipped = results.notRun.filter((n) => n.check === mode);
    const whole = skipped.find((n) => n.flow === undefined);
    if (whole) return `${off} (${whole.reason})`;
    const list = ran.filter((r) => r.mode === mode);
    const missed = [...new Set(skipped.map((n) => `${n.flow} (${n.reason})`))].join(', ');
    const cut = unfinished(results, mode);
    const cutText = cut > 0 ? `, ${cut} not reached or cut short` : '';
    if (list.length === 0) return skipped.length > 0 ? `${off}: ${missed}${cutText}` : cut > 0 ? `${label}: ${cut} not reached or cut short` : `${label}: none apply`;
    const passed = list.filter((r) => r.status === 'passed').length;
    const text = `${label}: ${passed} of ${list.length} ${noun}passed${cutText}`;
    return skipped.length > 0 ? `${text}, ${notDone} for ${missed}` : text;
  };
  return [
    part(VARIANT_MODE, 'variants', '', 'variants', 'not run'),
    part(AUTH_CHECK_MODE, 'notification auth', 'check(s) ', 'auth', 'not checked'),
    part(REFUSAL_MODE, 'refusal checks', '', 'refusal checks', 'not run'),
  ];
}

/** Tests of a mode (undefined: the flows themselves) the run never finished: not reached, or interrupted. */
function unfinished(results: ResultsFile, mode: string | undefined): number {
  const ofMode = (r: FlowResult) => (mode === undefined ? r.kind === 'flow' : r.mode === mode);
  return results.flows.filter((r) => ofMode(r) && (r.notReached || r.status === 'interrupted')).length;
}

function what(f: FlowResult): string {
  return f.kind === 'notification-auth' ? `${f.flow} (notification auth)` : f.kind === 'variant' ? `${f.flow}~${f.variant}` : f.kind === 'refusal' ? f.title : f.flow;
}

/** GitHub Actions shows $GITHUB_STEP_SUMMARY on the job's page: summary.md is appended to it when set. */
function appendJobSummary(summaryFile: string | undefined): void {
  const target = process.env.GITHUB_STEP_SUMMARY;
  if (!target || !summaryFile || !existsSync(summaryFile)) return;
  try {
    appendFileSync(target, `${readFileSync(summaryFile, 'utf8')}\n`);
  } catch (err) {
    console.error(`callreplay: could not append the job summary to $GITHUB_STEP_SUMMARY (${target}): ${(err as Error).message}`);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** "callreplay: the bot exited with code 3 and was restarted (2 times)", from a run's session.json (none: undefined). */
export function botRestarts(reportDir: string): string | undefined {
  const path = join(reportDir, SESSION_FILE);
  if (!existsSync(path)) return undefined;
  const { restarts } = JSON.parse(readFileSync(path, 'utf8')) as SessionFile;
  if (restarts.length === 0) return undefined;
  const exits = [...new Set(restarts.map((r) => r.exit))].join('; ');
  return `callreplay: the bot ${exits} and was restarted (${restarts.length} time${restarts.length === 1 ? '' : 's'}); the tests it was running when it died failed as bot-unavailable`;
}
