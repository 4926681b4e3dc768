/**
 * One run of one flow against one bot: the sequencer. It sends notifications and triggers in order
 * (bot-delivery.ts), waits for the requests the flow expects, which the Router hands to
 * handleRequest and the judge matches and answers (request-judge.ts), and records findings and the
 * transcript in the run's state (run-state.ts, where the ids are minted). The driver calls
 * runStep() for each step in order (the Playwright suite wraps each call in a test.step), then
 * finish(). probeAuth() and probeRefusal() instead check that the bot refuses a badly signed
 * notification or hostile input (auth-probe.ts).
 *
 * Ordering model: a notify or trigger step is "released" once sent; an expect step once matched.
 * A request is accepted for the first unreleased expect step only when every step before it is
 * released, so a bot that acts before the notification it must wait for is caught, while a bot
 * that answers a notification before the harness has read its 202 is not penalised.
 */
import { canonicalPath } from './canonical.js';
import type { Finding } from './findings.js';
import type { CompiledFlow, CompiledStep } from './plan.js';
import type { AuthVariant, InboundRequest, OutboundResponse } from './ports.js';
import type { Transcript } from './transcript.js';
import { actionLabel, shownBody } from './explain.js';
import { probeNotificationAuth, probeRefusal } from './auth-probe.js';
import type { RefusalCheck } from './refusal-checks.js';
import { BotDelivery } from './bot-delivery.js';
import { reportBotExit } from './bot-exit.js';
import { RequestJudge } from './request-judge.js';
import { RunState } from './run-state.js';
import type { FlowOutcome, FlowRunOptions, Patience, RequestAuth, StepOutcome } from './run-types.js';

export type { BotLiveness, FlowOutcome, FlowRunOptions, ObserverContext, Patience, RequestAuth, RunObserver, StepOutcome } from './run-types.js';
export { describeVariant, graphError } from './explain.js';

/** The shortest quiet period of a flow that sets none (see CompiledFlow.quietFromBot). */
export const QUIET_FLOOR_MS = 100;
const QUIET_PER_REACTION = 3;

/**
 * How long to watch for requests after the last step. A flow's own `quiet` is kept as it is;
 * without one, a late request is a reaction to the last delivery, so the period scales with how
 * slowly this bot reacted during the run (a loaded machine slows both), within the floor and 300 ms.
 */
export function quietPeriodMs(flow: CompiledFlow, transcript: Transcript): number {
  if (!flow.quietFromBot) return flow.quietMs;
  let slowest = 0;
  let lastDelivery: number | undefined;
  for (const e of transcript.entries) {
    // what the bot reacts to: a notification, a trigger, or Graph's answer to its previous request
    if (e.kind === 'notification' || e.kind === 'trigger' || e.kind === 'response' || e.kind === 'token-response') lastDelivery = e.at;
    else if ((e.kind === 'request' || e.kind === 'token-request') && lastDelivery !== undefined) slowest = Math.max(slowest, e.at - lastDelivery);
    else if ((e.kind === 'ack' || e.kind === 'trigger-response') && typeof e.latencyMs === 'number') slowest = Math.max(slowest, e.latencyMs);
  }
  return Math.min(flow.quietMs, Math.max(QUIET_FLOOR_MS, QUIET_PER_REACTION * slowest));
}

export class FlowRun {
  readonly flow: CompiledFlow;
  readonly findings: Finding[];
  readonly warnings: Finding[];
  readonly transcript: Transcript;
  /** normalized form of every id minted for this run (the Router routes on these) */
  readonly mintedIds: string[];
  private readonly state: RunState;
  private readonly judge: RequestJudge;
  private readonly delivery: BotDelivery;
  private readonly unsubscribeBot: (() => void) | undefined;

  constructor(opts: FlowRunOptions) {
    const state = (this.state = new RunState(opts));
    this.flow = state.flow;
    this.findings = state.findings;
    this.warnings = state.warnings;
    this.transcript = state.transcript;
    this.mintedIds = state.mintedIds;
    const delivery = (this.delivery = new BotDelivery(state));
    // Graph plays the call on after a request no step scripts: the fake Graph's follow-ups reach the bot
    this.judge = new RequestJudge(state, (index) => delivery.whenAnswered(index), (followUps, cause) => delivery.playOn(followUps, cause));
    this.unsubscribeBot = opts.bot?.onExit(() => reportBotExit(state));
  }

  get steps(): readonly CompiledStep[] {
    return this.flow.steps;
  }

  get failed(): boolean {
    return this.state.failed;
  }

  /** The value of a minted id, a value or a capture (for tests and reports). */
  valueOf(name: string): unknown {
    return this.state.scope.get(name);
  }

  /** Sets how long a step may wait past its timeout (for a run made by Harness.createRun; before run()). */
  setPatience(patience: Patience | undefined): void {
    this.state.patience = patience;
  }

  /** Runs step `index`. Steps must be run in order. */
  async runStep(index: number): Promise<StepOutcome> {
    const step = this.flow.steps[index]!;
    const base = { index, name: step.name, kind: step.kind };
    // after a failure, or once the run was disposed (ended from outside, e.g. an interrupted load)
    if (this.failed || this.state.phase === 'ended') return { ...base, status: 'skipped' };
    this.state.scope.set('now', new Date().toISOString());
    switch (step.kind) {
      case 'notify':
        await this.delivery.notify(step);
        break;
      case 'trigger':
        await this.delivery.trigger(step);
        break;
      case 'expect':
      case 'unordered':
        await this.awaitExpectations(index);
        break;
    }
    const finding = this.findings[0];
    return finding ? { ...base, status: 'failed', finding } : { ...base, status: 'passed' };
  }

  /** After the last step: waits for outstanding acknowledgements, then the quiet period. */
  async finish(): Promise<FlowOutcome> {
    const state = this.state;
    await this.delivery.acknowledged;
    // a run disposed before its end stops here: no quiet period, no end-of-run checks
    if (state.phase === 'ended') return this.outcome();
    if (!this.failed) {
      state.phase = 'quiet';
      await state.sleep(quietPeriodMs(this.flow, this.transcript));
    }
    await this.delivery.drain(); // a follow-up of the fake Graph sent in the quiet period gets its ack recorded
    if (!this.failed) for (const o of state.opts.observers ?? []) o.onEnd?.(state.observerContext);
    state.phase = 'ended';
    this.dispose();
    return this.outcome();
  }

  private outcome(): FlowOutcome {
    return { flow: this.flow.name, status: this.failed ? 'failed' : 'passed', findings: this.findings, warnings: this.warnings, transcript: this.transcript };
  }

  /** Runs every step, then finish(). */
  async run(): Promise<FlowOutcome> {
    for (let i = 0; i < this.flow.steps.length && !this.failed; i++) await this.runStep(i);
    return this.finish();
  }

  /** Stops timers and wakes anything waiting. Safe to call twice. */
  dispose(): void {
    const state = this.state;
    this.unsubscribeBot?.();
    state.phase = 'ended';
    state.endSleeps();
    for (const t of state.timers) clearTimeout(t);
    state.timers.clear();
    this.delivery.dispose(); // answers held for a notification (holdResponse) go out now
    state.wake();
  }

  /**
   * Auth conformance: runs the flow up to its first notification, sends that notification with a
   * broken token and checks that the bot refuses it (401 or 403) and sends no Graph request because
   * of it until it is quiet (authWatchMs). Use a fresh run per variant.
   */
  async probeAuth(variant: AuthVariant): Promise<FlowOutcome> {
    await probeNotificationAuth(this.state, this.delivery, variant, (i) => this.runStep(i), (transcript) => quietPeriodMs(this.flow, transcript));
    this.state.phase = 'ended';
    this.dispose();
    return this.outcome();
  }

  /** A refusal check (refusal-checks.ts) on a run of refusalFlow(check): the bot must refuse or ignore the delivery. */
  async probeRefusal(check: RefusalCheck): Promise<FlowOutcome> {
    await probeRefusal(this.state, this.delivery, check);
    this.state.phase = 'ended';
    this.dispose();
    return this.outcome();
  }

  // ---------------------------------------------------------------- from the Router

  /**
   * Matches a Graph request routed to this run and returns the answer (a promise when the step
   * holds it, CompiledExpect.holdResponse). `auth` is what the Router knows of its bearer token (a
   * problem with it, its tenant). Hot path: keep it lean.
   */
  handleRequest(req: InboundRequest, auth: RequestAuth = {}): OutboundResponse | Promise<OutboundResponse> {
    return this.judge.handleRequest(req, auth);
  }

  /** True when the step the run is at now waits for exactly this request (used to route creates). */
  waitsFor(method: string, canonical: string): boolean {
    return this.judge.waitsFor(method, canonical);
  }

  /**
   * A request the Router gave this run by timing alone: `candidates` runs waited for it and its
   * content fit them all (an id-less create with one tenant). A failure after it may be the
   * harness's mix-up rather than the bot's; the runner says so (see guessedRoute).
   */
  noteGuessedRoute(request: string, candidates: number): void {
    this.guessedRoute ??= `${request} (${candidates} calls waited for it)`;
  }

  /** The first request routed to this run by timing alone, if any (see noteGuessedRoute). */
  guessedRoute: string | undefined;

  /** Whether the step the run waits for would take this request as it is (see RequestJudge.wouldAccept). */
  wouldAccept(req: InboundRequest, canonical: string): boolean {
    return this.judge.wouldAccept(req, canonical);
  }

  /** Whether the run is probing (a delivery the bot must refuse: auth, refusal checks). */
  get probing(): boolean {
    return this.state.phase === 'probing';
  }

  /** When the run last released a step: the Router gives a request several runs wait for to the one waiting longest. */
  get waitingSince(): number {
    return this.state.releasedAt;
  }

  /** A way in refused a destination the bot tried to reach (see Router.refused). */
  reportRefused(destination: string, via: string): void {
    this.judge.reportRefused(destination, via);
  }

  /**
   * Marks a request of this run as answered by the token service (for the transcript). `refusal`
   * says why the endpoint refused it: the run's failure, if any, names it.
   */
  recordToken(req: InboundRequest, res: OutboundResponse, latencyMs: number, refusal?: string): void {
    const state = this.state;
    if (state.phase === 'ended') return;
    state.record('bot', 'graph', 'token-request', { method: req.method, url: req.path, label: 'token request' });
    const entry = state.record('graph', 'bot', 'token-response', { status: res.status, latencyMs, body: refusal ? res.body : undefined, label: refusal ? `${res.status} token refused` : `${res.status} token` });
    if (refusal) {
      entry.failed = true;
      if (!state.tokenRefusals.includes(refusal)) state.tokenRefusals.push(refusal);
    }
  }

  /**
   * A request the Router could give to no run, or that names a run that ended: kept in this run's
   * transcript (nothing the bot sends is lost) and judged by nobody; a `missing` finding may name it
   * as the closest request.
   */
  recordStray(req: InboundRequest, reason: string, ended = false): void {
    if (this.state.phase === 'ended') return;
    this.state.record('bot', 'graph', 'request', { method: req.method, url: req.path, headers: req.headers, body: shownBody(req), label: `stray: ${actionLabel(req.method, canonicalPath(req.path))} (${reason})`, stray: { reason, ended } }, false);
  }

  // ---------------------------------------------------------------- messages

  /** A value for messages: known ids by name. */
  describe(value: unknown): string {
    return this.state.idNames.describe(value);
  }

  /** A path with known ids replaced by {name}. */
  describePath(path: string): string {
    return this.state.idNames.describePath(path);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Waits until expect step `index` is released (its requests matched), the run fails or ends, or
   * the step times out. A timeout is declared only after the requests that already arrived have
   * been read (a timer due while the event loop was busy fires before the poll phase reads them),
   * and only when the run's patience, if any, does not give the step more time.
   */
  private async awaitExpectations(index: number): Promise<void> {
    const state = this.state;
    const step = this.flow.steps[index]!;
    if (state.released[index]) return;
    const started = performance.now();
    let waited = step.timeoutMs;
    let extended = false;
    const ok = await new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settled = () => state.released[index] || state.failed || state.phase === 'ended';
      const finish = (result: boolean) => {
        if (timer) {
          clearTimeout(timer);
          state.timers.delete(timer);
        }
        timer = undefined;
        state.waiter = undefined;
        resolve(result);
      };
      const arm = (ms: number) => {
        const t = setTimeout(() => {
          state.timers.delete(t);
          // setImmediate runs after the poll phase: what arrived in time is read first
          setImmediate(() => {
            if (timer !== t) return; // settled meanwhile
            if (settled()) return finish(true);
            waited = performance.now() - started;
            const more = state.patience?.extraWaitMs(waited, step.timeoutMs) ?? 0;
            if (more > 0) {
              extended = true;
              arm(more);
            } else finish(false);
          });
        }, ms);
        timer = t;
        state.timers.add(t);
      };
      arm(step.timeoutMs);
      state.waiter = () => {
        if (settled()) finish(true);
      };
    });
    if (ok || this.failed || state.phase === 'ended') return;
    // the step's own timeout, unless patience gave it more time
    this.judge.reportMissing(index, extended ? Math.round(waited) : step.timeoutMs);
  }
}
