/**
 * Canonical forms of what a bot sends, so that matching is on meaning, not spelling:
 * - paths: `/beta/app/calls` = `/beta/communications/calls`, `/microsoft.graph.answer` = `/answer`,
 *   ids in any case with or without hyphens;
 * - bodies, on beta only: the 2019 names `callback` and `acceptModalities` = `callbackUri` and `acceptedModalities`.
 */
import { boundedMemo } from './bounded-memo.js';
import { isGuidLike, normalizeId } from './ids.js';

/** Old property name -> current name. Applied at every object level, on beta only (v1.0 never knew them). */
const BODY_ALIASES: Record<string, string> = {
  callback: 'callbackUri',
  acceptModalities: 'acceptedModalities',
};

/** The 2019 beta name of a current property name, if it had one (for messages). */
export function legacyNameOf(current: string): string | undefined {
  return Object.keys(BODY_ALIASES).find((k) => BODY_ALIASES[k] === current);
}

/** True for a canonical path on Graph beta, where the 2019 names are still accepted. */
export function isBetaPath(canonical: string): boolean {
  return canonical.startsWith('/beta/');
}

/**
 * Canonical path: version + segments, lower-cased, ids compacted, `/app` folded into
 * `/communications` on beta, namespace prefixes dropped, trailing slash and query removed.
 * Remembered: the router and the judge ask for the same few paths of each call, hop after hop.
 */
export const canonicalPath: (pathWithQuery: string) => string = boundedMemo(4096, computeCanonicalPath);

function computeCanonicalPath(pathWithQuery: string): string {
  let path = pathWithQuery;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  const segments = path.split('/').filter((s) => s.length > 0);
  for (let i = 0; i < segments.length; i++) {
    let seg = safeDecode(segments[i]!);
    if (seg.toLowerCase().startsWith('microsoft.graph.')) seg = seg.slice('microsoft.graph.'.length);
    segments[i] = isGuidLike(seg) ? normalizeId(seg) : seg.toLowerCase();
  }
  if (segments[0] === 'beta' && segments[1] === 'app' && segments[2] === 'calls') segments[1] = 'communications';
  return '/' + segments.join('/');
}

/** The path with every id replaced by `{id}`: used to find the step a wrong request was meant for. */
export function pathShape(canonical: string): string {
  return canonical
    .split('/')
    .map((s) => (/^[0-9a-f]{32}$/.test(s) ? '{id}' : s))
    .join('/');
}

/** The call id a Graph path is about (`.../calls/{id}/...`), in normalized form, if any. */
export function callIdOfPath(canonical: string): string | undefined {
  const m = /\/calls\/([^/]+)/.exec(canonical);
  return m ? m[1] : undefined;
}

/** Renames legacy property names, recursively. Returns the input itself when nothing changes. */
export function canonicalBody(body: unknown): unknown {
  if (Array.isArray(body)) {
    let changed = false;
    const out = body.map((item) => {
      const c = canonicalBody(item);
      if (c !== item) changed = true;
      return c;
    });
    return changed ? out : body;
  }
  if (body === null || typeof body !== 'object') return body;
  let out: Record<string, unknown> | undefined;
  const src = body as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    const alias = BODY_ALIASES[key];
    const value = canonicalBody(src[key]);
    if ((alias && !(alias in src)) || value !== src[key]) {
      out ??= { ...src };
      if (alias && !(alias in src)) {
        delete out[key];
        out[alias] = value;
      } else {
        out[key] = value;
      }
    }
  }
  return out ?? body;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
