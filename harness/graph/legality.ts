/**
 * When Graph refuses a calling action because of the state or kind of the call it names: the
 * fake Graph's synchronous error for each case, with the evidence it comes from. Only what the
 * call book knows is checked (harness/graph/call-book.ts): an unknown state or kind is never refused.
 *
 * Where the sources give a code, it is used (8522, 8523); where they say only that an action is not
 * supported, the status is Graph's generic `400 BadRequest` and the message says the docs name no code.
 */
import type { FakeGraphContext } from './fake-graph.js';

export interface GraphRefusal {
  status: number;
  /** the `error.code` of Graph's error body */
  code: string;
  message: string;
  /** the evidence (a graph-docs page and line, or the protocol notes) */
  evidence: string;
}

/** Each refusal the fake Graph makes, by id (tests/fixtures/graph-doc-table.ts quotes the passages). */
export const GRAPH_REFUSALS = {
  callEnded: {
    status: 404,
    code: '8522',
    message: 'Call not found.',
    evidence: 'graph-calling-protocol.md §2.2 rule 1 ("No actions after terminated (Graph answers 404 or 8522 "Call not found")"), §3(g) (keepAlive on an ended call gives 404, docs-contrib #4849), §2.3 (8522 on synchronous responses)',
  },
  notIncoming: {
    status: 400,
    code: 'BadRequest',
    message: 'The call is not incoming: answer, reject and redirect are only allowed on an incoming call (callreplay: the Graph docs name no error code for this; 400 BadRequest is Graph\'s generic one).',
    evidence: 'graph-calling-protocol.md §2.2 rule 1 ("answer, reject, redirect: only on incoming"); no doc page gives the error',
  },
  meetingModeTransfer: {
    status: 400,
    code: '8523',
    message: 'Cannot do transfer for meeting mode. Transfer from a group call needs a transferee (callreplay: the HTTP status of this error is not documented).',
    evidence: 'graph-calling-protocol.md §2.2 rule 2-3, §2.3 ("Error codes on synchronous HTTP responses: ... 8523 "Cannot do transfer for meeting mode""), §3(b); comms-samples #512 ("When the transfer request is sent, graph responds with error 8523"), #395; v1.0_api_call-transfer.md Example 5 (group call: transferee)',
  },
  groupOnly: {
    status: 400,
    code: 'BadRequest',
    message: 'This method is only supported for group calls (callreplay: the Graph docs name no error code for this; 400 BadRequest is Graph\'s generic one).',
    evidence: 'graph-docs/v1.0_api_call-mute.md:20, v1.0_api_call-unmute.md:20, v1.0_api_participant-mute.md:20 ("This method is only supported for group calls.")',
  },
} as const satisfies Record<string, GraphRefusal>;

/** Actions that need no live call (everything else is refused once the call has ended). */
const CALL_LESS = new Set(['create', 'logTeleconferenceDeviceQuality', 'get-recording']);
const DECISIONS = new Set(['answer', 'reject', 'redirect']);
const GROUP_ONLY = new Set(['mute', 'unmute', 'participants/mute']);

/**
 * The refusal of `action` (the fake Graph's name, e.g. 'answer', 'participants/mute') on `call`
 * with request body `body`; undefined when Graph takes it (or the book does not know enough).
 */
export function refusalOf(action: string, call: FakeGraphContext['call'] | undefined, body: Record<string, unknown>): GraphRefusal | undefined {
  if (!call || CALL_LESS.has(action)) return undefined;
  const state = call.state?.toLowerCase();
  if (state === 'terminated' || state === 'deleted') return GRAPH_REFUSALS.callEnded;
  // reordered notifications may leave `state` behind: an answered or established call stays so
  if (DECISIONS.has(action) && (call.decided || call.wasEstablished || (state !== undefined && state !== 'incoming'))) return GRAPH_REFUSALS.notIncoming;
  if (action === 'transfer' && call.group === true && body['transferee'] == null) return GRAPH_REFUSALS.meetingModeTransfer;
  if (GROUP_ONLY.has(action) && call.group === false) return GRAPH_REFUSALS.groupOnly;
  return undefined;
}
