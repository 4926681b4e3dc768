/**
 * Self-checks for the machine-readable reports: results.json, junit.xml and summary.md, written by
 * the results reporter inside a throw-away Playwright project (a real Playwright run), and the
 * JUnit and job-summary renderers on their own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import type { FullConfig, FullResult, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import type { Finding } from '../harness/engine/findings.js';
import { formatFinding } from '../harness/engine/findings.js';
import ResultsReporter, { RESULTS_FILE_ENV } from '../harness/report/results-reporter.js';
import type { FlowResult, ResultsFile } from '../harness/report/results-reporter.js';
import { flowResult, summarize } from '../harness/report/results-file.js';
import ConsoleReporter from '../harness/report/console-reporter.js';
import { renderJunit } from '../harness/report/junit-xml.js';
import { renderJobSummary } from '../harness/report/job-summary.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const FAILING_FINDING: Finding = {
  kind: 'incorrect',
  step: 9,
  stepName: 'invite',
  message: 'invite: replacesCallId is not the p2p call',
  mismatches: [{ path: 'body.participants[0].replacesCallId', expected: '{p2pCall}', actual: '{meetingCall}' }],
  received: { method: 'POST', url: '/v1.0/communications/calls/{meetingCall}/participants/invite' },
  expected: 'POST /v1.0/communications/calls/{meetingCall}/participants/invite',
};

const BOT_OUTPUT = `${'A'.repeat(1000)}${'B'.repeat(3999)}Z`;

function projectFiles(reporterPath: string): Record<string, string> {
  const config = `
export default {
  testDir: '.',
  testMatch: 'flows.spec.ts',
  retries: 1,
  workers: 1,
  outputDir: 'test-results',
  reporter: [['list'], [${JSON.stringify(reporterPath)}, { outputFile: 'out/results.json', junitFile: 'out/junit.xml', summaryFile: 'out/summary.md' }]],
};
`;
  const spec = `
import { test } from '@playwright/test';
import { writeFileSync } from 'node:fs';

test('flow a passes', {
  annotation: [
    { type: 'flow', description: 'flow-a' },
    { type: 'flow-file', description: 'recordings/flow-a.yaml' },
    { type: 'mode', description: 'in-process' },
  ],
}, async ({}, testInfo) => {
  const findings = testInfo.outputPath('findings.json');
  writeFileSync(findings, '[]');
  await testInfo.attach('findings.json', { path: findings, contentType: 'application/json' });
  const out = testInfo.outputPath('bot-output.txt');
  writeFileSync(out, ${JSON.stringify(BOT_OUTPUT)});
  await testInfo.attach('bot-output.txt', { path: out, contentType: 'text/plain' });
});

test('flow b fails', async ({}, testInfo) => {
  testInfo.annotations.push(
    { type: 'flow', description: 'flow-b' },
    { type: 'flow-file', description: 'recordings/flow-b.yaml' },
    { type: 'mode', description: 'gateway' },
  );
  const findings = ${JSON.stringify([FAILING_FINDING])};
  await testInfo.attach('findings.json', { body: Buffer.from(JSON.stringify(findings)), contentType: 'application/json' });
  await testInfo.attach('transcript.json', { body: JSON.stringify({ flow: 'flow-b', startedAt: '', entries: [], idNames: {} }), contentType: 'application/json' });
  throw new Error('flow-b: 1 finding');
});

test('flow c passes on retry', { annotation: { type: 'flow', description: 'flow-c' } }, async ({}, testInfo) => {
  await testInfo.attach('findings.json', { body: '[]', contentType: 'application/json' });
  if (testInfo.retry === 0) throw new Error('first attempt fails');
});

test('bot that does not start', async () => {
  throw new Error('\\u001b[31mthe bot did not start\\u001b[39m: exit code \\u001b[1m1\\u001b[22m');
});

test.skip('flow e is skipped', async () => {});
`;
  return {
    'package.json': JSON.stringify({ name: 'callreplay-reporter-check', private: true, type: 'module' }),
    'playwright.config.ts': config,
    'flows.spec.ts': spec,
  };
}

test.describe('results reporter', () => {
  test('writes results.json for a real Playwright run', async () => {
    test.setTimeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'callreplay-results-'));
    try {
      for (const [name, content] of Object.entries(projectFiles(join(REPO, 'harness/report/results-reporter.ts')))) {
        writeFileSync(join(dir, name), content);
      }
      // let the throw-away project resolve @playwright/test from this repository
      symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');

      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (/^(TEST_|PW_|PLAYWRIGHT_)/.test(k) || k === RESULTS_FILE_ENV || k === 'NODE_OPTIONS') continue;
        env[k] = v;
      }
      env.CI = '1';
      const run = spawnSync(process.execPath, [join(REPO, 'node_modules/@playwright/test/cli.js'), 'test', '-c', join(dir, 'playwright.config.ts')], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 110_000,
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.status, output).toBe(1); // some tests failed

      const file = join(dir, 'out/results.json');
      expect(existsSync(file), output).toBe(true);
      const results = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;

      expect(results.tool).toBe('callreplay');
      expect(results.version).toBe(2);
      expect(results.status).toBe('failed');
      expect(Number.isNaN(Date.parse(results.startedAt))).toBe(false);
      expect(results.durationMs).toBeGreaterThan(0);
      // annotated as flows (no mode): four flows; the bare test is a flow too
      expect(results.summary).toEqual({
        tests: { total: 5, passed: 2, failed: 2, skipped: 1 },
        flows: { total: 5, passed: 2, failed: 2, skipped: 1 },
        variants: { total: 0, passed: 0, failed: 0, skipped: 0 },
        checks: { notificationAuth: { total: 0, passed: 0, failed: 0, skipped: 0 }, refusal: { total: 0, passed: 0, failed: 0, skipped: 0 } },
        warnings: { total: 0, byRule: {} },
        notReached: 0,
        interrupted: 0,
      });
      expect(results.flows.map((f) => f.flow)).toEqual(['flow-a', 'flow-b', 'flow-c', 'bot that does not start', 'flow e is skipped']);

      const [a, b, c, d, e] = results.flows;
      expect(a).toMatchObject({ flow: 'flow-a', file: 'recordings/flow-a.yaml', mode: 'in-process', title: 'flow a passes', status: 'passed', retry: 0, failures: [], errors: [] });
      expect(a!.botOutput).toBe(BOT_OUTPUT.slice(-4000));
      expect(a!.botOutput).toHaveLength(4000);
      expect(a!.botOutput!.endsWith('BZ')).toBe(true);
      expect(a!.botOutput).not.toContain('A');

      // failing test: the last retry counts, the findings become failures, the test error is not repeated
      expect(b).toMatchObject({ flow: 'flow-b', file: 'recordings/flow-b.yaml', mode: 'gateway', title: 'flow b fails', status: 'failed', retry: 1, errors: [] });
      expect(b!.failures).toEqual([
        { step: 9, stepName: 'invite', kind: 'incorrect', message: FAILING_FINDING.message, text: formatFinding(FAILING_FINDING) },
      ]);
      expect(b!.failures[0]!.text).toContain('step 9 (invite): invite: replacesCallId is not the p2p call');
      expect(b!.botOutput).toBeUndefined();

      expect(c).toMatchObject({ flow: 'flow-c', status: 'passed', retry: 1, failures: [], errors: [] });
      expect(c!.file).toBeUndefined();

      // no annotations, no findings: the flow is the title and the errors are reported without ANSI codes
      expect(d).toMatchObject({ flow: 'bot that does not start', title: 'bot that does not start', status: 'failed', retry: 1, failures: [] });
      expect(d!.errors).toHaveLength(1);
      expect(d!.errors[0]).toContain('the bot did not start: exit code 1');
      expect(d!.errors[0]).not.toContain('\u001b');

      expect(e).toMatchObject({ flow: 'flow e is skipped', status: 'skipped', failures: [], errors: [] });

      // written atomically: no temp files left
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['junit.xml', 'results.json', 'summary.md']);

      // JUnit: a finding is a <failure> (the bot's), a test error without one an <error> (the harness's)
      const junit = readFileSync(join(dir, 'out', 'junit.xml'), 'utf8');
      expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="callreplay" tests="5" failures="1" errors="1" skipped="1" /);
      expect(junit).toContain(`<failure message="step 9 (invite): invite: replacesCallId is not the p2p call" type="incorrect">`);
      expect(junit).toMatch(/<testcase name="bot that does not start" classname="bot that does not start" time="[\d.]+">\n\s+<error message="Error: the bot did not start: exit code 1" type="failed">/);
      expect(junit).toMatch(/<testcase name="flow e is skipped"[^>]*>\n\s+<skipped message="skipped"\/>/);
      expect(junit).not.toContain('\u001b');
      // the job summary names the failure's first finding
      const md = readFileSync(join(dir, 'out', 'summary.md'), 'utf8');
      expect(md).toContain('| flow-b | ❌ failed at step 9 (invite) | — | — | invite: replacesCallId is not the p2p call |');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('output path: option, then env, then reports/results.json', () => {
    const saved = process.env[RESULTS_FILE_ENV];
    try {
      delete process.env[RESULTS_FILE_ENV];
      expect(new ResultsReporter().outputFile()).toBe(resolve(process.cwd(), 'reports/results.json'));
      process.env[RESULTS_FILE_ENV] = 'ci/out.json';
      expect(new ResultsReporter().outputFile()).toBe(resolve(process.cwd(), 'ci/out.json'));
      expect(new ResultsReporter({ outputFile: 'x/r.json', configDir: '/some/where' }).outputFile()).toBe('/some/where/x/r.json');
      expect(new ResultsReporter().printsToStdio()).toBe(false);
    } finally {
      if (saved === undefined) delete process.env[RESULTS_FILE_ENV];
      else process.env[RESULTS_FILE_ENV] = saved;
    }
  });

  test('the attachments are read once: the results reporter reuses the record the console reporter made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callreplay-records-'));
    try {
      const findings = join(dir, 'findings.json');
      writeFileSync(findings, JSON.stringify([{ ...FAILING_FINDING, severity: 'warning' }]));
      const testCase = { title: 'flow w', annotations: [{ type: 'flow', description: 'flow-w' }], expectedStatus: 'passed', results: [] } as unknown as TestCase;
      const result = { status: 'passed', duration: 5, retry: 0, errors: [], annotations: [], attachments: [{ name: 'findings.json', contentType: 'application/json', path: findings }] } as unknown as TestResult;
      const suite = { allTests: () => [testCase] } as unknown as Suite;
      const config = { workers: 1, metadata: {}, configFile: join(dir, 'playwright.config.ts') } as unknown as FullConfig;

      const lines = new ConsoleReporter();
      const results = new ResultsReporter({ outputFile: join(dir, 'results.json') });
      const write = process.stdout.write;
      const printed: string[] = [];
      process.stdout.write = ((chunk: string) => printed.push(chunk)) as typeof process.stdout.write;
      try {
        for (const r of [lines, results]) r.onBegin(config, suite);
        for (const r of [lines, results]) r.onTestEnd(testCase, result);
      } finally {
        process.stdout.write = write;
      }
      expect(printed.join('')).toContain('flow w');
      expect(printed.join('')).toContain('1 warning');
      // gone from disk: only a record made as the test ended can still hold the warning
      rmSync(findings);
      results.onEnd({ status: 'passed', startTime: new Date(0), duration: 5 } as FullResult);
      const written = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;
      expect(written.flows[0]!.errors).toEqual([]);
      expect(written.flows[0]!.warnings.map((w) => w.message)).toEqual([FAILING_FINDING.message]);
      expect(flowResult(testCase, result)).toBe(flowResult(testCase, result));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a failure's console line is the first line of its record's message: no ANSI codes, secrets shortened", () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${'p'.repeat(40)}.${'s'.repeat(40)}`;
    const testCase = { title: 'flow f', annotations: [], expectedStatus: 'passed', results: [] } as unknown as TestCase;
    const message = `\u001b[31mstep 2 (answer): sent Authorization: Bearer ${token}\u001b[39m\n  line 2\n--- bot output`;
    const result = { status: 'failed', duration: 5, retry: 0, errors: [{ message }], annotations: [], attachments: [] } as unknown as TestResult;
    const reporter = new ConsoleReporter();
    const write = process.stdout.write;
    const printed: string[] = [];
    process.stdout.write = ((chunk: string) => printed.push(chunk)) as typeof process.stdout.write;
    try {
      reporter.onBegin({ workers: 1, metadata: {} } as unknown as FullConfig, { allTests: () => [testCase] } as unknown as Suite);
      reporter.onTestEnd(testCase, result);
    } finally {
      process.stdout.write = write;
    }
    // eslint-disable-next-line no-control-regex
    const line = printed.join('').replace(/\u001b\[\d+m/g, '').split('\n').filter((l) => l.trim()).slice(-1)[0]!;
    expect(line).toBe(`      step 2 (answer): sent Authorization: Bearer eyJhbGciOi…ssssss(${token.length} chars)`);
  });
});

test.describe('JUnit and job summary renderers', () => {
  const base = (over: Partial<FlowResult>): FlowResult => ({ flow: 'f', kind: 'flow', title: 't', status: 'passed', durationMs: 1500, retry: 0, failures: [], warnings: [], errors: [], ...over });
  const file = (flows: FlowResult[]): ResultsFile => ({ tool: 'callreplay', version: 2, startedAt: '2026-12-04T00:00:00.000Z', durationMs: 2000, status: 'failed', summary: summarize(flows), flows, notRun: [] });
  const finding = { step: 2, stepName: 'answer', kind: 'incorrect' as const, rule: 'state/x', message: 'a <b> & "c"', text: 'step 2 (answer): [state/x] a <b> & "c"\n  line 2' };

  test('JUnit escapes what XML cannot hold, and tells failures, errors, skips and interrupts apart', () => {
    const xml = renderJunit(
      file([
        base({ flow: 'a|b', title: 'fails "quoted" <x>', status: 'failed', failures: [finding], botOutput: 'bot \u0007 said ]]> ok' }),
        base({ flow: 'a|b', title: 'breaks', status: 'timedOut', errors: ['Test timeout of 30000ms exceeded.'] }),
        base({ flow: 'c', title: 'not reached', status: 'skipped', notReached: true, errors: ['the test did not run'] }),
        base({ flow: 'c', title: 'cut', status: 'interrupted' }),
        base({ flow: 'refusal: x', title: 'refusal: x', kind: 'refusal', runWide: true, warnings: [{ kind: 'bad-ack', message: 'slow', text: 'warning: slow' }] }),
      ]),
    );
    expect(xml).toContain('<testsuites name="callreplay" tests="5" failures="1" errors="1" skipped="2" time="2.000">');
    expect(xml).toContain('<testsuite name="a|b" timestamp="2026-12-04T00:00:00.000Z" hostname="callreplay" tests="2" failures="1" errors="1" skipped="0" time="3.000">');
    expect(xml).toContain('<testcase name="fails &quot;quoted&quot; &lt;x&gt;" classname="a|b" time="1.500">');
    expect(xml).toContain('<failure message="step 2 (answer): [state/x] a &lt;b&gt; &amp; &quot;c&quot;" type="incorrect state/x">step 2 (answer): [state/x] a &lt;b&gt; &amp; "c"\n  line 2</failure>');
    // the control character is dropped (XML 1.0 cannot hold it), ]]> is escaped
    expect(xml).toContain('<system-err>bot output:\nbot  said ]]&gt; ok</system-err>');
    expect(xml).toContain('<error message="Test timeout of 30000ms exceeded." type="timedOut">');
    expect(xml).toContain('<skipped message="not reached: the run stopped before this test"/>');
    expect(xml).toContain('<skipped message="interrupted"/>');
    // the run-wide checks are one suite; a warning goes to system-out
    expect(xml).toContain('<testsuite name="run checks"');
    expect(xml).toContain('<system-out>warning: slow</system-out>');
  });

  test('the job summary: a row per flow, pipes and new lines kept out of cells, long findings cut', () => {
    const long = { ...finding, message: `x|y\n${'z'.repeat(400)}` };
    const md = renderJobSummary(
      file([
        base({ flow: 'p|q', status: 'failed', failures: [long] }),
        base({ flow: 'p|q', kind: 'variant', variant: 'batched', title: 'v', status: 'skipped', notRun: 'its flow failed' }),
        base({ flow: 'ok', warnings: [{ kind: 'incorrect', rule: 'schema/undeclared', message: 'm', text: 'warning: m' }] }),
        base({ flow: 'ok', kind: 'variant', variant: 'batched', title: 'v2', status: 'failed', failures: [finding] }),
      ]),
    );
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| flow '));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\| p\\\|q \| ❌ failed at step 2 \(answer\) \| not run \| — \| \[state\/x\] x\\\|y z+… \|$/);
    expect(rows[0]!.length).toBeLessThan(420);
    expect(rows[1]).toBe('| ok | ✅ passed (1 warning(s)) | 0 of 1 passed; failed: batched | — | variant batched: [state/x] a <b> & "c" |');
    expect(md).toContain('## callreplay: 1 of 2 flow(s) passed ❌');
    expect(md).toContain('Warnings: 1 (`schema/undeclared` 1).');
  });
});
