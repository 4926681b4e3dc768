/**
 * The one place every request from a bot arrives, whatever transport brought it (nock, gateway,
 * later proxy and preload). It answers the token endpoint, checks the bearer token, and hands each
 * Graph request to the flow run that owns the call id in its path. Many runs can be active at
 * once: each mints its own ids.
 */
import { canonicalPath, callIdOfPath } from './canonical.js';
import { normalizeId } from './ids.js';
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

export class Router implements RequestSink {
  private readonly byId = new Map<string, FlowRun>();
  /** ids of runs that ended: a late request naming one is a stray, not another run's business */
  private readonly retired = new Set<string>();
  private readonly active: FlowRun[] = [];
  /** requests no run could take (kept for reports and debugging) */
  readonly strays: StrayRequest[] = [];

  /**
   * @param tokens the token endpoint (client credentials) and its metadata
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
      this.retired.add(id);
    }
  }

  async handle(req: InboundRequest): Promise<OutboundResponse> {
    if (req.path === REFUSED_PATH && req.method === 'POST') {
      const { destination, via } = (req.body ?? {}) as { destination?: string; via?: string };
      this.refused(String(destination ?? 'an unknown host'), String(via ?? req.via));
      return { status: 204, headers: {} };
    }
    for (const r of this.responders) if (r.handles(req)) return r.answer(req);
    if (req.service === 'login' || this.tokens.handles(req)) {
      const t0 = performance.now();
      const res = await this.tokens.answer(req);
      if (this.active.length === 1) this.active[0]!.recordToken(req, res, performance.now() - t0);
      return res;
    }
    const canonical = canonicalPath(req.path);
    const run = this.runFor(req, canonical);
    if (!run) {
      const reason = this.active.length === 0 ? 'no flow is running' : 'the request belongs to no running flow (a flow that ended, or an unknown call)';
      this.strays.push({ request: req, reason });
      return graphError(404, '8522', `Call not found (callreplay: ${reason})`);
    }
    // a recording download carries the operation's recordingAccessToken, not a Graph token: the flow checks it
    const recording = req.method === 'GET' && canonical.includes('/recordings/');
    return run.handleRequest(req, recording ? undefined : this.tokens.problemWith(req.headers['authorization']));
  }

  /**
   * A way in refused a connection the bot tried to open (a host other than Graph, login or
   * loopback). Nothing was sent; every running flow fails, naming the destination.
   */
  refused(destination: string, via: string): void {
    this.strays.push({ request: { method: 'CONNECT', path: destination, headers: {}, rawBody: '', body: undefined, service: 'graph', via }, reason: 'refused destination' });
    for (const run of this.active) run.reportRefused(destination, via);
  }

  /**
   * The run a request belongs to: the run that minted the call id in its path; else the run that
   * minted the tenant of the bearer token (each run mints its own tenant, and bots take the tenant
   * from the incoming call); else the run waiting for exactly this request, else the only run.
   * Requests naming an id or tenant of a run that already ended are strays.
   */
  private runFor(req: InboundRequest, canonical: string): FlowRun | undefined {
    const callId = callIdOfPath(canonical);
    if (callId) {
      const owner = this.byId.get(callId);
      if (owner) return owner;
      if (this.retired.has(callId)) return undefined;
    }
    const tenant = this.tokens.tokenOf(req.headers['authorization'])?.tenant;
    if (tenant) {
      const id = normalizeId(tenant);
      const owner = this.byId.get(id);
      if (owner) return owner;
      if (this.retired.has(id)) return undefined;
    }
    if (this.active.length === 1) return this.active[0];
    if (callId) return undefined;
    return this.active.find((r) => r.waitsFor(req.method, canonical)) ?? this.active.find((r) => !r.failed);
  }
}
