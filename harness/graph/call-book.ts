/**
 * The fake Graph's memory of one run's calls: what each call is like now, learnt from what Graph
 * (the harness) told the bot and from what the bot asked Graph and was answered. answerAsGraph reads
 * it as the call context (FakeGraphContext.call), so its answers and follow-ups depend on the call's
 * state and kind: 404/8522 once the call has ended, the documented errors for an action illegal in
 * the call's state or kind, cancelMediaProcessing failing the operations really running.
 *
 * Learns from
 * - notifications (commsNotifications bodies): a call's `state` (`created` incoming, establishing,
 *   established, terminated; any `deleted` of the call ends it, even one with only `@odata.id`),
 *   `meetingInfo` (a meeting: a group call), `myParticipantId`, the media config; an operation's
 *   `deleted` (it stopped running); a roster of more than two participants (a group call: a P2P
 *   call an invite escalated is in "meeting mode", graph-calling-protocol.md §2.2 rule 3);
 * - exchanges (the bot's request and the answer it got, the flow's `respond` or the fake's): a
 *   create (a new call, group or P2P by its targets and meeting, with its media mode), an answer,
 *   reject or redirect (the call is no longer waiting for one), an invite (the call is in "meeting
 *   mode" from then on: comms-samples #395), an operation started `running`.
 *
 * What it cannot tell stays unknown (undefined), and the fake Graph checks nothing it does not know:
 * an incoming call's kind (P2P incoming calls carry `chatInfo` too: captured
 * P2P-CallUpdates-P2PTest2Event4UpdatedWithChatInfo.json), a call that no notification or request named.
 * Pure and synchronous; no I/O. Never imports the rules (harness/rules), which model call state
 * for judging the bot, not for answering it.
 */
import { normalizeId } from '../engine/ids.js';
import type { OutboundResponse } from '../engine/ports.js';
import { classifyCallRequest } from './actions.js';
import { createdCallKind, mediaModeOfConfig as mediaModeOf } from './call-kind.js';
import type { FakeGraphContext, RunningOperation } from './fake-graph.js';

export type MediaMode = 'serviceHosted' | 'appHosted';

export interface BookCall {
  /** the id as first seen (answers echo it) */
  id: string;
  /** the call's last state, lower-case, e.g. 'incoming', 'established', 'terminated' */
  state?: string;
  /** the call ended: a `deleted` notification of the call, or state terminated */
  ended: boolean;
  /** the bot answered, rejected or redirected it (Graph took the request) */
  decided: boolean;
  /** the call has been established at some point (reordered notifications do not undo it) */
  wasEstablished: boolean;
  /** true: a group call or meeting; false: a P2P call the bot created; undefined: not known */
  group?: boolean;
  mediaMode?: MediaMode;
  myParticipantId?: string;
  runningOperations: RunningOperation[];
  /** participant ids seen in rosters */
  participants: Set<string>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export class CallBook {
  private readonly calls = new Map<string, BookCall>();

  /** The call as answerAsGraph takes it (undefined when the book has never heard of it). */
  context(callId: string | undefined): FakeGraphContext['call'] {
    const call = callId ? this.calls.get(normalizeId(callId)) : undefined;
    if (!call) return undefined;
    return {
      id: call.id,
      state: call.ended ? 'terminated' : call.state,
      group: call.group,
      myParticipantId: call.myParticipantId,
      runningOperations: call.runningOperations,
      mediaMode: call.mediaMode,
      decided: call.decided,
      wasEstablished: call.wasEstablished,
    };
  }

  /** The book's entry for a call (for tests and messages). */
  get(callId: string): BookCall | undefined {
    return this.calls.get(normalizeId(callId));
  }

  private entry(id: string): BookCall {
    const key = normalizeId(id);
    let call = this.calls.get(key);
    if (!call) {
      call = { id, ended: false, decided: false, wasEstablished: false, runningOperations: [], participants: new Set() };
      this.calls.set(key, call);
    }
    return call;
  }

  /** Learns from a commsNotifications body the harness sent to the bot (any shape: what is not understood is skipped). */
  learnNotification(body: unknown): void {
    const value = isObject(body) && Array.isArray(body['value']) ? body['value'] : [];
    for (const n of value) if (isObject(n)) this.learnOne(n);
  }

  private learnOne(n: Json): void {
    const data = n['resourceData'];
    const url = str(n['resourceUrl']) ?? str(n['resource']) ?? (isObject(data) ? str(data['@odata.id']) : undefined);
    if (!url) return;
    const where = classifyCallRequest('GET', url);
    const rawId = /\/calls\/([^/?#]+)/i.exec(url)?.[1];
    if (!where?.callId || !rawId) return;
    const call = this.entry(rawId);
    const change = String(n['changeType'] ?? '').toLowerCase();
    const sub = where.rest[1];
    if (sub === undefined) {
      if (change === 'deleted') call.ended = true;
      if (!isObject(data)) return;
      const state = str(data['state'])?.toLowerCase();
      if (state) {
        call.state = state;
        if (state === 'terminated') call.ended = true;
        if (state === 'established') call.wasEstablished = true;
        // a call announced again as incoming (a new call with a reused id, or a duplicate): waiting for an answer
        if (state === 'incoming' && change === 'created') call.ended = false;
      }
      if (data['meetingInfo'] != null) call.group = true;
      call.myParticipantId = str(data['myParticipantId']) ?? call.myParticipantId;
      call.mediaMode = mediaModeOf(data['mediaConfig']) ?? call.mediaMode;
      return;
    }
    if (sub === 'operations' && where.rest[2]) {
      const status = isObject(data) ? str(data['status'])?.toLowerCase() : undefined;
      if (change === 'deleted' || status === 'completed' || status === 'failed') {
        const op = where.rest[2];
        call.runningOperations = call.runningOperations.filter((o) => normalizeId(o.id) !== op);
      }
      return;
    }
    if (sub === 'participants') {
      const people = Array.isArray(data) ? data : isObject(data) ? [data] : [];
      for (const p of people) {
        const id = isObject(p) ? str(p['id']) : undefined;
        if (id) call.participants.add(normalizeId(id));
      }
      // a P2P call has two parties; a third makes it a group call ("meeting mode")
      if (call.participants.size > 2) call.group = true;
    }
  }

  /** Learns from a request the bot sent to Graph and the answer it got (the flow's or the fake's). */
  learnExchange(method: string, path: string, body: unknown, res: OutboundResponse): void {
    if (res.status < 200 || res.status > 299) return; // Graph did not take it: nothing changed
    const request = classifyCallRequest(method, path);
    if (!request?.action) return;
    const b = isObject(body) ? body : {};
    const answer = isObject(res.body) ? res.body : {};
    const callId = request.asSent.ids['id'];
    switch (request.action) {
      case 'createCall': {
        const location = res.headers['location'] ?? res.headers['Location'];
        const id = str(answer['id']) ?? (location ? location.split('/').filter(Boolean).pop() : undefined);
        if (!id) return;
        const call = this.entry(id);
        call.state = str(answer['state'])?.toLowerCase() ?? 'establishing';
        const kind = createdCallKind(b);
        if (kind) call.group = kind.kind === 'group';
        call.mediaMode = mediaModeOf(b['mediaConfig']) ?? call.mediaMode;
        call.myParticipantId = str(answer['myParticipantId']) ?? call.myParticipantId;
        return;
      }
      case 'answer':
      case 'reject':
      case 'redirect': {
        if (!callId) return;
        const call = this.entry(callId);
        call.decided = true;
        if (request.action === 'answer') call.mediaMode = mediaModeOf(b['mediaConfig']) ?? call.mediaMode;
        return;
      }
      case 'invite':
        // inviting into a P2P call escalates it to "meeting mode" for good (comms-samples #395;
        // graph-calling-protocol.md §2.2 rule 3): a later transfer needs a transferee (8523)
        if (callId) this.entry(callId).group = true;
        break;
    }
    if (callId) this.learnOperation(request.action, callId, b, answer);
  }

  /** An operation the request started that is still running (playPrompt, recordResponse, sendDtmfTones, invite, ...). */
  private learnOperation(action: string, callId: string, b: Json, answer: Json): void {
    const status = str(answer['status'])?.toLowerCase();
    const opId = str(answer['id']);
    if (!opId || status !== 'running') return;
    const call = this.entry(callId);
    if (call.runningOperations.some((o) => normalizeId(o.id) === normalizeId(opId))) return;
    call.runningOperations = [...call.runningOperations, { id: opId, action, clientContext: str(answer['clientContext']) ?? str(b['clientContext']) ?? null }];
  }
}
