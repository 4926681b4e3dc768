/**
 * Scenario: an info menu with barge-in on the info line (INFO_LINE_ID): "press 1 for the operator,
 * 2 for our opening hours". The caller may press a key while the menu is still playing.
 *
 *   established                  -> subscribeToTone, then playPrompt (info-menu.wav)
 *   a key while the menu plays   -> cancelMediaProcessing: Graph cancels the running (and any
 *                                   queued) prompt, which then fails with 400/8508 "the operation
 *                                   was cancelled"; the key is acted on once the menu has ended
 *   the menu ended               -> a cancelled menu (400/8508) is not a failure: act on the key;
 *                                   a menu that failed on its own -> the operator (ivr.ts onMenuFailed)
 *   key 2                        -> playPrompt (opening-hours.wav); once it has played: hang up
 *   key 1                        -> blind transfer to TRANSFER_TARGET_ID (transfer.ts)
 *   key 0                        -> hang up
 *
 * A prompt posted without the cancel would queue behind the menu (playPrompt operations "are by
 * default queued to process in order", call-cancelMediaProcessing), so the caller would hear the
 * rest of the menu first.
 *
 * Flow: ivr-cancel-prompt.
 */
import { randomUUID } from 'node:crypto';
import { normalizeId, operationFailed } from './helpers.js';
import { PstnBot } from './pstn.js';
import type { JsonObject, MediaPrompt, OperationOutcome, PlayPromptRequest, TrackedCall } from './types.js';

/** The info line's prompts: `${PROMPT_BASE_URL}/info-menu.wav`, `.../opening-hours.wav`. */
export type InfoPrompt = 'menu' | 'hours';

export interface InfoCall {
  /** the prompt playing now, and the clientContext of its playPrompt */
  playing?: { prompt: InfoPrompt; clientContext: string };
  /** a key pressed during the menu, acted on once the cancelled menu has ended */
  pendingKey?: string;
}

export abstract class InfoLineBot extends PstnBot {
  /** state of the info line's calls, keyed by normalizeId(call id) */
  private readonly infoCalls = new Map<string, InfoCall>();

  protected override onStopped(): void {
    super.onStopped();
    this.infoCalls.clear();
  }

  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour !== 'info') return super.onLineEstablished(call);
    this.infoCalls.set(normalizeId(call.id), {});
    // tones first: a key pressed during the menu must reach the bot
    await this.subscribeToTones(call);
    await this.playInfoPrompt(call, 'menu');
  }

  protected override async onTone(call: TrackedCall, tone: string): Promise<void> {
    const info = call.line?.behaviour === 'info' ? this.infoCalls.get(normalizeId(call.id)) : undefined;
    if (!info) return super.onTone(call, tone);
    if (info.playing?.prompt === 'menu') {
      if (info.pendingKey !== undefined) return this.log(`ignored ${tone} on call ${call.id}: ${info.pendingKey} is waiting`);
      info.pendingKey = tone;
      return this.cancelMedia(call);
    }
    if (info.playing?.prompt === 'hours') return this.log(`ignored ${tone} on call ${call.id} during the opening hours`);
    await this.onInfoKey(call, tone);
  }

  protected override onOperationCompleted(call: TrackedCall, outcome: OperationOutcome): void | Promise<void> {
    const info = this.infoCalls.get(normalizeId(call.id));
    const playing = info?.playing;
    if (!info || !playing || outcome.started?.action !== 'playPrompt' || outcome.started.clientContext !== playing.clientContext) {
      return super.onOperationCompleted(call, outcome);
    }
    info.playing = undefined;
    return playing.prompt === 'menu' ? this.onInfoMenuEnded(call, info, outcome) : this.onHoursPlayed(call);
  }

  protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
    super.onCallEnded(call, resultInfo);
    this.infoCalls.delete(normalizeId(call.id));
  }

  /** The info-line state of `call` (undefined for other calls). */
  protected infoCall(call: TrackedCall): InfoCall | undefined {
    return this.infoCalls.get(normalizeId(call.id));
  }

  /** The prompt `which` of the info line. */
  protected infoPrompt(which: InfoPrompt): MediaPrompt {
    const name = which === 'menu' ? 'info-menu' : 'opening-hours';
    return { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo', uri: `${this.config.promptBaseUrl}/${name}.wav` } };
  }

  /** Plays `which`; its end comes as an operation notification (onOperationCompleted). */
  protected async playInfoPrompt(call: TrackedCall, which: InfoPrompt): Promise<void> {
    const info = this.infoCalls.get(normalizeId(call.id));
    const body: PlayPromptRequest = { prompts: [this.infoPrompt(which)], clientContext: randomUUID() };
    if (info) info.playing = { prompt: which, clientContext: body.clientContext };
    const operationId = await this.startOperation(call, { action: 'playPrompt', clientContext: body.clientContext, callId: call.id }, '/playPrompt', body);
    this.log(`playing ${which} on call ${call.id} (operation ${operationId ?? 'unknown'})`);
  }

  /** Cancels the prompts playing or queued on `call` (Graph answers 200, completed; they fail 400/8508). */
  protected async cancelMedia(call: TrackedCall): Promise<void> {
    await this.graphRequest('POST', this.callUrl(call.route, call.id, '/cancelMediaProcessing'), { clientContext: randomUUID() }, call.tenant);
    this.log(`cancelled the menu on call ${call.id}`);
  }

  /**
   * The menu ended: after a key press it was cancelled (failed 400/8508, or completed if it ended
   * first): act on the key. Without one, a failure means the caller heard nothing: the operator.
   */
  protected async onInfoMenuEnded(call: TrackedCall, info: InfoCall, outcome: OperationOutcome): Promise<void> {
    const key = info.pendingKey;
    info.pendingKey = undefined;
    if (key !== undefined) return this.onInfoKey(call, key);
    if (operationFailed(outcome)) return this.onMenuFailed(call, outcome);
  }

  /** The caller's choice: 2 = opening hours, 1 = the operator, 0 = hang up. */
  protected async onInfoKey(call: TrackedCall, tone: string): Promise<void> {
    if (call.hangingUp || call.transfer) return;
    if (tone === 'tone2') return this.playInfoPrompt(call, 'hours');
    if (tone === 'tone1') return this.transferCall(call);
    if (tone === 'tone0') return this.hangUp(call);
    this.log(`no action for ${tone} on call ${call.id}`);
  }

  /** The opening hours have played: goodbye. */
  protected async onHoursPlayed(call: TrackedCall): Promise<void> {
    await this.hangUp(call);
  }
}
