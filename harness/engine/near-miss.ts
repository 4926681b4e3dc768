/**
 * Near misses: when a step's request never came, the request the bot did send that comes closest
 * to it, and why it did not match (the way WireMock explains a near miss). A finding says "never
 * sent" only when nothing close arrived.
 *
 * Works on canonical paths (canonical.ts): `/beta/communications/calls/{id}/answer`, ids compacted.
 */
import { pathShape } from './canonical.js';

export interface SentRequest {
  method: string;
  /** canonical path */
  canonical: string;
  /** the path as the bot sent it */
  url: string;
}

export interface NearMiss<T extends SentRequest> {
  request: T;
  /** why it is not the expected request, e.g. "the same action on v1.0; this flow is written for beta" */
  why: string;
}

interface Parts {
  version: string;
  /** the path after the version, /app folded into /communications */
  rest: string;
  /** true when the path used /app (only meaningful on v1.0: beta folds it already) */
  app: boolean;
  action: string;
}

function parts(canonical: string): Parts {
  const segs = canonical.split('/').filter(Boolean);
  const version = segs[0] === 'v1.0' || segs[0] === 'beta' ? segs.shift()! : '';
  const app = segs[0] === 'app';
  if (app) segs[0] = 'communications';
  const last = segs[segs.length - 1] ?? '';
  return { version, rest: '/' + segs.join('/'), app, action: /^[0-9a-f]{32}$/.test(last) ? '' : last };
}

/**
 * The sent request closest to `expected` (method and canonical path), with the reason it differs;
 * undefined when none is close (another action altogether). Later requests win ties.
 */
export function closestRequest<T extends SentRequest>(expected: { method: string; canonical: string }, sent: readonly T[]): NearMiss<T> | undefined {
  const want = parts(expected.canonical);
  let best: { score: number; miss: NearMiss<T> } | undefined;
  for (const req of sent) {
    const got = parts(req.canonical);
    const sameMethod = req.method === expected.method;
    const versionNote = got.version !== want.version ? `on ${got.version || 'no version'}; this flow is written for ${want.version || 'no version'}` : '';
    let score = 0;
    let why = '';
    if (sameMethod && got.rest === want.rest && got.version !== want.version) {
      score = 100;
      why = `the same action ${versionNote}`;
    } else if (sameMethod && got.rest === want.rest && got.app !== want.app) {
      score = 90;
      why = got.app ? `the same action on /${got.version}/app/calls, which ${got.version} does not serve (use /${got.version}/communications/calls)` : 'the same action on /communications/calls; this flow uses /app/calls';
    } else if (sameMethod && pathShape(got.rest) === pathShape(want.rest)) {
      score = got.version === want.version ? 80 : 70;
      why = `the same action on another resource (the ids in the path differ)${versionNote ? `, ${versionNote}` : ''}`;
    } else if (!sameMethod && got.rest === want.rest) {
      score = 60;
      why = `the same path with ${req.method}; the step expects ${expected.method}`;
    } else if (sameMethod && want.action !== '' && got.action === want.action) {
      score = 50;
      why = `a ${want.action} request, on another path`;
    }
    if (score > 0 && (!best || score >= best.score)) best = { score, miss: { request: req, why } };
  }
  return best?.miss;
}
