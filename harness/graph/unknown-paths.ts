/**
 * The fake Graph's answer to a request it has no action for (answerAsGraph gave undefined), in
 * Graph's error shape instead of a blanket 202:
 * - a path Graph does not have: `400 BadRequest`. Graph parses a path as an OData URL and refuses
 *   one it cannot resolve with 400 (graph-calling-protocol.md §5.10: "Found a function
 *   'microsoft.graph.answer' on an open property" 400 for a wrong path shape, msgraph-sdk-dotnet
 *   #625). Such paths: `/v1.0/app/...` (v1.0 has no `app` singleton: §1.1 and v1.0-Prod.csdl),
 *   the 2019 beta `record` and the beta-only `muteAll` / `configureMixer` on v1.0 (actions.ts,
 *   beta pages only), a segment no calling path has, a version other than v1.0 and beta, a method
 *   the path does not take. The messages are OData's usual ones; the docs quote none for these cases.
 * - a path Graph has that the fake does not serve (beta `muteAll`, `configureMixer` and `record`,
 *   a call's `audioRoutingGroups` / `contentSharingSessions` in v1.0-Prod.csdl, any other Graph
 *   resource: users, chats...): `501 NotImplemented` (an error code in Graph's list), saying so and
 *   how to script the answer with the flow's `respond`. Nothing is made up about the resource.
 */
import { classifyCallRequest, CALLING_ACTIONS } from './actions.js';
import { graphErrorResponse, type FakeGraphAnswer } from './fake-graph.js';

export interface UnknownPathContext {
  newId(): string;
  now?: () => Date;
  clientRequestId?: string;
}

/** Navigation properties of a call in v1.0-Prod.csdl (and beta) that the fake does not serve. */
const UNSERVED_NAVIGATIONS = new Set(['audioroutinggroups', 'contentsharingsessions']);
const METHODS = ['GET', 'POST', 'DELETE', 'PATCH', 'PUT'];
/** Literal segments of the calling paths (lower-case), to name the first one Graph would not resolve. */
const KNOWN_SEGMENTS = new Set(CALLING_ACTIONS.flatMap((a) => a.path.split('/').filter((s) => s && !s.startsWith('{')).map((s) => s.toLowerCase())).concat(['record']));

/** Graph's answer to a request answerAsGraph does not know; `reason` says which case it is (for the transcript and findings). */
export function answerUnknownPath(method: string, path: string, ctx: UnknownPathContext): FakeGraphAnswer & { unknown: { status: number; reason: string } } {
  const { status, code, reason, message } = judge(method.toUpperCase(), path);
  const response = graphErrorResponse(status, code, message, { now: ctx.now?.(), requestId: ctx.newId(), clientRequestId: ctx.clientRequestId });
  return { action: 'unknown-path', response, followUps: [], unknown: { status, reason } };
}

function judge(method: string, path: string): { status: number; code: string; reason: string; message: string } {
  const bare = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/s, '');
  const noPath = (segment: string, why: string) => ({ status: 400, code: 'BadRequest', reason: `Graph has no such path: ${why}`, message: `Resource not found for the segment '${segment}'.` });
  const unserved = (what: string) => ({
    status: 501,
    code: 'NotImplemented',
    reason: `Graph has ${what}, but callreplay's fake Graph does not serve it`,
    message: `callreplay's fake Graph does not serve ${method} ${bare} (${what}); script the answer with the flow step's respond.`,
  });
  const segs = bare.split('/').filter(Boolean);
  const version = segs[0]?.toLowerCase();
  if (version !== 'v1.0' && version !== 'beta') return { status: 400, code: 'BadRequest', reason: `Graph has no version ${segs[0] ?? '(none)'} (only v1.0 and beta)`, message: `Invalid version: ${segs[0] ?? ''}` };
  if (version === 'v1.0' && segs[1]?.toLowerCase() === 'app') return noPath(segs[1], '/app is beta only (v1.0 has no app singleton)');
  const request = classifyCallRequest(method, bare);
  if (!request) return unserved('this resource outside the calling API');
  if (request.action) {
    const def = CALLING_ACTIONS.find((a) => a.name === request.action) as { beta?: boolean } | undefined;
    const last = segs[segs.length - 1]!;
    if (version === 'v1.0' && request.alias !== undefined) return noPath(last, `${request.alias} is the 2019 beta name (v1.0: recordResponse)`);
    if (version === 'v1.0' && def?.beta) return noPath(last, `${request.action} is a beta action`);
    return unserved(`the beta action ${request.alias ?? request.action}`);
  }
  // a call path the fake has no action for
  const rest = request.rest;
  if (rest[1] && UNSERVED_NAVIGATIONS.has(rest[1])) return unserved(`the call's ${rest[1]} (v1.0-Prod.csdl)`);
  const other = METHODS.filter((m) => m !== method && classifyCallRequest(m, bare)?.action);
  if (other.length > 0) return { status: 400, code: 'BadRequest', reason: `Graph has no such path: it takes ${other.join(' or ')} on this path, not ${method}`, message: `The HTTP method '${method}' is not supported for this resource.` };
  const rawRest = segs.slice(segs.length - rest.length);
  const bad = rest.findIndex((s, i) => i > 0 && !KNOWN_SEGMENTS.has(s.replace(/^microsoft\.graph\./, '')) && !isIdPosition(rest, i));
  const segment = rawRest[bad >= 0 ? bad : rest.length - 1] ?? segs[segs.length - 1] ?? '';
  return noPath(segment, `no calling path has ${method} ${rest.length ? `calls/${rest.map((s, i) => (i === 0 || isIdPosition(rest, i) ? '{id}' : s)).join('/')}` : 'calls'}`);
}

/** Ids follow `participants`, `operations` and `recordings` (and the call id comes first). */
function isIdPosition(rest: string[], i: number): boolean {
  return i === 0 || ['participants', 'operations', 'recordings'].includes(rest[i - 1]!);
}
