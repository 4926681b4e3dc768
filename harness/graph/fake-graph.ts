/**
 * A fake Microsoft Graph for the v1.0 calling API: given a request a bot sent to Graph, the
 * synchronous answer Graph documents for it (status, Location, operation body) and the
 * notifications Graph sends afterwards (commsNotifications bodies, in order, each with a suggested
 * delay). Pure: no I/O, no timers; the caller sends the follow-ups.
 *
 * Paths are recognised by the calling-action table (actions.ts) on their canonical form (canonicalPath:
 * `/answer` = `/microsoft.graph.answer`, `/beta/app/calls` = `/beta/communications/calls`, ids in any
 * spelling), while Location headers and
 * notification resourceUrls keep what the bot used: its version, its path family (`/communications`
 * or, on beta, `/app`) and its spelling of the call id.
 *
 * With the call as it is (FakeGraphContext.call: a run's call book, call-book.ts), an action the
 * call's state or kind forbids gets Graph's error instead (legality.ts): 404/8522 once the call has
 * ended, and the documented refusals. A path that is no calling action gives undefined here; the
 * run's fake Graph answers it with unknown-paths.ts (run-graph.ts puts the three together).
 *
 * Sources: the Graph v1.0 API pages for each action (call-answer, call-transfer, participant-invite,
 * call-playprompt, call-record, call-delete with its end-reason table, ...), linked in
 * FAKE_GRAPH_ACTIONS.
 */
import { randomUUID } from 'node:crypto';
import { callIdOfReference, sameId } from '../engine/ids.js';
import type { OutboundResponse } from '../engine/ports.js';
import { callingAction, classifyCallRequest, type CallingActionName } from './actions.js';
import { answerOnlineMeeting, type GraphCaller } from './fake-online-meetings.js';
import { refusalOf, type GraphRefusal } from './legality.js';
import {
  RESULT,
  audioStream,
  callData,
  identitySet,
  notification,
  notifications,
  operationData,
  participantData,
  screenSharingStream,
  spellId,
  tinyWav,
  type CommsNotification,
  type NotificationIdStyle,
  type PathFamily,
  type ResultInfo,
} from './fake-graph-notifications.js';

export type { CommsNotification, CommsNotificationsBody, NotificationIdStyle, PathFamily, ResultInfo } from './fake-graph-notifications.js';
export { RESULT, tinyWav } from './fake-graph-notifications.js';

export type Outcome = 'success' | 'failure';

/** A media operation still running on the call (so cancelMediaProcessing can fail it). */
export interface RunningOperation {
  id: string;
  /** the action that started it: 'playPrompt' or 'recordResponse' (others are ignored by cancelMediaProcessing) */
  action: string;
  clientContext?: string | null;
}

export interface FakeGraphContext {
  /** the Graph base URL as the bot sees it, for Location headers, e.g. https://graph.microsoft.com */
  graphBaseUrl: string;
  /** mints ids (GUIDs) for created calls and operations */
  newId(): string;
  /** what the call is like, when known (for realistic follow-ups); used only when its id is the call in the path */
  call?: {
    id: string;
    /** e.g. 'established'; 'terminated' or 'deleted' makes every request about the call a 404 (8522 Call not found) */
    state?: string;
    /** true: a group call or meeting (answer and mute send roster updates; transfer needs a transferee); false: a P2P call (no mute) */
    group?: boolean;
    /** the bot already answered, rejected or redirected the call (a second one is refused) */
    decided?: boolean;
    /** the call has been established (answer, reject and redirect are refused even if a reordered notification says otherwise) */
    wasEstablished?: boolean;
    /** the media the call was answered or created with */
    mediaMode?: 'serviceHosted' | 'appHosted';
    /** the bot's participant id in the call */
    myParticipantId?: string;
    /** media operations still running (cancelMediaProcessing fails them) */
    runningOperations?: readonly RunningOperation[];
  };
  /** default success */
  outcome?: Outcome;
  now?: () => Date;
  /** the bot's app id, for its identity in rosters (default: the source of a created call, else a placeholder) */
  botAppId?: string;
  /** how ids are spelled in notification resourceUrls (default 'as-sent') */
  notificationIds?: NotificationIdStyle;
  /** the request's client-request-id header, echoed in error bodies */
  clientRequestId?: string;
  /**
   * who the request acts as (its bearer token): the organizer of an online meeting created with
   * /me/onlineMeetings is the signed-in user; an app token gets Graph's error on /me
   */
  caller?: GraphCaller;
  /** online meetings created with createOrGet, by organizer and externalId (a second createOrGet answers 200 with the first) */
  onlineMeetings?: Map<string, Record<string, unknown>>;
}

export interface FollowUp {
  /** suggested wait before sending this one, after the previous one (or after the answer, for the first) */
  delayMs: number;
  body: { value: unknown[] };
}

export interface FakeGraphAnswer {
  /** the action, e.g. 'answer', 'playPrompt', 'participants/invite', 'create', 'delete-call', 'get-call' */
  action: string;
  response: OutboundResponse;
  /** the notifications Graph sends after it (commsNotifications bodies, in order), with a suggested delay before each */
  followUps: FollowUp[];
  /** set when Graph refuses the request for the call's state or kind (the response is the error) */
  refused?: GraphRefusal;
}

export interface FakeGraphAction {
  action: string;
  /** the action in callreplay's table of calling actions (actions.ts), which gives the method and path */
  callingAction: CallingActionName;
  method: string;
  /** the v1.0 path; `{id}` is the call id. Also accepted: /beta/communications, /beta/app, /microsoft.graph.{action} */
  path: string;
  /** the documented synchronous status */
  status: number;
  /** the Graph documentation page */
  doc: string;
  /** the answer carries a Location header (the created call, or the operation) */
  location: boolean;
  /** the operation type in the answer body, e.g. 'playPromptOperation' */
  operation?: string;
  /** the operation's status in the answer body, as documented */
  operationStatus?: 'running' | 'Running' | 'completed';
  /** the notifications that follow a success */
  followUps: string;
  /** what outcome 'failure' changes ('' when the docs describe no failure: the answer is the success) */
  failure: string;
}

const DOC = 'https://learn.microsoft.com/graph/api';
const v1 = (page: string) => `${DOC}/${page}?view=graph-rest-1.0`;

/** A row as written below: `action` defaults to the calling action's name; method and path come from its table. */
type FakeGraphRow = Omit<FakeGraphAction, 'action' | 'method' | 'path'> & { action?: string };

/** Every action the fake Graph answers (a table for docs; answerAsGraph follows it). */
export const FAKE_GRAPH_ACTIONS: readonly FakeGraphAction[] = ([
  { callingAction: 'createCall', action: 'create', status: 201, doc: v1('application-post-calls'), location: true, followUps: 'call establishing, established; a meeting or group call: roster', failure: 'call establishing, then deleted terminated 480/10076 (callee could not be reached)' },
  { callingAction: 'getCall', action: 'get-call', status: 200, doc: v1('call-get'), location: false, followUps: '', failure: '' },
  { callingAction: 'deleteCall', action: 'delete-call', status: 204, doc: v1('call-delete'), location: false, followUps: 'call terminating, deleted terminated 200/5001', failure: '' },
  { callingAction: 'answer', status: 202, doc: v1('call-answer'), location: false, followUps: 'call establishing, established (media active); a group call: roster', failure: 'deleted terminated 408/1106 (answer too late)' },
  { callingAction: 'reject', status: 202, doc: v1('call-reject'), location: false, followUps: 'call deleted (@odata.id only)', failure: '' },
  { callingAction: 'redirect', status: 202, doc: v1('call-redirect'), location: false, followUps: 'call deleted terminated (to the new callbackUri)', failure: '' },
  { callingAction: 'transfer', status: 202, doc: v1('call-transfer'), location: false, followUps: 'transferring, transferAccepted, deleted terminated 0/7015 GracefulTransferCompleted; consultative (replacesCallId): terminationReason AppTransferred, then the replaced call deleted', failure: 'transferring, then updated established 500/7000 (blind) or 500/7700 + replacesContext (consultative)' },
  { callingAction: 'invite', action: 'participants/invite', status: 200, doc: v1('participant-invite'), location: true, operation: 'inviteParticipantsOperation', operationStatus: 'Running', followUps: 'operation deleted completed, roster with the invitees; with replacesCallId: the replaced call deleted terminated', failure: 'operation deleted failed 500/9999' },
  { callingAction: 'playPrompt', status: 200, doc: v1('call-playprompt'), location: true, operation: 'playPromptOperation', operationStatus: 'running', followUps: 'operation deleted completed 200/0', failure: 'operation deleted failed 500/9999' },
  { callingAction: 'recordResponse', status: 200, doc: v1('call-record'), location: true, operation: 'recordOperation', operationStatus: 'running', followUps: 'operation deleted completed 200/8515 with recordingLocation and recordingAccessToken', failure: 'operation deleted failed 500/9999, no recording' },
  { callingAction: 'downloadRecording', action: 'get-recording', status: 200, doc: v1('call-record'), location: false, followUps: '', failure: '' },
  { callingAction: 'subscribeToTone', status: 200, doc: v1('call-subscribetotone'), location: true, operation: 'subscribeToToneOperation', operationStatus: 'completed', followUps: '(none: tones arrive as call updates with toneInfo)', failure: '' },
  { callingAction: 'sendDtmfTones', status: 200, doc: v1('call-senddtmftones'), location: true, operation: 'sendDtmfTonesOperation', operationStatus: 'running', followUps: 'operation deleted completed, completionReason completedSuccessfully', failure: 'operation deleted completed, completionReason unknown' },
  { callingAction: 'cancelMediaProcessing', status: 200, doc: v1('call-cancelmediaprocessing'), location: true, operation: 'cancelMediaProcessingOperation', operationStatus: 'completed', followUps: 'each running playPrompt/recordResponse the context names: operation deleted failed 400/8508 operationCanceled', failure: '' },
  { callingAction: 'keepAlive', status: 200, doc: v1('call-keepalive'), location: false, followUps: '', failure: '' },
  { callingAction: 'mute', status: 200, doc: v1('call-mute'), location: true, operation: 'muteParticipantOperation', operationStatus: 'completed', followUps: 'roster: the bot muted', failure: '' },
  { callingAction: 'unmute', status: 200, doc: v1('call-unmute'), location: true, operation: 'unmuteParticipantOperation', operationStatus: 'completed', followUps: 'roster: the bot unmuted', failure: '' },
  { callingAction: 'participantMute', action: 'participants/mute', status: 200, doc: v1('participant-mute'), location: true, operation: 'muteParticipantOperation', operationStatus: 'completed', followUps: 'roster: the participant muted', failure: '' },
  { callingAction: 'startHoldMusic', action: 'participants/startHoldMusic', status: 202, doc: v1('participant-startholdmusic'), location: true, operation: 'startHoldMusicOperation', operationStatus: 'running', followUps: 'operation deleted completed', failure: 'operation deleted failed 500/9999' },
  { callingAction: 'stopHoldMusic', action: 'participants/stopHoldMusic', status: 202, doc: v1('participant-stopholdmusic'), location: true, operation: 'stopHoldMusicOperation', operationStatus: 'running', followUps: 'operation deleted completed', failure: 'operation deleted failed 500/9999' },
  { callingAction: 'updateRecordingStatus', status: 200, doc: v1('call-updaterecordingstatus'), location: true, operation: 'updateRecordingStatusOperation', operationStatus: 'completed', followUps: '', failure: '' },
  { callingAction: 'changeScreenSharingRole', status: 202, doc: v1('call-changescreensharingrole'), location: false, followUps: 'roster: the bot with a videoBasedScreenSharing stream (sendOnly for sharer, receiveOnly for viewer)', failure: '' },
  { callingAction: 'addLargeGalleryView', status: 202, doc: v1('call-addlargegalleryview'), location: true, operation: 'addLargeGalleryViewOperation', operationStatus: 'running', followUps: 'operation deleted completed', failure: 'operation deleted failed 500/9999' },
  { callingAction: 'logTeleconferenceDeviceQuality', status: 200, doc: v1('call-logteleconferencedevicequality'), location: false, followUps: '', failure: '' },
  { callingAction: 'listParticipants', action: 'list-participants', status: 200, doc: v1('call-list-participants'), location: false, followUps: '', failure: '' },
  { callingAction: 'getParticipant', action: 'get-participant', status: 200, doc: v1('participant-get'), location: false, followUps: '', failure: '' },
  { callingAction: 'deleteParticipant', action: 'delete-participant', status: 204, doc: v1('participant-delete'), location: false, followUps: 'roster without the participant', failure: '' },
  { callingAction: 'getOperation', action: 'get-operation', status: 200, doc: `${DOC}/resources/commsoperation?view=graph-rest-1.0`, location: false, followUps: '', failure: '' },
] satisfies FakeGraphRow[]).map(({ action, callingAction: name, ...row }: FakeGraphRow): FakeGraphAction => {
  const { method, path } = callingAction(name);
  return { action: action ?? name, callingAction: name, method, path: `/v1.0/communications/calls${path}`, ...row };
});

/** Suggested delays (ms) before follow-up notifications: short, so flows stay fast. */
const DELAY = { state: 20, roster: 10, operation: 30, end: 20 } as const;

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The row of each calling action the fake answers. */
const ROWS_BY_ACTION = new Map<CallingActionName, FakeGraphAction>(FAKE_GRAPH_ACTIONS.map((entry) => [entry.callingAction, entry]));

/** The operation type each operation-starting action reports (for get-operation and cancelMediaProcessing). */
const OPERATION_OF: Record<string, string> = Object.fromEntries(FAKE_GRAPH_ACTIONS.filter((e) => e.operation).map((e) => [e.action, e.operation!]));

/**
 * Graph's answer to a calling request, and the notifications that follow it; undefined when
 * `path` is not a calling action (another Graph resource, another version, `/app` on v1.0, or a
 * method the action does not take).
 */
export function answerAsGraph(method: string, path: string, body: unknown, ctx: FakeGraphContext): FakeGraphAnswer | undefined {
  const meeting = answerOnlineMeeting(method, path, body, ctx);
  if (meeting) return meeting;
  const request = classifyCallRequest(method, path); // a full URL (e.g. a recordingLocation) counts by its path
  // the 2019 beta names (record) are not served; /app is beta only (canonicalPath keeps it on v1.0)
  if (!request?.action || request.alias !== undefined || !request.version || request.root !== 'communications') return undefined;
  const entry = ROWS_BY_ACTION.get(request.action);
  if (!entry) return undefined;
  const family: PathFamily = request.asSent.root.toLowerCase() === 'app' ? 'app' : 'communications';
  const req = new GraphRequest(entry, ctx, request.asSent.prefix[0]!, family, request.asSent.ids, body);
  // the call's state or kind forbids the action (legality.ts cites the evidence for each refusal)
  const refusal = refusalOf(entry.action, req.knownCall, req.body);
  if (refusal) return { action: entry.action, response: req.error(refusal.status, refusal.code, refusal.message), followUps: [], refused: refusal };
  return { action: entry.action, response: HANDLERS[entry.action]!(req), followUps: req.followUps };
}

/** Graph's error body: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */
export function graphErrorBody(
  status: number,
  code: string,
  message: string,
  opts: { now?: Date; requestId?: string; clientRequestId?: string } = {},
): { error: { code: string; message: string; innerError: { date: string; 'request-id': string; 'client-request-id': string } } } {
  const requestId = opts.requestId ?? randomUUID();
  return {
    error: {
      code: code || defaultErrorCode(status),
      message,
      innerError: {
        date: (opts.now ?? new Date()).toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': opts.clientRequestId ?? requestId,
      },
    },
  };
}

/** A whole error response in Graph's shape. */
export function graphErrorResponse(status: number, code: string, message: string, opts: { now?: Date; requestId?: string; clientRequestId?: string } = {}): OutboundResponse {
  return { status, headers: { ...JSON_HEADERS }, body: graphErrorBody(status, code, message, opts) };
}

function defaultErrorCode(status: number): string {
  switch (status) {
    case 400: return 'BadRequest';
    case 401: return 'InvalidAuthenticationToken';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    default: return status >= 500 ? 'InternalServerError' : 'BadRequest';
  }
}

// ------------------------------------------------------------------ one request

class GraphRequest {
  readonly followUps: FollowUp[] = [];
  readonly base: string;
  readonly body: Record<string, unknown>;
  readonly callId: string;
  readonly knownCall: FakeGraphContext['call'];
  readonly failure: boolean;
  readonly style: NotificationIdStyle;
  readonly clientContext: string | null;

  constructor(
    readonly entry: FakeGraphAction,
    readonly ctx: FakeGraphContext,
    readonly version: string,
    readonly family: PathFamily,
    readonly params: Record<string, string>,
    body: unknown,
  ) {
    this.base = ctx.graphBaseUrl.replace(/\/+$/, '');
    this.body = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    this.callId = params['id'] ?? '';
    this.knownCall = ctx.call && this.callId && sameId(ctx.call.id, this.callId) ? ctx.call : undefined;
    this.failure = ctx.outcome === 'failure';
    this.style = ctx.notificationIds ?? 'as-sent';
    const cc = this.body['clientContext'];
    this.clientContext = typeof cc === 'string' ? cc : null;
  }

  /** `{base}/{version}/{family}/calls/{id}{sub}`: where the bot finds the call (ids as it spelled them). */
  location(sub = '', callId = this.callId): string {
    return `${this.base}/${this.version}/${this.family}/calls/${callId}${sub}`;
  }

  /** `/{family}/calls/{id}`: a notification's resourceUrl for the call. */
  callUrl(callId = this.callId): string {
    return `/${this.family}/calls/${spellId(callId, this.style)}`;
  }

  operationUrl(opId: string, callId = this.callId): string {
    return `${this.callUrl(callId)}/operations/${spellId(opId, this.style)}`;
  }

  /** Queues a follow-up notification body. */
  send(delayMs: number, ...items: CommsNotification[]): void {
    this.followUps.push({ delayMs, body: notifications(...items) });
  }

  note(changeType: CommsNotification['changeType'], resourceUrl: string, data: CommsNotification['resourceData'], callbackUri?: string): CommsNotification {
    return notification(changeType, resourceUrl, data, { family: this.family, callbackUri });
  }

  /** A call notification (`updated` or `deleted`) for this call or another one. */
  callUpdate(delayMs: number, changeType: 'updated' | 'deleted', fields: Record<string, unknown>, opts: { callId?: string; callbackUri?: string } = {}): void {
    const url = this.callUrl(opts.callId);
    this.send(delayMs, this.note(changeType, url, callData(url, fields), opts.callbackUri));
  }

  /** The `deleted` notification that ends an operation. */
  operationEnd(opId: string, type: string, fields: { status: string; resultInfo?: ResultInfo | null; clientContext?: string | null } & Record<string, unknown>): void {
    const url = this.operationUrl(opId);
    const { clientContext = this.clientContext, ...rest } = fields;
    this.send(DELAY.operation, this.note('deleted', url, operationData(type, { resourceUrl: url, id: opId, clientContext, ...rest })));
  }

  roster(delayMs: number, participants: Array<Record<string, unknown>>, callId = this.callId): void {
    const url = `${this.callUrl(callId)}/participants`;
    this.send(delayMs, this.note('updated', url, participants));
  }

  /** 200/202 + Location + the operation this action starts (type and status from the table). */
  operationResponse(opId: string, extra: Record<string, unknown> = {}): OutboundResponse {
    const type = this.entry.operation!;
    return {
      status: this.entry.status,
      headers: { ...JSON_HEADERS, location: this.location(`/operations/${opId}`) },
      body: operationData(type, { id: opId, status: this.entry.operationStatus!, clientContext: this.clientContext, ...extra }),
    };
  }

  empty(status = this.entry.status): OutboundResponse {
    return { status, headers: {} };
  }

  error(status: number, code: string, message: string): OutboundResponse {
    return graphErrorResponse(status, code, message, { now: this.ctx.now?.(), requestId: this.ctx.newId(), clientRequestId: this.ctx.clientRequestId });
  }

  /** The bot's identity in rosters. */
  botIdentity(source?: unknown): unknown {
    const identity = (source as { identity?: unknown } | undefined)?.identity;
    if (identity && typeof identity === 'object') return identity;
    return identitySet('application', this.ctx.botAppId ?? '00000000-0000-0000-0000-000000000000', 'Bot');
  }

  botParticipant(opts: Parameters<typeof participantData>[2] = {}, participantId?: string): Record<string, unknown> {
    const id = participantId ?? this.knownCall?.myParticipantId ?? this.ctx.newId();
    return participantData(id, this.botIdentity(), { callResourceUrl: this.callUrl(), ...opts });
  }

  /** Someone else in the call (identity unknown to the fake: a placeholder user). */
  otherParticipant(id: string, opts: Parameters<typeof participantData>[2] = {}): Record<string, unknown> {
    return participantData(id, identitySet('user', this.ctx.newId(), 'Participant'), { callResourceUrl: this.callUrl(), ...opts });
  }
}

// ------------------------------------------------------------------ the actions

type Handler = (r: GraphRequest) => OutboundResponse;

const mediaActive = { '@odata.type': '#microsoft.graph.callMediaState', audio: 'active' };

const HANDLERS: Record<string, Handler> = {
  create(r) {
    const b = r.body;
    const id = r.ctx.newId();
    const callChainId = r.ctx.newId();
    const myParticipantId = r.ctx.newId();
    const callbackUri = typeof b['callbackUri'] === 'string' ? b['callbackUri'] : undefined;
    const targets = Array.isArray(b['targets']) ? (b['targets'] as unknown[]) : [];
    const meeting = b['meetingInfo'] != null || b['chatInfo'] != null;
    const group = meeting || targets.length > 1;
    const source = b['source'] ?? { '@odata.type': '#microsoft.graph.participantInfo', identity: r.botIdentity() };
    const meetingFields = meeting ? { chatInfo: b['chatInfo'] ?? null, meetingInfo: b['meetingInfo'] ?? null } : {};

    const opts = { callId: id, callbackUri };
    r.callUpdate(DELAY.state, 'updated', { state: 'establishing', id, ...meetingFields }, opts);
    if (r.failure) {
      r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', id, direction: 'outgoing', resultInfo: RESULT.calleeUnreachable(), callChainId }, opts);
    } else {
      r.callUpdate(DELAY.state, 'updated', { state: 'established', id, direction: 'outgoing', mediaState: mediaActive, ...meetingFields }, opts);
      if (group) {
        const callUrl = r.callUrl(id);
        const people: Array<Record<string, unknown>> = [participantData(myParticipantId, r.botIdentity(source), { callResourceUrl: callUrl })];
        const organizer = (b['meetingInfo'] as { organizer?: unknown } | undefined)?.organizer;
        if (meeting && organizer) people.push(participantData(r.ctx.newId(), organizer, { callResourceUrl: callUrl }));
        if (!meeting) for (const t of targets) people.push(participantData(r.ctx.newId(), (t as { identity?: unknown }).identity ?? null, { callResourceUrl: callUrl }));
        const url = `${callUrl}/participants`;
        r.send(DELAY.roster, notification('updated', url, people, { family: r.family, callbackUri }));
      }
    }
    return {
      status: 201,
      headers: { ...JSON_HEADERS, location: r.location('', id) },
      body: {
        '@odata.context': `${r.base}/${r.version}/$metadata#${r.family}/calls/$entity`,
        '@odata.type': '#microsoft.graph.call',
        id,
        state: 'establishing',
        direction: 'outgoing',
        callbackUri: callbackUri ?? null,
        callChainId,
        source,
        targets,
        requestedModalities: b['requestedModalities'] ?? ['audio'],
        mediaConfig: b['mediaConfig'] ?? null,
        chatInfo: b['chatInfo'] ?? null,
        meetingInfo: b['meetingInfo'] ?? null,
        tenantId: b['tenantId'] ?? null,
        subject: b['subject'] ?? null,
        myParticipantId,
        mediaState: null,
        resultInfo: null,
        answeredBy: null,
        toneInfo: null,
      },
    };
  },

  'get-call'(r) {
    const state = r.knownCall?.state ?? 'established';
    return {
      status: 200,
      headers: { ...JSON_HEADERS },
      body: {
        '@odata.context': `${r.base}/${r.version}/$metadata#${r.family}/calls/$entity`,
        '@odata.type': '#microsoft.graph.call',
        id: r.callId,
        state,
        myParticipantId: r.knownCall?.myParticipantId ?? null,
        mediaState: state === 'established' ? mediaActive : null,
        requestedModalities: ['audio'],
        resultInfo: null,
        toneInfo: null,
      },
    };
  },

  'delete-call'(r) {
    r.callUpdate(DELAY.end, 'updated', { state: 'terminating' });
    r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', resultInfo: RESULT.conversationEnded() });
    return r.empty();
  },

  answer(r) {
    if (r.failure) {
      r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', resultInfo: RESULT.lateAnswer() });
      return r.empty();
    }
    r.callUpdate(DELAY.state, 'updated', { state: 'establishing' });
    r.callUpdate(DELAY.state, 'updated', { state: 'established', mediaState: mediaActive });
    if (r.knownCall?.group) r.roster(DELAY.roster, [r.botParticipant()]);
    return r.empty();
  },

  reject(r) {
    const url = r.callUrl();
    r.send(DELAY.end, r.note('deleted', url, callData(url)));
    return r.empty();
  },

  redirect(r) {
    const callbackUri = typeof r.body['callbackUri'] === 'string' ? r.body['callbackUri'] : undefined;
    r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', direction: 'incoming', ...(callbackUri ? { callbackUri } : {}) }, { callbackUri });
    return r.empty();
  },

  transfer(r) {
    const target = (r.body['transferTarget'] ?? {}) as { replacesCallId?: unknown };
    // the bare id: the seed page sends the path form (/app/calls/{id}), and resources are built from it
    const replaces = typeof target.replacesCallId === 'string' && target.replacesCallId !== '' ? callIdOfReference(target.replacesCallId) : undefined;
    r.callUpdate(DELAY.state, 'updated', { state: 'transferring' });
    if (r.failure) {
      const resultInfo = replaces ? RESULT.consultativeTransferFailed() : RESULT.transferFailed();
      r.callUpdate(DELAY.state, 'updated', { state: 'established', resultInfo, ...(replaces ? { replacesContext: replaces } : {}) });
      return r.empty();
    }
    r.callUpdate(DELAY.state, 'updated', { state: 'transferAccepted' });
    if (replaces) {
      r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', terminationReason: 'AppTransferred' });
      r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', terminationReason: 'AppTransferred' }, { callId: replaces });
    } else {
      r.callUpdate(DELAY.end, 'deleted', { state: 'terminated', resultInfo: RESULT.transferCompleted() });
    }
    return r.empty();
  },

  'participants/invite'(r) {
    const opId = r.ctx.newId();
    const all = Array.isArray(r.body['participants']) ? (r.body['participants'] as Array<Record<string, unknown>>) : [];
    const first = all[0];
    // the bare id: the seed page sends the path form (/app/calls/{id}), and resources are built from it
    const replaces = typeof first?.['replacesCallId'] === 'string' && first['replacesCallId'] !== '' ? callIdOfReference(first['replacesCallId'] as string) : undefined;
    // with replacesCallId only the first participant is read (participant-invite, example 3)
    const invited = replaces ? all.slice(0, 1) : all;
    const type = r.entry.operation!;
    if (r.failure) {
      r.operationEnd(opId, type, { status: 'failed', resultInfo: RESULT.operationFailed('addParticipants'), participants: invited });
    } else {
      r.operationEnd(opId, type, { status: 'completed', resultInfo: null, participants: invited });
      r.roster(
        DELAY.roster,
        invited.map((p) => participantData(r.ctx.newId(), p['identity'] ?? null, { callResourceUrl: r.callUrl(), replacesCallId: replaces })),
      );
      if (replaces) r.callUpdate(DELAY.end, 'deleted', { state: 'terminated' }, { callId: replaces });
    }
    return r.operationResponse(opId, { participants: invited });
  },

  playPrompt(r) {
    const opId = r.ctx.newId();
    const type = r.entry.operation!;
    if (r.failure) r.operationEnd(opId, type, { status: 'failed', resultInfo: RESULT.operationFailed('playPrompt') });
    else r.operationEnd(opId, type, { status: 'completed', resultInfo: RESULT.actionCompleted() });
    return r.operationResponse(opId);
  },

  recordResponse(r) {
    const opId = r.ctx.newId();
    const type = r.entry.operation!;
    if (r.failure) {
      r.operationEnd(opId, type, { status: 'failed', resultInfo: RESULT.operationFailed('recordResponse'), recordingLocation: '', recordingAccessToken: '' });
    } else {
      const recordingLocation = r.location(`/recordings/${r.ctx.newId()}`);
      const recordingAccessToken = `callreplay-recording-${r.ctx.newId()}`;
      r.operationEnd(opId, type, { status: 'completed', resultInfo: RESULT.maxRecordDuration(), recordingLocation, recordingAccessToken });
    }
    return r.operationResponse(opId, { recordingLocation: null });
  },

  'get-recording'() {
    // ASCII-only bytes: a string body survives every transport unchanged
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: tinyWav().toString('latin1') };
  },

  subscribeToTone(r) {
    return r.operationResponse(r.ctx.newId());
  },

  sendDtmfTones(r) {
    const opId = r.ctx.newId();
    r.operationEnd(opId, r.entry.operation!, { status: 'completed', completionReason: r.failure ? 'unknown' : 'completedSuccessfully' });
    return r.operationResponse(opId);
  },

  cancelMediaProcessing(r) {
    for (const op of r.knownCall?.runningOperations ?? []) {
      if (op.action !== 'playPrompt' && op.action !== 'recordResponse') continue;
      const extra = op.action === 'recordResponse' ? { recordingLocation: '', recordingAccessToken: '' } : {};
      r.operationEnd(op.id, OPERATION_OF[op.action]!, {
        status: 'failed',
        resultInfo: RESULT.operationCancelled(),
        clientContext: op.clientContext ?? null,
        completionReason: 'operationCanceled',
        ...extra,
      });
    }
    return r.operationResponse(r.ctx.newId());
  },

  keepAlive(r) {
    return r.empty();
  },

  mute(r) {
    r.roster(DELAY.roster, [r.botParticipant({ isMuted: true })]);
    return r.operationResponse(r.ctx.newId());
  },

  unmute(r) {
    r.roster(DELAY.roster, [r.botParticipant({ isMuted: false })]);
    return r.operationResponse(r.ctx.newId());
  },

  'participants/mute'(r) {
    r.roster(DELAY.roster, [r.otherParticipant(r.params['participantId']!, { isMuted: true, mediaStreams: [{ ...audioStream('sendReceive'), serverMuted: true }] })]);
    return r.operationResponse(r.ctx.newId());
  },

  'participants/startHoldMusic'(r) {
    return holdMusic(r);
  },

  'participants/stopHoldMusic'(r) {
    return holdMusic(r);
  },

  updateRecordingStatus(r) {
    return r.operationResponse(r.ctx.newId());
  },

  changeScreenSharingRole(r) {
    const direction = r.body['role'] === 'sharer' ? 'sendOnly' : 'receiveOnly';
    r.roster(DELAY.roster, [r.botParticipant({ mediaStreams: [audioStream('sendReceive'), screenSharingStream(direction)] })]);
    return r.empty();
  },

  addLargeGalleryView(r) {
    const opId = r.ctx.newId();
    const type = r.entry.operation!;
    if (r.failure) r.operationEnd(opId, type, { status: 'failed', resultInfo: RESULT.operationFailed('addLargeGalleryView') });
    else r.operationEnd(opId, type, { status: 'completed' });
    return r.operationResponse(opId);
  },

  logTeleconferenceDeviceQuality(r) {
    return r.empty();
  },

  'list-participants'(r) {
    return {
      status: 200,
      headers: { ...JSON_HEADERS },
      body: {
        '@odata.context': `${r.base}/${r.version}/$metadata#${r.family}/calls('${r.callId}')/participants`,
        value: [r.botParticipant(), r.otherParticipant(r.ctx.newId())],
      },
    };
  },

  'get-participant'(r) {
    const pid = r.params['participantId']!;
    const isBot = r.knownCall?.myParticipantId !== undefined && sameId(r.knownCall.myParticipantId, pid);
    return { status: 200, headers: { ...JSON_HEADERS }, body: isBot ? r.botParticipant({}, pid) : r.otherParticipant(pid) };
  },

  'delete-participant'(r) {
    r.roster(DELAY.roster, [r.botParticipant()]);
    return r.empty();
  },

  'get-operation'(r) {
    const opId = r.params['operationId']!;
    const running = r.knownCall?.runningOperations?.find((o) => sameId(o.id, opId));
    const type = (running && OPERATION_OF[running.action]) || 'commsOperation';
    return {
      status: 200,
      headers: { ...JSON_HEADERS },
      body: operationData(type, { id: opId, status: running ? 'running' : 'completed', clientContext: running?.clientContext ?? null }),
    };
  },
};

function holdMusic(r: GraphRequest): OutboundResponse {
  const opId = r.ctx.newId();
  const type = r.entry.operation!;
  if (r.failure) r.operationEnd(opId, type, { status: 'failed', resultInfo: RESULT.operationFailed(r.entry.action.split('/')[1]) });
  else r.operationEnd(opId, type, { status: 'completed' });
  return r.operationResponse(opId);
}

// every table row has a handler (checked once, at load)
for (const e of FAKE_GRAPH_ACTIONS) if (!HANDLERS[e.action]) throw new Error(`fake Graph: no handler for ${e.action}`);
