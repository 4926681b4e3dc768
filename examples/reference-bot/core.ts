/**
 * The reference bot's core, which no scenario changes: its HTTP server, notification
 * authentication, application tokens, the Graph client, and the per-call notification queue.
 *
 * What a notification means is decided by the subclasses (calls.ts routes it; each scenario file
 * handles its part). A scenario that offers an endpoint of its own (a trigger such as
 * `POST /api/join-meeting`) adds it in `routeApi`. See README.md, "Where each scenario lives".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTVerifyGetKey } from 'jose';
import { AppTokens } from './app-tokens.js';
import type { BotConfig } from './config.js';
import { errorMessage, HttpError, isJsonObject, parseJsonObject, preview, queueKeyOf, readBody, readResponseBody, send } from './helpers.js';
import { NotificationKeys, refusalReason, verifyNotificationToken } from './notification-auth.js';
import { GraphError, type CommsNotification, type GraphResponse, type GraphRoute } from './types.js';

/** An outbound request that takes longer than this is aborted (it would block its call's notification queue). */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Connections waiting to be accepted. Graph opens a connection per notification in flight: with
 * Node's default (511), 1,000 calls at once overflowed it, the kernel dropped the extra connection
 * attempts and their notifications came 1 s or 3 s late (the sender's SYN retries). The kernel
 * caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

export abstract class BotCore {
  private server?: Server;
  private listening?: { port: number; url: string; callbackUri: string };
  /** Responses still being produced; stop() makes them close their connection when done. */
  private readonly responding = new Set<ServerResponse>();
  /** Aborted by stop(): cancels in-flight Graph and token requests and the notification queue. */
  protected lifetime = new AbortController();
  private readonly tokens: AppTokens;
  /** The keys that sign notification tokens, from the OpenID configuration's `jwks_uri`. */
  private readonly notificationKeys: NotificationKeys;
  /**
   * Notifications waiting to be handled, per call (normalizeId of the resource's call id): each
   * call's one at a time, in arrival order; calls do not wait for each other. A queue exists while
   * it is being drained.
   */
  private readonly queues = new Map<string, CommsNotification[]>();
  /** The drains running now (stop() waits for them). */
  private readonly drains = new Set<Promise<void>>();

  constructor(protected readonly config: BotConfig) {
    this.tokens = new AppTokens(config, () => this.requestSignal());
    this.notificationKeys = new NotificationKeys(
      config.openIdConfigUrl,
      () => this.lifetime.signal,
      (message) => this.log(message),
      (message, err) => this.logError(message, err),
    );
  }

  /** The notifications webhook, `http://HOST:PORT/api/calls`. Available after start(). */
  get url(): string {
    return this.address().url;
  }

  /** The port the bot listens on (useful with PORT=0). Available after start(). */
  get port(): number {
    return this.address().port;
  }

  /** The callbackUri the bot sends to Graph: `${PUBLIC_URL}/api/calls`. Available after start(). */
  get callbackUri(): string {
    return this.address().callbackUri;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('reference bot is already started');
    this.lifetime = new AbortController();
    const server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.config.port, host: this.config.host, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    const publicUrl = this.config.publicUrl ?? `http://127.0.0.1:${port}`;
    this.server = server;
    this.listening = { port, url: `http://${host}:${port}/api/calls`, callbackUri: `${publicUrl}/api/calls` };
  }

  /** Stops listening, cancels in-flight requests and forgets all calls. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.lifetime.abort(new Error('reference bot stopped'));
    for (const queue of this.queues.values()) queue.length = 0;
    this.queues.clear();
    this.onStopping();
    // Keep-alive connections would hold close() open until they time out: close them as soon as
    // they are idle, including the ones still answering a request.
    for (const res of this.responding) res.shouldKeepAlive = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.all([closed, ...this.drains]);
    this.onStopped();
    this.tokens.clear();
    this.notificationKeys.clear();
  }

  /** stop() began: drop what would act later (held notifications, timers). Overrides call super. */
  protected onStopping(): void {}

  /** stop() has waited for the server and the queues: forget the calls. Overrides call super. */
  protected onStopped(): void {}

  // -------------------------------------------------------------------------------------------
  // HTTP server
  // -------------------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.responding.add(res);
    if (!this.server) res.shouldKeepAlive = false; // arrived on an old connection while stopping
    try {
      await this.route(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        send(res, err.status, { error: err.message });
      } else {
        this.logError(`${req.method} ${req.url} failed`, err);
        send(res, 500, { error: 'internal error' });
      }
    } finally {
      this.responding.delete(res);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://bot').pathname;
    if (req.method === 'GET' && path === '/health') return send(res, 200, 'ok');
    if (req.method === 'POST' && path === '/api/calls') return this.receiveNotifications(req, res);
    if (await this.routeApi(req.method ?? 'GET', path, req, res)) return;
    send(res, 404, { error: 'not found' });
  }

  /**
   * The bot's own API (the triggers of flows): a scenario that adds an endpoint overrides this,
   * answers `req` and returns true for its path, and otherwise returns `super.routeApi(...)`.
   * Throwing an HttpError answers with its status.
   */
  protected async routeApi(_method: string, _path: string, _req: IncomingMessage, _res: ServerResponse): Promise<boolean> {
    return false;
  }

  /**
   * `POST /api/calls`: check the notification's bearer token (401 without reading the body when it
   * is refused), acknowledge with 202 at once, then handle the notifications in order.
   */
  private async receiveNotifications(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = await this.authorizeNotification(req);
    if (verdict !== true) {
      this.log(`refused a notification: ${typeof verdict === 'string' && verdict ? verdict : 'not authorized'}`);
      return send(res, 401, { error: 'notification not authorized' });
    }
    const payload = parseJsonObject(await readBody(req), 'notification body');
    const value = payload.value ?? [];
    if (!Array.isArray(value)) throw new HttpError(400, '"value" must be an array of notifications');
    send(res, 202);
    this.enqueue(value.filter(isJsonObject));
  }

  /**
   * Decides whether an inbound notification POST is genuine, before its body is read. Resolves
   * `true` to accept it; `false` or a string (the reason, which is logged) refuses it with 401.
   * By default the `Authorization: Bearer <JWT>` must pass verifyNotificationToken with the keys
   * named by CALLS_OPENID_CONFIG_URL; a notification that cannot be checked (the configuration or
   * keys cannot be fetched) is refused too.
   */
  protected async authorizeNotification(req: IncomingMessage): Promise<boolean | string> {
    const header = req.headers.authorization;
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (header === undefined) return 'no Authorization header';
    if (bearer === undefined) return 'the Authorization header is not "Bearer <token>"';
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.notificationKeys.keys();
    } catch (err) {
      this.logError(`could not read the OpenID configuration ${this.config.openIdConfigUrl}`, err);
      return 'the signing keys are unavailable';
    }
    try {
      await verifyNotificationToken(bearer, keys, this.config.appId);
      return true;
    } catch (err) {
      return refusalReason(err);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Notification queue
  // -------------------------------------------------------------------------------------------

  /**
   * Queues notifications on their call's queue; `first` puts them before the ones already waiting
   * (used for replays).
   */
  protected enqueue(notifications: CommsNotification[], first = false): void {
    if (this.lifetime.signal.aborted || notifications.length === 0) return;
    const byCall = new Map<string, CommsNotification[]>();
    for (const n of notifications) {
      const key = queueKeyOf(n);
      const list = byCall.get(key);
      if (list) list.push(n);
      else byCall.set(key, [n]);
    }
    for (const [key, list] of byCall) {
      let queue = this.queues.get(key);
      const idle = queue === undefined;
      if (queue === undefined) this.queues.set(key, (queue = []));
      if (first) queue.unshift(...list);
      else queue.push(...list);
      if (idle) {
        const drain = this.drain(key, queue);
        this.drains.add(drain);
        void drain.finally(() => this.drains.delete(drain));
      }
    }
  }

  /**
   * Handles a call's queued notifications one at a time, in order, as the Graph Communications SDK
   * does for a call; other calls' queues run meanwhile, so one call's slow Graph request holds up
   * only that call. Never rejects.
   */
  private async drain(key: string, queue: CommsNotification[]): Promise<void> {
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          await this.handleNotification(next);
        } catch (err) {
          if (!this.lifetime.signal.aborted) {
            this.logError(`failed to handle ${next.changeType} ${next.resourceUrl ?? next.resource}`, err);
          }
        }
      }
    } finally {
      // no await since the queue was found empty: nothing was added to it in between
      if (this.queues.get(key) === queue) this.queues.delete(key);
    }
  }

  /** Handles one notification (calls.ts routes it on its resource path, changeType and resourceData). */
  protected abstract handleNotification(notification: CommsNotification): Promise<void>;

  // -------------------------------------------------------------------------------------------
  // Graph client
  // -------------------------------------------------------------------------------------------

  /** The Authorization header for Graph requests about calls of `tenant`; undefined sends none. */
  protected async authorizationHeader(tenant: string): Promise<string | undefined> {
    return `Bearer ${await this.tokens.accessToken(tenant)}`;
  }

  /**
   * Sends one request to Graph with `Content-Type: application/json` and the Authorization header.
   * Returns the parsed answer; throws a GraphError for a non-2xx status.
   */
  protected async graphRequest(method: string, url: string, body: unknown, tenant: string): Promise<GraphResponse> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const authorization = await this.authorizationHeader(tenant);
    if (authorization !== undefined) headers.Authorization = authorization;
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: this.requestSignal(),
    });
    const answer = await readResponseBody(res);
    if (!res.ok) {
      throw new GraphError(`${method} ${url} failed: HTTP ${res.status} ${preview(answer)}`, res.status, answer);
    }
    return { status: res.status, location: res.headers.get('location') ?? undefined, body: answer };
  }

  /** `{graph}/{version}{callsRoot}[/{callId}{suffix}]` */
  protected callUrl(route: GraphRoute, callId?: string, suffix = ''): string {
    const root = `${this.config.graphBaseUrl}/${route.version}${route.callsRoot}`;
    return callId === undefined ? root : `${root}/${encodeURIComponent(callId)}${suffix}`;
  }

  /** The signal of an outbound request: aborted when the bot stops or after REQUEST_TIMEOUT_MS. */
  protected requestSignal(): AbortSignal {
    return AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  }

  private address(): NonNullable<BotCore['listening']> {
    if (!this.listening) throw new Error('reference bot is not started');
    return this.listening;
  }

  protected log(message: string): void {
    if (this.config.logLevel === 'info') console.log(`[reference-bot] ${message}`);
  }

  protected logError(message: string, err: unknown): void {
    if (this.config.logLevel === 'info') console.error(`[reference-bot] ${message}: ${errorMessage(err)}`);
  }
}
