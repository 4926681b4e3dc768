// The GitHub Action (action.yml), its shell steps played as the runner plays them
// (fixtures/action-runner.ts): it runs callreplay on the bot, sets its outputs, hands the report
// folder to upload-artifact, appends the job summary, fails the step only when asked, takes no
// input as code, and merges a matrix of shards.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { ResultsFile } from '../harness/report/results-file.js';
import { readAction, runAction } from './fixtures/action-runner.js';
import { repoRoot, tempDir } from './fixtures/cli.js';

const defectiveBot = `"${process.execPath}" --import tsx "${join(repoRoot, 'tests', 'fixtures', 'defective-bot-main.ts')}" wrong-replaces-call-id`;
const QUICK = '--variants none --no-refusal-checks';

test('action.yml declares every input its steps use, and passes inputs to the scripts only through env', () => {
  const text = readFileSync(join(repoRoot, 'action.yml'), 'utf8');
  const action = readAction(repoRoot);
  expect(action.runs.using).toBe('composite');
  const used = new Set([...text.matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1]!));
  expect([...used].filter((i) => !(i in action.inputs))).toEqual([]);
  // no `${{ }}` inside a script: a value pasted into bash could run as code
  for (const step of action.runs.steps) if (step.run) expect(step.run, step.name).not.toContain('${{');
});

test('the action runs callreplay on the bot: outputs, the report for upload, the job summary, and a failed step for a failed bot', async () => {
  test.setTimeout(90_000);
  const { dir, cleanup } = tempDir();
  try {
    const jobSummary = join(dir, 'step-summary.md');
    writeFileSync(jobSummary, '');
    const run = runAction(repoRoot, { 'bot-command': defectiveBot, flows: 'p2p-to-meeting-transfer ivr-play-prompt-and-tones', args: QUICK }, { cwd: dir, env: { GITHUB_STEP_SUMMARY: jobSummary } });
    const step = run.steps.find((s) => s.name === 'Run callreplay')!;
    expect(step.status, `${step.stdout}\n${step.stderr}`).toBe(0); // the run step reports; the verdict step fails
    expect(run.outputs['exit-code']).toBe('1');
    const reportDir = join(dir, 'callreplay-report');
    expect(run.outputs['report-dir']).toBe(reportDir);
    expect(run.outputs.results).toBe(join(reportDir, 'results.json'));
    const results = JSON.parse(readFileSync(run.outputs.results!, 'utf8')) as ResultsFile;
    expect(results.summary.flows).toEqual({ total: 2, passed: 1, failed: 1, skipped: 0 });
    // upload-artifact gets the report folder under the artifact name
    expect(run.steps.find((s) => s.name === 'Upload the report')!.with).toEqual({ name: 'callreplay-report', path: reportDir, 'if-no-files-found': 'warn' });
    expect(readFileSync(jobSummary, 'utf8')).toContain('## callreplay: 1 of 2 flow(s) passed ❌');
    const verdict = run.steps.find((s) => s.name === 'Verdict')!;
    expect(verdict.status).toBe(1);
    expect(verdict.stdout).toContain('::error title=callreplay::the run ended with exit status 1');
    expect(run.status).toBe(1);

    // fail-on-error: false reports without failing the job
    const lenient = runAction(repoRoot, { 'bot-command': defectiveBot, flows: 'p2p-to-meeting-transfer', args: QUICK, 'fail-on-error': 'false', 'report-dir': 'lenient' }, { cwd: dir });
    expect(lenient.outputs['exit-code']).toBe('1');
    expect(lenient.steps.find((s) => s.name === 'Verdict')!.skipped).toBe(true);
    expect(lenient.status).toBe(0);
  } finally {
    cleanup();
  }
});

test('an input is never run as code: shell syntax in flows or args reaches callreplay as words', () => {
  const { dir, cleanup } = tempDir();
  try {
    const marker = join(dir, 'pwned');
    const run = runAction(repoRoot, { flows: `$(touch ${marker})`, args: `; touch ${marker}` }, { cwd: dir });
    expect(existsSync(marker)).toBe(false);
    expect(run.outputs['exit-code']).toBe('2'); // callreplay refused the words as flows and flags
    expect(run.status).toBe(2);
  } finally {
    cleanup();
  }
});

test('a matrix of shards and a merge job: shard inputs, then merge-from joins the shard reports', async () => {
  test.setTimeout(120_000);
  const { dir, cleanup } = tempDir();
  try {
    const flows = 'answer-incoming-call bot-hang-up';
    for (const shard of ['1/2', '2/2']) {
      const part = runAction(repoRoot, { flows, args: QUICK, shard, 'report-dir': `shard-${shard[0]}` }, { cwd: dir });
      expect(part.outputs['exit-code'], part.steps.map((s) => s.stdout).join('\n')).toBe('0');
    }
    const merged = runAction(repoRoot, { 'merge-from': 'shard-1 shard-2', 'report-dir': 'merged' }, { cwd: dir });
    expect(merged.outputs['exit-code'], merged.steps.map((s) => `${s.stdout}\n${s.stderr}`).join('\n')).toBe('0');
    const results = JSON.parse(readFileSync(join(dir, 'merged', 'results.json'), 'utf8')) as ResultsFile;
    expect(results.summary.flows).toEqual({ total: 2, passed: 2, failed: 0, skipped: 0 });
    expect(existsSync(join(dir, 'merged', 'html', 'index.html'))).toBe(true);
  } finally {
    cleanup();
  }
});
