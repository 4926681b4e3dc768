/**
 * The checks that watch every flow of a run (rules, schemas, variant observers), as observers and
 * as the ids the reports name. Kept apart from run-config.ts: the workers need none of this.
 */
import type { RunObserver } from '../engine/flow-run.js';
import { graphSchemaObserver } from '../graph/validate-requests.js';
import { callStateRules, RULES } from '../rules/index.js';
import { ACK_LATENCY_RULE, ackLatencyObserver, DUPLICATE_ACTION_RULE, duplicateActionObserver } from '../variants/index.js';
import type { CheckConfig } from './run-config.js';

/** The observers a run gets for these checks (one set per run: rules keep per-run state). */
export function observersFor(checks: CheckConfig): () => RunObserver[] {
  return () => [
    ...(checks.rules ? [callStateRules(checks.rules)] : []),
    ...(checks.schema ? [graphSchemaObserver()] : []),
    duplicateActionObserver(),
    ackLatencyObserver(checks.ackThresholdMs),
  ];
}

/** The ids of the checks that run, for reports. */
export function checkIds(checks: CheckConfig): string[] {
  const rules = checks.rules ? RULES.filter((r) => !(checks.rules!.disabled ?? []).some((d) => d === r.id || (d.endsWith('/*') && r.id.startsWith(d.slice(0, -1))))).map((r) => r.id) : [];
  return [...rules, ...(checks.schema ? ['schema'] : []), DUPLICATE_ACTION_RULE, ACK_LATENCY_RULE];
}

