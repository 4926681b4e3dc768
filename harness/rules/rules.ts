/**
 * Call-state rules: checks that hold on every flow, whatever the flow lists. One RunObserver
 * (callStateRules) keeps a CallStateTracker for the run and checks each of the bot's Graph requests
 * against the calls' states, Graph's timing rules and its documented limits. The state and timing
 * checks are here; the others in their modules: call-kind-rules.ts (group vs P2P, media mode),
 * invite-rules.ts (replacesCallId), limits.ts. The table of rules is rule-table.ts.
 *
 * A rule that breaks reports a Finding with `rule: <id>`: `kind: 'incorrect'` for a request that
 * breaks it, `kind: 'missing'` for something not done in time. Severity `error` fails the flow;
 * `warning` is reported only (FlowOutcome.warnings). docs/rules.md holds the table of RULES
 * (tests/rules.spec.ts checks it is the text rulesMarkdownTable() renders).
 */
import type { ObserverContext, RunObserver } from '../engine/flow-run.js';
import type { Finding } from '../engine/findings.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { ACTIVE_STATES, CallStateTracker, ENDED_STATES, classifyRequest, isObject, type CallAction, type ClassifiedRequest, type TrackedCall } from './call-state.js';
import { checkCallKind } from './call-kind-rules.js';
import { checkReplacesCallId } from './invite-rules.js';
import { checkLimits } from './limits.js';
import { callName, duration, type RequestCheck, type Violations as ViolationSink } from './rule-helpers.js';
import { RULES, ruleInfo, type RuleId, type RuleInfo } from './rule-table.js';

export { RULES, ruleInfo, rulesMarkdownTable, type RuleId, type RuleInfo, type RuleSeverity } from './rule-table.js';

export interface RuleOptions {
  /** answer / reject / redirect deadline after the incoming-call notification (default 15000 ms) */
  answerDeadlineMs?: number;
  /** longest an established call may go without keepAlive (default 45 minutes) */
  keepAliveIntervalMs?: number;
  /** rule ids to switch off; `family/*` switches off a family, e.g. `limits/*` */
  disabled?: readonly string[];
  /**
   * The clock the time-based rules read, in ms (any origin). By default they read the run's clock:
   * each entry's `at` and, at the end of the run, ObserverContext.now(). A test gives its own to
   * drive time (an answer 20 s after the incoming call, 46 minutes without keepAlive) without
   * waiting for it; the rules then time every entry by it when they see it.
   */
  now?: () => number;
}

export const DEFAULT_ANSWER_DEADLINE_MS = 15_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 45 * 60_000;

/** The observer callStateRules() returns: a RunObserver that also exposes what it knows. */
export interface CallStateRules extends RunObserver {
  /** the calls of the run as seen so far */
  readonly tracker: CallStateTracker;
  /** the rules this observer checks (RULES minus the disabled ones) */
  readonly rules: readonly RuleInfo[];
}

/**
 * The call-state rules as one RunObserver. Make one per run (it keeps the run's call state):
 * `Harness.start({ ..., observers: () => [callStateRules()] })`. Throws on an unknown id in
 * `disabled`.
 */
export function callStateRules(options: RuleOptions = {}): CallStateRules {
  return new CallStateRulesObserver(options);
}

// ------------------------------------------------------------------ the observer

const ANSWER_LIKE: ReadonlySet<CallAction> = new Set(['answer', 'reject', 'redirect']);
const MEDIA_ACTIONS: ReadonlySet<CallAction> = new Set(['playPrompt', 'recordResponse', 'subscribeToTone', 'sendDtmfTones', 'cancelMediaProcessing']);
const ESTABLISHED_ONLY: ReadonlySet<CallAction> = new Set([
  ...MEDIA_ACTIONS,
  'transfer',
  'invite',
  'keepAlive',
  'mute',
  'unmute',
  'participantMute',
  'startHoldMusic',
  'stopHoldMusic',
  'muteAll',
  'configureMixer',
  'removeParticipant',
  'changeScreenSharingRole',
  'addLargeGalleryView',
]);
/** States in which a call needs no more keepAlive (it is ending or gone). */
const ENDING_STATES: ReadonlySet<string> = new Set(['terminating', 'terminated', 'deleted']);

class CallStateRulesObserver implements CallStateRules {
  readonly id = 'call-state';
  readonly tracker = new CallStateTracker();
  readonly rules: readonly RuleInfo[];
  private readonly enabled: ReadonlySet<string>;
  private readonly answerDeadlineMs: number;
  private readonly keepAliveIntervalMs: number;
  /** calls already reported by timing/keepalive (reported once) */
  private readonly keepAliveReported = new Set<string>();
  /** RuleOptions.now, read at the first entry: times are ms since then */
  private readonly clock: (() => number) | undefined;
  private origin: number | undefined;

  constructor(options: RuleOptions) {
    const disabled = options.disabled ?? [];
    for (const d of disabled) {
      const known = d.endsWith('/*') ? RULES.some((r) => r.id.startsWith(d.slice(0, -1))) : RULES.some((r) => r.id === d);
      if (!known) throw new Error(`unknown call-state rule "${d}" in disabled; known rules: ${RULES.map((r) => r.id).join(', ')} (or a family such as limits/*)`);
    }
    const off = (id: string) => disabled.some((d) => (d.endsWith('/*') ? id.startsWith(d.slice(0, -1)) : d === id));
    this.rules = RULES.filter((r) => !off(r.id));
    this.enabled = new Set(this.rules.map((r) => r.id));
    this.answerDeadlineMs = positive(options.answerDeadlineMs, DEFAULT_ANSWER_DEADLINE_MS, 'answerDeadlineMs');
    this.keepAliveIntervalMs = positive(options.keepAliveIntervalMs, DEFAULT_KEEPALIVE_INTERVAL_MS, 'keepAliveIntervalMs');
    this.clock = options.now;
  }

  /** When `entry` happened, ms into the run: its own time, or RuleOptions.now's reading now. */
  private timeOf(entry: TranscriptEntry): number {
    if (!this.clock) return entry.at;
    this.origin ??= this.clock() - entry.at;
    return this.clock() - this.origin;
  }

  /** The time at the end of the run (not before the last entry seen). */
  private endTime(ctx: ObserverContext): number {
    const now = this.clock ? (this.origin === undefined ? 0 : this.clock() - this.origin) : (ctx.now?.() ?? 0);
    return Math.max(this.tracker.latestAt, now);
  }

  onEntry(entry: TranscriptEntry, ctx: ObserverContext): void {
    const at = this.timeOf(entry);
    this.checkKeepAlive(at, ctx);
    if (entry.kind === 'request' && entry.method && entry.url) {
      const request = classifyRequest(entry.method, entry.url);
      if (request) this.checkRequest(entry, at, request, ctx);
    }
    this.tracker.observe(entry, ctx.stepOf(entry), at);
  }

  onEnd(ctx: ObserverContext): void {
    this.checkKeepAlive(this.endTime(ctx), ctx);
  }

  // ---------------------------------------------------------------- per request

  private checkRequest(entry: TranscriptEntry, at: number, req: ClassifiedRequest, ctx: ObserverContext): void {
    const call = req.callId ? this.tracker.calls.get(req.callId) : undefined;
    const what = `${entry.method!.toUpperCase()} ${ctx.describePath(entry.url!)}`;
    const v = new Violations(this, entry, ctx);

    // a recording may be fetched after the call ended (Graph discards it "shortly after the call ends")
    if (call && ENDED_STATES.has(call.state) && req.action !== 'downloadRecording') {
      const ended = [...call.history].reverse().find((h) => h.state === call.state);
      v.add(
        'state/after-terminated',
        `${what} was sent after call ${callName(call, ctx)} was ${call.state}${ended?.step !== undefined ? ` (step ${ended.step})` : ''}: Graph answers 404 / 8522 "Call not found" for a call that ended, so the bot must forget it and stop its timers`,
      );
    }
    const check: RequestCheck = {
      what,
      req,
      call,
      body: isObject(entry.body) ? entry.body : {},
      version: req.version ?? ctx.flow.api,
      tracker: this.tracker,
      ctx,
      v,
    };
    if (!call || !ENDED_STATES.has(call.state)) {
      if (ANSWER_LIKE.has(req.action)) this.checkAnswer(what, req, call, v, at, ctx);
      if (ESTABLISHED_ONLY.has(req.action)) this.checkEstablished(what, req, call, v, ctx);
      checkCallKind(check);
    }
    if (req.action === 'invite') checkReplacesCallId(check);
    checkLimits(check);
    v.flush();
  }

  private checkAnswer(what: string, req: ClassifiedRequest, call: TrackedCall | undefined, v: Violations, at: number, ctx: ObserverContext): void {
    if (!call || call.state === 'unknown') return; // a call the harness never announced: the flow's own matching deals with it
    const prior = call.actions.find((a) => ANSWER_LIKE.has(a.action) && (a.status === undefined || (a.status >= 200 && a.status < 300)));
    const priorText = prior ? `${prior.method} ${ctx.describePath(prior.url)}${prior.step !== undefined ? ` at step ${prior.step}` : ''}` : '';
    if (call.state !== 'incoming') {
      v.add(
        'state/answer-while-incoming',
        `${what} was sent while call ${callName(call, ctx)} is ${call.state}${prior ? ` (the bot already sent ${priorText})` : ''}: Graph accepts ${req.action} only on an incoming call, once`,
      );
      return;
    }
    if (prior) {
      v.add(
        'state/answer-while-incoming',
        `${what} was sent after the bot already sent ${priorText} for call ${callName(call, ctx)}: an incoming call is answered, rejected or redirected once`,
      );
      return;
    }
    if (call.incomingAt !== undefined) {
      const elapsed = at - call.incomingAt;
      if (elapsed > this.answerDeadlineMs) {
        v.add(
          'timing/answer-deadline',
          `${what} came ${duration(elapsed)} after the incoming-call notification of call ${callName(call, ctx)} (deadline ${duration(this.answerDeadlineMs)}): Graph drops a call that is not answered, rejected or redirected within 15 s (5 s for policy-based recording)`,
        );
      }
    }
  }

  private checkEstablished(what: string, req: ClassifiedRequest, call: TrackedCall | undefined, v: Violations, ctx: ObserverContext): void {
    const accepted = req.action === 'keepAlive' ? 'keepAlive' : MEDIA_ACTIONS.has(req.action) ? 'media actions' : req.action === 'invite' ? 'invites' : `${req.action}`;
    const why = `Graph accepts ${accepted} only on an established call`;
    if (!call || call.state === 'unknown') {
      v.add('state/established-only', `${what} was sent on a call the harness never reported established: ${why}`);
      return;
    }
    const answered = CallStateTracker.answered(call);
    const needsAnswer = call.direction === 'incoming' && !call.createdByBot;
    const ok =
      (!needsAnswer || answered) &&
      // keepAlive: any time after established until the call ended (a keepAlive racing a hang-up is fine)
      (req.action === 'keepAlive' ? call.establishedAt !== undefined : ACTIVE_STATES.has(call.state));
    if (ok) return;
    let state = String(call.state);
    if (needsAnswer && !answered) state += ' and the bot has not answered it';
    else if (call.state === 'incoming') state += ' (answered, not yet established)';
    v.add('state/established-only', `${what} was sent while call ${callName(call, ctx)} is ${state}: ${why}`);
  }

  // ---------------------------------------------------------------- timing

  private checkKeepAlive(now: number, ctx: ObserverContext): void {
    if (!this.enabled.has('timing/keepalive')) return;
    for (const call of this.tracker.calls.values()) {
      if (call.establishedAt === undefined || ENDING_STATES.has(call.state) || this.keepAliveReported.has(call.id)) continue;
      if (!CallStateTracker.owned(call)) continue; // not the bot's call
      const anchor = Math.max(call.establishedAt, call.lastKeepAliveAt ?? -Infinity);
      const silent = now - anchor;
      if (silent <= this.keepAliveIntervalMs) continue;
      this.keepAliveReported.add(call.id);
      const since = call.lastKeepAliveAt !== undefined ? `its last keepAlive (${duration(call.lastKeepAliveAt)} into the run)` : `it was established (${duration(call.establishedAt)} into the run)`;
      this.report(ctx, 'timing/keepalive', 'missing', `call ${callName(call, ctx)} got no keepAlive for ${duration(silent)} since ${since} (limit ${duration(this.keepAliveIntervalMs)}): Graph ends a call with no successful keepAlive within 45 minutes of its start or the previous keepAlive (408/8537)`);
    }
  }

  // ---------------------------------------------------------------- reporting

  isEnabled(id: RuleId): boolean {
    return this.enabled.has(id);
  }

  report(ctx: ObserverContext, id: RuleId, kind: 'incorrect' | 'missing', message: string, entry?: TranscriptEntry): void {
    if (!this.enabled.has(id)) return;
    const info = ruleInfo(id)!;
    const step = entry ? ctx.stepOf(entry) : ctx.currentStep();
    const finding: Finding = {
      kind,
      step,
      stepName: ctx.flow.steps[step - 1]?.name,
      message,
      severity: info.severity,
      rule: id,
    };
    if (entry) {
      finding.received = { method: entry.method!, url: entry.url!, body: entry.body };
      if (info.severity === 'error') entry.failed = true; // the sequence diagram marks the request
    }
    ctx.report(finding);
  }
}

/** Collects one request's violations and reports them errors first (the first error ends the flow). */
class Violations implements ViolationSink {
  private readonly items: Array<{ id: RuleId; message: string }> = [];
  constructor(
    private readonly rules: CallStateRulesObserver,
    private readonly entry: TranscriptEntry,
    private readonly ctx: ObserverContext,
  ) {}

  add(id: RuleId, message: string): void {
    if (this.rules.isEnabled(id)) this.items.push({ id, message });
  }

  flush(): void {
    const rank = (id: RuleId) => (ruleInfo(id)!.severity === 'error' ? 0 : 1);
    for (const item of [...this.items].sort((a, b) => rank(a.id) - rank(b.id))) this.rules.report(this.ctx, item.id, 'incorrect', item.message, this.entry);
  }
}

// ------------------------------------------------------------------ helpers

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
