/**
 * Scenario: group calls.
 *
 * Creating one (the `create-group-call` trigger):
 *   POST /api/create-group-call {userIds: [1 to 5 ids], tenantId?, api?} -> {callId}
 *     -> POST /calls {targets: one per user, requestedModalities: [audio], serviceHostedMediaConfig}
 *        (Graph creates group calls with up to 5 VoIP users: application-post-calls example 3; more get 400 here)
 *   established -> the message (notification.wav), as outbound.ts does for a P2P call; then the bot
 *                  stays: the call ends when only one participant is left (200/5010)
 *
 * Being invited into one: a `created` incoming call whose notification carries chatInfo or
 * meetingInfo is an invite into a group call or meeting (call-answer: "If an invite to a group call
 * is received, the notification will contain the chatInfo and meetingInfo parameters"). The bot
 * answers it and stays in the call; it is NOT a P2P call, so the bot does not move it into a meeting
 * (answer.ts / meetings.ts do that for P2P calls only).
 *
 * Flows: create-group-call, incoming-group-call-invite.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, isJsonObject, optionalString, parseJsonObject, readBody, send, upstreamFailure } from './helpers.js';
import { OutboundBot, type CallTarget } from './outbound.js';
import type { GraphRoute, JsonObject, TrackedCall } from './types.js';

/** Graph creates group calls with up to this many VoIP users (application-post-calls, example 3). */
export const MAX_GROUP_CALL_TARGETS = 5;

export abstract class GroupCallsBot extends OutboundBot {
  protected override async routeApi(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/api/create-group-call') {
      await this.createGroupCallApi(req, res);
      return true;
    }
    return super.routeApi(method, path, req, res);
  }

  /** `POST /api/create-group-call {userIds, tenantId?, api?}` -> `{callId}` once Graph answered the create. */
  private async createGroupCallApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseJsonObject(await readBody(req), 'request body');
    const userIds = request.userIds;
    if (!Array.isArray(userIds) || userIds.length === 0 || !userIds.every((id) => typeof id === 'string')) {
      throw new HttpError(400, '"userIds" must be a non-empty array of user ids');
    }
    if (userIds.length > MAX_GROUP_CALL_TARGETS) throw new HttpError(400, `a group call takes at most ${MAX_GROUP_CALL_TARGETS} users, got ${userIds.length}`);
    const { route, tenant } = this.apiRouteAndTenant(request);
    const tenantId = optionalString(request, 'tenantId');
    try {
      const call = await this.createGroupCall(userIds.map((id: string) => ({ id, tenantId })), route, tenant);
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError('create-group-call request failed', err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /** Creates a group call with `targets` (`POST /calls`) and tracks it. */
  protected async createGroupCall(targets: CallTarget[], route: GraphRoute, tenant: string): Promise<TrackedCall> {
    return this.createCall(this.outboundCallBody(targets, tenant), route, tenant, (id) => {
      this.log(`created a group call ${id} with ${targets.length} users`);
      return this.track({ id, kind: 'group-outbound', route, tenant });
    });
  }

  /** Whether an incoming call is an invite into a group call or meeting: it carries chatInfo or meetingInfo. */
  protected isGroupCallInvite(call: JsonObject): boolean {
    return isJsonObject(call.chatInfo) || isJsonObject(call.meetingInfo);
  }

  /** An invite into a group call or meeting: answer it and stay; a P2P call goes on as answer.ts says. */
  protected override async onIncomingCall(callId: string, route: GraphRoute, call: JsonObject): Promise<void> {
    if (!this.isGroupCallInvite(call)) return super.onIncomingCall(callId, route, call);
    const caller = isJsonObject(call.source) && isJsonObject(call.source.identity) ? call.source.identity : undefined;
    const tracked = this.track({ id: callId, kind: 'group-invite', route, tenant: this.tenantOf(call, caller), caller });
    await this.graphRequest('POST', this.callUrl(route, callId, '/answer'), this.answerBody(tracked), tracked.tenant);
    tracked.answered = true;
    this.log(`answered the invite into group call ${callId}`);
  }

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind === 'group-invite') return this.log(`in group call ${call.id}; staying until it ends`);
    return super.onCallEstablished(call);
  }
}
