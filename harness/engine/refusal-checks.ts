/**
 * Refusal checks: what a hostile or broken sender would POST to the bot's webhook, and what the
 * bot must do with it. Each check is one delivery, validly signed (the token is not what is tested:
 * that is the notification-auth check), judged on the bot's answer; any Graph request the bot sends
 * meanwhile fails the check (it acted on input it must refuse or ignore). The references are the
 * Graph calling docs and HTTP's own semantics (RFC 9110).
 */
import { hexId } from './ids.js';
import type { BotResponse } from './ports.js';

export const REFUSAL_CHECKS = ['malformed-json', 'no-value', 'wrong-content-type', 'unknown-call', 'oversized-body'] as const;
export type RefusalCheck = (typeof REFUSAL_CHECKS)[number];

export interface RefusalCheckInfo {
  readonly check: RefusalCheck;
  /** what is sent, for titles and messages */
  readonly sends: string;
  /** what the bot must do */
  readonly expects: string;
  /** where the expected behaviour is documented */
  readonly evidence: string;
}

/** The body size of the oversized check: over 1 MB. */
export const OVERSIZED_BYTES = 1_100_000;

export const REFUSAL_CHECK_TABLE: readonly RefusalCheckInfo[] = [
  {
    check: 'malformed-json',
    sends: 'a notification body that is not valid JSON (cut off mid-object)',
    expects: 'a 4xx answer (400), and no Graph request',
    evidence: 'Graph posts notifications as application/json (calling-notifications: "Content-Type: application/json"), and the Graph communications SDK parses a notification before it answers (ProcessNotificationAsync: a body it cannot read is answered with an error status, 400 by default); RFC 9110 §15.5.1: 400 is the answer to malformed request syntax. A 2xx says garbage was handled; a 5xx that the bot broke on it',
  },
  {
    check: 'no-value',
    sends: 'a JSON object without `value` (`{}`)',
    expects: 'an answer that is not 5xx, in time, and no Graph request',
    evidence: 'a commsNotifications body carries its notifications in `value` (v1.0 metadata: commsNotifications.value, a collection of commsNotification): without it there is nothing to act on, and nothing to crash on',
  },
  {
    check: 'wrong-content-type',
    sends: 'a notification for a call the bot does not know, sent as text/plain',
    expects: 'an answer that is not 5xx (415 or any 2xx/4xx), in time, and no Graph request',
    evidence: 'Graph sends application/json only (calling-notifications: "Content-Type: application/json"); RFC 9110 §15.5.16: 415 Unsupported Media Type is the refusal; a bot must not break on it',
  },
  {
    check: 'unknown-call',
    sends: 'a signed `updated` notification (state established) for a call the bot never saw',
    expects: 'a 2xx or 4xx answer, and no Graph request',
    evidence: 'notifications for any call can reach any instance of a bot (Graph communications SDK, "State management": stateless bots), e.g. after a restart: a bot answers them and does not act on a call it does not hold',
  },
  {
    check: 'oversized-body',
    sends: `a signed notification of ${OVERSIZED_BYTES} bytes (over 1 MB) for a call the bot never saw`,
    expects: 'an answer (413 or any other), in time, the bot still answering afterwards, and no Graph request',
    evidence: 'real notifications can be large (the full roster of a big meeting, captured group-call rosters); RFC 9110 §15.5.14: 413 Content Too Large is the refusal; a bot must not fall over',
  },
];

export function refusalCheckInfo(check: RefusalCheck): RefusalCheckInfo {
  return REFUSAL_CHECK_TABLE.find((c) => c.check === check)!;
}

/** The body and content type a check sends; `callId` is a fresh id minted for the check. */
export function refusalDelivery(check: RefusalCheck, callId: string): { contentType: string; body: string } {
  const notification = (resourceData: Record<string, unknown> = {}) =>
    JSON.stringify({
      value: [
        {
          '@odata.type': '#microsoft.graph.commsNotification',
          changeType: 'updated',
          resource: `/app/calls/${hexId(callId)}`,
          resourceUrl: `/communications/calls/${hexId(callId)}`,
          resourceData: { '@odata.type': '#microsoft.graph.call', '@odata.id': `/communications/calls/${hexId(callId)}`, state: 'established', ...resourceData },
        },
      ],
    });
  switch (check) {
    case 'malformed-json':
      return { contentType: 'application/json', body: notification().slice(0, 90) };
    case 'no-value':
      return { contentType: 'application/json', body: '{}' };
    case 'wrong-content-type':
      return { contentType: 'text/plain', body: notification() };
    case 'unknown-call':
      return { contentType: 'application/json', body: notification() };
    case 'oversized-body':
      return { contentType: 'application/json', body: notification({ callreplayPadding: 'x'.repeat(OVERSIZED_BYTES) }) };
  }
}

/** What is wrong with the bot's answer to a check, or undefined when it is right. */
export function refusalAnswerProblem(check: RefusalCheck, res: BotResponse): string | undefined {
  const s = res.status;
  switch (check) {
    case 'malformed-json':
      return s >= 400 && s < 500 ? undefined : `answered HTTP ${s}: it must refuse a body that is not JSON with 4xx (400)`;
    case 'no-value':
    case 'wrong-content-type':
      return s >= 500 ? `answered HTTP ${s}: a bot must not break on this (2xx or 4xx)` : undefined;
    case 'unknown-call':
      return (s >= 200 && s < 300) || (s >= 400 && s < 500) ? undefined : `answered HTTP ${s}: a notification for a call it does not know gets 2xx or 4xx`;
    case 'oversized-body':
      return undefined; // any answer will do; the bot must also still answer afterwards (the caller checks)
  }
}
