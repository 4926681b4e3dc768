// The delivery variants (harness/variants/delivery-variants.ts and the call-level body variants):
// one bot per kind that passes the plain flow but fails its variant for the reason named, a bot
// written differently from the reference bot that must pass, and what each variant does to a flow.
// (The reference bot against every variant of every shipped flow: tests/variant-runs.spec.ts.)
import { expect } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { formatFinding } from '../harness/engine/findings.js';
import type { CompiledExpect, CompiledFlow, CompiledNotify } from '../harness/engine/plan.js';
import { OTHER_CALL } from '../harness/variants/delivery-variants.js';
import { TONE_SEQUENCE_OFFSET } from '../harness/variants/notification-bodies.js';
import { VARIANT_KINDS, VARIANTS, applyVariant } from '../harness/variants/variants.js';
import { DELIVERY_VARIANT_KINDS, deliveryDefects, LooksUpUnknownCallsBot, NonReentrantBot } from './fixtures/variant-delivery-defects.js';
import { variantDefects } from './fixtures/variant-defects.js';
import { makeBot } from './fixtures/variant-bots.js';
import { describeOutcome, flow, itemsOf, notifies, problemsOf, runAll, scopeFor, stepNamed, test, variant } from './fixtures/variant-flows.js';

test('every variant kind has a defective bot that fails it, and every delivery variant cites reference material', () => {
  const covered = [...Object.keys(variantDefects), ...DELIVERY_VARIANT_KINDS].sort();
  expect(covered).toEqual([...VARIANT_KINDS].sort());
  for (const kind of DELIVERY_VARIANT_KINDS) {
    const info = VARIANTS.find((v) => v.kind === kind)!;
    expect(info.optIn, kind).toBe(false);
    expect(info.evidence, kind).toMatch(/(graph-docs\/[\w.-]+\.md|captured-notifications\/[\w.-]+\.json|graph-calling-protocol\.md):\d+/);
  }
});

// ------------------------------------------------------------------ one defective bot per delivery kind

for (const kind of DELIVERY_VARIANT_KINDS) {
  const d = deliveryDefects[kind];
  test(`a bot that ${d.defect} passes ${d.flow} but fails its ${kind} variant (${d.finding.kind})`, async ({ harness }) => {
    const plain = flow(d.flow, 1000);
    if (d.quietMs !== undefined) Object.assign(plain, { quietMs: d.quietMs, quietFromBot: false });
    // at the same time, one bot each (each run mints its own ids and tenant)
    const bot = (env: NodeJS.ProcessEnv) => new d.bot(configFromEnv({ ...env, ...d.env }));
    const varied = variant(plain, kind);
    const [[plainOutcome], [variantOutcome]] = await Promise.all([runAll(harness, [plain], bot), runAll(harness, [varied], bot)]);
    expect(describeOutcome(plainOutcome!)).toBe('passed');
    expect(variantOutcome!.status).toBe('failed');
    const f = variantOutcome!.findings[0]!;
    expect(formatFinding(f)).toMatch(d.finding.message);
    expect(f.kind).toBe(d.finding.kind);
    if (d.finding.step) expect(f.stepName).toBe(d.finding.step);
    if (d.finding.after) {
      // the request the finding names came after the notification (the variant's step) that causes it
      const entries = variantOutcome!.transcript.entries;
      const cause = entries.findIndex((e) => e.kind === 'notification' && e.step !== undefined && d.finding.after!.test(varied.steps[e.step]?.name ?? ''));
      const request = entries.findIndex((e) => e.kind === 'request' && e.method === f.received?.method && e.url === f.received?.url);
      expect(cause, `a notification matching ${d.finding.after}`).toBeGreaterThanOrEqual(0);
      expect(request).toBeGreaterThan(cause);
    }
  });
}

test('a bot that looks up a call it does not know (GET, 404) passes other-call-interleaved; the lookup is kept, judged by no step', async ({ harness }) => {
  const [outcome] = await runAll(harness, [variant(flow('p2p-to-meeting-transfer-v1', 2000), 'other-call-interleaved')], makeBot(LooksUpUnknownCallsBot));
  expect(problemsOf(outcome!)).toEqual([]);
  const entries = outcome!.transcript.entries;
  const lookups = entries.filter((e) => e.kind === 'request' && e.method === 'GET');
  expect(lookups.length).toBeGreaterThan(0);
  for (const l of lookups) {
    expect(l.label).toContain('(another call: 404)');
    expect(l.step).toBeUndefined();
    expect(entries[entries.indexOf(l) + 1]).toMatchObject({ kind: 'response', status: 404 });
  }
});

// ------------------------------------------------------------------ what each variant does to a flow

function expects(f: CompiledFlow): CompiledExpect[] {
  return f.steps.filter((s): s is CompiledExpect => s.kind === 'expect');
}

test('overlapping-delivery marks every notification right after another, and only those', () => {
  const base = flow('p2p-to-meeting-transfer');
  const v = variant(base, 'overlapping-delivery');
  expect(v.steps.map((s) => s.name)).toEqual(base.steps.map((s) => s.name));
  const marked = notifies(v).filter((s) => s.overlap).map((s) => s.name);
  expect(marked).toEqual(['p2p call established', 'meeting call established', 'meeting roster updated with the caller', 'p2p call terminated', 'p2p call deleted']);
  expect(notifies(base).some((s) => s.overlap)).toBe(false);
  expect(applyVariant(flow('redirect-incoming-call'), 'overlapping-delivery')).toBeUndefined();
});

test('notification-before-response holds the answers to requests a notification follows (not GETs)', () => {
  const v = variant(flow('ivr-record-response'), 'notification-before-response');
  expect(expects(v).map((e) => `${e.method} ${e.name}: ${e.holdResponse === true}`)).toEqual([
    'POST answer with service-hosted media: true',
    "POST record the caller's message: true",
    'GET download the recording with its access token: false',
    'DELETE hang up: true',
  ]);
  // a trigger the held request reacts to is answered in the background (the bot may answer it only once Graph answered the join)
  const join = variant(flow('join-meeting-without-media'), 'notification-before-response');
  expect(join.steps.map((s) => `${s.kind} ${s.name}: ${s.kind === 'trigger' ? s.answerInBackground === true : s.kind === 'expect' ? s.holdResponse === true : '-'}`)).toEqual([
    'trigger ask the bot to join the meeting: true',
    'expect join meeting without media: true',
    'notify meeting call establishing: -',
    'notify meeting call established: -',
  ]);
});

test('other-call-interleaved adds a call of its own after the reaction to the first notification: a roster update, then its end', () => {
  const base = flow('p2p-to-meeting-transfer-v1');
  const v = variant(base, 'other-call-interleaved');
  expect(v.ids).toEqual([...base.ids, OTHER_CALL]);
  expect(v.otherCalls).toEqual([OTHER_CALL]);
  expect(v.steps.map((s) => s.name).slice(0, 4)).toEqual(['incoming call', 'answer', 'another call: roster updated', 'another call: ended']);
  const other = '0b9e3b8a-5f7d-4f1e-9a0c-2d6b1e4f8a11';
  const scope = scopeFor(v, { [OTHER_CALL]: other });
  const [roster] = itemsOf(stepNamed(v, 'another call: roster updated'), scope);
  const [ended] = itemsOf(stepNamed(v, 'another call: ended'), scope);
  expect(roster).toMatchObject({ changeType: 'updated', resourceUrl: `/communications/calls/${other}/participants`, resource: `/app/calls/${other}/participants` });
  expect(ended).toMatchObject({ changeType: 'deleted', resourceUrl: `/communications/calls/${other}`, resourceData: { state: 'terminated', resultInfo: { code: 200, subcode: 5002 } } });
  expect(stepNamed(v, 'another call: ended').to).toBe('webhook');
});

test('intermediate-states-skipped leaves out transferring, transferAccepted and terminating where no request reacts to them', () => {
  const base = flow('blind-transfer-failed');
  const removed = base.steps.map((s) => s.name).filter((n) => !variant(base, 'intermediate-states-skipped').steps.some((s) => s.name === n));
  expect(removed).toEqual(['call transferring', 'call terminating']);
  const ivr = flow('ivr-play-prompt-and-tones');
  expect(ivr.steps.length - variant(ivr, 'intermediate-states-skipped').steps.length).toBe(2);
  expect(applyVariant(flow('reject-incoming-call'), 'intermediate-states-skipped')).toBeUndefined();
});

test('deleted-odata-id-only gives a call\'s deleted the reject shape and leaves operation completions alone', () => {
  const v = variant(flow('bot-hang-up'), 'deleted-odata-id-only');
  const scope = scopeFor(v);
  const call = String(scope.get('call'));
  const [deleted] = itemsOf(stepNamed(v, 'call deleted'), scope);
  expect(deleted!.resourceData).toEqual({ '@odata.type': '#microsoft.graph.call', '@odata.id': `/communications/calls/${call.replace(/-/g, '').toUpperCase()}` });
  const [done] = itemsOf(stepNamed(v, 'menu prompt completed'), scope);
  expect(done!.resourceData).toMatchObject({ status: 'completed' });
  expect(applyVariant(flow('reject-incoming-call'), 'deleted-odata-id-only')).toBeUndefined(); // already the reject shape
});

test('media-state-updates puts audio inactive then active after the reaction to each call\'s first established', () => {
  const v = variant(flow('p2p-to-meeting-transfer-v1'), 'media-state-updates');
  const names = v.steps.map((s) => s.name);
  const at = names.indexOf('p2p call established: audio inactive (on hold)');
  expect(names.slice(at - 2, at + 2)).toEqual(['p2p call established', 'join the meeting (with or without media)', 'p2p call established: audio inactive (on hold)', 'p2p call established: audio active (resumed)']);
  expect(names).toContain('meeting call established: audio inactive (on hold)');
  const [item] = itemsOf(stepNamed(v, 'p2p call established: audio inactive (on hold)'), scopeFor(v));
  expect(item).toMatchObject({ changeType: 'updated', resourceData: { state: 'established', mediaState: { audio: 'inactive' } } });
});

test('tone-sequence-ids moves every sequenceId up (the first is 6, a replay keeps its id); call-chain-id gives each call one chain id, not on tone presses', () => {
  const tones = variant(flow('ivr-play-prompt-and-tones'), 'tone-sequence-ids');
  const scope = scopeFor(tones);
  const ids = notifies(tones).flatMap((s) => itemsOf(s, scope)).map((i) => (i.resourceData as { toneInfo?: { sequenceId: number } } | undefined)?.toneInfo?.sequenceId).filter((n) => n !== undefined);
  expect(ids).toEqual([1 + TONE_SEQUENCE_OFFSET, 1 + TONE_SEQUENCE_OFFSET]);

  const chained = variant(flow('p2p-to-meeting-transfer-v1'), 'call-chain-id');
  const s2 = scopeFor(chained);
  const byCall = new Map<string, Set<unknown>>();
  for (const step of notifies(chained) as CompiledNotify[]) {
    for (const item of itemsOf(step, s2)) {
      const m = /\/calls\/([^/]+)$/.exec(String(item.resourceUrl));
      const chain = (item.resourceData as { callChainId?: unknown } | undefined)?.callChainId;
      if (!m) expect(chain, step.name).toBeUndefined();
      else byCall.set(m[1]!, (byCall.get(m[1]!) ?? new Set()).add(chain));
    }
  }
  expect(byCall.size).toBe(2);
  for (const [call, chains] of byCall) {
    expect(chains.size).toBe(1);
    const [chain] = chains;
    expect(chain).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(String(chain).replace(/-/g, '')).not.toBe(call.toLowerCase());
  }
  const ivr = variant(flow('ivr-play-prompt-and-tones'), 'call-chain-id');
  const press = itemsOf(stepNamed(ivr, 'caller presses 1'), scopeFor(ivr))[0]!;
  expect(press.resourceData).not.toHaveProperty('callChainId');
});

test('notification-before-response: the held 201 of a join asked for by a trigger goes out once the bot has answered the notifications, not at the hold timeout', async ({ harness }) => {
  // steps of 10 s: a hold that ran out would take 5 s
  const f = variant(flow('create-meeting-and-join', 10_000), 'notification-before-response');
  const t0 = performance.now();
  const [o] = await runAll(harness, [f], (env) => new ReferenceBot(configFromEnv(env)));
  expect(problemsOf(o!)).toEqual([]);
  expect(performance.now() - t0).toBeLessThan(3000);
  const shown = o!.transcript.entries.filter((e) => ['response', 'notification', 'ack', 'trigger-response'].includes(e.kind)).map((e) => `${e.kind} ${e.label}`);
  // the trigger is answered last: the bot answers its API once it has the call id from the 201
  expect(shown).toEqual([
    'response 201',
    'response 201 (held until steps 4, 5 answered)',
    expect.stringMatching(/^notification .*establishing$/),
    'ack 202',
    expect.stringMatching(/^notification .*established$/),
    'ack 202',
    'trigger-response 200',
  ]);
});

test('overlapping-delivery: the next notification goes out before the bot has answered the one before; plain, after', async ({ harness }) => {
  // NonReentrantBot answers each POST only after BUSY_MS: an overlapping one comes in meanwhile
  const plain = flow('join-meeting-without-media', 2000);
  const bot = (env: NodeJS.ProcessEnv) => new NonReentrantBot(configFromEnv(env));
  const [[p], [v]] = await Promise.all([runAll(harness, [plain], bot), runAll(harness, [variant(plain, 'overlapping-delivery')], bot)]);
  const order = (o: typeof p) => o!.transcript.entries.filter((e) => e.kind === 'notification' || e.kind === 'ack').map((e) => e.kind);
  expect(order(p)).toEqual(['notification', 'ack', 'notification', 'ack']);
  expect(order(v)).toEqual(['notification', 'notification', 'ack', 'ack']);
  // nothing in this flow reacts to `established`: the dropped one costs this bot nothing here
  expect(problemsOf(v!)).toEqual([]);
});
