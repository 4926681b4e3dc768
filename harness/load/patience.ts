/**
 * How long a call's step may wait past its timeout during `callreplay load`.
 *
 * Why a step may need more time under load: with C calls in flight, a bot's answer to one call
 * queues behind its work for the others (C incoming calls at once: C token checks, C answers), so
 * the time a step takes grows with C although nothing is wrong. A flow's step timeout (5 s by
 * default) is written for one call at a time. Graph itself is more generous: it gives a bot 15 s
 * to answer an incoming call ("The current timeout value is 15 seconds for regular scenarios",
 * Graph call-answer; rule timing/answer-deadline), and sets no deadline at all on a bot's next
 * action in an established call (join, invite) or on its acknowledgement of a notification.
 *
 * The rule: a step that reached its timeout waits on, in short slices, while the bot is visibly
 * busy (it sent a request or answered a notification, for any call, within the last second), up
 * to GRAPH_ANSWER_DEADLINE_MS in all. A bot that has gone silent (hung, crashed, deaf to one kind
 * of notification in every call) still fails at the step's own timeout; one that ignores a single
 * call while serving the others fails at the deadline. Wrong requests are judged at once, as ever.
 */
import type { Patience } from '../engine/flow-run.js';

/** Graph's deadline for answering an incoming call, the longest a step waits under load. */
export const GRAPH_ANSWER_DEADLINE_MS = 15_000;
/** The bot counts as busy while it sent or answered something within this long. */
const BUSY_WINDOW_MS = 1_000;
/** A waiting step looks again this often. */
const RECHECK_MS = 250;

export class LoadPatience implements Patience {
  private lastActivity = Number.NEGATIVE_INFINITY;

  /** The bot sent a request or answered a notification (for any call of the load). */
  noteActivity(): void {
    this.lastActivity = performance.now();
  }

  extraWaitMs(waitedMs: number, timeoutMs: number): number {
    const deadline = Math.max(timeoutMs, GRAPH_ANSWER_DEADLINE_MS);
    if (waitedMs >= deadline) return 0;
    if (performance.now() - this.lastActivity > BUSY_WINDOW_MS) return 0;
    return Math.min(RECHECK_MS, deadline - waitedMs);
  }
}
