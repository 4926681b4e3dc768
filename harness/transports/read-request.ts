/** Turns raw request parts into the engine's InboundRequest (shared by every transport). */

/**
 * A header on every answer the harness's own servers give (gateway, HTTPS gateway, the proxy's own
 * refusals): a bot's readiness check must not mistake one of them for the bot (another test's
 * harness may have taken the port the bot was about to listen on).
 */
export const HARNESS_SERVER_HEADER = 'x-callreplay-server';
import type { InboundRequest } from '../engine/ports.js';

export function toInboundRequest(
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  service: 'graph' | 'login',
  via: string,
): InboundRequest {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return { method: method.toUpperCase(), path, headers: flat, rawBody, body: parseJson(rawBody, flat['content-type']), service, via };
}

function parseJson(text: string, contentType: string | undefined): unknown {
  if (!text) return undefined;
  const first = text.trimStart()[0];
  if (contentType?.includes('json') || first === '{' || first === '[') {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The body to write back: strings as-is, everything else as JSON. */
export function serializeBody(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}
