/**
 * Scenario: a meeting bot with media. The bot joins a scheduled meeting by its organizer, with
 * service-hosted media (application-post-calls, example 5), welcomes the meeting with a prompt, and
 * follows the roster until the meeting ends.
 *
 *   POST /api/join-meeting-with-media {threadId, messageId?, organizerId, tenantId?, api?} -> {callId}
 *        (the `join-meeting` trigger)
 *     -> POST /calls {chatInfo, meetingInfo: organizerMeetingInfo, requestedModalities: [audio],
 *                     serviceHostedMediaConfig, tenantId}; the 201 names the bot's participant (myParticipantId)
 *   roster with the bot isInLobby: true -> the bot waits in the lobby (logged; it does nothing)
 *   established                          -> playPrompt (meeting-welcome.wav)
 *   rosters                              -> logged: who is in the meeting, who waits in the lobby
 *   the meeting ends (deleted, e.g. 200/5002) -> the bot forgets the call and sends nothing more
 *
 * Flow: join-meeting-with-media.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asString, HttpError, isJsonObject, optionalString, parseJsonObject, readBody, sameId, send, upstreamFailure } from './helpers.js';
import { GroupCallsBot } from './group-calls.js';
import type { IdentitySet, MeetingRef, TrackedCall } from './types.js';

/** `POST .../calls` body that joins a meeting with service-hosted media. */
export interface JoinMeetingWithMediaRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  requestedModalities: string[];
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' };
  tenantId: string;
  chatInfo: { '@odata.type': '#microsoft.graph.chatInfo'; threadId: string; messageId: string };
  meetingInfo: {
    '@odata.type': '#microsoft.graph.organizerMeetingInfo';
    organizer: { user: { id: string; tenantId: string } };
    allowConversationWithoutHost: boolean;
  };
}

export abstract class MeetingMediaBot extends GroupCallsBot {
  protected override async routeApi(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/api/join-meeting-with-media') {
      await this.joinMeetingWithMediaApi(req, res);
      return true;
    }
    return super.routeApi(method, path, req, res);
  }

  private async joinMeetingWithMediaApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseJsonObject(await readBody(req), 'request body');
    const { route, tenant } = this.apiRouteAndTenant(request);
    const threadId = optionalString(request, 'threadId');
    const organizerId = optionalString(request, 'organizerId');
    if (threadId === undefined || organizerId === undefined) throw new HttpError(400, '"threadId" and "organizerId" are required');
    const meeting: MeetingRef = { threadId, organizerId, messageId: optionalString(request, 'messageId') ?? '0', tenantId: tenant };
    try {
      const call = await this.createCall(this.joinMeetingWithMediaBody(meeting), route, tenant, (id, response) => {
        const myParticipantId = isJsonObject(response.body) ? asString(response.body.myParticipantId) : undefined;
        this.log(`joined meeting ${threadId} with media as call ${id}`);
        return this.track({ id, kind: 'media-meeting', route, tenant, myParticipantId });
      });
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError('join-meeting-with-media request failed', err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /** Body of the join: chatInfo and the organizer, audio with service-hosted media (application-post-calls example 5). */
  protected joinMeetingWithMediaBody(meeting: MeetingRef): JoinMeetingWithMediaRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { application: { id: this.config.appId } } },
      requestedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      tenantId: meeting.tenantId,
      chatInfo: { '@odata.type': '#microsoft.graph.chatInfo', threadId: meeting.threadId, messageId: meeting.messageId },
      meetingInfo: {
        '@odata.type': '#microsoft.graph.organizerMeetingInfo',
        organizer: { user: { id: meeting.organizerId, tenantId: meeting.tenantId } },
        allowConversationWithoutHost: true,
      },
    };
  }

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind !== 'media-meeting') return super.onCallEstablished(call);
    call.inLobby = false; // established: the bot is in the meeting
    await this.playPrompt(call, 'welcome');
  }

  /** A roster of a meeting joined with media: is the bot itself waiting in the lobby, and who is there. */
  protected override onRosterUpdated(call: TrackedCall, resourceData: unknown): void | Promise<void> {
    if (call.kind !== 'media-meeting') return super.onRosterUpdated(call, resourceData);
    const participants = (Array.isArray(resourceData) ? resourceData : []).filter(isJsonObject);
    const me = participants.find((p) => this.isMe(call, p));
    if (me && me.isInLobby === true) {
      call.inLobby = true;
      return this.log(`meeting call ${call.id}: the bot waits in the lobby to be admitted`);
    }
    const inLobby = participants.filter((p) => p !== me && p.isInLobby === true).length;
    this.log(`meeting call ${call.id}: ${participants.length} participants${inLobby ? `, ${inLobby} waiting in the lobby` : ''}`);
  }

  /** Whether a roster entry is the bot itself: its participant id, or its application identity. */
  protected isMe(call: TrackedCall, participant: Record<string, unknown>): boolean {
    const id = asString(participant.id);
    if (call.myParticipantId !== undefined && id !== undefined) return sameId(id, call.myParticipantId);
    const info = isJsonObject(participant.info) ? participant.info : undefined;
    const identity = info && isJsonObject(info.identity) ? info.identity : undefined;
    const app = identity && isJsonObject(identity.application) ? asString(identity.application.id) : undefined;
    return app !== undefined && sameId(app, this.config.appId);
  }
}
