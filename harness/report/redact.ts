/**
 * Shortens secrets in report text and report values, keeping them recognisable: a developer can
 * still see that a token was there, tell two tokens apart and see how long it was, but cannot use
 * it. A secret becomes `head…tail(length chars)`:
 *
 *   Bearer eyJhbGciOiJSUzI1NiIs…(1,234 chars)  ->  Bearer eyJhbGciOi…Xk9q2w(1,234 chars)
 *   client_secret=Wq88Q~abcdefghijklmnopqrstuvwxyz0123456  ->  client_secret=Wq88Q…(40 chars)
 *
 * The head is at most 10 characters and at most an eighth of the secret (a 6-character password
 * shows none of it); the tail (6 characters) only for secrets of 64 characters or more (JWTs: the
 * end of the signature, which differs between any two tokens, where their heads do not).
 *
 * What is shortened (what bots send and print; see harness/engine/token-*.ts):
 * - JWTs anywhere: `eyJ…` base64url header, a dot, a payload, optionally a dot and a signature
 *   (two segments too: a token cut at a size cap must not survive as its first two thirds);
 * - the credentials of an `Authorization` header, any scheme (Bearer, Basic for
 *   client_secret_basic), as a header line, a JSON property or a `key=value`;
 * - a `Bearer` credential of 12 characters or more anywhere;
 * - the values of secret fields as form fields, JSON properties (also inside a JSON string),
 *   `key: value` or `KEY=value` lines: client_secret, client_assertion, assertion, refresh_token,
 *   access_token, id_token, password, app passwords, code_verifier, API/subscription keys, and
 *   any `secret` (BOT_APP_SECRET=...) (camelCase and UPPER_SNAKE spellings too);
 * - `code=` of 16 characters or more in a form or query string (an authorization code; Graph's
 *   JSON `"code": "8522"` error codes are not form fields and are left alone).
 * In values (redactValue), headers named as secrets (record/scrub.ts isSecretHeader) and
 * properties named as above are shortened whole.
 *
 * Already shortened text is left as it is (redactText(redactText(s)) === redactText(s)).
 * Everything else (ids, GUIDs, URLs, clientContext, ...) is kept byte for byte.
 */
import { isSecretHeader } from '../record/scrub.js';
import { mapChildren } from './map-children.js';

const HEAD = 10;
const TAIL = 6;
const TAIL_FROM = 64;
const ELLIPSIS = '…';

/** `1234567` -> `1,234,567` (no Intl: this runs for every secret of every report). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A secret as reports show it: `head…tail(length chars)`. */
export function shortenSecret(secret: string): string {
  const n = secret.length;
  const head = secret.slice(0, Math.min(HEAD, Math.floor(n / 8)));
  const tail = n >= TAIL_FROM ? secret.slice(-TAIL) : '';
  return `${head}${ELLIPSIS}${tail}(${groupDigits(n)} chars)`;
}

const SHORTENED = /…[A-Za-z0-9_.~+/=-]*\([\d,]+ chars\)$/;

/** True when `s` already ends as shortenSecret writes it. */
export function isShortened(s: string): boolean {
  return s.includes(ELLIPSIS) && SHORTENED.test(s);
}

// ---------------------------------------------------------------------------------------------
// text

/** an optional quote: plain, backslash-escaped (JSON in a JSON string) or HTML-escaped */
const Q = String.raw`(?:\\?["']|&quot;|&#39;)?`;
/** RFC 6750 b64token */
const B64TOKEN = String.raw`[A-Za-z0-9\-._~+/]+=*`;
/** a field value: up to a quote, separator, space or an ellipsis (already shortened) */
const VALUE = String.raw`[^\s"'&,;\\{}<>…]+`;
/** names of secret fields (case-insensitive; `_` and `-` optional between the words) */
const SECRET_NAMES = [
  String.raw`client[_-]?secret`,
  String.raw`client[_-]?assertion`,
  String.raw`assertion`,
  String.raw`refresh[_-]?token`,
  String.raw`access[_-]?token`,
  String.raw`id[_-]?token`,
  String.raw`(?:microsoft[_-]?)?app[_-]?password`,
  String.raw`password`,
  String.raw`code[_-]?verifier`,
  String.raw`secret`,
  String.raw`(?:ocp[_-]apim[_-])?subscription[_-]?key`,
  String.raw`(?:x[_-])?api[_-]?key`,
].join('|');

const JWT_SRC = String.raw`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?`;

/**
 * Separate passes, each starting with a literal (the regex engine scans for it fast) and each run
 * only when a cheap test finds its word: JWTs first, then what names a credential. Every pass
 * leaves alone what an earlier one shortened (its head is followed by the ellipsis).
 */
const JWT_IN_TEXT = new RegExp(JWT_SRC, 'g');
const AUTH_IN_TEXT = new RegExp(String.raw`((?<![A-Za-z0-9])authorization${Q}[ \t]*[:=][ \t]*${Q}[A-Za-z-]+[ \t]+)(${B64TOKEN})`, 'gi');
const BEARER_IN_TEXT = new RegExp(String.raw`(\bbearer[ \t]+)(${B64TOKEN})`, 'gi');
const NAMED_IN_TEXT = new RegExp(String.raw`((?<![A-Za-z0-9])(?:${SECRET_NAMES})(?![A-Za-z0-9])${Q}[ \t]*[:=][ \t]*${Q})(${VALUE})`, 'gi');
const NAMES_TEST = new RegExp(SECRET_NAMES, 'i');
const CODE_IN_TEXT = /((?:^|(?<=[?&"'\s]))code=)([^\s"'&,;\\<>…]{16,})/gm;

/** Replaces group 2 (a credential after its prefix, group 1) unless it is already shortened or shorter than `min`. */
function shortenAfter(min: number): (match: string, prefix: string, secret: string, offset: number, whole: string) => string {
  return (match, prefix, secret, offset, whole) =>
    secret.length < min || whole.charCodeAt(offset + match.length) === 0x2026 ? match : prefix + shortenSecret(secret);
}
const shortenAny = shortenAfter(1);
const shortenBearer = shortenAfter(12);

/** Shortens every secret in free text (bot output, HTML, JSON text, form bodies). Pure. */
export function redactText(text: string): string {
  let s = text;
  if (s.includes('eyJ')) s = s.replace(JWT_IN_TEXT, shortenSecret);
  if (/authorization/i.test(s)) s = s.replace(AUTH_IN_TEXT, shortenAny);
  if (/bearer/i.test(s)) s = s.replace(BEARER_IN_TEXT, shortenBearer);
  if (NAMES_TEST.test(s)) s = s.replace(NAMED_IN_TEXT, shortenAny);
  if (s.includes('code=')) s = s.replace(CODE_IN_TEXT, shortenAny);
  return s;
}

// ---------------------------------------------------------------------------------------------
// values

const SECRET_KEY = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');

/** A property whose whole value is a secret (by its name). */
function isSecretProperty(key: string): boolean {
  return SECRET_KEY.test(key) || isSecretHeader(key);
}

/** A header or property value shortened whole; an Authorization-like `Scheme credentials` keeps its scheme. */
function shortenWhole(value: string): string {
  if (value === '' || isShortened(value)) return value;
  const scheme = /^([A-Za-z-]+)\s+(\S[\s\S]*)$/.exec(value);
  if (scheme && /^(bearer|basic|pop|negotiate|ntlm|digest|mac|hawk)$/i.test(scheme[1]!)) {
    return isShortened(scheme[2]!) ? value : `${scheme[1]} ${shortenSecret(scheme[2]!)}`;
  }
  return shortenSecret(value);
}

/**
 * A copy of `value` with every secret shortened: properties named as secrets (headers such as
 * authorization, fields such as client_secret) whole, and every other string by redactText.
 * Objects and arrays that hold no secret are returned as they are (not copied).
 */
export function redactValue<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && isSecretProperty(key)) return shortenWhole(value);
    return redactText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  return mapChildren(value, walk);
}
