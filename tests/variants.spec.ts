// Robustness variants (harness/variants): what each kind does to a flow, the observers that define
// passing one, the reference bot against every applicable variant of every shipped flow, and one
// defective bot per kind that passes the plain flow but fails its variant for the reason named.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test as base } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import type { FlowOutcome, ObserverContext, RunObserver } from '../harness/engine/flow-run.js';
import { formatFinding, type Finding } from '../harness/engine/findings.js';
import type { CompiledFlow, CompiledNotify, CompiledStep } from '../harness/engine/plan.js';
import type { TranscriptEntry } from '../harness/engine/transcript.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { Harness } from '../harness/runner/harness.js';
import { ackLatencyObserver, ackLatencySummary, duplicateActionObserver } from '../harness/variants/observers.js';
import {
  DEFAULT_VARIANT_KINDS,
  OPT_IN_VARIANT_KINDS,
  VARIANT_KINDS,
  VARIANTS,
  applicableVariants,
  applyVariant,
  parseVariantKinds,
  variantOf,
  variantsMarkdownTable,
  type VariantKind,
} from '../harness/variants/variants.js';
import { callreplay, tempDir } from './fixtures/cli.js';
import { recordingsDir } from './fixtures/in-process.js';
import { BetaResourceUrlOnlyBot, ExactClientContextBot, makeBot, ResourceUrlOnlyBot, V1ResourceOnlyBot } from './fixtures/variant-bots.js';
import { variantDefects } from './fixtures/variant-defects.js';

// ------------------------------------------------------------------ helpers

/** Shipped flows, loaded synchronously so that tests can be declared per flow x variant. */
const shipped = new Map<string, CompiledFlow | Error>();
for (const file of readdirSync(recordingsDir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const path = join(recordingsDir, file);
  try {
    const flow = parseFlow(readFileSync(path, 'utf8'), path);
    shipped.set(flow.name, flow);
  } catch (e) {
    shipped.set(file, e as Error);
  }
}

function flow(name: string, stepTimeoutMs?: number): CompiledFlow {
  const f = shipped.get(name);
  if (!f) throw new Error(`no shipped flow ${name}`);
  if (f instanceof Error) throw f;
  // a fresh copy: runs and tests must not share changed timeouts
  const path = f.file;
  const copy = parseFlow(readFileSync(path, 'utf8'), path);
  if (stepTimeoutMs !== undefined) for (const s of copy.steps) s.timeoutMs = stepTimeoutMs;
  return copy;
}

function variant(f: CompiledFlow, kind: VariantKind): CompiledFlow {
  const v = applyVariant(f, kind);
  if (!v) throw new Error(`${kind} does not apply to ${f.name}`);
  return v;
}

/** A scope like a run's: fresh ids, the flow's values, built-ins, and `extra` (captures). */
function scopeFor(f: CompiledFlow, extra: Record<string, unknown> = {}): Map<string, unknown> {
  const scope = new Map<string, unknown>();
  for (const id of f.ids) scope.set(id, randomUUID());
  for (const [k, v] of Object.entries(f.values)) scope.set(k, v);
  scope.set('graph', 'http://127.0.0.1:5870');
  scope.set('botAppId', '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27');
  scope.set('botUrl', 'http://127.0.0.1:3978');
  scope.set('now', '2025-01-01T00:00:00.000Z');
  for (const s of f.steps) {
    const expects = s.kind === 'expect' ? [s] : s.kind === 'unordered' ? s.expects : [];
    for (const e of expects) for (const c of e.captures) scope.set(c.name, randomUUID());
  }
  for (const [k, v] of Object.entries(extra)) scope.set(k, v);
  return scope;
}

type Item = {
  changeType?: string;
  resource?: string;
  resourceUrl?: string;
  resourceData?: Record<string, unknown> & Array<Record<string, unknown>>;
  [k: string]: unknown;
};

function notifies(f: CompiledFlow): CompiledNotify[] {
  return f.steps.filter((s): s is CompiledNotify => s.kind === 'notify');
}

function stepNamed(f: CompiledFlow, name: string): CompiledNotify {
  const s = f.steps.find((x) => x.name === name);
  if (s?.kind !== 'notify') throw new Error(`no notify step "${name}" in ${f.name}: ${f.steps.map((x) => x.name).join(', ')}`);
  return s;
}

function itemsOf(step: CompiledNotify, scope: Map<string, unknown>): Item[] {
  return (step.body(scope) as { value: Item[] }).value;
}

/** Everything about a flow that a variant must not change, bodies rendered with `scope`. */
function snapshot(f: CompiledFlow, scope: Map<string, unknown>): unknown {
  const stepView = (s: CompiledStep) => ({
    kind: s.kind,
    index: s.index,
    name: s.name,
    pointer: s.pointer,
    timeoutMs: s.timeoutMs,
    ...(s.kind === 'notify' ? { delayMs: s.delayMs, to: typeof s.to, body: JSON.stringify(s.body(scope)) } : {}),
    ...(s.kind === 'unordered' ? { expects: s.expects.map((e) => [e.index, e.name]) } : {}),
  });
  return { name: f.name, description: f.description, steps: f.steps.map(stepView) };
}

const HEX_ID = /^[0-9A-F]{32}$/;
const HYPHEN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function botEnv(harness: Harness): NodeJS.ProcessEnv {
  return { PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId };
}

/**
 * A harness (nock) per test, with the variant observers on every run, closed after the test (not
 * per worker: a nock harness left installed would intercept the next spec file's traffic). Runs
 * of one test may share it at the same time: each run mints its own ids and its own tenant, which
 * routes a request that names no call (a create) to its run (the bots take the tenant from each call).
 */
const test = base.extend<{ harness: Harness }>({
  harness: async ({}, use) => {
    const harness = await Harness.start({ transport: 'nock', tenant: 'per-run', observers: () => [duplicateActionObserver(), ackLatencyObserver(2000)] });
    try {
      await use(harness);
    } finally {
      await harness.close();
    }
  },
});

/** Runs each flow in turn against one bot made by `makeBot` (in-process); stops the bot. */
async function runAll(harness: Harness, flows: CompiledFlow[], makeBot: (env: NodeJS.ProcessEnv) => ReferenceBot): Promise<FlowOutcome[]> {
  const bot = makeBot(botEnv(harness));
  try {
    await bot.start();
    const outcomes: FlowOutcome[] = [];
    for (const f of flows) outcomes.push(await harness.run(f, bot.url));
    return outcomes;
  } finally {
    await bot.stop();
  }
}

function describeOutcome(o: FlowOutcome): string {
  return o.findings.map(formatFinding).join('\n') || 'passed';
}

// ------------------------------------------------------------------ the table and the API

test('every kind has a one-line doc and its evidence, in the order of VARIANT_KINDS, and a markdown table', () => {
  expect(VARIANTS.map((v) => v.kind)).toEqual([...VARIANT_KINDS]);
  // a file of the reference material: a doc page or the protocol notes with a line, the CSDL with a line, or a capture
  const citation = /(graph-docs\/[\w.-]+\.md:\d+|v1\.0-Prod\.csdl:\d+|captured-notifications\/[\w*.-]+\.json|graph-calling-protocol\.md:\d+)/;
  for (const v of VARIANTS) {
    expect(v.doc.length).toBeGreaterThan(20);
    expect(v.doc).not.toContain('\n');
    expect(v.evidence).not.toContain('\n');
    // every variant says where Graph does so; one without evidence says so and is opt-in
    expect(v.evidence, v.kind).toMatch(citation);
    expect(v.evidence.startsWith('none'), v.kind).toBe(v.optIn);
  }
  expect(OPT_IN_VARIANT_KINDS).toEqual(['pascal-case-enums', 'empty-value']);
  expect(DEFAULT_VARIANT_KINDS).toEqual(VARIANT_KINDS.filter((k) => !OPT_IN_VARIANT_KINDS.includes(k)));
  const table = variantsMarkdownTable();
  expect(table.split('\n')[0]).toBe('| variant | runs | what changes | applies to | evidence that Graph does so |');
  for (const k of DEFAULT_VARIANT_KINDS) expect(table).toContain(`| \`${k}\` | by default |`);
  for (const k of OPT_IN_VARIANT_KINDS) expect(table).toContain(`| \`${k}\` | opt-in: only when named |`);
});

test('parseVariantKinds: all is every variant with evidence; an opt-in variant only when named; none; unknown kinds named', () => {
  expect(parseVariantKinds('none')).toEqual([]);
  expect(parseVariantKinds('')).toEqual([]);
  expect(parseVariantKinds('all')).toEqual([...DEFAULT_VARIANT_KINDS]);
  expect(parseVariantKinds('all')).not.toContain('pascal-case-enums');
  expect(parseVariantKinds('all')).not.toContain('empty-value');
  expect(parseVariantKinds('pascal-case-enums')).toEqual(['pascal-case-enums']);
  expect(parseVariantKinds('all, empty-value')).toEqual([...DEFAULT_VARIANT_KINDS, 'empty-value']);
  expect(parseVariantKinds('batched, empty-value,batched')).toEqual(['batched', 'empty-value']);
  expect(() => parseVariantKinds('batched,twice')).toThrow(
    /unknown variant "twice": use none, all or a comma-separated list of duplicate-delivery, .* \(all runs every one but the opt-in pascal-case-enums, empty-value, which run only when named\)/,
  );
  expect(() => parseVariantKinds('none,batched')).toThrow(/unknown variant "none"/);
  // applicableVariants runs what `all` runs unless told otherwise
  const f = flow('p2p-to-meeting-transfer');
  expect(applicableVariants(f).map((v) => variantOf(v)!.kind)).toEqual(DEFAULT_VARIANT_KINDS.filter((k) => applyVariant(f, k)));
  expect(applicableVariants(f).map((v) => variantOf(v)!.kind)).not.toContain('pascal-case-enums');
  expect(applicableVariants(f, parseVariantKinds('all,pascal-case-enums')).map((v) => variantOf(v)!.kind)).toContain('pascal-case-enums');
});

/** The v1.0 flows among the shipped ones. */
const v1Flows = [...shipped.values()].filter((f): f is CompiledFlow => !(f instanceof Error) && f.api === 'v1.0');

test('which variants apply to which shipped flow', () => {
  const applies = (name: string) => VARIANT_KINDS.filter((k) => applyVariant(flow(name), k) !== undefined);
  const allBut = (...not: VariantKind[]) => VARIANT_KINDS.filter((k) => !not.includes(k));
  // beta /app flows in the 2019 shape (resource only): nothing for either resource variant to do
  expect(applies('p2p-to-meeting-transfer')).toEqual(allBut('legacy-resource-only', 'resource-url-only'));
  expect(applies('answer-incoming-call')).toEqual(allBut('legacy-resource-only', 'resource-url-only'));
  // no establishing/established pair
  expect(applies('invite-participants')).toEqual(allBut('established-before-establishing', 'legacy-resource-only', 'resource-url-only'));
  // its ids are the call paths, already upper-case hex
  expect(applies('join-meeting-without-media')).toEqual(allBut('upper-case-ids', 'legacy-resource-only', 'resource-url-only'));
  // v1.0 flows: resource-url-only drops the twin; never legacy-resource-only
  expect(applies('p2p-to-meeting-transfer-v1')).toEqual(allBut('legacy-resource-only'));
  expect(v1Flows.length).toBeGreaterThanOrEqual(15);
  for (const f of v1Flows) {
    expect(applyVariant(f, 'legacy-resource-only'), f.name).toBeUndefined();
    expect(applyVariant(f, 'resource-url-only'), f.name).toBeDefined();
  }
});

test('every v1.0 flow carries resource and resourceUrl on every notification item, as real notifications do', () => {
  for (const f of v1Flows) {
    const scope = scopeFor(f);
    for (const step of notifies(f)) {
      for (const item of itemsOf(step, scope)) {
        // captured-notifications/*.json: resource /app/calls/{id}..., resourceUrl /communications/calls/{id}..., same id
        expect(item.resource, `${f.name}: ${step.name}`).toMatch(/^\/app\/calls\/[0-9A-F]{32}(\/|$)/);
        expect(item.resourceUrl, `${f.name}: ${step.name}`).toBe(item.resource!.replace(/^\/app\//, '/communications/'));
      }
    }
  }
});

test('a variant is a new flow named <flow>~<kind>, re-indexed, and leaves its input unchanged', () => {
  for (const [name, f] of shipped) {
    if (f instanceof Error) continue;
    const scope = scopeFor(f, { inviteContext: randomUUID() });
    const before = snapshot(f, scope);
    const stepsBefore = [...f.steps];
    for (const v of applicableVariants(f, VARIANT_KINDS)) {
      const kind = variantOf(v)!.kind;
      expect(v.name).toBe(`${name}~${kind}`);
      expect(variantOf(v)).toEqual({ kind, of: name });
      expect(v.steps.map((s) => s.index)).toEqual(v.steps.map((_, i) => i));
      for (const s of v.steps) {
        expect(f.steps).not.toContain(s); // new step objects
        if (s.kind === 'unordered') for (const e of s.expects) expect(e.index).toBe(s.index);
        // pointers name a step of the flow file
        expect(f.steps.some((src) => s.pointer === src.pointer || s.pointer.startsWith(`${src.pointer}/`))).toBe(true);
      }
      for (const s of notifies(v)) s.body(scope); // renders
    }
    expect(f.steps).toEqual(stepsBefore);
    expect(snapshot(f, scope)).toEqual(before);
  }
});

test('duplicate-delivery: a copy of every notification after the bot reacted to it', () => {
  const f = flow('p2p-to-meeting-transfer');
  const v = variant(f, 'duplicate-delivery');
  expect(v.steps.map((s) => s.name)).toEqual([
    'incoming call',
    'answer',
    'incoming call (again)',
    'p2p call establishing',
    'p2p call establishing (again)',
    'p2p call established',
    'join meeting without media',
    'p2p call established (again)',
    'meeting call establishing',
    'meeting call establishing (again)',
    'meeting call established',
    'invite the caller into the meeting',
    'meeting call established (again)',
    'invite operation completed',
    'invite operation completed (again)',
    'meeting roster updated with the caller',
    'meeting roster updated with the caller (again)',
    'p2p call terminated',
    'p2p call terminated (again)',
    'p2p call deleted',
    'p2p call deleted (again)',
  ]);
  const scope = scopeFor(f, { inviteContext: randomUUID() });
  for (const copy of notifies(v).filter((s) => s.name.endsWith(' (again)'))) {
    const source = stepNamed(v, copy.name.replace(/ \(again\)$/, ''));
    expect(copy.pointer).toBe(source.pointer);
    expect(copy.delayMs).toBe(0);
    expect(copy.body(scope)).toEqual(source.body(scope));
  }
  expect(stepNamed(v, 'meeting call establishing').delayMs).toBe(150);
});

test('established-before-establishing: established first, establishing late (after the reaction)', () => {
  const f = flow('p2p-to-meeting-transfer');
  const v = variant(f, 'established-before-establishing');
  expect(v.steps.map((s) => s.name)).toEqual([
    'incoming call',
    'answer',
    'p2p call established',
    'join meeting without media',
    'p2p call establishing (late)',
    'meeting call established',
    'invite the caller into the meeting',
    'meeting call establishing (late)',
    'invite operation completed',
    'meeting roster updated with the caller',
    'p2p call terminated',
    'p2p call deleted',
  ]);
  // delays stay in place: the meeting call's first notification still comes 150 ms after the join
  expect(stepNamed(v, 'meeting call established').delayMs).toBe(150);
  expect(stepNamed(v, 'meeting call establishing (late)').delayMs).toBe(0);
  const scope = scopeFor(f);
  expect(itemsOf(stepNamed(v, 'p2p call established'), scope)[0]!.resourceData!['state']).toBe('established');
  expect(itemsOf(stepNamed(v, 'p2p call establishing (late)'), scope)[0]!.resourceData!['state']).toBe('establishing');
  expect(stepNamed(v, 'p2p call establishing (late)').pointer).toBe(stepNamed(f, 'p2p call establishing').pointer);
  // where nothing reacts to established, the two are just swapped
  const a = variant(flow('answer-incoming-call'), 'established-before-establishing');
  expect(a.steps.map((s) => s.name)).toEqual(['incoming call', 'answer with service-hosted media', 'call established', 'call establishing (late)']);
});

test('batched: consecutive notifications to the same call become one POST, items in order', () => {
  const f = flow('p2p-to-meeting-transfer');
  const v = variant(f, 'batched');
  expect(v.steps.map((s) => s.name)).toEqual([
    'incoming call',
    'answer',
    'p2p call establishing + p2p call established',
    'join meeting without media',
    'meeting call establishing + meeting call established',
    'invite the caller into the meeting',
    'invite operation completed + meeting roster updated with the caller',
    'p2p call terminated + p2p call deleted',
  ]);
  const scope = scopeFor(f, { inviteContext: randomUUID() });
  const hex = (name: string) => String(scope.get(name)).replace(/-/g, '').toUpperCase();
  const p2p = itemsOf(stepNamed(v, 'p2p call establishing + p2p call established'), scope);
  expect(p2p.map((i) => i.resourceData!['state'])).toEqual(['establishing', 'established']);
  expect(p2p.map((i) => i.resource)).toEqual([`/app/calls/${hex('p2pCall')}`, `/app/calls/${hex('p2pCall')}`]);
  const meeting = stepNamed(v, 'meeting call establishing + meeting call established');
  expect(meeting.delayMs).toBe(150); // the first one's delay
  expect(meeting.pointer).toBe(stepNamed(f, 'meeting call establishing').pointer);
  const late = itemsOf(stepNamed(v, 'invite operation completed + meeting roster updated with the caller'), scope);
  expect(late.map((i) => i.resource)).toEqual([`/app/calls/${hex('meetingCall')}/operations/${hex('inviteOperation')}`, `/app/calls/${hex('meetingCall')}/participants`]);
  expect(late[0]!.resourceData!['clientContext']).toBe(scope.get('inviteContext'));
  const end = itemsOf(stepNamed(v, 'p2p call terminated + p2p call deleted'), scope);
  expect(end.map((i) => i.changeType)).toEqual(['updated', 'deleted']);
});

test('batched does not merge notifications about different calls or to different targets', () => {
  const f = parseFlow(
    `callreplay: 1
name: two-calls
description: two calls
ids: [a, b]
steps:
  - notify: { name: a established, body: { value: [ { changeType: updated, resource: '/app/calls/\${a:hex}', resourceData: { state: established } } ] } }
  - notify: { name: b established, body: { value: [ { changeType: updated, resource: '/app/calls/\${b:hex}', resourceData: { state: established } } ] } }
  - notify: { name: a again, to: webhook, body: { value: [ { changeType: updated, resource: '/app/calls/\${a:hex}', resourceData: { state: established } } ] } }
  - notify: { name: a terminated, body: { value: [ { changeType: updated, resource: '/app/calls/\${a:hex}', resourceData: { state: terminated } } ] } }
`,
    'two-calls.yaml',
  );
  expect(applyVariant(f, 'batched')).toBeUndefined();

  // the same call and target: merged, keeping the first body's other properties
  const g = parseFlow(
    `callreplay: 1
name: one-call
description: one call
ids: [a]
steps:
  - notify: { name: first, delay: 20, body: { '@odata.type': '#microsoft.graph.commsNotifications', value: [ { resource: '/app/calls/\${a:hex}', resourceData: { state: establishing } } ] } }
  - notify: { name: second, body: { value: [ { resource: '/app/calls/\${a:hex}', resourceData: { state: established } }, { resource: '/app/calls/\${a:hex}/participants', resourceData: [] } ] } }
`,
    'one-call.yaml',
  );
  const merged = variant(g, 'batched');
  expect(merged.steps).toHaveLength(1);
  const step = merged.steps[0] as CompiledNotify;
  expect(step).toMatchObject({ name: 'first + second', delayMs: 20, index: 0, pointer: '/steps/0/notify' });
  const body = step.body(scopeFor(g)) as { '@odata.type': string; value: Item[] };
  expect(body['@odata.type']).toBe('#microsoft.graph.commsNotifications');
  expect(body.value.map((i) => [i.resource?.replace(/[0-9A-F]{32}/, '{a}'), Array.isArray(i.resourceData) ? 'roster' : i.resourceData!['state']])).toEqual([
    ['/app/calls/{a}', 'establishing'],
    ['/app/calls/{a}', 'established'],
    ['/app/calls/{a}/participants', 'roster'],
  ]);
});

test('upper-case-ids: ids upper-case without hyphens in the id fields and both resource twins; clientContext, URLs and tokens untouched', () => {
  const f = flow('p2p-to-meeting-transfer-v1');
  const v = variant(f, 'upper-case-ids');
  const inviteContext = randomUUID();
  const scope = scopeFor(f, { inviteContext });
  const hex = (name: string) => String(scope.get(name)).replace(/-/g, '').toUpperCase();
  const [incoming] = itemsOf(stepNamed(v, 'incoming call'), scope);
  const call = incoming!.resourceData as unknown as {
    tenantId: string;
    source: { identity: { user: { id: string; tenantId: string; displayName: string } } };
    targets: Array<{ identity: { application: { id: string } } }>;
    '@odata.etag': string;
  };
  expect(incoming!.resource).toBe(`/app/calls/${hex('p2pCall')}`);
  expect(incoming!.resourceUrl).toBe(`/communications/calls/${hex('p2pCall')}`);
  expect(call.tenantId).toBe(hex('tenant'));
  expect(call.source.identity.user.id).toBe(hex('caller'));
  expect(call.source.identity.user.tenantId).toBe(hex('tenant'));
  expect(call.targets[0]!.identity.application.id).toBe('3B5C2F5E8A0D4C439D3E0C6F4F1A9B27');
  expect(call.source.identity.user.displayName).toBe('Test User'); // other strings untouched
  expect(call['@odata.etag']).toBe('W/"5445"');
  // Graph echoes clientContext verbatim (v1.0_api_call-playprompt.md:71, :122, :156): a GUID keeps its spelling
  const [done] = itemsOf(stepNamed(v, 'invite operation completed'), scope);
  expect(done!.resourceData!['clientContext']).toBe(inviteContext);
  expect(done!.resourceUrl).toBe(`/communications/calls/${hex('meetingCall')}/operations/${hex('inviteOperation')}`);
  // the plain flow writes identity ids with hyphens
  const [plain] = itemsOf(stepNamed(f, 'incoming call'), scope);
  expect((plain!.resourceData as unknown as typeof call).source.identity.user.id).toMatch(HYPHEN_ID);

  // every id field named, at any depth; a URL, a token, a thread id and clientContext keep their spelling
  const other = parseFlow(
    `callreplay: 1
name: ids
description: id fields and other strings
ids: [call, op, chain, me, participant, replaced, recording, token, context, thread]
steps:
  - notify:
      name: done
      body:
        value:
          - resource: '/app/calls/\${call}/operations/\${op}'
            resourceUrl: '/communications/calls/\${call}/operations/\${op}'
            resourceData:
              '@odata.id': '/communications/calls/\${call}/operations/\${op}'
              id: '\${op}'
              callChainId: '\${chain}'
              myParticipantId: '\${me}'
              participants: [ { participantId: '\${participant}', replacesCallId: '\${replaced}' } ]
              recordingLocation: '\${graph}/v1.0/communications/calls/\${call}/recordings/\${recording}'
              recordingAccessToken: '\${token}'
              clientContext: '\${context}'
              chatInfo: { threadId: '19:meeting_\${thread}@thread.v2' }
`,
    'ids.yaml',
  );
  const os = scopeFor(other);
  const oh = (name: string) => String(os.get(name)).replace(/-/g, '').toUpperCase();
  const [item] = itemsOf(variant(other, 'upper-case-ids').steps[0] as CompiledNotify, os);
  expect(item).toEqual({
    resource: `/app/calls/${oh('call')}/operations/${oh('op')}`,
    resourceUrl: `/communications/calls/${oh('call')}/operations/${oh('op')}`,
    resourceData: {
      '@odata.id': `/communications/calls/${oh('call')}/operations/${oh('op')}`,
      id: oh('op'),
      callChainId: oh('chain'),
      myParticipantId: oh('me'),
      participants: [{ participantId: oh('participant'), replacesCallId: oh('replaced') }],
      recordingLocation: `http://127.0.0.1:5870/v1.0/communications/calls/${os.get('call')}/recordings/${os.get('recording')}`,
      recordingAccessToken: os.get('token'),
      clientContext: os.get('context'),
      chatInfo: { threadId: `19:meeting_${os.get('thread')}@thread.v2` },
    },
  });
});

test('pascal-case-enums: enum values PascalCase, @odata.type and other strings untouched', () => {
  const f = flow('p2p-to-meeting-transfer');
  const v = variant(f, 'pascal-case-enums');
  const scope = scopeFor(f, { inviteContext: 'context-1' });
  const [incoming] = itemsOf(stepNamed(v, 'incoming call'), scope);
  expect(incoming!.changeType).toBe('Created');
  expect(incoming!.resourceData!['state']).toBe('Incoming');
  expect(incoming!.resourceData!['direction']).toBe('Incoming');
  expect(incoming!.resourceData!['requestedModalities']).toEqual(['Audio', 'Video']);
  expect(incoming!.resourceData!['@odata.type']).toBe('#microsoft.graph.call');
  expect((incoming!.resourceData!['source'] as { identity: { user: { displayName: string } } }).identity.user.displayName).toBe('Test User');
  expect(itemsOf(stepNamed(v, 'p2p call established'), scope)[0]!.resourceData!['state']).toBe('Established');
  const [done] = itemsOf(stepNamed(v, 'invite operation completed'), scope);
  expect(done!.changeType).toBe('Deleted');
  expect(done!.resourceData!['status']).toBe('Completed');
  expect(done!.resourceData!['clientContext']).toBe('context-1');
  const [roster] = itemsOf(stepNamed(v, 'meeting roster updated with the caller'), scope);
  const streams = (roster!.resourceData as unknown as Array<{ mediaStreams: Array<{ mediaType: string; direction: string; label: string }> }>)[0]!.mediaStreams;
  expect(streams[0]).toMatchObject({ mediaType: 'Audio', direction: 'SendReceive', label: 'main-audio' });
  expect(itemsOf(stepNamed(v, 'p2p call terminated'), scope)[0]!.resourceData!['terminationReason']).toBe('AppInitiated');
});

/** p2p-to-meeting-transfer (beta /app) with each item's resourceUrl twin added, as current Graph sends them. */
function betaTwinFlow(stepTimeoutMs?: number): CompiledFlow {
  const f = flow('p2p-to-meeting-transfer');
  const text = readFileSync(f.file, 'utf8')
    .replace(/^name: p2p-to-meeting-transfer$/m, 'name: p2p-to-meeting-transfer-twins')
    .replace(/^(\s+)resource: \/app(\/calls\/\S+)$/gm, '$1resource: /app$2\n$1resourceUrl: /communications$2');
  const twins = parseFlow(text, f.file);
  if (stepTimeoutMs !== undefined) for (const s of twins.steps) s.timeoutMs = stepTimeoutMs;
  return twins;
}

test('resource-url-only: resourceUrl /communications/... alone, where the v1.0 twin pair is; not on 2019-shape flows', () => {
  const v1 = flow('p2p-to-meeting-transfer-v1');
  const scope = scopeFor(v1, { inviteContext: 'c' });
  const hex = (name: string) => String(scope.get(name)).replace(/-/g, '').toUpperCase();
  const url = variant(v1, 'resource-url-only');
  for (const step of notifies(url)) {
    for (const item of itemsOf(step, scope)) {
      expect(item.resource).toBeUndefined();
      expect(item.resourceUrl).toMatch(/^\/communications\/calls\/[0-9A-F]{32}(\/|$)/);
    }
  }
  const [op] = itemsOf(stepNamed(url, 'invite operation completed'), scope);
  expect(op!.resourceUrl).toBe(`/communications/calls/${hex('meetingCall')}/operations/${hex('inviteOperation')}`);
  expect(Object.keys(op!)).toEqual(['@odata.type', 'changeType', 'resourceUrl', 'resourceData']); // in resource's place
  // a beta twin flow gets the same shape: the v1.0 docs' one
  const twins = betaTwinFlow();
  const [first] = itemsOf(notifies(variant(twins, 'resource-url-only'))[0]!, scope);
  expect(first).toMatchObject({ resourceUrl: `/communications/calls/${hex('p2pCall')}` });
  expect(first!.resource).toBeUndefined();
  // a resourceUrl on /app (never seen from Graph) becomes /communications
  const odd = parseFlow(
    `callreplay: 1\nname: odd\ndescription: odd\nids: [a]\nsteps:\n  - notify: { name: n, body: { value: [ { resourceUrl: '/app/calls/\${a:hex}/participants', resource: '/app/calls/\${a:hex}/participants' } ] } }\n`,
    'odd.yaml',
  );
  const os = scopeFor(odd);
  expect(itemsOf(variant(odd, 'resource-url-only').steps[0] as CompiledNotify, os)).toEqual([
    { resourceUrl: `/communications/calls/${String(os.get('a')).replace(/-/g, '').toUpperCase()}/participants` },
  ]);
  // the 2019 shape (resource only, beta /app requests): nothing to convert
  expect(applyVariant(flow('p2p-to-meeting-transfer'), 'resource-url-only')).toBeUndefined();
});

test('legacy-resource-only: the 2019 shape (resource /app/... alone) on beta /app flows only, never on v1.0', () => {
  const twins = betaTwinFlow();
  const scope = scopeFor(twins, { inviteContext: 'c' });
  const hex = (name: string) => String(scope.get(name)).replace(/-/g, '').toUpperCase();
  const legacy = variant(twins, 'legacy-resource-only');
  for (const step of notifies(legacy)) {
    for (const item of itemsOf(step, scope)) {
      expect(item.resourceUrl).toBeUndefined();
      expect(item.resource).toMatch(/^\/app\/calls\/[0-9A-F]{32}(\/|$)/);
    }
  }
  const [roster] = itemsOf(stepNamed(legacy, 'meeting roster updated with the caller'), scope);
  expect(roster!.resource).toBe(`/app/calls/${hex('meetingCall')}/participants`);
  // the shipped beta flows already have that shape
  expect(applyVariant(flow('p2p-to-meeting-transfer'), 'legacy-resource-only')).toBeUndefined();
  // v1.0: resourceUrl is never dropped (v1.0-Prod.csdl: Nullable="false"; every capture has it), whether the flow says api: v1.0 ...
  for (const f of v1Flows) expect(applyVariant(f, 'legacy-resource-only'), f.name).toBeUndefined();
  // ... or only its requests are on /v1.0 (no api)
  const noApi = parseFlow(
    `callreplay: 1
name: no-api
description: v1.0 requests, no api
ids: [a]
steps:
  - notify: { name: n, body: { value: [ { resource: '/app/calls/\${a:hex}', resourceUrl: '/communications/calls/\${a:hex}', resourceData: { state: incoming } } ] } }
  - expect: { name: answer, method: POST, path: '/v1.0/communications/calls/\${a}/answer' }
`,
    'no-api.yaml',
  );
  expect(noApi.api).toBeUndefined();
  expect(applyVariant(noApi, 'legacy-resource-only')).toBeUndefined();
  // the same flow answering on beta /app: the 2019 shape applies
  const onBetaApp = parseFlow(
    `callreplay: 1
name: beta-app
description: beta /app requests, no api
ids: [a]
steps:
  - notify: { name: n, body: { value: [ { resource: '/communications/calls/\${a:hex}', resourceUrl: '/communications/calls/\${a:hex}', resourceData: { state: incoming } } ] } }
  - expect: { name: answer, method: POST, path: '/beta/app/calls/\${a}/answer' }
`,
    'beta-app.yaml',
  );
  const bs = scopeFor(onBetaApp);
  expect(itemsOf(variant(onBetaApp, 'legacy-resource-only').steps[0] as CompiledNotify, bs)).toEqual([
    { resource: `/app/calls/${String(bs.get('a')).replace(/-/g, '').toUpperCase()}`, resourceData: { state: 'incoming' } },
  ]);
});

test('unknown-properties: extra properties on every item and its resourceData, nothing else changed', () => {
  const f = flow('p2p-to-meeting-transfer');
  const v = variant(f, 'unknown-properties');
  const scope = scopeFor(f, { inviteContext: 'c' });
  for (const step of notifies(v)) {
    const plain = itemsOf(stepNamed(f, step.name), scope);
    const items = itemsOf(step, scope);
    expect(items).toHaveLength(plain.length);
    items.forEach((item, i) => {
      expect(item).toMatchObject({ callreplayFutureProperty: expect.any(Object), '@callreplay.annotation': 'noise' });
      expect(item.changeType).toBe(plain[i]!.changeType);
      expect(item.resource).toBe(plain[i]!.resource);
      const data = item.resourceData!;
      for (const d of Array.isArray(data) ? data : [data]) {
        expect(d['callreplayFutureProperty']).toBeDefined();
        expect(d['@odata.type']).toMatch(/^#microsoft\.graph\./);
        expect(d['@odata.etag']).toMatch(/^W\/"\d+"$/); // the flow's own etag is kept
      }
    });
  }
});

test('empty-value: {"value": []} before the first notification', () => {
  const f = flow('p2p-to-meeting-transfer');
  const v = variant(f, 'empty-value');
  expect(v.steps.map((s) => s.name).slice(0, 3)).toEqual(['empty notification (value: [])', 'incoming call', 'answer']);
  expect(v.steps).toHaveLength(f.steps.length + 1);
  const empty = v.steps[0] as CompiledNotify;
  expect(empty.body(scopeFor(f))).toEqual({ value: [] });
  expect(empty.pointer).toBe(f.steps[0]!.pointer);
  // a flow that starts with a trigger: right before its first notification
  const j = variant(flow('join-meeting-without-media'), 'empty-value');
  expect(j.steps.map((s) => s.name)).toEqual(['ask the bot to join the meeting', 'join meeting without media', 'empty notification (value: [])', 'meeting call establishing', 'meeting call established']);
});

test('steps inside unordered groups are re-indexed with their group', () => {
  const f = parseFlow(
    `callreplay: 1
name: with-group
description: an unordered group after a notification
ids: [call]
steps:
  - notify: { name: established, body: { value: [ { changeType: updated, resource: '/app/calls/\${call:hex}', resourceData: { state: established } } ] } }
  - unordered:
      name: media setup
      steps:
        - expect: { name: subscribe, method: POST, path: '/beta/app/calls/\${call}/subscribeToTone' }
        - expect: { name: prompt, method: POST, path: '/beta/app/calls/\${call}/playPrompt' }
  - notify: { name: tone, body: { value: [ { changeType: updated, resource: '/app/calls/\${call:hex}', resourceData: { state: established, toneInfo: { tone: tone1 } } } ] } }
`,
    'with-group.yaml',
  );
  const v = variant(f, 'duplicate-delivery');
  expect(v.steps.map((s) => `${s.index} ${s.kind} ${s.name}`)).toEqual(['0 notify established', '1 unordered media setup', '2 notify established (again)', '3 notify tone', '4 notify tone (again)']);
  const group = v.steps[1]!;
  expect(group.kind === 'unordered' && group.expects.map((e) => e.index)).toEqual([1, 1]);
  expect(f.steps[1]!.kind === 'unordered' && f.steps[1]!.expects.map((e) => e.index)).toEqual([1, 1]);
  const e = variant(f, 'empty-value');
  expect(e.steps[2]!.kind === 'unordered' && e.steps[2]!.expects.map((x) => x.index)).toEqual([2, 2]);
});

test('variants that need a notification do not apply to a flow without one', () => {
  const f = parseFlow(
    `callreplay: 1
name: trigger-only
description: no notification
ids: [call]
steps:
  - trigger: { name: join, method: POST, path: /api/join-meeting }
  - expect: { name: create, method: POST, path: /beta/app/calls, respond: { status: 201, headers: { Location: '\${graph}/beta/app/calls/\${call}' } } }
`,
    'trigger-only.yaml',
  );
  expect(VARIANT_KINDS.filter((k) => applyVariant(f, k) !== undefined)).toEqual([]);
});

// ------------------------------------------------------------------ observers (unit)

interface FakeRun {
  ctx: ObserverContext;
  reports: Finding[];
  feed(entry: Partial<TranscriptEntry> & Pick<TranscriptEntry, 'kind'>): void;
}

function fakeRun(observer: RunObserver, f: CompiledFlow, values: Record<string, unknown> = {}): FakeRun {
  const reports: Finding[] = [];
  let seq = 0;
  const ctx: ObserverContext = {
    flow: f,
    currentStep: () => 1,
    stepOf: (entry) => (entry.step !== undefined ? entry.step + 1 : 1),
    report: (finding) => reports.push(finding),
    describe: (v) => JSON.stringify(v),
    describePath: (p) => p,
    valueOf: (name) => values[name],
  };
  return {
    ctx,
    reports,
    feed: (e) => observer.onEntry({ seq: seq++, at: seq, from: 'bot', to: 'graph', label: '', ...e }, ctx),
  };
}

test('duplicateActionObserver reports a repeated POST action, naming it and the notification before it', () => {
  const f = flow('p2p-to-meeting-transfer');
  const run = fakeRun(duplicateActionObserver(), f);
  run.feed({ kind: 'notification', step: 6, label: 'meetingCall established' });
  run.feed({ kind: 'request', method: 'POST', url: '/beta/app/calls/ABC/participants/invite' });
  run.feed({ kind: 'request', method: 'GET', url: '/beta/app/calls/ABC' });
  run.feed({ kind: 'request', method: 'GET', url: '/beta/app/calls/ABC' }); // GETs may repeat
  run.feed({ kind: 'request', method: 'POST', url: '/beta/app/calls/ABC/keepAlive' });
  run.feed({ kind: 'request', method: 'POST', url: '/beta/app/calls/ABC/keepAlive' }); // keepAlive may repeat
  run.feed({ kind: 'request', method: 'POST', url: '/beta/app/calls/DEF/participants/invite' }); // another call
  expect(run.reports).toEqual([]);
  run.feed({ kind: 'notification', step: 8, label: 'meetingCall operation completed' });
  // the same action again, spelled differently (case, /communications, namespace)
  run.feed({ kind: 'request', method: 'POST', url: '/beta/communications/calls/abc/participants/microsoft.graph.invite', body: { x: 1 } });
  expect(run.reports).toHaveLength(1);
  const r = run.reports[0]!;
  expect(r).toMatchObject({ kind: 'unexpected', severity: 'error', rule: 'variant/duplicate-action', step: 9, stepName: 'invite operation completed' });
  expect(r.message).toBe(
    'the bot sent POST /beta/communications/calls/abc/participants/microsoft.graph.invite (participants/invite) twice: first after notification "meeting call established" (step 7), ' +
      'again after notification "invite operation completed" (step 9); an action must be done once, even when Graph delivers a notification twice or out of order',
  );
  expect(r.received).toEqual({ method: 'POST', url: '/beta/communications/calls/abc/participants/microsoft.graph.invite', body: { x: 1 } });
});

test('duplicateActionObserver allows as many as the flow lists, and configurable repeatable actions', () => {
  const f = parseFlow(
    `callreplay: 1
name: two-prompts
description: two prompts
ids: [call]
steps:
  - expect: { name: prompt 1, method: POST, path: '/v1.0/communications/calls/\${call}/playPrompt' }
  - expect: { name: prompt 2, method: POST, path: '/v1.0/communications/calls/\${call}/playPrompt' }
`,
    'two-prompts.yaml',
  );
  const call = randomUUID();
  const run = fakeRun(duplicateActionObserver(), f, { call });
  for (let i = 0; i < 2; i++) run.feed({ kind: 'request', method: 'POST', url: `/v1.0/communications/calls/${call}/playPrompt` });
  expect(run.reports).toEqual([]);
  run.feed({ kind: 'request', method: 'POST', url: `/v1.0/communications/calls/${call}/playPrompt` });
  expect(run.reports.map((r) => r.message)).toEqual([expect.stringContaining('(playPrompt) 3 times: first after no notification')]);

  const lenient = fakeRun(duplicateActionObserver({ repeatable: ['playPrompt'] }), f, { call });
  for (let i = 0; i < 5; i++) lenient.feed({ kind: 'request', method: 'POST', url: `/v1.0/communications/calls/${call}/playPrompt` });
  expect(lenient.reports).toEqual([]);
});

test('ackLatencyObserver warns about a slow ack; ackLatencySummary gives count, p50, p95, max', () => {
  const f = flow('p2p-to-meeting-transfer');
  const run = fakeRun(ackLatencyObserver(100), f);
  run.feed({ kind: 'ack', step: 0, status: 202, latencyMs: 12 });
  run.feed({ kind: 'trigger-response', step: 0, status: 200, latencyMs: 900 }); // not a notification
  run.feed({ kind: 'ack', step: 2, status: 202, latencyMs: 250.04 });
  expect(run.reports).toEqual([
    {
      kind: 'bad-ack',
      severity: 'warning',
      rule: 'variant/ack-latency',
      step: 3,
      stepName: 'p2p call establishing',
      message: 'the bot took 250 ms to acknowledge the notification "p2p call establishing" (threshold 100 ms): answer 2xx at once and process the notification afterwards',
    },
  ]);
  expect(() => ackLatencyObserver(-1)).toThrow(/threshold/);

  const entries = [5, 1, 4, 2, 3, 100, 6, 7, 8, 9].map((latencyMs, seq) => ({ seq, at: seq, from: 'bot', to: 'graph', kind: 'ack', latencyMs, label: '202' }) as TranscriptEntry);
  entries.push({ seq: 99, at: 99, from: 'bot', to: 'graph', kind: 'trigger-response', latencyMs: 5000, label: '200' });
  expect(ackLatencySummary({ entries })).toEqual({ count: 10, p50: 5, p95: 100, max: 100 });
  expect(ackLatencySummary({ entries: [] })).toEqual({ count: 0, p50: 0, p95: 0, max: 0 });
});

// ------------------------------------------------------------------ the reference bot passes every variant


for (const [name, f] of shipped) {
  if (f instanceof Error) {
    test(`shipped flow ${name} loads`, () => {
      throw f;
    });
    continue;
  }
  // one test per flow; its variants run at the same time (fresh ids per run, one bot each)
  test(`the reference bot passes every applicable variant of ${name}`, async ({ harness }) => {
    const kinds = VARIANT_KINDS.filter((k) => applyVariant(f, k) !== undefined);
    expect(kinds.length).toBeGreaterThan(0);
    const results = await Promise.all(
      kinds.map(async (kind) => {
        const [outcome] = await runAll(harness, [variant(flow(name, 2000), kind)], (env) => new ReferenceBot(configFromEnv(env)));
        const o = outcome!;
        const notifications = o.transcript.entries.filter((e) => e.kind === 'notification').length;
        const problems = [...o.findings, ...o.warnings].map(formatFinding);
        // every notification POST was acknowledged (with 2xx: a non-2xx ack is a finding)
        if (o.status === 'passed' && ackLatencySummary(o.transcript).count !== notifications) problems.push('a notification was not acknowledged');
        return { kind, problems };
      }),
    );
    const failed = results.filter((r) => r.problems.length > 0).map((r) => `${name}~${r.kind}:\n${r.problems.join('\n')}`);
    expect(failed.join('\n\n'), 'variants the reference bot fails').toBe('');
  });
}

// ------------------------------------------------------------------ bots real Graph does not fail

/** Problems of an outcome: findings, warnings, an unacknowledged notification. */
function problemsOf(o: FlowOutcome): string[] {
  const problems = [...o.findings, ...o.warnings].map(formatFinding);
  const notifications = o.transcript.entries.filter((e) => e.kind === 'notification').length;
  if (o.status === 'passed' && ackLatencySummary(o.transcript).count !== notifications) problems.push('a notification was not acknowledged');
  return problems;
}

for (const name of ['p2p-to-meeting-transfer-v1', 'ivr-play-prompt-and-tones']) {
  test(`a v1.0 bot that reads only resourceUrl passes ${name} and every default variant of it`, async ({ harness }) => {
    const base = flow(name, 2000);
    const kinds = DEFAULT_VARIANT_KINDS.filter((k) => applyVariant(base, k) !== undefined);
    expect(kinds).toContain('resource-url-only');
    expect(kinds).toContain('upper-case-ids');
    const runs = [base, ...kinds.map((k) => variant(flow(name, 2000), k))];
    const results = await Promise.all(runs.map(async (f) => ({ name: f.name, problems: problemsOf((await runAll(harness, [f], makeBot(ResourceUrlOnlyBot)))[0]!) })));
    expect(results.filter((r) => r.problems.length > 0).map((r) => `${r.name}:\n${r.problems.join('\n')}`).join('\n\n')).toBe('');
    expect(results.map((r) => r.name)).toEqual([name, ...kinds.map((k) => `${name}~${k}`)]);
  });
}

test('a bot that correlates operations by the exact clientContext passes upper-case-ids, and would fail if clientContext were rewritten', async ({ harness }) => {
  const name = 'ivr-play-prompt-and-tones';
  const plain = flow(name, 1000);
  const upper = variant(flow(name, 1000), 'upper-case-ids');
  // the old rewrite: the clientContext GUIDs upper-cased as well
  const rewritten = variant(flow(name, 1000), 'upper-case-ids');
  rewritten.steps = rewritten.steps.map((s) => {
    if (s.kind !== 'notify') return s;
    const render = s.body;
    const body = (scope: Parameters<typeof render>[0]) =>
      JSON.parse(JSON.stringify(render(scope)).replace(/("clientContext":")([^"]+)"/g, (_m, k: string, v: string) => `${k}${v.replace(/-/g, '').toUpperCase()}"`));
    return { ...s, body };
  });
  const [p, u, r] = await runAll(harness, [plain, upper, rewritten], makeBot(ExactClientContextBot));
  expect(describeOutcome(p!)).toBe('passed');
  expect(describeOutcome(u!)).toBe('passed');
  // the test's bot really depends on the spelling: it never goes on from the menu prompt
  expect(r!.status).toBe('failed');
  expect(r!.findings[0]).toMatchObject({ kind: 'missing', stepName: 'subscribe to tones' });
});

test('callreplay run: an opt-in variant does not run under --variants all, and runs when named', async () => {
  test.setTimeout(120_000);
  const { dir, cleanup } = tempDir();
  try {
    const variantsRun = async (spec: string): Promise<string[]> => {
      const r = await callreplay(['run', 'reject-incoming-call', '--variants', spec, '--no-auth-check', '--report-dir', dir]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { flows: Array<{ mode?: string; variant?: string; status: string }> };
      return results.flows.filter((f) => f.mode === 'variant').map((f) => `${f.variant} ${f.status}`);
    };
    const all = await variantsRun('all');
    expect(all).toEqual(DEFAULT_VARIANT_KINDS.filter((k) => applyVariant(flow('reject-incoming-call'), k)).map((k) => `${k} passed`));
    expect(all.join()).not.toMatch(/pascal-case-enums|empty-value/);
    expect(await variantsRun('all,pascal-case-enums')).toEqual([...all, 'pascal-case-enums passed']);
  } finally {
    cleanup();
  }
});

// ------------------------------------------------------------------ one defective bot per kind

interface DefectCase {
  kind: string;
  rule?: string;
  step?: string;
  message: RegExp;
}

const defectCases: Record<VariantKind, DefectCase> = {
  'duplicate-delivery': {
    // the flow's own matching names the repeat first (the duplicate-action observer says the same in ignore-mode flows)
    kind: 'unexpected',
    message: /POST \/beta\/app\/calls was sent again: the flow lists it once \(step \d+, join meeting without media\); a bot must act once even when Graph delivers a notification twice/,
  },
  'established-before-establishing': {
    kind: 'missing',
    step: 'join meeting without media',
    message: /the bot never sent POST \/beta\/app\/calls \(waited 1000 ms; last sent: step 3, p2p call established\)/,
  },
  batched: {
    kind: 'missing',
    step: 'join meeting without media',
    message: /the bot never sent POST \/beta\/app\/calls \(waited 1000 ms; last sent: step 3, p2p call establishing \+ p2p call established\)/,
  },
  'upper-case-ids': {
    kind: 'missing',
    step: 'answer',
    message: /the bot never sent POST \/beta\/app\/calls\/\{p2pCall\}\/answer \(waited 1000 ms; last sent: step 1, incoming call\)/,
  },
  'pascal-case-enums': {
    kind: 'missing',
    step: 'answer',
    message: /the bot never sent POST \/beta\/app\/calls\/\{p2pCall\}\/answer \(waited 1000 ms; last sent: step 1, incoming call\)/,
  },
  'legacy-resource-only': {
    kind: 'missing',
    step: 'answer',
    message: /the bot never sent POST \/beta\/app\/calls\/\{p2pCall\}\/answer \(waited 1000 ms; last sent: step 1, incoming call\)/,
  },
  'resource-url-only': {
    kind: 'missing',
    step: 'answer',
    message: /the bot never sent POST \/v1\.0\/communications\/calls\/\{p2pCall\}\/answer \(waited 1000 ms; last sent: step 1, incoming call\)/,
  },
  'unknown-properties': {
    kind: 'bad-ack',
    step: 'incoming call',
    message: /the bot answered the notification "incoming call" with HTTP 400: \{"error":"unknown property \\"callreplayFutureProperty\\" in value\[0\]"\} \(expected 2xx\)/,
  },
  'empty-value': {
    kind: 'bad-ack',
    step: 'empty notification (value: [])',
    message: /the bot answered the notification "empty notification \(value: \[\]\)" with HTTP 500: \{"error":"TypeError: Cannot read properties of undefined \(reading 'changeType'\)"\} \(expected 2xx\)/,
  },
};

/**
 * The bot and flow of each defect: tests/fixtures/variant-defects.ts, except the two resource
 * variants, whose bots keep to one API version (tests/fixtures/variant-bots.ts) and whose flows are
 * where the variant applies: a beta /app flow with both twins, the v1.0 flow.
 */
const defects: Record<VariantKind, { defect: string; flowName: string; flow: () => CompiledFlow; makeBot: (env: NodeJS.ProcessEnv) => ReferenceBot }> = Object.fromEntries(
  VARIANT_KINDS.map((kind) => {
    const d = variantDefects[kind];
    return [kind, { defect: d.defect, flowName: d.flow, flow: () => flow(d.flow, 1000), makeBot: makeBot(d.bot) }];
  }),
) as never;
defects['legacy-resource-only'] = {
  defect: 'reads the call only from resourceUrl',
  flowName: 'p2p-to-meeting-transfer with resourceUrl twins',
  flow: () => betaTwinFlow(1000),
  makeBot: makeBot(BetaResourceUrlOnlyBot),
};
defects['resource-url-only'] = {
  defect: 'reads the call only from the legacy resource',
  flowName: 'p2p-to-meeting-transfer-v1',
  flow: () => flow('p2p-to-meeting-transfer-v1', 1000),
  makeBot: makeBot(V1ResourceOnlyBot),
};

for (const kind of VARIANT_KINDS) {
  const d = defects[kind];
  const c = defectCases[kind];
  test(`a bot that ${d.defect} passes ${d.flowName} but fails its ${kind} variant (${c.kind})`, async ({ harness }) => {
    const plain = d.flow();
    const [plainOutcome, variantOutcome] = await runAll(harness, [plain, variant(plain, kind)], d.makeBot);
    expect(describeOutcome(plainOutcome!)).toBe('passed');
    expect(variantOutcome!.status).toBe('failed');
    expect(variantOutcome!.findings).toHaveLength(1);
    const f = variantOutcome!.findings[0]!;
    expect(formatFinding(f)).toMatch(c.message);
    expect(f.kind).toBe(c.kind);
    expect(f.rule).toBe(c.rule);
    if (c.step) expect(f.stepName).toBe(c.step);
  });
}
