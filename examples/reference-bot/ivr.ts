/**
 * Scenario: an IVR on the IVR line (IVR_LINE_ID).
 *
 *   established                 -> playPrompt (the menu, ivr-menu.wav)
 *   the menu prompt completed   -> subscribeToTone
 *   the menu prompt failed      -> transfer the caller to the operator (onMenuFailed)
 *   tone 1                      -> blind transfer to TRANSFER_TARGET_ID (transfer.ts)
 *   tone 0                      -> hang up
 *
 * Flows: ivr-play-prompt-and-tones, bot-hang-up, remote-hang-up, failed-operation.
 */
import { randomUUID } from 'node:crypto';
import { AnswerBot } from './answer.js';
import { operationFailed } from './helpers.js';
import type { MediaPrompt, OperationOutcome, PlayPromptRequest, PromptPurpose, TrackedCall } from './types.js';

export abstract class IvrBot extends AnswerBot {
  /** Transfers `call` to TRANSFER_TARGET_ID (transfer.ts). */
  protected abstract transferCall(call: TrackedCall, replacesCallId?: string): Promise<void>;

  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'ivr') return this.playPrompt(call, 'menu');
    return super.onLineEstablished(call);
  }

  protected override onOperationCompleted(call: TrackedCall, outcome: OperationOutcome): void | Promise<void> {
    const started = outcome.started;
    if (started?.action === 'playPrompt' && started.purpose) return this.onPromptFinished(call, started.purpose, outcome);
    return super.onOperationCompleted(call, outcome);
  }

  /** The prompt the bot plays for `purpose`: `${PROMPT_BASE_URL}/{name}.wav`. */
  protected prompt(purpose: PromptPurpose): MediaPrompt {
    const names: Record<PromptPurpose, string> = {
      menu: 'ivr-menu',
      apology: 'transfer-failed',
      greeting: 'leave-a-message',
      notice: 'notification',
      welcome: 'meeting-welcome',
    };
    return {
      '@odata.type': '#microsoft.graph.mediaPrompt',
      mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo', uri: `${this.config.promptBaseUrl}/${names[purpose]}.wav` },
    };
  }

  /** Plays the prompt for `purpose` on `call`; its completion comes as an operation notification (onPromptFinished). */
  protected async playPrompt(call: TrackedCall, purpose: PromptPurpose): Promise<void> {
    const body: PlayPromptRequest = { prompts: [this.prompt(purpose)], clientContext: randomUUID() };
    const operationId = await this.startOperation(call, { action: 'playPrompt', purpose, clientContext: body.clientContext, callId: call.id }, '/playPrompt', body);
    this.log(`playing the ${purpose} prompt on call ${call.id} (operation ${operationId ?? 'unknown'}, clientContext ${body.clientContext})`);
  }

  /**
   * A prompt finished. The menu: subscribe to tones (or, when it could not be played, onMenuFailed).
   * The apology after a failed transfer: hang up.
   */
  protected async onPromptFinished(call: TrackedCall, purpose: PromptPurpose, outcome: OperationOutcome): Promise<void> {
    if (call.hangingUp) return;
    if (purpose === 'menu') {
      if (operationFailed(outcome)) return this.onMenuFailed(call, outcome);
      if (!call.tonesSubscribed) await this.subscribeToTones(call);
    } else if (purpose === 'apology') {
      await this.hangUp(call);
    }
  }

  /**
   * The IVR menu could not be played (the operation failed: the caller heard nothing, so waiting
   * for a key press is pointless): put the caller through to a person (TRANSFER_TARGET_ID).
   */
  protected async onMenuFailed(call: TrackedCall, _outcome: OperationOutcome): Promise<void> {
    this.log(`the menu could not be played on call ${call.id}; transferring the caller to the operator`);
    await this.transferCall(call);
  }

  /** Asks Graph for the caller's key presses (`toneInfo` in call notifications). Completes at once. */
  protected async subscribeToTones(call: TrackedCall): Promise<void> {
    call.tonesSubscribed = true;
    await this.graphRequest('POST', this.callUrl(call.route, call.id, '/subscribeToTone'), { clientContext: randomUUID() }, call.tenant);
    this.log(`subscribed to the tones of call ${call.id}`);
  }

  /** The caller pressed a key on the IVR: 1 = blind transfer to the operator, 0 = hang up; others do nothing. */
  protected async onTone(call: TrackedCall, tone: string): Promise<void> {
    if (tone === 'tone1') return this.transferCall(call);
    if (tone === 'tone0') return this.hangUp(call);
    this.log(`no action for ${tone} on call ${call.id}`);
  }
}
