/**
 * The reference calling bot: a small Teams calling bot on the Microsoft Graph cloud-communications
 * API that moves every caller from a 1:1 (P2P) call into a meeting.
 *
 *   Graph: incoming call  -> bot answers it                        (onIncomingCall)
 *   Graph: P2P established -> bot joins the meeting without media   (onP2PEstablished, onMeetingCreated)
 *   Graph: meeting call established -> bot invites the caller into
 *          the meeting with replacesCallId = the P2P call           (onMeetingEstablished, inviteBody)
 *   Graph: invite operation completed, roster, P2P call ended       (onOperationCompleted, logs)
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
import { GRAPH_APIS, type BotConfig, type GraphApi } from './config.js';

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
  /** a meeting call joined through `POST /api/join-meeting` */
  | 'api-meeting';

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
}

/** The meeting to join (chatInfo + organizerMeetingInfo). */
export interface MeetingRef {
  threadId: string;
  messageId: string;
  organizerId: string;
  tenantId: string;
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

/** An operation the bot started and whose completion notification it waits for. */
export interface PendingOperation {
  action: 'invite';
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
/** An outbound request that takes longer than this is aborted (it would block the notification queue). */
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 1024 * 1024;

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
  /** The keys that sign notification tokens, from the OpenID configuration's `jwks_uri`. */
  private notificationKeys?: { jwksUri: string; keys: JWTVerifyGetKey; refreshAt: number };
  /** The OpenID configuration being fetched (shared by concurrent notifications). */
  private notificationKeysLoading?: Promise<JWTVerifyGetKey>;
  /** Notifications waiting to be handled, one at a time, in arrival order. */
  private readonly queue: CommsNotification[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  /** Notifications for not-yet-known calls, held while a create-call request is in flight. */
  private readonly held: CommsNotification[] = [];
  private pendingCreates = 0;

  constructor(protected readonly config: BotConfig) {}

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
      server.listen(this.config.port, this.config.host, () => {
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
    this.queue.length = 0;
    this.held.length = 0;
    // Keep-alive connections would hold close() open until they time out: close them as soon as
    // they are idle, including the ones still answering a request.
    for (const res of this.responding) res.shouldKeepAlive = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.all([closed, this.drained]);
    this.calls.clear();
    this.operations.clear();
    this.tokens.clear();
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

  /** `POST /api/join-meeting {threadId?, messageId?, organizerId?, tenantId?, api?}` -> `{callId}`. */
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
    };
    try {
      const call = await this.joinMeeting(meeting, routeForApi(api), meeting.tenantId, 'api-meeting');
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError('join-meeting request failed', err);
      send(res, 502, upstreamFailure(err));
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

  /** Queues notifications; `first` puts them before the ones already waiting (used for replays). */
  private enqueue(notifications: CommsNotification[], first = false): void {
    if (this.lifetime.signal.aborted || notifications.length === 0) return;
    if (first) this.queue.unshift(...notifications);
    else this.queue.push(...notifications);
    if (!this.draining) this.drained = this.drain();
  }

  /** Handles queued notifications one at a time, like the Graph Communications SDK. Never rejects. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          await this.handleNotification(next);
        } catch (err) {
          if (!this.lifetime.signal.aborted) {
            this.logError(`failed to handle ${next.changeType} ${next.resourceUrl ?? next.resource}`, err);
          }
        }
      }
    } finally {
      this.draining = false;
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
    await this.onIncomingCall(callId, route, call);
  }

  private async handleCallChange(
    call: TrackedCall,
    changeType: string | undefined,
    entities: JsonObject[],
  ): Promise<void> {
    if (changeType === 'deleted') return this.endCall(call, 'deleted');
    for (const entity of entities) {
      const state = lowerCase(entity.state);
      if (state === undefined) continue;
      if (state === 'terminated') return this.endCall(call, 'terminated');
      if (state === 'established') await this.handleEstablished(call);
      else this.log(`call ${call.id} is ${state}`);
    }
  }

  private async handleEstablished(call: TrackedCall): Promise<void> {
    if (call.establishedHandled) return; // Graph can send 'established' twice: act once
    call.establishedHandled = true;
    this.log(`call ${call.id} established`);
    if (call.kind === 'incoming') {
      if (call.answered) await this.onP2PEstablished(call);
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
  private endCall(call: TrackedCall, how: 'terminated' | 'deleted'): void {
    this.calls.delete(normalizeId(call.id));
    for (const [key, op] of this.operations) if (sameId(op.callId, call.id)) this.operations.delete(key);
    this.log(`call ${call.id} ${how}`);
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

  /** An operation on `call` finished (already logged). Does nothing by default. */
  protected onOperationCompleted(_call: TrackedCall, _outcome: OperationOutcome): void | Promise<void> {}

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
    this.pendingCreates++;
    try {
      const response = await this.graphRequest('POST', this.callUrl(route), this.joinMeetingBody(meeting), tenant);
      const id = idFromResponse(response);
      if (id === undefined) throw new Error('create call: Graph answered with neither an id nor a Location header');
      this.log(`joined meeting ${meeting.threadId} as call ${id}`);
      return this.track({ id, kind, route, tenant, p2pCallId });
    } finally {
      this.pendingCreates--;
      // Replay what arrived for the new call before its id was known (the call is tracked by now).
      this.enqueue(this.held.splice(0), true);
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

  /** Client-credentials token for `tenant`, cached until shortly before it expires. */
  private async accessToken(tenant: string): Promise<string> {
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
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
