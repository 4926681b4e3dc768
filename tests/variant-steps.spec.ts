// Robustness variants that restructure a flow's notify steps (duplicate-delivery,
// established-before-establishing, batched, empty-value): where each puts what, and that a variant
// is a new flow, re-indexed, its input unchanged.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import type { CompiledNotify } from '../harness/engine/plan.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import { VARIANT_KINDS, applicableVariants, applyVariant, variantOf } from '../harness/variants/variants.js';
import { flow, itemsOf, notifies, scopeFor, shipped, snapshot, stepNamed, variant, type Item } from './fixtures/variant-flows.js';

test('a variant is a new flow named <flow>~<kind>, re-indexed, and leaves its input unchanged', () => {
  // problems are collected and asserted once: an expect() per step of every variant of every flow
  // (tens of thousands) cost Playwright half a minute of step bookkeeping
  const problems: string[] = [];
  let checked = 0;
  for (const [name, f] of shipped) {
    if (f instanceof Error) continue;
    const scope = scopeFor(f, { inviteContext: randomUUID() });
    const before = snapshot(f, scope);
    const stepsBefore = [...f.steps];
    for (const v of applicableVariants(f, VARIANT_KINDS)) {
      checked++;
      const kind = variantOf(v)!.kind;
      const problem = (what: string) => problems.push(`${v.name}: ${what}`);
      if (v.name !== `${name}~${kind}`) problem(`named ${v.name}`);
      const of = variantOf(v);
      if (of?.kind !== kind || of.of !== name || Object.keys(of).length !== 2) problem(`variantOf is ${JSON.stringify(of)}`);
      v.steps.forEach((s, i) => {
        if (s.index !== i) problem(`step ${i} has index ${s.index}`);
        if (f.steps.includes(s)) problem(`step ${i} is the flow's own step object`);
        if (s.kind === 'unordered') for (const e of s.expects) if (e.index !== s.index) problem(`step ${i}: an unordered member has index ${e.index}`);
        // pointers name a step of the flow file
        if (!f.steps.some((src) => s.pointer === src.pointer || s.pointer.startsWith(`${src.pointer}/`))) problem(`step ${i}'s pointer ${s.pointer} names no step of the flow file`);
      });
      for (const s of notifies(v)) s.body(scope); // renders
    }
    if (f.steps.length !== stepsBefore.length || f.steps.some((s, i) => s !== stepsBefore[i])) problems.push(`${name}: its steps changed`);
    expect(snapshot(f, scope), name).toEqual(before);
  }
  expect(problems).toEqual([]);
  expect(checked).toBeGreaterThan(300);
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
