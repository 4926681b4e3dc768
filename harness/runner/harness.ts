/**
 * Wires the parts for a run: token issuer, router, one transport (nock in-process, or the gateway
 * for bots in other processes), the HTTP client towards the bot, and flow runs.
 */
import { FlowRun } from '../engine/flow-run.js';
import type { FlowOutcome } from '../engine/flow-run.js';
import type { CompiledFlow } from '../engine/plan.js';
import { Router } from '../engine/router.js';
import { TokenIssuer } from '../engine/token-issuer.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { BotHttpClient } from '../transports/bot-http-client.js';
import { startGateway } from '../transports/gateway.js';
import { installNockAdapter } from '../transports/nock-adapter.js';

/** The bot's app id when none is given (BOT_APP_ID / --app-id). */
export const DEFAULT_BOT_APP_ID = '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27';

export type TransportKind = 'gateway' | 'nock';

export interface HarnessOptions {
  transport: TransportKind;
  /** fixed gateway ports for a bot started by hand (0 = any free port) */
  graphPort?: number;
  loginPort?: number;
  botAppId?: string;
}

export class Harness {
  private constructor(
    readonly router: Router,
    readonly http: BotHttpClient,
    readonly transport: TransportKind,
    readonly graphBaseUrl: string,
    readonly loginBaseUrl: string,
    readonly botAppId: string,
    private readonly closeTransport: () => Promise<void> | void,
  ) {}

  static async start(opts: HarnessOptions): Promise<Harness> {
    let loginBase = '';
    const tokens = await TokenIssuer.create(() => loginBase);
    const router = new Router(tokens);
    const appId = opts.botAppId ?? DEFAULT_BOT_APP_ID;
    if (opts.transport === 'nock') {
      const adapter = installNockAdapter(router);
      loginBase = adapter.loginBaseUrl;
      return new Harness(router, new BotHttpClient(), 'nock', adapter.graphBaseUrl, adapter.loginBaseUrl, appId, () => adapter.dispose());
    }
    const gw = await startGateway(router, { graphPort: opts.graphPort, loginPort: opts.loginPort });
    loginBase = gw.loginBaseUrl;
    return new Harness(router, new BotHttpClient(), 'gateway', gw.graphBaseUrl, gw.loginBaseUrl, appId, () => gw.close());
  }

  /** The environment contract for a bot the harness starts (documented in the README). */
  botEnvironment(port: number): Record<string, string> {
    return {
      PORT: String(port),
      GRAPH_BASE_URL: this.graphBaseUrl,
      LOGIN_BASE_URL: this.loginBaseUrl,
      BOT_APP_ID: this.botAppId,
    };
  }

  /** A run of `flow` against the bot at `webhookUrl`, registered with the router. */
  createRun(flow: CompiledFlow, webhookUrl: string, onEntry?: (e: TranscriptEntry) => void): FlowRun {
    const run = new FlowRun({ flow, http: this.http, webhookUrl, graphBaseUrl: this.graphBaseUrl, botAppId: this.botAppId, onEntry });
    this.router.add(run);
    return run;
  }

  release(run: FlowRun): void {
    run.dispose();
    this.router.remove(run);
  }

  /** Runs a whole flow and returns its outcome. */
  async run(flow: CompiledFlow, webhookUrl: string): Promise<FlowOutcome> {
    const run = this.createRun(flow, webhookUrl);
    try {
      return await run.run();
    } finally {
      this.release(run);
    }
  }

  async close(): Promise<void> {
    this.http.close();
    await this.closeTransport();
  }
}
