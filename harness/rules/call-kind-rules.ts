/**
 * Rules on what a call is: group call or meeting vs P2P (kind/*) and the media mode of the bot's
 * leg (media/*), from what the tracker read (call-state.ts: TrackedCall.kind, .media). A rule speaks
 * only when the call's kind or media mode is known; `unknown` never breaks one.
 */
import { isObject, type CallAction } from './call-state.js';
import { callKindText, callName, type RequestCheck } from './rule-helpers.js';

const MUTE_ACTIONS: ReadonlySet<CallAction> = new Set(['mute', 'unmute', 'participantMute']);
const SERVICE_HOSTED_ACTIONS: ReadonlySet<CallAction> = new Set(['playPrompt', 'recordResponse', 'subscribeToTone']);

const MUTE_PAGE: Partial<Record<CallAction, string>> = { mute: 'call-mute', unmute: 'call-unmute', participantMute: 'participant-mute' };

export function checkCallKind(c: RequestCheck): void {
  const { what, req, call, body, v, ctx } = c;
  if (!call) return;
  const action = req.action;
  if (MUTE_ACTIONS.has(action) && call.kind === 'p2p') {
    v.add('kind/mute-group-call-only', `${what} was sent on ${callKindText(call, ctx)}: Graph supports ${action === 'participantMute' ? 'participant mute' : action} only on group calls (${MUTE_PAGE[action]}: "This method is only supported for group calls.")`);
  }
  if (action === 'invite' && call.kind === 'p2p' && c.version === 'v1.0') {
    v.add(
      'kind/invite-group-call-only',
      `${what} was sent on ${callKindText(call, ctx)}: on v1.0 Graph supports invite only on group calls (participant-invite: "This API is only supported for group calls."); where Graph takes it anyway, the call becomes a group call ("meeting mode") and a later transfer of it fails 8523. To move the caller into a meeting, invite them on the meeting call with replacesCallId naming this call`,
    );
  }
  if (action === 'changeScreenSharingRole' && (call.kind === 'p2p' || call.media === 'serviceHosted')) {
    const wrong = [call.kind === 'p2p' ? 'a P2P call' : '', call.media === 'serviceHosted' ? 'joined with service-hosted media' : ''].filter(Boolean).join(', ');
    v.add(
      'kind/screen-sharing-app-hosted-group',
      `${what} was sent on call ${callName(call, ctx)} (${wrong}${call.kind === 'p2p' && call.kindReason ? `: ${call.kindReason}` : ''}): Graph supports changeScreenSharingRole only on group calls with app-hosted media (call-changeScreenSharingRole: "This is only supported for group calls that use App-Hosted Media.")`,
    );
  }
  if (action === 'transfer' && call.kind === 'group' && !isObject(body['transferee'])) {
    v.add(
      'kind/transfer-needs-transferee',
      `${what} has no transferee and was sent on ${callKindText(call, ctx)}: on a group call ("meeting mode") Graph transfers only the participant named in transferee and otherwise answers 8523 "Cannot do transfer for meeting mode" (call-transfer: transferee is required for a group call; comms-samples #512, #395)`,
    );
  }
  if (SERVICE_HOSTED_ACTIONS.has(action) && call.media === 'appHosted') {
    const how = call.createdByBot ? 'created' : 'answered';
    v.add(
      'media/service-hosted-only',
      `${what} was sent on call ${callName(call, ctx)}, which the bot ${how} with appHostedMediaConfig: Graph supports ${action} only on calls initiated with serviceHostedMediaConfig (call-${action === 'recordResponse' ? 'record' : action}: "supported only for calls that are initiated with serviceHostedMediaConfig"); an app-hosted bot plays, records and detects tones in its own media stack`,
    );
  }
}
