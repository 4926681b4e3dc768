// The command line, end to end: real child processes, real bots, real report files.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';
import { freePort } from '../harness/runner/free-port.js';
import type { ResultsSummary } from '../harness/report/results-file.js';

interface Results {
  status: string;
  summary: ResultsSummary;
  flows: Array<{ flow: string; status: string; mode: string; variant?: string; checks?: string[]; failures: Array<{ step: number; kind: string; message: string; text: string }>; message?: string; errors: string[]; botOutput?: string }>;
  notRun: Array<{ check: string; flow?: string; reason: string }>;
}
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;

function processesMatching(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

test('callreplay run, no arguments: every shipped flow passes against the reference bot and the reports are written', async () => {
  test.setTimeout(360_000); // every shipped flow, each with its variants and the auth check
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['run', '--report-dir', dir], { timeoutMs: 300_000 });
    const summary = /callreplay: (\d+) of \1 flow\(s\) passed; variants: (\d+) of \2 passed; notification auth: (\d+) of \3 check\(s\) passed; refusal checks: 5 of 5 passed/.exec(r.stdout);
    expect(summary, r.stdout.slice(-3000)).not.toBeNull();
    expect(r.status).toBe(0);
    const [flowCount, variantCount, authCount] = summary!.slice(1).map(Number) as [number, number, number];
    // every shipped flow sends a notification somewhere, so every one is auth-checked (trigger-first ones too)
    expect(authCount).toBe(flowCount);
    expect(existsSync(join(dir, 'html', 'index.html'))).toBe(true);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(new RegExp(`<testsuites [^>]*tests="${flowCount + variantCount + authCount + 5}" failures="0" errors="0" skipped="0"`));
    const results = readResults(dir);
    // counted apart: flows, variants, the checks beside them, and every test
    const all = (n: number) => ({ total: n, passed: n, failed: 0, skipped: 0 });
    expect(results.summary).toMatchObject({
      tests: all(flowCount + variantCount + authCount + 5),
      flows: all(flowCount),
      variants: all(variantCount),
      checks: { notificationAuth: all(authCount), refusal: all(5) },
      notReached: 0,
      interrupted: 0,
    });
    // the reference bot's warnings (schema/undeclared) are counted, by rule, in results.json and on the console
    const warnings = results.flows.flatMap((f) => f.warnings);
    expect(warnings.length).toBeGreaterThan(0);
    expect(results.summary.warnings.total).toBe(warnings.length);
    expect(results.summary.warnings.byRule['schema/undeclared']).toBe(warnings.filter((w) => w.rule === 'schema/undeclared').length);
    expect(r.stdout).toContain(`callreplay: ${warnings.length} warning(s), not failing: schema/undeclared ${results.summary.warnings.byRule['schema/undeclared']}`);
    // the job summary: one row per flow, all passed
    const md = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(md).toContain(`## callreplay: ${flowCount} of ${flowCount} flow(s) passed ✅`);
    expect(md.split('\n').filter((l) => l.startsWith('| ') && l.includes('✅ passed'))).toHaveLength(flowCount);
    // no harness paths on the console: lines name tests, not harness/runner/flow-suite.ts
    expect(r.stdout).not.toMatch(/harness\/runner|flow-suite\.ts|dist\/harness/);
    const flowRuns = results.flows.filter((f) => f.mode !== 'notification-auth' && f.mode !== 'variant' && f.mode !== 'refusal');
    expect(results.flows.filter((f) => f.mode === 'refusal').map((f) => f.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    expect(results.notRun).toEqual([]);
    const shipped = readdirSync(join(repoRoot, 'recordings')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(flowRuns.map((f) => f.flow).sort()).toEqual(shipped.sort());
    expect(flowCount).toBe(shipped.length);
    // robustness variants ran as tests of their own, e.g. duplicate delivery of the transfer flow
    expect(results.flows.some((f) => f.mode === 'variant' && f.flow === 'p2p-to-meeting-transfer' && f.variant === 'duplicate-delivery' && f.status === 'passed')).toBe(true);
    // the checks that watched each run are named
    expect(flowRuns[0]!.checks).toEqual(expect.arrayContaining(['state/established-only', 'schema', 'variant/duplicate-action']));
    // every way in was open for the started bot
    expect(flowRuns[0]!.mode).toBe('gateway+https+proxy+preload');
    // the auth check ran for the flows that start with a notification, and for those that start with a trigger
    expect(results.flows.filter((f) => f.mode === 'notification-auth').map((f) => f.flow)).toEqual(expect.arrayContaining(['answer-incoming-call', 'p2p-to-meeting-transfer', 'p2p-to-meeting-transfer-v1', 'create-meeting-and-join', 'join-meeting-by-token']));
    // the reference bot ran as a separate process: its output is in the report
    expect(results.flows.find((f) => f.flow === 'p2p-to-meeting-transfer')!.botOutput).toContain('invited the caller');
  } finally {
    cleanup();
  }
});

test('a defective bot started with --bot-command fails with exit 1, the step and the defect in the summary and results.json', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const command = `"${process.execPath}" --import tsx tests/fixtures/defective-bot-main.ts wrong-replaces-call-id`;
    const r = await callreplay(['run', 'p2p-to-meeting-transfer', 'ivr-play-prompt-and-tones', '--bot-command', command, '--variants', 'none', '--no-refusal-checks', '--report-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('callreplay: 1 of 2 flow(s) passed; variants not run (--variants none); notification auth: 1 of 1 check(s) passed, not checked for p2p-to-meeting-transfer (its flow failed at step 8: invite the caller into the meeting)');
    expect(r.stdout).toMatch(/step 8 \(invite the caller into the meeting\): body\.participants\[0\]\.replacesCallId: expected p2pCall \([0-9a-f-]+\), got meetingCall/);
    const transfer = readResults(dir).flows.find((f) => f.flow === 'p2p-to-meeting-transfer' && f.mode !== 'notification-auth')!;
    expect(transfer.status).toBe('failed');
    expect(transfer.failures[0]).toMatchObject({ step: 8, kind: 'incorrect' });
    expect(transfer.botOutput).toContain('[reference-bot]');
  } finally {
    cleanup();
  }
});

test('a bot started by hand (--bot-url) gets its environment from `callreplay env` and is driven through fixed ports', async () => {
  const [graphPort, loginPort, botPort] = [await freePort(), await freePort(), await freePort()];
  const portFlags = ['--graph-port', String(graphPort), '--login-port', String(loginPort)];
  const env = await callreplay(['env', '--json', '--port', String(botPort), ...portFlags]);
  expect(env.status).toBe(0);
  const botEnv = JSON.parse(env.stdout) as Record<string, string>;
  expect(botEnv).toMatchObject({
    PORT: String(botPort),
    GRAPH_BASE_URL: `http://127.0.0.1:${graphPort}`,
    LOGIN_BASE_URL: `http://127.0.0.1:${loginPort}`,
    CALLS_OPENID_CONFIG_URL: `http://127.0.0.1:${loginPort}/v1/.well-known/OpenIdConfiguration`,
  });
  const bot = spawn(process.execPath, [join(repoRoot, 'dist', 'examples', 'reference-bot', 'main.js')], { env: { ...process.env, ...botEnv }, stdio: 'pipe' });
  const { dir, cleanup } = tempDir();
  try {
    await new Promise<void>((resolve) => bot.stdout.on('data', (d) => String(d).includes('listening') && resolve()));
    const r = await callreplay(['run', 'p2p-to-meeting-transfer-v1', '--bot-url', `http://127.0.0.1:${botPort}/api/calls`, ...portFlags, '--variants', 'duplicate-delivery,batched', '--report-dir', dir]);
    expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed; variants: 2 of 2 passed; notification auth: 1 of 1 check(s) passed');
    expect(r.status).toBe(0);
  } finally {
    bot.kill();
    cleanup();
  }
});

test('a bot that exits at start is reported as such, not as a hang', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', `"${process.execPath}" -e "console.log('boom: missing config'); process.exit(3)"`, '--variants', 'none', '--no-auth-check', '--no-refusal-checks', '--report-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/exited with code 3 before answering at http:\/\/127\.0\.0\.1:\d+\/api\/calls/);
    expect(r.stdout).toContain('boom: missing config');
    // a verdict on the bot (a bot-unavailable finding: JUnit <failure>), not a harness error (<error>)
    const flow = readResults(dir).flows[0]!;
    expect(flow.failures[0]).toMatchObject({ kind: 'bot-unavailable' });
    expect(flow.failures[0]!.message).toContain('exited with code 3');
    // the finding's own start-up log is kept whole in the test's message (only the bot note after it is cut)
    expect(flow.message).toContain('--- bot output ---\nboom: missing config');
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="the bot could not be started: the bot command [^"]*exited with code 3[^"]*" type="bot-unavailable">/);
    expect(junit).toContain('errors="0"');
  } finally {
    cleanup();
  }
});

test('a bot that never listens times out at start, and no process is left behind', async () => {
  const marker = `callreplay-marker-${randomUUID()}`;
  const { dir, cleanup } = tempDir();
  try {
    // a shell that starts a grandchild: the whole group must be stopped
    const command = `"${process.execPath}" -e "setInterval(() => {}, 1000)" ${marker} & "${process.execPath}" -e "setInterval(() => {}, 1000)" ${marker}`;
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', command, '--ready-timeout', '1500', '--variants', 'none', '--no-auth-check', '--no-refusal-checks', '--report-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/did not answer at http:\/\/127\.0\.0\.1:\d+\/api\/calls within 1500 ms/);
    expect(processesMatching(marker)).toEqual([]);
  } finally {
    cleanup();
  }
});

test('a bot URL where nothing listens fails the first step with "connection refused"', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const port = await freePort();
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-url', `http://127.0.0.1:${port}/api/calls`, '--graph-port', '0', '--login-port', '0', '--variants', 'none', '--report-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/step 1 \(incoming call\): could not deliver the notification "incoming call" to http:\/\/127\.0\.0\.1:\d+\/api\/calls: connection refused/);
  } finally {
    cleanup();
  }
});

test('bad flow files and bad usage exit 2 with a message naming the file, pointer or flag', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = readFileSync(join(repoRoot, 'recordings', 'answer-incoming-call.yaml'), 'utf8');
    const unknownStep = join(dir, 'unknown-step.yaml');
    writeFileSync(unknownStep, good.replace('  - expect:', '  - expectt:'));
    const badTemplate = join(dir, 'bad-template.yaml');
    writeFileSync(badTemplate, good.replace('path: /beta/app/calls/${call}/answer', 'path: /beta/app/calls/${cal}/answer'));
    const schema = join(dir, 'schema.yaml');
    writeFileSync(schema, good.replace('\nunmatched: ignore', '\nunmatched: sometimes'));

    const v = await callreplay(['validate', unknownStep, badTemplate, schema, join(repoRoot, 'recordings', 'answer-incoming-call.yaml')]);
    expect(v.status).toBe(2);
    expect(v.stderr).toContain(`${unknownStep}: /steps/1: unknown step type "expectt"`);
    expect(v.stderr).toContain(`${badTemplate}: /steps/1/expect/path: unknown name \${cal}`);
    expect(v.stderr).toContain(`${schema}: /unmatched: must be one of "fail", "ignore"`);
    expect(v.stdout).toContain('ok  ');

    const run = await callreplay(['run', badTemplate, '--report-dir', dir]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${badTemplate}: /steps/1/expect/path: unknown name \${cal}`);

    const unknownFlow = await callreplay(['run', 'no-such-flow']);
    expect(unknownFlow.status).toBe(2);
    expect(unknownFlow.stderr).toContain('no flow file or shipped flow named "no-such-flow"');

    const badFlag = await callreplay(['run', '--graph-port', '70000']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toContain('--graph-port must be a port number');

    const remote = await callreplay(['run', '--bot-url', 'http://example.com/api/calls']);
    expect(remote.status).toBe(2);
    expect(remote.stderr).toContain('--bot-url must be an http URL on loopback');
  } finally {
    cleanup();
  }
});

test('list and --help', async () => {
  const list = await callreplay(['list']);
  expect(list.status).toBe(0);
  const shipped = readdirSync(join(repoRoot, 'recordings')).filter((f) => f.endsWith('.yaml'));
  const suiteLines = list.stdout.split('\n').filter((l) => /^\S+:$/.test(l));
  const flowLines = list.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
  expect(flowLines).toHaveLength(shipped.length);
  expect(suiteLines).toEqual(expect.arrayContaining(['answer:', 'transfer:', 'meetings:']));
  expect(list.stdout).toMatch(/^ {2}p2p-to-meeting-transfer\s+Answer a P2P call/m);
  const badSuite = await callreplay(['run', '--suite', 'nope']);
  expect(badSuite.status).toBe(2);
  expect(badSuite.stderr).toContain(`no flow is in suite "nope"; suites: ${suiteLines.map((l) => l.slice(0, -1)).join(', ')}`);
  // each help names its own usage line (the option tables are held to README in docs.spec.ts)
  const usage: Array<[string[], RegExp]> = [
    [[], /^callreplay <command> \[options\]$/m],
    [['run'], /^callreplay run \[flows\.\.\]$/m],
    [['list'], /^callreplay list \[flows\.\.\]$/m],
    [['validate'], /^callreplay validate <files\.\.>$/m],
  ];
  for (const [cmd, line] of usage) {
    const h = await callreplay([...cmd, '--help']);
    expect(h.status, cmd.join(' ')).toBe(0);
    expect(h.stdout, cmd.join(' ')).toMatch(line);
  }
  const none = await callreplay([]);
  expect(none.status).toBe(2);
});

test('a bot that does not check notification tokens fails the auth check, variant by variant; --no-auth-check says so', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const command = `"${process.execPath}" --import tsx tests/fixtures/no-auth-check-bot-main.ts`;
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', command, '--variants', 'none', '--no-refusal-checks', '--report-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed; variants not run (--variants none); notification auth: 0 of 1 check(s) passed');
    expect(r.stdout).toContain('the bot accepted 8 of 8 notifications it must refuse: no Authorization header; a garbage bearer token; an expired token;');
    // the first evidence is named: its 202, or (probes run at once, the bot answers calls quickly) the answer it sent
    expect(r.stdout).toMatch(
      /\[wrong-audience\] step 1 \(incoming call\): (the bot answered a notification with a token for another audience \(not the bot's app id\) with HTTP 202: it must refuse it with 401 or 403|after a notification with a token for another audience \(not the bot's app id\), the bot sent POST \/beta\/app\/calls\/\{call\}\/answer: it must not act on a notification it cannot authenticate)/,
    );
    const auth = readResults(dir).flows.find((f) => f.mode === 'notification-auth')!;
    expect(auth.status).toBe('failed');

    const skipped = await callreplay(['run', 'answer-incoming-call', '--bot-command', command, '--no-auth-check', '--variants', 'none', '--no-refusal-checks', '--report-dir', dir]);
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toContain('callreplay: 1 of 1 flow(s) passed; variants not run (--variants none); auth not checked (--no-auth-check)');
  } finally {
    cleanup();
  }
});
