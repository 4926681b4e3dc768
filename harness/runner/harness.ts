/**
 * Wires the parts for a run: token issuer, notification signer, router, the ways in (nock
 * in-process; for bots in other processes the HTTP gateway, the HTTPS gateway, the CONNECT proxy
 * and the Node preload), the HTTP client towards the bot, and flow runs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotificationAuthority, OPENID_CONFIG_PATH } from '../auth/notification-authority.js';
import { loadHarnessKeys } from '../auth/signing-keys.js';
import { FlowRun, type BotLiveness, type RunObserver } from '../engine/flow-run.js';
import { refusalFlow } from '../engine/auth-probe.js';
import type { RefusalCheck } from '../engine/refusal-checks.js';
import type { FlowOutcome } from '../engine/flow-run.js';
import type { CompiledFlow } from '../engine/plan.js';
import type { AuthVariant, InboundRequest, RequestSink } from '../engine/ports.js';
import { RunGraph } from '../graph/run-graph.js';
import { REFUSED_PATH, Router } from '../engine/router.js';
import { TokenIssuer } from '../engine/token-issuer.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { preloadEnvironment, preloadModuleUrl } from '../preload/config.js';
import { createCertificateAuthority, type CertificateAuthority } from '../tls/certificate-authority.js';
import { BotHttpClient } from '../transports/bot-http-client.js';
import { proxyEnvironment, startConnectProxy, tlsTrustEnvironment } from '../transports/connect-proxy.js';
import { startGateway } from '../transports/gateway.js';
import { startHttpsGateway } from '../transports/https-gateway.js';
import { DEFAULT_TENANT_ID, INTERCEPT_WAYS, PER_RUN_TENANT, type InterceptWay } from './harness-defaults.js';

/** The bot's app id when none is given (BOT_APP_ID / --app-id). */
export const DEFAULT_BOT_APP_ID = '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27';

// dependency-free, for the command line's help (harness-defaults.ts)
export { DEFAULT_TENANT_ID, INTERCEPT_WAYS, PER_RUN_TENANT, type InterceptWay };

export type TransportKind = 'gateway' | 'nock';

/**
 * Where the CA is kept between runs unless told otherwise (so a bot started by hand with
 * `callreplay env` keeps trusting it): per user, outside the project and node_modules.
 */
export const DEFAULT_CA_DIR = join(tmpdir(), `callreplay-ca-${process.getuid?.() ?? 'user'}`);

export interface HarnessPorts {
  graph?: number;
  login?: number;
  httpsGraph?: number;
  httpsLogin?: number;
  proxy?: number;
}

export interface HarnessOptions {
  transport: TransportKind;
  /** with transport 'gateway': which ways in to open (default: the plain gateway only) */
  intercept?: readonly InterceptWay[];
  /** fixed ports for a bot started by hand (0 or absent = any free port) */
  ports?: HarnessPorts;
  /** folder of the CA for the HTTPS ways in */
  caDir?: string;
  botAppId?: string;
  /**
   * the tenant of every call (default DEFAULT_TENANT_ID); 'per-run': each flow run mints its own
   * and requests are also routed by the tenant of the bot's token (for many concurrent calls
   * against a bot that takes the tenant from each incoming call; a bot that caches one token fails)
   */
  tenant?: string;
  /** checks to attach to every run (a factory: observers keep per-run state) */
  observers?: () => RunObserver[];
}

/** What the ways in opened for an out-of-process bot (or the nock adapter) give the bot. */
export interface WaysInEndpoints {
  /** what the bot gets as GRAPH_BASE_URL / LOGIN_BASE_URL */
  graphBaseUrl: string;
  loginBaseUrl: string;
  /** the plain-HTTP gateway (always open for out-of-process bots: the preload sends traffic there) */
  plain?: { graph: string; login: string };
  httpsGraphBaseUrl?: string;
  httpsLoginBaseUrl?: string;
  proxyUrl?: string;
  ca?: CertificateAuthority;
  preload: boolean;
}

export interface WaysInOptions {
  /** which ways in to open (default: the plain gateway only) */
  intercept?: readonly InterceptWay[];
  /** fixed ports (0 or absent = any free port) */
  ports?: HarnessPorts;
  /** folder of the CA for the HTTPS ways in (default DEFAULT_CA_DIR) */
  caDir?: string;
}

export interface WaysIn {
  endpoints: WaysInEndpoints;
  /** closes every way in opened */
  close(): Promise<void>;
}

/**
 * Opens the ways in for a bot in another process, every one feeding `sink` (the Router when
 * replaying, the recorder's forwarder when recording): the plain gateway always (the preload sends
 * its traffic there), the HTTPS gateway and the CONNECT proxy when asked. Nothing stays open if
 * one of them cannot start.
 */
export async function openWaysIn(sink: RequestSink, opts: WaysInOptions = {}): Promise<WaysIn> {
  const ways = new Set(opts.intercept ?? ['gateway']);
  const ports = opts.ports ?? {};
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const gw = await startGateway(sink, { graphPort: ports.graph, loginPort: ports.login });
    closers.push(() => gw.close());
    const endpoints: WaysInEndpoints = {
      graphBaseUrl: gw.graphBaseUrl,
      loginBaseUrl: gw.loginBaseUrl,
      plain: { graph: gw.graphBaseUrl, login: gw.loginBaseUrl },
      preload: ways.has('preload'),
    };
    if (ways.has('https') || ways.has('proxy')) {
      endpoints.ca = await createCertificateAuthority({ dir: opts.caDir ?? DEFAULT_CA_DIR });
    }
    if (ways.has('https')) {
      const https = await startHttpsGateway(sink, endpoints.ca!, { graphPort: ports.httpsGraph, loginPort: ports.httpsLogin });
      closers.push(() => https.close());
      endpoints.httpsGraphBaseUrl = https.graphBaseUrl;
      endpoints.httpsLoginBaseUrl = https.loginBaseUrl;
      if (!ways.has('gateway')) {
        endpoints.graphBaseUrl = https.graphBaseUrl;
        endpoints.loginBaseUrl = https.loginBaseUrl;
      }
    }
    if (ways.has('proxy')) {
      const proxy = await startConnectProxy(sink, endpoints.ca!, { port: ports.proxy });
      closers.push(() => proxy.close());
      endpoints.proxyUrl = proxy.url;
    }
    return { endpoints, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The environment for a bot in another process (documented in the README): the contract
 * (PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID, CALLS_OPENID_CONFIG_URL) plus what each
 * opened way in needs (CA paths, proxy variables, NODE_OPTIONS for the preload). BOT_APP_ID is
 * left out when `botAppId` is undefined (a recorded bot keeps its own).
 */
export function waysInEnvironment(e: WaysInEndpoints, port: number, botAppId: string | undefined, tenant?: string): Record<string, string> {
  const env: Record<string, string> = {
    PORT: String(port),
    GRAPH_BASE_URL: e.graphBaseUrl,
    LOGIN_BASE_URL: e.loginBaseUrl,
  };
  if (botAppId !== undefined) env['BOT_APP_ID'] = botAppId;
  if (tenant !== undefined) env['TENANT_ID'] = tenant;
  env['CALLS_OPENID_CONFIG_URL'] = `${e.loginBaseUrl}${OPENID_CONFIG_PATH}`;
  if (e.httpsGraphBaseUrl && e.httpsLoginBaseUrl) {
    env['GRAPH_BASE_URL_HTTPS'] = e.httpsGraphBaseUrl;
    env['LOGIN_BASE_URL_HTTPS'] = e.httpsLoginBaseUrl;
  }
  if (e.ca) Object.assign(env, tlsTrustEnvironment(e.ca.caCertPath));
  if (e.proxyUrl && e.ca) Object.assign(env, proxyEnvironment(e.proxyUrl, e.ca.caCertPath));
  if (e.preload && e.plain) {
    Object.assign(
      env,
      preloadEnvironment(
        {
          targets: { 'graph.microsoft.com': e.plain.graph, 'login.microsoftonline.com': e.plain.login, 'api.aps.skype.com': e.plain.login },
          refusedUrl: `${e.plain.graph}${REFUSED_PATH}`,
        },
        preloadModuleUrl,
        process.env['NODE_OPTIONS'],
      ),
    );
  }
  return env;
}

export class Harness {
  private constructor(
    readonly router: Router,
    readonly signer: NotificationAuthority,
    readonly http: BotHttpClient,
    readonly transport: TransportKind,
    readonly botAppId: string,
    /** the tenant of every call; undefined when each run mints its own ('per-run') */
    readonly tenant: string | undefined,
    private readonly endpoints: WaysInEndpoints,
    private readonly closers: Array<() => Promise<void> | void>,
    private readonly observers: () => RunObserver[] = () => [],
  ) {}

  /** The Graph base URL as the bot sees it (${graph} in flows). */
  get graphBaseUrl(): string {
    return this.endpoints.graphBaseUrl;
  }

  get loginBaseUrl(): string {
    return this.endpoints.loginBaseUrl;
  }

  static async start(opts: HarnessOptions): Promise<Harness> {
    const appId = opts.botAppId ?? DEFAULT_BOT_APP_ID;
    const tenant = opts.tenant === PER_RUN_TENANT ? undefined : (opts.tenant ?? DEFAULT_TENANT_ID);
    let loginBase = '';
    // the keys kept with the CA: tokens and signing keys a bot caches stay good across harnesses
    const keys = await loadHarnessKeys(opts.caDir ?? DEFAULT_CA_DIR);
    const tokens = await TokenIssuer.create(() => loginBase, { key: keys.token, homeTenant: tenant });
    const signer = await NotificationAuthority.create({ appId, key: keys.notification, rogueKey: keys.rogue });
    const router = new Router(tokens, [signer]);
    const closers: Array<() => Promise<void> | void> = [];
    try {
      if (opts.transport === 'nock') {
        // loaded only here: importing nock patches node:http for the whole process, which the
        // gateway ways in (and the recorder's keep-alive forwarding) must not go through
        const { installNockAdapter } = await import('../transports/nock-adapter.js');
        const adapter = installNockAdapter(router);
        closers.push(() => adapter.dispose());
        loginBase = adapter.loginBaseUrl;
        const endpoints = { graphBaseUrl: adapter.graphBaseUrl, loginBaseUrl: adapter.loginBaseUrl, preload: false };
        return new Harness(router, signer, new BotHttpClient(), 'nock', appId, tenant, endpoints, closers, opts.observers);
      }
      const ways = await openWaysIn(router, opts);
      closers.push(() => ways.close());
      const endpoints = ways.endpoints;
      loginBase = endpoints.loginBaseUrl;
      return new Harness(router, signer, new BotHttpClient(), 'gateway', appId, tenant, endpoints, closers, opts.observers);
    } catch (e) {
      for (const close of closers.reverse()) await close();
      throw e;
    }
  }

  /**
   * The environment for a bot in another process (documented in the README): the contract
   * (PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID, CALLS_OPENID_CONFIG_URL) plus what each
   * opened way in needs (CA paths, proxy variables, NODE_OPTIONS for the preload).
   */
  botEnvironment(port: number): Record<string, string> {
    return waysInEnvironment(this.endpoints, port, this.botAppId, this.tenant);
  }

  /**
   * A run of `flow` against the bot at `webhookUrl`, registered with the router. With `bot`, a bot
   * process that exits mid-flow fails the run as bot-unavailable, naming its exit and last output.
   */
  createRun(flow: CompiledFlow, webhookUrl: string, onEntry?: (e: TranscriptEntry) => void, bot?: BotLiveness): FlowRun {
    const graphBaseUrl = this.graphBaseUrl;
    const botAppId = this.botAppId;
    // the run's fake Graph: it keeps the run's call state (learnt by watching the transcript) and plays calls on
    const graph = new RunGraph({ graphBaseUrl, botAppId, callerOf: (authorization) => this.router.tokens.callerOf(authorization) });
    const defaultAnswer = (req: InboundRequest) => graph.answer(req);
    const observers = [graph.observer, ...this.observers()];
    const run = new FlowRun({ flow, http: this.http, webhookUrl, graphBaseUrl, botAppId, tenant: this.tenant, bot, signer: this.signer, onEntry, observers, defaultAnswer });
    this.router.add(run);
    return run;
  }

  release(run: FlowRun): void {
    run.dispose();
    this.router.remove(run);
  }

  /** Runs a whole flow and returns its outcome. */
  async run(flow: CompiledFlow, webhookUrl: string, bot?: BotLiveness): Promise<FlowOutcome> {
    const run = this.createRun(flow, webhookUrl, undefined, bot);
    try {
      return await run.run();
    } finally {
      this.release(run);
    }
  }

  /** Auth conformance for one variant: the flow's first notification with a broken token (fresh ids). */
  async probeAuth(flow: CompiledFlow, webhookUrl: string, variant: AuthVariant, bot?: BotLiveness): Promise<FlowOutcome> {
    const run = this.createRun(flow, webhookUrl, undefined, bot);
    try {
      return await run.probeAuth(variant);
    } finally {
      this.release(run);
    }
  }

  /** One refusal check (refusal-checks.ts) against the bot at `webhookUrl`, on a run of its own. */
  async probeRefusal(check: RefusalCheck, webhookUrl: string, bot?: BotLiveness): Promise<FlowOutcome> {
    const run = this.createRun(refusalFlow(check), webhookUrl, undefined, bot);
    try {
      return await run.probeRefusal(check);
    } finally {
      this.release(run);
    }
  }

  async close(): Promise<void> {
    this.http.close();
    for (const close of this.closers.reverse()) await close();
  }
}
