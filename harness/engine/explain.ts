/**
 * How a flow run puts things into words: labels for the transcript and the sequence diagram, the
 * diff and path differences of an incorrect request, the auth variants, Graph-shaped errors, and
 * small readers of request parts.
 */
import { createTwoFilesPatch } from 'diff';
import { legacyNameOf } from './canonical.js';
import type { Mismatch } from './findings.js';
import { ABSENT } from './matchers.js';
import type { AuthVariant, OutboundResponse } from './ports.js';

const VARIANT_TEXT: Record<AuthVariant, string> = {
  'no-authorization': 'no Authorization header',
  'garbage-token': 'a garbage bearer token',
  expired: 'an expired token',
  'wrong-audience': 'a token for another audience (not the bot\'s app id)',
  'wrong-issuer': 'a token from the wrong issuer',
  'unknown-kid': 'a token signed with an unknown key id',
  'bad-signature': 'a token with a bad signature',
  'no-tid': 'a token without a tenant (tid) claim',
};

export function describeVariant(variant: AuthVariant): string {
  return VARIANT_TEXT[variant];
}

/** A request's body as the transcript shows it: parsed JSON, or the raw text when it is not JSON. */
export function shownBody(req: { body: unknown; rawBody: string }): unknown {
  return req.body === undefined && req.rawBody !== '' ? req.rawBody : req.body;
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function queryOf(path: string): Record<string, string> {
  const q = path.indexOf('?');
  return q < 0 ? {} : Object.fromEntries(new URLSearchParams(path.slice(q + 1)));
}

export function pick(root: unknown, segments: ReadonlyArray<string | number>): unknown {
  let v: unknown = root;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

export function parseMaybeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function graphError(status: number, code: string, message: string): OutboundResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: { error: { code, message } } };
}


/**
 * For a property the bot left out on v1.0 while sending its 2019 beta name (callback for
 * callbackUri), a note saying so; '' otherwise.
 */
export function legacyNameHint(m: Mismatch, body: unknown): string {
  if (!m.actual.startsWith('nothing')) return '';
  const segments = m.path.replace(/\[(\d+)\]/g, '.$1').split('.').slice(1);
  const key = segments.pop();
  const legacy = key ? legacyNameOf(key) : undefined;
  const parent = pick(body, segments) as Record<string, unknown> | undefined;
  if (!legacy || parent === null || typeof parent !== 'object' || !(legacy in parent)) return '';
  return ` (the bot sent ${legacy}, the 2019 beta name: v1.0 knows only ${key})`;
}

export function pathMismatches(want: string, got: string, describe: (v: string) => string): Mismatch[] {
  const a = want.split('/');
  const b = got.split('/');
  const out: Mismatch[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) out.push({ path: `path segment ${i}`, expected: describe(a[i] ?? ''), actual: describe(b[i] ?? '') });
  }
  return out;
}

export function bodyDiff(expected: unknown, actual: unknown): string {
  const e = JSON.stringify(expected, (_k, v) => (v === ABSENT ? undefined : v), 2) ?? '';
  const a = JSON.stringify(actual, null, 2) ?? '';
  return createTwoFilesPatch('expected', 'received', e + '\n', a + '\n', '', '', { context: 3 })
    .split('\n')
    .slice(4)
    .join('\n')
    .trimEnd();
}

/** "answer", "participants/invite", "create call", ... from a canonical path. */
export function actionLabel(method: string, canonical: string): string {
  const segs = canonical.split('/');
  const i = segs.indexOf('calls');
  const rest = segs.slice(i + 2).filter((s) => !/^[0-9a-f]{32}$/.test(s));
  if (i >= 0 && segs.length === i + 1) return method === 'POST' ? 'create call' : `${method} calls`;
  if (i >= 0 && rest.length === 0) return method === 'DELETE' ? 'hang up' : `${method} call`;
  return `${method === 'POST' ? '' : method + ' '}${rest.join('/') || canonical}`;
}

/** "p2pCall established", "meetingCall operation completed", "meetingCall roster", ... */
export function notificationLabel(body: unknown, nameOf: (id: string) => string | undefined): string {
  const values = (body as { value?: Array<Record<string, unknown>> }).value ?? [];
  const labels = values.map((n) => {
    const resource = String(n['resourceUrl'] ?? n['resource'] ?? '');
    const data = n['resourceData'] as Record<string, unknown> | undefined;
    const state = data && !Array.isArray(data) ? (data['state'] ?? data['status']) : undefined;
    const what = resource.includes('/operations/') ? 'operation' : resource.endsWith('/participants') ? 'roster' : 'call';
    const id = /calls\/([^/?]+)/.exec(resource)?.[1];
    const subject = id ? (nameOf(id) ?? what) : what;
    const change = state === undefined ? String(n['changeType'] ?? '') : '';
    return [subject, what === 'call' ? '' : what, change, state === undefined ? '' : String(state)].filter(Boolean).join(' ');
  });
  return labels.join(' + ') || 'notification';
}
