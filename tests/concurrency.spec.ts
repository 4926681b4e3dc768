// Many flows at once through one router: each run mints its own ids and every request reaches its
// run by call id; a create names no call, and the reference bot joins one configured meeting for
// every call, so it is routed by the tenant of the bot's token: each run mints its own tenant
// (--tenant per-run), which the reference bot takes from each incoming call.
import { expect, test } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { parseFlow } from '../harness/flow/load-flow.js';
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
    // every transfer invited its own caller, on its own meeting call (the invite step took it; an
    // answer-incoming-call run lets the bot's own invite pass unscripted)
    const invites = outcomes.flatMap((o) => o.transcript.entries.filter((e) => e.kind === 'request' && e.step !== undefined && e.url?.endsWith('/participants/invite')));
    expect(invites).toHaveLength(40);
    // the only strays are the reference bot's late meeting joins (and, once the fake Graph has
    // established the meeting call, its invites into it) after answer-incoming-call flows had ended
    // (that flow ignores them): they must not have been handed to another run
    const answerTenants = new Set(
      outcomes.filter((o) => o.flow === 'answer-incoming-call').map((o) => Object.entries(o.transcript.idNames).find(([, n]) => n === 'tenant')![0]),
    );
    for (const stray of harness.router.strays) {
      expect(stray.request.method).toBe('POST');
      expect(stray.reason).toMatch(/ flow answer-incoming-call, which has ended/);
      const tenantId = (stray.request.body as { tenantId?: string }).tenantId;
      if (tenantId !== undefined) expect(answerTenants).toContain(tenantId);
      else expect(stray.request.path).toMatch(/\/participants\/invite$/);
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

test('two creates in flight at once (they name no call) go to the runs whose step takes them, not to the one waiting longest', async () => {
  const harness = await Harness.start({ transport: 'gateway' });
  try {
    const join = (name: string, meetingInfo: string) =>
      parseFlow(
        `callreplay: 1\nname: ${name}\ndescription: ${name}\nquiet: 0\nids: [meetingCall]\nsteps:\n` +
          `  - expect: { name: join, method: POST, path: /v1.0/communications/calls, body: { meetingInfo: { '@odata.type': '${meetingInfo}' } }, respond: { status: 201, body: { id: '\${meetingCall}' } } }\n`,
        `${name}.yaml`,
      );
    const byOrganizer = harness.createRun(join('by-organizer', '#microsoft.graph.organizerMeetingInfo'), 'http://127.0.0.1:9/api/calls');
    await new Promise((r) => setTimeout(r, 20)); // by-organizer has waited longest
    const byId = harness.createRun(join('by-join-meeting-id', '#microsoft.graph.joinMeetingIdMeetingInfo'), 'http://127.0.0.1:9/api/calls');
    const outcomes = Promise.all([byOrganizer.run(), byId.run()]);
    const token = await harness.router.tokens.issue(harness.tenant!, 'app');
    const post = (meetingInfo: string) =>
      fetch(`${harness.graphBaseUrl}/v1.0/communications/calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ callbackUri: 'http://127.0.0.1:9/api/calls', meetingInfo: { '@odata.type': meetingInfo } }),
      });
    // the join the newer run waits for comes first
    expect((await post('#microsoft.graph.joinMeetingIdMeetingInfo')).status).toBe(201);
    expect((await post('#microsoft.graph.organizerMeetingInfo')).status).toBe(201);
    const [a, b] = await outcomes;
    expect([a.status, a.findings[0]?.message]).toEqual(['passed', undefined]);
    expect([b.status, b.findings[0]?.message]).toEqual(['passed', undefined]);
    harness.release(byOrganizer);
    harness.release(byId);
  } finally {
    await harness.close();
  }
});

test('a create that fits several waiting runs alike is given by timing, and every one of them is told (a failure after it may be the harness\'s mix-up)', async () => {
  const harness = await Harness.start({ transport: 'gateway' });
  try {
    const flow = (name: string) =>
      parseFlow(
        `callreplay: 1\nname: ${name}\ndescription: ${name}\nquiet: 0\nids: [meetingCall]\nsteps:\n  - expect: { name: join, method: POST, path: /v1.0/communications/calls, respond: { status: 201, body: { id: '\${meetingCall}' } } }\n`,
        `${name}.yaml`,
      );
    const a = harness.createRun(flow('a'), 'http://127.0.0.1:9/api/calls');
    const b = harness.createRun(flow('b'), 'http://127.0.0.1:9/api/calls');
    const outcomes = Promise.all([a.run(), b.run()]);
    const token = await harness.router.tokens.issue(harness.tenant!, 'app');
    const post = () => fetch(`${harness.graphBaseUrl}/v1.0/communications/calls`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await post()).status).toBe(201);
    expect((await post()).status).toBe(201);
    expect((await outcomes).map((o) => o.status)).toEqual(['passed', 'passed']);
    // the first create fit both: both runs know it was a guess; the second had one run left: no guess
    expect(a.guessedRoute).toBe('POST /v1.0/communications/calls (2 calls waited for it)');
    expect(b.guessedRoute).toBe('POST /v1.0/communications/calls (2 calls waited for it)');
    harness.release(a);
    harness.release(b);
  } finally {
    await harness.close();
  }
});
