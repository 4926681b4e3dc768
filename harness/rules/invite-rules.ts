/**
 * The replacesCallId rules (invite/replaces-call-id, invite/replaces-remote-party): an invite that
 * moves the party of one of the bot's calls into another call.
 */
import { normalizeCallReference } from '../engine/ids.js';
import { ACTIVE_STATES, CallStateTracker, isObject } from './call-state.js';
import { callName, identityText, sameIdentity, type RequestCheck } from './rule-helpers.js';

export function checkReplacesCallId(c: RequestCheck): void {
  const { what, req, body, v, ctx } = c;
  const participants = Array.isArray(body['participants']) ? (body['participants'] as unknown[]) : [];
  const replacing = participants.find((p): p is Record<string, unknown> => isObject(p) && typeof p['replacesCallId'] === 'string' && p['replacesCallId'] !== '');
  if (!replacing) return;
  const replacesCallId = replacing['replacesCallId'] as string;
  if (participants.length !== 1) {
    v.add(
      'invite/replaces-call-id',
      `${what} has replacesCallId ${ctx.describe(replacesCallId)} and ${participants.length} participants: an invite that replaces a call invites exactly one participant (Graph reads only the first and ignores the others)`,
    );
  }
  const rid = normalizeCallReference(replacesCallId);
  if (req.callId === rid) {
    v.add(
      'invite/replaces-call-id',
      `${what} has replacesCallId naming call ${c.call ? callName(c.call, ctx) : ctx.describe(replacesCallId)}, the call the invite is posted on: it must name the bot's other call the invitee is in (e.g. the P2P call)`,
    );
    return;
  }
  const target = c.tracker.calls.get(rid);
  if (!target || target.state === 'unknown') {
    v.add('invite/replaces-call-id', `${what} has replacesCallId ${ctx.describe(replacesCallId)}, which is not a call of this run: it must name the bot's established call the invitee is in`);
    return;
  }
  if (!CallStateTracker.owned(target)) {
    v.add(
      'invite/replaces-call-id',
      `${what} has replacesCallId naming call ${callName(target, ctx)}, which the bot neither answered nor created (Graph accepted no answer or POST calls of the bot for it): it must name the bot's own call the invitee is in (invitationParticipantInfo.replacesCallId: "The call which the target identity is currently a part of. This call will be dropped once the participant is added")`,
    );
    return;
  }
  if (!ACTIVE_STATES.has(target.state)) {
    v.add('invite/replaces-call-id', `${what} has replacesCallId naming call ${callName(target, ctx)}, which is ${target.state}: the replaced call must be established`);
    return;
  }
  const remote = target.remoteParty;
  if (!remote) return;
  const invited = isObject(replacing['identity']) ? replacing['identity'] : undefined;
  if (!sameIdentity(invited, remote)) {
    v.add(
      'invite/replaces-remote-party',
      `${what} invites ${identityText(invited, ctx)} to replace call ${callName(target, ctx)}, whose remote party is ${identityText(remote, ctx)}: the invitee should be the party of the replaced call (Graph drops that call once the invitee joined)`,
    );
  }
}
