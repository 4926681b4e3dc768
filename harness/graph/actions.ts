/**
 * The Graph calling surface under `/communications/calls`: one table of the actions (method and
 * v1.0 path) and one function that says which action a request is. The schema validator
 * (validate-requests.ts), the call-state model (rules/call-state.ts) and the fake Graph
 * (fake-graph.ts) all recognise requests with it; each maps the names below to its own outward
 * names where they differ (e.g. `deleteCall` is the rules' `hangUp` and the fake's `delete-call`).
 *
 * Requests are recognised on their canonical path (canonicalPath: `/answer` =
 * `/microsoft.graph.answer`, `/beta/app/calls` = `/beta/communications/calls`, ids in any spelling);
 * the result also says how the bot spelled its path (version, `/app`, ids), for answers that echo it.
 */
import { canonicalPath } from '../engine/canonical.js';

export type GraphVersion = 'v1.0' | 'beta';

export type GraphMethod = 'GET' | 'POST' | 'DELETE';

export interface CallingActionDefinition {
  /** callreplay's name of the action: Graph's action name for bound actions (the schema's x-graph-action) */
  readonly name: string;
  readonly method: GraphMethod;
  /**
   * The path after `/communications/calls`, as the v1.0 docs spell it. `{id}` is the call,
   * `{participantId}`, `{operationId}`, `{recordingId}` the other ids.
   */
  readonly path: string;
  /** older names of the last segment that Graph still takes (the 2019 beta `record`) */
  readonly aliases?: readonly string[];
  /** on beta only */
  readonly beta?: boolean;
}

/** Actions taken with POST on `{under}/{name}`: Graph's action name is callreplay's. */
function post<const N extends string>(under: string, ...names: N[]): Array<{ readonly name: N; readonly method: 'POST'; readonly path: string }> {
  return names.map((name) => ({ name, method: 'POST', path: `${under}/${name}` }));
}

/** Every calling request callreplay knows, by what it acts on. */
export const CALLING_ACTIONS = [
  // the calls collection
  { name: 'createCall', method: 'POST', path: '' },
  { name: 'logTeleconferenceDeviceQuality', method: 'POST', path: '/logTeleconferenceDeviceQuality' },
  // one call, and the actions bound to it
  { name: 'getCall', method: 'GET', path: '/{id}' },
  { name: 'deleteCall', method: 'DELETE', path: '/{id}' },
  ...post('/{id}', 'answer', 'reject', 'redirect', 'transfer', 'playPrompt', 'subscribeToTone', 'sendDtmfTones', 'cancelMediaProcessing', 'keepAlive'),
  ...post('/{id}', 'mute', 'unmute', 'updateRecordingStatus', 'changeScreenSharingRole', 'addLargeGalleryView'),
  { name: 'recordResponse', method: 'POST', path: '/{id}/recordResponse', aliases: ['record'] },
  // the participants of a call, and the actions bound to one
  { name: 'listParticipants', method: 'GET', path: '/{id}/participants' },
  { name: 'invite', method: 'POST', path: '/{id}/participants/invite' },
  { name: 'muteAll', method: 'POST', path: '/{id}/participants/muteAll', beta: true },
  { name: 'getParticipant', method: 'GET', path: '/{id}/participants/{participantId}' },
  { name: 'deleteParticipant', method: 'DELETE', path: '/{id}/participants/{participantId}' },
  { name: 'participantMute', method: 'POST', path: '/{id}/participants/{participantId}/mute' },
  ...post('/{id}/participants/{participantId}', 'startHoldMusic', 'stopHoldMusic'),
  { name: 'configureMixer', method: 'POST', path: '/{id}/participants/{participantId}/configureMixer', beta: true },
  // operations, and the recordings the harness serves at a recordOperation's recordingLocation
  { name: 'getOperation', method: 'GET', path: '/{id}/operations/{operationId}' },
  { name: 'downloadRecording', method: 'GET', path: '/{id}/recordings/{recordingId}' },
] as const satisfies readonly CallingActionDefinition[];

export type CallingActionName = (typeof CALLING_ACTIONS)[number]['name'];

const BY_NAME = new Map<string, CallingActionDefinition>(CALLING_ACTIONS.map((a) => [a.name, a]));

/** The table row of an action. */
export function callingAction(name: CallingActionName): CallingActionDefinition {
  return BY_NAME.get(name)!;
}

/** What a request about `/communications/calls` (or `/app/calls`) is. */
export interface ClassifiedCallRequest {
  /** the action the method and path name; undefined for another request about calls */
  action: CallingActionName | undefined;
  /** the older name the path used for the action (e.g. `record`), if it did */
  alias?: string;
  /** the canonical path (canonicalPath) */
  canonical: string;
  /** normalized id of the call in the path (lower-case hex for GUIDs), if the path names one */
  callId?: string;
  /** normalized participant id, for requests about one participant */
  participantId?: string;
  /** normalized operation id, for getOperation */
  operationId?: string;
  /** `v1.0` or `beta` when the path starts with it and nothing else comes before the root */
  version?: GraphVersion;
  /** the canonical segments before the root: `['v1.0']` usually, `[]` for an unversioned path */
  prefix: string[];
  /** the root as canonical: `communications`, or `app` where canonicalPath keeps it (v1.0, unversioned) */
  root: 'communications' | 'app';
  /** the canonical segments after `calls` */
  rest: string[];
  /** the path as the bot spelled it (decoded): the segments before the root, the root, the ids by the table's names */
  asSent: { prefix: string[]; root: string; ids: Record<string, string> };
}

interface Route {
  name: CallingActionName;
  method: GraphMethod;
  alias?: string;
  /** lower-cased literal segments; `{name}` captures an id */
  pattern: string[];
}

const splitPath = (path: string): string[] => path.split('/').filter((s) => s.length > 0);
const isParam = (segment: string): boolean => segment.startsWith('{');

const ROUTES: Route[] = CALLING_ACTIONS.flatMap((a: CallingActionDefinition & { name: CallingActionName }) => {
  const pattern = splitPath(a.path).map((s) => (isParam(s) ? s : s.toLowerCase()));
  const routes: Route[] = [{ name: a.name, method: a.method, pattern }];
  for (const alias of a.aliases ?? []) routes.push({ name: a.name, method: a.method, alias, pattern: [...pattern.slice(0, -1), alias.toLowerCase()] });
  return routes;
});

/** The literal segments at each position after `calls`: an id is never one of them. */
const LITERALS: Array<Set<string>> = [];
for (const route of ROUTES) {
  route.pattern.forEach((segment, i) => {
    if (!isParam(segment)) (LITERALS[i] ??= new Set()).add(segment);
  });
}

function rawSegments(path: string): string[] {
  return splitPath(path.replace(/[?#].*$/s, '')).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/**
 * Classifies a Graph request about calls: `url` is a path (`/v1.0/communications/calls/...`,
 * `/beta/app/calls/...`, a query is ignored) or a full URL (counted by its path). Undefined when
 * the path is not under `/communications/calls` or `/app/calls`.
 */
export function classifyCallRequest(method: string, url: string): ClassifiedCallRequest | undefined {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const canonical = canonicalPath(path);
  const segs = splitPath(canonical);
  const raw = rawSegments(path);
  if (raw.length !== segs.length) return undefined; // an id with an encoded slash: not a path Graph knows
  const ci = segs.findIndex((s, i) => s === 'calls' && (segs[i - 1] === 'communications' || segs[i - 1] === 'app'));
  if (ci < 0) return undefined;
  const prefix = segs.slice(0, ci - 1);
  const rest = segs.slice(ci + 1);
  const rawRest = raw.slice(ci + 1);
  const version = prefix.length === 1 && (prefix[0] === 'v1.0' || prefix[0] === 'beta') ? prefix[0] : undefined;
  const out: ClassifiedCallRequest = {
    action: undefined,
    canonical,
    version,
    prefix,
    root: segs[ci - 1] as 'communications' | 'app',
    rest,
    asSent: { prefix: raw.slice(0, ci - 1), root: raw[ci - 1]!, ids: {} },
  };
  if (rest.length > 0 && !LITERALS[0]?.has(rest[0]!)) out.callId = rest[0];
  const m = method.toUpperCase();
  for (const route of ROUTES) {
    if (route.method !== m || route.pattern.length !== rest.length) continue;
    const matches = route.pattern.every((p, i) => (isParam(p) ? !LITERALS[i]?.has(rest[i]!) : p === rest[i]));
    if (!matches) continue;
    out.action = route.name;
    if (route.alias !== undefined) out.alias = route.alias;
    route.pattern.forEach((p, i) => {
      if (!isParam(p)) return;
      const name = p.slice(1, -1);
      out.asSent.ids[name] = rawRest[i]!;
      if (name === 'participantId') out.participantId = rest[i];
      if (name === 'operationId') out.operationId = rest[i];
    });
    break;
  }
  return out;
}
