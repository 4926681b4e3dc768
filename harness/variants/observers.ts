/**
 * Checks that make "passing a variant" explicit (see ./variants.ts), usable on any run:
 *
 * - duplicateActionObserver: the bot never sends the same action twice. The flow's own matching
 *   usually catches a repeated request as unexpected, but not in `unmatched: ignore` flows, and a
 *   duplicated notification is exactly what makes a bot repeat itself.
 * - ackLatencyObserver: warns when the bot is slow to acknowledge a notification.
 * - ackLatencySummary: count / p50 / p95 / max of a run's notification acks, for reports.
 */
import { canonicalPath } from '../engine/canonical.js';
import type { ObserverContext, RunObserver } from '../engine/flow-run.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import type { Scope } from '../flow/templates.js';

export const DUPLICATE_ACTION_RULE = 'variant/duplicate-action';
export const ACK_LATENCY_RULE = 'variant/ack-latency';

/** Actions a bot may repeat on the same resource by default (last path segment, any case). */
export const REPEATABLE_ACTIONS: readonly string[] = ['keepAlive'];

export interface DuplicateActionOptions {
  /**
   * actions (last path segment, e.g. `keepAlive`, `playPrompt`) the bot may send more than once on
   * the same resource; default REPEATABLE_ACTIONS
   */
  repeatable?: readonly string[];
}

interface Sent {
  count: number;
  /** the notification the first one probably reacted to */
  after?: string;
}

/**
 * Reports (severity error, rule `variant/duplicate-action`) a POST with the same canonical path as
 * an earlier POST of the run: the bot did the same action twice (answered twice, joined the meeting
 * twice, invited twice), most likely because a notification came again or out of order. GETs and
 * other methods are not checked; keepAlive (and `repeatable`) may be sent any number of times. A
 * request that the flow itself lists N times (N expect steps with that method and path) may be sent
 * N times. Make one per run: `observers: () => [duplicateActionObserver()]`.
 */
export function duplicateActionObserver(options: DuplicateActionOptions = {}): RunObserver {
  const repeatable = new Set((options.repeatable ?? REPEATABLE_ACTIONS).map((a) => a.toLowerCase()));
  const sent = new Map<string, Sent>();
  let lastNotification: TranscriptEntry | undefined;
  return {
    id: 'duplicate-action',
    onEntry(entry: TranscriptEntry, ctx: ObserverContext): void {
      if (entry.kind === 'notification') {
        lastNotification = entry;
        return;
      }
      if (entry.kind !== 'request' || entry.method !== 'POST' || !entry.url) return;
      const canonical = canonicalPath(entry.url);
      const action = canonical.split('/').pop() ?? '';
      if (repeatable.has(action)) return;
      const after = notificationName(lastNotification, ctx);
      const previous = sent.get(canonical);
      if (!previous) {
        sent.set(canonical, { count: 1, after });
        return;
      }
      previous.count++;
      if (previous.count <= listedTimes(ctx, 'POST', canonical)) return;
      const step = lastNotification?.step;
      ctx.report({
        kind: 'unexpected',
        severity: 'error',
        rule: DUPLICATE_ACTION_RULE,
        step: step !== undefined ? step + 1 : ctx.currentStep(),
        stepName: ctx.flow.steps[step ?? ctx.currentStep() - 1]?.name,
        message:
          `the bot sent POST ${ctx.describePath(entry.url)} (${actionName(entry.url)}) ${times(previous.count)}: ` +
          `first after ${previous.after ?? 'no notification'}, again after ${after ?? 'no notification'}; ` +
          'an action must be done once, even when Graph delivers a notification twice or out of order',
        received: { method: 'POST', url: entry.url, body: entry.body },
      });
    },
  };
}

/**
 * Warns (rule `variant/ack-latency`) when the bot takes longer than `thresholdMs` to acknowledge a
 * notification (transcript ack entries carry `latencyMs`). Graph does not document a deadline for
 * calling callbacks; a bot should answer 2xx at once and process the notification afterwards.
 */
export function ackLatencyObserver(thresholdMs: number): RunObserver {
  if (!Number.isFinite(thresholdMs) || thresholdMs < 0) throw new Error(`ack latency threshold must be a number of milliseconds >= 0, got ${thresholdMs}`);
  return {
    id: 'ack-latency',
    onEntry(entry: TranscriptEntry, ctx: ObserverContext): void {
      if (entry.kind !== 'ack' || entry.latencyMs === undefined || entry.latencyMs <= thresholdMs) return;
      const step = entry.step;
      const name = step !== undefined ? ctx.flow.steps[step]?.name : undefined;
      ctx.report({
        kind: 'bad-ack',
        severity: 'warning',
        rule: ACK_LATENCY_RULE,
        step: step !== undefined ? step + 1 : undefined,
        stepName: name,
        message: `the bot took ${formatMs(entry.latencyMs)} to acknowledge the notification${name ? ` "${name}"` : ''} (threshold ${formatMs(thresholdMs)}): answer 2xx at once and process the notification afterwards`,
      });
    },
  };
}

// the summary lives apart (no engine imports): the Playwright workers compute it for each test
export { ackLatencySummary, type AckLatencySummary } from './ack-latency.js';

// ------------------------------------------------------------------ helpers

/** `"meeting call established (again)" (step 9)` */
function notificationName(entry: TranscriptEntry | undefined, ctx: ObserverContext): string | undefined {
  if (!entry) return undefined;
  const step = entry.step !== undefined ? ctx.flow.steps[entry.step] : undefined;
  return step ? `notification "${step.name}" (step ${step.index + 1})` : `notification "${entry.label}"`;
}

/** How many expect steps of the flow list this request (at least 1). */
function listedTimes(ctx: ObserverContext, method: string, canonical: string): number {
  // templates read a scope only through get/has
  const scope = { get: (name: string) => ctx.valueOf(name), has: (name: string) => ctx.valueOf(name) !== undefined } as unknown as Scope;
  let n = 0;
  for (const step of ctx.flow.steps) {
    const expects = step.kind === 'expect' ? [step] : step.kind === 'unordered' ? step.expects : [];
    for (const e of expects) {
      if (e.method !== method) continue;
      try {
        if (canonicalPath(String(e.path(scope))) === canonical) n++;
      } catch {
        // needs a capture not made yet: not this request
      }
    }
  }
  return Math.max(n, 1);
}

/** `participants/invite`, `answer`, `create call`, `call`, as the bot spelled it (namespace dropped) */
function actionName(url: string): string {
  const path = url.split(/[?#]/)[0]!;
  const segs = path.split('/').filter(Boolean);
  const i = segs.findIndex((s) => s.toLowerCase() === 'calls');
  if (i < 0) return path;
  if (segs.length === i + 1) return 'create call';
  const rest = segs
    .slice(i + 2)
    .filter((s) => !/^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/.test(s))
    .map((s) => s.replace(/^microsoft\.graph\./i, ''));
  return rest.join('/') || 'call';
}

function times(n: number): string {
  return n === 2 ? 'twice' : `${n} times`;
}

function formatMs(ms: number): string {
  return `${Math.round(ms * 10) / 10} ms`;
}
