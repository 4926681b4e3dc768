/**
 * The harness's own HTTP client towards the bot (notifications and triggers), on node:http with a
 * keep-alive agent. It refuses every destination that is not loopback: a run never reaches a
 * real host, whatever URL a flow or a bot's callbackUri names. It does not follow redirects (a 3xx
 * is the bot's answer, judged as such).
 *
 * Under load (measured with `callreplay load`, 1,000 concurrent calls):
 * - no socket cap, and no cap on idle sockets kept: Graph sends many calls' notifications at once,
 *   a queued request must not wait, and with the default cap of 256 idle sockets every burst of
 *   more than 256 calls at the same step closed the extra sockets and opened them again for the
 *   next step (connection churn that overflowed the bot's listen backlog: SYN retries of 1 s, 3 s);
 * - a request sent on a kept-alive socket that the bot closed meanwhile (its keep-alive timeout
 *   racing the reuse: ECONNRESET before any answer) is sent again once on a new connection, as
 *   Node's documentation advises (`request.reusedSocket`): the bot never read it;
 * - a timeout is only declared after the answers that already arrived have been read: a timer due
 *   while the harness's event loop was busy would otherwise fire before the poll phase reads an
 *   answer that came in time.
 * It was on cross-fetch (node-fetch) before: the same exchange on node:http costs the harness less.
 */
import http from 'node:http';
import { boundedMemo } from '../engine/bounded-memo.js';
import { BotUnreachableError, type BotRequest, type BotResponse, type HttpClient } from '../engine/ports.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
/** Errors of a kept-alive socket the peer closed before it read the request. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** A request lost to a stale kept-alive socket: safe to send again (the bot never read it). */
class StaleSocket extends Error {}

export class BotHttpClient implements HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxFreeSockets: Infinity });

  async send(req: BotRequest): Promise<BotResponse> {
    const url = parsedUrl(req.url);
    if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
      throw new BotUnreachableError(`callreplay only sends to the bot on loopback over http; refused ${req.url}`, 'forbidden-host');
    }
    const t0 = performance.now();
    try {
      return await this.exchange(url, req, t0);
    } catch (e) {
      if (!(e instanceof StaleSocket)) throw e;
      return this.exchange(url, req, t0);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /** One attempt; the timeout counts from `t0`, the first attempt's start. */
  private exchange(url: URL, req: BotRequest, t0: number): Promise<BotResponse> {
    return new Promise<BotResponse>((resolve, reject) => {
      const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
      const headers: Record<string, string> = { accept: '*/*' };
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
      if (body !== undefined) {
        headers['content-length'] ??= String(body.length);
        headers['content-type'] ??= 'text/plain;charset=UTF-8';
      }
      let settled = false;
      let answered = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const request = http.request({
        agent: req.fresh ? false : this.agent,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
      });
      const onTimeout = () => {
        if (settled) return;
        const waited = performance.now() - t0;
        const more = req.keepWaiting?.(waited) ?? 0;
        if (more > 0) {
          timer = setTimeout(() => setImmediate(onTimeout), more);
          return;
        }
        settle(() => {
          request.destroy();
          reject(new BotUnreachableError(`no answer within ${Math.round(Math.max(waited, req.timeoutMs))} ms`, 'timeout'));
        });
      };
      // read what already arrived before calling it a timeout (setImmediate runs after the poll phase)
      let timer = setTimeout(() => setImmediate(onTimeout), Math.max(0, req.timeoutMs - (performance.now() - t0)));
      request.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          settle(() => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8'), latencyMs: performance.now() - t0 });
          }),
        );
        res.on('error', (e) => settle(() => reject(networkError(e, url))));
        res.on('aborted', () => settle(() => reject(new BotUnreachableError('the bot closed the connection in the middle of its answer', 'network'))));
      });
      request.on('error', (e: NodeJS.ErrnoException) => {
        // after the answer began, a write error (the bot answered early, e.g. 413, and closed) is not the outcome
        if (answered) return;
        if (request.reusedSocket && STALE_SOCKET_CODES.has(e.code ?? '')) return settle(() => reject(new StaleSocket(e.message)));
        settle(() => reject(networkError(e, url)));
      });
      request.end(body);
    });
  }
}

/** The bot's few URLs, parsed once (never changed after). */
const parsedUrl = boundedMemo(1024, (href) => new URL(href));

function networkError(e: NodeJS.ErrnoException, url: URL): BotUnreachableError {
  if (e.code === 'ECONNREFUSED') return new BotUnreachableError(`connection refused at ${url.host} (is the bot running and listening there?)`, 'refused');
  return new BotUnreachableError(`request to ${url.href} failed: ${e.message}${e.code ? ` (${e.code})` : ''}`, 'network');
}
