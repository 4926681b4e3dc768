/**
 * The recorder: a relay between a live bot and the real Graph, in both directions at once, that
 * records every exchange without changing it.
 *
 * - inbound: a callback endpoint on loopback (what a tunnel points at, i.e. the URL registered for
 *   the bot) forwards each notification (method, path, query, headers, body bytes) to the bot's
 *   origin with the same path and passes the bot's answer back unchanged;
 * - outbound: the same ways in as replay (gateway, HTTPS gateway, CONNECT proxy, preload, opened by
 *   openWaysIn) feed a Forwarder, which sends the bot's Graph, login and notification-key traffic
 *   to the upstreams and passes their answers back unchanged.
 *
 * The recorder sends the bot nothing of its own. Its bookkeeping (recording, progress callbacks)
 * happens after the answer went back; each exchange records the time the recorder itself added
 * (`relayOverheadMs`) and the whole hop (`totalMs`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalPath, callIdOfPath } from '../engine/canonical.js';
import { openWaysIn, waysInEnvironment, type WaysIn, type WaysInOptions } from '../runner/harness.js';
import { closeServer, listenOn } from '../transports/gateway.js';
import { connectionTokens, DEFAULT_UPSTREAMS, describeError, Forwarder, roundMs, HOP_BY_HOP_HEADERS, type ExchangeLog, type Refusal, type Upstreams } from './forwarder.js';
import type { RecordedExchange, RecordedMessage, Recording } from './recording.js';
import { botUrlProblem } from '../bot/bot-url.js';

export { botUrlProblem };

export interface RecorderOptions {
  /** the bot's calling webhook (http on loopback); notifications go to its origin with their own path */
  botUrl: string;
  /** upstream base URLs; absent ones are the real services (DEFAULT_UPSTREAMS) */
  upstreams?: Partial<Upstreams>;
  /** port of the inbound callback endpoint on 127.0.0.1 (0 or absent: a free port) */
  listenPort?: number;
  /** the ways in for the bot's outbound traffic and their ports (default: the plain gateway) */
  ways?: WaysInOptions;
  /** BOT_APP_ID in botEnvironment(); absent: not set (a recorded bot keeps its own app id) */
  botAppId?: string;
  /** ms to wait for an upstream's answer (default 100 000) */
  upstreamTimeoutMs?: number;
  /** ms to wait for the bot's answer to a notification (default 30 000) */
  botTimeoutMs?: number;
  /** each exchange, after its answer went back */
  onExchange?: (exchange: RecordedExchange) => void;
  /** each connection a way in refused */
  onRefused?: (refusal: Refusal) => void;
  /** something the recorder could not pass on unchanged */
  onWarning?: (message: string) => void;
}


export class Recorder {
  private readonly t0 = performance.now();
  private readonly startedAt = new Date().toISOString();
  private readonly exchanges: RecordedExchange[] = [];
  private readonly refusalList: Refusal[] = [];
  private nextSeq = 0;
  private inFlight = 0;
  /** performance.now() of the last traffic; undefined before any */
  private lastActivity: number | undefined;
  private closed = false;
  private readonly botAgent = new http.Agent({ keepAlive: true });
  private readonly bot: URL;
  private readonly upstreams: Upstreams;
  private server: http.Server | undefined;
  private port = 0;
  private ways: WaysIn | undefined;
  private readonly forwarder: Forwarder;

  private constructor(private readonly opts: RecorderOptions) {
    const problem = botUrlProblem(opts.botUrl);
    if (problem) throw new Error(`the bot URL ${problem}`);
    this.bot = new URL(opts.botUrl);
    this.upstreams = { ...DEFAULT_UPSTREAMS, ...definedOnly(opts.upstreams ?? {}) };
    const log: ExchangeLog = {
      begin: () => this.begin(),
      end: (exchange) => this.end(exchange),
      refused: (destination, via) => this.refused(destination, via),
      warn: (message) => this.warn(message),
    };
    this.forwarder = new Forwarder({ upstreams: this.upstreams, log, timeoutMs: opts.upstreamTimeoutMs });
  }

  /** Opens the inbound endpoint and the ways in; nothing stays open if one cannot start. */
  static async start(opts: RecorderOptions): Promise<Recorder> {
    const recorder = new Recorder(opts);
    try {
      const server = http.createServer((req, res) => recorder.inbound(req, res));
      server.keepAliveTimeout = 5000;
      recorder.server = await listenOn(server, 'notifications (record --listen)', '127.0.0.1', opts.listenPort ?? 0);
      recorder.port = (server.address() as AddressInfo).port;
      recorder.ways = await openWaysIn(recorder.forwarder, opts.ways);
      return recorder;
    } catch (e) {
      await recorder.close();
      throw e;
    }
  }

  /** The inbound callback endpoint's origin, e.g. http://127.0.0.1:41234 (point the tunnel here). */
  get inboundUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The Graph base URL the bot gets (GRAPH_BASE_URL). */
  get graphBaseUrl(): string {
    return this.ways!.endpoints.graphBaseUrl;
  }

  /** The login base URL the bot gets (LOGIN_BASE_URL; CALLS_OPENID_CONFIG_URL is on it). */
  get loginBaseUrl(): string {
    return this.ways!.endpoints.loginBaseUrl;
  }

  get upstream(): Readonly<Upstreams> {
    return this.upstreams;
  }

  /** The environment for the bot, as Harness.botEnvironment() builds it, pointing at the recorder's ways in. */
  botEnvironment(port: number): Record<string, string> {
    return waysInEnvironment(this.ways!.endpoints, port, this.opts.botAppId);
  }

  /** Connections the ways in refused so far. */
  get refusals(): readonly Refusal[] {
    return this.refusalList;
  }

  /** Exchanges recorded so far (answered ones). */
  get exchangeCount(): number {
    return this.exchanges.length;
  }

  /** The recording so far, exchanges in order of arrival (`seq` renumbered from 0). */
  recording(): Recording {
    const exchanges = [...this.exchanges].sort((a, b) => a.seq - b.seq).map((e, i) => ({ ...e, seq: i }));
    return { version: 1, startedAt: this.startedAt, botUrl: this.opts.botUrl, upstream: { ...this.upstreams }, exchanges };
  }

  /**
   * Resolves once traffic has been seen and then nothing has happened for `ms` (no exchange in
   * flight, none new), or when `signal` aborts or the recorder closes.
   */
  untilIdle(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const check = () => {
        const quiet = this.lastActivity === undefined ? 0 : performance.now() - this.lastActivity;
        const waiting = this.lastActivity !== undefined && this.inFlight === 0;
        if (this.closed || (waiting && quiet >= ms)) return finish();
        timer = setTimeout(check, waiting ? ms - quiet : Math.min(ms, 250));
      };
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', finish, { once: true });
      check();
    });
  }

  /** Waits (at most `timeoutMs`) until no exchange is in flight. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Closes the inbound endpoint, the ways in and every connection the recorder made. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.server ? closeServer(this.server) : undefined, this.ways?.close()]);
    this.forwarder.close();
    this.botAgent.destroy();
  }

  // ------------------------------------------------------------- the log both halves report to

  private begin(): { seq: number; at: number } {
    this.inFlight++;
    const now = performance.now();
    this.lastActivity = now;
    return { seq: this.nextSeq++, at: roundMs(now - this.t0) };
  }

  private end(exchange: RecordedExchange): void {
    this.inFlight--;
    this.lastActivity = performance.now();
    this.exchanges.push(exchange);
    const cb = this.opts.onExchange;
    if (cb) setImmediate(() => cb(exchange));
  }

  private refused(destination: string, via: string): void {
    const now = performance.now();
    this.lastActivity = now;
    const refusal: Refusal = { at: roundMs(now - this.t0), destination, via };
    this.refusalList.push(refusal);
    const cb = this.opts.onRefused;
    if (cb) setImmediate(() => cb(refusal));
  }

  private warn(message: string): void {
    const cb = this.opts.onWarning;
    if (cb) setImmediate(() => cb(message));
  }

  // ------------------------------------------------------------------------------------ inbound

  private inbound(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.relayNotification(req, Buffer.concat(chunks), res));
    req.on('error', () => res.destroy());
  }

  /** Forwards one notification (or any request Graph sends to the callback URL) to the bot. */
  private relayNotification(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const t0 = performance.now();
    const { seq, at } = this.begin();
    const method = req.method ?? 'POST';
    const path = req.url ?? '/';
    const headers = forwardRawHeaders(req.rawHeaders, this.bot.host, body.length);
    let done = false;
    const finish = (response: RecordedExchange['response'], otherSideMs: number, answerHeaders?: string[]) => {
      if (done) return;
      done = true;
      const totalMs = performance.now() - t0;
      const request: RecordedMessage = { method, url: path, headers: flatHeaders(headers), body: body.toString('utf8') };
      if ('status' in response && answerHeaders) response.headers = flatHeaders(answerHeaders);
      this.end({ seq, at, direction: 'inbound', service: 'notification', request, response, relayOverheadMs: roundMs(Math.max(0, totalMs - otherSideMs)), totalMs: roundMs(totalMs) });
    };
    const t1 = performance.now();
    const toBot = http.request({ hostname: this.bot.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.bot.port || 80, method, path, headers, agent: this.botAgent }, (answer) => {
      const parts: Buffer[] = [];
      answer.on('data', (c: Buffer) => parts.push(c));
      answer.on('error', (e) => fail(e));
      answer.on('end', () => {
        if (done) return;
        const otherSideMs = performance.now() - t1;
        const status = answer.statusCode ?? 502;
        const out = Buffer.concat(parts);
        const back = forwardRawHeaders(answer.rawHeaders, undefined, out.length);
        res.writeHead(status, answer.statusMessage, back);
        res.end(out);
        finish({ status, headers: {}, body: out.toString('utf8') }, otherSideMs, back);
      });
    });
    const fail = (e: unknown) => {
      if (done) return;
      const otherSideMs = performance.now() - t1;
      const reason = describeError(e);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`callreplay record: the bot at ${this.bot.origin} did not answer: ${reason}`);
      } else res.destroy();
      this.warn(`notification ${method} ${path}: the bot did not answer: ${reason}`);
      finish({ error: reason }, otherSideMs);
    };
    const timeoutMs = this.opts.botTimeoutMs ?? 30_000;
    toBot.setTimeout(timeoutMs, () => toBot.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    toBot.on('error', fail);
    toBot.end(body.length > 0 ? body : undefined);
  }
}

/**
 * A raw header list (name, value, ...) without hop-by-hop headers; Host set to `host` when given;
 * Content-Length set when there is a body (framing is per connection: a chunked message is passed
 * on with its length).
 */
function forwardRawHeaders(raw: readonly string[], host: string | undefined, bodyLength: number): string[] {
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'connection') connection = `${connection ?? ''},${raw[i + 1]}`;
  const named = connectionTokens(connection);
  const out: string[] = host === undefined ? [] : ['Host', host];
  let length = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(name) || named.has(name)) continue;
    if (name === 'content-length') length = true;
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (!length && bodyLength > 0) out.push('Content-Length', String(bodyLength));
  return out;
}

/** A raw header list as the recording keeps it: names lower-case, repeated headers joined. */
function flatHeaders(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    out[name] = out[name] === undefined ? raw[i + 1]! : `${out[name]}, ${raw[i + 1]}`;
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ------------------------------------------------------------------------------------- progress

/** `#microsoft.graph.inviteParticipantsOperation` -> `inviteParticipantsOperation` */
function typeName(odataType: unknown): string | undefined {
  return typeof odataType === 'string' ? odataType.replace(/^#?microsoft\.graph\./, '') : undefined;
}

/** What a notification body is about: "created call incoming", "deleted inviteParticipantsOperation completed". */
export function describeNotification(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return '';
  }
  const value = (parsed as { value?: unknown })?.value;
  if (!Array.isArray(value)) return '';
  return value
    .map((n: { changeType?: unknown; resourceData?: unknown; resourceUrl?: unknown; resource?: unknown }) => {
      const data = n?.resourceData;
      const first = (Array.isArray(data) ? data[0] : data) as { '@odata.type'?: unknown; state?: unknown; status?: unknown } | undefined;
      const what = Array.isArray(data) ? `${data.length} ${typeName(first?.['@odata.type']) ?? 'item'}(s)` : (typeName(first?.['@odata.type']) ?? '');
      const state = first && !Array.isArray(data) ? (first.state ?? first.status) : undefined;
      return [n?.changeType, what, typeof state === 'string' ? state : undefined].filter((s) => typeof s === 'string' && s !== '').join(' ');
    })
    .join('; ');
}

/** A path with its ids (GUIDs, long hex runs) shown as `…`. */
export function elideIds(path: string): string {
  return path.replace(/\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?/gi, '…');
}

/**
 * One progress line per exchange:
 * `← notification created call incoming (202, 3 ms)`, `→ POST /v1.0/communications/calls/…/answer 202 (41 ms)`.
 */
export function describeExchange(ex: RecordedExchange): string {
  const ms = `${Math.round(ex.totalMs)} ms`;
  const outcome = 'status' in ex.response ? String(ex.response.status) : `failed: ${ex.response.error}`;
  if (ex.direction === 'inbound') {
    const what = describeNotification(ex.request.body) || `${ex.request.method} ${elideIds(ex.request.url)}`;
    return `← notification ${what} (${outcome}, ${ms})`;
  }
  let path = ex.request.url;
  try {
    const u = new URL(ex.request.url);
    path = `${u.pathname}${u.search}`;
  } catch {
    // keep it whole
  }
  const service = ex.service === 'graph' ? '' : `${ex.service} `;
  return `→ ${service}${ex.request.method} ${elideIds(path.replace(/\?.*$/, ''))} ${outcome} (${ms})`;
}

/** Counts for the closing line: calls (distinct call ids), notifications, requests, token requests, failures. */
export function summarize(recording: Recording, refusals: readonly Refusal[] = []): string {
  const calls = new Set<string>();
  let notifications = 0;
  let requests = 0;
  let tokens = 0;
  let failed = 0;
  for (const ex of recording.exchanges) {
    if ('error' in ex.response) failed++;
    if (ex.direction === 'inbound') {
      notifications++;
      try {
        const value = (JSON.parse(ex.request.body) as { value?: Array<{ resourceUrl?: string; resource?: string }> }).value ?? [];
        for (const n of value) {
          const id = callIdOfPath(canonicalPath(n.resourceUrl ?? n.resource ?? ''));
          if (id) calls.add(id);
        }
      } catch {
        // not JSON: no call id
      }
    } else if (ex.service === 'graph') requests++;
    else tokens++;
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    plural(calls.size, 'call'),
    plural(notifications, 'notification'),
    plural(requests, 'Graph request'),
    plural(tokens, 'login/key request'),
    ...(failed ? [`${failed} without an answer`] : []),
    ...(refusals.length ? [`${refusals.length} refused`] : []),
  ].join(', ');
}
