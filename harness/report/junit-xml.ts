/**
 * junit.xml from results.json: one <testsuite> per flow (the flow, its variants, its notification
 * auth) and one for the checks of the whole run. A bot that failed a check is a <failure> (the
 * finding: kind, rule, text); a test that failed without a finding is an <error> (the harness broke
 * or gave up: CI tools read it as a crash, not as a verdict on the bot); not run, not reached and
 * interrupted tests are <skipped> with the reason.
 */
import { isFailed, type FlowResult, type ResultsFile } from './results-file.js';

const RUN_CHECKS = 'run checks';

export function renderJunit(results: ResultsFile): string {
  const groups = new Map<string, FlowResult[]>();
  for (const r of results.flows) {
    const key = r.runWide ? RUN_CHECKS : r.flow;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const suites = [...groups].map(([name, tests]) => suite(name, tests, results.startedAt));
  const totals = tally(results.flows);
  const attrs = `name="callreplay" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${seconds(results.durationMs)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${attrs}>\n${suites.join('')}</testsuites>\n`;
}

type Outcome = 'passed' | 'failure' | 'error' | 'skipped';

function outcome(r: FlowResult): Outcome {
  if (r.status === 'passed') return 'passed';
  if (isFailed(r)) return r.failures.length > 0 ? 'failure' : 'error';
  return 'skipped';
}

function tally(list: readonly FlowResult[]): { tests: number; failures: number; errors: number; skipped: number } {
  const of = (o: Outcome) => list.filter((r) => outcome(r) === o).length;
  return { tests: list.length, failures: of('failure'), errors: of('error'), skipped: of('skipped') };
}

function suite(name: string, tests: FlowResult[], timestamp: string): string {
  const t = tally(tests);
  const time = tests.reduce((sum, r) => sum + r.durationMs, 0);
  const file = tests.find((r) => r.file)?.file;
  const props = [
    ['suite', tests.find((r) => r.suite)?.suite],
    ['flow-file', file],
  ].filter((p): p is [string, string] => p[1] !== undefined);
  const properties = props.length ? `    <properties>\n${props.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>\n`).join('')}    </properties>\n` : '';
  const head = `  <testsuite name="${attr(name)}" timestamp="${attr(timestamp)}" hostname="callreplay" tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${seconds(time)}"${file ? ` file="${attr(file)}"` : ''}>\n`;
  return `${head}${properties}${tests.map((r) => testcase(name, r)).join('')}  </testsuite>\n`;
}

function testcase(classname: string, r: FlowResult): string {
  const head = `    <testcase name="${attr(r.title)}" classname="${attr(classname)}" time="${seconds(r.durationMs)}"${r.file ? ` file="${attr(r.file)}"` : ''}`;
  const body: string[] = [];
  switch (outcome(r)) {
    case 'failure': {
      const first = r.failures[0]!;
      const type = first.rule ? `${first.kind} ${first.rule}` : first.kind;
      body.push(`      <failure message="${attr(firstLine(first.text))}" type="${attr(type)}">${text(r.failures.map((f) => f.text).join('\n\n'))}</failure>\n`);
      break;
    }
    case 'error':
      body.push(`      <error message="${attr(firstLine(r.errors[0] ?? r.status))}" type="${attr(r.status)}">${text(r.errors.join('\n\n') || r.status)}</error>\n`);
      break;
    case 'skipped': {
      const why = r.notRun !== undefined ? `not run: ${r.notRun}` : r.status === 'interrupted' ? 'interrupted' : r.notReached ? 'not reached: the run stopped before this test' : 'skipped';
      body.push(`      <skipped message="${attr(why)}"/>\n`);
      break;
    }
    case 'passed':
      break;
  }
  if (r.warnings.length > 0) body.push(`      <system-out>${text(r.warnings.map((w) => w.text).join('\n'))}</system-out>\n`);
  if (r.botOutput && outcome(r) !== 'passed' && outcome(r) !== 'skipped') body.push(`      <system-err>${text(`bot output:\n${r.botOutput}`)}</system-err>\n`);
  return body.length ? `${head}>\n${body.join('')}    </testcase>\n` : `${head}/>\n`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 forbids most control characters even when escaped: they are dropped
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
