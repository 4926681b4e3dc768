/**
 * What a Playwright worker asks of the run's session (the one harness and the one bot of a
 * `callreplay run`, living in the Playwright runner process, see global-setup.ts): start a flow
 * run, play it step by step, probe, and read what the bot printed. Every value is plain JSON: the
 * same interface is served in-process (RunSession) and over loopback HTTP (session-server.ts).
 */
import type { Finding } from '../engine/findings.js';
import type { FlowOutcome, StepOutcome } from '../engine/run-types.js';
import type { AuthVariant } from '../engine/ports.js';
import type { RefusalCheck } from '../engine/refusal-checks.js';
import type { Transcript, TranscriptEntry } from '../engine/transcript.js';
import type { VariantKind } from '../variants/index.js';

/** A flow of the run: the flow file, and the robustness variant of it (absent: the flow itself). */
export interface RunRef {
  flowFile: string;
  variant?: VariantKind;
}

/** The bot as a test sees it at one moment (absent when the bot was started by hand). */
export interface BotSnapshot {
  running: boolean;
  /** e.g. "exited with code 1" */
  exitDescription: string;
  /** what the bot printed since the run (or probe) began */
  output: string;
}

/** Why a flow's variants and auth check are not run: the flow itself failed. */
export interface BaseVerdict {
  flow: string;
  status: 'passed' | 'failed';
  /** 1-based step number of the failure (absent: after the last step, or before the first) */
  failedStep?: number;
  /** e.g. "failed at step 4 (expect POST /app/calls/{p2pCall}/participants/invite)" */
  summary?: string;
}

export interface StartedRun {
  id: string;
  /** the bot was restarted before this run (it had died): what happened to it */
  botRestarted?: string;
}

/** What happened at one step, for the report: its transcript entries and the run's id names so far. */
export interface StepExchange {
  entries: TranscriptEntry[];
  /** e.g. { "57dab8b1-…": "p2pCall" } */
  idNames: Record<string, string>;
}

export interface StepResult {
  outcome: StepOutcome;
  bot?: BotSnapshot;
  /** the step's entries (and, when it failed, the message the finding is about) */
  exchange?: StepExchange;
}

export interface FinishResult {
  outcome: FlowOutcome;
  bot?: BotSnapshot;
  /** what came after the last step (the quiet period): every entry not shown with a step */
  exchange?: StepExchange;
}

/** Everything a run leaves for the report, given back when it is released. */
export interface RunRecord {
  transcript: Transcript;
  findings: Finding[];
  warnings: Finding[];
  /** how many other calls were in flight at some moment of this run (0: it ran alone) */
  overlapped: number;
  /** a request the harness gave this run by timing alone (several calls waited for it and it fit them all) */
  guessedRoute?: string;
  bot?: BotSnapshot;
}

/** A probe or a whole run played at once (auth probe, refusal check, re-run alone). */
export interface ProbeResult {
  outcome: FlowOutcome;
  bot?: BotSnapshot;
  botRestarted?: string;
}

export interface SessionApi {
  startRun(ref: RunRef): Promise<StartedRun>;
  runStep(id: string, index: number): Promise<StepResult>;
  /** the quiet window after the last step ("no further requests") */
  finish(id: string): Promise<FinishResult>;
  release(id: string): Promise<RunRecord>;
  /** plays the flow again with no other call in flight (waits for the others, holds new ones back) */
  runAlone(ref: RunRef): Promise<ProbeResult & { record: RunRecord }>;
  probeAuth(flowFile: string, variant: AuthVariant): Promise<ProbeResult>;
  probeRefusal(check: RefusalCheck): Promise<ProbeResult>;
  /** records how a flow ended, for its variants and auth check (run after it, in order) */
  settleBase(verdict: BaseVerdict): Promise<void>;
  baseVerdict(flow: string): Promise<BaseVerdict | undefined>;
}
