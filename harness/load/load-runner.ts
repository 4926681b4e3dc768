/**
 * Runs one flow N times against one bot, C calls at a time, through one harness: each call is a
 * flow run of its own with fresh ids (Harness.createRun), judged by the same observers as
 * `callreplay run`. Keeps only what the load report needs per call (its verdict, the cause's kind,
 * its acknowledgement latencies, its misrouted requests), so memory stays flat in N.
 */
import type { BotLiveness, FlowRun } from '../engine/flow-run.js';
import type { Finding, FindingKind } from '../engine/findings.js';
import type { CompiledFlow } from '../engine/plan.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import type { Harness } from '../runner/harness.js';
import { MisrouteLedger } from './misrouted.js';
import { LoadPatience } from './patience.js';

export interface LoadPlan {
  harness: Harness;
  flow: CompiledFlow;
  webhookUrl: string;
  calls: number;
  /** calls in flight at once (capped at `calls`) */
  concurrency: number;
  /** the started bot's liveness for a call (undefined for a bot started by hand) */
  liveness?: () => BotLiveness;
  /** aborting stops starting calls and ends the running ones (SIGINT) */
  signal?: AbortSignal;
}

/** A failed call: its 0-based index and the finding that failed it. */
export interface FailedCall {
  index: number;
  finding: Finding;
}

export interface LoadOutcome {
  /** calls with a verdict (fewer than planned only when interrupted) */
  calls: number;
  passed: number;
  failed: number;
  /** see misrouted.ts: requests judged by the wrong call, plus strays */
  misrouted: number;
  /** from the first call's start to the last call's end */
  wallMs: number;
  /** every notification acknowledgement's latency (ms), in no particular order */
  ackLatenciesMs: number[];
  /** failed calls by the kind of the finding that failed them */
  failuresByKind: Partial<Record<FindingKind, number>>;
  /** the first failed call of each finding kind, for the console */
  examples: FailedCall[];
  aborted: boolean;
}

export async function runLoad(plan: LoadPlan): Promise<LoadOutcome> {
  const { harness, flow, webhookUrl } = plan;
  const ledger = new MisrouteLedger();
  const running = new Set<FlowRun>();
  const out: LoadOutcome = { calls: 0, passed: 0, failed: 0, misrouted: 0, wallMs: 0, ackLatenciesMs: [], failuresByKind: {}, examples: [], aborted: false };
  let straysAtAbort: number | undefined;
  const onAbort = () => {
    out.aborted = true;
    // what the bot sends for the calls cut short is not misrouted
    straysAtAbort = harness.router.strayCount;
    for (const run of running) run.dispose(); // wakes the run: it ends as it stands
  };
  plan.signal?.addEventListener('abort', onAbort, { once: true });
  const straysBefore = harness.router.strayCount;
  // one for all calls: any call's traffic shows the bot is busy (patience.ts)
  const patience = new LoadPatience();
  const onEntry = (e: TranscriptEntry) => {
    if (e.from === 'bot') patience.noteActivity();
  };
  let next = 0;

  const oneCall = async (index: number): Promise<void> => {
    const run = harness.createRun(flow, webhookUrl, onEntry, plan.liveness?.());
    run.setPatience(patience);
    ledger.register(index, run.mintedIds);
    running.add(run);
    try {
      const outcome = await run.run();
      if (out.aborted && outcome.status === 'passed') {
        out.calls--; // cut short by the interrupt: no verdict, not counted
        return;
      }
      for (const e of outcome.transcript.entries) if (e.kind === 'ack' && e.latencyMs !== undefined) out.ackLatenciesMs.push(e.latencyMs);
      out.misrouted += ledger.judgedByWrongCall(index, outcome.transcript);
      const finding = outcome.findings[0];
      if (outcome.status === 'passed') out.passed++;
      else {
        out.failed++;
        const kind = finding?.kind ?? 'missing';
        out.failuresByKind[kind] = (out.failuresByKind[kind] ?? 0) + 1;
        if (finding && !out.examples.some((x) => x.finding.kind === finding.kind)) out.examples.push({ index, finding });
      }
    } finally {
      running.delete(run);
      harness.release(run);
    }
  };

  const worker = async (): Promise<void> => {
    while (!out.aborted && next < plan.calls) {
      const index = next++;
      out.calls++;
      await oneCall(index);
    }
  };

  const t0 = performance.now();
  try {
    // The calls start one event-loop turn apart: started in one synchronous burst, 1,000 calls
    // queued 1,000 notifications (connections, sends) before the loop could read a single answer
    // (a 1.2 s block of the harness's loop, measured), and every call's latency included it.
    const workers: Array<Promise<void>> = [];
    for (let i = 0; i < Math.min(plan.concurrency, plan.calls) && !out.aborted; i++) {
      workers.push(worker());
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(workers);
  } finally {
    plan.signal?.removeEventListener('abort', onAbort);
  }
  out.wallMs = performance.now() - t0;
  out.misrouted += (straysAtAbort ?? harness.router.strayCount) - straysBefore;
  return out;
}

/** The nearest-rank percentile `p` (0-100) of `values`; undefined when there are none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
