/**
 * Finds and reads a callreplay config file: which file (--config, else the first of CONFIG_FILE_NAMES
 * in the working folder) and its raw object, per format. Light on purpose: `callreplay run` imports
 * it at every start, so the format libraries load only for a file that needs them (tsx for .ts/.mts,
 * yaml for .yaml/.yml and for the position of a JSON syntax error). Checking the keys and values is
 * harness/cli/config-file.ts's work.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The names looked for in the working folder, in this order: the first that exists is used. */
export const CONFIG_FILE_NAMES = ['callreplay.config.ts', 'callreplay.config.mts', 'callreplay.config.js', 'callreplay.config.mjs', 'callreplay.config.json', 'callreplay.config.yaml', 'callreplay.config.yml'] as const;

/** A config file that cannot be used; the message names the file. */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

export interface FoundConfig {
  /** absolute path */
  file: string;
  /** the other config files in the folder, not used (only when discovered) */
  ignored: string[];
}

/** The config file to use: `given` (--config, from cwd) or the first CONFIG_FILE_NAMES in cwd; undefined if none. */
export function findConfigFile(given: string | undefined, cwd = process.cwd()): FoundConfig | undefined {
  if (given !== undefined) {
    const file = resolve(cwd, given);
    if (!existsSync(file)) throw new ConfigFileError(`--config ${given}: no such file`);
    if (!statSync(file).isFile()) throw new ConfigFileError(`--config ${given}: not a file`);
    return { file, ignored: [] };
  }
  const present = CONFIG_FILE_NAMES.map((n) => join(cwd, n)).filter((p) => existsSync(p));
  if (present.length === 0) return undefined;
  return { file: present[0]!, ignored: present.slice(1) };
}

/** The raw value a config file holds (its default export, or its parsed text). `name` is how messages call it. */
export async function readConfigFile(file: string, name: string): Promise<unknown> {
  const ext = extname(file).toLowerCase();
  switch (ext) {
    case '.ts':
    case '.mts':
      return defaultExport(name, await importTs(file, name));
    case '.js':
    case '.mjs':
      return defaultExport(name, await importJs(file, name));
    case '.json':
      return parseJson(readText(file, name), name);
    case '.yaml':
    case '.yml':
      return parseYaml(readText(file, name), name);
    default:
      throw new ConfigFileError(`${name}: a config file is .ts, .mts, .js, .mjs, .json, .yaml or .yml (got ${ext || 'no extension'})`);
  }
}

function readText(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigFileError(`${name}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Node 20 cannot import TypeScript: tsx compiles it, loaded only now. */
async function importTs(file: string, name: string): Promise<Record<string, unknown>> {
  const { tsImport } = await import('tsx/esm/api');
  return importModule(() => tsImport(pathToFileURL(file).href, { parentURL: import.meta.url }) as Promise<Record<string, unknown>>, name);
}

/** Node imports JavaScript itself; its syntax errors name no line, so for one tsx loads the file again to say where. */
async function importJs(file: string, name: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof SyntaxError) await importTs(file, name); // throws, naming the line and column
    throw new ConfigFileError(`${name}: cannot be loaded: ${(e as Error).message}`);
  }
}

async function importModule(load: () => Promise<Record<string, unknown>>, name: string): Promise<Record<string, unknown>> {
  try {
    return await load();
  } catch (e) {
    const err = e as Error;
    // esbuild's (tsx's) syntax errors carry the file, line and column in their message
    const message = err.message.replace(/^Transform failed with \d+ errors?:\n/, '').trim();
    throw new ConfigFileError(`${name}: cannot be loaded: ${message || String(err)}`);
  }
}

function defaultExport(name: string, mod: Record<string, unknown>): unknown {
  if (!('default' in mod) || mod['default'] === undefined) {
    throw new ConfigFileError(`${name}: has no default export (write \`export default defineConfig({ ... })\`)`);
  }
  const value = mod['default'];
  // a .ts file outside an ES-module package is compiled as CommonJS: its `export default` is module.exports.default
  const cjs = value as { __esModule?: boolean; default?: unknown } | null;
  if (typeof cjs === 'object' && cjs !== null && cjs.__esModule === true && 'default' in cjs) return cjs.default;
  return value;
}

async function parseJson(text: string, name: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch (e) {
    // JSON.parse's message has a position at best; else yaml (JSON is YAML) finds where, when it sees the error too
    const message = (e as Error).message.replace(/\s+/g, ' ');
    const position = /at position (\d+)/.exec(message);
    let where: { line: number; col: number } | undefined;
    if (position) {
      const before = text.slice(0, Number(position[1])).split('\n');
      where = { line: before.length, col: before[before.length - 1]!.length + 1 };
    } else {
      const { parseDocument } = await import('yaml');
      where = parseDocument(text).errors[0]?.linePos?.[0];
    }
    throw new ConfigFileError(`${name}${where ? `:${where.line}:${where.col}` : ''}: not valid JSON: ${message}`);
  }
}

async function parseYaml(text: string, name: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const where = err.linePos?.[0];
    throw new ConfigFileError(`${name}${where ? `:${where.line}:${where.col}` : ''}: not valid YAML: ${firstLine(err.message)}`);
  }
  return doc.toJS() ?? {}; // an empty file is an empty config
}

/** yaml's message without the position (it is in the prefix) and the code snippet after it. */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
