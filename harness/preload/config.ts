/**
 * The harness side of the Node preload (`redirect.ts`): its environment variable, its configuration
 * and the environment that loads it into a bot. Importing this module does not load the patch.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../paths.js';

/** The variable carrying the preload's configuration (JSON). Without it the preload does nothing. */
export const PRELOAD_ENV = 'CALLREPLAY_PRELOAD';

export interface PreloadConfig {
  /**
   * Real host name (lower-case, no port) -> the plain-HTTP base URL its requests go to, e.g.
   * `{ "graph.microsoft.com": "http://127.0.0.1:5870", "login.microsoftonline.com": "http://127.0.0.1:5871" }`.
   * Requests keep their path and query and carry the real host in their Host header.
   */
  targets: Record<string, string>;
  /**
   * Where a refused connection is reported: `POST {"destination": "host:port", "via": "preload"}`
   * (the Graph gateway's REFUSED_PATH). Without it refusals are only errors in the bot.
   */
  refusedUrl?: string;
}

/** `file:` URL of the compiled preload module (`npm run build` writes it). */
export const preloadModuleUrl: string = pathToFileURL(join(packageRoot, 'dist', 'harness', 'preload', 'redirect.js')).href;

/**
 * The environment that loads the preload into a Node bot: `CALLREPLAY_PRELOAD` and `NODE_OPTIONS`
 * (`existingNodeOptions` with `--import=<preloadModuleUrl>` appended, once).
 */
export function preloadEnvironment(config: PreloadConfig, moduleUrl: string = preloadModuleUrl, existingNodeOptions?: string): Record<string, string> {
  const flag = /\s|"/.test(moduleUrl) ? `--import="${moduleUrl.replace(/(["\\])/g, '\\$1')}"` : `--import=${moduleUrl}`;
  const existing = (existingNodeOptions ?? '').trim();
  const nodeOptions = existing.split(/\s+/).includes(flag) ? existing : [existing, flag].filter(Boolean).join(' ');
  return { [PRELOAD_ENV]: JSON.stringify(config), NODE_OPTIONS: nodeOptions };
}
