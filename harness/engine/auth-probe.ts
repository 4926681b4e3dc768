/**
 * Auth conformance: the flow's first notification sent with a broken token. The bot must refuse it
 * (401 or 403) and send no Graph request because of it; while the run is probing, the judge fails
 * any request it receives (request-judge.ts).
 */
import { describeVariant, notificationLabel, parseMaybeJson } from './explain.js';
import type { BotDelivery } from './bot-delivery.js';
import type { AuthVariant } from './ports.js';
import type { RunState } from './run-state.js';

/** How long an auth probe waits for a request the bot should not send. */
const PROBE_QUIET_MS = 100;

/** Sends the probe and waits out the quiet period; the caller ends the run. Use a fresh run per variant. */
export async function probeNotificationAuth(state: RunState, delivery: BotDelivery, variant: AuthVariant): Promise<void> {
  const step = state.flow.steps[0];
  if (step?.kind !== 'notify') throw new Error(`flow ${state.flow.name} does not start with a notification: there is nothing to probe`);
  state.phase = 'probing';
  state.probe = variant;
  const body = step.body(state.scope);
  const url = delivery.notificationUrl(step, body);
  const headers = await delivery.notificationHeaders(step, variant);
  const entry = state.record('graph', 'bot', 'notification', { step: 0, method: 'POST', url, headers, body, label: `${notificationLabel(body, (id) => state.idNames.nameOf(id))} (${variant})` });
  try {
    const res = await state.opts.http.send({ method: 'POST', url, headers, body: JSON.stringify(body), timeoutMs: step.timeoutMs });
    const ack = state.record('bot', 'graph', 'ack', { step: 0, status: res.status, headers: res.headers, body: parseMaybeJson(res.body), latencyMs: res.latencyMs, label: `${res.status}` });
    if (res.status !== 401 && res.status !== 403) {
      ack.failed = true;
      state.fail({
        kind: 'auth-accepted',
        step: 1,
        stepName: step.name,
        message: `the bot answered a notification with ${describeVariant(variant)} with HTTP ${res.status}: it must refuse it with 401 or 403`,
      });
    }
  } catch (e) {
    entry.failed = true;
    state.fail({ kind: 'bot-unavailable', step: 1, stepName: step.name, message: `could not deliver the notification "${step.name}" to ${url}: ${(e as Error).message}` });
  }
  if (!state.failed) await state.sleep(PROBE_QUIET_MS); // time for a bot that refused but acts anyway
}
