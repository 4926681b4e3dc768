/**
 * The gateway: plain HTTP servers on loopback that an out-of-process bot (any language) uses as its
 * Graph and login base URLs (GRAPH_BASE_URL, LOGIN_BASE_URL). Each request goes straight to the
 * Router: no re-issuing through nock, so a hop costs a loopback round trip and a match.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InboundRequest, RequestSink } from '../engine/ports.js';
import { HARNESS_SERVER_HEADER, serializeBody, toInboundRequest } from './read-request.js';

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

export async function startGateway(router: RequestSink, opts: GatewayOptions = {}): Promise<Gateway> {
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

/** Real hosts a bot may name; a request carrying one of these Host headers is for that service. */
export const SERVICE_BY_HOST: Readonly<Record<string, InboundRequest['service']>> = {
  'graph.microsoft.com': 'graph',
  'login.microsoftonline.com': 'login',
  'api.aps.skype.com': 'login',
};

/**
 * The request listener every HTTP(S) way in shares: reads the request, hands it to the Router,
 * writes the answer. `service` is used unless the Host header names a known real host.
 */
export function routerListener(router: RequestSink, service: InboundRequest['service'], via: string): http.RequestListener {
  return (req, res) => {
    res.setHeader(HARNESS_SERVER_HEADER, via);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const inbound = toInboundRequest(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), SERVICE_BY_HOST[host] ?? service, via);
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
  };
}

function listen(router: RequestSink, service: 'graph' | 'login', host: string, port: number): Promise<http.Server> {
  const server = http.createServer(routerListener(router, service, 'gateway'));
  server.keepAliveTimeout = 5000;
  return listenOn(server, `${service} requests`, host, port);
}

/**
 * Connections waiting to be accepted. Node's default (511) overflowed when a bot opened a
 * connection per concurrent request (1,000 calls at once, `callreplay load`): the kernel dropped
 * the extra SYNs and the bot's requests waited 1 s, then 3 s, for the retry. The kernel caps it at
 * net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/** Starts `server` listening; a busy port becomes a clear error. */
export function listenOn<S extends http.Server>(server: S, what: string, host: string, port: number): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen for ${what} on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)),
    );
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve(server));
  });
}

/** Closes a server and its open connections. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
