/**
 * The recorder's outbound half: a RequestSink that every way in (gateway, HTTPS gateway, CONNECT
 * proxy, preload) feeds exactly as it feeds the Router when replaying. Instead of answering as
 * Graph, it forwards each request to the real upstream (Graph, the login endpoint, or the
 * notification-key host) and hands the upstream's answer back unchanged, recording both.
 *
 * What is forwarded: method, path and query, the raw body, and the headers except hop-by-hop ones
 * (Host becomes the upstream's). What comes back: status, headers (except hop-by-hop ones) and
 * body. The ways in carry bodies as UTF-8 text (InboundRequest.rawBody, OutboundResponse.body), so
 * text bodies (JSON, form posts: all of the calling API and the token endpoint) pass byte for byte;
 * a compressed answer (the bot asked for gzip/deflate/br) is decoded first and passed back without
 * Content-Encoding, and an answer that is not UTF-8 text is reported as a warning.
 *
 * Forwarding uses node:http / node:https directly with keep-alive agents: no fetch, no retries, no
 * body parsing on the hot path.
 */
import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { JWKS_PATH, NOTIFICATION_AUTHORITY_HOST, OPENID_CONFIG_PATH } from '../auth/notification-authority.js';
import type { InboundRequest, OutboundResponse, RequestSink } from '../engine/ports.js';
import { REFUSED_PATH } from '../engine/router.js';
import type { RecordedExchange } from './recording.js';
import { DEFAULT_UPSTREAMS, type Upstreams, type UpstreamService } from './upstreams.js';

// dependency-free, for the command line's help (upstreams.ts)
export { DEFAULT_UPSTREAMS, type Upstreams, type UpstreamService };

/** Headers meant for one connection only (RFC 9110 7.6.1), never forwarded; Host is replaced. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

/** A connection a way in refused (the bot tried to reach a host other than Graph, login or loopback). */
export interface Refusal {
  /** ms since the recording started */
  at: number;
  /** "host:port" */
  destination: string;
  /** the way in that refused it: proxy, preload */
  via: string;
}

/** Where the forwarder (and the inbound relay) report what they saw; the Recorder implements it. */
export interface ExchangeLog {
  /** a request arrived: its position and time (ms since the recording started) */
  begin(): { seq: number; at: number };
  /** its answer went back (or none could be had) */
  end(exchange: RecordedExchange): void;
  refused(destination: string, via: string): void;
  warn(message: string): void;
}

export interface ForwarderOptions {
  upstreams: Upstreams;
  log: ExchangeLog;
  /** ms to wait for an upstream's whole answer (default 100 000, Graph's own request timeout) */
  timeoutMs?: number;
}

/** An upstream's answer, read whole. */
export interface UpstreamAnswer {
  status: number;
  /** raw header list as received: name, value, name, value... */
  rawHeaders: string[];
  body: Buffer;
}

interface Upstream {
  url: URL;
  /** path prefix without a trailing slash ('' for none) */
  prefix: string;
  /** Host header value for it */
  host: string;
  agent: http.Agent;
  request: typeof http.request;
}

export class Forwarder implements RequestSink {
  private readonly upstreams: Record<UpstreamService, Upstream>;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly timeoutMs: number;
  private readonly log: ExchangeLog;

  constructor(opts: ForwarderOptions) {
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs ?? 100_000;
    const upstream = (base: string): Upstream => {
      const url = new URL(base);
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') throw new Error(`an upstream must be an http(s) URL, got ${base}`);
      return {
        url,
        prefix: url.pathname.replace(/\/+$/, ''),
        host: url.host,
        agent: secure ? this.httpsAgent : this.httpAgent,
        request: secure ? https.request : http.request,
      };
    };
    this.upstreams = { graph: upstream(opts.upstreams.graph), login: upstream(opts.upstreams.login), auth: upstream(opts.upstreams.auth) };
  }

  async handle(req: InboundRequest): Promise<OutboundResponse> {
    const t0 = performance.now();
    // the preload reports the connections it refused to the Graph gateway: not for the upstream
    if (req.path === REFUSED_PATH && req.method === 'POST') {
      const { destination, via } = (req.body ?? {}) as { destination?: unknown; via?: unknown };
      this.refused(String(destination ?? 'an unknown host'), String(via ?? req.via));
      return { status: 204, headers: {} };
    }
    const { seq, at } = this.log.begin();
    const service = serviceOf(req);
    const up = this.upstreams[service];
    const url = `${up.url.protocol}//${up.host}${up.prefix}${req.path}`;
    const headers = forwardedHeaders(req.headers, up.host);
    const body = Buffer.from(req.rawBody, 'utf8');
    // equal to the bot's own Content-Length for a UTF-8 body; the framing must match what is sent
    if (body.length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
    const request = { method: req.method, url, headers, body: req.rawBody };

    let otherSideMs = 0;
    let out: OutboundResponse;
    let response: RecordedExchange['response'];
    const t1 = performance.now();
    try {
      const answer = await send(up, req.method, `${up.prefix}${req.path}`, headers, body, this.timeoutMs);
      otherSideMs = performance.now() - t1;
      const passed = passBack(answer, (m) => this.log.warn(`${req.method} ${url}: ${m}`));
      out = passed.response;
      response = { status: answer.status, headers: passed.recorded, body: passed.text };
    } catch (e) {
      otherSideMs = performance.now() - t1;
      const reason = describeError(e);
      out = { status: 502, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `callreplay record: could not reach ${up.url.origin}: ${reason}` };
      response = { error: reason };
    }
    const totalMs = performance.now() - t0;
    this.log.end({ seq, at, direction: 'outbound', service, request, response, relayOverheadMs: roundMs(Math.max(0, totalMs - otherSideMs)), totalMs: roundMs(totalMs) });
    return out;
  }

  refused(destination: string, via: string): void {
    this.log.refused(destination, via);
  }

  /** Closes the keep-alive connections to the upstreams. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * Which upstream a request is for: Graph by the way in it came through; otherwise the notification
 * keys' host when the bot named it (proxy, preload, HTTPS gateway) or asked a plain gateway for its
 * OpenID configuration or keys (CALLS_OPENID_CONFIG_URL points at the login gateway), else login.
 */
export function serviceOf(req: Pick<InboundRequest, 'service' | 'headers' | 'path'>): UpstreamService {
  if (req.service === 'graph') return 'graph';
  const host = (req.headers['host'] ?? '').replace(/:\d+$/, '').toLowerCase();
  if (host === NOTIFICATION_AUTHORITY_HOST) return 'auth';
  if (host === 'login.microsoftonline.com') return 'login';
  const path = req.path.replace(/[?#].*$/, '').toLowerCase();
  return path === OPENID_CONFIG_PATH.toLowerCase() || path === JWKS_PATH.toLowerCase() ? 'auth' : 'login';
}

/** The request's headers without hop-by-hop ones (and those its Connection header names), Host set to `host`. */
export function forwardedHeaders(headers: Record<string, string>, host: string): Record<string, string> {
  const named = connectionTokens(headers['connection']);
  const out: Record<string, string> = { host };
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP_HEADERS.has(k) && !named.has(k)) out[k] = v;
  return out;
}

/** Header names listed in a Connection header (they are hop-by-hop too). */
export function connectionTokens(value: string | undefined): Set<string> {
  return new Set((value ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** Sends one request and reads the whole answer. */
function send(up: Upstream, method: string, path: string, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const req = up.request({ protocol: up.url.protocol, hostname: up.url.hostname.replace(/^\[(.*)\]$/, '$1'), port: up.url.port || undefined, method, path, headers, agent: up.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('the upstream closed the connection mid-answer')));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body.length > 0 ? body : undefined);
  });
}

const DECODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gunzipSync(b),
  'x-gzip': (b) => zlib.gunzipSync(b),
  deflate: (b) => zlib.inflateSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
};

/**
 * The upstream's answer as the way in writes it back (headers lower-case; Set-Cookie lines kept
 * apart) and as the recording keeps it (one string per header).
 */
function passBack(answer: UpstreamAnswer, warn: (message: string) => void): { response: OutboundResponse; recorded: Record<string, string>; text: string } {
  const lists = new Map<string, string[]>();
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
    const name = answer.rawHeaders[i]!.toLowerCase();
    const list = lists.get(name);
    if (list) list.push(answer.rawHeaders[i + 1]!);
    else lists.set(name, [answer.rawHeaders[i + 1]!]);
  }
  const named = connectionTokens(lists.get('connection')?.join(','));
  for (const name of [...lists.keys()]) if (HOP_BY_HOP_HEADERS.has(name) || named.has(name)) lists.delete(name);

  let body = answer.body;
  const encoding = lists.get('content-encoding')?.join(',').trim().toLowerCase();
  if (encoding && encoding !== 'identity' && body.length > 0) {
    const decode = DECODERS[encoding];
    if (decode) {
      try {
        body = decode(body);
        lists.delete('content-encoding');
        lists.set('content-length', [String(body.length)]);
      } catch (e) {
        warn(`cannot decode its ${encoding} answer (${describeError(e)}): passed back as text`);
      }
    } else warn(`its answer is ${encoding}-encoded, which callreplay cannot decode: passed back as text`);
  }
  if (body.length > 0 && !isUtf8(body)) warn('its answer is not UTF-8 text: the ways in carry text, so the bot got it altered');
  if (body.length > 0 && !lists.has('content-length')) lists.set('content-length', [String(body.length)]);

  const headers: Record<string, string> = {};
  const recorded: Record<string, string> = {};
  for (const [name, values] of lists) {
    recorded[name] = values.join(', ');
    // routerListener hands these to writeHead, which writes an array as repeated lines: cookies must not be joined
    headers[name] = name === 'set-cookie' && values.length > 1 ? (values as unknown as string) : values.join(', ');
  }
  const text = body.toString('utf8');
  // no body: undefined, so that the way in adds no Content-Type the upstream did not send
  return { response: { status: answer.status, headers, body: text === '' ? undefined : text }, recorded, text };
}

/** ms to the microsecond */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}` : String(err?.message ?? e);
}
