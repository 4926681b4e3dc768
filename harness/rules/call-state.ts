/**
 * A per-run model of the calls a flow run is about, built only from the transcript: the
 * notifications the harness sent (call state), the bot's Graph requests (its actions) and the
 * harness's answers (which calls the bot created, whether an action was accepted).
 *
 * Feed it every transcript entry in order (observe()). It never reports anything itself: the rules
 * (rules.ts) read it. Ids are kept in normalized form (ids.ts: lower-case hex without hyphens), so
 * `/app/calls/57DAB8B1894C...` in a notification and `/communications/calls/57dab8b1-894c-...` in
 * a request are the same call.
 */
import { normalizeId } from '../engine/ids.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { classifyCallRequest, type CallingActionName } from '../graph/actions.js';
import { createdCallKind, mediaModeOfConfig } from '../graph/call-kind.js';

/**
 * Graph's callState values (v1.0 CSDL, camelCase), plus `deleted` (the call's `deleted` notification:
 * gone) and `unknown` (known only from a request, no state reported yet).
 */
export const CALL_STATES = [
  'incoming',
  'establishing',
  'established',
  'hold',
  'transferring',
  'transferAccepted',
  'redirecting',
  'terminating',
  'terminated',
  'deleted',
  'unknown',
] as const;
export type KnownCallState = (typeof CALL_STATES)[number];
/** A known state, or an unrecognized one lower-cased as received. */
export type CallState = KnownCallState | (string & {});

export type CallDirection = 'incoming' | 'outgoing' | 'unknown';

/**
 * A group call or meeting (`group`) or a peer-to-peer call (`p2p`); `unknown` until a create body or
 * the incoming-call notification tells. See TrackedCall.kindReason for what it was read from.
 */
export type CallKind = 'p2p' | 'group' | 'unknown';

/** The media mode of the bot's leg: the `mediaConfig` `@odata.type` of its accepted answer or create. */
export type MediaMode = 'serviceHosted' | 'appHosted' | 'unknown';

/**
 * callreplay's names (graph/actions.ts) that the rules call otherwise; every other action keeps its
 * name: Graph's action name for mid-call actions, `invite` for `participants/invite`,
 * `participantMute`, `startHoldMusic`, `stopHoldMusic` for the actions on `participants/{id}`.
 */
const RENAMED = {
  /** `POST calls` */
  createCall: 'create',
  /** `DELETE calls/{id}` */
  deleteCall: 'hangUp',
  /** `DELETE participants/{id}` */
  deleteParticipant: 'removeParticipant',
  getCall: 'get',
  listParticipants: 'get',
  getParticipant: 'get',
  getOperation: 'get',
} as const satisfies Partial<Record<CallingActionName, string>>;

/**
 * What a Graph request does, from its canonical path and method (see RENAMED). `get` is any GET
 * about calls; `downloadRecording` is a request under `calls/{id}/recordings` (where the harness
 * serves a recordOperation's recordingLocation); `other` is any other request about calls.
 */
export type CallAction = Exclude<CallingActionName, keyof typeof RENAMED> | (typeof RENAMED)[keyof typeof RENAMED] | 'other';

function callActionOf(name: CallingActionName): CallAction {
  return (RENAMED as Partial<Record<CallingActionName, CallAction>>)[name] ?? (name as Exclude<CallingActionName, keyof typeof RENAMED>);
}

export interface ClassifiedRequest {
  action: CallAction;
  /** the API version of the path (`/v1.0/...`, `/beta/...`), if it names one */
  version?: 'v1.0' | 'beta';
  /** normalized id of the call in the path, if any */
  callId?: string;
  /** normalized participant id, for requests about one participant */
  participantId?: string;
  canonical: string;
}

/**
 * The action of a Graph request (`undefined` when it is not about `/communications/calls` or
 * `/app/calls`, e.g. a recording download from elsewhere or a token request).
 */
export function classifyRequest(method: string, url: string): ClassifiedRequest | undefined {
  const request = classifyCallRequest(method, url);
  if (!request) return undefined;
  let action: CallAction;
  if (request.action) action = callActionOf(request.action);
  else if (request.rest[1] === 'recordings') action = 'downloadRecording'; // under the recordingLocation: not a call action
  else action = method.toUpperCase() === 'GET' ? 'get' : 'other';
  const out: ClassifiedRequest = { action, callId: request.callId, participantId: request.participantId, canonical: request.canonical };
  if (request.version === 'v1.0' || request.version === 'beta') out.version = request.version;
  return out;
}

/** One request the bot sent about a call. */
export interface ActionRecord {
  action: CallAction;
  method: string;
  url: string;
  body: unknown;
  /** transcript position and time (ms since the run started) of the request */
  seq: number;
  at: number;
  /** 1-based flow step the run stood at when the request came, if the caller said */
  step?: number;
  /** Graph's (the harness's) answer; undefined until it is recorded */
  status?: number;
}

export interface StateChange {
  state: CallState;
  at: number;
  /** 1-based step of the notification that reported it */
  step?: number;
}

/** What the run knows about one call. */
export interface TrackedCall {
  /** normalized id (lower-case hex without hyphens) */
  id: string;
  /** the id as first seen (notification path, create response, request path) */
  rawId: string;
  direction: CallDirection;
  state: CallState;
  /** entry.at of the last state change */
  since: number;
  history: StateChange[];
  /** a POST .../calls of the bot was answered 2xx with this call's id */
  createdByBot: boolean;
  /** when the harness sent the `created` notification with state incoming */
  incomingAt?: number;
  /** first time the harness reported the call established */
  establishedAt?: number;
  /** request time of the last keepAlive Graph answered 2xx */
  lastKeepAliveAt?: number;
  /**
   * The other party of a P2P call: `source.identity` of an incoming call, or the single target of a
   * call the bot placed (unknown for meetings and group calls).
   */
  remoteParty?: Record<string, unknown>;
  /** group call or meeting vs P2P (see kindReason) */
  kind: CallKind;
  /**
   * What `kind` was read from, for messages: e.g. `the incoming-call notification carries no chatInfo
   * or meetingInfo (step 1)`, `the bot created it with meetingInfo (step 4)`.
   */
  kindReason?: string;
  /**
   * Step of the bot's accepted invite that turned this P2P call into a group call ("meeting mode";
   * comms-samples #395: it stays one even when the invitee never joins).
   */
  escalatedAtStep?: number;
  /** the media mode of the bot's accepted answer or create (unknown for calls the bot did neither to) */
  media: MediaMode;
  /** every request the bot sent about this call, in order */
  actions: ActionRecord[];
}

/** Calls that are gone: Graph answers 404 / 8522 for them. */
export const ENDED_STATES: ReadonlySet<CallState> = new Set(['terminated', 'deleted']);

/** States in which a call that was established is live and takes mid-call actions. */
export const ACTIVE_STATES: ReadonlySet<CallState> = new Set(['established', 'hold']);

const STATE_BY_LOWER = new Map<string, KnownCallState>(CALL_STATES.map((s) => [s.toLowerCase(), s]));

/** `Established`, `ESTABLISHED` -> `established`; `transferaccepted` -> `transferAccepted`. */
export function normalizeState(value: unknown): CallState | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const lower = value.toLowerCase();
  return STATE_BY_LOWER.get(lower) ?? lower;
}

export class CallStateTracker {
  /** normalized id -> call */
  readonly calls = new Map<string, TrackedCall>();
  /** entry.at of the latest entry seen */
  latestAt = 0;
  /** the request whose answer has not been recorded yet (requests are answered synchronously) */
  private pending?: { entry: TranscriptEntry; at: number; request: ClassifiedRequest; record?: ActionRecord };

  /** The call with this id, in any spelling (GUID, hex, `/app/calls/{id}` path). */
  get(id: string): TrackedCall | undefined {
    return this.calls.get(normalizeId(id));
  }

  /** Calls in the order they became known. */
  list(): TrackedCall[] {
    return [...this.calls.values()];
  }

  /** True when the bot answered this call and Graph (the harness) accepted the answer. */
  static answered(call: TrackedCall): boolean {
    return call.actions.some((a) => a.action === 'answer' && a.status !== undefined && a.status >= 200 && a.status < 300);
  }

  /** True when the call is the bot's own: it answered it or created it (Graph accepted either). */
  static owned(call: TrackedCall): boolean {
    return call.createdByBot || CallStateTracker.answered(call);
  }

  /**
   * Feeds one transcript entry. `step` (1-based) is stored with actions and state changes so that
   * messages can say when something happened; `at` is when it happened (ms into the run: the
   * entry's own time unless the rules run on a clock of their own, RuleOptions.now).
   */
  observe(entry: TranscriptEntry, step?: number, at: number = entry.at): void {
    this.latestAt = Math.max(this.latestAt, at);
    switch (entry.kind) {
      case 'notification':
        this.onNotification(entry, at, step);
        break;
      case 'request':
        this.onRequest(entry, at, step);
        break;
      case 'response':
        this.onResponse(entry, at);
        break;
      default:
        break;
    }
  }

  private onNotification(entry: TranscriptEntry, at: number, step?: number): void {
    const values = isObject(entry.body) && Array.isArray(entry.body['value']) ? entry.body['value'] : [];
    for (const item of values) {
      if (!isObject(item)) continue;
      const resource = asString(item['resourceUrl']) ?? asString(item['resource']);
      if (resource === undefined) continue;
      const ref = callResource(resource);
      if (!ref || ref.child) continue; // rosters, operations, content sharing: no call state
      const changeType = asString(item['changeType'])?.toLowerCase();
      const data = item['resourceData'];
      const entities = (Array.isArray(data) ? data : [data]).filter(isObject);
      const call = this.ensure(ref.callId, ref.rawId, at);
      for (const entity of entities) {
        const state = normalizeState(entity['state']);
        if (changeType === 'created' && state === 'incoming') {
          call.incomingAt ??= at;
          const direction = asString(entity['direction'])?.toLowerCase();
          call.direction = direction === 'outgoing' ? 'outgoing' : 'incoming';
          const source = entity['source'];
          if (isObject(source) && isObject(source['identity'])) call.remoteParty = source['identity'];
          // call-answer: "If an invite to a group call is received, the notification will contain the
          // chatInfo and meetingInfo parameters". A chatInfo alone tells nothing (a P2P call has a chat
          // thread too: captured P2PTest2Event4UpdatedWithChatInfo), so the kind stays unknown then.
          if (call.kind === 'unknown') {
            const where = `the incoming-call notification${step !== undefined ? ` (step ${step})` : ''}`;
            if (isObject(entity['meetingInfo'])) {
              call.kind = 'group';
              call.kindReason = `${where} carries meetingInfo`;
            } else if (!isObject(entity['chatInfo'])) {
              call.kind = 'p2p';
              call.kindReason = `${where} carries no chatInfo or meetingInfo`;
            }
          }
        } else if (call.direction === 'unknown') {
          const direction = asString(entity['direction'])?.toLowerCase();
          if (direction === 'incoming' || direction === 'outgoing') call.direction = direction;
        }
        if (state !== undefined) this.setState(call, state, at, step);
      }
      if (changeType === 'deleted') this.setState(call, 'deleted', at, step);
    }
  }

  private onRequest(entry: TranscriptEntry, at: number, step?: number): void {
    this.pending = undefined;
    if (!entry.method || !entry.url) return;
    const request = classifyRequest(entry.method, entry.url);
    if (!request) return;
    const record: ActionRecord = { action: request.action, method: entry.method.toUpperCase(), url: entry.url, body: entry.body, seq: entry.seq, at, step };
    if (request.callId) this.ensure(request.callId, request.callId, at).actions.push(record);
    this.pending = { entry, at, request, record };
  }

  private onResponse(entry: TranscriptEntry, at: number): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || entry.status === undefined) return;
    if (pending.record) pending.record.status = entry.status;
    const ok = entry.status >= 200 && entry.status < 300;
    const { request } = pending;
    const step = pending.record?.step;
    const known = request.callId ? this.calls.get(request.callId) : undefined;
    if (request.action === 'keepAlive' && ok && known) known.lastKeepAliveAt = pending.at;
    if (request.action === 'answer' && ok && known) known.media = mediaModeOf(pending.entry.body);
    if (request.action === 'invite' && ok && known && known.kind === 'p2p') {
      known.kind = 'group';
      known.escalatedAtStep = step;
      known.kindReason = `the bot's invite${step !== undefined ? ` at step ${step}` : ''} turned the P2P call into a group call ("meeting mode")`;
    }
    if (request.action === 'create' && ok) {
      const rawId = createdCallId(entry);
      if (!rawId) return;
      const call = this.ensure(normalizeId(rawId), rawId, at);
      call.createdByBot = true;
      call.direction = 'outgoing';
      if (pending.record) call.actions.unshift(pending.record);
      if (call.state === 'unknown') {
        const body = isObject(entry.body) ? entry.body : undefined;
        this.setState(call, normalizeState(body?.['state']) ?? 'establishing', at, pending.record?.step);
      }
      const party = singleTargetIdentity(pending.entry.body);
      if (party) call.remoteParty ??= party;
      call.media = mediaModeOf(pending.entry.body);
      const kind = createdCallKind(pending.entry.body);
      if (kind) {
        call.kind = kind.kind;
        call.kindReason = `the bot created it ${kind.reason}${step !== undefined ? ` (step ${step})` : ''}`;
      }
    }
  }

  private ensure(id: string, rawId: string, at: number): TrackedCall {
    let call = this.calls.get(id);
    if (!call) {
      call = { id, rawId, direction: 'unknown', state: 'unknown', since: at, history: [], createdByBot: false, kind: 'unknown', media: 'unknown', actions: [] };
      this.calls.set(id, call);
    }
    return call;
  }

  private setState(call: TrackedCall, state: CallState, at: number, step?: number): void {
    if (call.state === 'deleted') return; // gone is gone
    if (state === 'established') call.establishedAt ??= at;
    if (call.state === state) return; // a repeated `established` (Graph sends it twice) is no change
    // establishing and established may arrive in either order: a late `establishing` is stale
    if (state === 'establishing' && call.establishedAt !== undefined) return;
    call.state = state;
    call.since = at;
    call.history.push({ state, at, step });
  }
}

// ------------------------------------------------------------------ helpers

/** `/communications/calls/{id}[/child...]` in any spelling (full URL, no leading slash, `/app`). */
function callResource(resource: string): { callId: string; rawId: string; child?: string } | undefined {
  const raw = /(?:^|\/)(?:app|communications)\/calls\/([^/?#]+)(?:\/([^?#]*))?/i.exec(resource);
  if (!raw) return undefined;
  const child = raw[2]?.replace(/\/+$/, '');
  return { callId: normalizeId(safeDecode(raw[1]!)), rawId: safeDecode(raw[1]!), child: child ? child : undefined };
}

/** The created call's id: the response body's `id`, else the last segment of `Location`. */
function createdCallId(entry: TranscriptEntry): string | undefined {
  const body = isObject(entry.body) ? entry.body : undefined;
  const id = asString(body?.['id']);
  if (id) return id;
  const headers = entry.headers ?? {};
  const location = Object.entries(headers).find(([k]) => k.toLowerCase() === 'location')?.[1];
  return location?.split(/[?#]/)[0]!.split('/').filter(Boolean).pop();
}

/** The identity of the only target of a P2P create (no meeting), if that is what the bot placed. */
function singleTargetIdentity(body: unknown): Record<string, unknown> | undefined {
  if (!isObject(body) || body['chatInfo'] !== undefined || body['meetingInfo'] !== undefined) return undefined;
  const targets = body['targets'];
  if (!Array.isArray(targets) || targets.length !== 1) return undefined;
  const target = targets[0];
  return isObject(target) && isObject(target['identity']) ? target['identity'] : undefined;
}

/** The media mode of a create's or answer's body (graph/call-kind.ts), `unknown` when it does not tell. */
export function mediaModeOf(body: unknown): MediaMode {
  return mediaModeOfConfig(isObject(body) ? body['mediaConfig'] : undefined) ?? 'unknown';
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
