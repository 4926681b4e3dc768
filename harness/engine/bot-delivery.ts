/**
 * What a run sends to the bot: notifications (signed, to the webhook or the callbackUri the bot
 * registered for the call, one at a time unless a step overlaps the one before) and triggers (the
 * bot's own API), each checked for a 2xx answer in time. Every address is mapped onto loopback:
 * nothing leaves the machine.
 */
import { canonicalPath, callIdOfPath } from './canonical.js';
import type { CompiledNotify, CompiledTrigger } from './plan.js';
import { boundedMemo } from './bounded-memo.js';
import { BotUnreachableError, type AuthVariant, type BotResponse } from './ports.js';
import type { EntryKind, TranscriptEntry } from './transcript.js';
import { notificationLabel, parseMaybeJson } from './explain.js';
import { botExitSettled, reportBotExit } from './bot-exit.js';
import type { RunState } from './run-state.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** How long a refused delivery waits for the bot's exit event, to report the exit rather than the refusal. */
const BOT_EXIT_SETTLE_MS = 300;
/** How long the bot has to acknowledge a follow-up notification of the fake Graph (a flow step's default timeout). */
const FOLLOW_UP_TIMEOUT_MS = 5000;

/** How an exchange with the bot names itself in the transcript and in findings. */
interface ExchangeAbout {
  /** the finding's step (1-based) and its name */
  step: number;
  stepName?: string;
  /** the transcript step (0-based) of the bot's answer; none for a follow-up of the fake Graph */
  entryStep?: number;
  /** e.g. `the notification "call established"`, `the trigger "start"` */
  what: string;
  hint?: string;
  /** once the run has ended, neither record the answer nor report a failure (a follow-up late in the run) */
  quietOnceEnded?: boolean;
}

export class BotDelivery {
  private pendingAck: Promise<unknown> = Promise.resolve();
  /** the answers of triggers sent with answerInBackground, not yet in */
  private pendingTriggers: Promise<unknown> | undefined;
  /** whenAnswered waiters by notify step index */
  private readonly answered = new Map<number, () => void>();
  /** the fake Graph's follow-up notifications still to send (playOn) */
  private playing: Promise<unknown> = Promise.resolve();
  /** follow-ups on their way to the bot, and whether new ones may still start (see drain) */
  private readonly sending = new Set<Promise<void>>();
  private draining = false;
  /**
   * The valid Authorization of this run's notifications, signed once per run: Graph's tokens last
   * an hour, and signing one per notification (RS256) cost the harness ~0.6 ms of CPU each, which
   * under load (1,000 calls with a tenant each) outgrew the signer's per-tenant cache.
   */
  private validAuthorization: Promise<string | undefined> | undefined;

  constructor(private readonly state: RunState) {}

  /** Settles once the bot has answered (or failed to answer) the last notification sent (the fake Graph's follow-ups too) and every trigger answered in the background. */
  get acknowledged(): Promise<unknown> {
    return Promise.all([this.pendingAck, this.playing, this.pendingTriggers]);
  }

  /**
   * Graph plays the call on after a request no step scripted (`cause`, e.g. "POST .../playPrompt"):
   * the fake Graph's follow-up notifications, each after its delay, one at a time and after the
   * flow's notifications already sent, signed and addressed like the flow's own (the call's
   * callbackUri, else the webhook). They are in the transcript without a step; the bot must
   * acknowledge them with 2xx as any notification.
   */
  playOn(followUps: ReadonlyArray<{ delayMs: number; body: unknown }>, cause: string): void {
    const state = this.state;
    let chain: Promise<unknown> = Promise.all([this.pendingAck, this.playing]);
    for (const f of followUps) {
      chain = chain.then(async () => {
        if (f.delayMs > 0) await state.sleep(f.delayMs);
        if (state.failed || state.phase === 'ended' || state.phase === 'probing' || this.draining) return;
        const sending = this.sendFollowUp(f.body, cause);
        this.sending.add(sending);
        await sending.finally(() => this.sending.delete(sending));
      }).then(() => [], () => []);
    }
    this.playing = chain;
  }

  /** The run is ending: no further follow-up starts, and those on their way get their acknowledgement into the transcript. */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.sending]);
  }

  /** Sends one follow-up notification of the fake Graph and checks the bot's 2xx. */
  private async sendFollowUp(body: unknown, cause: string): Promise<void> {
    const state = this.state;
    const url = this.toBotAddress(this.callbackFor(body));
    const authorization = await (this.validAuthorization ??= this.authorization());
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) };
    const label = `Graph plays on: ${notificationLabel(body, (id) => state.idNames.nameOf(id))}`;
    const sent = state.record('graph', 'bot', 'notification', { method: 'POST', url, headers, body, label });
    const k = state.currentStep();
    await this.exchange(
      { method: 'POST', url, headers, body: JSON.stringify(body), timeoutMs: FOLLOW_UP_TIMEOUT_MS },
      'ack',
      sent,
      { step: k + 1, stepName: state.flow.steps[k]?.name, what: `the notification "${label}" that Graph sends after ${cause}`, quietOnceEnded: true },
    );
  }

  /**
   * Sends a notify step and waits for the bot's acknowledgement; releases the step once sent.
   * Notifications go one at a time, except that a step marked `overlap` is sent without waiting
   * for the answer to the one before: then this one returns once sent, and the last of the run
   * waits for every answer outstanding.
   */
  async notify(step: CompiledNotify): Promise<void> {
    const state = this.state;
    if (!step.overlap) await this.pendingAck; // notifications are delivered one at a time
    if (step.delayMs > 0) await state.sleep(step.delayMs);
    if (state.failed || state.phase === 'ended') return this.answered.get(step.index)?.();
    const body = step.body(state.scope);
    const url = this.notificationUrl(step, body);
    const headers = await this.notificationHeaders(step);
    const entry = state.record('graph', 'bot', 'notification', { step: step.index, method: 'POST', url, headers, body, label: notificationLabel(body, (id) => state.idNames.nameOf(id)) });
    state.release(step.index);
    const ack = this.exchange({ method: 'POST', url, headers, body: JSON.stringify(body), timeoutMs: step.timeoutMs }, 'ack', entry, this.about(step, 'notification'));
    const waiter = this.answered.get(step.index);
    if (waiter) void ack.then(waiter);
    this.pendingAck = step.overlap ? Promise.all([this.pendingAck, ack]) : ack;
    const next = state.flow.steps[step.index + 1];
    if (next?.kind === 'notify' && next.overlap) return;
    await this.pendingAck;
  }

  /**
   * Settles once the bot has answered (or failed to answer) notify step `index`, or the run ended.
   * Asked before the step is sent (by the judge holding the answer to the request just before it).
   */
  whenAnswered(index: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const before = this.answered.get(index);
      this.answered.set(index, before ? () => (before(), resolve()) : resolve);
    });
  }

  /** Wakes every whenAnswered waiter (the run ended: nothing more is sent). */
  dispose(): void {
    for (const wake of this.answered.values()) wake();
    this.answered.clear();
  }

  /** Sends a trigger step to the bot's own API and waits for its answer; releases the step once sent. */
  async trigger(step: CompiledTrigger): Promise<void> {
    const state = this.state;
    await this.pendingAck;
    if (this.pendingTriggers) await this.pendingTriggers; // the bot's own API: one call after another's answer
    if (state.failed) return;
    const path = String(step.path(state.scope));
    const url = new URL(path, state.opts.webhookUrl).toString();
    const body = step.body ? step.body(state.scope) : undefined;
    const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(step.headers ? (step.headers(state.scope) as Record<string, string>) : {}) };
    const entry = state.record('graph', 'bot', 'trigger', { step: step.index, method: step.method, url, headers, body, label: `trigger: ${step.name}` });
    state.release(step.index);
    // a named trigger is named in findings; a mapped one also says which mapping sent it (the user's, to check)
    const what = step.id === undefined ? 'trigger' : `trigger ${step.id}`;
    const hint = step.mapping === undefined ? '' : `; sent as mapped by ${step.mapping}: ${step.method} ${new URL(url).pathname} (check the mapping's method, path and body against the bot's API)`;
    const answer = this.exchange({ method: step.method, url, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: step.timeoutMs }, 'trigger-response', entry, this.about(step, what, hint));
    if (step.answerInBackground) this.pendingTriggers = Promise.all([this.pendingTriggers, answer]);
    else await answer;
  }

  /** What a step's exchange reports itself as: the step, and `the notification "name"` / `the trigger "name"`. */
  private about(step: CompiledNotify | CompiledTrigger, what: string, hint = ''): ExchangeAbout {
    return { step: step.index + 1, stepName: step.name, entryStep: step.index, what: `the ${what} "${step.name}"`, hint };
  }

  /**
   * Sends one request to the bot (a step's notification or trigger, or a follow-up of the fake Graph)
   * and checks it answered 2xx in time; records the answer as `kind`, or fails the run.
   */
  private async exchange(
    req: { method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs: number },
    kind: EntryKind,
    sent: TranscriptEntry,
    about: ExchangeAbout,
  ): Promise<void> {
    const state = this.state;
    const { what, hint = '' } = about;
    const where = { step: about.step, stepName: about.stepName };
    let res: BotResponse;
    // with patience (load), the answer may come later than the step's timeout while the bot is busy
    const patience = state.patience;
    // the step's own timeout, unless patience gave it more time (as FlowRun.awaitExpectations says it)
    let waitedMs = req.timeoutMs;
    let extended = false;
    const keepWaiting = patience
      ? (waited: number) => {
          const more = patience.extraWaitMs(waited, req.timeoutMs);
          if (more > 0) extended = true;
          else if (extended) waitedMs = Math.round(waited);
          return more;
        }
      : undefined;
    try {
      res = await state.opts.http.send({ ...req, keepWaiting });
    } catch (e) {
      sent.failed = true;
      if (about.quietOnceEnded && state.phase === 'ended') return;
      const unreachable = e instanceof BotUnreachableError ? e : undefined;
      if (state.opts.bot && unreachable?.reason !== 'timeout') await botExitSettled(state.opts.bot, BOT_EXIT_SETTLE_MS);
      if (state.opts.bot?.exitDescription !== undefined) return reportBotExit(state);
      state.fail({
        kind: unreachable?.reason === 'timeout' ? 'bad-ack' : 'bot-unavailable',
        ...where,
        message:
          unreachable?.reason === 'timeout'
            ? `the bot did not answer ${what} within ${waitedMs} ms (${req.method} ${req.url})${hint}`
            : `could not deliver ${what} to ${req.url}: ${(e as Error).message}${hint}`,
      });
      return;
    }
    if (about.quietOnceEnded && state.phase === 'ended') return;
    const entry = state.record('bot', 'graph', kind, { step: about.entryStep, status: res.status, headers: res.headers, body: parseMaybeJson(res.body), latencyMs: res.latencyMs, label: `${res.status}` });
    if (res.status < 200 || res.status > 299) {
      entry.failed = true;
      state.fail({
        kind: 'bad-ack',
        ...where,
        message: `the bot answered ${what} with HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''} (expected 2xx${hint})`,
      });
    }
  }

  /** Where a notification goes: the webhook, the callbackUri registered for its call ('auto'), or the step's address. */
  notificationUrl(step: CompiledNotify, body: unknown): string {
    const state = this.state;
    let url: string | undefined;
    if (step.to === 'webhook') url = state.opts.webhookUrl;
    else if (step.to === 'auto') url = this.callbackFor(body);
    else url = String(step.to(state.scope));
    return this.toBotAddress(url);
  }

  /** The callbackUri the bot registered for the call of a notification's first item, else the webhook. */
  private callbackFor(body: unknown): string {
    const first = (body as { value?: Array<{ resourceUrl?: string; resource?: string }> }).value?.[0];
    const resource = first?.resourceUrl ?? first?.resource;
    const callId = resource ? callIdOfPath(canonicalPath(resource)) : undefined;
    return (callId && this.state.callbacks.get(callId)) || this.state.opts.webhookUrl;
  }

  /** A notification's headers: JSON, the signer's Authorization (a broken `variant` when probing), the step's own. */
  async notificationHeaders(step: CompiledNotify, variant?: AuthVariant): Promise<Record<string, string>> {
    const state = this.state;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const authorization = variant === undefined ? await (this.validAuthorization ??= this.authorization()) : await this.authorization(variant);
    if (authorization !== undefined) headers['authorization'] = authorization;
    return { ...headers, ...(step.headers ? (step.headers(state.scope) as Record<string, string>) : {}) };
  }

  /** The signer's Authorization for this run's tenant (a broken one for `variant`). */
  private authorization(variant?: AuthVariant): Promise<string | undefined> {
    const state = this.state;
    const tenant = state.scope.get('tenant');
    return state.opts.signer ? state.opts.signer.authorization(typeof tenant === 'string' ? tenant : undefined, variant) : Promise.resolve(undefined);
  }

  /** Notifications only ever go to loopback: a public callbackUri is mapped onto the bot's own origin. */
  private toBotAddress(url: string): string {
    const webhookUrl = this.state.opts.webhookUrl;
    return botAddress(`${url}\n${webhookUrl}`);
  }
}

/** Notification addresses mapped onto the bot (hot: every notification; a call's addresses repeat). */
const botAddress = boundedMemo(4096, (key) => {
  const [url, webhookUrl] = key.split('\n') as [string, string];
  return mapOntoBot(url, webhookUrl);
});

/** `url` if it is on loopback, else its path on the bot's own origin (resolved against the webhook). */
function mapOntoBot(url: string, webhookUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url, webhookUrl);
  } catch {
    return webhookUrl;
  }
  if (LOOPBACK_HOSTS.has(parsed.hostname)) return parsed.toString();
  const bot = new URL(webhookUrl);
  return `${bot.origin}${parsed.pathname}${parsed.search}`;
}
