/**
 * Scenario: a policy-based compliance recorder, on the recorder line (RECORDER_LINE_ID: the
 * application instance a Teams recording policy names). Before a user under the policy joins a
 * call, Graph calls the recorder: an incoming call whose notification carries `incomingContext`
 * (the observed participant) and `applicationMetadata.botData` (call-answer example 3).
 *
 *   incoming call to the recorder line -> answer at once (the deadline is 5 s for policy-based
 *                                         recording, 15 s otherwise) with app-hosted media (app-media.ts):
 *                                         a recorder needs the audio itself
 *   established                        -> updateRecordingStatus {status: recording}; only a success
 *                                         reply allows recording (call-updaterecordingstatus)
 *   rosters (participants joining, leaving) -> logged; the recording goes on
 *   the call ends                      -> the recording ends with it; the bot sends nothing more
 *
 * The bot answers without `participantCapacity`, so every further user under the policy comes as a
 * new incoming call (not as a participantJoiningNotification the bot would answer in its ack).
 *
 * Flow: compliance-recording.
 */
import { randomUUID } from 'node:crypto';
import { AppMediaBot } from './app-media.js';
import { isJsonObject, lowerCase } from './helpers.js';
import type { JsonObject, TrackedCall } from './types.js';

/** `POST .../calls/{id}/updateRecordingStatus` body. */
export interface UpdateRecordingStatusRequest {
  clientContext: string;
  status: 'notRecording' | 'recording' | 'failed';
}

export abstract class ComplianceRecordingBot extends AppMediaBot {
  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'recorder') return this.startRecording(call);
    return super.onLineEstablished(call);
  }

  /** Tells Graph the bot records (updateRecordingStatus); records only once Graph said yes. */
  protected async startRecording(call: TrackedCall): Promise<void> {
    call.recording = 'starting';
    const body: UpdateRecordingStatusRequest = { clientContext: randomUUID(), status: 'recording' };
    const response = await this.graphRequest('POST', this.callUrl(call.route, call.id, '/updateRecordingStatus'), body, call.tenant);
    // Graph answers 200 with the updateRecordingStatusOperation, already completed (or failed)
    const status = isJsonObject(response.body) ? lowerCase(response.body.status) : undefined;
    if (status === 'failed') {
      call.recording = 'failed';
      return this.log(`Graph refused the recording status of call ${call.id}: not recording`);
    }
    call.recording = 'recording';
    this.log(`recording call ${call.id}`);
  }

  protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
    super.onCallEnded(call, resultInfo);
    if (call.recording === 'recording') this.log(`the recording of call ${call.id} ended with the call`);
  }
}
