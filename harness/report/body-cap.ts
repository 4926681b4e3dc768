/**
 * The size cap of report files: a body over BODY_CAP_BYTES (64 KiB) is cut to the cap, with its
 * full size noted, so that a 5 MB body costs 64 KiB in transcript.json and 64 KiB in
 * sequence.html instead of 5 MB in each.
 *
 * The shape of a cut body, wherever a `body` property is found (transcript entries, a finding's
 * `received`):
 *
 *   "body": "<the first 65,536 bytes of the body as text>…[cut: 5,242,880 bytes in all, first 65,536 shown]",
 *   "bodyCut": { "bytes": 5242880, "shown": 65536 }
 *
 * The body keeps its property and becomes a string (a JSON body: its compact JSON text, cut);
 * `bytes` is the UTF-8 size of the whole body (as text: compact JSON for a JSON body), `shown` the
 * UTF-8 size of the part kept (the cap, or a little less: the cut never splits a character, and a
 * token cut in half at the cap is dropped whole). `bodyCut` sits beside `body` and exists only
 * when the body was cut. Any other string over the cap (a finding's diff, ...) is cut the same way
 * in place, with the same note and no `bodyCut`.
 */
import { mapChildren } from './map-children.js';
import { groupDigits } from './redact.js';

export const BODY_CAP_BYTES = 65_536;

/** Beside a `body` that was cut. */
export interface BodyCut {
  /** UTF-8 size of the whole body */
  bytes: number;
  /** UTF-8 size of the part kept in `body` (before the note) */
  shown: number;
}

const encoder = new TextEncoder();

/** UTF-8 size of a string; cheap for short strings (a UTF-16 unit is at most 3 bytes). */
function utf8Bytes(s: string, cap: number): number {
  return s.length * 3 <= cap ? s.length : Buffer.byteLength(s, 'utf8');
}

/** The note that ends a cut text. */
function cutNote(bytes: number, shown: number): string {
  return `…[cut: ${groupDigits(bytes)} bytes in all, first ${groupDigits(shown)} shown]`;
}

/**
 * `text` cut to at most `cap` UTF-8 bytes (never inside a character), then the note; `cut` is
 * undefined (and `text` returned as it is) when it fits.
 */
export function cutText(text: string, cap = BODY_CAP_BYTES): { text: string; cut?: BodyCut } {
  if (utf8Bytes(text, cap) <= cap) return { text };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= cap) return { text };
  // encodeInto writes whole characters only: `read` UTF-16 units fit in the cap
  const { read, written } = encoder.encodeInto(text, new Uint8Array(cap));
  let kept = text.slice(0, read ?? 0);
  let shown = written ?? 0;
  // a token (JWT, base64) running into the cut would survive as a fragment the redaction cannot
  // recognise: drop a trailing token-like run that starts with a JWT header
  const tail = /eyJ[A-Za-z0-9_.-]*$/.exec(kept.slice(-16_384));
  if (tail) {
    shown -= Buffer.byteLength(tail[0], 'utf8');
    kept = kept.slice(0, kept.length - tail[0].length);
  }
  return { text: kept + cutNote(bytes, shown), cut: { bytes, shown } };
}

/** A body as text (a string as it is, anything else as compact JSON), cut when over the cap. */
export function cutBody(body: unknown, cap = BODY_CAP_BYTES): { body: unknown; cut?: BodyCut } {
  if (typeof body === 'string') {
    const { text, cut } = cutText(body, cap);
    return cut ? { body: text, cut } : { body };
  }
  if (body === null || typeof body !== 'object') return { body };
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch {
    return { body };
  }
  if (json === undefined) return { body };
  const { text, cut } = cutText(json, cap);
  return cut ? { body: text, cut } : { body };
}

/**
 * A copy of `value` with every `body` over the cap cut (and `bodyCut` beside it) and every other
 * string over the cap cut in place. Parts that need no cut are returned as they are (not copied);
 * a body under the cap is not looked into.
 */
export function capBodies<T>(value: T, cap = BODY_CAP_BYTES): T {
  return walk(value, cap) as T;
}

function walk(value: unknown, cap: number): unknown {
  if (typeof value === 'string') return utf8Bytes(value, cap) <= cap ? value : cutText(value, cap).text;
  if (value === null || typeof value !== 'object') return value;
  let cut: BodyCut | undefined;
  const out = mapChildren(value, (child, key) => {
    if (key !== 'body') return walk(child, cap);
    const capped = cutBody(child, cap);
    cut = capped.cut;
    return capped.body;
  });
  // a cut body is a new string: `out` is a copy, and `bodyCut` goes beside the body
  if (cut) (out as Record<string, unknown>)['bodyCut'] = cut;
  return out;
}
