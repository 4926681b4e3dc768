/**
 * The raw node:http ping-pong the hop benches compare with: a "graph" server answers 200 and notifies
 * a "bot" server, which answers 202 and sends the next request back to "graph". Node built-ins only:
 * bench-import-child.ts times it in a process that has not loaded callreplay.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A bot that answers each notification 202 and then sends one keepAlive to `graphBase`. */
export function pingBot(graphBase: () => string, token: () => string, callPath: () => string): Promise<http.Server> {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202).end();
      http
        .request(`${graphBase()}${callPath()}`, { method: 'POST', agent, headers: { authorization: `Bearer ${token()}`, 'content-length': 0 } }, (r) => r.resume())
        .on('error', () => {}) // the last keepAlive's answer may be cut short when the run ends
        .end();
    });
  });
  server.on('close', () => agent.destroy());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** ms per hop of `n` raw node:http round trips (bot -> graph -> bot), keep-alive on both sides. */
export async function rawHop(n: number): Promise<number> {
  let remaining = n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const agent = new http.Agent({ keepAlive: true });
  let botPort = 0;
  // "graph": answers 200, then notifies the bot (like the harness does)
  const graph = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200).end();
      if (--remaining === 0) return done();
      http.request({ host: '127.0.0.1', port: botPort, method: 'POST', path: '/api/calls', agent, headers: { 'content-length': 2 } }, (r) => r.resume()).end('{}');
    });
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', () => r()));
  const bot = await pingBot(() => `http://127.0.0.1:${(graph.address() as AddressInfo).port}`, () => 'x', () => '/v1.0/keepAlive');
  botPort = (bot.address() as AddressInfo).port;
  const t0 = performance.now();
  http.request({ host: '127.0.0.1', port: botPort, method: 'POST', path: '/api/calls', agent, headers: { 'content-length': 2 } }, (r) => r.resume()).end('{}');
  await finished;
  const perHop = (performance.now() - t0) / n;
  for (const s of [graph, bot]) {
    s.closeAllConnections();
    s.close();
  }
  agent.destroy();
  return perHop;
}
