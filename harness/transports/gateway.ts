/**
 * The gateway: plain HTTP servers on loopback that an out-of-process bot (any language) uses as its
 * Graph and login base URLs (GRAPH_BASE_URL, LOGIN_BASE_URL). Each request goes straight to the
 * Router: no re-issuing through nock, so a hop costs a loopback round trip and a match.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from '../engine/router.js';
import { serializeBody, toInboundRequest } from './read-request.js';

export interface GatewayOptions {
  host?: string;
  /** 0 (default) picks a free port */
  graphPort?: number;
  loginPort?: number;
}

export interface Gateway {
  graphBaseUrl: string;
  loginBaseUrl: string;
  close(): Promise<void>;
}

export async function startGateway(router: Router, opts: GatewayOptions = {}): Promise<Gateway> {
  const host = opts.host ?? '127.0.0.1';
  const graph = await listen(router, 'graph', host, opts.graphPort ?? 0);
  let login: http.Server;
  try {
    login = await listen(router, 'login', host, opts.loginPort ?? 0);
  } catch (e) {
    await closeServer(graph);
    throw e;
  }
  const url = (s: http.Server) => `http://${host}:${(s.address() as AddressInfo).port}`;
  return {
    graphBaseUrl: url(graph),
    loginBaseUrl: url(login),
    close: async () => {
      await Promise.all([closeServer(graph), closeServer(login)]);
    },
  };
}

function listen(router: Router, service: 'graph' | 'login', host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const inbound = toInboundRequest(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), service, 'gateway');
      router.handle(inbound).then(
        (out) => {
          const body = serializeBody(out.body);
          const headers: Record<string, string> = { ...out.headers };
          if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
          res.writeHead(out.status, headers);
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`callreplay internal error: ${(err as Error).message}`);
        },
      );
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen for ${service} requests on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)),
    );
    server.listen(port, host, () => resolve(server));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
