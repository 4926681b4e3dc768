/**
 * summary.md, the run in a few lines of Markdown for a CI job page (GitHub's
 * $GITHUB_STEP_SUMMARY): the verdict, a table with one row per flow (the flow, its variants, its
 * notification auth, the first finding of a failure), the refusal checks, the warnings, and what
 * was not run.
 */
import { isFailed, type Count, type FlowResult, type ResultsFile } from './results-file.js';
import { truncate } from './report-text.js';

const CELL_MAX = 300;

export function renderJobSummary(results: ResultsFile): string {
  const s = results.summary;
  const ok = results.status === 'passed';
  const shard = results.shard ? ` (shard ${results.shard.current} of ${results.shard.total})` : '';
  const skipped = results.flows.filter((r) => r.kind === 'flow' && !r.runWide && r.notRun !== undefined).length;
  const flows = skipped > 0 ? `${s.flows.passed} of ${s.flows.total - skipped} flow(s) passed, ${skipped} skipped` : `${s.flows.passed} of ${s.flows.total} flow(s) passed`;
  const noneRan = skipped > 0 && skipped === s.flows.total;
  const lines = [`## callreplay: ${flows} ${noneRan ? '⚠️ no flow ran' : ok ? '✅' : results.status === 'interrupted' ? '⚠️ interrupted' : '❌'}${shard}`, ''];
  const byFlow = new Map<string, FlowResult[]>();
  for (const r of results.flows) {
    if (r.runWide) continue;
    byFlow.set(r.flow, [...(byFlow.get(r.flow) ?? []), r]);
  }
  if (byFlow.size > 0) {
    lines.push('| flow | result | variants | notification auth | first finding |', '|---|---|---|---|---|');
    for (const [name, tests] of byFlow) lines.push(flowRow(name, tests));
    lines.push('');
  }
  const refusal = s.checks.refusal;
  const refusalOff = results.notRun.find((n) => n.check === 'refusal' && n.flow === undefined);
  lines.push(refusalOff ? `Refusal checks: not run (${refusalOff.reason}).` : `Refusal checks: ${ratio(refusal)}.`);
  for (const r of results.flows.filter((f) => f.runWide && isFailed(f))) lines.push(`- ❌ ${cell(r.title)}: ${cell(firstFinding(r))}`);
  const rules = Object.entries(s.warnings.byRule).sort((a, b) => b[1] - a[1]);
  lines.push(s.warnings.total === 0 ? 'Warnings: none.' : `Warnings: ${s.warnings.total} (${rules.map(([rule, n]) => `\`${rule}\` ${n}`).join(', ')}).`);
  if (s.notReached > 0) lines.push(`Not reached: ${s.notReached} test(s) (the run stopped or was interrupted before them).`);
  if (s.interrupted > 0) lines.push(`Interrupted: ${s.interrupted} test(s).`);
  lines.push(`Tests: ${s.tests.passed} passed, ${s.tests.failed} failed, ${s.tests.skipped} skipped, of ${s.tests.total}.`, '');
  return lines.join('\n');
}

function flowRow(name: string, tests: FlowResult[]): string {
  const flow = tests.find((r) => r.kind === 'flow');
  const variants = tests.filter((r) => r.kind === 'variant');
  const auth = tests.find((r) => r.kind === 'notification-auth');
  const failing = tests.filter(isFailed);
  const result = !flow ? '—' : flow.notRun !== undefined ? `skipped: ${flow.notRun}` : flow.status === 'passed' ? `✅ passed${flow.warnings.length ? ` (${flow.warnings.length} warning(s))` : ''}` : isFailed(flow) ? `❌ ${failedAt(flow)}` : status(flow);
  const variantCell = variants.length === 0 ? '—' : variants.every((v) => v.notRun !== undefined) ? 'not run' : variantSummary(variants);
  const authCell = !auth ? '—' : auth.notRun !== undefined ? 'not run' : status(auth);
  const finding = failing[0] ? `${failing[0].kind === 'flow' ? '' : `${label(failing[0])}: `}${firstFinding(failing[0])}` : '';
  return `| ${cell(name)} | ${cell(result)} | ${cell(variantCell)} | ${cell(authCell)} | ${cell(finding)} |`;
}

function variantSummary(variants: FlowResult[]): string {
  const ran = variants.filter((v) => v.notRun === undefined);
  const failed = ran.filter(isFailed).map((v) => v.variant ?? v.title);
  const passed = ran.filter((v) => v.status === 'passed').length;
  return `${passed} of ${ran.length} passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`;
}

function label(r: FlowResult): string {
  return r.kind === 'variant' ? `variant ${r.variant ?? r.title}` : r.kind === 'notification-auth' ? 'notification auth' : r.title;
}

function status(r: FlowResult): string {
  if (r.status === 'passed') return '✅ passed';
  if (isFailed(r)) return '❌ failed';
  if (r.status === 'interrupted') return '⚠️ interrupted';
  return r.notReached ? 'not reached' : 'skipped';
}

function failedAt(r: FlowResult): string {
  const f = r.failures[0];
  if (!f) return r.status === 'timedOut' ? 'timed out' : 'failed (harness error)';
  return f.step !== undefined ? `failed at step ${f.step}${f.stepName ? ` (${f.stepName})` : ''}` : 'failed';
}

function firstFinding(r: FlowResult): string {
  const f = r.failures[0];
  if (f) return `${f.rule ? `[${f.rule}] ` : ''}${f.message}`;
  return r.errors[0] ?? r.status;
}

function ratio(c: Count): string {
  return c.total === 0 ? 'none ran' : `${c.passed} of ${c.total} passed`;
}

/** One table cell: one line, pipes escaped, long text cut. */
function cell(s: string): string {
  return truncate(s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|'), CELL_MAX);
}
