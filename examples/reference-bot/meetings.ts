/**
 * Scenario: meetings.
 *
 * Moving a caller into a meeting (a call to the bot's own identity, answered in answer.ts):
 *   the P2P call established    -> join the meeting without media (MEETING_* variables)
 *   the meeting call established -> invite the caller into it with replacesCallId = the P2P call
 *   invite completed, roster, the P2P call ends (Graph drops it)
 *
 * The bot's meeting API (the triggers of the meeting flows):
 *   POST /api/join-meeting {threadId?, messageId?, organizerId?, tenantId?, api?}
 *        | {joinMeetingId, passcode?} | {token}                         -> {callId}
 *   POST /api/create-meeting-and-join {subject?, tenantId?, api?}       -> {callId, meetingId, joinWebUrl}
 *   POST /api/calls/{callId}/invite {participants: [{id, tenantId?, displayName?}], clientContext?}
 *
 * Flows: answer-incoming-call, join-meeting-without-media, join-meeting-by-join-meeting-id,
 * join-meeting-by-token, create-meeting-and-join, invite-participants, p2p-to-meeting-transfer(-v1).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GRAPH_APIS } from './config.js';
import { DelegatedSession, MeetingError } from './delegated.js';
import {
  decodePathSegment,
  HttpError,
  idFromResponse,
  isGraphApi,
  normalizeId,
  optionalString,
  parseInvitees,
  parseJsonObject,
  readBody,
  routeForApi,
  send,
  upstreamFailure,
} from './helpers.js';
import { TransferBot } from './transfer.js';
import type {
  GraphRoute,
  InviteRequest,
  JoinMeetingByIdRequest,
  JoinMeetingRequest,
  MeetingRef,
  PendingOperation,
  TrackedCall,
} from './types.js';

export abstract class MeetingsBot extends TransferBot {
  /** the user the bot creates meetings as (USER_REFRESH_TOKEN) */
  private readonly user = new DelegatedSession(this.config, () => this.requestSignal());

  protected override onStopped(): void {
    super.onStopped();
    this.user.clear();
  }

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind === 'transfer-meeting' || call.kind === 'api-meeting') return this.onMeetingEstablished(call);
    return super.onCallEstablished(call);
  }

  protected override async routeApi(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/api/join-meeting') {
      await this.joinMeetingApi(req, res);
      return true;
    }
    if (method === 'POST' && path === '/api/create-meeting-and-join') {
      await this.createMeetingAndJoinApi(req, res);
      return true;
    }
    const invite = /^\/api\/calls\/([^/]+)\/invite$/.exec(path);
    if (method === 'POST' && invite) {
      await this.inviteApi(req, res, decodePathSegment(invite[1]));
      return true;
    }
    return super.routeApi(method, path, req, res);
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
}
