// One harness and one bot for a whole `callreplay run` (issue 9), through the real CLI:
//   - a failed test restarts neither the harness nor the bot (the bot is started once);
//   - a bot that died is restarted before the next test, and that is reported;
//   - after a flow fails, its variants and auth check are not run, naming the failed step;
//   - a flow that fails only while other calls are in flight is played again alone and reported
//     as "fails only when calls overlap" (a bot keeping one current call per process);
//   - --max-failures / -x stop the run early; Ctrl-C exits 130.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';

import type { ResultsSummary } from '../harness/report/results-file.js';
import { idsOfCall, linesOfCall } from '../harness/runner/bot-output-lines.js';
import { botNote, BOT_NOTE_START } from '../harness/runner/bot-note.js';
interface FlowResult {
  flow: string;
  mode?: string;
  variant?: string;
  status: string;
  failures: Array<{ step?: number; kind: string; rule?: string; message: string }>;
  errors: string[];
  notRun?: string;
}

const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { flows: FlowResult[] };
const node = `"${process.execPath}"`;
/** a shell command that notes each start of the bot in `file`, then becomes the bot */
const counted = (file: string, command: string) => `echo started >> "${file}"; exec ${command}`;
const starts = (file: string) => readFileSync(file, 'utf8').trim().split('\n').length;

test('a failed test restarts neither the harness nor the bot; the failed flow\'s variants and auth check are not run, naming its step', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const startsFile = join(dir, 'starts');
    const bot = counted(startsFile, `${node} --import tsx tests/fixtures/defective-bot-main.ts wrong-replaces-call-id`);
    // one worker: every failure makes Playwright start a new worker, which must not start a new bot
    // the other flow must not exercise the defect: answer-incoming-call lets the bot's meeting move play
    // on (the fake Graph establishes the meeting call), where its wrong replacesCallId is caught too
    const r = await callreplay(['run', 'p2p-to-meeting-transfer', 'remote-hang-up', '--bot-command', bot, '--variants', 'duplicate-delivery,batched', '--workers', '1', '--report-dir', dir], { timeoutMs: 120_000 });
    expect(r.status, r.stdout).toBe(1);
    expect(starts(startsFile)).toBe(1);
    const results = readResults(dir);
    const transfer = results.flows.filter((f) => f.flow === 'p2p-to-meeting-transfer');
    expect(transfer.find((f) => f.mode === 'gateway+https+proxy+preload')).toMatchObject({ status: 'failed', failures: [{ step: 8, kind: 'incorrect' }] });
    const reason = 'its flow failed at step 8: invite the caller into the meeting';
    expect(transfer.filter((f) => f.mode === 'variant').map((f) => [f.variant, f.status, f.notRun])).toEqual([
      ['duplicate-delivery', 'skipped', reason],
      ['batched', 'skipped', reason],
    ]);
    expect(transfer.find((f) => f.mode === 'notification-auth')).toMatchObject({ status: 'skipped', notRun: reason });
    // the other flow, its variants and the refusal checks ran after the failure, against the same bot
    const others = results.flows.filter((f) => f.flow !== 'p2p-to-meeting-transfer');
    expect(others.map((f) => f.status)).toEqual(others.map(() => 'passed'));
    expect(others.length).toBe(1 + 2 + 1 + 5);
    // one cause, one red row
    expect(results.flows.filter((f) => f.status === 'failed').length).toBe(1);
    expect(r.stdout).toContain(`variants: 2 of 2 passed, not run for p2p-to-meeting-transfer (${reason})`);
    expect(r.stdout).not.toContain('restarted');
  } finally {
    cleanup();
  }
});

test('a bot that died is restarted before the next test, and the summary says so', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const startsFile = join(dir, 'starts');
    const bot = counted(startsFile, `${node} "${join(repoRoot, 'tests', 'fixtures', 'trust-bot.mjs')}"`);
    const r = await callreplay(['run', 'p2p-to-meeting-transfer-v1', '--bot-command', bot, '--variants', 'none', '--no-auth-check', '--workers', '1', '--report-dir', dir], {
      env: { CRASH_AFTER_ANSWER: '1' },
      timeoutMs: 120_000,
    });
    expect(r.status, r.stdout).toBe(1);
    expect(starts(startsFile)).toBe(2);
    const results = readResults(dir);
    expect(results.flows[0]).toMatchObject({ flow: 'p2p-to-meeting-transfer-v1', status: 'failed', failures: [{ kind: 'bot-unavailable' }] });
    // the refusal checks ran against the restarted bot (which answers malformed JSON 202: its own defect)
    expect(results.flows.filter((f) => f.mode === 'refusal').map((f) => [f.status, f.failures[0]?.rule])).toEqual([
      ['failed', 'refusal/malformed-json'],
      ['passed', undefined],
      ['passed', undefined],
      ['passed', undefined],
      ['passed', undefined],
    ]);
    expect(r.stdout).toContain('callreplay: the bot exited with code 3 and was restarted (1 time)');
  } finally {
    cleanup();
  }
});

test('a flow that fails only while other calls are in flight is played again alone and reported as such', async () => {
  test.setTimeout(150_000);
  const { dir, cleanup } = tempDir();
  try {
    // two copies of the blind transfer, started together in two workers; every request of theirs names its call
    const flow = readFileSync(join(repoRoot, 'recordings', 'blind-transfer.yaml'), 'utf8');
    const files = ['transfer-a', 'transfer-b'].map((name) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, flow.replace(/^name: .*$/m, `name: ${name}`));
      return file;
    });
    const bot = `${node} "${join(repoRoot, 'tests', 'fixtures', 'independent-bots', 'resource-url-only-bot.mjs')}"`;
    const args = ['run', ...files, '--bot-command', bot, '--variants', 'duplicate-delivery', '--no-auth-check', '--no-refusal-checks'];
    const env = { DEFECT: 'one-call-per-process' };

    const together = await callreplay([...args, '--workers', '2', '--report-dir', join(dir, 'together')], { env, timeoutMs: 120_000 });
    expect(together.status, together.stdout).toBe(1);
    const results = readResults(join(dir, 'together')).flows;
    const overlapped = results.filter((f) => f.mode !== 'variant' && f.status === 'failed');
    expect(overlapped.length, together.stdout).toBeGreaterThan(0);
    for (const f of overlapped) {
      expect(f.failures).toEqual([expect.objectContaining({ kind: 'overlap', rule: 'overlap/fails-only-concurrently' })]);
      expect(f.failures[0]!.message).toMatch(/^fails only when calls overlap: with 1 other call\(s\) in flight, .*; played alone, the flow passed/);
      const variant = results.find((v) => v.flow === f.flow && v.mode === 'variant')!;
      expect(variant).toMatchObject({ status: 'skipped', notRun: expect.stringMatching(/^its flow failed at step \d+: .* \(only while other calls were in flight\)$/) });
    }

    // the finding tells the truth: one call at a time, the same bot passes everything
    const alone = await callreplay([...args, '--workers', '1', '--report-dir', join(dir, 'alone')], { env, timeoutMs: 120_000 });
    expect(alone.status, alone.stdout).toBe(0);
  } finally {
    cleanup();
  }
});

test('-x stops the run at the first failed test; the tests it did not reach are counted, not listed as failures', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const bot = `${node} --import tsx tests/fixtures/defective-bot-main.ts wrong-replaces-call-id`;
    const r = await callreplay(['run', 'p2p-to-meeting-transfer', 'answer-incoming-call', '--bot-command', bot, '--variants', 'none', '--workers', '1', '-x', '--no-refusal-checks', '--report-dir', dir], { timeoutMs: 120_000 });
    expect(r.status, r.stdout).toBe(1);
    const results = readResults(dir);
    expect(results.flows.filter((f) => f.status === 'failed').map((f) => f.flow)).toEqual(['p2p-to-meeting-transfer']);
    const unreached = results.flows.filter((f) => f.status === 'skipped' && f.notRun === undefined);
    expect(unreached.length).toBeGreaterThan(0);
    expect(r.stdout).toContain(`callreplay: stopped after 1 failed test (--max-failures 1): ${unreached.length} test(s) not run`);
    expect(r.stdout).not.toMatch(/✘ .*\(skipped\)/);
  } finally {
    cleanup();
  }
});

test('Ctrl-C: the run stops with exit 130, its reports cover what ran, and no bot is left behind', async () => {
  const { dir, cleanup } = tempDir();
  const marker = `callreplay-interrupt-${Date.now()}`;
  try {
    const bot = `${node} "${join(repoRoot, 'dist', 'examples', 'reference-bot', 'main.js')}" ${marker}`;
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'callreplay.js'), 'run', '--bot-command', bot, '--report-dir', dir], { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: '0', CI: '' } });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // interrupt once the first test has passed
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no test passed within 60 s:\n${stdout}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('✓')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { status: string; flows: FlowResult[]; summary: ResultsSummary };
    expect(results.status).toBe('interrupted');
    const finished = results.flows.filter((f) => f.status === 'passed' || f.status === 'failed' || f.status === 'timedOut');
    const cut = results.flows.filter((f) => f.status === 'interrupted');
    expect(finished.some((f) => f.status === 'passed')).toBe(true);
    // an honest account: what finished, what was cut short (no verdict), what was never reached; no test
    // the interrupt cut short or never reached is listed as a failure or as "skipped"
    const account = /callreplay: interrupted: (\d+) test\(s\) finished and are reported(?:; (\d+) cut short \([^)]*\), no verdict)?; (\d+) not reached/.exec(stdout);
    expect(account, stdout.slice(-3000)).not.toBeNull();
    expect(Number(account![1])).toBe(finished.length);
    expect(Number(account![2] ?? 0)).toBe(cut.length);
    expect(Number(account![3])).toBe(results.summary.notReached);
    expect(results.summary.interrupted).toBe(cut.length);
    expect(stdout).not.toMatch(/\(skipped\)|~undefined/);
    expect(stdout).not.toMatch(/^✘ /m);
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(marker) && !l.startsWith('ps '));
    expect(left).toEqual([]);
  } finally {
    cleanup();
  }
});

test("a call's bot output leaves out the lines naming only other calls in flight, and says how many", () => {
  const own = idsOfCall({ 'afa818b6-6a41-4970-83e1-50ca0014d922': 'p2pCall', '6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60': 'tenant' });
  const other = idsOfCall({ '1f7b7450-b45d-43d0-a3da-1f81f4de6a7b': 'call', '6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60': 'tenant' });
  const output = [
    '[bot] listening',
    '[bot] answered call AFA818B66A41497083E150CA0014D922', // ours, printed without hyphens, upper case
    '[bot] answered call 1F7B7450B45D43D0A3DA1F81F4DE6A7B', // the other call's
    '[bot] tenant 6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60 token cached', // shared: decides nothing
    '[bot] call 1f7b7450-b45d-43d0-a3da-1f81f4de6a7b moved into afa818b6-6a41-4970-83e1-50ca0014d922', // names ours too
    '[bot] unknown 00000000-0000-0000-0000-000000000001', // an id no call named: kept
    '',
  ].join('\n');
  expect(linesOfCall(output, own, [other])).toBe(
    [
      '[bot] listening',
      '[bot] answered call AFA818B66A41497083E150CA0014D922',
      '[bot] tenant 6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60 token cached',
      '[bot] call 1f7b7450-b45d-43d0-a3da-1f81f4de6a7b moved into afa818b6-6a41-4970-83e1-50ca0014d922',
      '[bot] unknown 00000000-0000-0000-0000-000000000001',
      "(1 line about other calls in flight left out: they are in those calls' own reports)",
      '',
    ].join('\n'),
  );
  // alone, nothing is left out
  expect(linesOfCall(output, own, [])).toBe(output);
  // a run-wide id (the tenant) that two other calls named and this one not yet: the bot's line about it is kept
  const early = idsOfCall({ 'afa818b6-6a41-4970-83e1-50ca0014d922': 'p2pCall' });
  const third = idsOfCall({ '2a7b7450-b45d-43d0-a3da-1f81f4de6a7b': 'call', '6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60': 'tenant' });
  expect(linesOfCall('[bot] tenant 6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60 token cached\n', early, [other, third])).toBe('[bot] tenant 6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60 token cached\n');
});

test('the bot note after a failure begins with BOT_NOTE_START, also when the bot exited; a finding quoting a start-up log does not', () => {
  const note = botNote({ running: false, exitDescription: 'exited with code 3', output: 'a\nb\n' });
  expect(note.startsWith(BOT_NOTE_START)).toBe(true);
  expect(note).toContain('(the bot process exited with code 3)');
  expect(note).toContain('\na\nb');
  // failed-session.ts: the start-up failure is the finding itself, with its own '--- bot output ---' section
  const finding = 'the bot could not be started: the bot command "x" exited with code 1 before answering.\n--- bot output ---\nboom';
  expect(`${finding}${note}`.indexOf(BOT_NOTE_START)).toBe(finding.length);
  expect(botNote(undefined)).toBe('');
});
