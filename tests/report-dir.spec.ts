// The report folder of `callreplay run` (issue 10): one that cannot be written fails at once with
// exit 2 and a one-line message; two runs sharing one never lose results silently (the second
// stops at once, naming the folder in use); a lock left by a run that is gone is taken over.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { callreplay, tempDir } from './fixtures/cli.js';

const small = ['answer-incoming-call', '--variants', 'none', '--no-auth-check', '--no-refusal-checks'];
const LOCK = '.callreplay-run.lock';

test('a report folder that cannot be made exits 2 at once with one line naming it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const [reportDir, code] of [[join(file, 'reports'), 'ENOTDIR'], ['/proc/callreplay-nope/reports', 'ENOENT']] as const) {
      const r = await callreplay(['run', ...small, '--report-dir', reportDir]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(`callreplay: --report-dir ${reportDir} cannot be created (${code})`);
      expect(r.stdout).toBe('');
    }
  } finally {
    cleanup();
  }
});

test('a second run on a report folder in use stops at once, naming it; the first run\'s results stay', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const first = callreplay(['run', ...small, '--report-dir', dir]);
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(dir, LOCK)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(dir, LOCK))).toBe(true);
    const second = await callreplay(['run', ...small, '--report-dir', dir]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^callreplay: --report-dir ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is in use by another callreplay run \\(pid \\d+\\); give this run its own --report-dir\\n$`));
    const r = await first;
    expect(r.status, r.stdout).toBe(0);
    expect(existsSync(join(dir, 'results.json'))).toBe(true);
    expect(existsSync(join(dir, LOCK))).toBe(false);
  } finally {
    cleanup();
  }
});

test('a lock left by a run that is gone is taken over', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, LOCK), '2147483646'); // no such process
    const r = await callreplay(['run', ...small, '--report-dir', dir]);
    expect(r.status, r.stdout).toBe(0);
    expect(existsSync(join(dir, LOCK))).toBe(false);
  } finally {
    cleanup();
  }
});
