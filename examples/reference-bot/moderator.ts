/**
 * Scenario: a meeting moderator. The bot joins a meeting (with service-hosted audio) and, when asked
 * through its API, mutes, removes or holds participants. It keeps the meeting's roster from the
 * `.../participants` notifications, because Graph's participant actions take the PARTICIPANT id
 * (the roster's `id`), while the API names people by their Entra user id.
 *
 *   POST /api/moderator/join {threadId, organizerId, tenantId?, messageId?, deltaRoster?} -> {callId}
 *        joins with chatInfo + organizerMeetingInfo; deltaRoster: true asks for delta rosters
 *        (callOptions #microsoft.graph.outgoingCallOptions, isDeltaRosterEnabled)
 *   POST /api/moderator/calls/{callId}/mute {userId}    -> participants/{id}/mute (server mute)
 *   POST /api/moderator/calls/{callId}/remove {userId}  -> DELETE participants/{id}
 *   POST /api/moderator/calls/{callId}/hold {userId}    -> participants/{id}/startHoldMusic (hold-music.wav)
 *   POST /api/moderator/calls/{callId}/unhold {userId}  -> participants/{id}/stopHoldMusic
 *   POST /api/moderator/calls/{callId}/mute-all         -> mutes every participant present and not
 *                                                          muted, except the bot itself
 *   A user who is not in the roster gets 404.
 *
 * Rosters (roster.ts): an array of participants is the whole roster; a
 * `#microsoft.graph.deltaParticipants` holds only changes, and may arrive late or out of order, so
 * each participant's change is applied only when it is newer (rosterSequenceNumber, else the delta's
 * sequenceNumber) than what the bot holds for that participant, removals included.
 *
 * Flows: meeting-participant-mute-and-remove, meeting-hold-music, delta-roster-sequence.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodePathSegment, HttpError, normalizeId, optionalString, parseJsonObject, readBody, send, upstreamFailure } from './helpers.js';
import { MeetingLineBot } from './meeting-line.js';
import { Roster, type RosterEntry } from './roster.js';
import type { GraphRoute, JsonObject, MediaPrompt, MeetingRef, PendingOperation, TrackedCall } from './types.js';

const V1: GraphRoute = { version: 'v1.0', callsRoot: '/communications/calls' };
const CALL_ACTION = /^\/api\/moderator\/calls\/([^/]+)\/(mute|remove|hold|unhold|mute-all)$/;

export abstract class ModeratorBot extends MeetingLineBot {
  /** rosters of the moderated meetings, keyed by normalizeId(call id) */
  private readonly rosters = new Map<string, Roster>();

  protected override onStopped(): void {
    super.onStopped();
    this.rosters.clear();
  }

  protected override async routeApi(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/api/moderator/join') {
      await this.moderateApi(req, res);
      return true;
    }
    const action = CALL_ACTION.exec(path);
    if (method === 'POST' && action) {
      await this.participantApi(req, res, decodePathSegment(action[1]), action[2]);
      return true;
    }
    return super.routeApi(method, path, req, res);
  }

  protected override onRosterUpdated(call: TrackedCall, resourceData: unknown): void | Promise<void> {
    const roster = this.rosters.get(normalizeId(call.id));
    if (!roster) return super.onRosterUpdated(call, resourceData);
    roster.apply(resourceData);
    this.log(`roster of meeting call ${call.id}: ${roster.present().length} participants`);
  }

  protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
    super.onCallEnded(call, resultInfo);
    this.rosters.delete(normalizeId(call.id));
  }

  /** `POST /api/moderator/join` -> `{callId}` once Graph created the call. */
  private async moderateApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseJsonObject(await readBody(req), 'request body');
    const threadId = optionalString(request, 'threadId');
    const organizerId = optionalString(request, 'organizerId');
    if (threadId === undefined || organizerId === undefined) throw new HttpError(400, '"threadId" and "organizerId" are required');
    if (request.deltaRoster !== undefined && typeof request.deltaRoster !== 'boolean') throw new HttpError(400, '"deltaRoster" must be a boolean');
    const tenantId = optionalString(request, 'tenantId') ?? this.config.tenantId ?? 'common';
    const body = this.moderatedJoinBody({ threadId, messageId: optionalString(request, 'messageId') ?? '0', organizerId, tenantId }, request.deltaRoster === true);
    try {
      const call = await this.createCall(body, V1, tenantId, (id) => {
        this.rosters.set(normalizeId(id), this.newRoster());
        this.log(`joined meeting ${threadId} as its moderator (call ${id})`);
        return this.track({ id, kind: 'moderated-meeting', route: V1, tenant: tenantId });
      });
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError('moderator join failed', err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /** The roster of a meeting the bot joins (a subclass may keep it otherwise). */
  protected newRoster(): Roster {
    return new Roster();
  }

  /**
   * Join with service-hosted audio (the bot may put people on hold): the same join as
   * join-meeting-with-media's (meeting-media.ts), and delta rosters when asked.
   */
  protected moderatedJoinBody(meeting: MeetingRef, deltaRoster: boolean): JsonObject {
    return {
      ...this.joinMeetingWithMediaBody(meeting),
      ...(deltaRoster ? { callOptions: { '@odata.type': '#microsoft.graph.outgoingCallOptions', isDeltaRosterEnabled: true } } : {}),
    };
  }

  /** `POST /api/moderator/calls/{callId}/{action}`: the action on the user's participant. */
  private async participantApi(req: IncomingMessage, res: ServerResponse, callId: string, action: string): Promise<void> {
    const call = this.calls.get(normalizeId(callId));
    const roster = this.rosters.get(normalizeId(callId));
    if (!call || !roster) throw new HttpError(404, `no meeting call ${callId} joined through /api/moderator/join`);
    const text = await readBody(req);
    const request = text.trim() === '' ? {} : parseJsonObject(text, 'request body');
    try {
      if (action === 'mute-all') {
        const muted = await this.muteEveryone(call, roster);
        return send(res, 200, { muted: muted.map((p) => p.id) });
      }
      const userId = optionalString(request, 'userId');
      if (userId === undefined) throw new HttpError(400, '"userId" is required');
      const participant = roster.findUser(userId);
      if (!participant) throw new HttpError(404, `user ${userId} is not in the roster of call ${call.id}`);
      if (action === 'mute') await this.muteParticipant(call, participant);
      else if (action === 'remove') await this.removeParticipant(call, participant);
      else if (action === 'hold') await this.holdParticipant(call, participant);
      else await this.unholdParticipant(call, participant);
      send(res, 200, { participantId: participant.id });
    } catch (err) {
      if (err instanceof HttpError) throw err;
      this.logError(`${action} on call ${call.id} failed`, err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /** Mutes every participant present and not muted, except the bot itself; returns them. */
  protected async muteEveryone(call: TrackedCall, roster: Roster): Promise<RosterEntry[]> {
    const targets = roster.present().filter((p) => !p.isMuted && !this.isSelf(p));
    for (const participant of targets) await this.muteParticipant(call, participant);
    return targets;
  }

  /** The bot's own participant: its application identity. */
  protected isSelf(participant: RosterEntry): boolean {
    return participant.appId !== undefined && normalizeId(participant.appId) === normalizeId(this.config.appId);
  }

  /** Server mute: `POST .../participants/{id}/mute` (200, muteParticipantOperation completed; then a roster update). */
  protected async muteParticipant(call: TrackedCall, participant: RosterEntry): Promise<void> {
    await this.participantOperation(call, participant, 'participantMute', '/mute', {});
    this.log(`muted participant ${participant.id} on call ${call.id}`);
  }

  /** `DELETE .../participants/{id}` (204); the roster update follows. */
  protected async removeParticipant(call: TrackedCall, participant: RosterEntry): Promise<void> {
    await this.graphRequest('DELETE', this.callUrl(call.route, call.id, `/participants/${encodeURIComponent(participant.id)}`), undefined, call.tenant);
    this.log(`removed participant ${participant.id} from call ${call.id}`);
  }

  /** The music the bot plays to a participant on hold. */
  protected holdMusic(): MediaPrompt {
    return { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo', uri: `${this.config.promptBaseUrl}/hold-music.wav` } };
  }

  /** `POST .../participants/{id}/startHoldMusic {customPrompt}` (202, running; completed later). */
  protected async holdParticipant(call: TrackedCall, participant: RosterEntry): Promise<void> {
    await this.participantOperation(call, participant, 'startHoldMusic', '/startHoldMusic', { customPrompt: this.holdMusic() });
    this.log(`put participant ${participant.id} on hold on call ${call.id}`);
  }

  /** `POST .../participants/{id}/stopHoldMusic` (202, running; completed later). */
  protected async unholdParticipant(call: TrackedCall, participant: RosterEntry): Promise<void> {
    await this.participantOperation(call, participant, 'stopHoldMusic', '/stopHoldMusic', {});
    this.log(`took participant ${participant.id} off hold on call ${call.id}`);
  }

  /** Posts an action on one participant with a fresh clientContext and remembers its operation. */
  private async participantOperation(call: TrackedCall, participant: RosterEntry, action: PendingOperation['action'], suffix: string, body: JsonObject): Promise<void> {
    const clientContext = randomUUID();
    const path = `/participants/${encodeURIComponent(participant.id)}${suffix}`;
    await this.startOperation(call, { action, clientContext, callId: call.id }, path, { ...body, clientContext });
  }
}
