/**
 * What must never reach a flow file written from a recording, and the pseudonyms that replace
 * identities. to-flow.ts decides where each value goes (flow ids, values, captures, matchers); this
 * module knows what is secret, what is an identity, what the neutral replacements look like, and
 * checks the written text for anything that slipped through (`findLeaks`).
 *
 * Secrets (never written, counted in the report): bearer tokens and every other credential header
 * (Authorization, Cookie, Set-Cookie, API keys), client secrets and assertions of token requests,
 * the tokens login answers, recording access tokens and other tokens in bodies, `validationToken` /
 * signature query parameters, opaque blobs in query strings.
 *
 * Identities (pseudonymised consistently, opt out per field with `keep`): tenant, user, application
 * and phone identities, display names, chat thread ids and meeting join URLs.
 */
import type { Recording, RecordedMessage } from './recording.js';
import { isGuidLike, normalizeId } from '../engine/ids.js';

// ------------------------------------------------------------------ secrets

/** Request and response headers that carry credentials or session state. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'apikey',
  'ocp-apim-subscription-key',
  'x-functions-key',
  'x-ms-token-aad-access-token',
  'x-ms-token-aad-id-token',
  'x-ms-token-aad-refresh-token',
  'x-ms-client-principal',
  'x-ms-client-secret',
  'x-ms-authorization-auxiliary',
]);

/** A header whose value is a credential (by name). */
export function isSecretHeader(name: string): boolean {
  const n = name.toLowerCase();
  return SECRET_HEADERS.has(n) || /(^|-)(token|secret|password|signature)($|-)/.test(n);
}

/** Query parameters that carry a credential or a one-time token. */
const SECRET_QUERY_PARAMS = new Set([
  'validationtoken',
  'validation_token',
  'sig',
  'signature',
  'token',
  'access_token',
  'id_token',
  'code',
  'client_secret',
  'client_assertion',
  'key',
  'api-key',
  'apikey',
  'subscription-key',
  'password',
  'passcode',
]);

export function isSecretQueryParam(name: string): boolean {
  return SECRET_QUERY_PARAMS.has(name.toLowerCase());
}

/** Fields of a token request or answer (form or JSON) that are credentials. */
const LOGIN_SECRET_FIELDS = new Set(['client_secret', 'client_assertion', 'assertion', 'password', 'refresh_token', 'access_token', 'id_token', 'code', 'code_verifier']);

/**
 * A body property holding a credential: recordingAccessToken, a meeting token, a passcode, ...
 * (`tokenType`-like names are not: only names ending in token or naming a secret).
 */
export function isSecretKey(key: string): boolean {
  return /token$|secret|password|passcode|assertion|^sig$|signature/i.test(key);
}

const JWT = /^eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*$/;
/** JWTs inside a longer string. */
export const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

export function isJwt(value: string): boolean {
  return JWT.test(value);
}

/**
 * An opaque encoded blob (base64 / base64url of 40 characters or more, mixing letters and digits):
 * Graph's `replacesContext`, encoded routing data. Treated like a token: never written as recorded.
 */
export function isOpaqueBlob(value: string): boolean {
  if (value.length < 40 || isGuidLike(value)) return false;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return false;
  // a path (`/communications/calls/{id}`) or text holding an id is not a blob
  if (value.startsWith('/') || /(?<![0-9A-Za-z])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})(?![0-9A-Za-z])/.test(value)) return false;
  return /[A-Za-z]/.test(value) && /[0-9]/.test(value);
}

/** An opaque value in a query string (encoded routing data, signatures): 16+ base64-ish characters. */
export function isOpaqueQueryValue(value: string): boolean {
  if (value.length < 16 || /^\d+$/.test(value) || isGuidLike(value) || /^[0-9a-fA-F]{32}$/.test(value)) return false;
  return /^[A-Za-z0-9+/_=%.-]+$/.test(value) && /[A-Za-z]/.test(value) && /[0-9]/.test(value);
}

// ------------------------------------------------------------------ identities

/** The identity fields `keep` can opt out of pseudonymising. */
export const KEEP_FIELDS = ['tenantId', 'userId', 'appId', 'phone', 'displayName', 'threadId', 'joinUrl'] as const;
export type KeepField = (typeof KEEP_FIELDS)[number];

const KEEP_ALIASES: Record<string, KeepField> = {
  tenantid: 'tenantId',
  tenant: 'tenantId',
  tid: 'tenantId',
  userid: 'userId',
  user: 'userId',
  users: 'userId',
  appid: 'appId',
  app: 'appId',
  application: 'appId',
  applicationid: 'appId',
  applicationinstance: 'appId',
  phone: 'phone',
  phones: 'phone',
  phonenumber: 'phone',
  displayname: 'displayName',
  name: 'displayName',
  names: 'displayName',
  threadid: 'threadId',
  thread: 'threadId',
  joinurl: 'joinUrl',
  joinweburl: 'joinUrl',
  meeting: 'joinUrl',
  joinmeetingid: 'joinUrl',
};

/** Parses `--keep` values (comma-separated allowed); throws naming an unknown field. */
export function parseKeep(keep: readonly string[] | undefined): Set<KeepField> {
  const out = new Set<KeepField>();
  for (const item of keep ?? []) {
    for (const raw of item.split(',').map((s) => s.trim()).filter(Boolean)) {
      const field = KEEP_ALIASES[raw.toLowerCase()];
      if (!field) throw new Error(`unknown --keep field "${raw}": known fields are ${KEEP_FIELDS.join(', ')}`);
      out.add(field);
    }
  }
  return out;
}

/** Keys of an identitySet and what each holds. */
const IDENTITY_KINDS: Record<string, 'user' | 'app' | 'phone' | 'device'> = {
  user: 'user',
  guest: 'user',
  encrypted: 'user',
  onpremises: 'user',
  acsuser: 'user',
  spooluser: 'user',
  azurecommunicationservicesuser: 'user',
  teamsuser: 'user',
  application: 'app',
  applicationinstance: 'app',
  acsapplicationinstance: 'app',
  spoolapplication: 'app',
  phone: 'phone',
  device: 'device',
};

/** What an identitySet member key (`user`, `applicationInstance`, `phone`, ...) names, if it is one. */
export function identityKindOf(key: string | number | undefined): 'user' | 'app' | 'phone' | 'device' | undefined {
  return typeof key === 'string' ? IDENTITY_KINDS[key.toLowerCase()] : undefined;
}

const THREAD_ID = /^19:[^\s]+$/;
/** Thread ids inside a longer string. */
export const THREAD_IN_TEXT = /19:[A-Za-z0-9_.~!*'()-]+@thread\.[A-Za-z0-9]+/g;
const JOIN_URL = /^https:\/\/(teams\.microsoft\.com\/l\/meetup-join\/|teams\.live\.com\/meet\/|[a-z0-9-]+\.teams\.microsoft\.us\/l\/meetup-join\/)/i;
const PHONE = /^(tel:)?\+\d{7,15}$/;
const PHONE_KEYS = new Set(['phonenumber', 'phone', 'msisdn', 'telephonenumber', 'number', 'callernumber', 'calleenumber']);

export function isThreadId(value: string): boolean {
  return THREAD_ID.test(value) && /@thread\./.test(value);
}

export function isJoinUrl(value: string): boolean {
  return JOIN_URL.test(value);
}

export function isPhoneNumber(value: string, key?: string | number): boolean {
  if (PHONE.test(value)) return true;
  return typeof key === 'string' && PHONE_KEYS.has(key.toLowerCase()) && /^(tel:)?\+?[\d\s().-]{7,20}$/.test(value) && (value.match(/\d/g) ?? []).length >= 7;
}

/** True for keys that hold a tenant id. */
export function isTenantKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && /^(tenantid|tid|tenant)$/i.test(key);
}

// ------------------------------------------------------------------ pseudonyms

/** Neutral replacements, numbered per kind: the same real value always gets the same one. */
export class Pseudonyms {
  private readonly given = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  private next(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  private once(kind: string, real: string, make: (n: number) => string): string {
    const key = `${kind}\u0000${real}`;
    let fake = this.given.get(key);
    if (fake === undefined) {
      fake = make(this.next(kind));
      this.given.set(key, fake);
    }
    return fake;
  }

  /** `User 1`, `Bot`, `App 1`, `Phone 1`, `Name 1` */
  displayName(real: string, role: 'user' | 'bot' | 'app' | 'phone' | 'other'): string {
    if (role === 'bot') return this.once('name:bot', real, (n) => (n === 1 ? 'Bot' : `Bot ${n}`));
    const label = { user: 'User', app: 'App', phone: 'Phone', other: 'Name' }[role];
    return this.once(`name:${role}`, real, (n) => `${label} ${n}`);
  }

  /** `+15550100001`, ... (the 555-01xx numbers are reserved for fiction) */
  phone(real: string): string {
    return this.once('phone', real, (n) => `${real.startsWith('tel:') ? 'tel:' : ''}+1555010${String(n).padStart(4, '0')}`);
  }

  /** `19:meeting_recorded1@thread.v2` (keeps the kind of thread and its suffix) */
  threadId(real: string): string {
    const suffix = /@thread\.[A-Za-z0-9]+$/.exec(real)?.[0] ?? '';
    const meeting = /^19:meeting_/i.test(real);
    return this.once('thread', real, (n) => `19:${meeting ? 'meeting_' : ''}recorded${n}${suffix}`);
  }

  joinUrl(real: string): string {
    if (/^\d+$/.test(real)) return this.once('joinId', real, (n) => String(1_000_000 + n));
    return this.once('joinUrl', real, (n) => `https://teams.microsoft.com/l/meetup-join/19%3ameeting_recorded${n}%40thread.v2/0`);
  }

  /** A fixed, obviously fake GUID: `00000000-0000-4000-8000-000000000001` */
  guid(real: string): string {
    return this.once('guid', normalizeId(real), (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
  }

  token(real: string): string {
    return this.once('token', real, (n) => `recorded-token-${n}`);
  }
}

/** Writes `fake` (a GUID) the way `spelled` was written: hyphenated or not, upper or lower case, braces. */
export function spellLike(fake: string, spelled: string): string {
  let out = spelled.includes('-') ? fake : fake.replace(/-/g, '');
  out = /[A-F]/.test(spelled) && !/[a-f]/.test(spelled) ? out.toUpperCase() : out.toLowerCase();
  return spelled.startsWith('{') ? `{${out}}` : out;
}

// ------------------------------------------------------------------ what a recording holds

export type SensitiveKind = 'credential' | 'recorded id' | 'tenantId' | 'userId' | 'appId' | 'phone' | 'displayName' | 'threadId' | 'joinUrl' | 'token';

export interface Sensitive {
  kind: SensitiveKind;
  value: string;
}

/**
 * The credentials a recording carries outside the bodies to-flow.ts templates: secret headers of
 * every exchange, the secret fields of token requests and answers, secret query parameters. Each
 * is counted once per occurrence (`count`); `values` are for the leak check.
 */
export function recordingCredentials(rec: Recording): { count: number; values: Sensitive[] } {
  const values: Sensitive[] = [];
  let count = 0;
  const add = (value: string) => {
    count++;
    for (const v of credentialParts(value)) values.push({ kind: 'credential', value: v });
  };
  const headers = (h: Record<string, string>) => {
    for (const [name, value] of Object.entries(h)) if (isSecretHeader(name) && value) add(value);
  };
  const url = (u: string) => {
    for (const [name, value] of queryParams(u)) if (isSecretQueryParam(name) && value) add(value);
  };
  for (const ex of rec.exchanges) {
    headers(ex.request.headers);
    url(ex.request.url);
    if ('status' in ex.response) headers(ex.response.headers);
    if (ex.service === 'login') {
      for (const [name, value] of formOrJsonFields(ex.request)) if (LOGIN_SECRET_FIELDS.has(name.toLowerCase()) && value) add(value);
      if ('status' in ex.response) {
        for (const [name, value] of formOrJsonFields({ method: '', url: '', headers: ex.response.headers, body: ex.response.body })) {
          if (LOGIN_SECRET_FIELDS.has(name.toLowerCase()) && value) add(value);
        }
      }
    }
  }
  return { count, values };
}

/** The parts of a credential worth searching for: the whole value, the token after `Bearer`, cookie values. */
function credentialParts(value: string): string[] {
  const parts = new Set<string>([value.trim()]);
  const bearer = /^\s*(bearer|basic|pop)\s+(\S+)/i.exec(value);
  if (bearer) parts.add(bearer[2]!);
  for (const piece of value.split(/[;,]/)) {
    const eq = piece.indexOf('=');
    if (eq > 0) {
      const v = piece.slice(eq + 1).trim();
      if (v.length >= 8) parts.add(v);
    }
  }
  // a JWT's signature alone is enough to be a leak
  for (const jwt of value.match(JWT_IN_TEXT) ?? []) {
    parts.add(jwt);
    const sig = jwt.split('.')[2];
    if (sig && sig.length >= 16) parts.add(sig);
  }
  return [...parts].filter((p) => p.length >= 6);
}

/** name/value pairs of a URL's query string ('' when none or unparsable). */
export function queryParams(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  if (q < 0) return [];
  try {
    return [...new URLSearchParams(url.slice(q + 1).split('#')[0]).entries()];
  } catch {
    return [];
  }
}

/** Fields of a form-encoded or JSON body. */
export function formOrJsonFields(msg: RecordedMessage): Array<[string, string]> {
  const text = msg.body.trim();
  if (!text) return [];
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      return Object.entries(obj).filter((e): e is [string, string] => typeof e[1] === 'string');
    } catch {
      return [];
    }
  }
  try {
    return [...new URLSearchParams(text).entries()];
  } catch {
    return [];
  }
}

/** The payload of a JWT (not verified), or undefined. */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const payload = JSON.parse(json) as unknown;
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ the last line of defence

const GUID_IN_TEXT = /(?<![0-9A-Za-z])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})(?![0-9A-Za-z])/g;

/**
 * The sensitive values found in `text` (what a flow file is about to be written with), as
 * `kind` only: the message names what leaked, never the value. GUIDs match in any spelling, phone
 * numbers by their digits, display names as whole words.
 */
export function findLeaks(text: string, sensitive: readonly Sensitive[]): SensitiveKind[] {
  const found = new Set<SensitiveKind>();
  const guids = new Map<string, SensitiveKind>();
  const digitsSeen = new Set<string>();
  for (const s of sensitive) {
    if (isGuidLike(s.value)) guids.set(normalizeId(s.value), s.kind);
  }
  if (guids.size > 0) {
    for (const m of text.matchAll(GUID_IN_TEXT)) {
      const kind = guids.get(normalizeId(m[1]!));
      if (kind) found.add(kind);
    }
  }
  for (const m of text.matchAll(/\d[\d\s().-]{5,}\d/g)) digitsSeen.add(m[0].replace(/\D/g, ''));
  for (const s of sensitive) {
    if (isGuidLike(s.value) || found.has(s.kind)) continue;
    if (s.kind === 'phone') {
      const digits = s.value.replace(/\D/g, '');
      if (digits.length >= 7 && [...digitsSeen].some((d) => d.includes(digits))) found.add(s.kind);
    } else if (s.kind === 'displayName') {
      if (s.value.trim().length >= 3 && new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(s.value.trim())}(?![\\p{L}\\p{N}])`, 'u').test(text)) found.add(s.kind);
    } else if (s.value.length >= 6 && text.includes(s.value)) {
      found.add(s.kind);
    }
  }
  return [...found];
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
