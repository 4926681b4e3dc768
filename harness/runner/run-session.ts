/**
 * The session of a `callreplay run`: one harness and one bot for the whole run, shared by every
 * Playwright worker (global-setup.ts serves it to them). It outlives failed tests: a bot is
 * restarted only when it died, and the restart is reported. Flows may overlap (as Graph sends
 * many calls at once); a flow can be played again alone to tell an overlap failure apart.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FlowRun } from '../engine/flow-run.js';
import type { AuthVariant } from '../engine/ports.js';
import type { CompiledFlow } from '../engine/plan.js';
import type { RefusalCheck } from '../engine/refusal-checks.js';
import { parseFlow } from '../flow/load-flow.js';
import { applicableVariants } from '../variants/index.js';
import { startBot, type BotUnderTest } from './bot-under-test.js';
import { Harness } from './harness.js';
import { RunGate } from './run-gate.js';
import type { RunConfig } from './run-config.js';
import { observersFor } from './run-checks.js';
import type { BotRestart } from './session-file.js';
import type { BaseVerdict, BotSnapshot, FinishResult, ProbeResult, RunRecord, RunRef, SessionApi, StartedRun, StepResult } from './session-api.js';


interface LiveRun {
  run: FlowRun;
  bot: BotUnderTest;
  mark: number;
}

export class RunSession implements SessionApi {
  readonly restarts: BotRestart[] = [];
  private readonly flows = new Map<string, CompiledFlow>();
  private readonly runs = new Map<string, LiveRun>();
  private readonly verdicts = new Map<string, BaseVerdict>();
  private readonly gate = new RunGate();
  private restarting: Promise<void> | undefined;

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
    const mark = this.bot.process?.mark() ?? 0;
    const run = this.harness.createRun(this.flow(ref), this.bot.webhookUrl, undefined, this.bot.process?.liveness(mark));
    this.runs.set(id, { run, bot: this.bot, mark });
    return { id, botRestarted };
  }

  async runStep(id: string, index: number): Promise<StepResult> {
    const live = this.live(id);
    const outcome = await live.run.runStep(index);
    return { outcome, bot: outcome.status === 'failed' ? snapshot(live) : undefined };
  }

  async finish(id: string): Promise<FinishResult> {
    const live = this.live(id);
    const outcome = await live.run.finish();
    return { outcome, bot: outcome.status === 'failed' ? snapshot(live) : undefined };
  }

  async release(id: string): Promise<RunRecord> {
    const live = this.live(id);
    this.runs.delete(id);
    this.harness.release(live.run);
    const overlapped = this.gate.leave(id);
    return { transcript: live.run.transcript, findings: live.run.findings, warnings: live.run.warnings, overlapped, guessedRoute: live.run.guessedRoute, bot: snapshot(live) };
  }

  async runAlone(ref: RunRef): Promise<ProbeResult & { record: RunRecord }> {
    const botRestarted = await this.ensureBot();
    return this.gate.alone(async () => {
      const live = this.begin(this.flow(ref));
      try {
        const outcome = await live.run.run();
        const record = { transcript: outcome.transcript, findings: outcome.findings, warnings: outcome.warnings, overlapped: 0, bot: snapshot(live) };
        return { outcome, bot: record.bot, botRestarted, record };
      } finally {
        this.harness.release(live.run);
      }
    });
  }

  async probeAuth(flowFile: string, variant: AuthVariant): Promise<ProbeResult> {
    return this.probe(this.flow({ flowFile }), (run) => run.probeAuth(variant));
  }

  async probeRefusal(check: RefusalCheck): Promise<ProbeResult> {
    const { refusalFlow } = await import('../engine/auth-probe.js');
    return this.probe(refusalFlow(check), (run) => run.probeRefusal(check));
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

  private async probe(flow: CompiledFlow, play: (run: FlowRun) => Promise<ProbeResult['outcome']>): Promise<ProbeResult> {
    const botRestarted = await this.ensureBot();
    const id = randomUUID();
    await this.gate.shared(id);
    const live = this.begin(flow);
    try {
      const outcome = await play(live.run);
      return { outcome, bot: snapshot(live), botRestarted };
    } finally {
      this.harness.release(live.run);
      this.gate.leave(id);
    }
  }

  private begin(flow: CompiledFlow): LiveRun {
    const mark = this.bot.process?.mark() ?? 0;
    return { run: this.harness.createRun(flow, this.bot.webhookUrl, undefined, this.bot.process?.liveness(mark)), bot: this.bot, mark };
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
      flow = ref.variant ? applicableVariants(base, [ref.variant])[0] : base;
      if (!flow) throw new Error(`the variant ${ref.variant} does not apply to ${ref.flowFile}`);
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

function snapshot(live: LiveRun): BotSnapshot | undefined {
  const process = live.bot.process;
  if (!process) return undefined;
  return { running: process.running, exitDescription: process.exitDescription, output: process.logSince(live.mark) };
}
