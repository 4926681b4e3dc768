/**
 * Graph ids compare on meaning: case-insensitively, with or without hyphens or braces. Where Graph
 * takes a reference to a call (`replacesCallId`, `@odata.id`, a notification's resource), the seed
 * page's path form `/app/calls/{id}` (or `/communications/calls/{id}`, or the full URL) names the
 * same call, but only on Graph's own origin (graph.microsoft.com, or the harness's gateway on
 * loopback): an id inside a URL on any other host is not Graph's.
 */

const GUID_LIKE = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;
/** Every GUID inside a text (with or without hyphens), e.g. in a path, a thread id or a body. */
export const GUID_IN_TEXT = /[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}/g;
const GRAPH_ORIGIN = String.raw`https?:\/\/(?:graph\.microsoft\.com|127\.0\.0\.1|localhost|\[::1\])(?::\d+)?`;
const CALL_PATH = new RegExp(String.raw`^(?:${GRAPH_ORIGIN})?(?:\/(?:v1\.0|beta))?\/(?:app|communications)\/calls\/([^/?#]+)\/?$`, 'i');

/** Properties whose value is a reference to a call, where the path form is accepted. */
export const CALL_REFERENCE_KEYS: ReadonlySet<string> = new Set(['replacesCallId', '@odata.id', 'resource', 'resourceUrl']);

export function isGuidLike(value: string): boolean {
  return value.length >= 32 && value.length <= 38 && GUID_LIKE.test(value);
}

/** The comparable form of an id: lower-case hex without hyphens; other strings lower-cased. */
export function normalizeId(value: string): string {
  return isGuidLike(value) ? value.replace(/[-{}]/g, '').toLowerCase() : value.toLowerCase();
}

/** The call id a call reference names: a bare id, or a call path / URL on Graph's own origin. */
export function callIdOfReference(value: string): string {
  const m = CALL_PATH.exec(value);
  return m ? safeDecode(m[1]!) : value;
}

/** True when `value` is a call path or URL (on Graph's own origin) rather than a bare id. */
export function isCallPath(value: string): boolean {
  return CALL_PATH.test(value);
}

/** The comparable form of a call reference (see callIdOfReference). */
export function normalizeCallReference(value: string): string {
  return normalizeId(callIdOfReference(value));
}

export function sameId(a: string, b: string): boolean {
  return normalizeId(a) === normalizeId(b);
}

/** Two call references (bare ids, or call paths on Graph's own origin) name the same call. */
export function sameCall(a: string, b: string): boolean {
  return normalizeCallReference(a) === normalizeCallReference(b);
}

/** Graph's notification style: upper-case, no hyphens. */
export function hexId(id: string): string {
  return id.replace(/-/g, '').toUpperCase();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
