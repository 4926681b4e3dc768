/**
 * The HTTPS gateway: the gateway over TLS, for bots whose HTTP stack only attaches tokens to (or
 * only accepts) https URLs (the Graph C# SDK, @microsoft/microsoft-graph-client). Two https
 * servers on loopback (Graph and login) with one certificate from the harness's CA, valid for
 * loopback and for the real host names. The bot uses GRAPH_BASE_URL / LOGIN_BASE_URL as with the
 * plain gateway and trusts the CA through tlsTrustEnvironment() (connect-proxy.ts).
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestSink } from '../engine/ports.js';
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import { closeServer, listenOn, routerListener, type Gateway, type GatewayOptions } from './gateway.js';

/** The names the HTTPS gateway's certificate covers. */
export const HTTPS_GATEWAY_HOSTS = ['localhost', '127.0.0.1', '::1', 'graph.microsoft.com', 'login.microsoftonline.com', 'api.aps.skype.com'] as const;

export type HttpsGateway = Gateway;

export async function startHttpsGateway(router: RequestSink, ca: CertificateAuthority, opts: GatewayOptions = {}): Promise<HttpsGateway> {
  const host = opts.host ?? '127.0.0.1';
  const { key, cert } = ca.leaf(HTTPS_GATEWAY_HOSTS);
  const serve = (service: 'graph' | 'login', port: number) => {
    const server = https.createServer({ key, cert }, routerListener(router, service, 'https-gateway'));
    server.keepAliveTimeout = 5000;
    return listenOn(server, `${service} requests (https)`, host, port);
  };
  const graph = await serve('graph', opts.graphPort ?? 0);
  let login: https.Server;
  try {
    login = await serve('login', opts.loginPort ?? 0);
  } catch (e) {
    await closeServer(graph);
    throw e;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = (s: https.Server) => `https://${urlHost}:${(s.address() as AddressInfo).port}`;
  return {
    graphBaseUrl: url(graph),
    loginBaseUrl: url(login),
    close: async () => {
      await Promise.all([closeServer(graph), closeServer(login)]);
    },
  };
}
