/**
 * Scenario: the meeting line (MEETING_LINE_ID), and the transferee's side of a transfer. A call to
 * the meeting line is moved into the meeting (MEETING_THREAD_ID) exactly as a call to the bot's own
 * identity is (meetings.ts): join the meeting, then invite the caller with replacesCallId = their
 * call.
 *
 * Such calls are often transferred to the line by a person (a receptionist). Graph then offers a
 * new incoming call whose `incomingContext.transferor` is who transferred it (v1.0 incomingContext:
 * "The identity that transferred the call"); the caller is still `source.identity`. The transferor is
 * not on the new call: the bot logs them and deals with the caller.
 *
 *   incoming call          -> log the transferor, if any; answer (answer.ts)
 *   established            -> join the meeting without media (meetings.ts onP2PEstablished)
 *   meeting established    -> invite the caller (source.identity), replacing the call
 *
 * Flow: receive-transferred-call.
 */
import type { LineConfig } from './config.js';
import { asString, isJsonObject } from './helpers.js';
import { ConferenceLineBot } from './conference-line.js';
import type { GraphRoute, IdentitySet, JsonObject, TrackedCall } from './types.js';

export abstract class MeetingLineBot extends ConferenceLineBot {
  protected override async onLineCall(callId: string, route: GraphRoute, call: JsonObject, line: LineConfig): Promise<void> {
    if (line.behaviour === 'meeting') {
      const transferor = transferorOf(call);
      if (transferor) this.log(`call ${callId} was transferred to the meeting line by ${describeIdentity(transferor)}`);
    }
    return super.onLineCall(callId, route, call, line);
  }

  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'meeting') return this.onP2PEstablished(call);
    return super.onLineEstablished(call);
  }
}

/** `incomingContext.transferor` of an incoming call, if it was transferred. */
export function transferorOf(call: JsonObject): IdentitySet | undefined {
  const context = isJsonObject(call.incomingContext) ? call.incomingContext : undefined;
  return context && isJsonObject(context.transferor) ? context.transferor : undefined;
}

function describeIdentity(identity: IdentitySet): string {
  for (const kind of ['user', 'phone', 'application', 'applicationInstance']) {
    const who = identity[kind];
    if (isJsonObject(who)) return `${kind} ${asString(who.displayName) ?? asString(who.id) ?? '?'}`;
  }
  return 'an unknown identity';
}
