// Refusal checks (issue 12): hostile or broken input on the webhook, once per run, each its own
// test. The bot is tests/fixtures/trust-bot.mjs, written apart from the reference bot: it answers
// 202 to everything (so it accepts malformed JSON), and with ACT_ON_UPDATES it acts on any call a
// notification names. Bots that refuse and ignore pass: the independent-bot corpus specs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { callreplay, tempDir } from './fixtures/cli.js';

test.describe.configure({ mode: 'parallel' });

const trustBot = (env = '') => `${env} "${process.execPath}" "${join(import.meta.dirname, 'fixtures', 'trust-bot.mjs')}"`.trim();

interface Results {
  flows: Array<{ flow: string; mode?: string; title: string; status: string; notRun?: string; botOutput?: string; failures: Array<{ step?: number; kind: string; rule?: string; message: string }> }>;
  notRun: Array<{ check: string; flow?: string; reason: string }>;
}
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;

test('a bot that answers 2xx to malformed JSON fails that check, named; the checks not run are named with their reason', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', trustBot('API=beta FAMILY=app'), '--variants', 'none', '--no-auth-check', '--report-dir', dir]);
    expect(r.status, r.stdout.slice(-3000)).toBe(1);
    expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed; variants not run (--variants none); auth not checked (--no-auth-check); refusal checks: 4 of 5 passed');
    const results = readResults(dir);
    const refusals = results.flows.filter((f) => f.mode === 'refusal');
    expect(refusals.map((f) => `${f.title.split(':')[1]!.trim()} ${f.status}`)).toEqual(['malformed-json failed', 'no-value passed', 'wrong-content-type passed', 'unknown-call passed', 'oversized-body passed']);
    expect(refusals[0]!.failures[0]).toMatchObject({ kind: 'refusal', rule: 'refusal/malformed-json', step: 1 });
    expect(refusals[0]!.failures[0]!.message).toBe('the bot answered HTTP 202: it must refuse a body that is not JSON with 4xx (400) (sent: a notification body that is not valid JSON (cut off mid-object))');
    // results.json names every check that did not run, and why
    expect(results.notRun).toEqual([
      { check: 'notification-auth', reason: '--no-auth-check' },
      { check: 'variant', reason: '--variants none' },
    ]);
  } finally {
    cleanup();
  }
});

test('a bot that acts on a notification for a call it never saw fails unknown-call, naming the request it sent', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', trustBot('API=beta FAMILY=app ACT_ON_UPDATES=1'), '--variants', 'none', '--no-auth-check', '--report-dir', dir]);
    expect(r.status).toBe(1);
    const unknownCall = readResults(dir).flows.find((f) => f.mode === 'refusal' && f.title.startsWith('refusal: unknown-call'))!;
    expect(unknownCall.status).toBe('failed');
    expect(unknownCall.failures[0]).toMatchObject({ kind: 'refusal', rule: 'refusal/unknown-call', step: 1 });
    expect(unknownCall.failures[0]!.message).toBe(
      'after a signed `updated` notification (state established) for a call the bot never saw, the bot sent POST /beta/app/calls/{call}/keepAlive: it must not act on it',
    );
  } finally {
    cleanup();
  }
});

test('--no-refusal-checks skips them and says so; a flow that sends no notification is not auth-checked, and says why', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    const flow = join(dir, 'ping.yaml');
    writeFileSync(flow, 'callreplay: 1\nname: ping\ndescription: the bot answers its webhook\nsteps:\n  - trigger: { name: ping, method: GET, path: /api/calls }\n');
    const r = await callreplay(['run', flow, '--bot-command', trustBot(), '--no-refusal-checks', '--report-dir', join(dir, 'report')]);
    expect(r.status, r.stdout.slice(-3000)).toBe(0);
    expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed; variants: none apply; auth not checked: ping (the flow sends no notification); refusal checks not run (--no-refusal-checks)');
    expect(r.stdout).not.toMatch(/\b0 of 0\b/);
    const results = readResults(join(dir, 'report'));
    expect(results.notRun).toEqual([
      { check: 'notification-auth', flow: 'ping', reason: 'the flow sends no notification' },
      { check: 'refusal', reason: '--no-refusal-checks' },
    ]);
    for (const f of results.flows.filter((x) => x.notRun)) expect(f.status).toBe('skipped');
  } finally {
    cleanup();
  }
});

test('a bot that answers no more after a body over 1 MB fails oversized-body, asked twice on new connections', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', trustBot(`API=beta FAMILY=app FALL_OVER_ON_BIG_BODY=1 DROP_LOG=${join(dir, 'dropped.log')}`), '--variants', 'none', '--no-auth-check', '--report-dir', dir]);
    expect(r.status, r.stdout.slice(-3000)).toBe(1);
    const oversized = readResults(dir).flows.find((f) => f.mode === 'refusal' && f.title.startsWith('refusal: oversized-body'))!;
    expect(oversized.status).toBe('failed');
    expect(oversized.failures[0]).toMatchObject({ kind: 'refusal', rule: 'refusal/oversized-body', step: 1 });
    expect(oversized.failures[0]!.message).toMatch(/^after a signed notification of 1100000 bytes \(over 1 MB\) for a call the bot never saw, the bot no longer answers at http:\/\/127\.0\.0\.1:\d+\/api\/calls \(asked twice\): /);
    // it was asked twice, each time on a connection of its own (Node's agent-less request says `connection: close`)
    expect(readFileSync(join(dir, 'dropped.log'), 'utf8')).toBe('[trust-bot] dropped GET /api/calls (connection: close)\n'.repeat(2));
  } finally {
    cleanup();
  }
});
