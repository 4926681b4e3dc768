/**
 * The one place every request from a bot arrives, whatever way in brought it (nock, gateway,
 * HTTPS gateway, proxy, preload). It answers the token endpoint and hands each Graph request to the
 * flow run it belongs to. Many runs can be active at once: each mints its own ids; the tenant is
 * the harness's, the same for every run, so routing never depends on the token a bot caches.
 *
 * Nothing the bot sends is lost: a request no run can judge (a flow that ended, an unknown call)
 * is answered as Graph would (404 8522) and kept in the transcript of every run active at that
 * moment, where a `missing` finding can name it as the closest request.
 */
import { canonicalPath, callIdOfPath } from './canonical.js';
import { GUID_IN_TEXT, normalizeId } from './ids.js';
import { graphError, type FlowRun } from './flow-run.js';
import type { InboundRequest, OutboundResponse, RequestSink, ServiceResponder } from './ports.js';
import type { TokenIssuer } from './token-issuer.js';

/**
 * Where a way in that runs inside the bot's process (the preload) reports a connection it refused:
 * POST {"destination": "host:port", "via": "preload"} to the Graph gateway.
 */
export const REFUSED_PATH = '/__callreplay/refused';

export interface StrayRequest {
  request: InboundRequest;
  reason: string;
}

/** How many stray requests the router keeps (the oldest are dropped first; `strayCount` counts all). */
const STRAY_LOG_LIMIT = 1000;
/** How many ids of ended runs the router remembers (to answer their late requests as strays). */
const RETIRED_LIMIT = 200_000;


export class Router implements RequestSink {
  private readonly byId = new Map<string, FlowRun>();
  /** ids of runs that ended, with the flow's name: a late request naming one is a stray, not another run's business */
  private readonly retired = new Map<string, string>();
  private readonly active: FlowRun[] = [];
  /** the latest requests no run could take (for reports and debugging), at most STRAY_LOG_LIMIT */
  readonly strays: StrayRequest[] = [];
  /** every stray request seen, including those dropped from `strays` */
  strayCount = 0;

  /**
   * @param tokens the token endpoint and its metadata
   * @param responders other fixed services, e.g. the notification signer's OpenID configuration and keys
   */
  constructor(
    readonly tokens: TokenIssuer,
    private readonly responders: readonly ServiceResponder[] = [],
  ) {}

  add(run: FlowRun): void {
    this.active.push(run);
    for (const id of run.mintedIds) this.byId.set(id, run);
  }

  remove(run: FlowRun): void {
    const i = this.active.indexOf(run);
    if (i >= 0) this.active.splice(i, 1);
    for (const id of run.mintedIds) {
      if (this.byId.get(id) === run) this.byId.delete(id);
      this.retired.set(id, run.flow.name);
    }
    // bounded: the oldest ended runs' ids go first (a Map iterates in insertion order)
    if (this.retired.size > RETIRED_LIMIT) for (const id of [...this.retired.keys()].slice(0, this.retired.size - RETIRED_LIMIT / 2)) this.retired.delete(id);
  }

  async handle(req: InboundRequest): Promise<OutboundResponse> {
    if (req.path === REFUSED_PATH && req.method === 'POST') {
      const { destination, via } = (req.body ?? {}) as { destination?: string; via?: string };
      this.refused(String(destination ?? 'an unknown host'), String(via ?? req.via));
      return { status: 204, headers: {} };
    }
    for (const r of this.responders) if (r.handles(req)) return r.answer(req);
    if (req.service === 'login' || this.tokens.handles(req)) return this.token(req);
    const canonical = canonicalPath(req.path);
    // a recording download carries the operation's recordingAccessToken, not a Graph token: the flow checks it
    const recording = req.method === 'GET' && canonical.includes('/recordings/');
    const token = recording ? undefined : this.tokens.tokenOf(req.headers['authorization']);
    const route = this.runFor(req, canonical, token?.tenant);
    if (!route.run) {
      this.stray(req, route.reason, route.ended);
      return graphError(404, '8522', `Call not found (callreplay: ${route.reason})`);
    }
    if (recording) return route.run.handleRequest(req);
    const problem = this.tokens.problemWith(req.headers['authorization'], token);
    return route.run.handleRequest(req, problem ? { problem } : { tenant: token?.tenant, kind: token?.kind });
  }

  /**
   * A way in refused a connection the bot tried to open (a host other than Graph, login or
   * loopback). Nothing was sent; every running flow fails, naming the destination.
   */
  refused(destination: string, via: string): void {
    this.keepStray({ request: { method: 'CONNECT', path: destination, headers: {}, rawBody: '', body: undefined, service: 'graph', via }, reason: 'refused destination' });
    for (const run of this.active) run.reportRefused(destination, via);
  }

  private async token(req: InboundRequest): Promise<OutboundResponse> {
    const t0 = performance.now();
    const res = await this.tokens.answer(req);
    const refusal = this.tokens.describeRefusal(req, res);
    // a token request names no call: a refusal goes to every active run (one of them is waiting
    // for what the bot wanted the token for); a grant only to the run when there is one
    if (refusal) for (const run of this.active) run.recordToken(req, res, performance.now() - t0, refusal);
    else if (this.active.length === 1) this.active[0]!.recordToken(req, res, performance.now() - t0);
    return res;
  }

  /** `ended`: the request names a run that has ended (a late request, not a near miss of another run's). */
  private stray(req: InboundRequest, reason: string, ended = false): void {
    this.keepStray({ request: req, reason });
    for (const run of this.active) run.recordStray(req, reason, ended);
  }

  private keepStray(stray: StrayRequest): void {
    this.strayCount++;
    if (this.strays.length >= STRAY_LOG_LIMIT) this.strays.shift();
    this.strays.push(stray);
  }

  /**
   * The run a request belongs to, in this order:
   * 1. the run that minted the call id in its path (or, with a tenant per run, the tenant of the token);
   * 2. the run that minted any other id the request carries (path or body: a thread id, an
   *    organizer, a clientContext the bot built from an id, ...);
   * 3. the run waiting for exactly this request (several: the one waiting longest);
   * 4. the only active run, which judges it (while it probes, not a request naming a call it does not know).
   * A request naming an id of a run that ended, or a call no run knows, or (with several runs) one
   * that no run waits for, belongs to none: it is a stray, kept in every active run's transcript.
   */
  private runFor(req: InboundRequest, canonical: string, tokenTenant: string | undefined): { run?: FlowRun; reason: string; ended?: boolean } {
    const callId = callIdOfPath(canonical);
    if (callId) {
      const owner = this.byId.get(callId);
      if (owner) return { run: owner, reason: '' };
      const ended = this.retired.get(callId);
      if (ended) return { reason: `the call belongs to flow ${ended}, which has ended`, ended: true };
    }
    // with a tenant per run (--tenant per-run), the token's tenant names the run
    if (tokenTenant) {
      const id = normalizeId(tokenTenant);
      const owner = this.byId.get(id);
      if (owner) return { run: owner, reason: '' };
      const ended = this.retired.get(id);
      if (ended) return { reason: `the token's tenant belongs to flow ${ended}, which has ended (--tenant per-run)`, ended: true };
    }
    const named = this.runNamedIn(req);
    if (named.run) return { run: named.run, reason: '' };
    if (named.ended) return { reason: `the request names an id of flow ${named.ended}, which has ended`, ended: true };
    let waiting = this.active.filter((r) => r.waitsFor(req.method, canonical));
    // several wait for it (two creates in flight, say): the runs whose step takes it as it is come first
    if (waiting.length > 1) {
      const fitting = waiting.filter((r) => r.wouldAccept(req, canonical));
      if (fitting.length > 0) waiting = fitting;
    }
    if (waiting.length > 0) {
      const run = waiting.reduce((a, b) => (b.waitingSince < a.waitingSince ? b : a));
      // nothing in the request tells these runs apart: the pick is by timing, and may be wrong
      // (every candidate is told: the one that did not get it may get the other's later)
      if (waiting.length > 1) for (const r of waiting) r.noteGuessedRoute(`${req.method} ${r.describePath(req.path)}`, waiting.length);
      return { run, reason: '' };
    }
    if (this.active.length === 1) {
      const only = this.active[0]!;
      // a probed run is blamed only for what its probe could have caused: a request for a call it
      // never knew (a keepAlive timer of an earlier call, another call of the bot) is not an act on it
      if (callId && only.probing) return { reason: `no running flow knows this call (flow ${only.flow.name} is probing its own)` };
      return { run: only, reason: '' };
    }
    if (this.active.length === 0) return { reason: 'no flow is running' };
    return { reason: callId ? 'no running flow knows this call' : 'no running flow waits for this request, and it names none of their ids' };
  }

  /**
   * The active run that minted an id found in the request's path or body (GUIDs, also inside
   * strings); else the ended flow that minted one, if any.
   */
  private runNamedIn(req: InboundRequest): { run?: FlowRun; ended?: string } {
    let ended: string | undefined;
    const find = (text: string): FlowRun | undefined => {
      for (const m of text.matchAll(GUID_IN_TEXT)) {
        const id = normalizeId(m[0]);
        const run = this.byId.get(id);
        if (run) return run;
        ended ??= this.retired.get(id);
      }
      return undefined;
    };
    const run = find(req.path) ?? (req.rawBody ? find(req.rawBody) : undefined);
    return run ? { run } : { ended };
  }
}
