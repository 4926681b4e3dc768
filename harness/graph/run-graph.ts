/**
 * The fake Graph of one flow run: answerAsGraph with the run's call book as the call context (and
 * the run's online meetings for createOrGet), the answer to a path it has no action for
 * (unknown-paths.ts), and the observer that keeps the book up to date from the run's transcript:
 * every notification sent to the bot (the flow's and the fake's own follow-ups) and every request
 * the bot sent with the answer it got (the flow's `respond` or the fake's).
 */
import { randomUUID } from 'node:crypto';
import type { InboundRequest } from '../engine/ports.js';
import type { GraphAnswer, RunObserver } from '../engine/run-types.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { classifyCallRequest } from './actions.js';
import { CallBook } from './call-book.js';
import { answerAsGraph } from './fake-graph.js';
import type { GraphCaller } from './fake-online-meetings.js';
import { answerUnknownPath } from './unknown-paths.js';

export interface RunGraphOptions {
  graphBaseUrl: string;
  botAppId: string;
  /** who a request acts as, from its Authorization header */
  callerOf?: (authorization: string | undefined) => GraphCaller | undefined;
  newId?: () => string;
}

export class RunGraph {
  readonly book = new CallBook();
  private readonly onlineMeetings = new Map<string, Record<string, unknown>>();
  private pending: TranscriptEntry | undefined;

  constructor(private readonly opts: RunGraphOptions) {}

  /** Graph's answer to `req` given what the run's calls are like now, with the notifications that follow it. */
  answer(req: InboundRequest): GraphAnswer {
    const { graphBaseUrl, botAppId } = this.opts;
    const newId = this.opts.newId ?? randomUUID;
    const clientRequestId = req.headers['client-request-id'];
    const callId = classifyCallRequest(req.method, req.path)?.asSent.ids['id'];
    const known = answerAsGraph(req.method, req.path, req.body, {
      graphBaseUrl,
      botAppId,
      newId,
      caller: this.opts.callerOf?.(req.headers['authorization']),
      call: this.book.context(callId),
      onlineMeetings: this.onlineMeetings,
      clientRequestId,
    });
    if (known) return { response: known.response, followUps: known.followUps };
    const unknown = answerUnknownPath(req.method, req.path, { newId, clientRequestId });
    return { response: unknown.response, followUps: [], unknownPath: `${unknown.unknown.reason} (answered ${unknown.unknown.status})` };
  }

  /** Keeps the call book up to date from the run's transcript (add it to the run's observers). */
  readonly observer: RunObserver = {
    id: 'fake-graph-state',
    onEntry: (entry) => {
      if (entry.kind === 'notification') this.book.learnNotification(entry.body);
      else if (entry.kind === 'request' && entry.method && entry.url) this.pending = entry;
      else if (entry.kind === 'response' && this.pending) {
        const req = this.pending;
        this.pending = undefined;
        this.book.learnExchange(req.method!, req.url!, req.body, { status: entry.status ?? 0, headers: entry.headers ?? {}, body: entry.body });
      }
    },
  };
}
