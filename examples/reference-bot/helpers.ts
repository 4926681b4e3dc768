/**
 * Small helpers of the reference bot: id comparison, notification paths, resultInfo reading, and
 * the bits of HTTP its own server needs. No state; every scenario file may use them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GRAPH_APIS, type GraphApi } from './config.js';
import { GraphError, type CommsNotification, type GraphResponse, type GraphRoute, type JsonObject, type OperationOutcome } from './types.js';

/** Largest request body the bot's own server reads. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Ids are compared case-insensitively and without hyphens: Graph sends both spellings. */
export function normalizeId(id: string): string {
  return id.replace(/-/g, '').toLowerCase();
}

export function sameId(a: string, b: string): boolean {
  return normalizeId(a) === normalizeId(b);
}

export interface ResourceRef {
  route: GraphRoute;
  callId: string;
  /** `participants`, `operations`, ... (lower-case); undefined for the call itself */
  child?: string;
  childId?: string;
}

// Matches `/app/calls/{id}[/{child}[/{childId}]]` or `/communications/calls/...`, also without
// the leading slash or inside a full URL.
const RESOURCE_PATTERN = /(?:^|\/)(app|communications)\/calls\/([^/?#]+)(?:\/([^/?#]+)(?:\/([^/?#]+))?)?/i;

/** The queue a notification waits in: its resource's call (normalized), or '' when it names none. */
export function queueKeyOf(notification: CommsNotification): string {
  const resource = asString(notification.resourceUrl) ?? asString(notification.resource);
  const ref = resource === undefined ? undefined : parseResource(resource);
  return ref ? normalizeId(ref.callId) : '';
}

export function parseResource(resource: string): ResourceRef | undefined {
  const match = RESOURCE_PATTERN.exec(resource);
  if (!match) return undefined;
  const route: GraphRoute =
    match[1].toLowerCase() === 'app'
      ? { version: 'beta', callsRoot: '/app/calls' }
      : { version: 'v1.0', callsRoot: '/communications/calls' };
  return { route, callId: match[2], child: match[3]?.toLowerCase(), childId: match[4] };
}

export function routeForApi(api: GraphApi): GraphRoute {
  if (api === 'beta-app') return { version: 'beta', callsRoot: '/app/calls' };
  return { version: api, callsRoot: '/communications/calls' };
}

export function isGraphApi(value: string): value is GraphApi {
  return (GRAPH_APIS as readonly string[]).includes(value);
}

/** The id of what a POST created: the response body's `id`, else the last segment of `Location`. */
export function idFromResponse(response: GraphResponse): string | undefined {
  const id = isJsonObject(response.body) ? asString(response.body.id) : undefined;
  return id ?? response.location?.split(/[?#]/)[0].split('/').filter(Boolean).pop();
}

/** `resultInfo {code, subcode, message}` as `500/7000 "message"` (docs also spell it `subCode`). */
export function describeResultInfo(resultInfo: JsonObject): string {
  const subcode = resultInfo.subcode ?? resultInfo.subCode;
  return `${String(resultInfo.code)}/${String(subcode)} "${String(resultInfo.message ?? '')}"`;
}

/** The resultInfo of the first entity that has one. */
export function resultInfoOf(entities: JsonObject[]): JsonObject | undefined {
  const withResult = entities.find((e) => isJsonObject(e.resultInfo));
  return withResult && isJsonObject(withResult.resultInfo) ? withResult.resultInfo : undefined;
}

/** `code` of a resultInfo as a number (docs also send it as a string). */
export function resultCode(resultInfo: JsonObject | undefined): number | undefined {
  const code = Number(resultInfo?.code);
  return resultInfo === undefined || resultInfo.code === undefined || !Number.isFinite(code) ? undefined : code;
}

/**
 * An `established` call notification after the bot asked for a transfer means the transfer failed
 * when it carries an error resultInfo, or when the transfer had already started.
 */
export function transferCameBack(state: 'requested' | 'transferring' | 'transferAccepted', resultInfo: JsonObject | undefined): boolean {
  const code = resultCode(resultInfo);
  return (code !== undefined && code >= 400) || state !== 'requested';
}

/** A media operation that did not succeed: status not `completed`, or a resultInfo code of 400 or more. */
export function operationFailed(outcome: OperationOutcome): boolean {
  const code = resultCode(outcome.resultInfo);
  return outcome.status !== 'completed' || (code !== undefined && code >= 400);
}

export function countParticipants(resourceData: unknown): number {
  if (Array.isArray(resourceData)) return resourceData.length;
  // delta rosters: #microsoft.graph.deltaParticipants {sequenceNumber, participants: [...]}
  if (isJsonObject(resourceData) && Array.isArray(resourceData.participants)) return resourceData.participants.length;
  return 0;
}

/** `[{id, tenantId?, displayName?}]` from the invite API request; throws 400 when malformed. */
export function parseInvitees(value: unknown): Array<{ id: string; tenantId?: string; displayName?: string }> {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, '"participants" must be a non-empty array');
  return value.map((entry) => {
    if (!isJsonObject(entry) || typeof entry.id !== 'string') {
      throw new HttpError(400, 'each participant needs a string "id"');
    }
    const { id } = entry;
    return { id, tenantId: optionalString(entry, 'tenantId'), displayName: optionalString(entry, 'displayName') };
  });
}

export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad path segment "${segment}"`);
  }
}

export function upstreamFailure(err: unknown): { error: string; graphStatus?: number } {
  return { error: errorMessage(err), graphStatus: err instanceof GraphError ? err.status : undefined };
}

/** An error that becomes an HTTP answer of the bot's own server. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
  } else if (typeof body === 'string') {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
  } else {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, `${what} is not valid JSON`);
  }
  if (!isJsonObject(value)) throw new HttpError(400, `${what} must be a JSON object`);
  return value;
}

export async function readResponseBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function optionalString(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `"${key}" must be a string`);
  return value;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Enum values arrive in any case (`Established`, `established`). */
export function lowerCase(value: unknown): string | undefined {
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

export function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
