/**
 * Loads a flow file (YAML or JSON), validates it against flow.schema.json and compiles it.
 * Every problem becomes a FlowFileError naming the file and the JSON pointer (or line) at fault.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { CompiledFlow } from '../engine/plan.js';
import type { CallreplayFlow } from './flow-types.generated.js';
import { compileFlow, FlowCompileError, type FlowPositions } from './compile.js';
import { TemplateError } from './templates.js';
import { flowSchemaPath } from '../paths.js';
import { FlowFileError } from './flow-file-error.js';

/** The flow JSON Schema. */
export const flowSchema: object = JSON.parse(readFileSync(flowSchemaPath, 'utf8'));

const STEP_TYPES = ['notify', 'expect', 'unordered', 'trigger'];

export { FlowFileError };

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(doc: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(flowSchema);
  return validator(doc) ? [] : (validator.errors ?? []);
}

export async function loadFlowFile(file: string): Promise<CompiledFlow> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new FlowFileError(file, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseFlow(text, file);
}

/** Parses, validates and compiles flow text. `file` is used in messages. */
export function parseFlow(text: string, file: string): CompiledFlow {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = err.linePos?.[0];
    throw new FlowFileError(file, pos ? `line ${pos.line}, column ${pos.col}` : '', `not valid YAML/JSON: ${err.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  checkStepTypes(data, file);
  const errors = validate(data);
  if (errors.length > 0) throw schemaError(file, errors);
  try {
    return compileFlow(data as CallreplayFlow, file, positionsOf(doc, lineCounter));
  } catch (e) {
    if (e instanceof FlowCompileError) throw new FlowFileError(file, e.pointer, e.detail);
    if (e instanceof TemplateError) {
      const [pointer, ...rest] = e.message.split(': ');
      throw new FlowFileError(file, pointer ?? '', rest.join(': '));
    }
    throw e;
  }
}

/** Where the flow's `name` key and each top-level step start (YAML and JSON alike: yaml parses both). */
function positionsOf(doc: Document, lines: LineCounter): FlowPositions {
  const at = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const root = doc.contents;
  if (!isMap(root)) return { steps: [] };
  const pair = (key: string) => root.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
  const nameKey = pair('name')?.key as { range?: [number, number, number] } | undefined;
  const steps = pair('steps')?.value;
  return {
    name: at(nameKey?.range?.[0]),
    steps: isSeq(steps)
      ? steps.items.map((item) => {
          const range = (item as { range?: [number, number, number] } | null)?.range;
          const start = at(range?.[0]);
          return start && range ? { ...start, endLine: lines.linePos(Math.max(range[0], range[1] - 1)).line } : start;
        })
      : [],
  };
}

/** A clearer message than the schema's for the most common mistake: a misspelt step type. */
function checkStepTypes(data: unknown, file: string): void {
  if (data === null || typeof data !== 'object' || !Array.isArray((data as { steps?: unknown }).steps)) return;
  const steps = (data as { steps: unknown[] }).steps;
  steps.forEach((step, i) => {
    checkOneStep(step, `/steps/${i}`, STEP_TYPES, file);
    const group = (step as { unordered?: { steps?: unknown } } | null)?.unordered;
    if (group && Array.isArray(group.steps)) {
      group.steps.forEach((member, j) => checkOneStep(member, `/steps/${i}/unordered/steps/${j}`, ['expect'], file));
    }
  });
}

function checkOneStep(step: unknown, pointer: string, allowed: string[], file: string): void {
  if (step === null || typeof step !== 'object' || Array.isArray(step)) {
    throw new FlowFileError(file, pointer, `a step must be an object with one key: ${allowed.join(', ')}`);
  }
  const keys = Object.keys(step);
  const unknown = keys.filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new FlowFileError(file, pointer, `unknown step type "${unknown[0]}": a step here is one of ${allowed.join(', ')}`);
  }
  if (keys.length !== 1) {
    throw new FlowFileError(file, pointer, `a step has exactly one type, found ${keys.length ? keys.join(' and ') : 'none'}`);
  }
}

function schemaError(file: string, errors: ErrorObject[]): FlowFileError {
  // prefer the deepest error: it is the most specific
  const e = [...errors].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length)[0]!;
  let detail = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') detail = `unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  else if (e.keyword === 'enum') detail = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  else if (e.keyword === 'const') detail = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  else if (e.keyword === 'required') detail = `missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
  return new FlowFileError(file, e.instancePath || '/', detail);
}
