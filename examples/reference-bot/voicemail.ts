/**
 * Scenario: a voicemail on the voicemail line (VOICEMAIL_LINE_ID), with recordResponse.
 *
 *   established                      -> recordResponse (greeting leave-a-message.wav, beep, up to 60 s, # stops)
 *   the recording operation completed -> GET {recordingLocation} with Bearer <recordingAccessToken>
 *                                        (not the Graph token), then hang up
 *
 * Flow: ivr-record-response.
 */
import { randomUUID } from 'node:crypto';
import { asString, operationFailed, preview } from './helpers.js';
import { MeetingsBot } from './meetings.js';
import { GraphError, type OperationOutcome, type PendingOperation, type RecordResponseRequest, type TrackedCall } from './types.js';

export abstract class VoicemailBot extends MeetingsBot {
  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'voicemail') return this.recordMessage(call);
    return super.onLineEstablished(call);
  }

  protected override onOperationCompleted(call: TrackedCall, outcome: OperationOutcome): void | Promise<void> {
    if (outcome.started?.action === 'recordResponse') return this.onRecordingFinished(call, outcome);
    return super.onOperationCompleted(call, outcome);
  }

  /** Voicemail: records the caller's message after a greeting (recordResponse); see onRecordingFinished. */
  protected async recordMessage(call: TrackedCall): Promise<void> {
    const body = this.recordBody(call, randomUUID());
    const pending: PendingOperation = { action: 'recordResponse', purpose: 'greeting', clientContext: body.clientContext, callId: call.id };
    const operationId = await this.startOperation(call, pending, '/recordResponse', body);
    this.log(`recording a message on call ${call.id} (operation ${operationId ?? 'unknown'}, clientContext ${body.clientContext})`);
  }

  /** Body of the recordResponse request: the greeting, a beep, up to 60 s, `#` ends the message. */
  protected recordBody(_call: TrackedCall, clientContext: string): RecordResponseRequest {
    return {
      prompts: [this.prompt('greeting')],
      bargeInAllowed: true,
      initialSilenceTimeoutInSeconds: 5,
      maxSilenceTimeoutInSeconds: 5,
      maxRecordDurationInSeconds: 60,
      playBeep: true,
      stopTones: ['#'],
      clientContext,
    };
  }

  /** The recording finished: download it (when there is one), then hang up. */
  protected async onRecordingFinished(call: TrackedCall, outcome: OperationOutcome): Promise<void> {
    const location = asString(outcome.operation?.recordingLocation);
    const token = asString(outcome.operation?.recordingAccessToken);
    if (!operationFailed(outcome) && location !== undefined && token !== undefined) {
      const recording = await this.downloadRecording(call, location, token);
      this.log(`downloaded the message recorded on call ${call.id} (${recording.byteLength} bytes)`);
    } else {
      this.log(`no recording on call ${call.id}`);
    }
    await this.hangUp(call);
  }

  /** `GET {recordingLocation}` with `Authorization: recordingAuthorization(token)`; throws on a non-2xx answer. */
  protected async downloadRecording(_call: TrackedCall, location: string, token: string): Promise<Uint8Array> {
    const res = await fetch(location, { headers: { Authorization: await this.recordingAuthorization(token) }, signal: this.requestSignal() });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw new GraphError(`GET ${location} failed: HTTP ${res.status}`, res.status, preview(new TextDecoder().decode(bytes)));
    return bytes;
  }

  /** The Authorization header of a recording download: `Bearer <recordingAccessToken>` (not the Graph token). */
  protected async recordingAuthorization(recordingAccessToken: string): Promise<string> {
    return `Bearer ${recordingAccessToken}`;
  }
}
