// CI output through the real CLI: --shard splits the tests deterministically, merge-reports joins the
// shards into one report (HTML, results.json, junit.xml, summary.md); JUnit tells a bot's failure
// (<failure>) from the harness's error (<error>); the job summary reaches $GITHUB_STEP_SUMMARY.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { ResultsFile } from '../harness/report/results-file.js';
import { callreplay, tempDir } from './fixtures/cli.js';

const node = `"${process.execPath}"`;
const defectiveBot = `${node} --import tsx tests/fixtures/defective-bot-main.ts wrong-replaces-call-id`;
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;
// (not answer-incoming-call: the fake Graph plays that call on, and this bot's wrong invite may or may not come before the run ends)
const FLOWS = ['p2p-to-meeting-transfer', 'ivr-play-prompt-and-tones', 'bot-hang-up'];

test('--shard runs disjoint parts that cover the run, each flow with its variants and auth check; merge-reports joins them into one report', async () => {
  test.setTimeout(120_000);
  const { dir, cleanup } = tempDir();
  try {
    const shards = [1, 2];
    const runs = [];
    for (const i of shards) {
      runs.push(await callreplay(['run', ...FLOWS, '--bot-command', defectiveBot, '--variants', 'batched', '--shard', `${i}/2`, '--report-dir', join(dir, `s${i}`)], { timeoutMs: 60_000 }));
    }
    const parts = shards.map((i) => readResults(join(dir, `s${i}`)));
    parts.forEach((p, i) => expect(p.shard).toEqual({ current: i + 1, total: 2 }));
    // disjoint, and each flow's group (the flow, its variant, its auth check) stays in one shard
    const titles = parts.map((p) => p.flows.map((f) => f.title));
    expect(titles[0]!.filter((t) => titles[1]!.includes(t))).toEqual([]);
    for (const flow of FLOWS) {
      const holding = parts.filter((p) => p.flows.some((f) => f.flow === flow));
      expect(holding, flow).toHaveLength(1);
      expect(holding[0]!.flows.filter((f) => f.flow === flow).map((f) => f.kind).sort()).toEqual(['flow', 'notification-auth', 'variant']);
    }
    // the shard holding the defective flow fails (exit 1), the other passes (exit 0)
    const failing = parts.findIndex((p) => p.flows.some((f) => f.flow === 'p2p-to-meeting-transfer'));
    expect(runs[failing]!.status, runs[failing]!.stdout.slice(-2000)).toBe(1);
    expect(runs[1 - failing]!.status, runs[1 - failing]!.stdout.slice(-2000)).toBe(0);
    expect(runs[failing]!.stdout).toContain(`(shard ${failing + 1} of 2)`);
    for (const i of shards) expect(existsSync(join(dir, `s${i}`, 'blob')), `s${i}/blob`).toBe(true);

    const jobSummary = join(dir, 'step-summary.md');
    writeFileSync(jobSummary, '# earlier step\n');
    const merged = join(dir, 'merged');
    const m = await callreplay(['merge-reports', join(dir, 's1'), join(dir, 's2'), '--report-dir', merged], { env: { GITHUB_STEP_SUMMARY: jobSummary } });
    expect(m.status, `${m.stdout}\n${m.stderr}`).toBe(1); // the merged run failed, as its shard did
    const all = readResults(merged);
    expect(all.shard).toBeUndefined();
    expect(all.flows.map((f) => f.title).sort()).toEqual([...titles[0]!, ...titles[1]!].sort());
    expect(all.summary.flows).toEqual({ total: 3, passed: 2, failed: 1, skipped: 0 });
    const transfer = all.flows.find((f) => f.flow === 'p2p-to-meeting-transfer' && f.kind === 'flow')!;
    expect(transfer.failures[0]).toMatchObject({ step: 8, kind: 'incorrect' });
    expect(transfer.failures[0]!.message).toContain('replacesCallId');
    // attachments survived the merge: the bot's output is in results.json and the HTML report
    expect(transfer.botOutput).toContain('[reference-bot]');
    expect(existsSync(join(merged, 'html', 'index.html'))).toBe(true);
    expect(m.stdout).toMatch(/callreplay: 2 of 3 flow\(s\) passed; /);
    expect(m.stdout).toContain('✘ p2p-to-meeting-transfer (failed)');

    const junit = readFileSync(join(merged, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="callreplay" tests="\d+" failures="1" errors="0" skipped="2"/);
    expect(junit).toMatch(/<testsuite name="p2p-to-meeting-transfer" [^>]*tests="3" failures="1" errors="0" skipped="2"/);
    expect(junit).toMatch(/<failure message="step 8 \(invite the caller into the meeting\): body\.participants\[0\]\.replacesCallId: expected p2pCall[^"]*" type="incorrect">/);
    expect(junit).toMatch(/<skipped message="not run: its flow failed at step 8: invite the caller into the meeting"\/>/);

    // the job summary: one row per flow, the first finding of the failure; appended after the earlier step's text
    const md = readFileSync(join(merged, 'summary.md'), 'utf8');
    expect(md).toContain('## callreplay: 2 of 3 flow(s) passed ❌');
    expect(md).toMatch(/\| p2p-to-meeting-transfer \| ❌ failed at step 8 \(invite the caller into the meeting\) \| not run \| not run \| body\.participants\[0\]\.replacesCallId: expected p2pCall/);
    expect(md).toMatch(/\| ivr-play-prompt-and-tones \| ✅ passed[^|]* \| 1 of 1 passed \| ✅ passed \|/);
    expect(md).toContain('Refusal checks: 5 of 5 passed.');
    expect(readFileSync(jobSummary, 'utf8')).toBe(`# earlier step\n${md}\n`);
  } finally {
    cleanup();
  }
});

test('bad --shard values and bad merge-reports folders exit 2 naming the flag or the folder', async () => {
  for (const bad of ['0/3', '4/3', 'two', '1/0']) {
    const r = await callreplay(['run', 'ping', '--shard', bad]);
    expect(r.status, `--shard ${bad}`).toBe(2);
    expect(r.stderr).toContain(`--shard must be CURRENT/TOTAL with 1 <= CURRENT <= TOTAL, e.g. 2/3, got "${bad}"`);
  }
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['merge-reports', dir, '--report-dir', join(dir, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`merge-reports: ${dir} holds no shard report`);
    expect(r.stderr).toContain('callreplay run --shard I/N');
    const missing = await callreplay(['merge-reports', join(dir, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`merge-reports: ${join(dir, 'nope')} is not a folder`);
  } finally {
    cleanup();
  }
});

test("a harness that cannot start is the harness's error: JUnit <error>, exit 3, and no check passes by default", async () => {
  const { dir, cleanup } = tempDir();
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (busy.address() as { port: number }).port;
    const r = await callreplay(['run', 'answer-incoming-call', '--variants', 'none', '--no-refusal-checks', '--graph-port', String(port), '--report-dir', dir]);
    expect(r.status, r.stdout.slice(-2000)).toBe(3);
    expect(r.stderr).toContain('test(s) ended in an error of the harness, not a verdict on the bot (exit 3)');
    const results = readResults(dir);
    // the auth check could not play a probe: it fails (before, a probe that threw counted as refused)
    expect(results.flows.filter((f) => f.kind !== 'flow' && f.notRun === undefined).map((f) => [f.kind, f.status])).toEqual([['notification-auth', 'failed']]);
    for (const f of results.flows.filter((x) => x.notRun === undefined)) {
      expect(f.failures).toEqual([]);
      expect(f.errors.join('\n')).toContain(`cannot listen for graph requests on 127.0.0.1:${port}: the port is in use`);
    }
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="callreplay" tests="4" failures="0" errors="2" skipped="2"/);
    expect(junit).not.toContain('<failure');
  } finally {
    busy.close();
    cleanup();
  }
});
