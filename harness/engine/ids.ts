/**
 * Graph ids compare on meaning: case-insensitively, with or without hyphens or braces, and a call
 * id may be given as a `/app/calls/{id}` or `/communications/calls/{id}` path.
 */

const GUID_LIKE = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;
const CALL_PATH = /^(?:https?:\/\/[^/]+)?(?:\/(?:v1\.0|beta))?\/(?:app|communications)\/calls\/([^/?#]+)\/?$/i;

export function isGuidLike(value: string): boolean {
  return value.length >= 32 && value.length <= 38 && GUID_LIKE.test(value);
}

/** The comparable form of an id: lower-case hex without hyphens; other strings lower-cased. */
export function normalizeId(value: string): string {
  const m = CALL_PATH.exec(value);
  const id = m ? decodeURIComponent(m[1]!) : value;
  return isGuidLike(id) ? id.replace(/[-{}]/g, '').toLowerCase() : id.toLowerCase();
}

export function sameId(a: string, b: string): boolean {
  return normalizeId(a) === normalizeId(b);
}

/** Graph's notification style: upper-case, no hyphens. */
export function hexId(id: string): string {
  return id.replace(/-/g, '').toUpperCase();
}
