/**
 * The console of `callreplay run`: one line per test as it ends (status, title, time, warnings;
 * the first line of the finding under a failure), nothing else. Unlike Playwright's list reporter
 * it prints no harness file paths and no attachment listings: the CLI's summary after the run
 * gives each failure in full, and the HTML report has the rest. Each line comes from the test's
 * results.json record (flowResult), made once: the results reporter reuses it at the end.
 */
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestError, TestResult } from '@playwright/test/reporter';
import { flowResult, isFailed, stripAnsi, type FlowResult } from './results-file.js';

const color = (code: number) => (s: string) => (process.env.FORCE_COLOR === '1' ? `\u001b[${code}m${s}\u001b[0m` : s);
const green = color(32);
const red = color(31);
const yellow = color(33);
const dim = color(2);

export default class ConsoleReporter implements Reporter {
  private total = 0;
  private done = 0;

  printsToStdio(): boolean {
    return true;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.total = suite.allTests().length;
    // Playwright starts no more workers than there are groups of tests to run at once (metadata.actualWorkers)
    const actual = (config.metadata as { actualWorkers?: number }).actualWorkers;
    const workers = actual ?? Math.min(config.workers, Math.max(1, this.total));
    const shard = config.shard ? `, shard ${config.shard.current} of ${config.shard.total}` : '';
    // "Running N tests using W workers" is read by npm run bench (scripts/bench-suite.ts)
    process.stdout.write(`\nRunning ${this.total} test${this.total === 1 ? '' : 's'} using ${workers} worker${workers === 1 ? '' : 's'}${shard}\n\n`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.done += 1;
    process.stdout.write(`${this.line(flowResult(test, result))}\n`);
  }

  private line(result: FlowResult): string {
    // a variant's title carries its whole description: the console keeps its start (the report has it all)
    const r = result.title.length > TITLE_MAX ? { ...result, title: `${result.title.slice(0, TITLE_MAX - 1)}…` } : result;
    const n = dim(`[${this.done}/${this.total}]`);
    const time = r.durationMs > 0 ? dim(` (${seconds(r.durationMs)})`) : '';
    const warned = r.warnings.length > 0 ? yellow(` ⚠ ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}`) : '';
    if (r.status === 'passed') return `  ${green('✓')} ${n} ${r.title}${time}${warned}`;
    if (isFailed(r)) {
      // the test's own error heads a failure (its record's message): a flow's first finding, or a check's verdict ("the bot accepted 8 of 8 ...")
      const why = r.message?.split('\n')[0] || (r.failures[0] ? r.failures[0].text.split('\n')[0]! : (r.errors[0] ?? r.status).split('\n')[0]!);
      return `  ${red('✘')} ${n} ${r.title}${time}${warned}\n      ${red(why)}`;
    }
    if (r.status === 'interrupted') return `  ${yellow('!')} ${n} ${r.title}: interrupted`;
    // a not-run placeholder's title already says "not run (why)"
    const why = r.notRun !== undefined && !r.title.endsWith(`(${r.notRun})`) ? `: not run (${r.notRun})` : r.notReached ? ': not reached' : '';
    return `  ${dim('-')} ${n} ${dim(`${r.title}${why}`)}`;
  }

  onError(error: TestError): void {
    process.stderr.write(`callreplay: ${stripAnsi(error.message ?? error.value ?? 'an error outside any test')}\n`);
  }

  onStdOut(chunk: string | Buffer): void {
    process.stdout.write(chunk);
  }

  onStdErr(chunk: string | Buffer): void {
    process.stderr.write(chunk);
  }

  onEnd(_result: FullResult): void {
    process.stdout.write('\n');
  }
}

const TITLE_MAX = 140;

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
