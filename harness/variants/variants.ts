/**
 * Robustness variants of a compiled flow. A replay proves that a bot repeats one recording; Graph
 * really delivers notifications twice, out of order, several in one POST, with ids in another
 * spelling and properties it added later. Each variant is one such way, with its evidence in
 * ./table.ts; the few without evidence are opt-in. applyVariant(flow, kind) derives a new CompiledFlow from
 * ANY flow by restructuring its notify steps and wrapping their body renders, or (the delivery
 * variants, ./delivery-variants.ts) by marking steps for the engine: a notification that overlaps
 * the one before, an answer held until the notifications after it are answered, a call that is not
 * the bot's. The flow's own expectations stay as they are, so a bot passes a variant when it still sends the same requests,
 * acknowledges every notification POST with 2xx, and never repeats an action (see
 * duplicateActionObserver in ./observers.ts).
 *
 * Placement rule (the engine's ordering model): a request is accepted only when every step before
 * its step has been released, and a notify step is released when it is sent. A notification the
 * bot need not wait for (a duplicate, a late `establishing`) is therefore placed AFTER the expect
 * steps that react to the notification before it, never between a notification and the bot's
 * reaction to it: otherwise a bot that reacts quickly would be reported out of order.
 *
 * The input flow is never mutated (runs share it): every step of the result is a new object and
 * steps are re-indexed (members of unordered groups carry their group's index), while `pointer`
 * keeps pointing at the source step in the flow file.
 */
import type { CompiledFlow, CompiledNotify, CompiledStep } from '../engine/plan.js';
import type { Render, Scope } from '../flow/templates.js';
import { heldResponses, intermediateStatesSkipped, mediaStateUpdates, otherCallInterleaved, overlapping } from './delivery-variants.js';
import {
  deletedOdataIdOnly,
  isObject,
  legacyResourceOnly,
  mapItems,
  pascalEnums,
  resourceUrlOnly,
  toneSequenceShifted,
  upperCaseIds,
  withCallChainId,
  withFutureProperties,
} from './notification-bodies.js';
import { callStateOf, endOfReaction, ProbeScope, requestPaths, targetOf } from './probe.js';
import { DEFAULT_VARIANT_KINDS, isVariantKind, OPT_IN_VARIANT_KINDS, VARIANT_KINDS, variantInfo, type VariantKind } from './table.js';

export * from './table.js';

/** Separates the flow's name from the variant's in a variant flow's name: `p2p-to-meeting-transfer~batched`. */
export const VARIANT_SEPARATOR = '~';

/**
 * Parses a `--variants` value: `none` (or empty) -> [], `all` -> every variant with evidence
 * (DEFAULT_VARIANT_KINDS), else a comma-separated list of kinds, which may include `all`: an opt-in
 * variant runs only when named (`all,pascal-case-enums`). Throws an Error naming the unknown kind
 * and listing the known ones.
 */
export function parseVariantKinds(spec: string): VariantKind[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'none')) return [];
  const out: VariantKind[] = [];
  const add = (k: VariantKind) => {
    if (!out.includes(k)) out.push(k);
  };
  for (const p of parts) {
    if (p === 'all') DEFAULT_VARIANT_KINDS.forEach(add);
    else if (isVariantKind(p)) add(p);
    else {
      throw new Error(
        `unknown variant "${p}": use none, all or a comma-separated list of ${VARIANT_KINDS.join(', ')} ` +
          `(all runs every one but the opt-in ${OPT_IN_VARIANT_KINDS.join(', ')}, which run only when named)`,
      );
    }
  }
  return out;
}

/** A flow made by applyVariant: a CompiledFlow that also says what it was made from. */
export type VariantFlow = CompiledFlow & { readonly variant: { readonly kind: VariantKind; readonly of: string } };

/** The base flow's name and the variant kind of a flow made by applyVariant; undefined for other flows. */
export function variantOf(flow: CompiledFlow): { kind: VariantKind; of: string } | undefined {
  const v = (flow as Partial<VariantFlow>).variant;
  return v ? { kind: v.kind, of: v.of } : undefined;
}

/**
 * The variant `kind` of `flow`: a NEW flow named `<flow>~<kind>`, or undefined when the variant
 * does not apply to it (nothing to swap, batch or convert: the variant would equal the flow), in
 * which case the caller does not run it. `flow` is not modified.
 */
export function applyVariant(flow: CompiledFlow, kind: VariantKind): VariantFlow | undefined {
  const changed = variantSteps(flow, kind);
  if (!changed) return undefined;
  const { steps, ...rest } = Array.isArray(changed) ? { steps: changed } : changed;
  const info = variantInfo(kind);
  return {
    ...flow,
    ...rest,
    name: `${flow.name}${VARIANT_SEPARATOR}${kind}`,
    description: `${flow.description} [variant ${kind}: ${info.doc}]`,
    steps: steps.map(reindex),
    variant: { kind, of: flow.name },
  };
}

/** Every applicable variant of `flow` among `kinds` (default: the evidence-backed ones, as `--variants all`), in the order of `kinds`. */
export function applicableVariants(flow: CompiledFlow, kinds: readonly VariantKind[] = DEFAULT_VARIANT_KINDS): VariantFlow[] {
  return kinds.map((k) => applyVariant(flow, k)).filter((f): f is VariantFlow => f !== undefined);
}

/** The variant's steps, or its steps and the other flow fields it changes; undefined when it does not apply. */
function variantSteps(flow: CompiledFlow, kind: VariantKind): CompiledStep[] | (Partial<CompiledFlow> & { steps: CompiledStep[] }) | undefined {
  switch (kind) {
    case 'duplicate-delivery':
      return duplicateDelivery(flow.steps);
    case 'established-before-establishing':
      return establishedFirst(flow.steps, new ProbeScope(flow));
    case 'batched':
      return batched(flow.steps, new ProbeScope(flow));
    case 'upper-case-ids':
      return mapBodies(flow, (body) => mapItems(body, upperCaseIds));
    case 'pascal-case-enums':
      return mapBodies(flow, (body) => pascalEnums(body));
    case 'legacy-resource-only':
      return onBetaApp(flow) ? mapBodies(flow, (body) => mapItems(body, legacyResourceOnly)) : undefined;
    case 'resource-url-only':
      return mapBodies(flow, (body) => mapItems(body, resourceUrlOnly));
    case 'unknown-properties':
      return mapBodies(flow, (body) => mapItems(body, withFutureProperties));
    case 'empty-value':
      return emptyValueFirst(flow.steps);
    case 'overlapping-delivery':
      return overlapping(flow.steps);
    case 'notification-before-response':
      return heldResponses(flow.steps);
    case 'other-call-interleaved':
      return otherCallInterleaved(flow, new ProbeScope(flow));
    case 'intermediate-states-skipped':
      return intermediateStatesSkipped(flow.steps, new ProbeScope(flow));
    case 'deleted-odata-id-only':
      return mapBodies(flow, (body) => mapItems(body, deletedOdataIdOnly));
    case 'media-state-updates':
      return mediaStateUpdates(flow.steps, new ProbeScope(flow));
    case 'tone-sequence-ids':
      return mapBodies(flow, (body) => mapItems(body, toneSequenceShifted));
    case 'call-chain-id':
      return mapBodies(flow, (body) => mapItems(body, withCallChainId));
  }
}

// ------------------------------------------------------------------ restructuring kinds

type Step = CompiledStep;

function duplicateDelivery(steps: readonly Step[]): Step[] | undefined {
  const after = new Map<number, CompiledNotify[]>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind !== 'notify') continue;
    const at = endOfReaction(steps, i);
    // the copy: same body render (same body), no extra delay; it is a new step
    const copy: CompiledNotify = { ...s, name: `${s.name} (again)`, delayMs: 0 };
    after.set(at, [...(after.get(at) ?? []), copy]);
  }
  if (after.size === 0) return undefined;
  return steps.flatMap((s, i) => [s, ...(after.get(i) ?? [])]);
}

function establishedFirst(steps: readonly Step[], probe: Scope): Step[] | undefined {
  const out: Step[] = [];
  let swapped = false;
  for (let i = 0; i < steps.length; i++) {
    const a = steps[i]!;
    const b = steps[i + 1];
    if (a.kind === 'notify' && b?.kind === 'notify') {
      const sa = callStateOf(a, probe);
      const sb = callStateOf(b, probe);
      if (sa?.state === 'establishing' && sb?.state === 'established' && sa.call === sb.call) {
        const end = endOfReaction(steps, i + 1);
        // delays stay where they are: the first position waits as long as before
        out.push({ ...b, delayMs: a.delayMs }, ...steps.slice(i + 2, end + 1), { ...a, name: `${a.name} (late)`, delayMs: b.delayMs });
        i = end;
        swapped = true;
        continue;
      }
    }
    out.push(a);
  }
  return swapped ? out : undefined;
}

function batched(steps: readonly Step[], probe: Scope): Step[] | undefined {
  const out: Step[] = [];
  let merged = false;
  for (let i = 0; i < steps.length; ) {
    const s = steps[i]!;
    const target = s.kind === 'notify' ? targetOf(s, probe) : undefined;
    if (s.kind !== 'notify' || target === undefined) {
      out.push(s);
      i++;
      continue;
    }
    const group: CompiledNotify[] = [s];
    let j = i + 1;
    for (let next = steps[j]; next?.kind === 'notify' && targetOf(next, probe) === target; next = steps[++j]) group.push(next);
    if (group.length === 1) out.push(s);
    else {
      merged = true;
      out.push(mergeNotifications(group));
    }
    i = j;
  }
  return merged ? out : undefined;
}

function mergeNotifications(group: readonly CompiledNotify[]): CompiledNotify {
  const first = group[0]!;
  const renders = group.map((g) => g.body);
  const body: Render = (scope) => {
    const bodies = renders.map((r) => r(scope));
    const head = bodies[0];
    return { ...(isObject(head) ? head : {}), value: bodies.flatMap((b) => (isObject(b) && Array.isArray(b['value']) ? b['value'] : [])) };
  };
  return {
    ...first,
    name: group.map((g) => g.name).join(' + '),
    timeoutMs: Math.max(...group.map((g) => g.timeoutMs)),
    body,
  };
}

function emptyValueFirst(steps: readonly Step[]): Step[] | undefined {
  const i = steps.findIndex((s) => s.kind === 'notify');
  if (i < 0) return undefined;
  const first = steps[i] as CompiledNotify;
  const empty: CompiledNotify = { ...first, name: 'empty notification (value: [])', delayMs: 0, body: () => ({ value: [] }) };
  return [...steps.slice(0, i), empty, ...steps.slice(i)];
}

/** Wraps every notify body; undefined when no body changes (rendered with a probe scope). */
function mapBodies(flow: CompiledFlow, transform: (body: unknown) => unknown): Step[] | undefined {
  const probe = new ProbeScope(flow);
  let changed = false;
  const steps = flow.steps.map((s) => {
    if (s.kind !== 'notify') return s;
    const original = s.body;
    const body: Render = (scope) => transform(original(scope));
    if (!changed) {
      try {
        changed = JSON.stringify(original(probe)) !== JSON.stringify(body(probe));
      } catch {
        changed = true; // cannot tell: run it
      }
    }
    return { ...s, body };
  });
  return changed ? steps : undefined;
}

function reindex(step: Step, index: number): Step {
  if (step.kind === 'unordered') return { ...step, index, expects: step.expects.map((e) => ({ ...e, index })) };
  return { ...step, index };
}

/**
 * A beta flow on `/app/calls`, the family of the 2019 resource-only notifications: not v1.0 (by
 * its `api` or any request on /v1.0/), and at least one request on /beta/app/.
 */
function onBetaApp(flow: CompiledFlow): boolean {
  if (flow.api === 'v1.0') return false;
  const paths = requestPaths(flow, new ProbeScope(flow));
  if (paths.some((p) => /^\/v1\.0\//i.test(p))) return false;
  return paths.some((p) => /^\/beta\/app\/calls(\/|$|\?)/i.test(p));
}
