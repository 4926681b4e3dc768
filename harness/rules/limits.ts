/** The limits/* rules: documented sizes and ranges of action bodies (see rule-table.ts). */
import { countOf, type RequestCheck } from './rule-helpers.js';
import { isObject } from './call-state.js';

const CLIENT_CONTEXT_MAX = 256;
const RECORD_DURATION_FIELDS = ['initialSilenceTimeoutInSeconds', 'maxSilenceTimeoutInSeconds', 'maxRecordDurationInSeconds'] as const;
/** application-post-calls: "This supports up to 5 VoIP users" (group calls) */
const GROUP_CALL_VOIP_TARGETS_MAX = 5;

export function checkLimits(c: RequestCheck): void {
  const { what, req, body: b, v } = c;
  const context = b['clientContext'];
  if (typeof context === 'string' && [...context].length > CLIENT_CONTEXT_MAX) {
    v.add('limits/client-context', `${what} has a clientContext of ${[...context].length} characters: Graph allows at most ${CLIENT_CONTEXT_MAX}`);
  }
  switch (req.action) {
    case 'playPrompt': {
      const n = countOf(b['prompts']);
      if (n === undefined || n < 1 || n > 20) v.add('limits/play-prompt-prompts', `${what} has ${n === undefined ? 'no prompts array' : `${n} prompts`}: playPrompt takes 1 to 20 prompts`);
      break;
    }
    case 'recordResponse': {
      const prompts = b['prompts'];
      if (prompts !== undefined && prompts !== null) {
        const n = countOf(prompts);
        if (n === undefined || n > 1) v.add('limits/record-response-prompts', `${what} has ${n === undefined ? 'prompts that are not an array' : `${n} prompts`}: recordResponse takes at most 1 prompt`);
      }
      for (const field of RECORD_DURATION_FIELDS) {
        const value = b[field];
        if (value === undefined || value === null) continue;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 120) {
          v.add('limits/record-response-durations', `${what} has ${field} ${JSON.stringify(value)}: Graph takes whole seconds from 1 to 120`);
        }
      }
      break;
    }
    case 'redirect': {
      const n = countOf(b['targets']);
      if (n === undefined || n < 1 || n > 25) v.add('limits/redirect-targets', `${what} has ${n === undefined ? 'no targets array' : `${n} targets`}: redirect takes 1 to 25 targets`);
      const timeout = b['timeout'];
      if (timeout !== undefined && timeout !== null && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 15 || timeout > 90)) {
        v.add('limits/redirect-timeout', `${what} has timeout ${JSON.stringify(timeout)}: Graph takes whole seconds from 15 to 90`);
      }
      break;
    }
    case 'invite': {
      const n = countOf(b['participants']);
      if (n === undefined || n < 1 || n > 5) v.add('limits/invite-participants', `${what} has ${n === undefined ? 'no participants array' : `${n} participants`}: an invite takes 1 to 5 participants`);
      break;
    }
    case 'create': {
      // a meeting join names the meeting, not its people; only a group call lists everyone it rings
      if (isObject(b['meetingInfo']) || isObject(b['chatInfo']) || !Array.isArray(b['targets'])) break;
      const voip = (b['targets'] as unknown[]).filter((t) => !(isObject(t) && isObject(t['identity']) && t['identity']['phone'] !== undefined)).length;
      if (voip > GROUP_CALL_VOIP_TARGETS_MAX) {
        v.add(
          'limits/group-call-targets',
          `${what} creates a group call with ${voip} VoIP targets: Graph supports up to ${GROUP_CALL_VOIP_TARGETS_MAX} (application-post-calls, group call: "This supports up to 5 VoIP users."); invite the others once the call is established (participants/invite)`,
        );
      }
      break;
    }
    default:
      break;
  }
}
