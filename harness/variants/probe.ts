/**
 * Reading a flow's steps while it is transformed, without a run (./variants.ts): a scope in which
 * every template renders, and what a notify step is about (its call, state, target) or which Graph
 * paths the flow's requests use.
 */
import { createHash } from 'node:crypto';
import { callIdOfPath, canonicalPath } from '../engine/canonical.js';
import type { CompiledFlow, CompiledNotify, CompiledStep } from '../engine/plan.js';
import type { Scope } from '../flow/templates.js';
import { isObject, type Json } from './notification-bodies.js';

/**
 * A scope in which every name has a plausible value, so that step templates can be rendered
 * while the flow is transformed (to find a notification's call, state or target): ids and
 * captures are GUIDs derived from their names (the same name gives the same GUID), values are the
 * flow's, built-ins are fixed.
 */
export class ProbeScope extends Map<string, unknown> {
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

export function firstItems(step: CompiledNotify, probe: Scope): Json[] | undefined {
  let body: unknown;
  try {
    body = step.body(probe);
  } catch {
    return undefined;
  }
  if (!isObject(body) || !Array.isArray(body['value'])) return undefined;
  return body['value'].filter(isObject);
}

export function resourceOf(item: Json): string | undefined {
  const r = item['resourceUrl'] ?? item['resource'];
  return typeof r === 'string' ? r : undefined;
}

/** Where a notify step goes: its `to`, its headers and the call of its first item (JSON); undefined when unknown. */
export function targetOf(step: CompiledNotify, probe: Scope): string | undefined {
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
export function callStateOf(step: CompiledNotify, probe: Scope): { call: string; state: string } | undefined {
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

/** The Graph paths of the flow's expect steps (rendered with `probe`; a path that cannot be rendered is left out). */
export function requestPaths(flow: CompiledFlow, probe: Scope): string[] {
  const paths: string[] = [];
  for (const step of flow.steps) {
    const expects = step.kind === 'expect' ? [step] : step.kind === 'unordered' ? step.expects : [];
    for (const e of expects) {
      try {
        paths.push(String(e.path(probe)));
      } catch {
        // needs something the probe cannot give: not counted
      }
    }
  }
  return paths;
}

/** An expect or unordered step: the bot's requests. */
export function isExpectLike(step: CompiledStep | undefined): boolean {
  return step?.kind === 'expect' || step?.kind === 'unordered';
}

/** The index of the last step of the run of expect steps right after `i` (i itself when none): the bot's reaction to step i. */
export function endOfReaction(steps: readonly CompiledStep[], i: number): number {
  let j = i + 1;
  while (isExpectLike(steps[j])) j++;
  return j - 1;
}
