/**
 * The delivery variants (./variants.ts): how Graph times and leaves out notifications rather than
 * how it spells them. Each function derives new steps (never changing its input) and returns
 * undefined when the variant does not apply to the flow. The placement rule of ./variants.ts holds:
 * a notification the bot need not wait for goes AFTER the expect steps that react to the
 * notification before it.
 */
import type { CompiledFlow, CompiledNotify, CompiledStep } from '../engine/plan.js';
import type { Render, Scope } from '../flow/templates.js';
import { chainIdOf, isObject, type Json } from './notification-bodies.js';
import { callStateOf, endOfReaction, firstItems, isExpectLike, resourceOf } from './probe.js';

type Step = CompiledStep;

/**
 * overlapping-delivery: every notification right after another is sent without waiting for the
 * bot's answer to that one (after its own delay, if the flow gives it one: a delay models time).
 */
export function overlapping(steps: readonly Step[]): Step[] | undefined {
  let any = false;
  const out = steps.map((s, i) => {
    if (s.kind !== 'notify' || steps[i - 1]?.kind !== 'notify') return s;
    any = true;
    return { ...s, overlap: true };
  });
  return any ? out : undefined;
}

/**
 * notification-before-response: the answer to a request right before a notification is held until
 * the bot has answered the notifications after it. A trigger the request reacts to (only requests
 * in between) is answered in the background: a bot that answers its own API once Graph has answered
 * it would otherwise hold the notifications up, and they would never come first.
 */
export function heldResponses(steps: readonly Step[]): Step[] | undefined {
  const out = [...steps];
  let any = false;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind !== 'expect' || s.method === 'GET' || steps[i + 1]?.kind !== 'notify') continue;
    any = true;
    out[i] = { ...s, holdResponse: true };
    let j = i - 1;
    while (isExpectLike(steps[j])) j--;
    const trigger = out[j];
    if (trigger?.kind === 'trigger') out[j] = { ...trigger, answerInBackground: true };
  }
  return any ? out : undefined;
}

/** States Graph does not always deliver (graph-calling-protocol.md §5 pitfall 6; captures without `terminating`). */
const INTERMEDIATE_STATES = new Set(['hold', 'transferring', 'transferaccepted', 'redirecting', 'terminating']);

/**
 * intermediate-states-skipped: the notifications of an intermediate state (one item, the call
 * itself) are left out where the flow expects no request in reaction to them.
 */
export function intermediateStatesSkipped(steps: readonly Step[], probe: Scope): Step[] | undefined {
  const out = steps.filter((s, i) => !(s.kind === 'notify' && INTERMEDIATE_STATES.has(callStateOf(s, probe)?.state ?? '') && !isExpectLike(steps[i + 1])));
  return out.length < steps.length ? out : undefined;
}

/**
 * media-state-updates: after the bot's reaction to a call's first `established`, the call's audio
 * goes `inactive` (the caller holds) and `active` again, in two `updated` notifications that keep
 * the state `established`. The bot must answer both and do nothing.
 */
export function mediaStateUpdates(steps: readonly Step[], probe: Scope): Step[] | undefined {
  const seen = new Set<string>();
  const after = new Map<number, CompiledNotify[]>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind !== 'notify') continue;
    const cs = callStateOf(s, probe);
    if (cs?.state !== 'established' || seen.has(cs.call) || hasTone(s, probe)) continue;
    seen.add(cs.call);
    const at = endOfReaction(steps, i);
    const update = (audio: 'inactive' | 'active', what: string): CompiledNotify => ({ ...s, name: `${s.name}: audio ${audio} (${what})`, delayMs: 0, body: mediaStateBody(s.body, audio) });
    after.set(at, [...(after.get(at) ?? []), update('inactive', 'on hold'), update('active', 'resumed')]);
  }
  if (after.size === 0) return undefined;
  return steps.flatMap((s, i) => [s, ...(after.get(i) ?? [])]);
}

function hasTone(step: CompiledNotify, probe: Scope): boolean {
  const data = firstItems(step, probe)?.[0]?.['resourceData'];
  return isObject(data) && data['toneInfo'] !== undefined;
}

/** The first item of `render`'s body, about the same call, with only its state and the media state. */
function mediaStateBody(render: Render, audio: 'inactive' | 'active'): Render {
  return (scope) => {
    const body = render(scope) as Json;
    const item = (body['value'] as Json[])[0]!;
    const data = item['resourceData'] as Json;
    const resourceData = { '@odata.type': '#microsoft.graph.call', state: data['state'], mediaState: { '@odata.type': '#microsoft.graph.callMediaState', audio } };
    return { ...body, value: [{ ...item, changeType: 'updated', resourceData }] };
  };
}

// ------------------------------------------------------------------ other-call-interleaved

/** The id (minted per run) of the call that is not the bot's. */
export const OTHER_CALL = 'callreplayOtherCall';

const CALL_IN_PATH = /(\/calls\/)[^/?#]+/i;

/**
 * other-call-interleaved: after the bot's reaction to the first notification about a call, two
 * notifications of a call the bot was never offered (its roster changes, then it ends) arrive
 * on the webhook. The bot must answer both 2xx and leave its own call alone; a request naming the
 * other call is answered 404 8522 (CompiledFlow.otherCalls) and judged by no step.
 */
export function otherCallInterleaved(flow: CompiledFlow, probe: Scope): Pick<CompiledFlow, 'steps' | 'ids' | 'otherCalls'> | undefined {
  if (flow.ids.includes(OTHER_CALL)) return undefined;
  const steps = flow.steps;
  const i = steps.findIndex((s) => s.kind === 'notify' && aboutACall(s, probe));
  if (i < 0) return undefined;
  const first = steps[i] as CompiledNotify;
  const at = endOfReaction(steps, i);
  const step = (name: string, build: (item: Json, callId: string) => Json): CompiledNotify => ({
    ...first,
    name,
    delayMs: 0,
    to: 'webhook',
    body: (scope) => {
      const body = first.body(scope) as Json;
      const item = (body['value'] as Json[])[0]!;
      const callId = String(scope.get(OTHER_CALL));
      return { ...body, value: [build(onCall(item, callId), callId)] };
    },
  });
  const inserted = [
    step('another call: roster updated', (item) => ({ ...item, changeType: 'updated', ...childPaths(item, '/participants'), resourceData: [participant()] })),
    step('another call: ended', (item, callId) => ({ ...item, changeType: 'deleted', resourceData: endedCall(callId) })),
  ];
  return { steps: [...steps.slice(0, at + 1), ...inserted, ...steps.slice(at + 1)], ids: [...flow.ids, OTHER_CALL], otherCalls: [OTHER_CALL] };
}

function aboutACall(step: CompiledNotify, probe: Scope): boolean {
  const item = firstItems(step, probe)?.[0];
  const resource = item ? resourceOf(item) : undefined;
  return resource !== undefined && CALL_IN_PATH.test(resource);
}

/** The item moved to call `callId`: its resource paths name that call itself; resourceData is replaced by the caller. */
function onCall(item: Json, callId: string): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(item)) {
    if ((k === 'resource' || k === 'resourceUrl') && typeof v === 'string') out[k] = v.replace(/(\/calls\/)[^?#]*/i, `$1${callId}`);
    else if (k !== 'resourceData') out[k] = v;
  }
  return out;
}

function childPaths(item: Json, child: string): Json {
  const out: Json = {};
  for (const k of ['resource', 'resourceUrl']) if (typeof item[k] === 'string') out[k] = `${item[k] as string}${child}`;
  return out;
}

function participant(): Json {
  return {
    '@odata.type': '#microsoft.graph.participant',
    id: '7d4e6ed4-0f3d-46ba-bc57-0dce2255a565',
    info: { '@odata.type': '#microsoft.graph.participantInfo', identity: { '@odata.type': '#microsoft.graph.identitySet', user: { '@odata.type': '#microsoft.graph.identity', id: 'b5eb7ada-f233-4d1e-a879-ab2d12d892f0', displayName: 'Another caller' } } },
    mediaStreams: [{ '@odata.type': '#microsoft.graph.mediaStream', mediaType: 'audio', sourceId: '1', direction: 'sendReceive', serverMuted: false }],
    isMuted: false,
    isInLobby: false,
  };
}

/** The captured remote hang-up (captured-notifications/P2P-SimpleTest-P2PTest1Event6HangUp.json). */
function endedCall(callId: string): Json {
  return {
    '@odata.type': '#microsoft.graph.call',
    state: 'terminated',
    resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', code: 200, subcode: 5002, message: 'The conversation has ended. DiagCode: 0#5002.@' },
    callChainId: chainIdOf(callId),
  };
}
