/**
 * Body and header matchers. Each matcher checks a value, explains what it wants in words, and
 * gives a sample of the expected value for diffs. Objects match partially (listed keys only);
 * arrays match element by element and must have the same length; ids compare on meaning.
 */
import type { Render, Scope } from '../flow/templates.js';
import type { Mismatch } from './findings.js';
import { CALL_REFERENCE_KEYS, isCallPath, isGuidLike, sameCall, sameId } from './ids.js';

export interface MatchContext {
  scope: Scope;
  /** renders a value for messages, naming known ids, e.g. `<p2pCall 57dab8b1-...>` */
  describe(value: unknown): string;
}

export interface Matcher {
  readonly type: string;
  /** Appends one Mismatch per difference found at or below `path`. */
  match(actual: unknown, path: string, ctx: MatchContext, out: Mismatch[]): void;
  /** What the matcher wants, in words. */
  explain(ctx: MatchContext): string;
  /** A representative expected value, for diffs; `ABSENT` when the key should not be there. */
  sample(ctx: MatchContext): unknown;
  /** The part of `actual` this matcher looks at (for focused diffs). */
  project(actual: unknown): unknown;
}

/** Marker for "key absent" in samples. */
export const ABSENT = Symbol('absent');

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export class ObjectMatcher implements Matcher {
  readonly type = 'object';
  constructor(readonly entries: ReadonlyArray<readonly [string, Matcher]>) {}
  match(actual: unknown, path: string, ctx: MatchContext, out: Mismatch[]): void {
    if (typeOf(actual) !== 'object') {
      out.push({ path, expected: 'an object', actual: ctx.describe(actual) });
      return;
    }
    const obj = actual as Record<string, unknown>;
    for (const [key, m] of this.entries) {
      const child = path ? `${path}.${key}` : key;
      const value = obj[key];
      if (value === undefined && !acceptsAbsent(m)) {
        out.push({ path: child, expected: m.explain(ctx), actual: 'nothing (the property is missing)' });
      } else {
        m.match(value, child, ctx, out);
      }
    }
  }
  explain(): string {
    return `an object with ${this.entries.map(([k]) => k).join(', ')}`;
  }
  sample(ctx: MatchContext): unknown {
    const out: Record<string, unknown> = {};
    for (const [k, m] of this.entries) {
      const s = m.sample(ctx);
      if (s !== ABSENT) out[k] = s;
    }
    return out;
  }
  project(actual: unknown): unknown {
    if (typeOf(actual) !== 'object') return actual;
    const obj = actual as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, m] of this.entries) if (obj[k] !== undefined) out[k] = m.project(obj[k]);
    return out;
  }
}

export class ArrayMatcher implements Matcher {
  readonly type = 'array';
  constructor(readonly items: readonly Matcher[]) {}
  match(actual: unknown, path: string, ctx: MatchContext, out: Mismatch[]): void {
    if (!Array.isArray(actual)) {
      out.push({ path, expected: `an array of ${this.items.length}`, actual: ctx.describe(actual) });
      return;
    }
    if (actual.length !== this.items.length) {
      out.push({ path, expected: `${this.items.length} item(s)`, actual: `${actual.length} item(s)` });
    }
    const n = Math.min(actual.length, this.items.length);
    for (let i = 0; i < n; i++) this.items[i]!.match(actual[i], `${path}[${i}]`, ctx, out);
  }
  explain(): string {
    return `an array of ${this.items.length}`;
  }
  sample(ctx: MatchContext): unknown {
    return this.items.map((m) => m.sample(ctx));
  }
  project(actual: unknown): unknown {
    if (!Array.isArray(actual)) return actual;
    return actual.map((v, i) => (this.items[i] ? this.items[i]!.project(v) : v));
  }
}

/**
 * A matcher on one value: `test()` decides, `explain()` says what it wants; a failed test is one
 * Mismatch at the value's path.
 */
abstract class LeafMatcher implements Matcher {
  abstract readonly type: string;
  protected abstract test(actual: unknown, ctx: MatchContext): boolean;
  abstract explain(ctx: MatchContext): string;
  match(actual: unknown, path: string, ctx: MatchContext, out: Mismatch[]): void {
    if (!this.test(actual, ctx)) out.push({ path, expected: this.explain(ctx), actual: this.describeActual(actual, ctx) });
  }
  sample(ctx: MatchContext): unknown {
    return `<${this.explain(ctx)}>`;
  }
  project(actual: unknown): unknown {
    return actual;
  }
  protected describeActual(actual: unknown, ctx: MatchContext): string {
    return ctx.describe(actual);
  }
}

/** A literal (possibly templated) value. Strings that are ids compare as ids. */
export class EqualsMatcher extends LeafMatcher {
  readonly type = 'equals';
  constructor(readonly expected: Render) {
    super();
  }
  protected test(actual: unknown, ctx: MatchContext): boolean {
    return valuesEqual(this.expected(ctx.scope), actual);
  }
  explain(ctx: MatchContext): string {
    return ctx.describe(this.expected(ctx.scope));
  }
  override sample(ctx: MatchContext): unknown {
    return this.expected(ctx.scope);
  }
}

/**
 * `{$id: name}`: the id held by `name`, in any spelling. Where Graph takes a call reference
 * (`replacesCallId`, `@odata.id`, ...) a `/app|communications/calls/{id}` path or URL on Graph's own
 * origin names it too; anywhere else a path is not the id.
 */
export class IdMatcher extends LeafMatcher {
  readonly type = 'id';
  constructor(readonly name: string) {
    super();
  }
  override match(actual: unknown, path: string, ctx: MatchContext, out: Mismatch[]): void {
    const want = String(ctx.scope.get(this.name));
    if (typeof actual === 'string') {
      const reference = isCallReferencePath(path);
      if (reference ? sameCall(want, actual) : sameId(want, actual)) return;
      if (!reference && isCallPath(actual) && sameCall(want, actual)) {
        out.push({ path, expected: `${this.explain(ctx)} as a bare id`, actual: `${ctx.describe(actual)}, a call path: Graph takes a bare id here` });
        return;
      }
    }
    out.push({ path, expected: this.explain(ctx), actual: ctx.describe(actual) });
  }
  protected test(actual: unknown, ctx: MatchContext): boolean {
    return typeof actual === 'string' && sameId(String(ctx.scope.get(this.name)), actual);
  }
  explain(ctx: MatchContext): string {
    return ctx.describe(String(ctx.scope.get(this.name)));
  }
  override sample(ctx: MatchContext): unknown {
    return ctx.scope.get(this.name);
  }
}

/** True when the value at `path` (e.g. body.participants[0].replacesCallId) is a call reference. */
function isCallReferencePath(path: string): boolean {
  if (path.endsWith('@odata.id')) return true;
  return CALL_REFERENCE_KEYS.has(path.slice(path.lastIndexOf('.') + 1));
}

export class AbsentMatcher extends LeafMatcher {
  readonly type = 'absent';
  protected test(actual: unknown): boolean {
    return actual === undefined;
  }
  explain(): string {
    return 'no such property';
  }
  override sample(): unknown {
    return ABSENT;
  }
}

/** `{$empty: true}`: absent, null, "", [] or {}. */
export class EmptyMatcher extends LeafMatcher {
  readonly type = 'empty';
  protected test(actual: unknown): boolean {
    return isEmpty(actual);
  }
  explain(): string {
    return 'nothing (absent or empty)';
  }
  override sample(): unknown {
    return ABSENT;
  }
}

export class PresentMatcher extends LeafMatcher {
  readonly type = 'present';
  protected test(actual: unknown): boolean {
    return actual !== undefined && actual !== null;
  }
  explain(): string {
    return 'any value';
  }
}

export class TypeMatcher extends LeafMatcher {
  readonly type = 'type';
  constructor(readonly want: string) {
    super();
  }
  protected test(actual: unknown): boolean {
    return typeOf(actual) === this.want;
  }
  explain(): string {
    return `a ${this.want}`;
  }
}

export class RegexMatcher extends LeafMatcher {
  readonly type = 'regex';
  constructor(readonly regex: RegExp) {
    super();
  }
  protected test(actual: unknown): boolean {
    return typeof actual === 'string' && this.regex.test(actual);
  }
  explain(): string {
    return `a string matching ${this.regex}`;
  }
}

export class OneOfMatcher extends LeafMatcher {
  readonly type = 'oneOf';
  constructor(readonly options: Render) {
    super();
  }
  protected test(actual: unknown, ctx: MatchContext): boolean {
    return (this.options(ctx.scope) as unknown[]).some((o) => valuesEqual(o, actual));
  }
  explain(ctx: MatchContext): string {
    return `one of ${(this.options(ctx.scope) as unknown[]).map((o) => ctx.describe(o)).join(', ')}`;
  }
  override sample(ctx: MatchContext): unknown {
    return (this.options(ctx.scope) as unknown[])[0];
  }
}

/** `{$eq: value}`: deep equality (no partial objects). */
export class DeepEqualMatcher extends LeafMatcher {
  readonly type = 'eq';
  constructor(readonly expected: Render) {
    super();
  }
  protected test(actual: unknown, ctx: MatchContext): boolean {
    return deepEqual(this.expected(ctx.scope), actual);
  }
  explain(ctx: MatchContext): string {
    return `exactly ${ctx.describe(this.expected(ctx.scope))}`;
  }
  override sample(ctx: MatchContext): unknown {
    return this.expected(ctx.scope);
  }
}

export class LengthMatcher extends LeafMatcher {
  readonly type = 'length';
  constructor(readonly length: number) {
    super();
  }
  protected test(actual: unknown): boolean {
    return lengthOf(actual) === this.length;
  }
  explain(): string {
    return `length ${this.length}`;
  }
  protected override describeActual(actual: unknown, ctx: MatchContext): string {
    const len = lengthOf(actual);
    return len === undefined ? ctx.describe(actual) : `length ${len}`;
  }
}

function lengthOf(v: unknown): number | undefined {
  return Array.isArray(v) || typeof v === 'string' ? v.length : undefined;
}

/** Several operators on one value, e.g. `{$type: string, $regex: ...}`. */
export class AllOfMatcher implements Matcher {
  readonly type = 'allOf';
  constructor(readonly matchers: readonly Matcher[]) {}
  match(actual: unknown, path: string, ctx: MatchContext, out: Mismatch[]): void {
    for (const m of this.matchers) m.match(actual, path, ctx, out);
  }
  explain(ctx: MatchContext): string {
    return this.matchers.map((m) => m.explain(ctx)).join(' and ');
  }
  sample(ctx: MatchContext): unknown {
    return this.matchers[0]!.sample(ctx);
  }
  project(actual: unknown): unknown {
    return actual;
  }
}

function acceptsAbsent(m: Matcher): boolean {
  if (m instanceof AllOfMatcher) return m.matchers.every(acceptsAbsent);
  return m.type === 'absent' || m.type === 'empty';
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** Equality on meaning: ids compare as ids, everything else strictly (objects deeply). */
export function valuesEqual(want: unknown, actual: unknown): boolean {
  if (typeof want === 'string' && typeof actual === 'string' && isGuidLike(want)) return sameId(want, actual);
  return deepEqual(want, actual);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
