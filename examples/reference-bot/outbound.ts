/**
 * Scenario: outbound calls (the notification-bot pattern). The bot calls a user, delivers a
 * message with a prompt, and hangs up.
 *
 *   POST /api/call-user {userId, tenantId?, displayName?, api?} -> {callId}   (the `call-user` trigger)
 *     -> POST /calls {targets: [the user], requestedModalities: [audio], serviceHostedMediaConfig}
 *   Graph: 201 establishing, then establishing / established notifications (either order)
 *   established              -> playPrompt (notification.wav)
 *   the prompt finished      -> hang up (DELETE)
 *   the call never connects  -> Graph deletes it (480/10076 declined or unreachable, 408/10057 not
 *                               answered, or terminated straight from establishing): the bot forgets
 *                               it and sends nothing more (no DELETE: the call is already gone)
 *
 * Group calls (group-calls.ts) deliver their message the same way, but do not hang up.
 *
 * Flows: outbound-call, outbound-call-declined, outbound-call-not-answered, outbound-call-ended-while-establishing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GRAPH_APIS } from './config.js';
import { describeResultInfo, HttpError, isGraphApi, optionalString, parseJsonObject, readBody, routeForApi, send, upstreamFailure } from './helpers.js';
import { ParkBot } from './park.js';
import type { CreateCallRequest, GraphRoute, InvitationParticipantInfo, JsonObject, OperationOutcome, PromptPurpose, TrackedCall } from './types.js';

/** A user the bot calls: `{id, tenantId?, displayName?}` as the trigger gave it. */
export interface CallTarget {
  id: string;
  tenantId?: string;
  displayName?: string;
}

export abstract class OutboundBot extends ParkBot {
  protected override async routeApi(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/api/call-user') {
      await this.callUserApi(req, res);
      return true;
    }
    return super.routeApi(method, path, req, res);
  }

  /** `POST /api/call-user {userId, tenantId?, displayName?, api?}` -> `{callId}` once Graph answered the create. */
  private async callUserApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseJsonObject(await readBody(req), 'request body');
    const userId = optionalString(request, 'userId');
    if (userId === undefined) throw new HttpError(400, '"userId" is required');
    const { route, tenant } = this.apiRouteAndTenant(request);
    const target: CallTarget = { id: userId, tenantId: optionalString(request, 'tenantId'), displayName: optionalString(request, 'displayName') };
    try {
      const call = await this.callUser(target, route, tenant);
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError('call-user request failed', err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /** The URL family (`api`, else GRAPH_API_VERSION) and tenant (`tenantId`, else BOT_TENANT_ID, else `common`) of an API request. */
  protected apiRouteAndTenant(request: JsonObject): { route: GraphRoute; tenant: string } {
    const api = optionalString(request, 'api') ?? this.config.graphApi;
    if (!isGraphApi(api)) throw new HttpError(400, `"api" must be one of ${GRAPH_APIS.join(', ')}`);
    return { route: routeForApi(api), tenant: optionalString(request, 'tenantId') ?? this.config.tenantId ?? 'common' };
  }

  /** Places a P2P call to `target` (`POST /calls`) and tracks it; the message waits until it is established. */
  protected async callUser(target: CallTarget, route: GraphRoute, tenant: string): Promise<TrackedCall> {
    return this.createCall(this.outboundCallBody([target], tenant), route, tenant, (id) => {
      this.log(`calling user ${target.id} (call ${id})`);
      return this.track({ id, kind: 'outbound', route, tenant });
    });
  }

  /** Body of a call the bot places: to `targets`, audio, service-hosted media (application-post-calls examples 1 and 3). */
  protected outboundCallBody(targets: CallTarget[], tenant: string): CreateCallRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { application: { id: this.config.appId } } },
      targets: targets.map((t): InvitationParticipantInfo => ({ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { ...t } } })),
      requestedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      tenantId: tenant,
    };
  }

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind === 'outbound' || call.kind === 'group-outbound') return this.deliverNotice(call);
    return super.onCallEstablished(call);
  }

  /** The callee answered (or, for a group call, the call is up): play the message. */
  protected async deliverNotice(call: TrackedCall): Promise<void> {
    await this.playPrompt(call, 'notice');
  }

  /**
   * The message has been played (or could not be): hang up a P2P call. A group call goes on for its
   * users; the bot stays until Graph ends it (200/5010 once only one participant is left).
   */
  protected override async onPromptFinished(call: TrackedCall, purpose: PromptPurpose, outcome: OperationOutcome): Promise<void> {
    if (purpose !== 'notice') return super.onPromptFinished(call, purpose, outcome);
    if (call.kind === 'group-outbound') return this.log(`message played on group call ${call.id}; staying until it ends`);
    await this.hangUp(call);
  }

  /** An outbound call that ended before it was established never connected: say why (Graph has already ended it). */
  protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
    super.onCallEnded(call, resultInfo);
    if ((call.kind === 'outbound' || call.kind === 'group-outbound') && !call.establishedHandled) {
      this.log(`call ${call.id} never connected${resultInfo ? `: ${describeResultInfo(resultInfo)}` : ''}`);
    }
  }
}

