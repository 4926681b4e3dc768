/**
 * Probes: deliveries the bot must refuse or ignore, each on a run of its own (fresh ids).
 * - Notification auth: the flow runs up to its first notification, wherever it is (the triggers and
 *   requests before it happen for real, so the bot is in the state the flow builds), and that
 *   notification is sent with a broken token: the bot must answer 401 or 403, and then act on
 *   nothing until it is quiet (authWatchMs: a bot that answers 401 but acts half a second later
 *   is caught).
 * - Refusal checks (refusal-checks.ts): hostile or broken input on the webhook.
 * While the run probes, any Graph request the bot sends fails it (request-judge.ts): it acted on
 * what it must refuse.
 */
import { describeVariant, notificationLabel, parseMaybeJson } from './explain.js';
import type { BotDelivery } from './bot-delivery.js';
import type { CompiledFlow, CompiledNotify } from './plan.js';
import type { AuthVariant, BotResponse } from './ports.js';
import { BotUnreachableError } from './ports.js';
import { refusalAnswerProblem, refusalCheckInfo, refusalDelivery, type RefusalCheck } from './refusal-checks.js';
import type { RunState } from './run-state.js';
import type { Transcript } from './transcript.js';

/** The rule of a broken-token notification refused with another status than 401 or 403. */
export const AUTH_STATUS_RULE = 'auth/status';

/** How long a probe lets the steps before the probed notification settle. */
const PROBE_QUIET_MS = 100;
/**
 * The shortest watch after a broken-token notification: a bot that acts on it up to this late is
 * caught however quick the run was (the run's own quiet period, 100-300 ms, is made for a bot that
 * goes on with a flow, not for one that validates a token, fails, and acts anyway).
 */
export const AUTH_WATCH_FLOOR_MS = 600;
/** A refusal check watches longer: there is one per run, not one per flow and broken token. */
const REFUSAL_QUIET_MS = 500;
/** The watch also lasts this many times the bot's answer to the probe (a loaded machine is slow at both), up to a cap. */
const QUIET_PER_LATENCY = 3;
const QUIET_CAP_MS = 2000;

/** How long to watch for an action after the bot answered a probe in `latencyMs`. */
function watchMs(base: number, latencyMs: number | undefined): number {
  return Math.max(base, Math.min(QUIET_CAP_MS, QUIET_PER_LATENCY * (latencyMs ?? 0)));
}
/** How long a refusal check waits for the bot's answer. */
const REFUSAL_TIMEOUT_MS = 5000;

/**
 * How long the auth probe watches after the bot answered the broken-token notification: the run's
 * quiet period (quietPeriodMs: the flow's own `quiet`, else 3x the slowest reaction of the run), at
 * least AUTH_WATCH_FLOOR_MS and 3x the bot's answer to the probe, at most the step's timeout.
 */
export function authWatchMs(quietMs: number, latencyMs: number | undefined, timeoutMs: number): number {
  return Math.min(timeoutMs, Math.max(AUTH_WATCH_FLOOR_MS, quietMs, QUIET_PER_LATENCY * (latencyMs ?? 0)));
}

/**
 * Watches until the bot is quiet: `windowMs` with nothing new in the transcript (a token request,
 * a stray, anything the bot sends starts the window again), up to `limitMs` in all; returns early
 * when the run fails (a request during the probe fails it at once).
 */
async function watchUntilQuiet(state: RunState, windowMs: number, limitMs: number): Promise<void> {
  const started = state.now();
  let seen = state.transcript.entries.length;
  let wait = windowMs;
  while (!state.failed && state.phase !== 'ended' && wait > 0) {
    await state.sleep(wait);
    if (state.transcript.entries.length === seen) return;
    seen = state.transcript.entries.length;
    wait = Math.min(windowMs, limitMs - (state.now() - started));
  }
}

/** Sends the broken-token probe and waits out the quiet period; the caller ends the run. */
export async function probeNotificationAuth(
  state: RunState,
  delivery: BotDelivery,
  variant: AuthVariant,
  runStep: (index: number) => Promise<unknown>,
  quietMs: (transcript: Transcript) => number,
): Promise<void> {
  const k = state.flow.steps.findIndex((s) => s.kind === 'notify');
  if (k < 0) throw new Error(`flow ${state.flow.name} sends no notification: there is nothing to probe`);
  for (let i = 0; i < k && !state.failed; i++) await runStep(i);
  if (state.failed) return;
  if (k > 0) {
    await delivery.acknowledged;
    await state.sleep(PROBE_QUIET_MS); // the bot finishes what the earlier steps started
    if (state.failed) return;
  }
  const step = state.flow.steps[k] as CompiledNotify;
  const what = describeVariant(variant);
  state.phase = 'probing';
  state.probe = { kind: 'auth-accepted', step: k, acted: (request) => `after a notification with ${what}, the bot sent ${request}: it must not act on a notification it cannot authenticate` };
  const body = step.body(state.scope);
  const url = delivery.notificationUrl(step, body);
  const headers = await delivery.notificationHeaders(step, variant);
  const label = `${notificationLabel(body, (id) => state.idNames.nameOf(id))} (${variant})`;
  const res = await sendProbe(state, { step: k, url, headers, body: JSON.stringify(body), shown: body, label, timeoutMs: step.timeoutMs });
  if (res && res.status !== 401 && res.status !== 403) {
    // only a 2xx accepted it; another status refused it the wrong way, or broke
    const accepted = res.status >= 200 && res.status < 300;
    state.fail({
      kind: accepted ? 'auth-accepted' : 'bad-ack',
      rule: accepted ? undefined : AUTH_STATUS_RULE,
      step: k + 1,
      stepName: step.name,
      message: accepted
        ? `the bot answered a notification with ${what} with HTTP ${res.status}: it must refuse it with 401 or 403`
        : `the bot answered a notification with ${what} with HTTP ${res.status}, not 401 or 403: a notification whose token fails validation is refused with 401 or 403 (the Graph communications SDK and Microsoft's samples answer 403)`,
    });
  }
  // time for a bot that refused (or accepted) but acts anyway, however late, until it is quiet
  if (!state.failed) await watchUntilQuiet(state, authWatchMs(quietMs(state.transcript), res?.latencyMs, step.timeoutMs), step.timeoutMs);
}

/** The one-step flow a refusal check runs as: a fresh call id (never announced to the bot) and the harness's tenant. */
export function refusalFlow(check: RefusalCheck): CompiledFlow {
  const info = refusalCheckInfo(check);
  const step: CompiledNotify = { kind: 'notify', index: 0, name: info.sends, pointer: '', timeoutMs: REFUSAL_TIMEOUT_MS, to: 'webhook', delayMs: 0, body: () => ({}) };
  return { name: `refusal-${check}`, description: `refusal check: ${info.sends}`, file: '', suite: 'refusal', unmatched: 'fail', quietMs: 0, ids: ['call', 'tenant'], values: {}, steps: [step] };
}

/** Sends a refusal check's delivery (validly signed) and judges the answer; the caller ends the run. */
export async function probeRefusal(state: RunState, delivery: BotDelivery, check: RefusalCheck): Promise<void> {
  const info = refusalCheckInfo(check);
  const step = state.flow.steps[0] as CompiledNotify;
  const { contentType, body } = refusalDelivery(check, String(state.scope.get('call')));
  state.phase = 'probing';
  state.probe = { kind: 'refusal', rule: `refusal/${check}`, step: 0, acted: (request) => `after ${info.sends}, the bot sent ${request}: it must not act on it` };
  const url = delivery.notificationUrl(step, undefined);
  const headers = { ...(await delivery.notificationHeaders(step)), 'content-type': contentType };
  const shown = body.length > 400 ? `${body.slice(0, 400)}... (${Buffer.byteLength(body)} bytes)` : (parseMaybeJson(body) ?? body);
  const res = await sendProbe(state, { step: 0, url, headers, body, shown, label: `refusal: ${check}`, timeoutMs: step.timeoutMs, rule: `refusal/${check}` });
  const problem = res && refusalAnswerProblem(check, res);
  if (problem) state.fail({ kind: 'refusal', rule: `refusal/${check}`, step: 1, stepName: step.name, message: `the bot ${problem} (sent: ${info.sends})` });
  if (res && !state.failed && check === 'oversized-body') {
    // the bot must still answer afterwards: any HTTP answer to a plain GET of its webhook, on a new
    // connection (a bot may close the one it answered 413 on: RFC 9110 §15.5.14), asked twice
    // before the bot is said to answer no more
    const alive = () => state.opts.http.send({ method: 'GET', url, headers: {}, timeoutMs: step.timeoutMs, fresh: true });
    try {
      await alive().catch(alive);
    } catch (e) {
      state.fail({ kind: 'refusal', rule: `refusal/${check}`, step: 1, stepName: step.name, message: `after ${info.sends}, the bot no longer answers at ${url} (asked twice): ${(e as Error).message}` });
    }
  }
  if (!state.failed) await state.sleep(watchMs(REFUSAL_QUIET_MS, res?.latencyMs)); // time for a bot that answered but acts anyway
}

interface ProbeDelivery {
  step: number;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** the body as the transcript shows it */
  shown: unknown;
  label: string;
  timeoutMs: number;
  /** the refusal check, when the probe is one */
  rule?: string;
}

/** POSTs a probe and records it; the bot's answer, or undefined after a finding (no answer in time, unreachable). */
async function sendProbe(state: RunState, p: ProbeDelivery): Promise<BotResponse | undefined> {
  const step = state.flow.steps[p.step]!;
  const entry = state.record('graph', 'bot', 'notification', { step: p.step, method: 'POST', url: p.url, headers: p.headers, body: p.shown, label: p.label });
  try {
    const res = await state.opts.http.send({ method: 'POST', url: p.url, headers: p.headers, body: p.body, timeoutMs: p.timeoutMs });
    state.record('bot', 'graph', 'ack', { step: p.step, status: res.status, headers: res.headers, body: parseMaybeJson(res.body), latencyMs: res.latencyMs, label: `${res.status}` });
    return res;
  } catch (e) {
    entry.failed = true;
    const timeout = e instanceof BotUnreachableError && e.reason === 'timeout';
    state.fail({
      kind: timeout && p.rule ? 'refusal' : timeout ? 'bad-ack' : 'bot-unavailable',
      rule: timeout ? p.rule : undefined,
      step: p.step + 1,
      stepName: step.name,
      message: timeout ? `the bot did not answer ${p.label} within ${p.timeoutMs} ms (POST ${p.url}): it must answer, even what it refuses` : `could not deliver ${p.label} to ${p.url}: ${(e as Error).message}`,
    });
    return undefined;
  }
}
