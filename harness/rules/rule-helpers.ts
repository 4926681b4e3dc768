/**
 * What the per-request checks of the call-state rules share: the request as they see it
 * (RequestCheck), where they put what they find (Violations), and message helpers.
 */
import type { ObserverContext } from '../engine/run-types.js';
import { sameId } from '../engine/ids.js';
import { isObject, type CallStateTracker, type ClassifiedRequest, type TrackedCall } from './call-state.js';
import type { RuleId } from './rule-table.js';

/** Collects one request's violations (rules.ts reports them, errors first). */
export interface Violations {
  add(id: RuleId, message: string): void;
}

/** One Graph request about calls, as a check sees it (before the tracker has taken it in). */
export interface RequestCheck {
  /** `POST /beta/app/calls/{call}/mute`: the request for messages, ids by their flow names */
  readonly what: string;
  readonly req: ClassifiedRequest;
  /** the call the path names, as the run knows it before this request */
  readonly call: TrackedCall | undefined;
  /** the request body when it is a JSON object, else {} */
  readonly body: Record<string, unknown>;
  /** the API version the request is for: its path's (`/v1.0/...`, `/beta/...`), else the flow's `api` */
  readonly version: 'v1.0' | 'beta' | undefined;
  readonly tracker: CallStateTracker;
  readonly ctx: ObserverContext;
  readonly v: Violations;
}

/** `{call}` for an id the flow minted, else the id as first seen. */
export function callName(call: TrackedCall, ctx: ObserverContext): string {
  return ctx.describePath(call.rawId);
}

/** `call {call}, a P2P call (the incoming-call notification (step 1) carries no chatInfo or meetingInfo)` */
export function callKindText(call: TrackedCall, ctx: ObserverContext): string {
  const kind = call.kind === 'p2p' ? 'a P2P call' : call.kind === 'group' ? 'a group call' : 'a call of unknown kind';
  return `call ${callName(call, ctx)}, ${kind}${call.kindReason ? ` (${call.kindReason})` : ''}`;
}

export function countOf(value: unknown): number | undefined {
  return Array.isArray(value) ? value.length : undefined;
}

/** Two identitySets name the same party when some kind (user, application, phone, ...) has the same id in both. */
export function sameIdentity(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  if (!a) return false;
  const ids = (set: Record<string, unknown>) =>
    Object.entries(set).flatMap(([kind, v]) => (isObject(v) && typeof v['id'] === 'string' ? [[kind, v['id']] as const] : []));
  const theirs = ids(b);
  if (theirs.length === 0) return true; // nothing to compare with
  return ids(a).some(([kind, id]) => theirs.some(([k, other]) => k === kind && sameId(id, other)));
}

export function identityText(identity: Record<string, unknown> | undefined, ctx: ObserverContext): string {
  if (!identity) return 'no identity';
  const parts = Object.entries(identity).flatMap(([kind, v]) => (isObject(v) && typeof v['id'] === 'string' ? [`${kind} ${ctx.describe(v['id'])}`] : []));
  return parts.length ? parts.join(' + ') : ctx.describe(identity);
}

/** 1234 -> "1234 ms"; 65000 -> "65 s"; 2700000 -> "45 min". */
export function duration(ms: number): string {
  const r = Math.round(ms);
  if (r >= 120_000 && r % 60_000 === 0) return `${r / 60_000} min`;
  if (r >= 10_000) return `${Math.round(r / 100) / 10} s`;
  return `${r} ms`;
}
