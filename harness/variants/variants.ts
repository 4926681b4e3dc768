/**
 * Robustness variants of a compiled flow. A replay proves that a bot repeats one recording; Graph
 * really delivers notifications twice, out of order, several in one POST, with ids in another
 * spelling and properties it added later. applyVariant(flow, kind) derives a new CompiledFlow from
 * ANY flow by restructuring its notify steps and wrapping their body renders; the flow's own
 * expectations stay as they are, so a bot passes a variant when it still sends the same requests,
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
import { createHash } from 'node:crypto';
import { callIdOfPath, canonicalPath } from '../engine/canonical.js';
import type { CompiledFlow, CompiledNotify, CompiledStep } from '../engine/plan.js';
import type { Render, Scope } from '../flow/templates.js';

export const VARIANT_KINDS = [
  'duplicate-delivery',
  'established-before-establishing',
  'batched',
  'upper-case-ids',
  'pascal-case-enums',
  'legacy-resource-only',
  'resource-url-only',
  'unknown-properties',
  'empty-value',
] as const;

export type VariantKind = (typeof VARIANT_KINDS)[number];

/** Separates the flow's name from the variant's in a variant flow's name: `p2p-to-meeting-transfer~batched`. */
export const VARIANT_SEPARATOR = '~';

export interface VariantInfo {
  readonly kind: VariantKind;
  /** one line: what the variant changes */
  readonly doc: string;
  /** when applyVariant returns undefined for a flow */
  readonly appliesTo: string;
}

const VARIANT_TABLE = [
  {
    kind: 'duplicate-delivery',
    doc: 'every notification is delivered twice: a copy, same body, follows it once the bot has reacted to it (Graph retries; `established` can arrive twice)',
    appliesTo: 'flows with a notification',
  },
  {
    kind: 'established-before-establishing',
    doc: 'an `established` notification is delivered before the `establishing` one for the same call that preceded it; the `establishing` comes late, after the bot has reacted',
    appliesTo: 'flows with an `establishing` notification immediately followed by an `established` one for the same call',
  },
  {
    kind: 'batched',
    doc: 'consecutive notifications to the same place (same `to`, same call in their first item) are sent as ONE POST whose `value` holds all their items, in order (with the delay of the first)',
    appliesTo: 'flows with two consecutive notifications to the same place',
  },
  {
    kind: 'upper-case-ids',
    doc: 'every GUID in notification bodies (resource paths, ids, tenant, clientContext, ...) is written upper-case without hyphens; opaque tokens (`recordingAccessToken`) keep their spelling',
    appliesTo: 'flows whose notifications hold a GUID not already written that way',
  },
  {
    kind: 'pascal-case-enums',
    doc: 'enum values in notifications (`changeType`, `state`, `status`, `direction`, `mediaType`, `endpointType`, modalities, `mediaState`) are PascalCase (`Established`, `Deleted`); `@odata.type` is left alone',
    appliesTo: 'flows whose notifications hold such a value',
  },
  {
    kind: 'legacy-resource-only',
    doc: 'each notification item carries its path only in the legacy `resource` property (moved from `resourceUrl` where the flow has that; the path itself, and so the API family, is kept)',
    appliesTo: 'flows with a notification item that has `resourceUrl`',
  },
  {
    kind: 'resource-url-only',
    doc: 'each notification item carries its path only in `resourceUrl` (moved from the legacy `resource` where the flow has that; the path itself is kept)',
    appliesTo: 'flows with a notification item that has `resource`',
  },
  {
    kind: 'unknown-properties',
    doc: 'each notification item and its resourceData carry properties Graph may add later (`callreplayFutureProperty`, annotations such as `@odata.etag`)',
    appliesTo: 'flows with a notification item',
  },
  {
    kind: 'empty-value',
    doc: 'an extra notification `{"value": []}` is delivered before the first one (the bot must answer 2xx and do nothing)',
    appliesTo: 'flows with a notification',
  },
] as const satisfies readonly VariantInfo[];

/** Every variant kind with its one-line doc, in the order of VARIANT_KINDS (for reports and docs). */
export const VARIANTS: readonly VariantInfo[] = VARIANT_TABLE;

export function variantInfo(kind: VariantKind): VariantInfo {
  return VARIANTS.find((v) => v.kind === kind)!;
}

export function isVariantKind(value: string): value is VariantKind {
  return (VARIANT_KINDS as readonly string[]).includes(value);
}

/**
 * Parses a `--variants` value: `none` (or empty) -> [], `all` -> every kind, else a comma-separated
 * list of kinds. Throws an Error naming the unknown kind and listing the known ones.
 */
export function parseVariantKinds(spec: string): VariantKind[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'none')) return [];
  if (parts.length === 1 && parts[0] === 'all') return [...VARIANT_KINDS];
  const out: VariantKind[] = [];
  for (const p of parts) {
    if (!isVariantKind(p)) throw new Error(`unknown variant "${p}": use none, all or a comma-separated list of ${VARIANT_KINDS.join(', ')}`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** Markdown table of the variants (kind, what it changes, when it applies). */
export function variantsMarkdownTable(variants: readonly VariantInfo[] = VARIANTS): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| variant | what changes | applies to |', '|---|---|---|'];
  for (const v of variants) lines.push(`| \`${v.kind}\` | ${cell(v.doc)} | ${cell(v.appliesTo)} |`);
  return lines.join('\n');
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
  const steps = variantSteps(flow, kind);
  if (!steps) return undefined;
  const info = variantInfo(kind);
  return {
    ...flow,
    name: `${flow.name}${VARIANT_SEPARATOR}${kind}`,
    description: `${flow.description} [variant ${kind}: ${info.doc}]`,
    steps: steps.map(reindex),
    variant: { kind, of: flow.name },
  };
}

/** Every applicable variant of `flow` among `kinds` (default: all), in the order of `kinds`. */
export function applicableVariants(flow: CompiledFlow, kinds: readonly VariantKind[] = VARIANT_KINDS): VariantFlow[] {
  return kinds.map((k) => applyVariant(flow, k)).filter((f): f is VariantFlow => f !== undefined);
}

function variantSteps(flow: CompiledFlow, kind: VariantKind): CompiledStep[] | undefined {
  switch (kind) {
    case 'duplicate-delivery':
      return duplicateDelivery(flow.steps);
    case 'established-before-establishing':
      return establishedFirst(flow.steps, new ProbeScope(flow));
    case 'batched':
      return batched(flow.steps, new ProbeScope(flow));
    case 'upper-case-ids':
      return mapBodies(flow, (body) => upperCaseIds(body));
    case 'pascal-case-enums':
      return mapBodies(flow, (body) => pascalEnums(body, undefined));
    case 'legacy-resource-only':
      return mapBodies(flow, (body) => mapItems(body, (item) => onlyResource(item, 'resource')));
    case 'resource-url-only':
      return mapBodies(flow, (body) => mapItems(body, (item) => onlyResource(item, 'resourceUrl')));
    case 'unknown-properties':
      return mapBodies(flow, (body) => mapItems(body, withFutureProperties));
    case 'empty-value':
      return emptyValueFirst(flow.steps);
  }
}

// ------------------------------------------------------------------ restructuring kinds

type Step = CompiledStep;

function isExpectLike(step: Step | undefined): boolean {
  return step?.kind === 'expect' || step?.kind === 'unordered';
}

/** The index of the last step of the run of expect steps right after `i` (i itself when none). */
function endOfReaction(steps: readonly Step[], i: number): number {
  let j = i + 1;
  while (isExpectLike(steps[j])) j++;
  return j - 1;
}

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

// ------------------------------------------------------------------ notification bodies

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies `fn` to every item of `body.value` (a new body; the input is not modified). */
function mapItems(body: unknown, fn: (item: Json) => Json): unknown {
  if (!isObject(body) || !Array.isArray(body['value'])) return body;
  return { ...body, value: body['value'].map((item: unknown) => (isObject(item) ? fn(item) : item)) };
}

/** Applies `fn` to every string value (not keys), recursively. */
function mapStrings(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === 'string') return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, fn));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, fn)]));
  return v;
}

const GUID_IN_TEXT = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}(?![0-9A-Fa-f])/g;

/** Opaque secrets that merely look like GUIDs (`recordingAccessToken`): their spelling is their value. */
const OPAQUE_KEY = /token/i;

function upperCaseIds(v: unknown, key?: string): unknown {
  if (typeof v === 'string') return key !== undefined && OPAQUE_KEY.test(key) ? v : v.replace(GUID_IN_TEXT, (m) => m.replace(/-/g, '').toUpperCase());
  if (Array.isArray(v)) return v.map((x) => upperCaseIds(x, key));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, upperCaseIds(x, k)]));
  return v;
}

/** Properties whose string values (or arrays of strings) are enum members. */
const ENUM_KEYS = new Set(['changeType', 'state', 'status', 'direction', 'mediaType', 'endpointType', 'modalities']);
/** Objects whose every string value is an enum member (`mediaState: {audio: "active"}`). */
const ENUM_OBJECTS = new Set(['mediaState']);

function isEnumKey(key: string): boolean {
  return ENUM_KEYS.has(key) || /Modalities$/.test(key);
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function pascalEnums(v: unknown, key: string | undefined): unknown {
  if (typeof v === 'string') return key !== undefined && isEnumKey(key) ? pascal(v) : v;
  if (Array.isArray(v)) return v.map((x) => pascalEnums(x, key !== undefined && isEnumKey(key) ? key : undefined));
  if (isObject(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        if (ENUM_OBJECTS.has(k) && isObject(x)) return [k, mapStrings(x, pascal)];
        return [k, pascalEnums(x, k)];
      }),
    );
  }
  return v;
}

/**
 * The item with its path only in `keep` (resource or resourceUrl). The path is kept as the flow has
 * it: which API family a call belongs to is the flow's contract (its expected request paths), so
 * the variant tests which property a bot reads, not a change of family.
 */
function onlyResource(item: Json, keep: 'resource' | 'resourceUrl'): Json {
  const other = keep === 'resource' ? 'resourceUrl' : 'resource';
  const path = typeof item[keep] === 'string' ? (item[keep] as string) : typeof item[other] === 'string' ? (item[other] as string) : undefined;
  if (path === undefined) return item;
  const out: Json = {};
  let placed = false;
  for (const [k, v] of Object.entries(item)) {
    if (k === 'resource' || k === 'resourceUrl') {
      if (!placed) out[keep] = path;
      placed = true;
    } else out[k] = v;
  }
  return out;
}

function futureProperty(): Json {
  return {
    '@odata.type': '#microsoft.graph.callreplayFutureType',
    note: 'a property Graph may add later: a bot must ignore what it does not know',
    nested: { level: 2, values: [1, 'two', null, true] },
  };
}

function withNoise(o: Json): Json {
  return {
    ...o,
    callreplayFutureProperty: futureProperty(),
    '@callreplay.annotation': 'noise',
    ...(o['@odata.etag'] === undefined ? { '@odata.etag': 'W/"callreplay-1"' } : {}),
  };
}

function withFutureProperties(item: Json): Json {
  const data = item['resourceData'];
  const resourceData = Array.isArray(data) ? data.map((d: unknown) => (isObject(d) ? withNoise(d) : d)) : isObject(data) ? withNoise(data) : data;
  return { ...withNoise(item), ...(data === undefined ? {} : { resourceData }) };
}

// ------------------------------------------------------------------ reading steps without a run

/**
 * A scope in which every name has a plausible value, so that step templates can be rendered
 * while the flow is transformed (to find a notification's call, state or target): ids and
 * captures are GUIDs derived from their names (the same name gives the same GUID), values are the
 * flow's, built-ins are fixed.
 */
class ProbeScope extends Map<string, unknown> {
  constructor(private readonly flow: CompiledFlow) {
    super();
  }

  override get(name: string): unknown {
    if (super.has(name)) return super.get(name);
    const value = this.probe(name);
    this.set(name, value);
    return value;
  }

  override has(_name: string): boolean {
    return true;
  }

  private probe(name: string): unknown {
    if (Object.prototype.hasOwnProperty.call(this.flow.values, name)) return this.flow.values[name];
    if (name === 'graph') return 'http://127.0.0.1:5870';
    if (name === 'botUrl') return 'http://127.0.0.1:3978';
    if (name === 'now') return '2020-01-01T00:00:00.000Z';
    return probeGuid(name);
  }
}

function probeGuid(name: string): string {
  const h = createHash('sha1').update(`callreplay-probe:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function firstItems(step: CompiledNotify, probe: Scope): Json[] | undefined {
  let body: unknown;
  try {
    body = step.body(probe);
  } catch {
    return undefined;
  }
  if (!isObject(body) || !Array.isArray(body['value'])) return undefined;
  return body['value'].filter(isObject);
}

function resourceOf(item: Json): string | undefined {
  const r = item['resourceUrl'] ?? item['resource'];
  return typeof r === 'string' ? r : undefined;
}

/** Where a notify step goes: its `to`, its headers and the call of its first item (JSON); undefined when unknown. */
function targetOf(step: CompiledNotify, probe: Scope): string | undefined {
  const items = firstItems(step, probe);
  if (!items || items.length === 0) return undefined;
  try {
    const to = step.to === 'auto' || step.to === 'webhook' ? step.to : `url ${String(step.to(probe))}`;
    const headers = step.headers ? JSON.stringify(step.headers(probe)) : '';
    const resource = resourceOf(items[0]!);
    const call = resource === undefined ? '' : (callIdOfPath(canonicalPath(resource)) ?? '');
    return JSON.stringify([to, headers, call]);
  } catch {
    return undefined;
  }
}

/** For a notification with one item about a call itself: the call and its (lower-case) state. */
function callStateOf(step: CompiledNotify, probe: Scope): { call: string; state: string } | undefined {
  const items = firstItems(step, probe);
  if (!items || items.length !== 1) return undefined;
  const item = items[0]!;
  const resource = resourceOf(item);
  if (resource === undefined) return undefined;
  const canonical = canonicalPath(resource);
  if (!/\/calls\/[^/]+$/.test(canonical)) return undefined;
  const data = item['resourceData'];
  const state = isObject(data) && typeof data['state'] === 'string' ? data['state'].toLowerCase() : undefined;
  const call = callIdOfPath(canonical);
  return state !== undefined && call !== undefined ? { call, state } : undefined;
}
