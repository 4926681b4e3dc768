// Robustness variants (harness/variants): the table (what each does, its evidence, opt-in or not),
// --variants parsing, which variants apply to which shipped flow, and what the body-rewriting kinds
// (ids, enums, the resource twins, unknown properties) do to notifications. The restructuring kinds:
// variant-steps.spec.ts; bots run against variants: variant-runs.spec.ts.
import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import type { CompiledNotify } from '../harness/engine/plan.js';
import { parseFlow } from '../harness/flow/load-flow.js';
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
import { betaTwinFlow, flow, HYPHEN_ID, itemsOf, notifies, scopeFor, stepNamed, v1Flows, variant } from './fixtures/variant-flows.js';

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


test('which variants apply to which shipped flow', () => {
  const applies = (name: string) => VARIANT_KINDS.filter((k) => applyVariant(flow(name), k) !== undefined);
  const allBut = (...not: VariantKind[]) => VARIANT_KINDS.filter((k) => !not.includes(k));
  // no tone press, no intermediate state (hold, transferring, transferAccepted, redirecting, terminating)
  const noToneNoIntermediate = ['intermediate-states-skipped', 'tone-sequence-ids'] as const;
  // beta /app flows in the 2019 shape (resource only): nothing for either resource variant to do
  expect(applies('p2p-to-meeting-transfer')).toEqual(allBut('legacy-resource-only', 'resource-url-only', ...noToneNoIntermediate));
  // ... and the call never ends: no deleted
  expect(applies('answer-incoming-call')).toEqual(allBut('legacy-resource-only', 'resource-url-only', ...noToneNoIntermediate, 'deleted-odata-id-only'));
  // no establishing/established pair
  expect(applies('invite-participants')).toEqual(allBut('established-before-establishing', 'legacy-resource-only', 'resource-url-only', ...noToneNoIntermediate, 'deleted-odata-id-only'));
  // its ids are the call paths, already upper-case hex
  expect(applies('join-meeting-without-media')).toEqual(allBut('upper-case-ids', 'legacy-resource-only', 'resource-url-only', ...noToneNoIntermediate, 'deleted-odata-id-only'));
  // v1.0 flows: resource-url-only drops the twin; never legacy-resource-only
  expect(applies('p2p-to-meeting-transfer-v1')).toEqual(allBut('legacy-resource-only', ...noToneNoIntermediate));
  // one notification after each request: nothing overlaps, nothing to batch; the deleted already has the reject shape; never established
  expect(applies('reject-incoming-call')).toEqual(
    allBut('established-before-establishing', 'batched', 'legacy-resource-only', 'overlapping-delivery', ...noToneNoIntermediate, 'deleted-odata-id-only', 'media-state-updates'),
  );
  // every delivery variant applies to the IVR flow with tones and a hang-up
  expect(applies('bot-hang-up')).toEqual(allBut('legacy-resource-only'));
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

