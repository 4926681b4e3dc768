// Every shipped flow passes against the reference bot in-process (nock); the separate-process
// form is covered by the CLI tests.
import { readdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { recordingsDir, runInProcess, shippedFlow } from './fixtures/in-process.js';

const flows = readdirSync(recordingsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

for (const name of flows) {
  test(`in-process: ${name} passes against the reference bot`, async () => {
    const outcome = await runInProcess(await shippedFlow(name), (env) => new ReferenceBot(configFromEnv(env)));
    expect(outcome.findings).toEqual([]);
    expect(outcome.status).toBe('passed');
    const kinds = outcome.transcript.entries.map((e) => e.kind);
    expect(kinds).toContain('token-request');
    expect(kinds.filter((k) => k === 'request').length).toBeGreaterThan(0);
    // every notification was acknowledged with 2xx
    const acks = outcome.transcript.entries.filter((e) => e.kind === 'ack');
    expect(acks.length).toBe(outcome.transcript.entries.filter((e) => e.kind === 'notification').length);
    for (const a of acks) {
      expect(a.status).toBeGreaterThanOrEqual(200);
      expect(a.status).toBeLessThan(300);
    }
  });
}

test('fresh ids every run: a bot replaying recorded ids cannot pass', async () => {
  const a = await runInProcess(await shippedFlow('answer-incoming-call'), (env) => new ReferenceBot(configFromEnv(env)));
  const b = await runInProcess(await shippedFlow('answer-incoming-call'), (env) => new ReferenceBot(configFromEnv(env)));
  const idOf = (o: typeof a) => Object.entries(o.transcript.idNames).find(([, n]) => n === 'call')![0];
  expect(idOf(a)).not.toBe(idOf(b));
});
