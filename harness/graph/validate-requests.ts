/**
 * Checks the bodies of the Graph calling requests a bot sends against the JSON Schemas in
 * schemas/graph-calling.schema.json (see its $comment for the conventions).
 *
 * Two kinds of result:
 * - errors: what Graph rejects or cannot act on: a missing required parameter, a wrong JSON type, an
 *   enum value Graph does not know (compared case-insensitively), an abstract type (mediaConfig,
 *   prompt, meetingInfo, callOptions) without a valid "@odata.type", a documented range exceeded;
 * - warnings: properties the schema does not declare (rule "undeclared": Graph tolerates them on its
 *   open types and ignores unknown action parameters, e.g. clientContext on transfer), beta-only
 *   properties sent to v1.0, the 2019 beta names on beta (rule "deprecated"), read-only call
 *   properties in a create-call request (rule "read-only").
 *
 * The ajv validators are compiled once, when this module is loaded; the per-request cost is a path
 * parse, one walk over the body (undeclared properties) and one compiled validator call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ObserverContext, RunObserver } from '../engine/flow-run.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { isCallPath } from '../engine/ids.js';
import { packageRoot } from '../paths.js';
import { classifyCallRequest, type GraphVersion } from './actions.js';
import type { GraphActionBodies } from './types.generated.js';

export type { GraphVersion } from './actions.js';

/** The calling actions whose request bodies are checked, e.g. "answer", "invite", "participantMute". */
export type GraphAction = keyof GraphActionBodies;

/** The request body of any calling action. */
export type GraphRequestBody = GraphActionBodies[GraphAction];

export interface Violation {
  /** JSON path in the request, e.g. body.participants[0].identity ("path" for the URL itself) */
  path: string;
  /** required, type, enum, const, discriminator, minimum, maxItems, ..., undeclared, read-only, deprecated, path */
  rule: string;
  message: string;
}

export interface GraphRequestValidation {
  /** the action the path names; undefined for anything else (nothing is checked then) */
  action: GraphAction | undefined;
  errors: Violation[];
  warnings: Violation[];
}

/** The $id of the schema bundle; every type is `${GRAPH_SCHEMA_ID}#/definitions/<name>`. */
export const GRAPH_SCHEMA_ID = 'https://callreplay.dev/schemas/graph-calling.schema.json';
/** Where the schema bundle is (inside the installed package). */
export const graphSchemaPath = join(packageRoot, 'harness', 'graph', 'schemas', 'graph-calling.schema.json');

// ------------------------------------------------------------------ the schema bundle

type SchemaNode = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  discriminator?: { propertyName: string };
  enum?: unknown[];
  const?: unknown;
  'x-csdl'?: string;
  'x-csdl-open'?: boolean;
  'x-csdl-action'?: string;
  'x-graph-action'?: string;
  'x-graph-beta'?: string[];
  'x-graph-beta-aliases'?: Record<string, string>;
  'x-graph-read-only'?: string[];
  'x-case-insensitive'?: boolean;
  [keyword: string]: unknown;
};

interface SchemaBundle {
  $id: string;
  definitions: Record<string, SchemaNode>;
}

/** The schema bundle as shipped (annotations included). */
export const graphCallingSchema: SchemaBundle = JSON.parse(readFileSync(graphSchemaPath, 'utf8')) as SchemaBundle;

/** Annotation keywords of the bundle (ajv's strict mode refuses unknown keywords). */
const ANNOTATIONS = [
  'x-csdl',
  'x-csdl-open',
  'x-csdl-action',
  'x-csdl-binding',
  'x-graph-action',
  'x-graph-beta',
  'x-graph-beta-type',
  'x-graph-extra',
  'x-graph-extra-values',
  'x-graph-beta-aliases',
  'x-graph-read-only',
  'x-case-insensitive',
];

const defs = graphCallingSchema.definitions;
const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);

/**
 * Enums compare case-insensitively on the wire ("Running" = "running"). JSON Schema's enum is exact
 * and a JS regex has no (?i), so each enum marked x-case-insensitive becomes the keyword x-enum-ci
 * (same values, compared lower-cased) in the copy of the bundle that ajv compiles.
 */
function prepareForAjv(bundle: SchemaBundle): SchemaBundle {
  const copy = structuredClone(bundle);
  for (const def of Object.values(copy.definitions)) {
    if (def['x-case-insensitive'] === true && Array.isArray(def.enum)) {
      def['x-enum-ci'] = def.enum;
      delete def.enum;
    }
  }
  return copy;
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true, discriminator: true });
ajv.addVocabulary(ANNOTATIONS);
ajv.addKeyword({
  keyword: 'x-enum-ci',
  type: 'string',
  schemaType: 'array',
  compile: (values: string[]) => {
    const allowed = new Set(values.map((v) => v.toLowerCase()));
    return (data: string) => allowed.has(data.toLowerCase());
  },
});
ajv.addSchema(prepareForAjv(graphCallingSchema) as object);

// ------------------------------------------------------------------ shapes: the declared properties, for warnings

/** What the walk over a body needs to know about a schema: the declared property lists. */
type Shape = ObjectShape | ArrayShape | UnionShape;
interface ObjectShape {
  kind: 'object';
  /** for messages: "call", "invitationParticipantInfo", "the answer request" */
  label: string;
  /** an action's parameters (not a type) */
  parameters: boolean;
  open: boolean;
  props: Map<string, Shape | undefined>;
  beta: ReadonlySet<string>;
  aliases: ReadonlyMap<string, string>;
  readOnly: ReadonlySet<string>;
}
interface ArrayShape {
  kind: 'array';
  items: Shape;
}
interface UnionShape {
  kind: 'union';
  tag: string;
  branches: Map<string, Shape>;
}

const shapes = new Map<string, Shape | undefined>();

function shapeOfDefinition(name: string): Shape | undefined {
  if (shapes.has(name)) return shapes.get(name);
  const def = defs[name];
  if (!def) throw new Error(`graph-calling.schema.json: no definition ${name}`);
  if (def.properties) {
    // registered before its properties are resolved, so recursive types terminate
    const shape: ObjectShape = {
      kind: 'object',
      label: def['x-csdl-action'] ? `the ${def['x-graph-action']} request` : (def['x-csdl'] ?? name),
      parameters: def['x-csdl-action'] !== undefined,
      open: def['x-csdl-open'] === true,
      props: new Map(),
      beta: new Set(def['x-graph-beta'] ?? []),
      aliases: new Map(Object.entries(def['x-graph-beta-aliases'] ?? {})),
      readOnly: new Set(def['x-graph-read-only'] ?? []),
    };
    shapes.set(name, shape);
    for (const [key, sub] of Object.entries(def.properties)) shape.props.set(key, shapeOf(sub));
    return shape;
  }
  if (def.discriminator && def.oneOf) {
    const union: UnionShape = { kind: 'union', tag: def.discriminator.propertyName, branches: new Map() };
    shapes.set(name, union);
    for (const branch of def.oneOf) {
      const branchName = refName(branch.$ref!);
      const tag = defs[branchName]?.properties?.[union.tag]?.const;
      const shape = shapeOfDefinition(branchName);
      if (typeof tag === 'string' && shape) union.branches.set(tag, shape);
    }
    return union;
  }
  shapes.set(name, undefined);
  const shape = shapeOf(def);
  shapes.set(name, shape);
  return shape;
}

function shapeOf(schema: SchemaNode): Shape | undefined {
  if (schema.$ref) return shapeOfDefinition(refName(schema.$ref));
  if (schema.allOf?.length === 1) return shapeOf(schema.allOf[0]!);
  if (schema.anyOf) {
    const branches = schema.anyOf.filter((s) => s.type !== 'null');
    return branches.length === 1 ? shapeOf(branches[0]!) : undefined; // a real union (resourceData): not walked
  }
  if (schema.items) {
    const items = shapeOf(schema.items);
    return items ? { kind: 'array', items } : undefined;
  }
  return undefined;
}

/** The allowed "@odata.type" values of each abstract type, for messages. */
const discriminatorTags = new Map<string, string[]>();
for (const [name, def] of Object.entries(defs)) {
  if (def.discriminator && def.oneOf) {
    discriminatorTags.set(
      name,
      def.oneOf.map((b) => String(defs[refName(b.$ref!)]?.properties?.[def.discriminator!.propertyName]?.const)),
    );
  }
}

// ------------------------------------------------------------------ the actions

interface ActionValidator {
  definition: string;
  validate: ValidateFunction;
  shape: ObjectShape;
}

const validators = new Map<GraphAction, ActionValidator>();
for (const [name, def] of Object.entries(defs)) {
  const action = def['x-graph-action'] as GraphAction | undefined;
  if (action === undefined) continue;
  const validate = ajv.getSchema(`${GRAPH_SCHEMA_ID}#/definitions/${name}`);
  const shape = shapeOfDefinition(name);
  if (!validate || shape?.kind !== 'object') throw new Error(`graph-calling.schema.json: cannot compile ${name}`);
  validators.set(action, { definition: name, validate, shape });
}

interface ResolvedPath {
  action: GraphAction;
  /** the version segment of the path, if it has one */
  version: GraphVersion | undefined;
  /** the path uses /app/calls without a beta prefix (canonicalPath folds /beta/app into /beta/communications) */
  app: boolean;
}

/** A calling action whose body the schema describes (the 2019 beta names, e.g. `record`, are not checked). */
function resolvePath(method: string, path: string): ResolvedPath | undefined {
  const request = classifyCallRequest(method, path);
  // a path with something before /communications other than the version is not Graph's
  if (!request?.action || request.alias !== undefined || (request.prefix.length > 0 && !request.version)) return undefined;
  const action = request.action as GraphAction;
  if (!validators.has(action)) return undefined;
  return { action, version: request.version, app: request.root === 'app' };
}

/** The calling action a request is (POST only), e.g. "answer" for POST /beta/app/calls/{id}/microsoft.graph.answer. */
export function graphActionOf(method: string, path: string): GraphAction | undefined {
  return resolvePath(method, path)?.action;
}

// ------------------------------------------------------------------ validation

/**
 * Checks the body of a Graph calling request. `path` is the request path (`/v1.0/communications/calls/...`,
 * `/beta/app/calls/...`; a query is ignored); `version` defaults to the path's version, else v1.0.
 * A path that names no calling action (GET, DELETE, unknown segments) gives action undefined and no
 * violations.
 */
export function validateGraphRequest(method: string, path: string, body: unknown, version?: GraphVersion): GraphRequestValidation {
  const resolved = resolvePath(method, path);
  if (!resolved) return { action: undefined, errors: [], warnings: [] };
  const { action } = resolved;
  const v = validators.get(action)!;
  const errors: Violation[] = [];
  const warnings: Violation[] = [];
  const ver = version ?? resolved.version ?? 'v1.0';
  if (resolved.app && (resolved.version ?? ver) === 'v1.0') {
    errors.push({ path: 'path', rule: 'path', message: 'v1.0 has no /app/calls (the deprecated alias exists only on beta): use /v1.0/communications/calls' });
  }
  if (body === undefined || body === '') body = {}; // keepAlive, subscribeToTone, ... may come without a body
  if (typeof body === 'string') {
    errors.push({ path: 'body', rule: 'type', message: 'must be a JSON object, got text that is not JSON' });
    return { action, errors, warnings };
  }
  const cx: WalkContext = { version: ver, warnings, errors, renames: undefined };
  const canonical = walk(body, v.shape, 'body', cx);
  if (!v.validate(canonical)) errors.push(...violationsOf(v.validate.errors ?? [], cx.renames));
  return { action, errors, warnings };
}

const definitionValidators = new Map<string, { validate: ValidateFunction; shape: Shape | undefined }>();

/**
 * Checks any value against one definition of the bundle, e.g. a notification body against
 * "commsNotifications" or an operation against "inviteParticipantsOperation" (compiled on first use).
 * Paths in the result start with `body`.
 */
export function validateGraphValue(definition: string, value: unknown, version: GraphVersion = 'v1.0'): { errors: Violation[]; warnings: Violation[] } {
  let v = definitionValidators.get(definition);
  if (!v) {
    if (!defs[definition]) throw new Error(`graph-calling.schema.json has no definition "${definition}"`);
    v = { validate: ajv.getSchema(`${GRAPH_SCHEMA_ID}#/definitions/${definition}`)!, shape: shapeOfDefinition(definition) };
    definitionValidators.set(definition, v);
  }
  const warnings: Violation[] = [];
  const walkErrors: Violation[] = [];
  const cx: WalkContext = { version, warnings, errors: walkErrors, renames: undefined };
  const canonical = v.shape ? walk(value, v.shape, 'body', cx) : value;
  const errors = v.validate(canonical) ? walkErrors : [...walkErrors, ...violationsOf(v.validate.errors ?? [], cx.renames)];
  return { errors, warnings };
}

interface WalkContext {
  version: GraphVersion;
  warnings: Violation[];
  /** what Graph refuses that the schema cannot say (a 2019 name on v1.0) */
  errors: Violation[];
  /** beta aliases renamed in the canonical copy: [path as validated, path as sent] */
  renames: Array<[string, string]> | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Walks a body along the declared properties: reports undeclared ones (warnings) and, on beta,
 * renames the 2019 names to the current ones. Returns the body to validate: the input itself unless
 * something was renamed (copy on write).
 */
function walk(value: unknown, shape: Shape, path: string, cx: WalkContext): unknown {
  if (shape.kind === 'array') {
    if (!Array.isArray(value)) return value;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = walk(value[i], shape.items, `${path}[${i}]`, cx);
      if (item !== value[i]) (out ??= value.slice())[i] = item;
    }
    return out ?? value;
  }
  if (shape.kind === 'union') {
    if (!isObject(value)) return value;
    const tag = value[shape.tag];
    const branch = typeof tag === 'string' ? shape.branches.get(tag) : undefined;
    return branch ? walk(value, branch, path, cx) : value; // no or unknown tag: an error, reported by ajv
  }
  if (!isObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    if (key.includes('@')) continue; // OData annotations: @odata.type, name@odata.bind, ...
    const childPath = `${path}.${key}`;
    if (key === 'replacesCallId' && cx.version === 'v1.0' && typeof value[key] === 'string' && isCallPath(value[key])) {
      cx.warnings.push({ path: childPath, rule: 'replaces-call-id-path', message: `replacesCallId is a call path (${value[key]}): the v1.0 docs show a bare call id (participant-invite, call-transfer); the path form is the 2019 beta page's` });
    }
    if (shape.props.has(key)) {
      if (cx.version === 'v1.0' && shape.beta.has(key)) {
        cx.warnings.push({ path: childPath, rule: 'undeclared', message: `${key} is beta only: v1.0 does not declare it on ${shape.label} and may ignore it` });
      }
      const child = shape.props.get(key);
      if (child) {
        const walked = walk(value[key], child, childPath, cx);
        if (walked !== value[key]) (out ??= { ...value })[key] = walked;
      }
      continue;
    }
    const current = shape.aliases.get(key);
    if (current !== undefined) {
      if (cx.version === 'v1.0') {
        // v1.0 never had the 2019 names: Graph ignores `callback` (the call's notifications go to the
        // bot's global webhook) or refuses the request; the v1.0 CSDL knows only the current name
        cx.errors.push({ path: childPath, rule: 'legacy-name', message: `${key} is the 2019 beta name of ${current}: v1.0 does not know it (send ${current})` });
      } else if (current in value) {
        cx.warnings.push({ path: childPath, rule: 'undeclared', message: `${key} is the 2019 beta name of ${current}, which is also present: Graph uses ${current}` });
      } else {
        cx.warnings.push({ path: childPath, rule: 'deprecated', message: `${key} is the 2019 beta name of ${current}: accepted as ${current}, but current beta and v1.0 use ${current}` });
        const child = shape.props.get(current);
        const walked = child ? walk(value[key], child, `${path}.${current}`, cx) : value[key];
        out ??= { ...value };
        delete out[key];
        out[current] = walked;
        (cx.renames ??= []).push([`${path}.${current}`, childPath]);
      }
      continue;
    }
    if (shape.readOnly.has(key)) {
      cx.warnings.push({ path: childPath, rule: 'read-only', message: `${key} is a read-only property of ${shape.label}: Graph ignores it in a request` });
      continue;
    }
    cx.warnings.push({ path: childPath, rule: 'undeclared', message: undeclaredMessage(key, shape, cx.version) });
  }
  return out ?? value;
}

function undeclaredMessage(key: string, shape: ObjectShape, version: GraphVersion): string {
  if (shape.parameters) return `${key} is not a parameter of ${shape.label} (${version}): Graph tolerates it but may ignore it`;
  if (shape.open) return `${key} is not declared on ${shape.label} (${version}), an open type: Graph accepts it but may ignore it`;
  return `${key} is not declared on ${shape.label} (${version}), which is not an open type: Graph may reject the request`;
}

// ------------------------------------------------------------------ ajv errors -> violations

function jsonPath(pointer: string): string {
  let out = 'body';
  if (pointer === '') return out;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`;
  }
  return out;
}

function within(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)})`;
    case 'number':
      return Number.isInteger(value) ? `an integer (${value})` : `a number (${value})`;
    case 'boolean':
      return `a boolean (${value})`;
    default:
      return typeof value;
  }
}

const ARTICLE: Record<string, string> = { object: 'an object', array: 'an array', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', null: 'null' };

function violationsOf(errors: readonly ErrorObject[], renames: Array<[string, string]> | undefined): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  const isNullBranch = (e: ErrorObject) => e.keyword === 'type' && (e.params as { type?: string }).type === 'null';
  for (const e of errors) {
    if (isNullBranch(e)) continue; // the "or null" branch of a nullable property
    if ((e.keyword === 'anyOf' || e.keyword === 'oneOf') && errors.some((o) => o !== e && !isNullBranch(o) && o.keyword !== e.keyword && within(o.instancePath, e.instancePath))) continue;
    if (e.keyword === 'discriminator') {
      const p = e.params as { error: string; tag: string; tagValue?: unknown };
      // already reported: the tag is missing (required), or the value is not an object (type)
      if (errors.some((o) => o.instancePath === e.instancePath && ((o.keyword === 'required' && (o.params as { missingProperty: string }).missingProperty === p.tag) || o.keyword === 'type'))) continue;
    }
    const v = violationOf(e);
    if (renames) for (const [validated, sent] of renames) if (v.path === validated || v.path.startsWith(validated + '.') || v.path.startsWith(validated + '[')) v.path = sent + v.path.slice(validated.length);
    const key = `${v.path}\0${v.rule}\0${v.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

function abstractName(parent: unknown): string | undefined {
  const p = parent as SchemaNode | undefined;
  return p?.discriminator ? p['x-csdl'] : undefined;
}

function violationOf(e: ErrorObject): Violation {
  const path = jsonPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const abstract = abstractName(e.parentSchema);
      if (abstract) {
        const tags = discriminatorTags.get(abstract) ?? [];
        return { path: `${path}.${missing}`, rule: 'required', message: `missing: ${abstract} is abstract, so "${missing}" must name its type (${tags.join(' or ')})` };
      }
      const owner = e.parentSchema as SchemaNode | undefined;
      const whose = owner?.['x-graph-action'] ? `the ${owner['x-graph-action']} request` : (owner?.['x-csdl'] ?? 'this object');
      return { path: `${path}.${missing}`, rule: 'required', message: `missing: ${whose} requires it` };
    }
    case 'type': {
      const types = String(params.type).split(',');
      const nullable = types.includes('null');
      const want = types.filter((t) => t !== 'null').map((t) => ARTICLE[t] ?? t).join(' or ');
      return { path, rule: 'type', message: `must be ${want}${nullable ? ' (or null)' : ''}, got ${kindOf(e.data)}` };
    }
    case 'x-enum-ci':
    case 'enum': {
      const allowed = (Array.isArray(e.schema) ? e.schema : []) as unknown[];
      return { path, rule: 'enum', message: `${JSON.stringify(e.data)} is not one of ${allowed.join(', ')}${e.keyword === 'x-enum-ci' ? ' (compared case-insensitively)' : ''}` };
    }
    case 'const':
      return { path, rule: 'const', message: `must be ${JSON.stringify(params.allowedValue)}, got ${kindOf(e.data)}` };
    case 'discriminator': {
      const abstract = abstractName(e.parentSchema) ?? 'the abstract type';
      const tags = discriminatorTags.get(abstract) ?? [];
      const tag = String(params.tag);
      const value = params.tagValue;
      return {
        path: `${path}.${tag}`,
        rule: 'discriminator',
        message: `${typeof value === 'string' ? JSON.stringify(value) : kindOf(value)} is not a type of ${abstract}: "${tag}" must be ${tags.join(' or ')}`,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, rule: e.keyword, message: `must be ${params.comparison} ${params.limit}, got ${kindOf(e.data)}` };
    case 'minItems':
    case 'maxItems':
      return { path, rule: e.keyword, message: `must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${params.limit} item(s), got ${Array.isArray(e.data) ? e.data.length : kindOf(e.data)}` };
    case 'minLength':
    case 'maxLength':
      return { path, rule: e.keyword, message: `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${params.limit} characters long, got ${typeof e.data === 'string' ? e.data.length : kindOf(e.data)}` };
    default:
      return { path, rule: e.keyword, message: e.message ?? `fails ${e.keyword}` };
  }
}

// ------------------------------------------------------------------ the run observer

/** The Graph path of a request URL: `/v1.0/...` or `/beta/...` (an absolute URL is reduced to its path). */
function graphPathOf(url: string): string | undefined {
  let path = url;
  if (!path.startsWith('/')) {
    if (!/^https?:\/\//i.test(path)) return undefined;
    try {
      path = new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  return path.startsWith('/v1.0/') || path.startsWith('/beta/') ? path : undefined;
}

/**
 * A run observer that checks the body of every Graph request of a run against the schemas: each
 * error becomes an `incorrect` finding (rule `schema/<rule>`, which fails the flow), each warning a
 * finding with severity 'warning'.
 */
export function graphSchemaObserver(): RunObserver {
  return {
    id: 'graph-schema',
    onEntry(entry: TranscriptEntry, ctx: ObserverContext): void {
      if (entry.kind !== 'request' || entry.url === undefined) return;
      const path = graphPathOf(entry.url);
      if (path === undefined) return;
      const method = entry.method ?? 'POST';
      const result = validateGraphRequest(method, path, entry.body);
      if (result.errors.length === 0 && result.warnings.length === 0) return;
      const step = ctx.stepOf(entry);
      const stepName = ctx.flow.steps[step - 1]?.name;
      const where = `${method} ${ctx.describePath(path)}`;
      const received = { method, url: entry.url, body: entry.body };
      for (const [list, severity] of [[result.errors, 'error'], [result.warnings, 'warning']] as const) {
        for (const v of list) {
          ctx.report({ kind: 'incorrect', severity, rule: `schema/${v.rule}`, step, stepName, message: `${where}: ${v.path}: ${v.message}`, received });
        }
      }
    },
  };
}
