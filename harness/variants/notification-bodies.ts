/**
 * What the body-rewriting variants (./variants.ts) do to a rendered notification body. Each
 * function returns a new value; its input is never modified.
 *
 * A notification item names its resource in `resourceUrl` (`/communications/calls/...`, the v1.0
 * property) and, in what Graph really sends, also in the legacy twin `resource` (`/app/calls/...`,
 * same id); the 2019 beta shape has `resource` alone.
 */

import { createHash } from 'node:crypto';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies `fn` to every item of `body.value`. */
export function mapItems(body: unknown, fn: (item: Json) => Json): unknown {
  if (!isObject(body) || !Array.isArray(body['value'])) return body;
  return { ...body, value: body['value'].map((item: unknown) => (isObject(item) ? fn(item) : item)) };
}

// ------------------------------------------------------------------ upper-case-ids

const GUID_IN_TEXT = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}(?![0-9A-Fa-f])/g;

/** The item properties that hold a resource path. */
export const RESOURCE_KEYS: readonly string[] = ['resource', 'resourceUrl'];

/**
 * Properties of resourceData (at any depth) that hold an id or a resource path: `id` covers entity
 * ids and identity ids (`identity.user.id`, ...). Anything else keeps its spelling: Graph echoes
 * `clientContext` verbatim, and URLs (`recordingLocation`), tokens, thread ids are not ids.
 */
export const ID_KEYS: ReadonlySet<string> = new Set(['id', '@odata.id', 'tenantId', 'callChainId', 'myParticipantId', 'participantId', 'replacesCallId']);

function hexIds(s: string): string {
  return s.replace(GUID_IN_TEXT, (m) => m.replace(/-/g, '').toUpperCase());
}

function upperCaseIdFields(v: unknown, key: string | undefined): unknown {
  if (typeof v === 'string') return key !== undefined && ID_KEYS.has(key) ? hexIds(v) : v;
  if (Array.isArray(v)) return v.map((x) => upperCaseIdFields(x, key));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, upperCaseIdFields(x, k)]));
  return v;
}

/** Every GUID in the item's resource paths (both twins) and in resourceData's id fields, upper-case without hyphens. */
export function upperCaseIds(item: Json): Json {
  return Object.fromEntries(
    Object.entries(item).map(([k, v]) => {
      if (RESOURCE_KEYS.includes(k)) return [k, typeof v === 'string' ? hexIds(v) : v];
      if (k === 'resourceData') return [k, upperCaseIdFields(v, undefined)];
      return [k, v];
    }),
  );
}

// ------------------------------------------------------------------ pascal-case-enums

/** Properties whose string values (or arrays of strings) are enum members. */
const ENUM_KEYS = new Set(['changeType', 'state', 'status', 'direction', 'mediaType', 'endpointType', 'modalities']);
/** Objects whose every string value is an enum member (`mediaState: {audio: "active"}`). */
const ENUM_OBJECTS = new Set(['mediaState']);

function isEnumKey(key: string): boolean {
  return ENUM_KEYS.has(key) || /Modalities$/.test(key);
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function mapStrings(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === 'string') return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, fn));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, fn)]));
  return v;
}

/** Enum values PascalCase (`Established`, `Deleted`), as SDK logs spell them. */
export function pascalEnums(v: unknown, key?: string): unknown {
  if (typeof v === 'string') return key !== undefined && isEnumKey(key) ? pascal(v) : v;
  if (Array.isArray(v)) return v.map((x) => pascalEnums(x, key !== undefined && isEnumKey(key) ? key : undefined));
  if (isObject(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        if (ENUM_OBJECTS.has(k) && isObject(x)) return [k, mapStrings(x, pascal)];
        return [k, pascalEnums(x, k)];
      }),
    );
  }
  return v;
}

// ------------------------------------------------------------------ resource / resourceUrl

const FAMILY = /^(\/?)(app|communications)(?=\/calls(\/|$))/i;

/** The same path in the other family: `/app/calls/X/...` <-> `/communications/calls/X/...`. */
export function inFamily(path: string, family: 'app' | 'communications'): string {
  return path.replace(FAMILY, `$1${family}`);
}

function isAppPath(path: string): boolean {
  return /^\/?app\/calls(\/|$)/i.test(path);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The item with `keep: path` where its first resource property was, and neither twin otherwise. */
function withOnlyPath(item: Json, keep: 'resource' | 'resourceUrl', path: string): Json {
  const out: Json = {};
  let placed = false;
  for (const [k, v] of Object.entries(item)) {
    if (RESOURCE_KEYS.includes(k)) {
      if (!placed) out[keep] = path;
      placed = true;
    } else out[k] = v;
  }
  return out;
}

/**
 * legacy-resource-only: the 2019 beta shape, `resource: /app/calls/...` and no `resourceUrl`. An
 * item without `resourceUrl` already has that shape and is left as it is.
 */
export function legacyResourceOnly(item: Json): Json {
  const url = str(item['resourceUrl']);
  if (url === undefined) return item;
  const resource = str(item['resource']);
  return withOnlyPath(item, 'resource', resource !== undefined && isAppPath(resource) ? resource : inFamily(resource ?? url, 'app'));
}

/**
 * resource-url-only: what the v1.0 doc examples show, `resourceUrl: /communications/calls/...` and
 * no `resource`. An item with `resource` alone (the 2019 beta shape) is left as it is: its flow's
 * requests are on beta /app/calls, and moving its notifications to /communications would test the
 * API family the bot answers on, not which property it reads.
 */
export function resourceUrlOnly(item: Json): Json {
  const url = str(item['resourceUrl']);
  if (url === undefined) return item;
  return withOnlyPath(item, 'resourceUrl', inFamily(url, 'communications'));
}

// ------------------------------------------------------------------ unknown-properties

function futureProperty(): Json {
  return {
    '@odata.type': '#microsoft.graph.callreplayFutureType',
    note: 'a property Graph may add later: a bot must ignore what it does not know',
    nested: { level: 2, values: [1, 'two', null, true] },
  };
}

function withNoise(o: Json): Json {
  return {
    ...o,
    callreplayFutureProperty: futureProperty(),
    '@callreplay.annotation': 'noise',
    ...(o['@odata.etag'] === undefined ? { '@odata.etag': 'W/"callreplay-1"' } : {}),
  };
}

/** The item and its resourceData (each entity of it) with properties Graph may add later. */
export function withFutureProperties(item: Json): Json {
  const data = item['resourceData'];
  const resourceData = Array.isArray(data) ? data.map((d: unknown) => (isObject(d) ? withNoise(d) : d)) : isObject(data) ? withNoise(data) : data;
  return { ...withNoise(item), ...(data === undefined ? {} : { resourceData }) };
}

// ------------------------------------------------------------------ call-level items

const CALL_PATH = /^\/?(?:app|communications)\/calls\/([^/?#]+)\/?$/i;

/** The call id of an item about a call itself (`/communications/calls/{id}`), as written; undefined for children (operations, participants). */
export function callIdOfItem(item: Json): string | undefined {
  const path = str(item['resourceUrl']) ?? str(item['resource']);
  const m = path === undefined ? null : CALL_PATH.exec(path);
  return m ? m[1] : undefined;
}

/** True when resourceData has more than `@odata.type` and `@odata.id` (the reject-shape `deleted`). */
function hasMoreThanOdataId(data: unknown): boolean {
  return isObject(data) && Object.keys(data).some((k) => k !== '@odata.type' && k !== '@odata.id');
}

/**
 * deleted-odata-id-only: a call's `deleted` item whose resourceData is only `@odata.type` and
 * `@odata.id` (the shape the reject doc shows): no `state`, no `resultInfo`.
 */
export function deletedOdataIdOnly(item: Json): Json {
  const id = callIdOfItem(item);
  if (id === undefined || str(item['changeType'])?.toLowerCase() !== 'deleted' || !hasMoreThanOdataId(item['resourceData'])) return item;
  const data = item['resourceData'] as Json;
  const path = (str(item['resourceUrl']) ?? str(item['resource']))!;
  return { ...item, resourceData: { '@odata.type': data['@odata.type'] ?? '#microsoft.graph.call', '@odata.id': str(data['@odata.id']) ?? `/${path.replace(/^\//, '')}` } };
}

/** What tone-sequence-ids adds to every toneInfo.sequenceId: the first tone of a flow (1) becomes 6, as in the captured tone press. */
export const TONE_SEQUENCE_OFFSET = 5;

/** tone-sequence-ids: every `toneInfo.sequenceId` of the item's resourceData moved up by TONE_SEQUENCE_OFFSET (equal ids stay equal: a replay is still a replay). */
export function toneSequenceShifted(item: Json): Json {
  const data = item['resourceData'];
  const shift = (d: unknown): unknown => {
    if (!isObject(d) || !isObject(d['toneInfo']) || typeof d['toneInfo']['sequenceId'] !== 'number') return d;
    return { ...d, toneInfo: { ...d['toneInfo'], sequenceId: d['toneInfo']['sequenceId'] + TONE_SEQUENCE_OFFSET } };
  };
  if (Array.isArray(data)) return { ...item, resourceData: data.map(shift) };
  return isObject(data) ? { ...item, resourceData: shift(data) } : item;
}

/**
 * A call's callChainId for call-chain-id: a GUID derived from the call id (the same call always
 * gets the same one; never the call id itself).
 */
export function chainIdOf(callId: string): string {
  const hex = createHash('sha1').update(`callreplay-callChainId:${callId.replace(/-/g, '').toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * call-chain-id: an item about a call itself carries `callChainId` in its resourceData, as every
 * captured call-state notification does; tone presses (`toneInfo`), operations and rosters do not
 * in the captures and are left alone, and so is a callChainId the flow already has.
 */
export function withCallChainId(item: Json): Json {
  const id = callIdOfItem(item);
  const data = item['resourceData'];
  if (id === undefined || !isObject(data) || data['callChainId'] !== undefined || data['toneInfo'] !== undefined) return item;
  return { ...item, resourceData: { ...data, callChainId: chainIdOf(id) } };
}
