/**
 * What one flow run knows, shared by its collaborators (the sequencer in flow-run.ts, the judge of
 * the bot's requests in request-judge.ts, the delivery to the bot in bot-delivery.ts): the scope of
 * ids, values and captures, which steps are released and which expects matched, the findings (the
 * first is the cause), the transcript and its observers, timers and the waiter woken on progress.
 *
 * Ordering model: a notify or trigger step is "released" once sent; an expect step once matched.
 */
import { randomUUID } from 'node:crypto';
import type { Finding } from './findings.js';
import { normalizeId } from './ids.js';
import { IdNames } from './id-names.js';
import type { CompiledExpect, CompiledFlow, CompiledStep } from './plan.js';
import type { EntryKind, Party, Transcript, TranscriptEntry } from './transcript.js';
import { round } from './explain.js';
import type { FlowRunOptions, ObserverContext, Patience } from './run-types.js';

/** running: steps in progress; quiet: after the last step; probing: a probe the bot must refuse (auth, refusal checks); ended */
export type RunPhase = 'running' | 'quiet' | 'ended' | 'probing';

/**
 * A delivery the bot must refuse or ignore (a broken token, hostile input): while the run probes,
 * any Graph request the bot sends is a finding of this shape.
 */
export interface Probe {
  kind: Finding['kind'];
  rule?: string;
  /** the 0-based step the probe stands in for */
  step: number;
  /** the finding's message, given the request the bot sent ("POST /v1.0/communications/calls/{call}/answer") */
  acted(request: string): string;
}

export class RunState {
  readonly flow: CompiledFlow;
  readonly opts: FlowRunOptions;
  readonly findings: Finding[] = [];
  readonly warnings: Finding[] = [];
  readonly transcript: Transcript;
  /** normalized form of every id minted for this run (the Router routes on these) */
  readonly mintedIds: string[] = [];
  /** ids, values and captures by name (the flow's templates render from it) */
  readonly scope = new Map<string, unknown>();
  readonly idNames = new IdNames();
  /** per step: sent (notify, trigger) or matched (expect, every expect of an unordered step) */
  readonly released: boolean[];
  readonly matched = new Set<CompiledExpect>();
  /** normalized call id -> the callbackUri the bot registered for it (answer / create) */
  readonly callbacks = new Map<string, string>();
  /** why the token endpoint refused the bot's token requests during this run (named in the failure) */
  readonly tokenRefusals: string[] = [];
  phase: RunPhase = 'running';
  /** what the run probes while phase is 'probing' */
  probe: Probe | undefined;
  /** when a step was last released (the Router hands an ambiguous request to the run waiting longest) */
  releasedAt = performance.now();
  /** called on progress (a release, a finding, the end): the sequencer waiting for an expect step */
  waiter: (() => void) | undefined;
  readonly timers = new Set<NodeJS.Timeout>();
  /** the pending sleep() calls, ended by endSleeps() */
  private readonly sleepers = new Set<() => void>();
  /** how long a step may wait past its timeout (FlowRunOptions.patience, FlowRun.setPatience) */
  patience: Patience | undefined;
  /** what observers get: built once per run */
  readonly observerContext: ObserverContext;
  /** the run's clock (FlowRunOptions.now) */
  readonly now: () => number;
  private readonly start: number;

  constructor(opts: FlowRunOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
    this.flow = opts.flow;
    this.patience = opts.patience;
    this.released = opts.flow.steps.map(() => false);
    for (const name of opts.flow.ids) {
      // the tenant is the harness's, the same for every run: bots cache tokens for it
      const id = name === 'tenant' && opts.tenant ? opts.tenant : randomUUID();
      this.scope.set(name, id);
      this.idNames.add(id, name);
      if (id !== opts.tenant) this.mintedIds.push(normalizeId(id));
    }
    if (opts.tenant && !this.scope.has('tenant')) this.scope.set('tenant', opts.tenant);
    for (const [k, v] of Object.entries(opts.flow.values)) this.scope.set(k, v);
    this.scope.set('graph', opts.graphBaseUrl);
    this.scope.set('botAppId', opts.botAppId);
    this.scope.set('botUrl', new URL(opts.webhookUrl).origin);
    this.scope.set('now', new Date().toISOString());
    this.transcript = { flow: opts.flow.name, startedAt: new Date().toISOString(), entries: [], idNames: this.idNames.byValue };
    this.observerContext = {
      flow: opts.flow,
      currentStep: () => this.currentStep() + 1,
      stepOf: (entry) => (entry.step !== undefined ? entry.step + 1 : this.observerContext.currentStep()),
      report: (f) => (f.severity === 'warning' ? this.warnings.push(f) : this.fail(f)),
      describe: (v) => this.idNames.describe(v),
      describePath: (p) => this.idNames.describePath(p),
      valueOf: (name) => this.scope.get(name),
      now: () => this.now() - this.start,
    };
  }

  get failed(): boolean {
    return this.findings.length > 0;
  }

  /** Records the run's finding: the first is the cause, later ones are consequences and dropped. */
  fail(finding: Finding): void {
    if (this.findings.length > 0) return;
    if (this.tokenRefusals.length > 0) finding = { ...finding, message: `${finding.message}; meanwhile ${this.tokenRefusals.join('; ')}` };
    this.findings.push(finding);
    this.wake();
  }

  wake(): void {
    this.waiter?.();
  }

  /** Marks step `index` released (sent or matched). */
  release(index: number): void {
    this.released[index] = true;
    this.releasedAt = performance.now(); // compared across runs by the Router: the real clock, not the run's
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.timers.delete(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.timers.add(t);
      this.sleepers.add(done);
    });
  }

  /**
   * Ends every pending sleep at once (the run is being disposed): clearing their timers alone left
   * them pending forever, and a run disposed during a notification's delay or the quiet period
   * never returned (an interrupted `callreplay load` hung).
   */
  endSleeps(): void {
    for (const done of [...this.sleepers]) done();
  }

  firstUnreleased(): number {
    let i = 0;
    while (i < this.released.length && this.released[i]) i++;
    return i;
  }

  /** The 0-based step the run stands at: the first unreleased one, else the last. */
  currentStep(): number {
    return Math.min(this.firstUnreleased(), this.flow.steps.length - 1);
  }

  /** The expects of `step` not matched yet (none for notify and trigger steps). */
  openExpects(step: CompiledStep): CompiledExpect[] {
    if (step.kind === 'expect') return this.matched.has(step) ? [] : [step];
    if (step.kind === 'unordered') return step.expects.filter((e) => !this.matched.has(e));
    return [];
  }

  /** Appends a transcript entry; observers see it unless `observe` is false (they are shown it later). */
  record(from: Party, to: Party, kind: EntryKind, fields: Omit<TranscriptEntry, 'seq' | 'at' | 'from' | 'to' | 'kind'>, observe = true): TranscriptEntry {
    const entry: TranscriptEntry = { seq: this.transcript.entries.length, at: round(this.now() - this.start), from, to, kind, ...fields };
    if (entry.latencyMs !== undefined) entry.latencyMs = round(entry.latencyMs);
    this.transcript.entries.push(entry);
    this.opts.onEntry?.(entry);
    if (observe) this.observe(entry);
    return entry;
  }

  /** Shows an entry to the run's observers (not during an auth probe). */
  observe(entry: TranscriptEntry): void {
    if (this.opts.observers && this.phase !== 'probing') for (const o of this.opts.observers) o.onEntry(entry, this.observerContext);
  }
}
