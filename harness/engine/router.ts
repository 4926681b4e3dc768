/**
 * The one place every request from a bot arrives, whatever transport brought it (nock, gateway,
 * later proxy and preload). It answers the token endpoint, checks the bearer token, and hands each
 * Graph request to the flow run that owns the call id in its path. Many runs can be active at
 * once: each mints its own ids.
 */
import { canonicalPath, callIdOfPath } from './canonical.js';
import { graphError, type FlowRun } from './flow-run.js';
import type { InboundRequest, OutboundResponse } from './ports.js';
import type { TokenIssuer } from './token-issuer.js';

export interface StrayRequest {
  request: InboundRequest;
  reason: string;
}

export class Router {
  private readonly byId = new Map<string, FlowRun>();
  private readonly active: FlowRun[] = [];
  /** requests no run could take (kept for reports and debugging) */
  readonly strays: StrayRequest[] = [];

  constructor(readonly tokens: TokenIssuer) {}

  add(run: FlowRun): void {
    this.active.push(run);
    for (const id of run.mintedIds) this.byId.set(id, run);
  }

  remove(run: FlowRun): void {
    const i = this.active.indexOf(run);
    if (i >= 0) this.active.splice(i, 1);
    for (const id of run.mintedIds) if (this.byId.get(id) === run) this.byId.delete(id);
  }

  async handle(req: InboundRequest): Promise<OutboundResponse> {
    if (req.service === 'login' || this.tokens.handles(req)) {
      const t0 = performance.now();
      const res = await this.tokens.answer(req);
      if (this.active.length === 1) this.active[0]!.recordToken(req, res, performance.now() - t0);
      return res;
    }
    const canonical = canonicalPath(req.path);
    const run = this.runFor(req.method, canonical);
    if (!run) {
      const reason = this.active.length === 0 ? 'no flow is running' : 'the path names no call of a running flow';
      this.strays.push({ request: req, reason });
      return graphError(404, '8522', `Call not found (callreplay: ${reason})`);
    }
    return run.handleRequest(req, this.tokens.problemWith(req.headers['authorization']));
  }

  /**
   * The run that owns the call in the path. A path without a known call (a create) goes to the run
   * waiting for it, else to the only run, else to the oldest run still going.
   */
  private runFor(method: string, canonical: string): FlowRun | undefined {
    const callId = callIdOfPath(canonical);
    if (callId) {
      const owner = this.byId.get(callId);
      if (owner) return owner;
    }
    if (this.active.length === 1) return this.active[0];
    if (callId) return undefined;
    return this.active.find((r) => r.waitsFor(method, canonical)) ?? this.active.find((r) => !r.failed);
  }
}
