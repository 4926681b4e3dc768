// The scenario flows of the catalog (outbound calls and their failure endings, group calls, a meeting
// joined with media, app-hosted media, compliance recording): each passes against the reference bot
// in-process with the call-state rules and schemas on, and a one-defect subclass of the bot fails
// each at the right step, for the reason named.
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { ReferenceBot, type GraphRoute, type JsonObject, type MeetingRef, type TrackedCall } from '../examples/reference-bot/bot.js';
import type { JoinMeetingWithMediaRequest } from '../examples/reference-bot/meeting-media.js';
import type { CallTarget } from '../examples/reference-bot/outbound.js';
import { readFileSync } from 'node:fs';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { AFTER_END, afterEnd, expectFailure, run, runAllAtOnce } from './fixtures/catalog-run.js';
import { shippedFlow } from './fixtures/in-process.js';

/** name -> [suite, the reference bot file its header names, the trigger it starts with (if any) and that trigger's values] */
const scenarios: Record<string, [string, string, string?, string[]?]> = {
  'outbound-call': ['outbound', 'outbound.ts', 'call-user', ['userId', 'tenantId']],
  'outbound-call-declined': ['outbound', 'outbound.ts', 'call-user', ['userId', 'tenantId']],
  'outbound-call-not-answered': ['outbound', 'outbound.ts', 'call-user', ['userId', 'tenantId']],
  'outbound-call-ended-while-establishing': ['outbound', 'outbound.ts', 'call-user', ['userId', 'tenantId']],
  'create-group-call': ['outbound', 'group-calls.ts', 'create-group-call', ['userIds', 'tenantId']],
  'incoming-group-call-invite': ['answer', 'group-calls.ts'],
  'join-meeting-with-media': ['meetings', 'meeting-media.ts', 'join-meeting', ['joinWebUrl', 'threadId', 'messageId', 'organizerId', 'tenantId']],
  'answer-app-hosted-media': ['answer', 'app-media.ts'],
  'compliance-recording': ['recording', 'compliance-recording.ts'],
};

test('every scenario flow passes against the reference bot, names its suite, its reference bot file and its trigger', async () => {
  const names = Object.keys(scenarios);
  await runAllAtOnce(names); // as `callreplay run` does: one harness, one bot
  for (const name of names) {
    const flow = await shippedFlow(name);
    const [suite, file, trigger, values] = scenarios[name]!;
    expect({ suite: flow.suite, api: flow.api }, name).toEqual({ suite, api: 'v1.0' });
    const triggers = flow.steps.filter((s) => s.kind === 'trigger');
    expect(triggers.map((t) => t.id), name).toEqual(trigger ? [trigger] : []);
    const steps = (parse(readFileSync(flow.file, 'utf8')) as { steps: Array<{ trigger?: { values?: JsonObject } }> }).steps;
    const first = steps.find((s) => s.trigger)?.trigger;
    if (first) expect(Object.keys(first.values ?? {}).sort(), name).toEqual([...values!].sort());
    expect(readFileSync(flow.file, 'utf8'), name).toContain(`# Reference bot: examples/reference-bot/${file}`);
  }
});

test.describe('defective bots fail the scenario flows for the reason named', () => {
  test('outbound: a bot that plays its message as soon as Graph created the call (before the user answered)', async () => {
    class PlaysOnCreate extends ReferenceBot {
      protected override async callUser(target: CallTarget, route: GraphRoute, tenant: string): Promise<TrackedCall> {
        const call = await super.callUser(target, route, tenant);
        await this.playPrompt(call, 'notice');
        return call;
      }
    }
    expectFailure(await run('outbound-call', PlaysOnCreate), {
      step: 3,
      kind: 'out-of-order',
      message: /^POST \/v1\.0\/communications\/calls\/\{call\}\/playPrompt \(step 5, play the message\) was sent before step 3 \(call establishing\), step 4 \(the user answers \(established\)\) was delivered/,
    });
  });

  test('declined: a bot that hangs up a call Graph already deleted (480/10076)', async () => {
    class HangsUpDeclinedCall extends ReferenceBot {
      protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
        super.onCallEnded(call, resultInfo);
        void this.graphRequest('DELETE', this.callUrl(call.route, call.id), undefined, call.tenant).catch(() => {});
      }
    }
    const thenExpect = { name: 'hang-up after the end', method: 'DELETE', path: '/v1.0/communications/calls/${call}' };
    expectFailure(await run('outbound-call-declined', HangsUpDeclinedCall, { thenExpect }), {
      step: 5,
      ...AFTER_END,
      message: afterEnd('DELETE /v1.0/communications/calls/{call}'),
    });
  });

  test('not answered: a bot that calls again when nobody answered (408/10057)', async () => {
    class RetriesUnansweredCall extends ReferenceBot {
      protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
        super.onCallEnded(call, resultInfo);
        if (call.kind === 'outbound' && !call.establishedHandled) void this.callUser({ id: 'retry' }, call.route, call.tenant).catch(() => {});
      }
    }
    expectFailure(await run('outbound-call-not-answered', RetriesUnansweredCall), {
      step: 4,
      kind: 'unexpected',
      message: /^unexpected request after the flow's last step: POST \/v1\.0\/communications\/calls \(/,
    });
  });

  test('ended while establishing: a bot that takes the 200 resultInfo for a call that went well and plays its message', async () => {
    class TrustsCode200 extends ReferenceBot {
      protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
        super.onCallEnded(call, resultInfo);
        if (resultInfo?.code === 200) void this.playPrompt(call, 'notice').catch(() => {});
      }
    }
    const thenExpect = { name: 'message after the end', method: 'POST', path: '/v1.0/communications/calls/${call}/playPrompt' };
    expectFailure(await run('outbound-call-ended-while-establishing', TrustsCode200, { thenExpect }), {
      step: 5,
      ...AFTER_END,
      message: afterEnd('POST /v1.0/communications/calls/{call}/playPrompt'),
    });
  });

  test('group call: a bot that drops all but the first user from the targets', async () => {
    class CallsFirstUserOnly extends ReferenceBot {
      protected override createGroupCall(targets: CallTarget[], route: GraphRoute, tenant: string): Promise<TrackedCall> {
        return super.createGroupCall(targets.slice(0, 1), route, tenant);
      }
    }
    expectFailure(await run('create-group-call', CallsFirstUserOnly), {
      step: 2,
      kind: 'incorrect',
      message: /^body\.targets: expected 2 item\(s\), got 1 item\(s\)/,
    });
  });

  test('group call invite: a bot that takes every incoming call for a P2P call and moves it into a meeting', async () => {
    class TreatsInviteAsP2P extends ReferenceBot {
      protected override isGroupCallInvite(_call: JsonObject): boolean {
        return false;
      }
    }
    expectFailure(await run('incoming-group-call-invite', TreatsInviteAsP2P), {
      step: 5,
      kind: 'unexpected',
      message: /^unexpected request POST \/v1\.0\/communications\/calls: the flow does not list it \(the flow was at step 5, notify roster - the group call\)/,
    });
  });

  test('meeting with media: a bot that joins without media (as for a transfer) and cannot welcome anyone', async () => {
    class JoinsWithoutMedia extends ReferenceBot {
      protected override joinMeetingWithMediaBody(meeting: MeetingRef): JoinMeetingWithMediaRequest {
        const { mediaConfig: _none, ...body } = super.joinMeetingWithMediaBody(meeting);
        return { ...body, requestedModalities: [] } as unknown as JoinMeetingWithMediaRequest;
      }
    }
    expectFailure(await run('join-meeting-with-media', JoinsWithoutMedia), {
      step: 2,
      kind: 'incorrect',
      message: /^body\.requestedModalities: expected one of \["audio"\], \["audio","video"\], got \[\]/,
    });
  });

  test('app-hosted media: a bot that answers the media line with service-hosted media', async () => {
    class ServiceHostedEverywhere extends ReferenceBot {
      protected override usesAppHostedMedia(_call: TrackedCall): boolean {
        return false;
      }
    }
    expectFailure(await run('answer-app-hosted-media', ServiceHostedEverywhere), {
      step: 2,
      kind: 'incorrect',
      message: /^body\.mediaConfig\.@odata\.type: expected "#microsoft\.graph\.appHostedMediaConfig", got "#microsoft\.graph\.serviceHostedMediaConfig"/,
    });
  });

  test('compliance recording: a bot that records without telling Graph (no updateRecordingStatus)', async () => {
    class RecordsSilently extends ReferenceBot {
      protected override async startRecording(call: TrackedCall): Promise<void> {
        call.recording = 'recording';
      }
    }
    expectFailure(await run('compliance-recording', RecordsSilently, { stepTimeoutMs: 1000 }), {
      step: 5,
      kind: 'missing',
      message: /^the bot never sent POST \/v1\.0\/communications\/calls\/\{call\}\/updateRecordingStatus \(waited 1000 ms; last sent: step 4, call established\)/,
    });
  });
});
