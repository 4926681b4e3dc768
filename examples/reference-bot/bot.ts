/**
 * The reference calling bot: a small Teams calling bot on the Microsoft Graph cloud-communications
 * API. A call to its plain application identity is moved from the 1:1 (P2P) call into a meeting:
 *
 *   Graph: incoming call  -> bot answers it                        (onIncomingCall)
 *   Graph: P2P established -> bot joins the meeting without media   (onP2PEstablished, onMeetingCreated)
 *   Graph: meeting call established -> bot invites the caller into
 *          the meeting with replacesCallId = the P2P call           (onMeetingEstablished, inviteBody)
 *   Graph: invite operation completed, roster, P2P call ended       (onOperationCompleted, logs)
 *
 * A call to one of its lines (resource accounts: `targets[0].identity.applicationInstance.id` is a
 * `*_LINE_ID`) gets that line's behaviour instead (onLineCall, onLineEstablished): reject, redirect,
 * an IVR (menu prompt, tones: 1 = blind transfer, 0 = hang up), a blind transfer, a consultative
 * transfer, a voicemail (recordResponse + download) or a parked call kept up with keepAlive.
 *
 * Every notification must carry `Authorization: Bearer <JWT>` signed by Graph's notification
 * authority (authorizeNotification, verifyNotificationToken); others get 401 and are not read.
 *
 * Each step is a small `protected` method so a subclass can change ONE behaviour; the conformance
 * tests use that to build deliberately defective bots. See README.md for the list of hooks.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GRAPH_APIS, type BotConfig, type GraphApi, type LineConfig, type RejectReason } from './config.js';
import { DelegatedSession, MeetingError } from './delegated.js';

// ---------------------------------------------------------------------------------------------
// Types at the boundaries
// ---------------------------------------------------------------------------------------------

/** A parsed JSON object whose shape has not been checked yet. */
export type JsonObject = Record<string, unknown>;

/** One entry of the `value` array of a commsNotifications POST. Fields are read defensively. */
export interface CommsNotification {
  /** `created` | `updated` | `deleted`, in any case */
  changeType?: string;
  /** v1.0 property, e.g. `/communications/calls/{id}`, `.../participants`, `.../operations/{opId}` */
  resourceUrl?: string;
  /** legacy property, e.g. `/app/calls/{id}`; used when `resourceUrl` is absent */
  resource?: string;
  /** one entity or an array of entities */
  resourceData?: unknown;
}

/** A Graph identitySet, e.g. `{"user": {"id": "...", "displayName": "..."}}`, kept exactly as received. */
export type IdentitySet = JsonObject;

/** Where a call's requests go: `{GRAPH_BASE_URL}/{version}{callsRoot}/{callId}/...` */
export interface GraphRoute {
  version: 'v1.0' | 'beta';
  /** `/app/calls` is a deprecated alias that exists only on beta */
  callsRoot: '/communications/calls' | '/app/calls';
}

export type CallKind =
  /** an incoming P2P call: the bot answers it, then moves the caller into the meeting */
  | 'incoming'
  /** the meeting call the bot joined to move the caller of an incoming call into */
  | 'transfer-meeting'
  /** a meeting call joined through `POST /api/join-meeting` or `POST /api/create-meeting-and-join` */
  | 'api-meeting'
  /** an incoming call to one of the bot's lines (`*_LINE_ID`): handled as that line says */
  | 'line'
  /** the call the bot placed to TRANSFER_TARGET_ID to consult before a consultative transfer */
  | 'consultation';

/** A call the bot takes part in. */
export interface TrackedCall {
  /** the id exactly as Graph spelled it (notification path, response body or Location header) */
  id: string;
  kind: CallKind;
  /** URL family used for every request about this call */
  route: GraphRoute;
  /** tenant whose token authorizes requests about this call */
  tenant: string;
  /** incoming: the answer request succeeded */
  answered: boolean;
  /** `established` was acted on (Graph may send it twice) */
  establishedHandled: boolean;
  /** incoming: the caller, `resourceData.source.identity` as received */
  caller?: IdentitySet;
  /** incoming: the meeting call created for it (set by onMeetingCreated) */
  meetingCallId?: string;
  /** transfer-meeting: the incoming P2P call whose caller it is for */
  p2pCallId?: string;
  /** line: the line (resource account) the caller called */
  line?: LineConfig;
  /** a transfer the bot asked for and Graph has not finished */
  transfer?: { state: 'requested' | 'transferring' | 'transferAccepted'; replacesCallId?: string };
  /** line (IVR): the bot subscribed to the caller's tones */
  tonesSubscribed?: boolean;
  /** line (IVR): the highest toneInfo.sequenceId acted on (Graph can replay tones) */
  lastToneSequenceId?: number;
  /** the bot hung up (DELETE); it only waits for the call to end */
  hangingUp?: boolean;
  /** consult line: the consultation call placed to the transfer target */
  consultationCallId?: string;
  /** consultation: the line call whose caller is transferred to the consulted party */
  consultFor?: string;
}

/**
 * The meeting to join: chatInfo + organizerMeetingInfo by default; with `joinMeetingId` a
 * joinMeetingIdMeetingInfo (and `passcode`); with `token` a tokenMeetingInfo.
 */
export interface MeetingRef {
  threadId: string;
  messageId: string;
  organizerId: string;
  tenantId: string;
  /** the meeting's join id (as on the invitation, e.g. "1234567"): join with joinMeetingIdMeetingInfo */
  joinMeetingId?: string;
  /** the passcode that goes with joinMeetingId */
  passcode?: string;
  /** a meeting token (tokenMeetingInfo), e.g. from an earlier incoming call's meetingInfo */
  token?: string;
}

/** `POST .../calls/{id}/answer` body. */
export interface AnswerRequest {
  callbackUri: string;
  acceptedModalities: string[];
  mediaConfig: { '@odata.type': string };
}

/** `POST .../calls` body that joins a meeting without media. */
export interface JoinMeetingRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  requestedModalities: string[];
  tenantId: string;
  chatInfo: { threadId: string; messageId: string };
  meetingInfo: {
    '@odata.type': '#microsoft.graph.organizerMeetingInfo';
    organizer: { user: { id: string; tenantId: string } };
    allowConversationWithoutHost: boolean;
  };
}

export interface InvitationParticipantInfo {
  '@odata.type': '#microsoft.graph.invitationParticipantInfo';
  identity: IdentitySet;
  /** the P2P call the invitee is in; Graph drops that call once the invitee joined */
  replacesCallId?: string;
}

/** `POST .../calls/{id}/participants/invite` body. */
export interface InviteRequest {
  participants: InvitationParticipantInfo[];
  clientContext: string;
}

/** `POST .../calls` body that joins a meeting without media by its join id or a token. */
export interface JoinMeetingByIdRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  requestedModalities: string[];
  tenantId: string;
  meetingInfo:
    | { '@odata.type': '#microsoft.graph.joinMeetingIdMeetingInfo'; joinMeetingId: string; passcode: string | null }
    | { '@odata.type': '#microsoft.graph.tokenMeetingInfo'; token: string };
}

/** `POST .../calls/{id}/reject` body. */
export interface RejectRequest {
  reason: RejectReason;
  callbackUri: string;
}

/** `POST .../calls/{id}/redirect` body. */
export interface RedirectRequest {
  targets: InvitationParticipantInfo[];
  /** seconds the targets ring (15-90) */
  timeout: number;
  callbackUri: string;
}

/** `POST .../calls/{id}/transfer` body (blind; consultative with `replacesCallId`). */
export interface TransferRequest {
  transferTarget: InvitationParticipantInfo & { endpointType: 'default' };
}

/** A prompt of playPrompt / recordResponse: a WAV file (16 kHz mono 16-bit PCM) Graph fetches. */
export interface MediaPrompt {
  '@odata.type': '#microsoft.graph.mediaPrompt';
  mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo'; uri: string; resourceId?: string };
}

/** `POST .../calls/{id}/playPrompt` body. */
export interface PlayPromptRequest {
  prompts: MediaPrompt[];
  clientContext: string;
}

/** `POST .../calls/{id}/recordResponse` body. */
export interface RecordResponseRequest {
  prompts: MediaPrompt[];
  bargeInAllowed: boolean;
  initialSilenceTimeoutInSeconds: number;
  maxSilenceTimeoutInSeconds: number;
  maxRecordDurationInSeconds: number;
  playBeep: boolean;
  stopTones: string[];
  clientContext: string;
}

/** `POST .../calls` body that places a P2P call to a user (the consultation call). */
export interface CreateCallRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  targets: InvitationParticipantInfo[];
  requestedModalities: string[];
  mediaConfig: { '@odata.type': string };
  tenantId: string;
}

/** What a prompt is for: the IVR menu, the apology after a failed transfer, the voicemail greeting. */
export type PromptPurpose = 'menu' | 'apology' | 'greeting';

/** An operation the bot started and whose completion notification it waits for. */
export interface PendingOperation {
  action: 'invite' | 'playPrompt' | 'recordResponse';
  /** playPrompt / recordResponse: what the prompt is for */
  purpose?: PromptPurpose;
  clientContext: string;
  /** from the response body `id` or the Location header; unknown until Graph answered */
  operationId?: string;
  callId: string;
}

/** What a `deleted .../operations/{opId}` notification reported. */
export interface OperationOutcome {
  operationId: string;
  /** `completed` | `failed` (lower-case) */
  status: string;
  clientContext?: string;
  resultInfo?: JsonObject;
  /** the bot's own record of the operation, when it started it */
  started?: PendingOperation;
  /** the operation as notified (e.g. a recordOperation's recordingLocation and recordingAccessToken) */
  operation?: JsonObject;
}

export interface GraphResponse {
  status: number;
  location?: string;
  /** parsed JSON, the raw text if it was not JSON, or undefined when empty */
  body: unknown;
}

/** A non-2xx answer from Graph. */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** Tokens are renewed this long before they expire. */
const TOKEN_RENEW_MARGIN_S = 60;
/** An outbound request that takes longer than this is aborted (it would block its call's notification queue). */
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Connections waiting to be accepted. Graph opens a connection per notification in flight: with
 * Node's default (511), 1,000 calls at once overflowed it, the kernel dropped the extra connection
 * attempts and their notifications came 1 s or 3 s late (the sender's SYN retries). The kernel
 * caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/**
 * Issuers accepted on notification tokens: Graph's documented one and the one Microsoft's samples
 * also accept, each with and without the trailing slash (the government cloud sends one).
 */
export const NOTIFICATION_ISSUERS: readonly string[] = [
  'https://api.botframework.com',
  'https://api.botframework.com/',
  'https://graph.microsoft.com',
  'https://graph.microsoft.com/',
];
/** Clock skew allowed on `iat`, `nbf` and `exp` of notification tokens (as .NET's token handler). */
export const NOTIFICATION_CLOCK_TOLERANCE_S = 300;
/** The OpenID configuration is read again after this long (Microsoft's samples: 2 h). */
const OPENID_CONFIG_REFRESH_MS = 2 * 60 * 60_000;
/** A refresh that failed while an older configuration is known is tried again after this long. */
const OPENID_CONFIG_RETRY_MS = 60_000;
/** Fetching the OpenID configuration or the keys may take this long (the notification waits for it). */
const KEY_FETCH_TIMEOUT_MS = 5_000;

/** The claims of a notification token that passed verifyNotificationToken. */
export interface NotificationClaims extends JWTPayload {
  /** the tenant the notification is for */
  tid: string;
}

/**
 * Verifies the bearer token of a notification: RS256 signature by a key of `keys` (selected by
 * `kid`), `iss` one of NOTIFICATION_ISSUERS, `aud` = `appId`, `iat`/`nbf`/`exp` with 5 minutes of
 * clock skew (`exp` required), and a non-empty string `tid`. Throws jose's error saying why not.
 */
export async function verifyNotificationToken(token: string, keys: JWTVerifyGetKey, appId: string): Promise<NotificationClaims> {
  const { payload } = await jwtVerify(token, keys, {
    issuer: [...NOTIFICATION_ISSUERS],
    audience: appId,
    algorithms: ['RS256'],
    clockTolerance: NOTIFICATION_CLOCK_TOLERANCE_S,
    requiredClaims: ['exp', 'tid'],
  });
  if (typeof payload.tid !== 'string' || payload.tid === '') {
    throw new joseErrors.JWTClaimValidationFailed('"tid" claim must be a non-empty string', payload, 'tid', 'check_failed');
  }
  return payload as NotificationClaims;
}

// ---------------------------------------------------------------------------------------------
// The bot
// ---------------------------------------------------------------------------------------------

export class ReferenceBot {
  /** Calls the bot takes part in, keyed by normalizeId(call id). */
  protected readonly calls = new Map<string, TrackedCall>();
  /** Operations waiting for their completion notification, keyed by normalizeId(clientContext). */
  protected readonly operations = new Map<string, PendingOperation>();

  private server?: Server;
  private listening?: { port: number; url: string; callbackUri: string };
  /** Responses still being produced; stop() makes them close their connection when done. */
  private readonly responding = new Set<ServerResponse>();
  /** Aborted by stop(): cancels in-flight Graph and token requests and the notification queue. */
  private lifetime = new AbortController();
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  /** Token requests in flight, per tenant: concurrent calls of a tenant share one. */
  private readonly tokenRequests = new Map<string, Promise<string>>();
  /** The keys that sign notification tokens, from the OpenID configuration's `jwks_uri`. */
  private notificationKeys?: { jwksUri: string; keys: JWTVerifyGetKey; refreshAt: number };
  /** The OpenID configuration being fetched (shared by concurrent notifications). */
  private notificationKeysLoading?: Promise<JWTVerifyGetKey>;
  /**
   * Notifications waiting to be handled, per call (normalizeId of the resource's call id): each
   * call's one at a time, in arrival order; calls do not wait for each other. A queue exists while
   * it is being drained.
   */
  private readonly queues = new Map<string, CommsNotification[]>();
  /** The drains running now (stop() waits for them). */
  private readonly drains = new Set<Promise<void>>();
  /** Notifications for not-yet-known calls, held while a create-call request is in flight. */
  private readonly held: CommsNotification[] = [];
  private pendingCreates = 0;
  /** keepAlive timers of the calls the bot keeps up, keyed by normalizeId(call id) */
  private readonly keepAliveTimers = new Map<string, NodeJS.Timeout>();
  /** the user the bot creates meetings as (USER_REFRESH_TOKEN) */
  private readonly user: DelegatedSession;

  constructor(protected readonly config: BotConfig) {
    this.user = new DelegatedSession(config, () => this.requestSignal());
  }

  /** The notifications webhook, `http://HOST:PORT/api/calls`. Available after start(). */
  get url(): string {
    return this.address().url;
  }

  /** The port the bot listens on (useful with PORT=0). Available after start(). */
  get port(): number {
    return this.address().port;
  }

  /** The callbackUri the bot sends to Graph: `${PUBLIC_URL}/api/calls`. Available after start(). */
  get callbackUri(): string {
    return this.address().callbackUri;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('reference bot is already started');
    this.lifetime = new AbortController();
    const server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.config.port, host: this.config.host, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    const publicUrl = this.config.publicUrl ?? `http://127.0.0.1:${port}`;
    this.server = server;
    this.listening = { port, url: `http://${host}:${port}/api/calls`, callbackUri: `${publicUrl}/api/calls` };
  }

  /** Stops listening, cancels in-flight requests and forgets all calls. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.lifetime.abort(new Error('reference bot stopped'));
    for (const queue of this.queues.values()) queue.length = 0;
    this.queues.clear();
    this.held.length = 0;
    for (const timer of this.keepAliveTimers.values()) clearTimeout(timer);
    this.keepAliveTimers.clear();
    // Keep-alive connections would hold close() open until they time out: close them as soon as
    // they are idle, including the ones still answering a request.
    for (const res of this.responding) res.shouldKeepAlive = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.all([closed, ...this.drains]);
    this.calls.clear();
    this.operations.clear();
    this.tokens.clear();
    this.tokenRequests.clear();
    this.user.clear();
    this.notificationKeys = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP server
  // -------------------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.responding.add(res);
    if (!this.server) res.shouldKeepAlive = false; // arrived on an old connection while stopping
    try {
      await this.route(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        send(res, err.status, { error: err.message });
      } else {
        this.logError(`${req.method} ${req.url} failed`, err);
        send(res, 500, { error: 'internal error' });
      }
    } finally {
      this.responding.delete(res);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://bot').pathname;
    if (req.method === 'GET' && path === '/health') return send(res, 200, 'ok');
    if (req.method === 'POST' && path === '/api/calls') return this.receiveNotifications(req, res);
    if (req.method === 'POST' && path === '/api/join-meeting') return this.joinMeetingApi(req, res);
    if (req.method === 'POST' && path === '/api/create-meeting-and-join') return this.createMeetingAndJoinApi(req, res);
    const invite = /^\/api\/calls\/([^/]+)\/invite$/.exec(path);
    if (req.method === 'POST' && invite) return this.inviteApi(req, res, decodePathSegment(invite[1]));
    send(res, 404, { error: 'not found' });
  }

  /**
   * `POST /api/calls`: check the notification's bearer token (401 without reading the body when it
   * is refused), acknowledge with 202 at once, then handle the notifications in order.
   */
  private async receiveNotifications(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = await this.authorizeNotification(req);
    if (verdict !== true) {
      this.log(`refused a notification: ${typeof verdict === 'string' && verdict ? verdict : 'not authorized'}`);
      return send(res, 401, { error: 'notification not authorized' });
    }
    const payload = parseJsonObject(await readBody(req), 'notification body');
    const value = payload.value ?? [];
    if (!Array.isArray(value)) throw new HttpError(400, '"value" must be an array of notifications');
    send(res, 202);
    this.enqueue(value.filter(isJsonObject));
  }

  /**
   * `POST /api/join-meeting {threadId?, messageId?, organizerId?, tenantId?, api?}` -> `{callId}`;
   * `{joinMeetingId, passcode?}` or `{token}` join by the meeting's join id or a meeting token instead.
   */
  private async joinMeetingApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const request = text.trim() === '' ? {} : parseJsonObject(text, 'request body');
    const api = optionalString(request, 'api') ?? this.config.graphApi;
    if (!isGraphApi(api)) throw new HttpError(400, `"api" must be one of ${GRAPH_APIS.join(', ')}`);
    const { meeting: defaults } = this.config;
    const meeting: MeetingRef = {
      threadId: optionalString(request, 'threadId') ?? defaults.threadId,
      messageId: optionalString(request, 'messageId') ?? '0',
      organizerId: optionalString(request, 'organizerId') ?? defaults.organizerId,
      tenantId: optionalString(request, 'tenantId') ?? defaults.tenantId ?? this.config.tenantId ?? 'common',
      joinMeetingId: optionalString(request, 'joinMeetingId'),
      passcode: optionalString(request, 'passcode'),
      token: optionalString(request, 'token'),
    };
    if (meeting.joinMeetingId !== undefined && meeting.token !== undefined) {
      throw new HttpError(400, 'give "joinMeetingId" or "token", not both');
    }
    if (meeting.passcode !== undefined && meeting.joinMeetingId === undefined) {
      throw new HttpError(400, '"passcode" goes with "joinMeetingId"');
    }
    try {
      const call = await this.joinMeeting(meeting, routeForApi(api), meeting.tenantId, 'api-meeting');
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError('join-meeting request failed', err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /**
   * `POST /api/create-meeting-and-join {subject?, tenantId?, api?}` -> `{callId, meetingId, joinWebUrl}`:
   * creates an online meeting as the user of USER_REFRESH_TOKEN (delegated token,
   * `POST /{version}/me/onlineMeetings`), then joins it without media with the meeting's chatInfo
   * and organizer (application token, like every call request).
   */
  private async createMeetingAndJoinApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const request = text.trim() === '' ? {} : parseJsonObject(text, 'request body');
    const api = optionalString(request, 'api') ?? this.config.graphApi;
    if (!isGraphApi(api)) throw new HttpError(400, `"api" must be one of ${GRAPH_APIS.join(', ')}`);
    const tenant = optionalString(request, 'tenantId') ?? this.config.tenantId ?? 'common';
    const route = routeForApi(api);
    try {
      const created = await this.user.createOnlineMeeting(route.version, tenant, optionalString(request, 'subject') ?? 'Reference bot meeting');
      this.log(`created online meeting ${created.threadId} as the signed-in user`);
      const meeting: MeetingRef = { threadId: created.threadId, messageId: created.messageId, organizerId: created.organizerId, tenantId: created.organizerTenantId ?? tenant };
      const call = await this.joinMeeting(meeting, route, tenant, 'api-meeting');
      send(res, 200, { callId: call.id, meetingId: created.id ?? null, joinWebUrl: created.joinWebUrl ?? null });
    } catch (err) {
      this.logError('create-meeting-and-join request failed', err);
      send(res, 502, err instanceof MeetingError ? { error: err.message, graphStatus: err.status } : upstreamFailure(err));
    }
  }

  /**
   * `POST /api/calls/{callId}/invite {participants: [{id, tenantId?, displayName?}], clientContext?}`
   * -> `{operationId}`. Only for calls joined through /api/join-meeting.
   */
  private async inviteApi(req: IncomingMessage, res: ServerResponse, callId: string): Promise<void> {
    const call = this.calls.get(normalizeId(callId));
    if (call?.kind !== 'api-meeting') throw new HttpError(404, `no call ${callId} joined through /api/join-meeting`);
    const request = parseJsonObject(await readBody(req), 'request body');
    const body: InviteRequest = {
      participants: parseInvitees(request.participants).map((user) => ({
        '@odata.type': '#microsoft.graph.invitationParticipantInfo',
        identity: { user },
      })),
      clientContext: optionalString(request, 'clientContext') ?? randomUUID(),
    };
    try {
      const operationId = await this.postInvite(call, call.id, body);
      send(res, 200, { operationId: operationId ?? null });
    } catch (err) {
      this.logError(`invite on call ${call.id} failed`, err);
      send(res, 502, upstreamFailure(err));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Notification processing
  // -------------------------------------------------------------------------------------------

  /**
   * Queues notifications on their call's queue; `first` puts them before the ones already waiting
   * (used for replays).
   */
  private enqueue(notifications: CommsNotification[], first = false): void {
    if (this.lifetime.signal.aborted || notifications.length === 0) return;
    const byCall = new Map<string, CommsNotification[]>();
    for (const n of notifications) {
      const key = queueKeyOf(n);
      const list = byCall.get(key);
      if (list) list.push(n);
      else byCall.set(key, [n]);
    }
    for (const [key, list] of byCall) {
      let queue = this.queues.get(key);
      const idle = queue === undefined;
      if (queue === undefined) this.queues.set(key, (queue = []));
      if (first) queue.unshift(...list);
      else queue.push(...list);
      if (idle) {
        const drain = this.drain(key, queue);
        this.drains.add(drain);
        void drain.finally(() => this.drains.delete(drain));
      }
    }
  }

  /**
   * Handles a call's queued notifications one at a time, in order, as the Graph Communications SDK
   * does for a call; other calls' queues run meanwhile, so one call's slow Graph request holds up
   * only that call. Never rejects.
   */
  private async drain(key: string, queue: CommsNotification[]): Promise<void> {
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          await this.handleNotification(next);
        } catch (err) {
          if (!this.lifetime.signal.aborted) {
            this.logError(`failed to handle ${next.changeType} ${next.resourceUrl ?? next.resource}`, err);
          }
        }
      }
    } finally {
      // no await since the queue was found empty: nothing was added to it in between
      if (this.queues.get(key) === queue) this.queues.delete(key);
    }
  }

  /** Routes one notification on its resource path, changeType and resourceData. */
  protected async handleNotification(notification: CommsNotification): Promise<void> {
    const resource = asString(notification.resourceUrl) ?? asString(notification.resource);
    const ref = resource === undefined ? undefined : parseResource(resource);
    if (!ref) return this.log(`ignored a notification for ${resource ?? 'no resource'}`);
    const changeType = lowerCase(notification.changeType);
    const data = notification.resourceData;
    const entities = (Array.isArray(data) ? data : [data]).filter(isJsonObject);

    if (ref.child === undefined && changeType === 'created') {
      for (const entity of entities) await this.handleCreatedCall(ref.callId, ref.route, entity);
      return;
    }
    const call = this.calls.get(normalizeId(ref.callId));
    if (!call) return this.holdOrIgnore(notification, ref.callId);

    if (ref.child === undefined) return this.handleCallChange(call, changeType, entities);
    if (ref.child === 'operations' && ref.childId !== undefined && changeType === 'deleted') {
      for (const entity of entities) await this.handleOperationDone(call, ref.childId, entity);
      return;
    }
    if (ref.child === 'participants') {
      return this.log(`roster of call ${call.id} updated (${countParticipants(data)} participants)`);
    }
    this.log(`ignored ${changeType} ${resource}`);
  }

  private async handleCreatedCall(callId: string, route: GraphRoute, call: JsonObject): Promise<void> {
    if (lowerCase(call.state) !== 'incoming') return this.log(`ignored created call ${callId} (${call.state})`);
    if (this.calls.has(normalizeId(callId))) return this.log(`ignored a repeated incoming call ${callId}`);
    const line = this.lineOf(call);
    if (line) await this.onLineCall(callId, route, call, line);
    else await this.onIncomingCall(callId, route, call);
  }

  private async handleCallChange(
    call: TrackedCall,
    changeType: string | undefined,
    entities: JsonObject[],
  ): Promise<void> {
    if (changeType === 'deleted') return this.endCall(call, 'deleted', resultInfoOf(entities));
    for (const entity of entities) {
      const state = lowerCase(entity.state);
      const resultInfo = isJsonObject(entity.resultInfo) ? entity.resultInfo : undefined;
      if (state === 'terminated') return this.endCall(call, 'terminated', resultInfo);
      if (isJsonObject(entity.toneInfo)) await this.handleTone(call, entity.toneInfo);
      if (state === undefined) continue;
      const isTone = isJsonObject(entity.toneInfo);
      if (state === 'established' && call.transfer && !isTone && transferCameBack(call.transfer.state, resultInfo)) {
        // A failed transfer returns the call to `established` (500/7000 blind, 500/7700 consultative).
        call.transfer = undefined;
        this.log(`transfer of call ${call.id} failed${resultInfo ? ` (${describeResultInfo(resultInfo)})` : ''}; the call is still up`);
        await this.onTransferFailed(call, resultInfo);
      } else if (state === 'established') {
        await this.handleEstablished(call);
      } else if (call.transfer && (state === 'transferring' || state === 'transferaccepted')) {
        call.transfer.state = state === 'transferring' ? 'transferring' : 'transferAccepted';
        this.log(`call ${call.id} is ${call.transfer.state}`);
      } else {
        this.log(`call ${call.id} is ${state}`);
      }
    }
  }

  /** A `toneInfo` (the caller pressed a key): acted on once per sequenceId, in increasing order. */
  private async handleTone(call: TrackedCall, toneInfo: JsonObject): Promise<void> {
    const tone = lowerCase(toneInfo.tone);
    const sequenceId = Number(toneInfo.sequenceId);
    if (tone === undefined) return;
    if (Number.isFinite(sequenceId)) {
      if (call.lastToneSequenceId !== undefined && sequenceId <= call.lastToneSequenceId) {
        return this.log(`ignored tone ${tone} (sequenceId ${sequenceId}) on call ${call.id}: already handled`);
      }
      call.lastToneSequenceId = sequenceId;
    }
    if (!call.tonesSubscribed || call.hangingUp || call.transfer) {
      return this.log(`ignored tone ${tone} on call ${call.id}`);
    }
    this.log(`call ${call.id}: tone ${tone} (sequenceId ${toneInfo.sequenceId})`);
    await this.onTone(call, tone);
  }

  private async handleEstablished(call: TrackedCall): Promise<void> {
    if (call.establishedHandled) return; // Graph can send 'established' twice: act once
    call.establishedHandled = true;
    this.log(`call ${call.id} established`);
    if (call.kind === 'incoming') {
      if (call.answered) await this.onP2PEstablished(call);
    } else if (call.kind === 'line') {
      if (call.answered) await this.onLineEstablished(call);
    } else if (call.kind === 'consultation') {
      await this.onConsultationEstablished(call);
    } else {
      await this.onMeetingEstablished(call);
    }
  }

  private async handleOperationDone(call: TrackedCall, operationId: string, operation: JsonObject): Promise<void> {
    const clientContext = asString(operation.clientContext);
    const outcome: OperationOutcome = {
      operationId,
      status: lowerCase(operation.status) ?? 'unknown',
      clientContext,
      resultInfo: isJsonObject(operation.resultInfo) ? operation.resultInfo : undefined,
      started: this.takeOperation(operationId, clientContext),
      operation,
    };
    const what = outcome.started ? `${outcome.started.action} operation` : 'operation';
    const result = outcome.resultInfo ? ` ${describeResultInfo(outcome.resultInfo)}` : '';
    const context = `clientContext ${clientContext ?? 'none'}`;
    this.log(`${what} ${operationId} on call ${call.id} ${outcome.status}${result}, ${context}`);
    await this.onOperationCompleted(call, outcome);
  }

  /** Finds (and forgets) the operation the bot started, by clientContext or else by operation id. */
  private takeOperation(operationId: string, clientContext: string | undefined): PendingOperation | undefined {
    const byContext = clientContext === undefined ? undefined : this.operations.get(normalizeId(clientContext));
    const byId = (op: PendingOperation): boolean => op.operationId !== undefined && sameId(op.operationId, operationId);
    const started = byContext ?? [...this.operations.values()].find(byId);
    if (started) this.operations.delete(normalizeId(started.clientContext));
    return started;
  }

  /**
   * A notification for a call the bot does not know. Graph can deliver a new call's first
   * notifications before the 201 of `POST /calls` reaches the bot, so while a create is in flight
   * they are held and replayed when it answers. Otherwise they are ignored.
   */
  private holdOrIgnore(notification: CommsNotification, callId: string): void {
    if (this.pendingCreates > 0) {
      this.held.push(notification);
      this.log(`holding a notification for call ${callId} until the pending create-call request answers`);
    } else {
      this.log(`ignored a notification for unknown call ${callId}`);
    }
  }

  /** The call ended: forget it, so the bot sends nothing more for it. */
  private endCall(call: TrackedCall, how: 'terminated' | 'deleted' | 'gone', resultInfo?: JsonObject): void {
    if (this.calls.get(normalizeId(call.id)) !== call) return; // already ended
    this.calls.delete(normalizeId(call.id));
    for (const [key, op] of this.operations) if (sameId(op.callId, call.id)) this.operations.delete(key);
    this.log(`call ${call.id} ${how}${resultInfo ? ` (${describeResultInfo(resultInfo)})` : ''}`);
    this.onCallEnded(call, resultInfo);
  }

  // -------------------------------------------------------------------------------------------
  // Hooks: override ONE of these in a subclass to change a single behaviour
  // -------------------------------------------------------------------------------------------

  /**
   * Decides whether an inbound notification POST is genuine, before its body is read. Resolves
   * `true` to accept it; `false` or a string (the reason, which is logged) refuses it with 401.
   * By default the `Authorization: Bearer <JWT>` must pass verifyNotificationToken with the keys
   * named by CALLS_OPENID_CONFIG_URL; a notification that cannot be checked (the configuration or
   * keys cannot be fetched) is refused too.
   */
  protected async authorizeNotification(req: IncomingMessage): Promise<boolean | string> {
    const header = req.headers.authorization;
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (header === undefined) return 'no Authorization header';
    if (bearer === undefined) return 'the Authorization header is not "Bearer <token>"';
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.notificationSigningKeys();
    } catch (err) {
      this.logError(`could not read the OpenID configuration ${this.config.openIdConfigUrl}`, err);
      return 'the signing keys are unavailable';
    }
    try {
      await verifyNotificationToken(bearer, keys, this.config.appId);
      return true;
    } catch (err) {
      return err instanceof joseErrors.JOSEError ? `${err.code}: ${err.message}` : `the token could not be checked: ${errorMessage(err)}`;
    }
  }

  /** A `created` call notification with `state: incoming`: remember the caller, then answer. */
  protected async onIncomingCall(callId: string, route: GraphRoute, call: JsonObject): Promise<void> {
    const caller = isJsonObject(call.source) && isJsonObject(call.source.identity) ? call.source.identity : undefined;
    const tracked = this.track({ id: callId, kind: 'incoming', route, tenant: this.tenantOf(call, caller), caller });
    await this.graphRequest('POST', this.callUrl(route, callId, '/answer'), this.answerBody(tracked), tracked.tenant);
    tracked.answered = true;
    this.log(`answered call ${callId}`);
  }

  /** Body of the answer request: audio only, service-hosted media. */
  protected answerBody(_call: TrackedCall): AnswerRequest {
    return {
      callbackUri: this.callbackUri,
      acceptedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
    };
  }

  /** The answered P2P call is established: join the meeting the caller will be moved into. */
  protected async onP2PEstablished(p2p: TrackedCall): Promise<void> {
    if (!p2p.caller) return this.log(`call ${p2p.id} has no caller identity; not moving it into the meeting`);
    const meeting: MeetingRef = {
      threadId: this.config.meeting.threadId,
      messageId: '0',
      organizerId: this.config.meeting.organizerId,
      tenantId: this.config.meeting.tenantId ?? p2p.tenant,
    };
    const meetingCall = await this.joinMeeting(meeting, p2p.route, p2p.tenant, 'transfer-meeting', p2p.id);
    await this.onMeetingCreated(meetingCall, p2p);
  }

  /**
   * Body of the create-call request that joins a meeting WITHOUT media: the bot only facilitates
   * the move, so it sends no modalities and no mediaConfig.
   */
  protected joinMeetingBody(meeting: MeetingRef): JoinMeetingRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { application: { id: this.config.appId } } },
      requestedModalities: [],
      tenantId: meeting.tenantId,
      chatInfo: { threadId: meeting.threadId, messageId: meeting.messageId },
      meetingInfo: {
        '@odata.type': '#microsoft.graph.organizerMeetingInfo',
        organizer: { user: { id: meeting.organizerId, tenantId: meeting.tenantId } },
        allowConversationWithoutHost: true,
      },
    };
  }

  /**
   * Graph created the meeting call for `p2p`. Only records it: the invite must wait until the
   * meeting call is established (onMeetingEstablished).
   */
  protected onMeetingCreated(meeting: TrackedCall, p2p: TrackedCall): void | Promise<void> {
    p2p.meetingCallId = meeting.id;
    this.log(`meeting call ${meeting.id} created for call ${p2p.id}`);
  }

  /** A meeting call is established: if it was joined for a P2P call that is still alive, invite its caller. */
  protected async onMeetingEstablished(meeting: TrackedCall): Promise<void> {
    if (meeting.kind !== 'transfer-meeting' || meeting.p2pCallId === undefined) return;
    const p2p = this.calls.get(normalizeId(meeting.p2pCallId));
    if (!p2p) return this.log(`call ${meeting.p2pCallId} already ended; not inviting its caller into ${meeting.id}`);
    await this.inviteCaller(meeting, p2p);
  }

  /** Invites the caller of `p2p` into `meeting`, replacing the P2P call. */
  protected async inviteCaller(meeting: TrackedCall, p2p: TrackedCall): Promise<void> {
    const body = this.inviteBody(meeting, p2p, randomUUID());
    const operationId = await this.postInvite(meeting, this.inviteTargetCallId(meeting, p2p), body);
    const operation = `operation ${operationId ?? 'unknown'}, clientContext ${body.clientContext}`;
    this.log(`invited the caller of call ${p2p.id} into meeting call ${meeting.id} (${operation})`);
  }

  /** The call the invite is posted on: the meeting call (never the P2P call). */
  protected inviteTargetCallId(meeting: TrackedCall, _p2p: TrackedCall): string {
    return meeting.id;
  }

  /** Body of the invite: exactly one participant, the caller as received, replacing the P2P call. */
  protected inviteBody(_meeting: TrackedCall, p2p: TrackedCall, clientContext: string): InviteRequest {
    return {
      participants: [
        {
          '@odata.type': '#microsoft.graph.invitationParticipantInfo',
          identity: p2p.caller ?? {},
          replacesCallId: p2p.id,
        },
      ],
      clientContext,
    };
  }

  /**
   * An operation on `call` finished (already logged). A prompt goes on to onPromptFinished, a
   * recording to onRecordingFinished; an invite needs nothing more.
   */
  protected onOperationCompleted(call: TrackedCall, outcome: OperationOutcome): void | Promise<void> {
    const started = outcome.started;
    if (started?.action === 'playPrompt' && started.purpose) return this.onPromptFinished(call, started.purpose, outcome);
    if (started?.action === 'recordResponse') return this.onRecordingFinished(call, outcome);
  }

  // -------------------------------------------------------------------------------------------
  // Lines: calls to the bot's resource accounts (application instances)
  // -------------------------------------------------------------------------------------------

  /** The line an incoming call was made to: `targets[0].identity.applicationInstance.id`, if it is a configured line. */
  protected lineOf(call: JsonObject): LineConfig | undefined {
    const target = Array.isArray(call.targets) ? call.targets[0] : undefined;
    const identity = isJsonObject(target) && isJsonObject(target.identity) ? target.identity : undefined;
    const instance = identity && isJsonObject(identity.applicationInstance) ? identity.applicationInstance : undefined;
    const id = asString(instance?.id);
    return id === undefined ? undefined : this.config.lines.find((line) => sameId(line.id, id));
  }

  /** An incoming call to a line: reject it, redirect it, or answer it (the rest happens once it is established). */
  protected async onLineCall(callId: string, route: GraphRoute, call: JsonObject, line: LineConfig): Promise<void> {
    const caller = isJsonObject(call.source) && isJsonObject(call.source.identity) ? call.source.identity : undefined;
    const tracked = this.track({ id: callId, kind: 'line', route, tenant: this.tenantOf(call, caller), caller, line });
    this.log(`incoming call ${callId} on the ${line.behaviour} line`);
    if (line.behaviour === 'reject') return this.rejectCall(tracked);
    if (line.behaviour === 'redirect') return this.redirectCall(tracked);
    await this.graphRequest('POST', this.callUrl(route, callId, '/answer'), this.answerBody(tracked), tracked.tenant);
    tracked.answered = true;
    this.log(`answered call ${callId}`);
  }

  /** Rejects `call` (before answering it) with `rejectBody`. Graph then deletes the call. */
  protected async rejectCall(call: TrackedCall): Promise<void> {
    const body = this.rejectBody(call);
    await this.graphRequest('POST', this.callUrl(call.route, call.id, '/reject'), body, call.tenant);
    this.log(`rejected call ${call.id} (${body.reason})`);
  }

  /** Body of the reject request: REJECT_REASON, and the callback for the `deleted` notification. */
  protected rejectBody(_call: TrackedCall): RejectRequest {
    return { reason: this.config.rejectReason, callbackUri: this.callbackUri };
  }

  /** Redirects `call` (before answering it) with `redirectBody`. Graph then ends the call for the bot. */
  protected async redirectCall(call: TrackedCall): Promise<void> {
    await this.graphRequest('POST', this.callUrl(call.route, call.id, '/redirect'), this.redirectBody(call), call.tenant);
    this.log(`redirected call ${call.id} to ${this.config.redirectTargetId}`);
  }

  /** Body of the redirect request: one target, REDIRECT_TARGET_ID, ringing REDIRECT_TIMEOUT_S seconds. */
  protected redirectBody(_call: TrackedCall): RedirectRequest {
    return {
      targets: [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id: this.config.redirectTargetId } } }],
      timeout: this.config.redirectTimeoutS,
      callbackUri: this.callbackUri,
    };
  }

  /** An answered line call is established: start what the line does. */
  protected async onLineEstablished(call: TrackedCall): Promise<void> {
    switch (call.line?.behaviour) {
      case 'ivr':
        return this.playPrompt(call, 'menu');
      case 'transfer':
        return this.transferCall(call);
      case 'consult':
        return this.startConsultation(call);
      case 'voicemail':
        return this.recordMessage(call);
      case 'park':
        return this.startKeepAlive(call);
      default:
        return this.log(`call ${call.id} established; the line does nothing more`);
    }
  }

  /** The prompt the bot plays for `purpose`: `${PROMPT_BASE_URL}/{name}.wav`. */
  protected prompt(purpose: PromptPurpose): MediaPrompt {
    const names: Record<PromptPurpose, string> = { menu: 'ivr-menu', apology: 'transfer-failed', greeting: 'leave-a-message' };
    return {
      '@odata.type': '#microsoft.graph.mediaPrompt',
      mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo', uri: `${this.config.promptBaseUrl}/${names[purpose]}.wav` },
    };
  }

  /** Plays the prompt for `purpose` on `call`; its completion comes as an operation notification (onPromptFinished). */
  protected async playPrompt(call: TrackedCall, purpose: PromptPurpose): Promise<void> {
    const body: PlayPromptRequest = { prompts: [this.prompt(purpose)], clientContext: randomUUID() };
    const operationId = await this.startOperation(call, { action: 'playPrompt', purpose, clientContext: body.clientContext, callId: call.id }, '/playPrompt', body);
    this.log(`playing the ${purpose} prompt on call ${call.id} (operation ${operationId ?? 'unknown'}, clientContext ${body.clientContext})`);
  }

  /**
   * A prompt finished. The menu: subscribe to tones (or, when it could not be played, onMenuFailed).
   * The apology after a failed transfer: hang up.
   */
  protected async onPromptFinished(call: TrackedCall, purpose: PromptPurpose, outcome: OperationOutcome): Promise<void> {
    if (call.hangingUp) return;
    if (purpose === 'menu') {
      if (operationFailed(outcome)) return this.onMenuFailed(call, outcome);
      if (!call.tonesSubscribed) await this.subscribeToTones(call);
    } else if (purpose === 'apology') {
      await this.hangUp(call);
    }
  }

  /**
   * The IVR menu could not be played (the operation failed: the caller heard nothing, so waiting
   * for a key press is pointless): put the caller through to a person (TRANSFER_TARGET_ID).
   */
  protected async onMenuFailed(call: TrackedCall, _outcome: OperationOutcome): Promise<void> {
    this.log(`the menu could not be played on call ${call.id}; transferring the caller to the operator`);
    await this.transferCall(call);
  }

  /** Asks Graph for the caller's key presses (`toneInfo` in call notifications). Completes at once. */
  protected async subscribeToTones(call: TrackedCall): Promise<void> {
    call.tonesSubscribed = true;
    await this.graphRequest('POST', this.callUrl(call.route, call.id, '/subscribeToTone'), { clientContext: randomUUID() }, call.tenant);
    this.log(`subscribed to the tones of call ${call.id}`);
  }

  /** The caller pressed a key on the IVR: 1 = blind transfer to the operator, 0 = hang up; others do nothing. */
  protected async onTone(call: TrackedCall, tone: string): Promise<void> {
    if (tone === 'tone1') return this.transferCall(call);
    if (tone === 'tone0') return this.hangUp(call);
    this.log(`no action for ${tone} on call ${call.id}`);
  }

  /**
   * Transfers `call` to TRANSFER_TARGET_ID: blind, or consultative when `replacesCallId` names the
   * bot's call with the target. Graph answers 202; the outcome comes as call notifications.
   */
  protected async transferCall(call: TrackedCall, replacesCallId?: string): Promise<void> {
    call.transfer = { state: 'requested', replacesCallId };
    try {
      await this.graphRequest('POST', this.callUrl(call.route, call.id, '/transfer'), this.transferBody(call, replacesCallId), call.tenant);
    } catch (err) {
      call.transfer = undefined;
      throw err;
    }
    this.log(`transferring call ${call.id} to ${this.config.transferTargetId}${replacesCallId ? `, replacing call ${replacesCallId}` : ''}`);
  }

  /** Body of the transfer request: the target user; `replacesCallId` for a consultative transfer. */
  protected transferBody(_call: TrackedCall, replacesCallId?: string): TransferRequest {
    return {
      transferTarget: {
        '@odata.type': '#microsoft.graph.invitationParticipantInfo',
        endpointType: 'default',
        identity: { user: { id: this.config.transferTargetId } },
        ...(replacesCallId === undefined ? {} : { replacesCallId }),
      },
    };
  }

  /**
   * Graph could not transfer the call and it is back to `established`: a consultative transfer's
   * consultation call is still up too, so end it (endConsultation); then apologise (then hang up,
   * onPromptFinished).
   */
  protected async onTransferFailed(call: TrackedCall, _resultInfo: JsonObject | undefined): Promise<void> {
    await this.endConsultation(call);
    await this.playPrompt(call, 'apology');
  }

  /**
   * A consultative transfer of `call` failed (500/7700): the consultation call it was to replace is
   * still up, with the consulted party waiting on it. Hang it up. Does nothing for a blind transfer,
   * or when the consultation call has already ended.
   */
  protected async endConsultation(call: TrackedCall): Promise<void> {
    const consultation = call.consultationCallId === undefined ? undefined : this.calls.get(normalizeId(call.consultationCallId));
    if (!consultation) return;
    this.log(`the transfer of call ${call.id} failed; ending the consultation call ${consultation.id}`);
    await this.hangUp(consultation);
  }

  /** Hangs up: `DELETE` the call. Graph answers 204, then notifies `terminating` and `deleted`. */
  protected async hangUp(call: TrackedCall): Promise<void> {
    if (call.hangingUp) return;
    call.hangingUp = true;
    await this.graphRequest('DELETE', this.callUrl(call.route, call.id), undefined, call.tenant);
    this.log(`hung up call ${call.id}`);
  }

  /** Voicemail: records the caller's message after a greeting (recordResponse); see onRecordingFinished. */
  protected async recordMessage(call: TrackedCall): Promise<void> {
    const body = this.recordBody(call, randomUUID());
    const pending: PendingOperation = { action: 'recordResponse', purpose: 'greeting', clientContext: body.clientContext, callId: call.id };
    const operationId = await this.startOperation(call, pending, '/recordResponse', body);
    this.log(`recording a message on call ${call.id} (operation ${operationId ?? 'unknown'}, clientContext ${body.clientContext})`);
  }

  /** Body of the recordResponse request: the greeting, a beep, up to 60 s, `#` ends the message. */
  protected recordBody(_call: TrackedCall, clientContext: string): RecordResponseRequest {
    return {
      prompts: [this.prompt('greeting')],
      bargeInAllowed: true,
      initialSilenceTimeoutInSeconds: 5,
      maxSilenceTimeoutInSeconds: 5,
      maxRecordDurationInSeconds: 60,
      playBeep: true,
      stopTones: ['#'],
      clientContext,
    };
  }

  /** The recording finished: download it (when there is one), then hang up. */
  protected async onRecordingFinished(call: TrackedCall, outcome: OperationOutcome): Promise<void> {
    const location = asString(outcome.operation?.recordingLocation);
    const token = asString(outcome.operation?.recordingAccessToken);
    if (!operationFailed(outcome) && location !== undefined && token !== undefined) {
      const recording = await this.downloadRecording(call, location, token);
      this.log(`downloaded the message recorded on call ${call.id} (${recording.byteLength} bytes)`);
    } else {
      this.log(`no recording on call ${call.id}`);
    }
    await this.hangUp(call);
  }

  /** `GET {recordingLocation}` with `Authorization: recordingAuthorization(token)`; throws on a non-2xx answer. */
  protected async downloadRecording(_call: TrackedCall, location: string, token: string): Promise<Uint8Array> {
    const res = await fetch(location, { headers: { Authorization: await this.recordingAuthorization(token) }, signal: this.requestSignal() });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw new GraphError(`GET ${location} failed: HTTP ${res.status}`, res.status, preview(new TextDecoder().decode(bytes)));
    return bytes;
  }

  /** The Authorization header of a recording download: `Bearer <recordingAccessToken>` (not the Graph token). */
  protected async recordingAuthorization(recordingAccessToken: string): Promise<string> {
    return `Bearer ${recordingAccessToken}`;
  }

  /** Park line: keeps the call up with keepAlive, at once and then every KEEPALIVE_INTERVAL_MS, until it ends. */
  protected async startKeepAlive(call: TrackedCall): Promise<void> {
    await this.sendKeepAlive(call);
    this.scheduleKeepAlive(call);
  }

  /** Sends one keepAlive (Graph answers 200; 404 when the call has already ended, which ends it here too). */
  protected async sendKeepAlive(call: TrackedCall): Promise<void> {
    try {
      await this.graphRequest('POST', this.callUrl(call.route, call.id, '/keepAlive'), undefined, call.tenant);
      this.log(`keepAlive sent for call ${call.id}`);
    } catch (err) {
      if (err instanceof GraphError && err.status === 404) return this.endCall(call, 'gone');
      throw err;
    }
  }

  /** Arms the call's keepAlive timer: every KEEPALIVE_INTERVAL_MS until stopKeepAlive. */
  private scheduleKeepAlive(call: TrackedCall): void {
    const key = normalizeId(call.id);
    const timer = setTimeout(() => {
      this.sendKeepAlive(call)
        .catch((err: unknown) => {
          if (!this.lifetime.signal.aborted) this.logError(`keepAlive for call ${call.id} failed`, err);
        })
        .finally(() => {
          if (this.keepAliveTimers.get(key) === timer) this.scheduleKeepAlive(call); // not stopped meanwhile
        });
    }, this.config.keepAliveIntervalMs);
    timer.unref();
    clearTimeout(this.keepAliveTimers.get(key));
    this.keepAliveTimers.set(key, timer);
  }

  /** Stops the call's keepAlive timer (the call ended). */
  protected stopKeepAlive(call: TrackedCall): void {
    const key = normalizeId(call.id);
    clearTimeout(this.keepAliveTimers.get(key));
    this.keepAliveTimers.delete(key);
  }

  /** The call ended (it is already forgotten): stop its keepAlive timer. */
  protected onCallEnded(call: TrackedCall, _resultInfo: JsonObject | undefined): void {
    this.stopKeepAlive(call);
  }

  /** Consult line: calls TRANSFER_TARGET_ID (the consultation call); the transfer waits until it is established. */
  protected async startConsultation(call: TrackedCall): Promise<void> {
    await this.createCall(this.consultationCallBody(call), call.route, call.tenant, (id) => {
      call.consultationCallId = id;
      this.log(`calling ${this.config.transferTargetId} (call ${id}) to consult before transferring call ${call.id}`);
      return this.track({ id, kind: 'consultation', route: call.route, tenant: call.tenant, consultFor: call.id });
    });
  }

  /** Body of the consultation call: a P2P audio call to TRANSFER_TARGET_ID with service-hosted media. */
  protected consultationCallBody(call: TrackedCall): CreateCallRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { application: { id: this.config.appId } } },
      targets: [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id: this.config.transferTargetId } } }],
      requestedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      tenantId: call.tenant,
    };
  }

  /** The consulted party answered: transfer the caller to them, replacing the consultation call. */
  protected async onConsultationEstablished(consultation: TrackedCall): Promise<void> {
    const caller = consultation.consultFor === undefined ? undefined : this.calls.get(normalizeId(consultation.consultFor));
    if (!caller) return this.log(`call ${consultation.consultFor ?? 'unknown'} already ended; nobody to transfer to ${consultation.id}`);
    await this.transferCall(caller, consultation.id);
  }

  /** The Authorization header for Graph requests about calls of `tenant`; undefined sends none. */
  protected async authorizationHeader(tenant: string): Promise<string | undefined> {
    return `Bearer ${await this.accessToken(tenant)}`;
  }

  // -------------------------------------------------------------------------------------------
  // Graph requests
  // -------------------------------------------------------------------------------------------

  /** Joins `meeting` without media with `POST {graph}/{version}{callsRoot}` and tracks the new call. */
  protected async joinMeeting(
    meeting: MeetingRef,
    route: GraphRoute,
    tenant: string,
    kind: 'transfer-meeting' | 'api-meeting',
    p2pCallId?: string,
  ): Promise<TrackedCall> {
    const byId = meeting.joinMeetingId !== undefined || meeting.token !== undefined;
    const body = byId ? this.joinMeetingByIdBody(meeting) : this.joinMeetingBody(meeting);
    return this.createCall(body, route, tenant, (id) => {
      const what = meeting.joinMeetingId !== undefined ? `with join id ${meeting.joinMeetingId}` : meeting.token !== undefined ? 'with a token' : meeting.threadId;
      this.log(`joined meeting ${what} as call ${id}`);
      return this.track({ id, kind, route, tenant, p2pCallId });
    });
  }

  /**
   * Body of the create-call request that joins a meeting WITHOUT media by its join id
   * (joinMeetingIdMeetingInfo with the passcode, null when none) or by a token (tokenMeetingInfo).
   */
  protected joinMeetingByIdBody(meeting: MeetingRef): JoinMeetingByIdRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { application: { id: this.config.appId } } },
      requestedModalities: [],
      tenantId: meeting.tenantId,
      meetingInfo:
        meeting.token !== undefined
          ? { '@odata.type': '#microsoft.graph.tokenMeetingInfo', token: meeting.token }
          : { '@odata.type': '#microsoft.graph.joinMeetingIdMeetingInfo', joinMeetingId: meeting.joinMeetingId ?? '', passcode: meeting.passcode ?? null },
    };
  }

  /**
   * `POST {graph}/{version}{callsRoot}`; `track` tracks the new call under the id Graph gave it.
   * Notifications for the new call that arrive before Graph's answer are held and replayed then.
   */
  protected async createCall(body: unknown, route: GraphRoute, tenant: string, track: (id: string) => TrackedCall): Promise<TrackedCall> {
    this.pendingCreates++;
    try {
      const response = await this.graphRequest('POST', this.callUrl(route), body, tenant);
      const id = idFromResponse(response);
      if (id === undefined) throw new Error('create call: Graph answered with neither an id nor a Location header');
      return track(id);
    } finally {
      this.pendingCreates--;
      // Replay what arrived for the new call before its id was known (the call is tracked by now).
      this.enqueue(this.held.splice(0), true);
    }
  }

  /** Posts a media operation (`suffix`, e.g. `/playPrompt`) and remembers it until its completion notification. */
  protected async startOperation(call: TrackedCall, pending: PendingOperation, suffix: string, body: unknown): Promise<string | undefined> {
    // Registered before sending: the completion notification can overtake the HTTP answer.
    this.operations.set(normalizeId(pending.clientContext), pending);
    try {
      const response = await this.graphRequest('POST', this.callUrl(call.route, call.id, suffix), body, call.tenant);
      pending.operationId = idFromResponse(response);
      return pending.operationId;
    } catch (err) {
      this.operations.delete(normalizeId(pending.clientContext));
      throw err;
    }
  }

  /** Posts an invite on `targetCallId` (in `call`'s route) and remembers it until its operation completes. */
  protected async postInvite(call: TrackedCall, targetCallId: string, body: InviteRequest): Promise<string | undefined> {
    // Registered before sending: the completion notification can overtake the HTTP answer.
    const pending: PendingOperation = { action: 'invite', clientContext: body.clientContext, callId: call.id };
    this.operations.set(normalizeId(body.clientContext), pending);
    try {
      const url = this.callUrl(call.route, targetCallId, '/participants/invite');
      const response = await this.graphRequest('POST', url, body, call.tenant);
      pending.operationId = idFromResponse(response);
      return pending.operationId;
    } catch (err) {
      this.operations.delete(normalizeId(body.clientContext));
      throw err;
    }
  }

  /**
   * Sends one request to Graph with `Content-Type: application/json` and the Authorization header.
   * Returns the parsed answer; throws a GraphError for a non-2xx status.
   */
  protected async graphRequest(method: string, url: string, body: unknown, tenant: string): Promise<GraphResponse> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const authorization = await this.authorizationHeader(tenant);
    if (authorization !== undefined) headers.Authorization = authorization;
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: this.requestSignal(),
    });
    const answer = await readResponseBody(res);
    if (!res.ok) {
      throw new GraphError(`${method} ${url} failed: HTTP ${res.status} ${preview(answer)}`, res.status, answer);
    }
    return { status: res.status, location: res.headers.get('location') ?? undefined, body: answer };
  }

  /** `{graph}/{version}{callsRoot}[/{callId}{suffix}]` */
  protected callUrl(route: GraphRoute, callId?: string, suffix = ''): string {
    const root = `${this.config.graphBaseUrl}/${route.version}${route.callsRoot}`;
    return callId === undefined ? root : `${root}/${encodeURIComponent(callId)}${suffix}`;
  }

  /**
   * Client-credentials token for `tenant`, cached until shortly before it expires. Calls that need
   * it at the same time share one request (a burst of calls does not send a burst of token requests).
   */
  private async accessToken(tenant: string): Promise<string> {
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    let pending = this.tokenRequests.get(tenant);
    if (pending === undefined) {
      pending = this.requestToken(tenant).finally(() => this.tokenRequests.delete(tenant));
      this.tokenRequests.set(tenant, pending);
    }
    return pending;
  }

  /** `POST {login}/{tenant}/oauth2/v2.0/token` (client credentials); caches the token. */
  private async requestToken(tenant: string): Promise<string> {
    const url = `${this.config.loginBaseUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.config.appId,
      client_secret: this.config.appSecret,
      scope: GRAPH_SCOPE,
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: this.requestSignal(),
    });
    const answer = await readResponseBody(res);
    const payload = isJsonObject(answer) ? answer : {};
    const token = asString(payload.access_token);
    if (!res.ok || token === undefined) {
      throw new Error(`token request to ${url} failed: HTTP ${res.status} ${preview(answer)}`);
    }
    const expiresIn = Number(payload.expires_in ?? 3600); // some endpoints send it as a string
    this.tokens.set(tenant, { token, expiresAt: Date.now() + (expiresIn - TOKEN_RENEW_MARGIN_S) * 1000 });
    return token;
  }

  /**
   * The key set named by the OpenID configuration, read again every 2 hours. The key set fetches
   * the JWKS itself, caches it and fetches it again for a `kid` it does not know (jose's
   * createRemoteJWKSet). A failed refresh keeps the previous configuration for another minute.
   */
  private async notificationSigningKeys(): Promise<JWTVerifyGetKey> {
    const current = this.notificationKeys;
    if (current && current.refreshAt > Date.now()) return current.keys;
    this.notificationKeysLoading ??= this.loadNotificationKeys().finally(() => {
      this.notificationKeysLoading = undefined;
    });
    try {
      return await this.notificationKeysLoading;
    } catch (err) {
      if (!current || this.notificationKeys !== current) throw err;
      current.refreshAt = Date.now() + OPENID_CONFIG_RETRY_MS;
      this.logError(`could not refresh the OpenID configuration ${this.config.openIdConfigUrl}; keeping the previous one`, err);
      return current.keys;
    }
  }

  private async loadNotificationKeys(): Promise<JWTVerifyGetKey> {
    const url = this.config.openIdConfigUrl;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(KEY_FETCH_TIMEOUT_MS)]),
      });
    } catch (err) {
      // undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause
      const cause = err instanceof Error && err.cause !== undefined ? ` (${errorMessage(err.cause)})` : '';
      throw new Error(`${errorMessage(err)}${cause}`);
    }
    const answer = await readResponseBody(res);
    if (!res.ok) throw new Error(`HTTP ${res.status} ${preview(answer)}`);
    const jwksUri = isJsonObject(answer) ? asString(answer.jwks_uri) : undefined;
    if (jwksUri === undefined) throw new Error(`the configuration has no "jwks_uri": ${preview(answer)}`);
    let jwks: URL;
    try {
      jwks = new URL(jwksUri, url);
    } catch {
      throw new Error(`the configuration's "jwks_uri" is not a URL: ${jwksUri}`);
    }
    if (jwks.protocol !== 'https:' && jwks.protocol !== 'http:') throw new Error(`the configuration's "jwks_uri" is not http(s): ${jwksUri}`);
    if (this.lifetime.signal.aborted) throw new Error('reference bot stopped');
    // The same jwks_uri keeps its key set, and with it the keys already fetched.
    const previous = this.notificationKeys;
    const keys = previous?.jwksUri === jwks.href ? previous.keys : createRemoteJWKSet(jwks, { timeoutDuration: KEY_FETCH_TIMEOUT_MS });
    this.notificationKeys = { jwksUri: jwks.href, keys, refreshAt: Date.now() + OPENID_CONFIG_REFRESH_MS };
    this.log(`notification signing keys: ${jwks.href}`);
    return keys;
  }

  private requestSignal(): AbortSignal {
    return AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  }

  // -------------------------------------------------------------------------------------------
  // Small helpers
  // -------------------------------------------------------------------------------------------

  private track(call: Omit<TrackedCall, 'answered' | 'establishedHandled'>): TrackedCall {
    const tracked: TrackedCall = { ...call, answered: false, establishedHandled: false };
    this.calls.set(normalizeId(call.id), tracked);
    return tracked;
  }

  /** The tenant of an incoming call: the call's, else the caller's, else BOT_TENANT_ID, else `common`. */
  private tenantOf(call: JsonObject, caller: IdentitySet | undefined): string {
    const user = caller && isJsonObject(caller.user) ? caller.user : undefined;
    return asString(call.tenantId) ?? asString(user?.tenantId) ?? this.config.tenantId ?? 'common';
  }

  private address(): NonNullable<ReferenceBot['listening']> {
    if (!this.listening) throw new Error('reference bot is not started');
    return this.listening;
  }

  protected log(message: string): void {
    if (this.config.logLevel === 'info') console.log(`[reference-bot] ${message}`);
  }

  protected logError(message: string, err: unknown): void {
    if (this.config.logLevel === 'info') console.error(`[reference-bot] ${message}: ${errorMessage(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Module helpers
// ---------------------------------------------------------------------------------------------

/** Ids are compared case-insensitively and without hyphens: Graph sends both spellings. */
export function normalizeId(id: string): string {
  return id.replace(/-/g, '').toLowerCase();
}

export function sameId(a: string, b: string): boolean {
  return normalizeId(a) === normalizeId(b);
}

interface ResourceRef {
  route: GraphRoute;
  callId: string;
  /** `participants`, `operations`, ... (lower-case); undefined for the call itself */
  child?: string;
  childId?: string;
}

// Matches `/app/calls/{id}[/{child}[/{childId}]]` or `/communications/calls/...`, also without
// the leading slash or inside a full URL.
const RESOURCE_PATTERN = /(?:^|\/)(app|communications)\/calls\/([^/?#]+)(?:\/([^/?#]+)(?:\/([^/?#]+))?)?/i;

/** A notification about `/app/calls/...` is answered on beta `/app/calls`; `/communications/calls` on v1.0. */
/** The queue a notification waits in: its resource's call (normalized), or '' when it names none. */
function queueKeyOf(notification: CommsNotification): string {
  const resource = asString(notification.resourceUrl) ?? asString(notification.resource);
  const ref = resource === undefined ? undefined : parseResource(resource);
  return ref ? normalizeId(ref.callId) : '';
}

function parseResource(resource: string): ResourceRef | undefined {
  const match = RESOURCE_PATTERN.exec(resource);
  if (!match) return undefined;
  const route: GraphRoute =
    match[1].toLowerCase() === 'app'
      ? { version: 'beta', callsRoot: '/app/calls' }
      : { version: 'v1.0', callsRoot: '/communications/calls' };
  return { route, callId: match[2], child: match[3]?.toLowerCase(), childId: match[4] };
}

function routeForApi(api: GraphApi): GraphRoute {
  if (api === 'beta-app') return { version: 'beta', callsRoot: '/app/calls' };
  return { version: api, callsRoot: '/communications/calls' };
}

function isGraphApi(value: string): value is GraphApi {
  return (GRAPH_APIS as readonly string[]).includes(value);
}

/** The id of what a POST created: the response body's `id`, else the last segment of `Location`. */
function idFromResponse(response: GraphResponse): string | undefined {
  const id = isJsonObject(response.body) ? asString(response.body.id) : undefined;
  return id ?? response.location?.split(/[?#]/)[0].split('/').filter(Boolean).pop();
}

/** `resultInfo {code, subcode, message}` as `500/7000 "message"` (docs also spell it `subCode`). */
function describeResultInfo(resultInfo: JsonObject): string {
  const subcode = resultInfo.subcode ?? resultInfo.subCode;
  return `${String(resultInfo.code)}/${String(subcode)} "${String(resultInfo.message ?? '')}"`;
}

/** The resultInfo of the first entity that has one. */
function resultInfoOf(entities: JsonObject[]): JsonObject | undefined {
  const withResult = entities.find((e) => isJsonObject(e.resultInfo));
  return withResult && isJsonObject(withResult.resultInfo) ? withResult.resultInfo : undefined;
}

/** `code` of a resultInfo as a number (docs also send it as a string). */
function resultCode(resultInfo: JsonObject | undefined): number | undefined {
  const code = Number(resultInfo?.code);
  return resultInfo === undefined || resultInfo.code === undefined || !Number.isFinite(code) ? undefined : code;
}

/**
 * An `established` call notification after the bot asked for a transfer means the transfer failed
 * when it carries an error resultInfo, or when the transfer had already started.
 */
function transferCameBack(state: 'requested' | 'transferring' | 'transferAccepted', resultInfo: JsonObject | undefined): boolean {
  const code = resultCode(resultInfo);
  return (code !== undefined && code >= 400) || state !== 'requested';
}

/** A media operation that did not succeed: status not `completed`, or a resultInfo code of 400 or more. */
function operationFailed(outcome: OperationOutcome): boolean {
  const code = resultCode(outcome.resultInfo);
  return outcome.status !== 'completed' || (code !== undefined && code >= 400);
}

function countParticipants(resourceData: unknown): number {
  if (Array.isArray(resourceData)) return resourceData.length;
  // delta rosters: #microsoft.graph.deltaParticipants {sequenceNumber, participants: [...]}
  if (isJsonObject(resourceData) && Array.isArray(resourceData.participants)) return resourceData.participants.length;
  return 0;
}

/** `[{id, tenantId?, displayName?}]` from the invite API request; throws 400 when malformed. */
function parseInvitees(value: unknown): Array<{ id: string; tenantId?: string; displayName?: string }> {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, '"participants" must be a non-empty array');
  return value.map((entry) => {
    if (!isJsonObject(entry) || typeof entry.id !== 'string') {
      throw new HttpError(400, 'each participant needs a string "id"');
    }
    const { id } = entry;
    return { id, tenantId: optionalString(entry, 'tenantId'), displayName: optionalString(entry, 'displayName') };
  });
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad path segment "${segment}"`);
  }
}

function upstreamFailure(err: unknown): { error: string; graphStatus?: number } {
  return { error: errorMessage(err), graphStatus: err instanceof GraphError ? err.status : undefined };
}

/** An error that becomes an HTTP answer of the bot's own server. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
  } else if (typeof body === 'string') {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
  } else {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, `${what} is not valid JSON`);
  }
  if (!isJsonObject(value)) throw new HttpError(400, `${what} must be a JSON object`);
  return value;
}

async function readResponseBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function optionalString(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `"${key}" must be a string`);
  return value;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Enum values arrive in any case (`Established`, `established`). */
function lowerCase(value: unknown): string | undefined {
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
