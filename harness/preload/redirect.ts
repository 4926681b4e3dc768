/**
 * The Node preload: a way in for Node bots that hard-code https://graph.microsoft.com and
 * https://login.microsoftonline.com. Loaded into the bot's process with
 * `NODE_OPTIONS="--import=file:///.../dist/harness/preload/redirect.js"` and configured by the
 * CALLREPLAY_PRELOAD environment variable (JSON, see PreloadConfig in ./config.ts). It
 *
 * - sends requests for the configured hosts (Graph, login, ...) to the harness's plain-HTTP gateway,
 *   same method, path, query, headers and body, with the real host in the Host header:
 *   `globalThis.fetch` (answered with a real Response whose `url` is the URL the bot asked for),
 *   `http.request`/`http.get`/`https.request`/`https.get` (every call signature; TLS options and
 *   agents are dropped: the gateway speaks plain HTTP on loopback);
 * - lets loopback through untouched;
 * - refuses every other destination (fetch rejects with a TypeError, http(s) requests emit an
 *   `error` with code ECALLREPLAYREFUSED, raw sockets are destroyed with that error) and reports it
 *   to the harness, which fails the running flows with a `forbidden-destination` finding;
 * - as a last net, guards `net.connect`/`net.createConnection`/`tls.connect` and
 *   `http.Agent.prototype.createConnection` (what `new http.ClientRequest(...)`, Node's own fetch
 *   internals (undici), the `undici` package, http2 and WebSocket clients end up in).
 *
 * It runs inside someone else's process: it imports only node built-ins, does nothing at all
 * without CALLREPLAY_PRELOAD, never throws at load time for a well-formed configuration, and exits
 * with code 2 and one line on stderr for a malformed one. Package-manager processes (npm, npx,
 * yarn, pnpm, corepack: the `npm start` that starts the bot) are left alone; the bot they start is
 * patched.
 */
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import { urlToHttpOptions } from 'node:url';
// types only: this module must not load anything but node built-ins at run time
import type { PRELOAD_ENV, PreloadConfig } from './config.js';

const ENV: typeof PRELOAD_ENV = 'CALLREPLAY_PRELOAD';
const INSTALLED = Symbol.for('callreplay.preload.installed');
const REFUSED_CODE = 'ECALLREPLAYREFUSED';

type AnyFunction = (...args: unknown[]) => unknown;
type Options = Record<string, unknown>;

interface Target {
  hostname: string;
  port: number;
  /** the target's path prefix without a trailing slash ('' for none) */
  basePath: string;
}

// ------------------------------------------------------------------------------------- entry

const raw = process.env[ENV];
if (raw !== undefined && raw.trim() !== '' && !(globalThis as Record<symbol, unknown>)[INSTALLED] && !isPackageManager()) {
  const config = parseConfig(raw);
  (globalThis as Record<symbol, unknown>)[INSTALLED] = true;
  install(config.targets, config.refusedUrl);
}

// --------------------------------------------------------------------------------- configuration

function parseConfig(text: string): { targets: Map<string, Target>; refusedUrl?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return malformed(`is not JSON (${(e as Error).message})`);
  }
  if (!isObject(value)) return malformed('must be a JSON object {"targets": {...}, "refusedUrl": "..."}');
  const config = value as Partial<PreloadConfig>;
  if (!isObject(config.targets)) return malformed('needs "targets": {"graph.microsoft.com": "http://127.0.0.1:<port>", ...}');
  const targets = new Map<string, Target>();
  for (const [host, base] of Object.entries(config.targets)) {
    const url = typeof base === 'string' ? parseUrl(base) : undefined;
    if (!host.trim() || !url || url.protocol !== 'http:' || !isLoopback(url.hostname) || url.search || url.hash) {
      return malformed(`targets["${host}"] must be a plain-HTTP loopback base URL such as http://127.0.0.1:5870 (got ${JSON.stringify(base)})`);
    }
    targets.set(normalizeHost(host), { hostname: stripBrackets(url.hostname), port: Number(url.port || 80), basePath: url.pathname.replace(/\/+$/, '') });
  }
  if (config.refusedUrl !== undefined) {
    const url = typeof config.refusedUrl === 'string' ? parseUrl(config.refusedUrl) : undefined;
    if (!url || url.protocol !== 'http:' || !isLoopback(url.hostname)) {
      return malformed(`"refusedUrl" must be a plain-HTTP loopback URL (got ${JSON.stringify(config.refusedUrl)})`);
    }
  }
  return { targets, refusedUrl: config.refusedUrl };
}

function malformed(why: string): never {
  process.stderr.write(`callreplay preload: ${ENV} ${why}\n`);
  process.exit(2);
}

/** npm & co. run with the bot's NODE_OPTIONS too; their own traffic (update checks) is not the bot's. */
function isPackageManager(): boolean {
  const main = process.argv[1] ?? '';
  return (
    /[\\/](npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack)(-cli)?(\.[cm]?js)?$/i.test(main) ||
    /[\\/]yarn-[\d.]+[^\\/]*\.c?js$/i.test(main) ||
    /[\\/]node_modules[\\/](npm|yarn|pnpm|corepack)[\\/]/i.test(main)
  );
}

// ---------------------------------------------------------------------------------- the patch

function install(targets: Map<string, Target>, refusedUrl: string | undefined): void {
  // the originals, captured before anything is patched (reporting and redirection use them)
  const originalHttpRequest = http.request;
  const originalFetch = globalThis.fetch;
  const originalNetConnect = net.connect as unknown as AnyFunction;
  const originalNetCreateConnection = net.createConnection as unknown as AnyFunction;
  const originalTlsConnect = tls.connect as unknown as AnyFunction;

  /** Fire and forget; never throws, never keeps the process alive, never recurses. */
  function report(destination: string, via = 'preload'): void {
    if (!refusedUrl) return;
    try {
      const body = JSON.stringify({ destination, via });
      const req = originalHttpRequest(refusedUrl, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('error', () => undefined);
      req.on('socket', (socket) => socket.unref());
      req.on('response', (res) => res.resume());
      req.setTimeout(5000, () => req.destroy());
      req.end(body);
    } catch {
      // reporting must never break the bot
    }
  }

  // ------------------------------------------------------------------------------- fetch

  async function fetch(input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> {
    const url = parseUrl(typeof input === 'string' ? input : input instanceof URL ? input.href : (input as { url?: unknown }).url);
    // anything we cannot read (relative URL, data:, blob:...) is fetch's own business and errors
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return originalFetch(input, init);
    const host = normalizeHost(url.hostname);
    if (isLoopback(host)) return originalFetch(input, init);
    const target = targets.get(host);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (!target) {
      const destination = hostPort(host, port);
      report(destination);
      throw new TypeError(refusalMessage(destination), { cause: refusalError(host, port) });
    }
    return fetchThrough(target, url, new Request(input, init), 0);
  }

  /**
   * One fetch to the gateway over http.request (fetch cannot set the Host header the gateway needs),
   * answered with a real Response. Redirects are followed here (through `fetch` above, so that a
   * Location elsewhere is redirected or refused as well), as the request's `redirect` mode says.
   */
  async function fetchThrough(target: Target, url: URL, request: Request, redirects: number): Promise<Response> {
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    const method = request.method.toUpperCase();
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => {
      headers[k] = v;
    });
    headers['host'] = hostHeader(normalizeHost(url.hostname), Number(url.port || (url.protocol === 'https:' ? 443 : 80)), url.protocol);
    headers['accept'] ??= '*/*';
    headers['user-agent'] ??= 'node';
    if (body) headers['content-length'] = String(body.length);
    else if (method === 'POST' || method === 'PUT' || method === 'PATCH') headers['content-length'] = '0';
    else delete headers['content-length'];

    const response = await new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        f();
      };
      const req = originalHttpRequest(
        { hostname: target.hostname, port: target.port, path: target.basePath + url.pathname + url.search, method, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => settle(() => reject(new TypeError('fetch failed', { cause: e }))));
          res.on('end', () =>
            settle(() => {
              const status = res.statusCode ?? 0;
              const responseHeaders = new Headers();
              for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
              const noBody = method === 'HEAD' || status === 101 || status === 204 || status === 205 || status === 304;
              try {
                const out = new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders });
                // as fetch does: the response names the URL that was asked for, not the gateway's
                Object.defineProperty(out, 'url', { value: url.href.replace(/#.*$/, ''), enumerable: false, configurable: true });
                resolve(out);
              } catch (e) {
                reject(new TypeError('fetch failed', { cause: e }));
              }
            }),
          );
        },
      );
      const onAbort = () => {
        req.destroy();
        settle(() => reject(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => settle(() => reject(new TypeError('fetch failed', { cause: e }))));
      req.end(body);
    });

    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || location === null || request.redirect === 'manual') return response;
    if (request.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error(`unexpected redirect to ${location}`) });
    if (redirects >= 20) throw new TypeError('fetch failed', { cause: new Error('redirect count exceeded') });
    const next = new URL(location, url);
    const toGet = (response.status === 303 && method !== 'GET' && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST');
    const nextHeaders = new Headers(request.headers);
    nextHeaders.delete('host');
    if (toGet) for (const h of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) nextHeaders.delete(h);
    if (next.origin !== url.origin) for (const h of ['authorization', 'cookie', 'proxy-authorization']) nextHeaders.delete(h);
    const nextInit: RequestInit = { method: toGet ? 'GET' : method, headers: nextHeaders, redirect: request.redirect, signal };
    if (!toGet && body) nextInit.body = body;
    const nextHost = normalizeHost(next.hostname);
    const nextTarget = targets.get(nextHost);
    const followed =
      nextTarget && (next.protocol === 'http:' || next.protocol === 'https:')
        ? await fetchThrough(nextTarget, next, new Request(next, nextInit), redirects + 1)
        : await fetch(next, nextInit);
    Object.defineProperty(followed, 'redirected', { value: true, enumerable: false, configurable: true });
    return followed;
  }

  const fetchDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  Object.defineProperty(globalThis, 'fetch', {
    value: fetch,
    writable: fetchDescriptor?.writable ?? true,
    enumerable: fetchDescriptor?.enumerable ?? true,
    configurable: true,
  });

  // ------------------------------------------------------------------- http(s).request / get

  /** Routes one http.request/https.request call: loopback as is, targets to the gateway, others refused. */
  function route(scheme: 'http:' | 'https:', original: AnyFunction, self: unknown, args: unknown[]): http.ClientRequest {
    const call = requestArguments(args);
    if (!call || call.options['socketPath']) return original.apply(self, args) as http.ClientRequest;
    const { options, callback } = call;
    const host = normalizeHost(String(options['hostname'] || options['host'] || 'localhost'));
    if (isLoopback(host)) return original.apply(self, args) as http.ClientRequest;
    const protocol = typeof options['protocol'] === 'string' ? options['protocol'] : scheme;
    const agent = options['agent'] as { defaultPort?: unknown } | undefined | false;
    const port = Number(options['port'] || options['defaultPort'] || (agent && agent.defaultPort) || (protocol === 'https:' ? 443 : 80));
    const target = targets.get(host);
    if (target) {
      const redirected: http.RequestOptions = {
        hostname: target.hostname,
        port: target.port,
        path: target.basePath + (typeof options['path'] === 'string' && options['path'] ? options['path'] : '/'),
        headers: withHost(options['headers'], hostHeader(host, port, protocol)) as http.OutgoingHttpHeaders,
      };
      // what a plain-HTTP request to loopback can use; the agent (https, keep-alive, proxy), TLS
      // settings, lookup and createConnection are dropped
      for (const key of ['method', 'auth', 'timeout', 'signal', 'maxHeaderSize', 'insecureHTTPParser', 'joinDuplicateHeaders', 'uniqueHeaders', 'highWaterMark']) {
        if (options[key] !== undefined) (redirected as Options)[key] = options[key];
      }
      return callback ? originalHttpRequest(redirected, callback) : originalHttpRequest(redirected);
    }
    const destination = hostPort(host, port);
    report(destination);
    return refusedRequest(options, host, port, callback);
  }

  /** A ClientRequest that never connects: it emits `error` (ECALLREPLAYREFUSED), then `close`. */
  function refusedRequest(options: Options, host: string, port: number, callback: AnyFunction | undefined): http.ClientRequest {
    const err = refusalError(host, port);
    let req: http.ClientRequest | undefined = undefined;
    const createConnection = (_opts: unknown, done: (e: Error | null) => void): undefined => {
      setImmediate(() => {
        done(err);
        setImmediate(() => {
          if (req && !req.destroyed) req.destroy();
          req?.emit('close');
        });
      });
      return undefined;
    };
    const args = {
      method: options['method'],
      path: options['path'],
      headers: options['headers'],
      host,
      port,
      createConnection,
    } as unknown as http.ClientRequestArgs;
    req = new http.ClientRequest(args, callback as ((res: http.IncomingMessage) => void) | undefined);
    return req;
  }

  for (const [mod, scheme] of [
    [http, 'http:'],
    [https, 'https:'],
  ] as const) {
    const exports = mod as unknown as Record<string, AnyFunction>;
    const original = exports['request']!;
    const request = function request(this: unknown, ...args: unknown[]): http.ClientRequest {
      return route(scheme, original, this, args);
    };
    const get = function get(this: unknown, ...args: unknown[]): http.ClientRequest {
      const req = request.apply(this, args);
      req.end();
      return req;
    };
    exports['request'] = request;
    exports['get'] = get;
  }

  // ----------------------------------------------------------------- raw sockets (last net)

  /**
   * net.connect / net.createConnection / tls.connect / Agent#createConnection. A plain TCP
   * connection to a target host goes to the gateway (it speaks HTTP with the real Host header); a
   * TLS connection to one cannot be redirected to a plain-HTTP gateway and is refused, saying so.
   */
  function guard(kind: 'net' | 'tls', original: AnyFunction, self: unknown, args: unknown[]): net.Socket {
    const dest = socketDestination(kind, args);
    if (!dest || isLoopback(dest.host)) return original.apply(self, args) as net.Socket;
    const target = targets.get(dest.host);
    if (target && kind === 'net') return original.apply(self, retarget(args, target)) as net.Socket;
    const destination = hostPort(dest.host, dest.port);
    const why = target ? 'preload: a raw TLS connection, which the preload cannot redirect (use fetch or http(s).request)' : 'preload';
    report(destination, why);
    if (target) process.stderr.write(`callreplay preload: refused a raw TLS connection to ${destination}: only fetch and http(s).request can be redirected to the harness\n`);
    const socket = new net.Socket();
    // writes wait for a connection that never comes, as they would while connecting
    (socket as unknown as { connecting: boolean }).connecting = true;
    setImmediate(() => socket.destroy(refusalError(dest.host, dest.port)));
    return socket;
  }

  const netExports = net as unknown as Record<string, AnyFunction>;
  netExports['connect'] = function connect(this: unknown, ...args: unknown[]) {
    return guard('net', originalNetConnect, this, args);
  };
  netExports['createConnection'] = function createConnection(this: unknown, ...args: unknown[]) {
    return guard('net', originalNetCreateConnection, this, args);
  };
  (tls as unknown as Record<string, AnyFunction>)['connect'] = function connect(this: unknown, ...args: unknown[]) {
    return guard('tls', originalTlsConnect, this, args);
  };
  // http.Agent captured net.createConnection when Node started: guard its prototype too (https.Agent
  // goes through tls.connect, guarded above)
  const agentPrototype = http.Agent.prototype as unknown as Record<string, AnyFunction>;
  if (agentPrototype['createConnection'] === originalNetCreateConnection) {
    agentPrototype['createConnection'] = function createConnection(this: unknown, ...args: unknown[]) {
      return guard('net', originalNetCreateConnection, this, args);
    };
  }

  // `import { request } from 'node:https'` and friends see the patched functions too
  syncBuiltinESMExports();
}

// ---------------------------------------------------------------------------------- helpers

/** Node's own argument handling for request(url[, options][, cb]) and request(options[, cb]). */
function requestArguments(args: unknown[]): { options: Options; callback?: AnyFunction } | undefined {
  const [input, second, third] = args;
  let options: Options;
  let callback: unknown;
  if (typeof input === 'string' || input instanceof URL) {
    const url = parseUrl(input instanceof URL ? input.href : input);
    if (!url) return undefined; // let Node throw its own ERR_INVALID_URL
    const fromUrl = { ...urlToHttpOptions(url) } as Options;
    if (typeof second === 'function') {
      options = fromUrl;
      callback = second;
    } else {
      options = Object.assign(fromUrl, isObject(second) ? second : {});
      callback = third;
    }
  } else if (isObject(input)) {
    options = input as Options;
    callback = second;
  } else {
    return undefined;
  }
  return { options, callback: typeof callback === 'function' ? (callback as AnyFunction) : undefined };
}

/** The host and port a net/tls connect call names; undefined for IPC, an existing socket or what Node will reject. */
function socketDestination(kind: 'net' | 'tls', args: unknown[]): { host: string; port: number } | undefined {
  const [first, second] = args;
  if (args.some((a) => isObject(a) && (a as Options)['socket'])) return undefined; // TLS over a socket already connected (and checked)
  let host: unknown;
  let port: unknown;
  if (isObject(first)) {
    const o = first as Options;
    if (o['path'] !== undefined && o['path'] !== null) return undefined; // IPC
    host = o['host'];
    port = o['port'];
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    port = first;
    host = typeof second === 'string' ? second : isObject(second) ? (second as Options)['host'] : undefined;
  } else {
    return undefined; // a pipe path, or arguments Node will reject itself
  }
  return { host: normalizeHost(typeof host === 'string' && host ? host : 'localhost'), port: Number(port ?? (kind === 'tls' ? 443 : 0)) };
}

/** The same connect arguments, pointed at the target. */
function retarget(args: unknown[], target: Target): unknown[] {
  const [first, second] = args;
  if (isObject(first)) {
    const moved: Options = { ...(first as Options), host: target.hostname, port: target.port };
    delete moved['lookup'];
    delete moved['family'];
    return [moved, ...args.slice(1)];
  }
  return [target.port, target.hostname, ...args.slice(typeof second === 'string' ? 2 : 1)];
}

/** Headers (object or flat raw array) with Host replaced. */
function withHost(headers: unknown, host: string): unknown {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      return [...(headers as unknown[][]).filter((pair) => String(pair[0]).toLowerCase() !== 'host'), ['host', host]];
    }
    const flat: unknown[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() !== 'host') flat.push(headers[i], headers[i + 1]);
    return [...flat, 'host', host];
  }
  const out: Options = {};
  if (isObject(headers)) for (const [k, v] of Object.entries(headers as Options)) if (k.toLowerCase() !== 'host') out[k] = v;
  out['host'] = host;
  return out;
}

function hostHeader(host: string, port: number, protocol: string): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return port === (protocol === 'https:' ? 443 : 80) ? name : `${name}:${port}`;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function refusalMessage(destination: string): string {
  return `callreplay refused a connection to ${destination}: during a run a bot may only reach Graph, the login endpoint and loopback`;
}

function refusalError(host: string, port: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException & { address?: string; port?: number } = new Error(refusalMessage(hostPort(host, port)));
  err.code = REFUSED_CODE;
  err.syscall = 'connect';
  err.address = host;
  err.port = port;
  return err;
}

function normalizeHost(host: string): string {
  return stripBrackets(host.trim().toLowerCase()).replace(/\.$/, '');
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Hosts that never leave the machine. */
function isLoopback(host: string): boolean {
  const h = normalizeHost(host);
  return (
    h === 'localhost' ||
    /^127(?:\.\d{1,3}){3}$/.test(h) ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1' ||
    /^::ffff:127(?:\.\d{1,3}){3}$/.test(h) ||
    h === '0.0.0.0' ||
    h === '::'
  );
}

function parseUrl(text: unknown): URL | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
