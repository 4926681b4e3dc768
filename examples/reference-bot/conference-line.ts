/**
 * Scenario: conferencing a third party into a 1:1 call, on the conference line
 * (CONFERENCE_LINE_ID). This is the seed page's "Invite Participants in Existing P2P meeting"
 * example (Graph beta participant-invite): the invite is posted on the P2P call itself, without
 * replacesCallId (nothing is replaced: the caller stays), and the call becomes a group call.
 *
 *   established          -> participants/invite on the caller's own call: TRANSFER_TARGET_ID
 *   invite completed     -> logged (Graph answered 200 with the operation in its body; the
 *                           completion is correlated by clientContext, else by the body's id)
 *   roster of the call   -> logged: caller, operator and bot
 *
 * After the escalation the call is a group call: the bot transfers nothing on it (a transfer would
 * fail with 8523 "Cannot do transfer for meeting mode") and does not hang up (that would drop only
 * the bot, leaving the caller with the operator, which is the point).
 *
 * Graph v1.0 documents invite "only for group calls"; this line is for beta (/app/calls), where the
 * seed shows the escalation.
 *
 * Flow: p2p-invite-escalation.
 */
import { randomUUID } from 'node:crypto';
import { InfoLineBot } from './info-line.js';
import type { InviteRequest, TrackedCall } from './types.js';

export abstract class ConferenceLineBot extends InfoLineBot {
  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'conference') return this.conferenceIn(call);
    return super.onLineEstablished(call);
  }

  /** Invites TRANSFER_TARGET_ID into `call` itself (escalating it to a group call). */
  protected async conferenceIn(call: TrackedCall): Promise<void> {
    const body = this.conferenceInviteBody(call, randomUUID());
    const operationId = await this.postInvite(call, call.id, body);
    this.log(`invited ${this.config.transferTargetId} into call ${call.id} (operation ${operationId ?? 'unknown'})`);
  }

  /** One participant, the operator; no replacesCallId: the caller stays on the call. */
  protected conferenceInviteBody(_call: TrackedCall, clientContext: string): InviteRequest {
    return {
      participants: [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id: this.config.transferTargetId } } }],
      clientContext,
    };
  }
}
