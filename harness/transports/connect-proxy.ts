/**
 * The HTTPS CONNECT proxy: for bots that have https://graph.microsoft.com hard-coded but honour
 * HTTPS_PROXY (Python, C#/.NET, curl, Go, ...). The bot gets proxyEnvironment(): the proxy's URL and
 * the harness's CA in every variable the common stacks read.
 *
 * - `CONNECT graph.microsoft.com:443` (or another INTERCEPTED_HOSTS name, any port): answered
 *   `200 Connection Established`; TLS is terminated on the socket with a certificate from the
 *   harness's CA and the requests inside are served by the Router (via 'proxy'), the Host header
 *   deciding the service as in the gateway.
 * - `CONNECT` to loopback (127.0.0.1, localhost, ::1): a plain TCP tunnel, so that a bot that sends
 *   its own loopback traffic through the proxy keeps working.
 * - absolute-URI plain-http requests (`GET http://127.0.0.1:3978/...`) to loopback are forwarded
 *   with node:http (other schemes to loopback get 400: use CONNECT).
 * - anything else (CONNECT to another host, an absolute-URI request to a non-loopback host,
 *   including plain http to Graph, which the real Graph does not serve): `403` with a body naming
 *   the destination, and Router.refused() fails every running flow. The proxy never resolves or
 *   connects to such a host: nothing leaves the machine.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestSink } from '../engine/ports.js';
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import { closeServer, listenOn, routerListener, SERVICE_BY_HOST } from './gateway.js';
import { HARNESS_SERVER_HEADER } from './read-request.js';

/** Hosts whose TLS the proxy terminates and whose requests the Router answers. */
export const INTERCEPTED_HOSTS = ['graph.microsoft.com', 'login.microsoftonline.com', 'api.aps.skype.com'] as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const LOOPBACK_NO_PROXY = '127.0.0.1,localhost,::1';
/** request headers meant for the proxy or for one connection only: not forwarded */
const HOP_BY_HOP = new Set(['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade']);

export interface ConnectProxyOptions {
  host?: string;
  /** 0 (default) picks a free port */
  port?: number;
}

export interface ConnectProxy {
  /** e.g. http://127.0.0.1:41234 (for HTTPS_PROXY) */
  url: string;
  /** Stops listening and destroys every socket the proxy made or took over (tunnels, TLS). */
  close(): Promise<void>;
}

/**
 * Only the variables that make the common TLS stacks trust the harness's CA: Node
 * (NODE_EXTRA_CA_CERTS, added to the built-in roots), OpenSSL-based stacks such as Python's ssl and
 * .NET on Linux (SSL_CERT_FILE, which replaces the default bundle), Python requests
 * (REQUESTS_CA_BUNDLE) and curl (CURL_CA_BUNDLE). The HTTPS gateway needs only these.
 */
export function tlsTrustEnvironment(caCertPath: string): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: caCertPath,
    SSL_CERT_FILE: caCertPath,
    REQUESTS_CA_BUNDLE: caCertPath,
    CURL_CA_BUNDLE: caCertPath,
  };
}

/**
 * What a bot needs to go through the proxy: the proxy for http and https (both spellings), no
 * proxy for loopback (its own webhook, the harness), the CA variables, and NODE_USE_ENV_PROXY=1
 * (Node 22.21+/24 then sends fetch and https requests through HTTPS_PROXY; older Node ignores it).
 */
export function proxyEnvironment(proxyUrl: string, caCertPath: string): Record<string, string> {
  return {
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY: LOOPBACK_NO_PROXY,
    no_proxy: LOOPBACK_NO_PROXY,
    NODE_USE_ENV_PROXY: '1',
    ...tlsTrustEnvironment(caCertPath),
  };
}

/** The body of a refusal (403). */
export function refusalMessage(destination: string): string {
  return `callreplay refused ${destination}: during a run a bot may only reach Graph, the login endpoint and loopback`;
}

export async function startConnectProxy(router: RequestSink, ca: CertificateAuthority, opts: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Duplex>();
  const track = (s: Duplex): void => {
    if (sockets.has(s)) return;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  // TLS ends here for intercepted hosts: https servers that never listen, fed the CONNECT sockets
  const { key, cert } = ca.leaf(INTERCEPTED_HOSTS);
  const tlsServers = {
    graph: https.createServer({ key, cert }, routerListener(router, 'graph', 'proxy')),
    login: https.createServer({ key, cert }, routerListener(router, 'login', 'proxy')),
  };
  for (const s of Object.values(tlsServers)) {
    s.keepAliveTimeout = 5000;
    s.on('secureConnection', track);
    // a client that does not trust the CA aborts the handshake: the default handler destroys the socket
  }

  const proxy = http.createServer((req, res) => forwardOrRefuse(req, res));
  proxy.keepAliveTimeout = 5000;
  proxy.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => connect(req, socket, head));

  function connect(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    track(socket);
    socket.on('error', () => socket.destroy());
    const target = parseAuthority(req.url ?? '', 443);
    if (!target) {
      socket.end(rawResponse(400, 'Bad Request', `callreplay's proxy: cannot read the CONNECT target "${req.url ?? ''}" (expected host:port)`));
      return;
    }
    const service = SERVICE_BY_HOST[target.hostname];
    if (service) {
      socket.write('HTTP/1.1 200 Connection Established\r\nProxy-Agent: callreplay\r\n\r\n');
      if (head.length > 0) socket.unshift(head);
      tlsServers[service].emit('connection', socket);
      return;
    }
    if (LOOPBACK_HOSTS.has(target.hostname)) {
      tunnel(socket, head, target);
      return;
    }
    const destination = formatAuthority(target);
    socket.end(rawResponse(403, 'Forbidden', refusalMessage(destination)));
    router.refused(destination, 'proxy');
  }

  function tunnel(socket: Duplex, head: Buffer, target: Authority): void {
    const upstream = net.connect({ host: target.hostname, port: target.port });
    track(upstream);
    let open = false;
    upstream.once('connect', () => {
      open = true;
      socket.write('HTTP/1.1 200 Connection Established\r\nProxy-Agent: callreplay\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (open) socket.destroy();
      else socket.end(rawResponse(502, 'Bad Gateway', `callreplay's proxy could not reach ${formatAuthority(target)}: ${e.code ?? e.message}`));
    });
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  }

  function forwardOrRefuse(req: http.IncomingMessage, res: http.ServerResponse): void {
    track(req.socket);
    let url: URL | undefined;
    try {
      url = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '') ? new URL(req.url!) : undefined;
    } catch {
      url = undefined;
    }
    if (!url) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', [HARNESS_SERVER_HEADER]: 'proxy' });
      res.end(`callreplay's proxy: expected CONNECT host:port or an absolute-URI request, got ${req.method} ${req.url}`);
      return;
    }
    const target: Authority = { hostname: normalizeHost(url.hostname), port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
    if (LOOPBACK_HOSTS.has(target.hostname)) {
      if (url.protocol === 'http:') forward(req, res, url, target);
      else {
        req.resume();
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', [HARNESS_SERVER_HEADER]: 'proxy' });
        res.end(`callreplay's proxy forwards plain http only; use CONNECT ${formatAuthority(target)} for ${url.protocol}`);
      }
      return;
    }
    const destination = formatAuthority(target);
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', 'proxy-agent': 'callreplay', [HARNESS_SERVER_HEADER]: 'proxy' });
    res.end(refusalMessage(destination));
    router.refused(destination, 'proxy');
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, url: URL, target: Authority): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: `${url.pathname}${url.search}`, headers, agent: false }, (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(res);
    });
    upstream.on('socket', track);
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`callreplay's proxy could not reach ${formatAuthority(target)}: ${e.code ?? e.message}`);
      }
    });
    req.pipe(upstream);
  }

  await listenOn(proxy, 'proxy connections', host, opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${(proxy.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      for (const s of Object.values(tlsServers)) s.closeAllConnections();
      await closeServer(proxy);
    },
  };
}

interface Authority {
  /** lower-case, without brackets or a trailing dot */
  hostname: string;
  port: number;
}

function normalizeHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** host:port, [v6]:port or a bare host (defaultPort) */
function parseAuthority(text: string, defaultPort: number): Authority | undefined {
  const m = /^(\[[^\]]+\]|[^:[\]/\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { hostname: normalizeHost(m[1]!), port };
}

function formatAuthority(a: Authority): string {
  return `${a.hostname.includes(':') ? `[${a.hostname}]` : a.hostname}:${a.port}`;
}

/** A whole HTTP/1.1 response for a socket the HTTP server no longer manages (after CONNECT). */
function rawResponse(status: number, reason: string, body: string): string {
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n' +
    'Proxy-Agent: callreplay\r\n' +
    '\r\n' +
    body
  );
}
