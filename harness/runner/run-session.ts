/**
 * The session of a `callreplay run`: one harness and one bot for the whole run, shared by every
 * Playwright worker (global-setup.ts serves it to them). It outlives failed tests: a bot is
 * restarted only when it died, and the restart is reported. Flows may overlap (as Graph sends
 * many calls at once); a flow can be played again alone to tell an overlap failure apart.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BotLiveness, FlowRun } from '../engine/flow-run.js';
import type { AuthVariant } from '../engine/ports.js';
import type { CompiledFlow } from '../engine/plan.js';
import type { RefusalCheck } from '../engine/refusal-checks.js';
import { parseFlow } from '../flow/load-flow.js';
import { mapTriggers } from '../flow/trigger-mapping.js';
import { applicableVariants } from '../variants/index.js';
import { startBot, type BotUnderTest } from './bot-under-test.js';
import { Harness } from './harness.js';
import { RunGate } from './run-gate.js';
import type { RunConfig } from './run-config.js';
import { observersFor } from './run-checks.js';
import type { BotRestart } from './session-file.js';
import { idsOfCall, linesOfCall } from './bot-output-lines.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import type { BaseVerdict, BotSnapshot, FinishResult, ProbeResult, RunRecord, RunRef, SessionApi, StartedRun, StepExchange, StepResult } from './session-api.js';


/** The bot as one run sees it: the process then, and its output mark at the run's start. */
interface BotWatch {
  bot: BotUnderTest;
  mark: number;
  liveness: BotLiveness | undefined;
}

interface LiveRun extends BotWatch {
  run: FlowRun;
  /** the transcript entries already given with a step (by seq) */
  shown: Set<number>;
}

/** How many ended calls' ids the session keeps to tell their late output lines apart. */
const RECENT_CALLS = 64;

export class RunSession implements SessionApi {
  readonly restarts: BotRestart[] = [];
  private readonly flows = new Map<string, CompiledFlow>();
  private readonly runs = new Map<string, LiveRun>();
  private readonly verdicts = new Map<string, BaseVerdict>();
  private readonly gate = new RunGate();
  private restarting: Promise<void> | undefined;
  /** the ids of the calls that ended lately (runs and probes): their late lines are told apart from a call's own */
  private readonly recentIds: Array<Set<string>> = [];

  private constructor(
    readonly harness: Harness,
    private bot: BotUnderTest,
    private readonly config: RunConfig,
  ) {}

  /** Starts the harness and the bot of `config`; closes the harness if the bot does not start. */
  static async start(config: RunConfig): Promise<RunSession> {
    const harness = await Harness.start({
      transport: 'gateway',
      intercept: config.intercept,
      ports: config.ports,
      caDir: config.caDir,
      botAppId: config.appId,
      tenant: config.tenant,
      observers: observersFor(config.checks),
    });
    try {
      return new RunSession(harness, await startBot(config.bot, harness), config);
    } catch (e) {
      await harness.close();
      throw e;
    }
  }

  async startRun(ref: RunRef): Promise<StartedRun> {
    const botRestarted = await this.ensureBot();
    const id = randomUUID();
    await this.gate.shared(id);
    const watch = this.watchBot();
    this.runs.set(id, { ...watch, run: this.harness.createRun(this.flow(ref), watch.bot.webhookUrl, undefined, watch.liveness), shown: new Set() });
    return { id, botRestarted };
  }

  async runStep(id: string, index: number): Promise<StepResult> {
    const live = this.live(id);
    const outcome = await live.run.runStep(index);
    const exchange = exchangeOf(live, (e) => e.step === index || (outcome.status === 'failed' && e.failed === true));
    return { outcome, bot: outcome.status === 'failed' ? this.snapshot(live, live.run.transcript.idNames) : undefined, exchange };
  }

  async finish(id: string): Promise<FinishResult> {
    const live = this.live(id);
    const outcome = await live.run.finish();
    // after the last step: what came since, and the message a late finding is about (shown again)
    return { outcome, bot: outcome.status === 'failed' ? this.snapshot(live, live.run.transcript.idNames) : undefined, exchange: exchangeOf(live, () => true, (e) => e.failed === true) };
  }

  async release(id: string): Promise<RunRecord> {
    const live = this.live(id);
    this.runs.delete(id);
    this.harness.release(live.run);
    const overlapped = this.gate.leave(id);
    const bot = this.snapshot(live, live.run.transcript.idNames);
    this.ended(live.run.transcript.idNames);
    return { transcript: live.run.transcript, findings: live.run.findings, warnings: live.run.warnings, overlapped, guessedRoute: live.run.guessedRoute, bot };
  }

  async runAlone(ref: RunRef): Promise<ProbeResult & { record: RunRecord }> {
    const botRestarted = await this.ensureBot();
    return this.gate.alone(async () => {
      const watch = this.watchBot();
      const outcome = await this.harness.run(this.flow(ref), watch.bot.webhookUrl, watch.liveness);
      const record = { transcript: outcome.transcript, findings: outcome.findings, warnings: outcome.warnings, overlapped: 0, bot: this.snapshot(watch, outcome.transcript.idNames) };
      this.ended(outcome.transcript.idNames);
      return { outcome, bot: record.bot, botRestarted, record };
    });
  }

  async probeAuth(flowFile: string, variant: AuthVariant): Promise<ProbeResult> {
    return this.probe((watch) => this.harness.probeAuth(this.flow({ flowFile }), watch.bot.webhookUrl, variant, watch.liveness));
  }

  async probeRefusal(check: RefusalCheck): Promise<ProbeResult> {
    return this.probe((watch) => this.harness.probeRefusal(check, watch.bot.webhookUrl, watch.liveness));
  }

  async settleBase(verdict: BaseVerdict): Promise<void> {
    this.verdicts.set(verdict.flow, verdict);
  }

  async baseVerdict(flow: string): Promise<BaseVerdict | undefined> {
    return this.verdicts.get(flow);
  }

  async close(): Promise<void> {
    for (const live of this.runs.values()) this.harness.release(live.run);
    this.runs.clear();
    await this.bot.process?.stop();
    await this.harness.close();
  }

  /** A probe (the harness plays it on a run of its own) among the calls in flight. */
  private async probe(play: (watch: BotWatch) => Promise<ProbeResult['outcome']>): Promise<ProbeResult> {
    const botRestarted = await this.ensureBot();
    const id = randomUUID();
    await this.gate.shared(id);
    try {
      const watch = this.watchBot();
      const outcome = await play(watch);
      const bot = this.snapshot(watch, outcome.transcript.idNames);
      this.ended(outcome.transcript.idNames);
      return { outcome, bot, botRestarted };
    } finally {
      this.gate.leave(id);
    }
  }

  /** The bot as a call saw it: its process, and what it printed about this call since the call began. */
  private snapshot(watch: BotWatch, idNames: Readonly<Record<string, string>>): BotSnapshot | undefined {
    const process = watch.bot.process;
    if (!process) return undefined;
    const others = [...this.recentIds, ...[...this.runs.values()].filter((r) => r !== watch).map((r) => idsOfCall(r.run.transcript.idNames))];
    return { running: process.running, exitDescription: process.exitDescription, output: linesOfCall(process.logSince(watch.mark), idsOfCall(idNames), others) };
  }

  private ended(idNames: Readonly<Record<string, string>>): void {
    this.recentIds.push(idsOfCall(idNames));
    if (this.recentIds.length > RECENT_CALLS) this.recentIds.shift();
  }

  /** The bot now, and where its output stands (for what it prints during one run, and whether it exits then). */
  private watchBot(): BotWatch {
    const mark = this.bot.process?.mark() ?? 0;
    return { bot: this.bot, mark, liveness: this.bot.process?.liveness(mark) };
  }

  /** Restarts a bot the harness started if it has died; says how it had ended. */
  private async ensureBot(): Promise<string | undefined> {
    const process = this.bot.process;
    if (!process || process.running) {
      if (this.restarting) await this.restarting;
      return undefined;
    }
    const exit = process.exitDescription;
    if (!this.restarting) {
      this.restarting = (async () => {
        this.bot = await startBot({ ...this.config.bot, url: this.bot.webhookUrl }, this.harness);
        this.restarts.push({ exit, at: new Date().toISOString() });
      })().finally(() => (this.restarting = undefined));
    }
    await this.restarting;
    return `the bot ${exit} and was restarted before this test`;
  }

  private flow(ref: RunRef): CompiledFlow {
    const key = `${ref.flowFile}#${ref.variant ?? ''}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const base = parseFlow(readFileSync(ref.flowFile, 'utf8'), ref.flowFile);
      const chosen = ref.variant ? applicableVariants(base, [ref.variant])[0] : base;
      if (!chosen) throw new Error(`the variant ${ref.variant} does not apply to ${ref.flowFile}`);
      // triggers mapped to the bot's own endpoints (--trigger): checked against the flows by the CLI
      flow = mapTriggers(chosen, this.config.triggers);
      this.flows.set(key, flow);
    }
    return flow;
  }

  private live(id: string): LiveRun {
    const live = this.runs.get(id);
    if (!live) throw new Error(`no run ${id} in this session (released, or started by another session)`);
    return live;
  }
}

/** The entries of `live`'s transcript that `pick` chooses and no earlier step showed (token requests are not steps). */
function exchangeOf(live: LiveRun, pick: (e: TranscriptEntry) => boolean, again: (e: TranscriptEntry) => boolean = () => false): StepExchange {
  const transcript = live.run.transcript;
  const entries = transcript.entries.filter((e) => (again(e) || !live.shown.has(e.seq)) && !e.kind.startsWith('token') && pick(e));
  for (const e of entries) live.shown.add(e.seq);
  return { entries: structuredClone(entries), idNames: { ...transcript.idNames } };
}
