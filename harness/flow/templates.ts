/**
 * `${name}` templates in flow files. A string that is exactly one placeholder renders to the raw
 * value; otherwise placeholders are interpolated. `${name:hex}` renders an id the way Graph writes
 * it in notifications (upper-case, no hyphens). Templates are compiled once, when the flow is loaded,
 * and name checks happen then too, so a broken template is a load error, not a run-time surprise.
 */
import { hexId } from '../engine/ids.js';

export type Scope = ReadonlyMap<string, unknown>;

/** Names every flow can use without declaring them. */
export const BUILTIN_NAMES = ['graph', 'now', 'botAppId', 'botUrl'] as const;

const FORMATS = ['hex'] as const;
type Format = (typeof FORMATS)[number];

interface Placeholder {
  name: string;
  format?: Format;
}
type Part = string | Placeholder;

export class TemplateError extends Error {}

/** Renders a compiled value against a scope. */
export type Render = (scope: Scope) => unknown;

/** Parses one string; returns undefined when it holds no placeholder. */
export function parseTemplate(text: string): Part[] | undefined {
  if (!text.includes('${')) return undefined;
  const parts: Part[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) {
      parts.push(text.slice(i));
      break;
    }
    if (start > i) parts.push(text.slice(i, start));
    const end = text.indexOf('}', start);
    if (end < 0) throw new TemplateError(`unterminated placeholder in "${text}": missing "}" after "\${"`);
    const inner = text.slice(start + 2, end).trim();
    const [name, format, ...rest] = inner.split(':');
    if (!name || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name) || rest.length > 0) {
      throw new TemplateError(`bad placeholder "\${${inner}}" in "${text}": expected \${name} or \${name:hex}`);
    }
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
      throw new TemplateError(`unknown format ":${format}" in "\${${inner}}": known formats are ${FORMATS.join(', ')}`);
    }
    parts.push(format ? { name, format: format as Format } : { name });
    i = end + 1;
  }
  return parts;
}

/**
 * Compiles a JSON value into a render function. `onName(name, pointer)` is called for every
 * placeholder (to check the name is declared); it throws to refuse it. Errors carry the JSON pointer.
 */
export function compileValue(value: unknown, pointer: string, onName: (name: string, pointer: string) => void): Render {
  if (typeof value === 'string') {
    let parts: Part[] | undefined;
    try {
      parts = parseTemplate(value);
    } catch (e) {
      throw new TemplateError(`${pointer}: ${(e as Error).message}`);
    }
    if (!parts) return () => value;
    for (const p of parts) if (typeof p !== 'string') onName(p.name, pointer);
    if (parts.length === 1 && typeof parts[0] !== 'string') {
      const only = parts[0]!;
      return (scope) => formatValue(lookup(scope, only.name), only.format);
    }
    const compiled = parts;
    return (scope) => {
      let out = '';
      for (const p of compiled) out += typeof p === 'string' ? p : String(formatValue(lookup(scope, p.name), p.format) ?? '');
      return out;
    };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileValue(v, `${pointer}/${i}`, onName));
    if (items.every((_, i) => isConstant(value[i]))) return () => value;
    return (scope) => items.map((r) => r(scope));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(
      ([k, v]) => [k, compileValue(v, `${pointer}/${escapePointer(k)}`, onName)] as const,
    );
    if (isConstant(value)) return () => value;
    return (scope) => {
      const out: Record<string, unknown> = {};
      for (const [k, r] of entries) {
        const v = r(scope);
        if (v !== undefined) out[k] = v;
      }
      return out;
    };
  }
  return () => value;
}

/** True when a JSON value holds no placeholder anywhere. */
function isConstant(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('${');
  if (Array.isArray(value)) return value.every(isConstant);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isConstant);
  return true;
}

/** A name bound to undefined (an optional capture that found nothing) renders nothing. */
function lookup(scope: Scope, name: string): unknown {
  const v = scope.get(name);
  if (v === undefined && !scope.has(name)) throw new TemplateError(`\${${name}} has no value yet (it is captured by a later step?)`);
  return v;
}

function formatValue(v: unknown, format: Format | undefined): unknown {
  if (v === undefined) return undefined;
  if (format === 'hex') return hexId(String(v));
  return v;
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
