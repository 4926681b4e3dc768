// Many flows at once through one router: each run mints its own ids and every request reaches its
// run by call id; a create names no call, and the reference bot joins one configured meeting for
// every call, so it is routed by the tenant of the bot's token: each run mints its own tenant
// (--tenant per-run), which the reference bot takes from each incoming call.
import { expect, test } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { Harness } from '../harness/runner/harness.js';
import { shippedFlow } from './fixtures/in-process.js';

test('60 flows run concurrently against one bot through one gateway, and all pass', async () => {
  const harness = await Harness.start({ transport: 'gateway', tenant: 'per-run' });
  const bot = new ReferenceBot(configFromEnv({ ...harness.botEnvironment(0), LOG_LEVEL: 'silent' }));
  await bot.start();
  try {
    const flows = await Promise.all(['p2p-to-meeting-transfer', 'p2p-to-meeting-transfer-v1', 'answer-incoming-call'].map((n) => shippedFlow(n, 10_000)));
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => harness.run(flows[i % flows.length]!, bot.url)));
    const failed = outcomes.filter((o) => o.status !== 'passed').map((o) => `${o.flow}: ${o.findings[0]?.message}`);
    expect(failed).toEqual([]);
    // every transfer invited its own caller, on its own meeting call
    const invites = outcomes.flatMap((o) => o.transcript.entries.filter((e) => e.kind === 'request' && e.url?.endsWith('/participants/invite')));
    expect(invites).toHaveLength(40);
    // the only strays are the reference bot's late meeting joins after answer-incoming-call flows
    // had ended (that flow ignores them): they must not have been handed to another run
    const answerTenants = new Set(
      outcomes.filter((o) => o.flow === 'answer-incoming-call').map((o) => Object.entries(o.transcript.idNames).find(([, n]) => n === 'tenant')![0]),
    );
    for (const stray of harness.router.strays) {
      expect(stray.request.method).toBe('POST');
      expect(answerTenants).toContain((stray.request.body as { tenantId: string }).tenantId);
    }
  } finally {
    await bot.stop();
    await harness.close();
  }
});

test('more than 64 calls at once: 120 concurrent flows all pass (no socket cap towards the bot)', async () => {
  const harness = await Harness.start({ transport: 'gateway', tenant: 'per-run' });
  const bot = new ReferenceBot(configFromEnv({ ...harness.botEnvironment(0), LOG_LEVEL: 'silent' }));
  await bot.start();
  try {
    const flows = await Promise.all(['p2p-to-meeting-transfer-v1', 'reject-incoming-call'].map((n) => shippedFlow(n, 15_000)));
    const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => harness.run(flows[i % flows.length]!, bot.url)));
    expect(outcomes.filter((o) => o.status !== 'passed').map((o) => `${o.flow}: ${o.findings[0]?.message}`)).toEqual([]);
    expect(outcomes).toHaveLength(120);
  } finally {
    await bot.stop();
    await harness.close();
  }
});
