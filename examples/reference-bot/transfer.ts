/**
 * Scenario: transfers, on the transfer line (TRANSFER_LINE_ID, blind) and the consult line
 * (CONSULT_LINE_ID, consultative). The IVR (ivr.ts) uses the blind transfer too.
 *
 *   blind:        established -> transfer {transferTarget: TRANSFER_TARGET_ID}
 *   consultative: established -> create a call to TRANSFER_TARGET_ID (the consultation call);
 *                 that call established -> transfer with transferTarget.replacesCallId = that call
 *   progress:     transferring / transferAccepted are logged (calls.ts); the call ends with `deleted`
 *   failure:      the call comes back established with 500/7000 (blind) or 500/7700 (consultative):
 *                 hang up the consultation call, play transfer-failed.wav, then hang up (ivr.ts)
 *
 * Flows: blind-transfer, blind-transfer-failed, consultative-transfer, consultative-transfer-failed.
 */
import { IvrBot } from './ivr.js';
import { normalizeId } from './helpers.js';
import type { CreateCallRequest, JsonObject, TrackedCall, TransferRequest } from './types.js';

export abstract class TransferBot extends IvrBot {
  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'transfer') return this.transferCall(call);
    if (call.line?.behaviour === 'consult') return this.startConsultation(call);
    return super.onLineEstablished(call);
  }

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind === 'consultation') return this.onConsultationEstablished(call);
    return super.onCallEstablished(call);
  }

  /**
   * Transfers `call` to TRANSFER_TARGET_ID: blind, or consultative when `replacesCallId` names the
   * bot's call with the target. Graph answers 202; the outcome comes as call notifications.
   */
  protected async transferCall(call: TrackedCall, replacesCallId?: string): Promise<void> {
    call.transfer = { state: 'requested', replacesCallId };
    try {
      await this.graphRequest('POST', this.callUrl(call.route, call.id, '/transfer'), this.transferBody(call, replacesCallId), call.tenant);
    } catch (err) {
      call.transfer = undefined;
      throw err;
    }
    this.log(`transferring call ${call.id} to ${this.config.transferTargetId}${replacesCallId ? `, replacing call ${replacesCallId}` : ''}`);
  }

  /** Body of the transfer request: the target user; `replacesCallId` for a consultative transfer. */
  protected transferBody(_call: TrackedCall, replacesCallId?: string): TransferRequest {
    return {
      transferTarget: {
        '@odata.type': '#microsoft.graph.invitationParticipantInfo',
        endpointType: 'default',
        identity: { user: { id: this.config.transferTargetId } },
        ...(replacesCallId === undefined ? {} : { replacesCallId }),
      },
    };
  }

  /**
   * Graph could not transfer the call and it is back to `established`: a consultative transfer's
   * consultation call is still up too, so end it (endConsultation); then apologise (then hang up,
   * onPromptFinished).
   */
  protected async onTransferFailed(call: TrackedCall, _resultInfo: JsonObject | undefined): Promise<void> {
    await this.endConsultation(call);
    await this.playPrompt(call, 'apology');
  }

  /**
   * A consultative transfer of `call` failed (500/7700): the consultation call it was to replace is
   * still up, with the consulted party waiting on it. Hang it up. Does nothing for a blind transfer,
   * or when the consultation call has already ended.
   */
  protected async endConsultation(call: TrackedCall): Promise<void> {
    const consultation = call.consultationCallId === undefined ? undefined : this.calls.get(normalizeId(call.consultationCallId));
    if (!consultation) return;
    this.log(`the transfer of call ${call.id} failed; ending the consultation call ${consultation.id}`);
    await this.hangUp(consultation);
  }

  /** Consult line: calls TRANSFER_TARGET_ID (the consultation call); the transfer waits until it is established. */
  protected async startConsultation(call: TrackedCall): Promise<void> {
    await this.createCall(this.consultationCallBody(call), call.route, call.tenant, (id) => {
      call.consultationCallId = id;
      this.log(`calling ${this.config.transferTargetId} (call ${id}) to consult before transferring call ${call.id}`);
      return this.track({ id, kind: 'consultation', route: call.route, tenant: call.tenant, consultFor: call.id });
    });
  }

  /** Body of the consultation call: a P2P audio call to TRANSFER_TARGET_ID with service-hosted media. */
  protected consultationCallBody(call: TrackedCall): CreateCallRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { application: { id: this.config.appId } } },
      targets: [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id: this.config.transferTargetId } } }],
      requestedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      tenantId: call.tenant,
    };
  }

  /** The consulted party answered: transfer the caller to them, replacing the consultation call. */
  protected async onConsultationEstablished(consultation: TrackedCall): Promise<void> {
    const caller = consultation.consultFor === undefined ? undefined : this.calls.get(normalizeId(consultation.consultFor));
    if (!caller) return this.log(`call ${consultation.consultFor ?? 'unknown'} already ended; nobody to transfer to ${consultation.id}`);
    await this.transferCall(caller, consultation.id);
  }

}
