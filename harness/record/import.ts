/**
 * Recordings from files captured without `callreplay record`, for `callreplay import`:
 * - a HAR (Dev Proxy, a browser, mitmproxy's HAR export): entries to Graph's calling API and to the
 *   login endpoint become outbound exchanges (the notification-key host's too, left out later);
 *   POSTs of a commsNotifications body to any other host become inbound ones; the rest is ignored;
 * - a folder of captured notifications (`*.json`, each a commsNotifications body or a single
 *   notification), sorted by name: inbound exchanges only (no answers were captured);
 * - one such JSON file.
 * to-flow.ts turns the Recording into a (draft) flow with the same scrubbing and templating.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RecordedExchange, Recording } from './recording.js';

/** A problem with the input, naming the file. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ImportError';
  }
}

export const GRAPH_HOSTS = ['graph.microsoft.com', 'canary.graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn'];
export const LOGIN_HOSTS = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.partner.microsoftonline.cn', 'login.chinacloudapi.cn', 'login.windows.net'];
export const NOTIFICATION_KEY_HOSTS = ['api.aps.skype.com'];
/** Graph's calling API: `/v1.0|beta` + `/communications/...` or the beta `/app/...` alias. */
const CALLING_PATH = /^\/(v1\.0|beta)\/(communications|app)(\/|$)/i;
/** Where a bot's webhook is assumed to be when the capture does not say. */
const DEFAULT_WEBHOOK = 'http://127.0.0.1:3978/api/calls';

/** Reads a HAR file, a folder of notification JSON files or one such file. Throws ImportError. */
export async function importRecording(input: string): Promise<Recording> {
  let info;
  try {
    info = await stat(input);
  } catch (e) {
    throw new ImportError(input, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (info.isDirectory()) return notificationsFolder(input);
  const text = await readText(input);
  const data = parseJsonFile(input, text);
  if (isObject(data) && isObject(data['log'])) return recordingFromHar(data, input);
  if (/\.har$/i.test(input)) throw new ImportError(input, 'not a HAR file: it has no "log" object');
  return recordingFromNotifications([{ file: input, data }], info.mtime);
}

async function notificationsFolder(dir: string): Promise<Recording> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.json$/i.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch (e) {
    throw new ImportError(dir, `cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (names.length === 0) throw new ImportError(dir, 'the folder holds no .json files (expected captured notifications: commsNotifications bodies)');
  const files: Array<{ file: string; data: unknown }> = [];
  let first: Date | undefined;
  for (const name of names) {
    const file = join(dir, name);
    first ??= (await stat(file)).mtime;
    files.push({ file, data: parseJsonFile(file, await readText(file)) });
  }
  return recordingFromNotifications(files, first);
}

/**
 * Captured notifications as a Recording of inbound exchanges (no answers: they were not captured).
 * Each file holds a commsNotifications body (`{"value": [...]}`) or a single notification.
 */
export function recordingFromNotifications(files: ReadonlyArray<{ file: string; data: unknown }>, startedAt: Date = new Date()): Recording {
  const exchanges: RecordedExchange[] = files.map(({ file, data }, i) => {
    const body = notificationsBody(data);
    if (!body) {
      throw new ImportError(file, 'not a commsNotifications body or a single notification: expected {"value": [ {changeType, resourceUrl, resourceData}, ... ]} or one {changeType, resourceUrl, resourceData} object');
    }
    return {
      seq: i,
      at: 0,
      direction: 'inbound',
      service: 'notification',
      request: { method: 'POST', url: new URL(DEFAULT_WEBHOOK).pathname, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      response: { error: `imported from ${basename(file)}` },
      relayOverheadMs: 0,
      totalMs: 0,
    };
  });
  return { version: 1, startedAt: startedAt.toISOString(), botUrl: DEFAULT_WEBHOOK, upstream: { graph: 'https://graph.microsoft.com', login: 'https://login.microsoftonline.com', auth: 'https://api.aps.skype.com' }, exchanges };
}

/** `{value: [...]}` as is, a single notification wrapped; undefined for anything else. */
function notificationsBody(data: unknown): Record<string, unknown> | undefined {
  if (isObject(data) && Array.isArray(data['value'])) {
    return data['value'].length > 0 && data['value'].every(isNotification) ? data : undefined;
  }
  if (isNotification(data)) return { value: [data] };
  return undefined;
}

function isNotification(v: unknown): v is Record<string, unknown> {
  if (!isObject(v)) return false;
  const type = String(v['@odata.type'] ?? '');
  return /commsNotification$/i.test(type) || (typeof v['changeType'] === 'string' && (typeof v['resourceUrl'] === 'string' || typeof v['resource'] === 'string'));
}

interface HarHeader {
  name?: unknown;
  value?: unknown;
}

/** A HAR (1.2) as a Recording. */
export function recordingFromHar(har: Record<string, unknown>, file: string): Recording {
  const log = har['log'] as Record<string, unknown>;
  const entries = log['entries'];
  if (!Array.isArray(entries)) throw new ImportError(file, 'not a HAR file: "log.entries" is not a list');
  const exchanges: RecordedExchange[] = [];
  let start: number | undefined;
  let botUrl: string | undefined;
  let graph: string | undefined;
  let login: string | undefined;
  entries.forEach((entry, i) => {
    const where = `entry ${i}`;
    if (!isObject(entry) || !isObject(entry['request']) || !isObject(entry['response'])) throw new ImportError(file, `${where} has no request or response`);
    const req = entry['request'];
    const res = entry['response'];
    const method = String(req['method'] ?? '').toUpperCase();
    let url: URL;
    try {
      url = new URL(String(req['url']));
    } catch {
      throw new ImportError(file, `${where}: "${String(req['url'])}" is not a URL`);
    }
    const started = Date.parse(String(entry['startedDateTime'] ?? ''));
    const host = url.hostname.toLowerCase();
    const reqBody = harText(isObject(req['postData']) ? req['postData'] : undefined);
    let service: RecordedExchange['service'] | undefined;
    let direction: RecordedExchange['direction'] = 'outbound';
    if (GRAPH_HOSTS.includes(host)) {
      if (CALLING_PATH.test(url.pathname)) {
        service = 'graph';
        graph ??= url.origin;
      }
    } else if (LOGIN_HOSTS.includes(host)) {
      service = 'login';
      login ??= url.origin;
    } else if (NOTIFICATION_KEY_HOSTS.includes(host)) {
      service = 'auth';
    } else if (method === 'POST' && notificationsBody(tryJson(reqBody))) {
      service = 'notification';
      direction = 'inbound';
      botUrl ??= `${url.origin}${url.pathname}`;
    }
    if (!service) return;
    if (Number.isFinite(started)) start ??= started;
    const status = Number(res['status']);
    const response: RecordedExchange['response'] =
      Number.isInteger(status) && status > 0
        ? { status, headers: harHeaders(res['headers']), body: harText(isObject(res['content']) ? res['content'] : undefined) }
        : { error: String(res['_error'] ?? 'no answer in the HAR') };
    const time = Number(entry['time']);
    exchanges.push({
      // the entry's index: `recorded #N` in the flow points at the HAR entry
      seq: i,
      at: Number.isFinite(started) && start !== undefined ? Math.max(0, started - start) : 0,
      direction,
      service,
      request: { method, url: direction === 'inbound' ? url.pathname + url.search : url.toString(), headers: harHeaders(req['headers']), body: reqBody },
      response,
      relayOverheadMs: 0,
      totalMs: Number.isFinite(time) ? time : 0,
    });
  });
  if (exchanges.length === 0) {
    throw new ImportError(file, `none of its ${entries.length} entries is a Graph calling request (${GRAPH_HOSTS[0]}/v1.0|beta/communications/...), a login request or a POST of a commsNotifications body`);
  }
  return {
    version: 1,
    startedAt: start !== undefined ? new Date(start).toISOString() : new Date().toISOString(),
    botUrl: botUrl ?? DEFAULT_WEBHOOK,
    upstream: { graph: graph ?? 'https://graph.microsoft.com', login: login ?? 'https://login.microsoftonline.com', auth: 'https://api.aps.skype.com' },
    exchanges,
  };
}

/** Header list -> lower-case map (repeated headers joined with ", "). */
function harHeaders(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const h of list as HarHeader[]) {
    if (!h || typeof h.name !== 'string') continue;
    const name = h.name.toLowerCase();
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    const value = String(h.value ?? '');
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

/** A HAR postData / content text (base64 decoded when so encoded). */
function harText(part: Record<string, unknown> | undefined): string {
  if (!part || typeof part['text'] !== 'string') return '';
  return part['encoding'] === 'base64' ? Buffer.from(part['text'], 'base64').toString('utf8') : part['text'];
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new ImportError(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    throw new ImportError(file, `not valid JSON (${(e as Error).message})`);
  }
}

function tryJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
