/**
 * The harness's own HTTP client towards the bot (notifications and triggers), on cross-fetch with a
 * keep-alive agent. It refuses every destination that is not loopback: a run never reaches a
 * real host, whatever URL a flow or a bot's callbackUri names.
 */
import http from 'node:http';
import fetch from 'cross-fetch';
import { BotUnreachableError, type BotRequest, type BotResponse, type HttpClient } from '../engine/ports.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export class BotHttpClient implements HttpClient {
  // no socket cap: Graph sends many calls' notifications at once, and a queued request must not wait
  private readonly agent = new http.Agent({ keepAlive: true });

  async send(req: BotRequest): Promise<BotResponse> {
    const url = new URL(req.url);
    if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
      throw new BotUnreachableError(`callreplay only sends to the bot on loopback over http; refused ${req.url}`, 'forbidden-host');
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    const t0 = performance.now();
    try {
      // node-fetch (under cross-fetch) takes an agent; the DOM typings do not know it
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: controller.signal, agent: this.agent } as RequestInit);
      const body = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      return { status: res.status, headers, body, latencyMs: performance.now() - t0 };
    } catch (e) {
      if (controller.signal.aborted) throw new BotUnreachableError(`no answer within ${req.timeoutMs} ms`, 'timeout');
      const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') throw new BotUnreachableError(`connection refused at ${url.host} (is the bot running and listening there?)`, 'refused');
      throw new BotUnreachableError(`${(e as Error).message}${code ? ` (${code})` : ''}`, 'network');
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
