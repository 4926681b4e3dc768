// The independent-bot corpus (issue 8), a bot that signs a user in: meeting-creator-bot.mjs is
// built on MSAL node with every Microsoft URL hard-coded, reaches callreplay through the Node
// preload, gets a delegated token by the refresh_token grant to create an online meeting on /me,
// then joins it with its cached application token. It runs through the real `callreplay run`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { AUTH_VARIANTS } from '../harness/engine/ports.js';
import { loadFlowFile } from '../harness/flow/load-flow.js';
import { applicableVariants } from '../harness/variants/index.js';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';

test.describe.configure({ mode: 'parallel' });

const FLOW = 'create-meeting-and-join';
/** the bot takes the trigger on the reference bot's endpoint (POST /api/create-meeting-and-join): no mapping but `reference` */
const REFERENCE_API = ['--trigger', 'create-meeting-and-join=reference'];
const bot = (defect?: string) => `${defect ? `DEFECT=${defect} ` : ''}"${process.execPath}" "${join(repoRoot, 'tests', 'fixtures', 'independent-bots', 'meeting-creator-bot.mjs')}"`;

interface Results {
  flows: Array<{ flow: string; mode?: string; variant?: string; status: string; notRun?: string; failures: Array<{ step?: number; kind: string; message: string }> }>;
}

test('an MSAL bot with hard-coded Microsoft URLs creates a meeting with a delegated token and joins it: every default variant passes', async () => {
  test.setTimeout(90_000);
  const { dir, cleanup } = tempDir('callreplay-meeting-creator-');
  try {
    const r = await callreplay(['run', FLOW, '--bot-command', bot(), ...REFERENCE_API, '--report-dir', dir], { timeoutMs: 80_000 });
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    expect(results.flows.filter((f) => f.status !== 'passed'), r.stdout.slice(-3000)).toEqual([]);
    expect(r.status).toBe(0);
    const expected = applicableVariants(await loadFlowFile(join(repoRoot, 'recordings', `${FLOW}.yaml`))).map((v) => v.variant.kind);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(results.flows.filter((f) => f.mode === 'variant').map((f) => f.variant)).toEqual(expected);
    // the flow starts with a trigger, and its first notification is still auth-checked
    expect(results.flows.filter((f) => f.mode === 'notification-auth').map((f) => `${f.flow} ${f.status}`)).toEqual([`${FLOW} passed`]);
    expect(r.stdout).toContain('notification auth: 1 of 1 check(s) passed; refusal checks: 5 of 5 passed');
  } finally {
    cleanup();
  }
});

test('DEFECT=app-token-for-me: creating the meeting on /me with the application token fails at that step, with Graph\'s reason', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir('callreplay-meeting-creator-defect-');
  try {
    const r = await callreplay(['run', FLOW, '--bot-command', bot('app-token-for-me'), ...REFERENCE_API, '--variants', 'none', '--no-refusal-checks', '--report-dir', dir], { timeoutMs: 50_000 });
    expect(r.status, r.stdout.slice(-3000)).toBe(1);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    const failure = results.flows.find((f) => f.flow === FLOW)!.failures[0]!;
    expect(failure).toMatchObject({ step: 2, kind: 'unauthorized' });
    expect(failure.message).toContain('POST /v1.0/me/onlineMeetings carries an application token');
    expect(failure.message).toContain('/me request is only valid with delegated authentication flow.');
    // one cause, one red row: the auth check (which would run the flow up to its first notification) is not run
    expect(results.flows.find((f) => f.flow === FLOW && f.mode === 'notification-auth')).toMatchObject({ status: 'skipped', notRun: 'its flow failed at step 2: create the online meeting as the signed-in user' });
  } finally {
    cleanup();
  }
});

test('DEFECT=no-token-check: a bot that accepts any notification fails the auth check of this trigger-first flow, naming every variant it accepted', async () => {
  test.setTimeout(90_000);
  const { dir, cleanup } = tempDir('callreplay-meeting-creator-auth-');
  try {
    // the default run: every variant passes, the refusal checks too; the auth check names every broken token accepted
    const r = await callreplay(['run', FLOW, '--bot-command', bot('no-token-check'), ...REFERENCE_API, '--report-dir', dir], { timeoutMs: 80_000 });
    expect(r.status, r.stdout.slice(-3000)).toBe(1);
    expect(r.stdout).toMatch(/callreplay: 1 of 1 flow\(s\) passed; variants: (\d+) of \1 passed; notification auth: 0 of 1 check\(s\) passed; refusal checks: 5 of 5 passed/);
    expect(r.stdout).toContain(`the bot accepted ${AUTH_VARIANTS.length} of ${AUTH_VARIANTS.length} notifications it must refuse`);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    const auth = results.flows.find((f) => f.mode === 'notification-auth')!;
    expect(auth.status).toBe('failed');
    // one finding per broken token, each at the flow's first notification (step 4, after the trigger and two requests)
    expect(auth.failures).toHaveLength(AUTH_VARIANTS.length);
    for (const f of auth.failures) expect(f).toMatchObject({ kind: 'auth-accepted', step: 4 });
    expect(auth.failures.map((f) => f.message)).toContain('the bot answered a notification with no Authorization header with HTTP 202: it must refuse it with 401 or 403');
    expect(auth.failures.map((f) => f.message)).toContain('the bot answered a notification with a token with a bad signature with HTTP 202: it must refuse it with 401 or 403');
  } finally {
    cleanup();
  }
});
