/**
 * Trigger mapping: a flow's trigger step is the bot's own API (join a meeting, invite someone...).
 * A trigger step with an `id` (its name) and `values` (what it passes) can be sent to any bot's own
 * endpoint: `--trigger join-meeting=POST:/join`, or `triggers` in the config file with a body
 * template. The flow's own method, path and body are the reference bot's API; `NAME=reference`
 * (or `*=reference`) keeps them for a bot that has that API. This module parses mappings, checks
 * them against the flows (every name known, every template name a value the trigger passes) and
 * applies them to a compiled flow. Dependency-free beyond the templates: the CLI, the run's session
 * and `callreplay list` load it.
 */
import type { CompiledFlow, CompiledStep, CompiledTrigger, HttpMethod } from '../engine/plan.js';
import { BUILTIN_NAMES, compileValue, parseTemplate, TemplateError, type Render, type Scope } from './templates.js';

export const TRIGGER_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** A mapping's target that sends the trigger as the flow writes it (the reference bot's API). */
export const REFERENCE = 'reference';
/** The mapping name that stands for every trigger (only as `*=reference`). */
export const EVERY_TRIGGER = '*';

/** The bot's own endpoint for a trigger: PATH and the templates read `${name}` from the trigger's values, then the flow's names. */
export interface TriggerRoute {
  method: HttpMethod;
  path: string;
  /** the JSON body template; absent: the trigger's values as JSON (no body for GET) */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TriggerMapping {
  /** a trigger's name (a flow's trigger `id`), or EVERY_TRIGGER */
  name: string;
  to: typeof REFERENCE | TriggerRoute;
  /** where it was given, for messages: `--trigger join-meeting=POST:/join`, `callreplay.config.yaml: triggers.join-meeting` */
  from: string;
}

/** A mapping that cannot be used; the message names the flag or the config file and key. */
export class TriggerMappingError extends Error {
  override name = 'TriggerMappingError';
}

const NAME = /^[a-z][a-z0-9-]*$/;
const FLAG_FORM = 'NAME=METHOD:PATH (e.g. join-meeting=POST:/join) or NAME=reference';

/** One `--trigger` value: `NAME=METHOD:PATH`, `NAME=reference` or `*=reference`. */
export function parseTriggerFlag(text: string, from = `--trigger ${text}`): TriggerMapping {
  const eq = text.indexOf('=');
  if (eq < 0) throw new TriggerMappingError(`${from}: expected ${FLAG_FORM}`);
  const name = checkName(text.slice(0, eq).trim(), from);
  return { name, to: parseSpec(text.slice(eq + 1).trim(), name, from), from };
}

/**
 * The config file's `triggers`: an object of NAME -> "METHOD:PATH" | "reference" | { method, path,
 * body?, headers? }, or a list of "NAME=METHOD:PATH" strings (as the flag takes them). `file` names the file in messages.
 */
export function parseTriggerConfig(value: unknown, file: string): TriggerMapping[] {
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      const from = `${file}: triggers[${i}]`;
      if (typeof v !== 'string') throw new TriggerMappingError(`${from} must be a string ${FLAG_FORM}, got ${show(v)}`);
      return parseTriggerFlag(v, `${from} (${v})`);
    });
  }
  if (typeof value !== 'object' || value === null) {
    throw new TriggerMappingError(`${file}: triggers must be an object of trigger name -> { method, path, body?, headers? } (or "METHOD:PATH", or "reference"), got ${show(value)}`);
  }
  return Object.entries(value).map(([key, v]) => {
    const from = `${file}: triggers.${key}`;
    const name = checkName(key, from);
    if (typeof v === 'string') return { name, to: parseSpec(v.trim(), name, from), from };
    return { name, to: parseRouteObject(v, name, from), from };
  });
}

function parseRouteObject(v: unknown, name: string, from: string): TriggerRoute {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TriggerMappingError(`${from} must be { method, path, body?, headers? }, "METHOD:PATH" or "reference", got ${show(v)}`);
  if (name === EVERY_TRIGGER) throw new TriggerMappingError(`${from}: "*" maps every trigger to the reference bot's API only ("*": reference)`);
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['method', 'path', 'body', 'headers'].includes(k));
  if (extra.length > 0) throw new TriggerMappingError(`${from}: unknown field ${extra.map((k) => `"${k}"`).join(', ')}; a mapping has method, path, body and headers`);
  const method = typeof o['method'] === 'string' ? o['method'].toUpperCase() : undefined;
  if (!method || !(TRIGGER_METHODS as readonly string[]).includes(method)) throw new TriggerMappingError(`${from}.method must be one of ${TRIGGER_METHODS.join(', ')}, got ${show(o['method'])}`);
  if (typeof o['path'] !== 'string' || !o['path'].startsWith('/')) throw new TriggerMappingError(`${from}.path must be a path on the bot starting with /, e.g. /join, got ${show(o['path'])}`);
  const headers = o['headers'];
  if (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers) || !Object.values(headers).every((h) => typeof h === 'string'))) {
    throw new TriggerMappingError(`${from}.headers must be an object of header name -> string, got ${show(headers)}`);
  }
  if (o['body'] !== undefined && method === 'GET') throw new TriggerMappingError(`${from}: a GET sends no body; put the values in the path, or use another method`);
  const route: TriggerRoute = { method: method as HttpMethod, path: o['path'], ...(o['body'] !== undefined ? { body: o['body'] } : {}), ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}) };
  syntaxCheck(route, from);
  return route;
}

function checkName(name: string, from: string): string {
  if (name !== EVERY_TRIGGER && !NAME.test(name)) throw new TriggerMappingError(`${from}: "${name}" is not a trigger name (lower-case letters, digits and -, as a flow's trigger id; \`callreplay list --json\` shows them)`);
  return name;
}

/** `METHOD:PATH` or `reference`. */
function parseSpec(spec: string, name: string, from: string): TriggerMapping['to'] {
  if (spec === REFERENCE) return REFERENCE;
  if (name === EVERY_TRIGGER) throw new TriggerMappingError(`${from}: "*" maps every trigger to the reference bot's API only (*=reference); map the others by name`);
  const m = /^([A-Za-z]+):(\/.*)$/.exec(spec);
  const method = m?.[1]!.toUpperCase();
  if (!m || !(TRIGGER_METHODS as readonly string[]).includes(method!)) {
    throw new TriggerMappingError(`${from}: expected ${FLAG_FORM}, with METHOD one of ${TRIGGER_METHODS.join(', ')} and PATH starting with /`);
  }
  const route: TriggerRoute = { method: method as HttpMethod, path: m[2]! };
  syntaxCheck(route, from);
  return route;
}

/** The templates of a route compile (placeholders well formed); which names they use is checked against each flow later. */
function syntaxCheck(route: TriggerRoute, from: string): void {
  try {
    compileRoute(route);
  } catch (e) {
    if (e instanceof TemplateError) throw new TriggerMappingError(`${from}: ${e.message}`);
    throw e;
  }
}

/** The mappings by name, a later one (a flag after the config file) replacing an earlier one of the same name. */
export function mappingsByName(mappings: readonly TriggerMapping[]): Map<string, TriggerMapping> {
  return new Map(mappings.map((m) => [m.name, m]));
}

/** The mapping of a trigger name: its own, else `*=reference`. */
function mappingOf(byName: ReadonlyMap<string, TriggerMapping>, id: string): TriggerMapping | undefined {
  return byName.get(id) ?? byName.get(EVERY_TRIGGER);
}

/** The trigger steps of a flow that have a name (`id`). */
export function namedTriggers(flow: CompiledFlow): CompiledTrigger[] {
  return flow.steps.filter((s): s is CompiledTrigger & { id: string } => s.kind === 'trigger' && s.id !== undefined);
}

/** A scope in which every name has a value: renders a trigger's `values` to learn their names. */
const ANY_SCOPE = { get: () => '', has: () => true } as unknown as Scope;

/** The names of the triggers of `flows`. */
export function triggerNames(flows: readonly CompiledFlow[]): Set<string> {
  return new Set(flows.flatMap((f) => namedTriggers(f).map((t) => t.id!)));
}

/** True when a mapping names a trigger none of `flows` has (checkMappings then needs the names known elsewhere). */
export function mapsOtherTriggers(flows: readonly CompiledFlow[], mappings: readonly TriggerMapping[]): boolean {
  const used = triggerNames(flows);
  return mappings.some((m) => m.name !== EVERY_TRIGGER && !used.has(m.name));
}

/** The names of the values a trigger passes. */
export function triggerValueNames(step: CompiledTrigger): string[] {
  const values = step.values?.(ANY_SCOPE);
  return values !== null && typeof values === 'object' && !Array.isArray(values) ? Object.keys(values) : [];
}

/** A flow's triggers and what each passes (`callreplay list --json`, the README's table). */
export function triggersOf(flow: CompiledFlow): Array<{ id: string; values: string[] }> {
  return namedTriggers(flow).map((t) => ({ id: t.id!, values: triggerValueNames(t) }));
}

/** The names of a flow's triggers with no mapping (for a bot other than the reference bot: the flow is skipped), in order. */
export function unmappedTriggers(flow: CompiledFlow, mappings: readonly TriggerMapping[]): string[] {
  const byName = mappingsByName(mappings);
  return [...new Set(namedTriggers(flow).map((t) => t.id!))].filter((id) => !mappingOf(byName, id));
}

/** Why a flow is skipped: its triggers not mapped, and the flags to add. */
export function skipReason(unmapped: readonly string[]): string {
  const names = unmapped.map((n) => `'${n}'`).join(', ');
  const flags = unmapped.map((n) => `--trigger ${n}=METHOD:PATH`).join(' ');
  return `${unmapped.length === 1 ? 'trigger' : 'triggers'} ${names} ${unmapped.length === 1 ? 'is' : 'are'} not mapped to this bot: add ${flags} (or \`triggers\` in callreplay.config)`;
}

/**
 * Checks mappings against the flows of a run: each name is a trigger of a selected flow (or of
 * `knownElsewhere`, e.g. the shipped flows, so that one config file serves runs of a few flows),
 * and each template name is a value the trigger passes in every selected flow that has it, or a
 * name of that flow. Throws TriggerMappingError naming the flag or key.
 */
export function checkMappings(flows: readonly CompiledFlow[], mappings: readonly TriggerMapping[], knownElsewhere: ReadonlySet<string> = new Set()): void {
  const used = triggerNames(flows);
  for (const m of mappingsByName(mappings).values()) {
    if (m.name === EVERY_TRIGGER || used.has(m.name) || knownElsewhere.has(m.name)) continue;
    const names = [...used].sort();
    const near = nearest(m.name, [...used, ...knownElsewhere]);
    throw new TriggerMappingError(`${m.from}: no flow has a trigger named "${m.name}"${near ? ` (did you mean "${near}"?)` : ''}; ${names.length ? `the selected flows' triggers are ${names.join(', ')}` : 'the selected flows have no named trigger'} (\`callreplay list --json\` shows each flow's triggers)`);
  }
  const byName = mappingsByName(mappings);
  for (const flow of flows) {
    flow.steps.forEach((step, i) => {
      if (step.kind !== 'trigger' || step.id === undefined) return;
      const m = byName.get(step.id);
      if (!m || m.to === REFERENCE) return;
      const passed = triggerValueNames(step);
      const allowed = new Set([...passed, ...namesBefore(flow, i)]);
      const check = (where: string) => (name: string) => {
        if (allowed.has(name)) return;
        throw new TriggerMappingError(
          `${m.from}: \${${name}} in its ${where} is not a value of trigger "${step.id}" in flow ${flow.name} (${flow.file}): it passes ${passed.length ? passed.join(', ') : 'no values'}${flow.ids.length ? `; the flow's ids are ${flow.ids.join(', ')}` : ''}`,
        );
      };
      compileRoute(m.to, check);
    });
  }
}

/** The names a flow's scope has at step `index`: built-ins, ids, values, the captures of earlier steps. */
function namesBefore(flow: CompiledFlow, index: number): string[] {
  const captures = flow.steps.slice(0, index).flatMap((s: CompiledStep) => (s.kind === 'expect' ? [s] : s.kind === 'unordered' ? s.expects : []).flatMap((e) => e.captures.map((c) => c.name)));
  return [...BUILTIN_NAMES, 'tenant', ...flow.ids, ...Object.keys(flow.values), ...captures];
}

interface CompiledRoute {
  path: Render;
  body?: Render;
  headers?: Render;
}

/** A route's templates compiled; `check(where)` sees every name used. Values put into the path are URL-encoded. */
function compileRoute(route: TriggerRoute, check: (where: string) => (name: string) => void = () => () => undefined): CompiledRoute {
  const parts = parseTemplate(route.path) ?? [route.path];
  const renders = parts.map((p) => {
    if (typeof p === 'string') return () => p;
    check('path')(p.name);
    const one = compileValue(`\${${p.name}${p.format ? `:${p.format}` : ''}}`, '/path', () => undefined);
    return (scope: Scope) => encodeURIComponent(String(one(scope) ?? ''));
  });
  return {
    path: (scope) => renders.map((r) => r(scope)).join(''),
    ...(route.body !== undefined ? { body: compileValue(route.body, 'body', (name) => check('body')(name)) } : {}),
    ...(route.headers !== undefined ? { headers: compileValue(route.headers, 'headers', (name) => check('headers')(name)) } : {}),
  };
}

/**
 * The flow with its mapped triggers sent to the bot's own endpoints: method and path from the
 * mapping, the body from its template (else the trigger's values), its headers; each rendered in the
 * flow's scope with the trigger's values over it. A trigger mapped to `reference`, or not mapped,
 * stays as written. Returns `flow` itself when nothing is mapped.
 */
export function mapTriggers(flow: CompiledFlow, mappings: readonly TriggerMapping[] | undefined): CompiledFlow {
  if (!mappings || mappings.length === 0) return flow;
  const byName = mappingsByName(mappings);
  let changed = false;
  const steps = flow.steps.map((step) => {
    if (step.kind !== 'trigger' || step.id === undefined) return step;
    const m = byName.get(step.id);
    if (!m || m.to === REFERENCE) return step;
    changed = true;
    return mappedStep(step, m.to, m.from);
  });
  return changed ? { ...flow, steps } : flow;
}

function mappedStep(step: CompiledTrigger, route: TriggerRoute, from: string): CompiledTrigger {
  const compiled = compileRoute(route);
  const values = step.values;
  // the trigger's values over the flow's scope: a template reads ${joinWebUrl} as the trigger passes it
  const withValues = (scope: Scope): Scope => {
    const rendered = values?.(scope);
    if (rendered === null || typeof rendered !== 'object') return scope;
    const layered = new Map(scope);
    for (const [k, v] of Object.entries(rendered)) layered.set(k, v);
    return layered;
  };
  const body = compiled.body ? (scope: Scope) => compiled.body!(withValues(scope)) : route.method === 'GET' ? undefined : values;
  return {
    ...step,
    method: route.method,
    path: (scope) => compiled.path(withValues(scope)),
    body,
    headers: compiled.headers ? (scope) => compiled.headers!(withValues(scope)) : undefined,
    mapping: from,
  };
}

/** The name nearest `name` within two edits (a likely typo), if any. */
function nearest(name: string, names: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const n of new Set(names)) {
    let prev = Array.from({ length: n.length + 1 }, (_, j) => j);
    for (let i = 1; i <= name.length; i++) {
      const row = [i];
      for (let j = 1; j <= n.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (name[i - 1] === n[j - 1] ? 0 : 1));
      prev = row;
    }
    const d = prev[n.length]!;
    if (d <= 2 && (!best || d < best.d)) best = { name: n, d };
  }
  return best?.name;
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
