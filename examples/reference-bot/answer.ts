/**
 * Scenario: answering incoming calls, and the lines that never answer.
 *
 *   A call to the bot's own identity: answer it (audio, service-hosted media); once it is
 *   established, meetings.ts moves the caller into the meeting (onP2PEstablished).
 *   A call to a line (a resource account, `targets[0].identity.applicationInstance.id`): reject it
 *   or redirect it (reject / redirect lines), or answer it and let the line's scenario file act once
 *   it is established (onLineEstablished).
 *
 * Flows: answer-incoming-call, reject-incoming-call, redirect-incoming-call.
 */
import { CallsBot } from './calls.js';
import type { LineConfig } from './config.js';
import { asString, isJsonObject, sameId } from './helpers.js';
import type { AnswerRequest, GraphRoute, JsonObject, RedirectRequest, RejectRequest, TrackedCall } from './types.js';

export abstract class AnswerBot extends CallsBot {
  /** The answered P2P call is established (meetings.ts: move the caller into the meeting). */
  protected abstract onP2PEstablished(p2p: TrackedCall): Promise<void>;

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind === 'incoming') {
      if (call.answered) await this.onP2PEstablished(call);
    } else if (call.kind === 'line') {
      if (call.answered) await this.onLineEstablished(call);
    } else {
      await super.onCallEstablished(call);
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

  /**
   * An answered line call is established: start what the line does. Each scenario file overrides
   * this for its own line (`call.line.behaviour`) and passes the others on with `super`.
   */
  protected async onLineEstablished(call: TrackedCall): Promise<void> {
    this.log(`call ${call.id} established; the line does nothing more`);
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

  /** Hangs up: `DELETE` the call. Graph answers 204, then notifies `terminating` and `deleted`. */
  protected async hangUp(call: TrackedCall): Promise<void> {
    if (call.hangingUp) return;
    call.hangingUp = true;
    await this.graphRequest('DELETE', this.callUrl(call.route, call.id), undefined, call.tenant);
    this.log(`hung up call ${call.id}`);
  }
}
