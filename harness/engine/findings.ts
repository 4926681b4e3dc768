/**
 * Findings: the typed result of checking a bot against a flow. The engine produces them; the
 * CLI and reporters only present them.
 */

export type FindingKind =
  /** the request reached the right step (method and path) but its body or headers differ */
  | 'incorrect'
  /** a request the flow does not list (or sent after the flow ended) */
  | 'unexpected'
  /** a request the flow lists, but sent before the steps it must follow */
  | 'out-of-order'
  /** an expected request never came within the step's timeout */
  | 'missing'
  /** a Graph request without the bearer token the harness issued */
  | 'unauthorized'
  /** the bot answered a notification or trigger with a non-2xx status, or not at all */
  | 'bad-ack'
  /** the bot could not be reached or stopped working (process exited, connection refused) */
  | 'bot-unavailable'
  /** the bot tried to reach a host other than Graph, login or loopback; it was refused */
  | 'forbidden-destination'
  /** the bot accepted (2xx, or acted on) a notification whose token it should have refused */
  | 'auth-accepted'
  /** the bot's Graph token is for another tenant than the call's */
  | 'wrong-tenant'
  /** the bot accepted, acted on or broke on hostile or broken input a refusal check sent (rule refusal/<check>) */
  | 'refusal'
  /** the flow failed while other calls were in flight and passed when played again alone (per-process call state?) */
  | 'overlap';

export interface Mismatch {
  /** JSON path in the request, e.g. body.participants[0].replacesCallId */
  path: string;
  /** what the flow expected, as explained by the matcher */
  expected: string;
  /** what the bot sent, rendered with id names */
  actual: string;
}

export interface Finding {
  kind: FindingKind;
  /** 1-based step number as shown to users; absent for findings outside any step */
  step?: number;
  /** the step's name, e.g. "invite" */
  stepName?: string;
  /** one-line summary naming the defect */
  message: string;
  /** per-field differences for 'incorrect' findings */
  mismatches?: Mismatch[];
  /** the request the bot sent, if any */
  received?: { method: string; url: string; body?: unknown };
  /** what the step expected (explained), if any */
  expected?: string;
  /** a readable diff of expected vs received bodies (unified, JSON), when both exist */
  diff?: string;
  /** for an unexpected request: a flow step (YAML) that would accept it */
  suggestion?: string;
  /** 'error' (default) fails the flow; 'warning' is reported only */
  severity?: 'error' | 'warning';
  /** the id of the rule or check that raised it, e.g. "state/answer-only-while-incoming" */
  rule?: string;
}

/** Formats a finding as the multi-line text shown in the CLI, the test error and the report. */
export function formatFinding(f: Finding): string {
  const lines: string[] = [];
  const where = f.step !== undefined ? `step ${f.step}${f.stepName ? ` (${f.stepName})` : ''}: ` : '';
  const tag = f.rule ? `[${f.rule}] ` : '';
  lines.push(`${f.severity === 'warning' ? 'warning: ' : ''}${where}${tag}${f.message}`);
  // a single difference is already the message; several are listed one per line
  const mismatches = f.mismatches ?? [];
  if (mismatches.length > 1) for (const m of mismatches) lines.push(`  ${m.path}: expected ${m.expected}, got ${m.actual}`);
  if (f.expected) lines.push(`  expected: ${f.expected}`);
  if (f.received) lines.push(`  received: ${f.received.method} ${f.received.url}`);
  if (f.suggestion) {
    lines.push('  if the bot is right, add this step to the flow:');
    for (const l of f.suggestion.trimEnd().split('\n')) lines.push(`    ${l}`);
  }
  if (f.diff) {
    lines.push('  diff (- expected, + received):');
    for (const l of f.diff.split('\n')) lines.push(`    ${l}`);
  }
  return lines.join('\n');
}
