// The flow catalog: its list of flows and suites, and one-defect
// subclasses of the bot fail the key flows at the right step with a message naming the defect.
// (tests/reference-bot.spec.ts runs every shipped flow too; this file pins the catalog's list.
// tests/catalog-scenarios.spec.ts does the same for the outbound, group-call, meeting-media,
// app-hosted media and compliance-recording flows.)
import { expect, test } from '@playwright/test';
import { ReferenceBot, type JsonObject, type OperationOutcome, type PromptPurpose, type TrackedCall } from '../examples/reference-bot/bot.js';
import { AFTER_END, afterEnd, expectFailure, run, type RunOptions } from './fixtures/catalog-run.js';
import { shippedFlow } from './fixtures/in-process.js';

const catalog = [
  'reject-incoming-call',
  'redirect-incoming-call',
  'ivr-play-prompt-and-tones',
  'ivr-record-response',
  'blind-transfer',
  'blind-transfer-failed',
  'consultative-transfer',
  'consultative-transfer-failed',
  'join-meeting-by-join-meeting-id',
  'join-meeting-by-token',
  'remote-hang-up',
  'bot-hang-up',
  'keepalive-timeout',
  'failed-operation',
];

// That each catalog flow passes against the reference bot is tests/reference-bot.spec.ts's (every
// shipped flow, with the same rules and schema checks): not run twice.

test('every catalog flow names a suite and is in the catalog suites', async () => {
  const suites = new Map<string, string>();
  for (const name of catalog) suites.set(name, (await shippedFlow(name)).suite);
  expect(Object.fromEntries(suites)).toEqual({
    'reject-incoming-call': 'answer',
    'redirect-incoming-call': 'answer',
    'ivr-play-prompt-and-tones': 'ivr',
    'ivr-record-response': 'ivr',
    'blind-transfer': 'transfer',
    'blind-transfer-failed': 'transfer',
    'consultative-transfer': 'transfer',
    'consultative-transfer-failed': 'transfer',
    'join-meeting-by-join-meeting-id': 'meetings',
    'join-meeting-by-token': 'meetings',
    'remote-hang-up': 'call-end',
    'bot-hang-up': 'call-end',
    'keepalive-timeout': 'call-end',
    'failed-operation': 'call-end',
  });
});

// A short keepAlive interval, so that a keepAlive timer that outlives the call fires within the
// flow's quiet period.
const FAST_KEEPALIVE: RunOptions = { env: { KEEPALIVE_INTERVAL_MS: '300' }, quietMs: 1000 };

test('keepalive-timeout passes with a short keepAlive interval too (the timer stops when the call ends)', async () => {
  const outcome = await run('keepalive-timeout', ReferenceBot, FAST_KEEPALIVE);
  expect(outcome.findings).toEqual([]);
  expect(outcome.status).toBe('passed');
});

test.describe('defective bots fail the catalog flows at the right step', () => {
  test('IVR: a bot that transfers without waiting for the tone', async () => {
    class TransfersWithoutTone extends ReferenceBot {
      protected override async subscribeToTones(call: TrackedCall): Promise<void> {
        await super.subscribeToTones(call);
        await this.transferCall(call);
      }
    }
    expectFailure(await run('ivr-play-prompt-and-tones', TransfersWithoutTone), {
      step: 8,
      kind: 'out-of-order',
      message: /transfer \(step 9, blind transfer to the operator\) was sent before step 8 \(caller presses 1\) was delivered/,
    });
  });

  test('recording: a bot that downloads the recording with its Graph token instead of the recording token', async () => {
    class NoRecordingToken extends ReferenceBot {
      protected override async downloadRecording(call: TrackedCall, location: string, _token: string): Promise<Uint8Array> {
        const graphToken = (await this.authorizationHeader(call.tenant))!.replace(/^Bearer\s+/i, '');
        return super.downloadRecording(call, location, graphToken);
      }
    }
    expectFailure(await run('ivr-record-response', NoRecordingToken), {
      step: 6,
      kind: 'incorrect',
      message: /^headers\.authorization: expected "Bearer \{recordingToken\}/,
    });
  });

  test('keepAlive: a bot that keeps sending keepAlive after the call ended', async () => {
    class KeepAliveForever extends ReferenceBot {
      protected override stopKeepAlive(_call: TrackedCall): void {}
    }
    expectFailure(await run('keepalive-timeout', KeepAliveForever, { ...FAST_KEEPALIVE, thenExpect: { name: 'keepAlive after the end', method: 'POST', path: '/v1.0/communications/calls/${call}/keepAlive' } }), {
      step: 6,
      ...AFTER_END,
      message: afterEnd('POST /v1.0/communications/calls/{call}/keepAlive'),
    });
  });

  test('failed transfer: a bot that ignores the failure (treats the 202 as the end)', async () => {
    class IgnoresTransferFailure extends ReferenceBot {
      protected override async onTransferFailed(call: TrackedCall, _resultInfo: JsonObject | undefined): Promise<void> {
        this.log(`ignoring the failed transfer of ${call.id}`);
      }
    }
    expectFailure(await run('blind-transfer-failed', IgnoresTransferFailure, { stepTimeoutMs: 1000 }), {
      step: 8,
      kind: 'missing',
      message: /the bot never sent POST \/v1\.0\/communications\/calls\/\{call\}\/playPrompt/,
    });
  });

  test('failed consultative transfer: a bot that ignores the failure (leaves both calls up, says nothing)', async () => {
    class IgnoresConsultativeTransferFailure extends ReferenceBot {
      protected override async onTransferFailed(call: TrackedCall, _resultInfo: JsonObject | undefined): Promise<void> {
        this.log(`ignoring the failed transfer of ${call.id}`);
      }
    }
    expectFailure(await run('consultative-transfer-failed', IgnoresConsultativeTransferFailure, { stepTimeoutMs: 1000 }), {
      step: 10,
      kind: 'missing',
      message:
        /the bot never sent DELETE \/v1\.0\/communications\/calls\/\{consultCall\} and POST \/v1\.0\/communications\/calls\/\{callerCall\}\/playPrompt/,
    });
  });

  test('failed operation: a bot that acts as if the failed menu prompt had been played', async () => {
    class IgnoresOperationStatus extends ReferenceBot {
      protected override async onPromptFinished(call: TrackedCall, purpose: PromptPurpose, outcome: OperationOutcome): Promise<void> {
        await super.onPromptFinished(call, purpose, { ...outcome, status: 'completed', resultInfo: undefined });
      }
    }
    expectFailure(await run('failed-operation', IgnoresOperationStatus), {
      step: 7,
      kind: 'unexpected',
      message: /unexpected request POST \/v1\.0\/communications\/calls\/\{call\}\/subscribeToTone/,
    });
  });

  test('remote hang-up: a bot that hangs up a call the caller already ended', async () => {
    class HangsUpEndedCall extends ReferenceBot {
      protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
        super.onCallEnded(call, resultInfo);
        void this.graphRequest('DELETE', this.callUrl(call.route, call.id), undefined, call.tenant).catch(() => {});
      }
    }
    expectFailure(await run('remote-hang-up', HangsUpEndedCall, { thenExpect: { name: 'hang-up after the end', method: 'DELETE', path: '/v1.0/communications/calls/${call}' } }), {
      step: 9,
      ...AFTER_END,
      message: afterEnd('DELETE /v1.0/communications/calls/{call}'),
    });
  });

  test('consultative transfer: a bot that names its call with the caller in replacesCallId', async () => {
    class ReplacesWrongCall extends ReferenceBot {
      protected override async transferCall(call: TrackedCall, replacesCallId?: string): Promise<void> {
        await super.transferCall(call, replacesCallId === undefined ? undefined : call.id);
      }
    }
    expectFailure(await run('consultative-transfer', ReplacesWrongCall), {
      step: 7,
      kind: 'incorrect',
      message: /^body\.transferTarget\.replacesCallId: expected consultCall .*, got callerCall/,
    });
  });
});
