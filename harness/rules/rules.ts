/**
 * Call-state rules: checks that hold on every flow, whatever the flow lists. One RunObserver
 * (callStateRules) keeps a CallStateTracker for the run and checks each of the bot's Graph requests
 * against the calls' states, Graph's timing rules and its documented limits.
 *
 * A rule that breaks reports a Finding with `rule: <id>`: `kind: 'incorrect'` for a request that
 * breaks it, `kind: 'missing'` for something not done in time. Severity `error` fails the flow;
 * `warning` is reported only (FlowOutcome.warnings). docs/rules.md holds the table of RULES
 * (tests/rules.spec.ts checks it is the text rulesMarkdownTable() renders).
 */
import type { ObserverContext, RunObserver } from '../engine/flow-run.js';
import type { Finding } from '../engine/findings.js';
import { normalizeCallReference, sameId } from '../engine/ids.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { CallStateTracker, ENDED_STATES, classifyRequest, isObject, type CallAction, type ClassifiedRequest, type TrackedCall } from './call-state.js';

export type RuleSeverity = 'error' | 'warning';

export interface RuleInfo {
  /** stable id, `family/name`; findings carry it as `rule` */
  readonly id: string;
  /** 'error' fails the flow; 'warning' is reported only */
  readonly severity: RuleSeverity;
  /** one line: what it checks */
  readonly doc: string;
  /** why: the Graph documentation or known pitfall it comes from */
  readonly why: string;
}

const RULE_TABLE = [
  {
    id: 'state/answer-while-incoming',
    severity: 'error',
    doc: 'answer, reject and redirect are sent only while the call is incoming, and only one of them, once, per call',
    why: 'call-answer: "The bot is expected to answer, reject, or redirect the call before the call times out"; call-redirect: "Redirect an incoming call that hasn\'t been answered or rejected yet"; a second answer, or an answer after establishment, has no incoming call to act on',
  },
  {
    id: 'state/established-only',
    severity: 'error',
    doc: 'transfer, invite, playPrompt, recordResponse, subscribeToTone, sendDtmfTones, cancelMediaProcessing, mute/unmute, participant actions, changeScreenSharingRole, addLargeGalleryView and keepAlive are sent only on a call the harness reported established (an incoming call: answered and established)',
    why: 'Graph acts on a call only once it is established; an invite before the meeting call is established fails (comms-samples #16); the 2xx of answer or create means accepted, not established, and "establishing/established notifications may arrive out of order" (microsoft-graph-docs #20006), so a bot waits for the established notification',
  },
  {
    id: 'state/after-terminated',
    severity: 'error',
    doc: 'no request about a call after the harness reported it terminated or deleted',
    why: 'Graph answers 404 / 8522 "Call not found" for a call that ended (call-keepAlive, docs-contrib #4849); the bot must forget the call and stop its timers',
  },
  {
    id: 'timing/answer-deadline',
    severity: 'error',
    doc: 'answer, reject or redirect comes within answerDeadlineMs (default 15 s) of the incoming-call notification',
    why: 'call-answer: "The current timeout value is 15 seconds for regular scenarios, and 5 seconds for policy-based recording"; a late answer gets 8522 or the call ends 408/1106 (comms-samples #191, cold starts)',
  },
  {
    id: 'timing/keepalive',
    severity: 'error',
    doc: 'a call the bot answered or created that stays established longer than keepAliveIntervalMs (default 45 min) since it was established or since its last successful keepAlive gets a keepAlive',
    why: 'call-keepAlive: "At least one successful request must be made within 45 minutes of the previous request, or the start of the call"; otherwise Graph ends the call with 408/8537',
  },
  {
    id: 'invite/replaces-call-id',
    severity: 'error',
    doc: 'an invite with replacesCallId invites exactly one participant, and replacesCallId names another established call of this run (not the call the invite is posted on)',
    why: 'participant-invite example 3: "The invite API supports only one participant when replacesCallId is provided"; invitationParticipantInfo.replacesCallId is "The call which the target identity is currently a part of. This call will be dropped once the participant is added", so it must be a live call other than the one invited into',
  },
  {
    id: 'invite/replaces-remote-party',
    severity: 'warning',
    doc: 'the identity invited with replacesCallId is the remote party of the replaced call (the caller of an incoming call, the single target of a call the bot placed)',
    why: 'participant-invite example 3 ("replacing an existing Peer-to-Peer call"): the invitee is the other party of the P2P call being replaced; a bot that invites somebody else cuts the caller off when Graph drops the replaced call (a warning: the identity may be spelled differently, e.g. a phone vs a user)',
  },
  {
    id: 'limits/play-prompt-prompts',
    severity: 'error',
    doc: 'playPrompt has 1 to 20 prompts',
    why: 'call-playPrompt: prompts is required; "The maximum supported MediaPrompt collection size is 20"',
  },
  {
    id: 'limits/record-response-prompts',
    severity: 'error',
    doc: 'recordResponse has at most 1 prompt',
    why: 'call-record: "The maximum supported mediaPrompt collection size is 1"',
  },
  {
    id: 'limits/record-response-durations',
    severity: 'error',
    doc: 'recordResponse initialSilenceTimeoutInSeconds, maxSilenceTimeoutInSeconds and maxRecordDurationInSeconds, when given, are whole seconds from 1 to 120',
    why: 'call-record: "Min = 1 second, Max = 120 seconds" for each; a recording is at most 2 minutes',
  },
  {
    id: 'limits/client-context',
    severity: 'error',
    doc: 'clientContext (any action) has at most 256 characters',
    why: 'commsOperation and every action page: "Unique Client Context string. Max limit is 256 chars."',
  },
  {
    id: 'limits/redirect-targets',
    severity: 'error',
    doc: 'redirect has 1 to 25 targets',
    why: 'call-redirect: targets is required; "We support up to 25 targets for simulring"',
  },
  {
    id: 'limits/redirect-timeout',
    severity: 'error',
    doc: 'redirect timeout, when given, is whole seconds from 15 to 90',
    why: 'call-redirect: "The range of the timeout value is between 15 and 90 seconds inclusive"',
  },
  {
    id: 'limits/invite-participants',
    severity: 'error',
    doc: 'participants/invite has 1 to 5 participants',
    why: 'participant-invite: participants is required; "Inviting up to 5 participants is supported"',
  },
] as const satisfies readonly RuleInfo[];

/** Every call-state rule, in the order docs and reports list them. */
export const RULES: readonly RuleInfo[] = RULE_TABLE;

export type RuleId = (typeof RULE_TABLE)[number]['id'];

export function ruleInfo(id: string): RuleInfo | undefined {
  return RULES.find((r) => r.id === id);
}

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

/** Markdown table of `rules` (id, severity, what it checks, why), as docs/rules.md holds it. */
export function rulesMarkdownTable(rules: readonly RuleInfo[] = RULES): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| id | severity | what it checks | why (source) |', '|---|---|---|---|'];
  for (const r of rules) lines.push(`| \`${r.id}\` | ${r.severity} | ${cell(r.doc)} | ${cell(r.why)} |`);
  return lines.join('\n');
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
/** States in which a call that was established takes mid-call actions. */
const ACTIVE_STATES: ReadonlySet<string> = new Set(['established', 'hold']);
/** States in which a call needs no more keepAlive (it is ending or gone). */
const ENDING_STATES: ReadonlySet<string> = new Set(['terminating', 'terminated', 'deleted']);

const CLIENT_CONTEXT_MAX = 256;
const RECORD_DURATION_FIELDS = ['initialSilenceTimeoutInSeconds', 'maxSilenceTimeoutInSeconds', 'maxRecordDurationInSeconds'] as const;

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
    } else {
      if (ANSWER_LIKE.has(req.action)) this.checkAnswer(what, req, call, v, at, ctx);
      if (ESTABLISHED_ONLY.has(req.action)) this.checkEstablished(what, req, call, v, ctx);
    }
    if (req.action === 'invite') this.checkReplacesCallId(what, req, entry.body, v, ctx);
    this.checkLimits(what, req, entry.body, v);
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

  private checkReplacesCallId(what: string, req: ClassifiedRequest, body: unknown, v: Violations, ctx: ObserverContext): void {
    const participants = isObject(body) && Array.isArray(body['participants']) ? (body['participants'] as unknown[]) : [];
    const replacing = participants.find((p): p is Record<string, unknown> => isObject(p) && typeof p['replacesCallId'] === 'string' && p['replacesCallId'] !== '');
    if (!replacing) return;
    const replacesCallId = replacing['replacesCallId'] as string;
    if (participants.length !== 1) {
      v.add(
        'invite/replaces-call-id',
        `${what} has replacesCallId ${ctx.describe(replacesCallId)} and ${participants.length} participants: an invite that replaces a call invites exactly one participant (Graph reads only the first)`,
      );
    }
    const rid = normalizeCallReference(replacesCallId);
    const posted = req.callId ? this.tracker.calls.get(req.callId) : undefined;
    if (req.callId === rid) {
      v.add(
        'invite/replaces-call-id',
        `${what} has replacesCallId naming call ${posted ? callName(posted, ctx) : ctx.describe(replacesCallId)}, the call the invite is posted on: it must name the bot's other call the invitee is in (e.g. the P2P call)`,
      );
      return;
    }
    const target = this.tracker.calls.get(rid);
    if (!target || target.state === 'unknown') {
      v.add('invite/replaces-call-id', `${what} has replacesCallId ${ctx.describe(replacesCallId)}, which is not a call of this run: it must name the bot's established call the invitee is in`);
      return;
    }
    if (!ACTIVE_STATES.has(target.state)) {
      v.add('invite/replaces-call-id', `${what} has replacesCallId naming call ${callName(target, ctx)}, which is ${target.state}: the replaced call must be established`);
      return;
    }
    const remote = target.remoteParty;
    if (!remote) return;
    const invited = isObject(replacing['identity']) ? replacing['identity'] : undefined;
    if (!sameIdentity(invited, remote)) {
      v.add(
        'invite/replaces-remote-party',
        `${what} invites ${identityText(invited, ctx)} to replace call ${callName(target, ctx)}, whose remote party is ${identityText(remote, ctx)}: the invitee should be the party of the replaced call (Graph drops that call once the invitee joined)`,
      );
    }
  }

  private checkLimits(what: string, req: ClassifiedRequest, body: unknown, v: Violations): void {
    const b = isObject(body) ? body : {};
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
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- timing

  private checkKeepAlive(now: number, ctx: ObserverContext): void {
    if (!this.enabled.has('timing/keepalive')) return;
    for (const call of this.tracker.calls.values()) {
      if (call.establishedAt === undefined || ENDING_STATES.has(call.state) || this.keepAliveReported.has(call.id)) continue;
      if (!call.createdByBot && !CallStateTracker.answered(call)) continue; // not the bot's call
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
class Violations {
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

/** `{call}` for an id the flow minted, else the id as first seen. */
function callName(call: TrackedCall, ctx: ObserverContext): string {
  return ctx.describePath(call.rawId);
}

function countOf(value: unknown): number | undefined {
  return Array.isArray(value) ? value.length : undefined;
}

/** Two identitySets name the same party when some kind (user, application, phone, ...) has the same id in both. */
function sameIdentity(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  if (!a) return false;
  const ids = (set: Record<string, unknown>) =>
    Object.entries(set).flatMap(([kind, v]) => (isObject(v) && typeof v['id'] === 'string' ? [[kind, v['id']] as const] : []));
  const theirs = ids(b);
  if (theirs.length === 0) return true; // nothing to compare with
  return ids(a).some(([kind, id]) => theirs.some(([k, other]) => k === kind && sameId(id, other)));
}

function identityText(identity: Record<string, unknown> | undefined, ctx: ObserverContext): string {
  if (!identity) return 'no identity';
  const parts = Object.entries(identity).flatMap(([kind, v]) => (isObject(v) && typeof v['id'] === 'string' ? [`${kind} ${ctx.describe(v['id'])}`] : []));
  return parts.length ? parts.join(' + ') : ctx.describe(identity);
}

/** 1234 -> "1234 ms"; 65000 -> "65 s"; 2700000 -> "45 min". */
function duration(ms: number): string {
  const r = Math.round(ms);
  if (r >= 120_000 && r % 60_000 === 0) return `${r / 60_000} min`;
  if (r >= 10_000) return `${Math.round(r / 100) / 10} s`;
  return `${r} ms`;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
