/**
 * The types at the edges of a flow run: what a FlowRun is given (options, the bot's liveness, what
 * the Router knows of a request's token), the checks that watch it (observers) and what it returns.
 */
import type { Finding } from './findings.js';
import type { CompiledFlow, CompiledStep } from './plan.js';
import type { HttpClient, InboundRequest, NotificationSigner, OutboundResponse } from './ports.js';
import type { Transcript, TranscriptEntry } from './transcript.js';

export interface FlowRunOptions {
  flow: CompiledFlow;
  http: HttpClient;
  /** the bot's calling webhook, e.g. http://127.0.0.1:3978/api/calls */
  webhookUrl: string;
  /** the Graph base URL as the bot sees it (${graph} in templates) */
  graphBaseUrl: string;
  botAppId: string;
  /** signs notifications (Authorization: Bearer <JWT>); without it notifications carry no token */
  signer?: NotificationSigner;
  /** called for every transcript entry as it happens */
  onEntry?: (entry: TranscriptEntry) => void;
  /** checks that watch the exchange (call-state rules, schema validation, ...) */
  observers?: readonly RunObserver[];
  /**
   * What Graph would answer to a request, for expect steps without `respond` and for requests an
   * `unmatched: ignore` flow does not list (the harness plugs in its fake Graph, which keeps the
   * run's call state). Its follow-ups are delivered only for requests no expect step matched.
   */
  defaultAnswer?: (req: InboundRequest) => GraphAnswer | undefined;
  /**
   * The tenant of the run (the harness's stable tenant): `${tenant}` in the flow, and the tenant
   * the bot's token must be for. Without it a flow that lists `tenant` in its ids mints one.
   */
  tenant?: string;
  /** the bot's process, when the harness started it: a bot that exits mid-flow is reported as such */
  bot?: BotLiveness;
  /** how long a step may wait past its timeout (see Patience); without it a step fails at its timeout */
  patience?: Patience;
  /**
   * The run's clock in milliseconds (any origin; default performance.now): transcript times
   * (`entry.at`, ms since the run started) and ObserverContext.now() read it. Sleeps and timeouts
   * stay on real timers.
   */
  now?: () => number;
}

/** Graph's answer to a request (FlowRunOptions.defaultAnswer), and what Graph does after it. */
export interface GraphAnswer {
  response: OutboundResponse;
  /**
   * The notifications Graph sends after it (commsNotifications bodies, in order, each after its
   * delay): delivered to the bot when no expect step scripts the request (the flow's own notify
   * steps script what follows a scripted one).
   */
  followUps?: ReadonlyArray<{ delayMs: number; body: unknown }>;
  /** the path is one Graph does not have, or one the fake does not serve: why (a warning when the flow lets the request pass) */
  unknownPath?: string;
}

/**
 * Whether a step that reached its timeout (an expected request, or the bot's answer to a
 * notification) may wait longer. `callreplay load` gives one: under load a bot's answer to one
 * call queues behind its work for all the others, so it waits on while the bot is visibly busy, up
 * to a deadline Graph itself allows; a bot that has gone silent still fails at the step's timeout.
 */
export interface Patience {
  /** ms more to wait for a step that has waited `waitedMs` so far (its own timeout: `timeoutMs`); 0: it fails now */
  extraWaitMs(waitedMs: number, timeoutMs: number): number;
}

/** What the engine knows of the bot process (the harness's BotProcess implements it). */
export interface BotLiveness {
  /** e.g. "exited with code 1"; undefined while it runs */
  readonly exitDescription: string | undefined;
  /** calls `listener` once when the process exits; returns an unsubscribe function */
  onExit(listener: () => void): () => void;
  /** the last lines the bot printed (for the finding) */
  lastOutput(lines: number): string;
}

/** What the Router knows of a Graph request's bearer token, for the run to judge. */
export interface RequestAuth {
  /** why the Authorization header is not acceptable (missing, not ours, expired) */
  problem?: string;
  /** the tenant of the token (a token the harness issued) */
  tenant?: string;
  /** 'delegated' for a token issued to a signed-in user */
  kind?: string;
}

/**
 * A check that watches a run: it sees every transcript entry as it is recorded (notifications,
 * acks, the bot's requests, the harness's responses) and reports findings. Errors fail the flow;
 * warnings are reported only.
 */
export interface RunObserver {
  /** a short id, e.g. "call-state" */
  readonly id: string;
  onEntry(entry: TranscriptEntry, ctx: ObserverContext): void;
  /** after the last step (not called when the run failed earlier) */
  onEnd?(ctx: ObserverContext): void;
}

export interface ObserverContext {
  readonly flow: CompiledFlow;
  /** 1-based number of the step the run stands at */
  currentStep(): number;
  /** 1-based number of the step an entry belongs to (the step it matched or was sent by), else the current one */
  stepOf(entry: TranscriptEntry): number;
  report(finding: Finding): void;
  /** a value for messages, known ids by name */
  describe(value: unknown): string;
  describePath(path: string): string;
  /** the value of a minted id, value or capture */
  valueOf(name: string): unknown;
  /** ms since the run started on the run's clock (the scale of `entry.at`); a FlowRun always gives it, a hand-made context may not */
  now?(): number;
}

export interface StepOutcome {
  index: number;
  name: string;
  kind: CompiledStep['kind'];
  status: 'passed' | 'failed' | 'skipped';
  finding?: Finding;
}

export interface FlowOutcome {
  flow: string;
  status: 'passed' | 'failed';
  findings: Finding[];
  /** findings with severity 'warning': reported, not failing */
  warnings: Finding[];
  transcript: Transcript;
}
