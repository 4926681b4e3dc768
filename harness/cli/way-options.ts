/**
 * The options `run`, `env` and `record` share: the ways in, their ports, the CA, the app id and the
 * tenant, with their checks. Light: loaded while parsing, before any command runs.
 */
import type { HarnessPorts } from '../runner/harness.js';
import { INTERCEPT_WAYS, PER_RUN_TENANT, DEFAULT_TENANT_ID, type InterceptWay } from '../runner/harness-defaults.js';
import { isGuidLike } from '../engine/ids.js';

export const wayOptions = {
  intercept: { type: 'string', describe: `ways in, comma-separated: ${INTERCEPT_WAYS.join(',')} (default: all for a bot callreplay starts, gateway for --bot-url)` },
  'graph-port': { type: 'number', describe: 'Graph gateway port (default: free; 5870 for a hand-started bot)' },
  'login-port': { type: 'number', describe: 'login gateway port (default: free; 5871)' },
  'https-graph-port': { type: 'number', describe: 'HTTPS Graph gateway port (default: free; 5872)' },
  'https-login-port': { type: 'number', describe: 'HTTPS login gateway port (default: free; 5873)' },
  'proxy-port': { type: 'number', describe: 'HTTPS proxy port (default: free; 5874)' },
  'ca-dir': { type: 'string', describe: 'folder of the CA for the HTTPS ways in (kept between runs)' },
  'app-id': { type: 'string', describe: "the bot's app id (BOT_APP_ID): notifications address it and their tokens' audience is it" },
  tenant: { type: 'string', describe: `the tenant of every call (TENANT_ID), a GUID, the same for every flow of the run (default ${DEFAULT_TENANT_ID}); or per-run: each flow its own (bots that take the tenant from each call)` },
} as const;

export type WayArgs = { intercept?: string; tenant?: string; 'graph-port'?: number; 'login-port'?: number; 'https-graph-port'?: number; 'https-login-port'?: number; 'proxy-port'?: number };

export function checkWayOptions(a: WayArgs): true {
  for (const k of ['graph-port', 'login-port', 'https-graph-port', 'https-login-port', 'proxy-port'] as const) checkPort(k, a[k]);
  parseIntercept(a.intercept);
  if (a.tenant !== undefined && a.tenant !== PER_RUN_TENANT && !isGuidLike(a.tenant)) throw new Error(`--tenant must be a tenant id (a GUID) or ${PER_RUN_TENANT}, got "${a.tenant}"`);
  return true;
}

/** A port flag's value: a whole number 0-65535 (or not given); throws naming the flag. */
export function checkPort(flag: string, v: number | undefined): true {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) throw new Error(`--${flag} must be a port number (0-65535), got ${String(v)}`);
  return true;
}

export function parseIntercept(text: string | undefined): InterceptWay[] | undefined {
  if (text === undefined) return undefined;
  const ways = text.split(',').map((w) => w.trim()).filter(Boolean);
  const bad = ways.filter((w) => !(INTERCEPT_WAYS as readonly string[]).includes(w));
  if (bad.length > 0 || ways.length === 0) throw new Error(`--intercept takes a comma-separated list of ${INTERCEPT_WAYS.join(', ')} (got "${text}")`);
  return ways as InterceptWay[];
}

export function portsFrom(a: WayArgs): HarnessPorts {
  return { graph: a['graph-port'], login: a['login-port'], httpsGraph: a['https-graph-port'], httpsLogin: a['https-login-port'], proxy: a['proxy-port'] };
}

/** `--ready-timeout` of `run` and `record`. */
export function checkReadyTimeout(a: { 'ready-timeout': number }): true {
  if (a['ready-timeout'] <= 0 || !Number.isFinite(a['ready-timeout'])) throw new Error(`--ready-timeout must be a positive number of milliseconds, got ${String(a['ready-timeout'])}`);
  return true;
}
