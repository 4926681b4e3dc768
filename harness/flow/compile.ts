/**
 * Turns a schema-valid flow document into a CompiledFlow: compiles templates and matchers and
 * checks every name against what is declared before it (ids, values, builtins, earlier captures).
 */
import type { CallreplayFlow, ExpectStep, Step } from './flow-types.generated.js';
import type { CompiledExpect, CompiledFlow, CompiledStep, HttpMethod, SourcePos } from '../engine/plan.js';
import {
  AbsentMatcher,
  AllOfMatcher,
  ArrayMatcher,
  DeepEqualMatcher,
  EmptyMatcher,
  EqualsMatcher,
  IdMatcher,
  LengthMatcher,
  type Matcher,
  ObjectMatcher,
  OneOfMatcher,
  PresentMatcher,
  RegexMatcher,
  TypeMatcher,
} from '../engine/matchers.js';
import { canonicalBody } from '../engine/canonical.js';
import { BUILTIN_NAMES, compileValue, escapePointer, type Render } from './templates.js';

export const DEFAULT_STEP_TIMEOUT_MS = 5000;
export const DEFAULT_QUIET_MS = 300;

/** A problem at a JSON pointer of the flow document. */
export class FlowCompileError extends Error {
  constructor(
    readonly pointer: string,
    readonly detail: string,
  ) {
    super(`${pointer}: ${detail}`);
  }
}

const OPERATORS = ['$id', '$absent', '$empty', '$present', '$type', '$regex', '$oneOf', '$eq', '$length'] as const;
const TYPES = ['string', 'number', 'boolean', 'object', 'array', 'null'];

/** Where the flow's name and each top-level step are written (from the YAML parse), carried into the report. */
export interface FlowPositions {
  name?: SourcePos;
  steps: ReadonlyArray<SourcePos | undefined>;
}

export function compileFlow(doc: CallreplayFlow, file: string, positions?: FlowPositions): CompiledFlow {
  const names = new Set<string>(BUILTIN_NAMES);
  const declare = (name: string, pointer: string, what: string) => {
    if (names.has(name)) throw new FlowCompileError(pointer, `${what} "${name}" is already defined (names must be unique, and ${BUILTIN_NAMES.join(', ')} are built in)`);
    names.add(name);
  };
  (doc.ids ?? []).forEach((id, i) => declare(id, `/ids/${i}`, 'id'));
  for (const key of Object.keys(doc.values ?? {})) declare(key, `/values/${escapePointer(key)}`, 'value');

  const check = (name: string, pointer: string) => {
    if (!names.has(name)) {
      throw new FlowCompileError(pointer, `unknown name \${${name}}: declare it under ids or values, or capture it in an earlier step (known: ${[...names].join(', ')})`);
    }
  };
  const defaultTimeout = doc.timeout ?? DEFAULT_STEP_TIMEOUT_MS;
  const steps = doc.steps.map((step, index) => {
    const compiled = compileStep(step, index, `/steps/${index}`, defaultTimeout, check, declare);
    const at = positions?.steps[index];
    return at ? { ...compiled, at } : compiled;
  });

  return {
    name: doc.name,
    description: doc.description,
    file,
    ...(positions?.name ? { at: positions.name } : {}),
    suite: doc.suite ?? 'default',
    api: doc.api,
    unmatched: doc.unmatched ?? 'fail',
    quietMs: doc.quiet ?? DEFAULT_QUIET_MS,
    quietFromBot: doc.quiet === undefined,
    ids: doc.ids ?? [],
    values: doc.values ?? {},
    steps,
  };
}

type Check = (name: string, pointer: string) => void;
type Declare = (name: string, pointer: string, what: string) => void;

function compileStep(step: Step, index: number, pointer: string, defaultTimeout: number, check: Check, declare: Declare): CompiledStep {
  if (step.notify) {
    const s = step.notify;
    const p = `${pointer}/notify`;
    const to = s.to === undefined || s.to === 'auto' || s.to === 'webhook' ? (s.to ?? 'auto') : compileValue(s.to, `${p}/to`, check);
    return {
      kind: 'notify',
      index,
      name: s.name,
      pointer: p,
      timeoutMs: s.timeout ?? defaultTimeout,
      to: to as 'auto' | 'webhook' | Render,
      headers: s.headers ? compileValue(s.headers, `${p}/headers`, check) : undefined,
      delayMs: s.delay ?? 0,
      body: compileValue(s.body, `${p}/body`, check),
    };
  }
  if (step.expect) return compileExpect(step.expect, index, `${pointer}/expect`, defaultTimeout, check, declare);
  if (step.unordered) {
    const s = step.unordered;
    const p = `${pointer}/unordered`;
    // captures of one member are not visible to its siblings: declare them after the group
    const pending: Array<[string, string]> = [];
    const deferDeclare: Declare = (name, ptr) => pending.push([name, ptr]);
    const expects = s.steps.map((member, i) =>
      compileExpect(member.expect, index, `${p}/steps/${i}/expect`, s.timeout ?? defaultTimeout, check, deferDeclare),
    );
    for (const [name, ptr] of pending) declare(name, ptr, 'capture');
    return { kind: 'unordered', index, name: s.name, pointer: p, timeoutMs: s.timeout ?? defaultTimeout, expects };
  }
  if (step.trigger) {
    const s = step.trigger;
    const p = `${pointer}/trigger`;
    return {
      kind: 'trigger',
      index,
      name: s.name,
      id: s.id,
      values: s.values === undefined ? undefined : compileValue(s.values, `${p}/values`, check),
      pointer: p,
      timeoutMs: s.timeout ?? defaultTimeout,
      method: s.method as HttpMethod,
      path: compileValue(s.path, `${p}/path`, check),
      headers: s.headers ? compileValue(s.headers, `${p}/headers`, check) : undefined,
      body: s.body === undefined ? undefined : compileValue(s.body, `${p}/body`, check),
    };
  }
  throw new FlowCompileError(pointer, `unknown step type: a step is one of notify, expect, unordered, trigger`);
}

function compileExpect(s: ExpectStep, index: number, p: string, defaultTimeout: number, check: Check, declare: Declare): CompiledExpect {
  const path = compileValue(s.path, `${p}/path`, check);
  const body = s.body === undefined ? undefined : compileMatcher(canonicalBody(s.body), `${p}/body`, check);
  const headers = Object.entries(s.headers ?? {}).map(
    ([name, spec]) => [name.toLowerCase(), compileMatcher(spec, `${p}/headers/${escapePointer(name)}`, check)] as const,
  );
  const captures = Object.entries(s.capture ?? {}).map(([name, source]) => {
    declare(name, `${p}/capture/${escapePointer(name)}`, 'capture');
    const optional = source.endsWith('?');
    const path = optional ? source.slice(0, -1) : source;
    return { name, source: path, optional, segments: parseCapturePath(path, `${p}/capture/${escapePointer(name)}`) };
  });
  const r = s.respond;
  return {
    kind: 'expect',
    index,
    name: s.name,
    pointer: p,
    timeoutMs: s.timeout ?? defaultTimeout,
    method: s.method as HttpMethod,
    path,
    pathTemplate: s.path,
    body,
    headers,
    captures,
    respond: r && {
      status: r.status ?? 202,
      headers: r.headers ? compileValue(r.headers, `${p}/respond/headers`, check) : undefined,
      body: r.body === undefined ? undefined : compileValue(r.body, `${p}/respond/body`, check),
    },
  };
}

/** Builds a matcher from a body/header spec. Objects whose keys all start with `$` are operators. */
export function compileMatcher(spec: unknown, pointer: string, check: Check): Matcher {
  if (Array.isArray(spec)) return new ArrayMatcher(spec.map((item, i) => compileMatcher(item, `${pointer}/${i}`, check)));
  if (spec !== null && typeof spec === 'object') {
    const keys = Object.keys(spec);
    const ops = keys.filter((k) => k.startsWith('$'));
    if (ops.length > 0) {
      if (ops.length !== keys.length) {
        throw new FlowCompileError(pointer, `mixes operators (${ops.join(', ')}) with properties (${keys.filter((k) => !k.startsWith('$')).join(', ')}): put the operators on the property they check`);
      }
      const matchers = ops.map((op) => compileOperator(op, (spec as Record<string, unknown>)[op], `${pointer}/${escapePointer(op)}`, check));
      return matchers.length === 1 ? matchers[0]! : new AllOfMatcher(matchers);
    }
    return new ObjectMatcher(
      Object.entries(spec).map(([k, v]) => [k, compileMatcher(v, `${pointer}/${escapePointer(k)}`, check)] as const),
    );
  }
  return new EqualsMatcher(compileValue(spec, pointer, check));
}

function compileOperator(op: string, arg: unknown, pointer: string, check: Check): Matcher {
  switch (op) {
    case '$id':
      if (typeof arg !== 'string') throw new FlowCompileError(pointer, '$id takes the name of an id, e.g. {$id: p2pCall}');
      check(arg, pointer);
      return new IdMatcher(arg);
    case '$absent':
    case '$empty':
    case '$present':
      if (arg !== true) throw new FlowCompileError(pointer, `${op} takes true`);
      return op === '$absent' ? new AbsentMatcher() : op === '$empty' ? new EmptyMatcher() : new PresentMatcher();
    case '$type':
      if (typeof arg !== 'string' || !TYPES.includes(arg)) throw new FlowCompileError(pointer, `$type takes one of ${TYPES.join(', ')}`);
      return new TypeMatcher(arg);
    case '$regex':
      if (typeof arg !== 'string') throw new FlowCompileError(pointer, '$regex takes a regular expression string');
      try {
        return new RegexMatcher(new RegExp(arg));
      } catch (e) {
        throw new FlowCompileError(pointer, `invalid regular expression: ${(e as Error).message}`);
      }
    case '$oneOf':
      if (!Array.isArray(arg) || arg.length === 0) throw new FlowCompileError(pointer, '$oneOf takes a non-empty list of values');
      return new OneOfMatcher(compileValue(arg, pointer, check));
    case '$eq':
      return new DeepEqualMatcher(compileValue(arg, pointer, check));
    case '$length':
      if (typeof arg !== 'number' || !Number.isInteger(arg) || arg < 0) throw new FlowCompileError(pointer, '$length takes a whole number');
      return new LengthMatcher(arg);
    default:
      throw new FlowCompileError(pointer, `unknown operator ${op}: known operators are ${OPERATORS.join(', ')}`);
  }
}

/** `body.participants[0].identity` -> ['body', 'participants', 0, 'identity'] */
export function parseCapturePath(source: string, pointer: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(source))) {
    segments.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
    consumed += m[0].length;
  }
  const dots = (source.match(/\./g) ?? []).length;
  if (segments.length === 0 || consumed + dots !== source.length) {
    throw new FlowCompileError(pointer, `bad capture path "${source}": expected e.g. body.clientContext or body.participants[0].identity`);
  }
  if (segments[0] === 'headers' && typeof segments[1] === 'string') segments[1] = segments[1].toLowerCase();
  return segments;
}
