// Passing a variant: the observers that define it, the reference bot against every applicable
// variant of every shipped flow, bots that real Graph does not fail passing the default variants,
// opt-in variants through the CLI, and one defective bot per kind that passes the plain flow but
// fails its variant for the reason named.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import type { ObserverContext, RunObserver } from '../harness/engine/flow-run.js';
import { formatFinding, type Finding } from '../harness/engine/findings.js';
import type { CompiledFlow } from '../harness/engine/plan.js';
import type { TranscriptEntry } from '../harness/engine/transcript.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { ackLatencyObserver, ackLatencySummary, duplicateActionObserver } from '../harness/variants/observers.js';
import { DEFAULT_VARIANT_KINDS, VARIANT_KINDS, applyVariant } from '../harness/variants/variants.js';
import { callreplay, tempDir } from './fixtures/cli.js';
import { BetaResourceUrlOnlyBot, ExactClientContextBot, makeBot, ResourceUrlOnlyBot, V1ResourceOnlyBot } from './fixtures/variant-bots.js';
import { variantDefects, type SpellingVariantKind } from './fixtures/variant-defects.js';
import { betaTwinFlow, describeOutcome, flow, problemsOf, runAll, shipped, test, variant } from './fixtures/variant-flows.js';

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
      const r = await callreplay(['run', 'reject-incoming-call', '--variants', spec, '--no-auth-check', '--no-refusal-checks', '--report-dir', dir]);
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

// the delivery kinds: tests/variant-delivery.spec.ts
const defectCases: Record<SpellingVariantKind, DefectCase> = {
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
const SPELLING_KINDS = Object.keys(defectCases) as SpellingVariantKind[];

const defects: Record<SpellingVariantKind, { defect: string; flowName: string; flow: () => CompiledFlow; makeBot: (env: NodeJS.ProcessEnv) => ReferenceBot }> = Object.fromEntries(
  SPELLING_KINDS.map((kind) => {
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

for (const kind of SPELLING_KINDS) {
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

