/**
 * Serves a SessionApi to the Playwright workers over loopback HTTP, and the workers' client for
 * it. One POST per call: `/<method>` with the JSON array of arguments; the answer is
 * `{ result }` or `{ error }`. A secret in the address keeps other local processes out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { SessionApi } from './session-api.js';

/** The environment variable that hands the session's address to the workers. */
export const SESSION_ENV = 'CALLREPLAY_SESSION';

const METHODS = ['startRun', 'runStep', 'finish', 'release', 'runAlone', 'probeAuth', 'probeRefusal', 'settleBase', 'baseVerdict'] as const satisfies ReadonlyArray<keyof SessionApi>;
type Method = (typeof METHODS)[number];

export interface SessionServer {
  /** e.g. http://127.0.0.1:41234/6f1c…: what SESSION_ENV carries */
  address: string;
  close(): Promise<void>;
}

export async function serveSession(session: SessionApi): Promise<SessionServer> {
  const secret = randomBytes(16).toString('hex');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [, given, method] = (req.url ?? '').split('/');
      const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (given !== secret || req.method !== 'POST') return answer(403, { error: 'not this session' });
      if (!(METHODS as readonly string[]).includes(method ?? '')) return answer(404, { error: `no session method ${method}` });
      let args: unknown[];
      try {
        args = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
      } catch {
        return answer(400, { error: 'the arguments are not JSON' });
      }
      const call = session[method as Method] as (...a: unknown[]) => Promise<unknown>;
      call.apply(session, args).then(
        (result) => answer(200, { result }),
        (e: unknown) => answer(500, { error: e instanceof Error ? e.message : String(e) }),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}/${secret}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A worker's handle on the session at `address`. */
export function sessionClient(address: string): SessionApi {
  const agent = new http.Agent({ keepAlive: true });
  const call =
    (method: Method) =>
    (...args: unknown[]): Promise<never> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify(args);
        const req = http.request(`${address}/${method}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: never; error?: string };
              if (answer.error !== undefined) reject(new Error(`callreplay session: ${answer.error}`));
              else resolve(answer.result as never);
            } catch (e) {
              reject(new Error(`callreplay session: unreadable answer to ${method} (${(e as Error).message})`));
            }
          });
          res.on('error', reject);
        });
        req.on('error', (e) => reject(new Error(`callreplay session at ${new URL(address).host} cannot be reached (${e.message}): did the run end?`)));
        req.end(body);
      });
  return Object.fromEntries(METHODS.map((m) => [m, call(m)])) as unknown as SessionApi;
}
