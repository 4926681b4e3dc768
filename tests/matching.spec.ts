// Matching on meaning: ids, paths, legacy names, matchers and their explanations.
import { expect, test } from '@playwright/test';
import { canonicalBody, canonicalPath, pathShape } from '../harness/engine/canonical.js';
import { normalizeId, sameCall, sameId } from '../harness/engine/ids.js';
import { compileMatcher } from '../harness/flow/compile.js';
import { closestRequest } from '../harness/engine/near-miss.js';
import type { Mismatch } from '../harness/engine/findings.js';

const id = '57dab8b1-894c-409a-b240-bd8beae78896';

test('ids compare case-insensitively, with or without hyphens; a call reference also as a call path on Graph\'s origin', () => {
  expect(sameId(id, '57DAB8B1894C409AB240BD8BEAE78896')).toBe(true);
  expect(sameId(id, '57dab8b1-894c-409a-b240-bd8beae78897')).toBe(false);
  expect(normalizeId('{' + id + '}')).toBe('57dab8b1894c409ab240bd8beae78896');
  // a path is not an id: only where Graph takes a call reference (sameCall) does it name the call
  expect(sameId(id, '/app/calls/57DAB8B1894C409AB240BD8BEAE78896')).toBe(false);
  expect(sameCall(id, '/app/calls/57DAB8B1894C409AB240BD8BEAE78896')).toBe(true);
  expect(sameCall(id, '/communications/calls/' + id.toUpperCase())).toBe(true);
  expect(sameCall(id, `https://graph.microsoft.com/v1.0/communications/calls/${id}`)).toBe(true);
  expect(sameCall(id, `http://127.0.0.1:5870/beta/app/calls/${id}`)).toBe(true);
  // ... and only on Graph's own origin
  expect(sameCall(id, `https://evil.example/v1.0/app/calls/${id}`)).toBe(false);
  expect(sameCall(id, `https://graph.microsoft.com.evil.example/v1.0/app/calls/${id}`)).toBe(false);
});

test('paths: /app = /communications on beta only, namespaced actions, id spelling', () => {
  expect(canonicalPath(`/beta/app/calls/${id}/answer`)).toBe(canonicalPath(`/beta/communications/calls/${id.toUpperCase().replace(/-/g, '')}/microsoft.graph.answer`));
  expect(canonicalPath(`/v1.0/app/calls/${id}/answer`)).not.toBe(canonicalPath(`/v1.0/communications/calls/${id}/answer`));
  expect(canonicalPath(`/beta/app/calls/${id}/answer/?x=1`)).toBe(`/beta/communications/calls/${normalizeId(id)}/answer`);
  expect(pathShape(canonicalPath(`/beta/app/calls/${id}/participants/invite`))).toBe('/beta/communications/calls/{id}/participants/invite');
});

test("the 2019 beta names equal today's", () => {
  expect(canonicalBody({ callback: 'https://bot/api/calls', acceptModalities: ['audio'], x: { callback: 'y' } })).toEqual({
    callbackUri: 'https://bot/api/calls',
    acceptedModalities: ['audio'],
    x: { callbackUri: 'y' },
  });
  const untouched = { callbackUri: 'a' };
  expect(canonicalBody(untouched)).toBe(untouched);
});

test('matchers report each difference with its path and explain themselves', () => {
  const scope = new Map<string, unknown>([['p2pCall', id], ['caller', '8a34a46b-3d17-4adc-8dce-dc4e7d572698']]);
  const ctx = { scope, describe: (v: unknown) => (typeof v === 'string' && sameId(v, id) ? `p2pCall (${id})` : JSON.stringify(v)) };
  const m = compileMatcher(
    { participants: [{ identity: { user: { id: { $id: 'caller' } } }, replacesCallId: { $id: 'p2pCall' } }], mediaConfig: { $absent: true }, requestedModalities: { $empty: true } },
    '/body',
    () => {},
  );
  const ok: Mismatch[] = [];
  m.match({ participants: [{ identity: { user: { id: '8A34A46B3D174ADC8DCEDC4E7D572698' } }, replacesCallId: `/app/calls/${id}` }], requestedModalities: [] }, 'body', ctx, ok);
  expect(ok).toEqual([]);

  const bad: Mismatch[] = [];
  m.match({ participants: [{ identity: { user: { id: 'someone' } }, replacesCallId: 'other' }, {}], mediaConfig: {}, requestedModalities: ['audio'] }, 'body', ctx, bad);
  expect(bad.map((b) => b.path)).toEqual([
    'body.participants',
    'body.participants[0].identity.user.id',
    'body.participants[0].replacesCallId',
    'body.mediaConfig',
    'body.requestedModalities',
  ]);
  expect(bad[0]).toMatchObject({ expected: '1 item(s)', actual: '2 item(s)' });
  expect(bad[2]).toMatchObject({ expected: `p2pCall (${id})`, actual: '"other"' });
  expect(bad[3]).toMatchObject({ expected: 'no such property' });
  expect(m.explain(ctx)).toBe('an object with participants, mediaConfig, requestedModalities');
});

test('near misses: the closest request sent and why it is not the one expected', () => {
  const c = (p: string) => canonicalPath(p);
  const want = { method: 'POST', canonical: c(`/beta/app/calls/${id}/answer`) };
  const sent = (method: string, url: string) => ({ method, url, canonical: c(url) });
  expect(closestRequest(want, [sent('POST', `/v1.0/communications/calls/${id}/answer`)])?.why).toBe('the same action on v1.0; this flow is written for beta');
  const v1 = { method: 'POST', canonical: c(`/v1.0/communications/calls/${id}/answer`) };
  expect(closestRequest(v1, [sent('POST', `/v1.0/app/calls/${id}/answer`)])?.why).toBe('the same action on /v1.0/app/calls, which v1.0 does not serve (use /v1.0/communications/calls)');
  const other = '11111111-2222-4333-8444-555555555555';
  expect(closestRequest(v1, [sent('POST', `/v1.0/communications/calls/${other}/answer`)])?.why).toBe('the same action on another resource (the ids in the path differ)');
  expect(closestRequest(v1, [sent('GET', `/v1.0/communications/calls/${id}/answer`)])?.why).toBe('the same path with GET; the step expects POST');
  // nothing close: another action altogether
  expect(closestRequest(v1, [sent('POST', `/v1.0/communications/calls/${id}/reject`)])).toBeUndefined();
  // the closest of several wins; later requests win ties
  const both = closestRequest(want, [sent('GET', `/beta/app/calls/${id}/answer`), sent('POST', `/v1.0/communications/calls/${id}/answer`)]);
  expect(both?.request.method).toBe('POST');
});
