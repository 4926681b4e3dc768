// The TLS ways in: the HTTPS gateway (GRAPH_BASE_URL=https://127.0.0.1:G) and the CONNECT proxy
// (hard-coded https://graph.microsoft.com + HTTPS_PROXY), both with certificates from the
// harness's own CA. Bots run as child processes: the reference bot (Node) and a Python bot that
// uses only the standard library. Needs `npm run build` (the reference bot runs from dist/).
import { execFile } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import dns from 'node:dns';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { expect, test } from '@playwright/test';
import forge from 'node-forge';
import { NotificationAuthority, OPENID_CONFIG_PATH } from '../harness/auth/notification-authority.js';
import { BotProcess } from '../harness/bot/bot-process.js';
import { FlowRun, type FlowOutcome } from '../harness/engine/flow-run.js';
import type { CompiledFlow } from '../harness/engine/plan.js';
import type { InboundRequest } from '../harness/engine/ports.js';
import { Router } from '../harness/engine/router.js';
import { TokenIssuer } from '../harness/engine/token-issuer.js';
import { loadFlowFile } from '../harness/flow/load-flow.js';
import { packageRoot, referenceBotMain, shippedRecordingsDir } from '../harness/paths.js';
import { freePort } from '../harness/runner/free-port.js';
import { createCertificateAuthority, type CertificateAuthority } from '../harness/tls/certificate-authority.js';
import { BotHttpClient } from '../harness/transports/bot-http-client.js';
import { proxyEnvironment, startConnectProxy, tlsTrustEnvironment } from '../harness/transports/connect-proxy.js';
import { startHttpsGateway } from '../harness/transports/https-gateway.js';

const BOT_APP_ID = '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27';
const PYTHON_BOT = join(packageRoot, 'tests', 'fixtures', 'python-bot', 'bot.py');
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];

/** A shipped flow, optionally with every step's timeout shortened. (Not tests/fixtures/in-process.ts: that loads the Harness.) */
async function shippedFlow(name: string, stepTimeoutMs?: number): Promise<CompiledFlow> {
  const flow = await loadFlowFile(join(shippedRecordingsDir, `${name}.yaml`));
  if (stepTimeoutMs !== undefined) for (const s of flow.steps) s.timeoutMs = stepTimeoutMs;
  return flow;
}

/** A CA in a fresh folder, a token issuer and a router that remembers how each request arrived. */
interface Parts {
  dir: string;
  ca: CertificateAuthority;
  tokens: TokenIssuer;
  /** signs notifications (the reference bot checks their JWT) and serves its OpenID configuration */
  signer: NotificationAuthority;
  router: Router;
  /** every request the router saw */
  seen: InboundRequest[];
  setLoginBase(url: string): void;
}

async function withParts(fn: (p: Parts) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'callreplay-tls-test-'));
  try {
    const ca = await createCertificateAuthority({ dir: join(dir, 'ca') });
    let loginBase = '';
    const tokens = await TokenIssuer.create(() => loginBase);
    const signer = await NotificationAuthority.create({ appId: BOT_APP_ID });
    const router = new Router(tokens, [signer]);
    const seen: InboundRequest[] = [];
    const handle = router.handle.bind(router);
    router.handle = (req) => {
      seen.push(req);
      return handle(req);
    };
    await fn({ dir, ca, tokens, signer, router, seen, setLoginBase: (u) => (loginBase = u) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `flow` against the bot at `port` as harness.createRun/release do. */
async function runFlow({ router, signer }: Parts, flow: CompiledFlow, port: number, graphBaseUrl: string): Promise<FlowOutcome> {
  const client = new BotHttpClient();
  const run = new FlowRun({ flow, http: client, webhookUrl: `http://127.0.0.1:${port}/api/calls`, graphBaseUrl, botAppId: BOT_APP_ID, signer });
  router.add(run);
  try {
    return await run.run();
  } finally {
    run.dispose();
    router.remove(run);
    client.close();
  }
}

function describe(outcome: FlowOutcome, bot: BotProcess): string {
  return `${outcome.findings.map((f) => `step ${f.step}: [${f.kind}] ${f.message}`).join('\n')}\n--- bot output ---\n${bot.log}`;
}

/** Graph requests (not token requests) in the transcript, with their Authorization header. */
function graphRequests(outcome: FlowOutcome) {
  return outcome.transcript.entries.filter((e) => e.kind === 'request');
}

test('the reference bot passes p2p-to-meeting-transfer-v1 through the HTTPS gateway, trusting the CA from the environment', async () => {
  await withParts(async (parts) => {
    const { ca, tokens, router, seen, setLoginBase } = parts;
    const gw = await startHttpsGateway(router, ca);
    setLoginBase(gw.loginBaseUrl);
    expect(gw.graphBaseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const port = await freePort();
    let bot: BotProcess | undefined;
    try {
      bot = await BotProcess.start({
        command: `node ${JSON.stringify(referenceBotMain)}`,
        env: {
          PORT: String(port),
          GRAPH_BASE_URL: gw.graphBaseUrl,
          LOGIN_BASE_URL: gw.loginBaseUrl,
          BOT_APP_ID,
          LOG_LEVEL: 'info',
          // the reference bot checks the notifications' JWT with keys it fetches here, over the same TLS
          CALLS_OPENID_CONFIG_URL: `${gw.loginBaseUrl}${OPENID_CONFIG_PATH}`,
          ...tlsTrustEnvironment(ca.caCertPath),
        },
        readyUrl: `http://127.0.0.1:${port}/health`,
      });
      const outcome = await runFlow(parts, await shippedFlow('p2p-to-meeting-transfer-v1'), port, gw.graphBaseUrl);
      expect(outcome.status, describe(outcome, bot)).toBe('passed');
      // every Graph request came over TLS to the gateway, with a bearer token the harness issued
      const requests = graphRequests(outcome);
      expect(requests.map((e) => `${e.method} ${e.url?.replace(/[0-9a-f-]{36}|[0-9A-F]{32}/g, '{id}')}`)).toEqual([
        'POST /v1.0/communications/calls/{id}/answer',
        'POST /v1.0/communications/calls',
        'POST /v1.0/communications/calls/{id}/participants/invite',
      ]);
      for (const r of requests) expect(tokens.tokenOf(r.headers?.['authorization']), `${r.url} carries a token the harness issued`).toBeDefined();
      expect(outcome.transcript.entries.some((e) => e.kind === 'token-request')).toBe(true);
      expect(new Set(seen.map((r) => r.via))).toEqual(new Set(['https-gateway']));
      expect(new Set(seen.map((r) => r.service))).toEqual(new Set(['graph', 'login']));
      // the OpenID configuration and keys came over the HTTPS gateway too, and point back at it
      expect(seen.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([OPENID_CONFIG_PATH, '/v1/keys']);
      expect(router.strays).toEqual([]);
    } finally {
      await bot?.stop();
      await gw.close();
    }
  });
});

test('a Python bot with https://graph.microsoft.com hard-coded passes p2p-to-meeting-transfer-v1 through the CONNECT proxy, TLS verified', async () => {
  await withParts(async (parts) => {
    const { ca, tokens, router, seen } = parts;
    const proxy = await startConnectProxy(router, ca);
    const port = await freePort();
    let bot: BotProcess | undefined;
    try {
      bot = await BotProcess.start({
        command: `python3 -u ${JSON.stringify(PYTHON_BOT)}`,
        env: { PORT: String(port), BOT_APP_ID, ...proxyEnvironment(proxy.url, ca.caCertPath) },
        readyUrl: `http://127.0.0.1:${port}/health`,
      });
      const outcome = await runFlow(parts, await shippedFlow('p2p-to-meeting-transfer-v1'), port, 'https://graph.microsoft.com');
      expect(outcome.status, describe(outcome, bot)).toBe('passed');
      const requests = graphRequests(outcome);
      expect(requests).toHaveLength(3);
      for (const r of requests) expect(tokens.tokenOf(r.headers?.['authorization']), `${r.url} carries a token the harness issued`).toBeDefined();
      // it went through the proxy, to the real host names, over TLS the bot verified
      expect(new Set(seen.map((r) => r.via))).toEqual(new Set(['proxy']));
      expect(seen.filter((r) => r.service === 'login').map((r) => [r.headers['host'], r.path])).toEqual([
        ['login.microsoftonline.com', `/${tenantOf(outcome)}/oauth2/v2.0/token`],
      ]);
      expect(new Set(seen.filter((r) => r.service === 'graph').map((r) => r.headers['host']))).toEqual(new Set(['graph.microsoft.com']));
      expect(bot.log).not.toMatch(/error|could not/i);
      expect(router.strays).toEqual([]);
    } finally {
      await bot?.stop();
      await proxy.close();
    }
  });
});

function tenantOf(outcome: FlowOutcome): string {
  return Object.entries(outcome.transcript.idNames).find(([, name]) => name === 'tenant')![0];
}

test('without the CA variables the Python bot cannot verify the proxy\'s certificate: nothing reaches the harness, the flow fails at its first request', async () => {
  await withParts(async (parts) => {
    const { ca, router, seen } = parts;
    const proxy = await startConnectProxy(router, ca);
    const port = await freePort();
    const env: Record<string, string> = { PORT: String(port), BOT_APP_ID, ...proxyEnvironment(proxy.url, ca.caCertPath) };
    for (const name of CA_VARIABLES) {
      delete env[name];
      // the bot inherits the test's environment: never let it point at our CA
      if (process.env[name] === ca.caCertPath) env[name] = '';
    }
    let bot: BotProcess | undefined;
    try {
      bot = await BotProcess.start({ command: `python3 -u ${JSON.stringify(PYTHON_BOT)}`, env, readyUrl: `http://127.0.0.1:${port}/health` });
      const outcome = await runFlow(parts, await shippedFlow('p2p-to-meeting-transfer-v1', 2000), port, 'https://graph.microsoft.com');
      expect(outcome.status).toBe('failed');
      expect(outcome.findings[0], describe(outcome, bot)).toMatchObject({ kind: 'missing', step: 2, stepName: 'answer' });
      expect(outcome.findings[0]!.message).toMatch(/the bot never sent POST \/v1\.0\/communications\/calls\/.+\/answer/);
      expect(seen, 'no request got through the TLS handshake').toEqual([]);
      expect(bot.log).toContain('CERTIFICATE_VERIFY_FAILED');
    } finally {
      await bot?.stop();
      await proxy.close();
    }
  });
});

test('the proxy refuses every other destination without connecting anywhere, and a running flow fails naming it', async () => {
  await withParts(async ({ ca, router, seen }) => {
    const proxy = await startConnectProxy(router, ca);
    const client = new BotHttpClient();
    const run = new FlowRun({ flow: await shippedFlow('p2p-to-meeting-transfer-v1'), http: client, webhookUrl: 'http://127.0.0.1:9/api/calls', graphBaseUrl: 'https://graph.microsoft.com', botAppId: BOT_APP_ID });
    router.add(run);
    // watch this process's outbound connections and name lookups while the proxy refuses
    const attempts: string[] = [];
    const netMod = net as unknown as Record<'connect' | 'createConnection', (...a: unknown[]) => unknown>;
    const dnsMod = dns as unknown as Record<'lookup', (...a: unknown[]) => unknown>;
    const originals = { connect: netMod.connect, createConnection: netMod.createConnection, lookup: dnsMod.lookup };
    const describeArgs = (a: unknown[]) => JSON.stringify(a.filter((x) => typeof x !== 'function'));
    netMod.connect = (...a) => (attempts.push(`connect ${describeArgs(a)}`), originals.connect.apply(net, a));
    netMod.createConnection = (...a) => (attempts.push(`connect ${describeArgs(a)}`), originals.createConnection.apply(net, a));
    dnsMod.lookup = (...a) => (attempts.push(`lookup ${describeArgs(a)}`), originals.lookup.apply(dns, a));
    const { port } = new URL(proxy.url);
    try {
      // a real client: Python's urllib with HTTPS_PROXY
      const py = await new Promise<{ code: number | null; output: string }>((resolve) => {
        execFile(
          'python3',
          ['-c', "import urllib.request\ntry:\n  urllib.request.urlopen('https://example.com/', timeout=10)\nexcept Exception as e:\n  print('ERROR', e)\n  raise SystemExit(3)"],
          { env: { ...process.env, ...proxyEnvironment(proxy.url, ca.caCertPath) }, timeout: 15_000 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: stdout + stderr }),
        );
      });
      expect(py.output).toMatch(/Tunnel connection failed: 403/);
      expect(py.code).toBe(3);
      // the refusal itself, byte for byte
      const connectAnswer = await rawExchange(Number(port), 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
      expect(connectAnswer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(connectAnswer).toMatch(/\r\n\r\ncallreplay refused example\.com:443: during a run a bot may only reach Graph, the login endpoint and loopback$/);
      // plain http through the proxy (absolute URI) to a non-loopback host
      const getAnswer = await rawExchange(Number(port), 'GET http://example.com/index.html HTTP/1.1\r\nHost: example.com\r\n\r\n');
      expect(getAnswer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(getAnswer).toContain('callreplay refused example.com:80: during a run');
      // control: the watch does see the proxy's own connections (a tunnel to a dead loopback port)
      const deadPort = await freePort();
      expect(await rawExchange(Number(port), `CONNECT 127.0.0.1:${deadPort} HTTP/1.1\r\nHost: 127.0.0.1:${deadPort}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n[^]*ECONNREFUSED$/);
      expect(attempts.some((a) => a.startsWith('connect') && a.includes(`"port":${deadPort}`))).toBe(true);
    } finally {
      netMod.connect = originals.connect;
      netMod.createConnection = originals.createConnection;
      dnsMod.lookup = originals.lookup;
      run.dispose();
      router.remove(run);
      client.close();
      await proxy.close();
    }
    expect(attempts.filter((a) => /example\.com/.test(a)), 'the proxy never resolved or connected to the refused host').toEqual([]);
    expect(seen).toEqual([]);
    expect(router.strays.map((s) => [s.request.path, s.request.via, s.reason])).toEqual([
      ['example.com:443', 'proxy', 'refused destination'],
      ['example.com:443', 'proxy', 'refused destination'],
      ['example.com:80', 'proxy', 'refused destination'],
    ]);
    expect(run.findings[0]).toMatchObject({ kind: 'forbidden-destination', step: 1, message: expect.stringMatching(/the bot tried to reach example\.com:443 \(proxy\)/) });
  });
});

test('the proxy tunnels and forwards loopback traffic, terminates TLS for Graph, and close() ends open connections', async () => {
  await withParts(async ({ ca, router }) => {
    const target = http.createServer((req, res) => res.end(`target saw ${req.method} ${req.url}`));
    target.keepAliveTimeout = 0; // an idle connection stays open: only the proxy's close() ends the tunnel
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as net.AddressInfo).port;
    const proxy = await startConnectProxy(router, ca);
    const proxyPort = Number(new URL(proxy.url).port);
    let tunnelSocket: net.Socket | undefined;
    let graphSocket: net.Socket | undefined;
    try {
      // absolute-URI plain http to loopback: forwarded
      const forwarded = await rawExchange(proxyPort, `GET http://127.0.0.1:${targetPort}/hello?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\nConnection: close\r\n\r\n`);
      expect(forwarded).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(forwarded).toContain('target saw GET /hello?x=1');
      // CONNECT to loopback: a TCP tunnel
      tunnelSocket = await connectThrough(proxyPort, `127.0.0.1:${targetPort}`);
      const viaTunnel = await new Promise<string>((resolve) => {
        let text = '';
        const onData = (c: Buffer) => {
          text += c.toString('utf8');
          if (text.includes('target saw')) {
            tunnelSocket!.off('data', onData);
            resolve(text);
          }
        };
        tunnelSocket!.on('data', onData);
        tunnelSocket!.write(`GET /through-tunnel HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n\r\n`);
      });
      expect(viaTunnel).toContain('target saw GET /through-tunnel');
      // CONNECT to Graph: TLS ends at the proxy; the keep-alive connection stays open afterwards
      graphSocket = await connectThrough(proxyPort, 'graph.microsoft.com:443');
      const tlsSocket = tls.connect({ socket: graphSocket, servername: 'graph.microsoft.com', ca: ca.caCertPem });
      await new Promise<void>((resolve, reject) => tlsSocket.once('secureConnect', resolve).once('error', reject));
      expect(tlsSocket.authorized).toBe(true);
      const graphAnswer = await new Promise<string>((resolve) => {
        let text = '';
        tlsSocket.on('data', (c: Buffer) => {
          text += c.toString('utf8');
          if (/Call not found/.test(text)) resolve(text);
        });
        tlsSocket.write('GET /v1.0/communications/calls/abc HTTP/1.1\r\nHost: graph.microsoft.com\r\n\r\n');
      });
      expect(graphAnswer).toMatch(/^HTTP\/1\.1 404 /);
      expect(router.strays.map((s) => [s.request.via, s.request.service, s.request.path, s.reason])).toEqual([['proxy', 'graph', '/v1.0/communications/calls/abc', 'no flow is running']]);
      // the tunnel and the TLS connection are still open: close() must end them itself, not leave
      // them to a timeout. The target never times out an idle connection, and the TLS connection
      // has half a request in flight (no keep-alive timeout applies to it); once close() was called,
      // the tunnel is asked again and the request completed: an open connection would answer (the
      // target; Graph's 404), an ended one only closes.
      const fate = (s: net.Socket | tls.TLSSocket) =>
        new Promise<string>((resolve) => {
          s.once('data', (c: Buffer) => resolve(`answered: ${c.toString('utf8').split('\r\n')[0]}`));
          s.once('close', () => resolve('closed'));
          s.on('error', () => undefined); // writing to a connection the proxy ended
        });
      const fates = [fate(tunnelSocket), fate(tlsSocket)];
      tlsSocket.write('GET /v1.0/communications/calls/after-close HTTP/1.1\r\nHost: graph.microsoft.com\r\n');
      const closing = proxy.close(); // it ends its connections before it returns to the event loop
      tunnelSocket.write(`GET /after-close HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n\r\n`);
      tlsSocket.write('\r\n');
      expect(await Promise.all(fates)).toEqual(['closed', 'closed']);
      await closing;
      expect(router.strays).toHaveLength(1); // the Graph request after close() never reached the router
    } finally {
      await proxy.close(); // safe to call twice
      target.closeAllConnections();
      await new Promise<void>((r) => target.close(() => r()));
    }
  });
});

test('the CA is kept in its folder and reused; its leaf certificates verify with node:tls', async () => {
  await withParts(async ({ dir, ca, router }) => {
    // reused: same PEM, files in place, key private
    const again = await createCertificateAuthority({ dir: join(dir, 'ca') });
    expect(again.caCertPem).toBe(ca.caCertPem);
    expect(again.caCertPath).toBe(join(dir, 'ca', 'ca.pem'));
    expect(await readFile(ca.caCertPath, 'utf8')).toBe(ca.caCertPem);
    expect((await stat(join(dir, 'ca', 'ca-key.pem'))).mode & 0o777).toBe(0o600);
    const x509 = new X509Certificate(ca.caCertPem);
    expect(x509.ca).toBe(true);
    expect(x509.subject).toContain('CN=callreplay test CA');
    const lifetimeDays = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(360);
    expect(lifetimeDays).toBeLessThan(367);
    // leaves are memoised per host list, and name their hosts
    const hosts = ['localhost', '127.0.0.1', '::1', 'graph.microsoft.com'];
    expect(ca.leaf(hosts)).toBe(ca.leaf(hosts));
    const leaf = new X509Certificate(ca.leaf(hosts).cert);
    expect(leaf.checkIssued(x509)).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:graph.microsoft.com');

    // a leaf served by the HTTPS gateway verifies against the CA, for a real host name and for the IP
    const gw = await startHttpsGateway(router, ca);
    try {
      const port = Number(new URL(gw.graphBaseUrl).port);
      const byName = await tlsCheck(port, ca.caCertPem, 'graph.microsoft.com');
      expect(byName).toMatchObject({ authorized: true, error: undefined });
      expect(byName.altNames).toContain('DNS:login.microsoftonline.com');
      expect(await tlsCheck(port, ca.caCertPem, undefined)).toMatchObject({ authorized: true, error: undefined });
      // and does not verify against another CA
      const other = await createCertificateAuthority({ dir: join(dir, 'other-ca') });
      expect(other.caCertPem).not.toBe(ca.caCertPem);
      expect(await tlsCheck(port, other.caCertPem, 'graph.microsoft.com')).toMatchObject({ authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      await gw.close();
    }

    // processes racing to create the CA in one folder all end up with the one on disk
    const raced = await Promise.all([1, 2, 3].map(() => createCertificateAuthority({ dir: join(dir, 'raced') })));
    expect(new Set(raced.map((c) => c.caCertPem)).size).toBe(1);
    expect(await readFile(join(dir, 'raced', 'ca.pem'), 'utf8')).toBe(raced[0]!.caCertPem);

    // unreadable or about-to-expire CAs are replaced
    await writeFile(join(dir, 'ca', 'ca.pem'), 'not a certificate');
    const replaced = await createCertificateAuthority({ dir: join(dir, 'ca') });
    expect(replaced.caCertPem).not.toBe(ca.caCertPem);
    expect(new X509Certificate(replaced.caCertPem).ca).toBe(true);
    const expiring = selfSignedCa(3);
    await writeFile(join(dir, 'ca', 'ca.pem'), expiring.cert);
    await writeFile(join(dir, 'ca', 'ca-key.pem'), expiring.key, { mode: 0o600 });
    expect((await createCertificateAuthority({ dir: join(dir, 'ca') })).caCertPem).not.toBe(expiring.cert);
    const fresh = selfSignedCa(30);
    await writeFile(join(dir, 'ca', 'ca.pem'), fresh.cert);
    await writeFile(join(dir, 'ca', 'ca-key.pem'), fresh.key, { mode: 0o600 });
    expect((await createCertificateAuthority({ dir: join(dir, 'ca') })).caCertPem).toBe(fresh.cert);
  });
});

/** A socket tunnelled through the proxy by `CONNECT authority` (200 expected). */
function connectThrough(proxyPort: number, authority: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority });
    req.on('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT ${authority} answered ${res.statusCode}`))));
    req.on('error', reject);
    req.end();
  });
}

/** Writes `request` to the proxy and returns everything it answers until it closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no end of answer; so far: ${text}`)));
  });
}

function tlsCheck(port: number, ca: string, servername: string | undefined): Promise<{ authorized: boolean; error: string | undefined; altNames: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername, rejectUnauthorized: false }, () => {
      const error = socket.authorizationError ? String((socket.authorizationError as { code?: string }).code ?? socket.authorizationError) : undefined;
      // authorized covers the chain; the name is checked separately, as https clients do
      const nameError = socket.authorized ? tls.checkServerIdentity(servername ?? '127.0.0.1', socket.getPeerCertificate()) : undefined;
      resolve({ authorized: socket.authorized && !nameError, error: error ?? nameError?.message, altNames: socket.getPeerCertificate().subjectaltname ?? '' });
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** A CA named like ours, valid for `days` more days (to test the reuse rule). */
function selfSignedCa(days: number): { cert: string; key: string } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(pair.privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
  const name = [{ name: 'commonName', value: 'callreplay test CA' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }]);
  cert.sign(key, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: pair.privateKey };
}
