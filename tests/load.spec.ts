// `callreplay load`, end to end: the real command line as a child process, the real reference bot
// (or a defective one) as its child, load.json read back. Timing is measured in benches, not here:
// these tests assert counts, fields and exit statuses only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';
import { freePort } from '../harness/runner/free-port.js';
import type { LoadReport } from '../harness/load/load-report.js';

const LOAD_FIELDS = ['ackLatencyMs', 'botPeakRssMb', 'calls', 'callsPerSecond', 'failed', 'failuresByKind', 'flow', 'harnessPeakRssMb', 'misrouted', 'passed', 'wallMs'];

const readLoad = (dir: string) => JSON.parse(readFileSync(join(dir, 'load.json'), 'utf8')) as LoadReport;

test('150 concurrent calls of the default flow (the P2P transfer) all pass against the reference bot, and load.json holds exactly its fields', async () => {
  test.setTimeout(90_000);
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['load', '--calls', '150', '--concurrency', '150', '--report-dir', dir], { timeoutMs: 80_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const load = readLoad(dir);
    expect(Object.keys(load).sort()).toEqual(LOAD_FIELDS);
    expect(load).toMatchObject({ flow: 'p2p-to-meeting-transfer', calls: 150, passed: 150, failed: 0, misrouted: 0, failuresByKind: {} });
    // 150 calls x 9 notifications, each acknowledged: the percentiles are ordered
    expect(load.ackLatencyMs.p50).toBeGreaterThan(0);
    expect(load.ackLatencyMs.p95).toBeGreaterThanOrEqual(load.ackLatencyMs.p50);
    expect(load.ackLatencyMs.p99).toBeGreaterThanOrEqual(load.ackLatencyMs.p95);
    expect(load.callsPerSecond).toBeCloseTo(150 / (load.wallMs / 1000), 0);
    expect(load.harnessPeakRssMb).toBeGreaterThan(10);
    // the bot was started by callreplay: its peak RSS (VmHWM) is known
    expect(load.botPeakRssMb).toBeGreaterThan(10);
    expect(r.stdout).toContain('150 of 150 call(s) of p2p-to-meeting-transfer passed');
    expect(r.stdout).toContain('misrouted requests: 0');
  } finally {
    cleanup();
  }
});

test('bad input exits 2 before anything starts, naming the flag and what it takes', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--calls', '0'], /--calls must be a whole number >= 1, got 0/],
    [['--concurrency', '-1'], /--concurrency must be a whole number >= 1, got -1/],
    [['no-such-flow'], /no flow file or shipped flow named "no-such-flow"\. Shipped flows: .*p2p-to-meeting-transfer/],
    [['--tenant', 'contoso'], /--tenant must be a tenant id \(a GUID\) or per-run, got "contoso"/],
  ];
  const results = await Promise.all(cases.map(([args]) => callreplay(['load', ...args, '--report-dir', join(repoRoot, 'test-results', 'load-never-written')], { timeoutMs: 30_000 })));
  results.forEach((r, i) => {
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(cases[i]![1]);
  });
});

test('a report folder that cannot be made exits 2 before any call, in one line naming it', async () => {
  const r = await callreplay(['load', '--calls', '1', '--report-dir', '/proc/callreplay-nope/reports'], { timeoutMs: 30_000 });
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe('callreplay: --report-dir /proc/callreplay-nope/reports cannot be created (ENOENT)');
  expect(r.stdout).not.toContain('callreplay load:'); // no call was started
});

/** Writes a bot file: the reference bot (from dist) with `body` as the class body of a subclass. */
function subclassBot(dir: string, name: string, body: string, prelude = ''): string {
  const file = join(dir, `${name}.mjs`);
  const dist = (p: string) => pathToFileURL(join(repoRoot, 'dist', 'examples', 'reference-bot', p)).href;
  writeFileSync(
    file,
    `import { ReferenceBot } from ${JSON.stringify(dist('bot.js'))};
import { configFromEnv } from ${JSON.stringify(dist('config.js'))};
${prelude}
class Bot extends ReferenceBot {
${body}
}
const bot = new Bot(configFromEnv());
await bot.start();
console.log('${name} listening on ' + bot.url);
process.once('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
`,
  );
  return `"${process.execPath}" "${file}"`;
}

test('a bot that mixes up its calls fails: exit 1, failuresByKind names the kind, and each request carrying another call\'s ids is misrouted', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    // the reference bot, except that every invite moves the FIRST call's caller (its id, its P2P
    // call): call 1 passes, calls 2 and 3 each send one invite naming call 1's ids
    const command = subclassBot(
      dir,
      'cross-talk-bot',
      `  inviteBody(meeting, p2p, clientContext) {
    first ??= p2p;
    return super.inviteBody(meeting, first, clientContext);
  }`,
      'let first;',
    );
    const r = await callreplay(['load', '--calls', '3', '--concurrency', '1', '--bot-command', command, '--report-dir', dir], { timeoutMs: 50_000 });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const load = readLoad(dir);
    expect(load).toMatchObject({ calls: 3, passed: 1, failed: 2, misrouted: 2, failuresByKind: { incorrect: 2 } });
    expect(r.stdout).toContain('failures: incorrect: 2');
    expect(r.stdout).toMatch(/step 8 \(invite the caller into the meeting\): .*expected caller/);
  } finally {
    cleanup();
  }
});

test('a bot started by hand (--bot-url): the calls pass and its peak RSS is null', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  const [graphPort, loginPort, botPort] = [await freePort(), await freePort(), await freePort()];
  const ports = ['--intercept', 'gateway', '--graph-port', String(graphPort), '--login-port', String(loginPort)];
  let bot: ChildProcess | undefined;
  try {
    const env = await callreplay(['env', '--json', '--port', String(botPort), ...ports], { timeoutMs: 30_000 });
    expect(env.status, env.stderr).toBe(0);
    bot = spawn(process.execPath, [join(repoRoot, 'dist', 'examples', 'reference-bot', 'main.js')], { env: { ...process.env, ...(JSON.parse(env.stdout) as Record<string, string>) }, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the hand-started bot did not start within 15 s')), 15_000);
      bot!.stdout!.on('data', (d: Buffer) => {
        if (String(d).includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      bot!.once('exit', (code) => reject(new Error(`the hand-started bot exited (${code})`)));
    });
    const r = await callreplay(['load', '--calls', '20', '--concurrency', '20', '--bot-url', `http://127.0.0.1:${botPort}/api/calls`, ...ports, '--report-dir', dir], { timeoutMs: 50_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readLoad(dir)).toMatchObject({ calls: 20, passed: 20, failed: 0, misrouted: 0, botPeakRssMb: null });
    expect(r.stdout).toContain('bot unknown (started by hand)');
  } finally {
    bot?.kill('SIGTERM');
    cleanup();
  }
});

test('a bot that goes silent fails at the step\'s own timeout: patience waits only while the bot is busy', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    // acknowledges every notification, never answers a call: after the incoming calls it is silent
    const command = subclassBot(dir, 'never-answers-bot', '  async onIncomingCall() {}');
    const r = await callreplay(['load', '--calls', '20', '--concurrency', '20', '--bot-command', command, '--report-dir', dir], { timeoutMs: 50_000 });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(readLoad(dir)).toMatchObject({ calls: 20, passed: 0, failed: 20, misrouted: 0, failuresByKind: { missing: 20 } });
    // the flow's 5 s, not more: nothing came from the bot in the last second
    expect(r.stdout).toMatch(/step 2 \(answer\): the bot never sent POST \/beta\/app\/calls\/\{p2pCall\}\/answer \(waited 5000 ms; /);
  } finally {
    cleanup();
  }
});

test('a bot that answers its calls one by one, 300 ms apart, passes: the later calls wait past 5 s while it keeps answering the others', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    // 25 calls: the last answer comes ~7.5 s after its incoming call, later than the flow's 5 s
    // step timeout, and within Graph's 15 s answer deadline
    const command = subclassBot(
      dir,
      'one-by-one-bot',
      `  async onIncomingCall(...args) {
    const turn = queue.then(() => new Promise((r) => setTimeout(r, 300)));
    queue = turn;
    await turn;
    return super.onIncomingCall(...args);
  }`,
      'let queue = Promise.resolve();',
    );
    const r = await callreplay(['load', '--calls', '25', '--concurrency', '25', '--bot-command', command, '--report-dir', dir], { timeoutMs: 50_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readLoad(dir)).toMatchObject({ calls: 25, passed: 25, failed: 0, misrouted: 0 });
  } finally {
    cleanup();
  }
});

test('Ctrl-C: exit 130, load.json for the calls that ended, and the bot is stopped', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  const marker = `load-sigint-${randomUUID()}`;
  const botsRunning = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
  try {
    const command = `"${process.execPath}" "${join(repoRoot, 'dist', 'examples', 'reference-bot', 'main.js')}" ${marker}`;
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'callreplay.js'), 'load', '--calls', '100000', '--concurrency', '50', '--bot-command', command, '--report-dir', dir], { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    try {
      // interrupt once calls are under way
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += String(d);
          if (stdout.includes('at a time, against')) setTimeout(resolve, 1500);
        });
      });
      expect(botsRunning().length).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      clearTimeout(timer);
    }
    expect(stdout).toContain('(interrupted)');
    const load = readLoad(dir);
    expect(load.calls).toBeGreaterThan(0);
    expect(load.calls).toBeLessThan(100000);
    expect(load).toMatchObject({ failed: 0, misrouted: 0, failuresByKind: {} });
    expect(load.passed).toBe(load.calls);
    expect(botsRunning()).toEqual([]);
  } finally {
    cleanup();
  }
});
