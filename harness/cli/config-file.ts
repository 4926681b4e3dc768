/**
 * `callreplay run` with a config file (docs/config.md): finds and reads it (../config/load-config.ts),
 * checks its keys against the `run` options yargs holds (run-options.ts: every flag, camelCase) and
 * their values' types, resolves its relative paths against its own folder, lays it under the command
 * line (a flag given wins), then runs the same checks the flags get, naming the file and key when a
 * value from the file is wrong. Every problem is a UsageError (exit 2). No config file: the run is as
 * before, and nothing of tsx or yaml is loaded.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { botUrlProblem } from '../bot/bot-url.js';
import { ConfigFileError, findConfigFile, readConfigFile } from '../config/load-config.js';
import { UsageError } from './resolve-flows.js';
import { checkRunCounts, configKey, runOptionTable, toRunArgs, type OptionTable, type RunArgv } from './run-options.js';
import { parseTriggerConfig, TriggerMappingError } from '../flow/trigger-mapping.js';
import { checkReadyTimeout, checkWayOptions } from './way-options.js';

/** Keys whose relative paths are from the config file's folder (flows too, those that name files). */
const PATH_KEYS = new Set(['report-dir', 'ca-dir']);
/** Comma-separated string options a config may also give as an array. */
const COMMA_LISTS = new Set(['variants', 'intercept']);

/** A parsed `run` command line with its config file laid under it. */
export interface ConfiguredRun {
  argv: RunArgv;
  /** the config file as messages name it (relative to the working folder when inside it) */
  name?: string;
  /** the options (kebab-case) whose value came from the config file */
  fromConfig: ReadonlySet<string>;
}

/** Runs `callreplay run`: its parsed flags `a` and the raw arguments (to tell a flag given from a default). */
export async function runWithConfigFile(a: RunArgv, rawArgs: readonly string[]): Promise<number> {
  const configured = await applyConfigFile(a, rawArgs);
  const { runCommand } = await import('./run-command.js');
  return blame(configured, async () => runCommand(await toRunArgs(configured.argv)));
}

/** The command line with its config file (if any) under it; throws UsageError naming the file and key. */
async function applyConfigFile(a: RunArgv, rawArgs: readonly string[], cwd = process.cwd()): Promise<ConfiguredRun> {
  const found = asUsageError(() => findConfigFile(a.config, cwd));
  if (!found) return { argv: a, fromConfig: new Set() };
  const name = displayName(found.file, cwd);
  if (found.ignored.length > 0) {
    console.error(`callreplay: using ${name}; not using ${found.ignored.map((f) => displayName(f, cwd)).join(', ')} (the first of the config file names wins: docs/config.md)`);
  }
  let raw: unknown;
  try {
    raw = await readConfigFile(found.file, name);
  } catch (e) {
    throw e instanceof ConfigFileError ? new UsageError(e.message) : e;
  }
  const table = runOptionTable();
  const values = configValues(raw, table, name, dirname(found.file));
  if (values.has('x') && values.has('max-failures')) throw new UsageError(`${name}: x and maxFailures cannot both be set (x is maxFailures: 1)`);

  const given = flagsGiven(rawArgs, table);
  const merged: Record<string, unknown> = { ...a };
  const fromConfig = new Set<string>();
  const failuresGiven = given.has('x') || given.has('max-failures'); // one setting: a flag for either replaces both keys
  for (const [key, value] of values) {
    if (key === 'trigger') {
      // mappings add up: the file's, then the flags' (a flag replaces the file's mapping of the same trigger)
      merged['trigger'] = [...(value as unknown[]), ...a.trigger];
      continue;
    }
    if (key === 'flows' ? a.flows.length > 0 : given.has(key)) continue;
    if ((key === 'x' || key === 'max-failures') && failuresGiven) continue;
    merged[key] = value;
    merged[camel(key)] = value;
    fromConfig.add(key);
  }
  const configured: ConfiguredRun = { argv: merged as RunArgv, name, fromConfig };
  // the checks yargs ran on the flags, now on the values from the file
  await blame(configured, async () => {
    const argv = configured.argv;
    try {
      checkWayOptions(argv);
      checkReadyTimeout(argv);
      checkRunCounts(argv);
    } catch (e) {
      throw e instanceof Error && !(e instanceof UsageError) ? new UsageError(e.message) : e;
    }
    const url = argv['bot-url'];
    const problem = fromConfig.has('bot-url') && url !== undefined ? botUrlProblem(url) : undefined;
    if (problem) throw new UsageError(`--bot-url ${problem}`);
  });
  return configured;
}

/**
 * The config's values by option name (kebab-case), type-checked and normalised to what yargs would
 * give: arrays for array options, comma lists joined, paths absolute. Unknown keys are errors.
 */
function configValues(raw: unknown, table: OptionTable, name: string, dir: string): Map<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`${name}: a config is an object of run options (e.g. export default defineConfig({ workers: 2 })), got ${show(raw)}`);
  }
  const known = new Map(table.keys.map((k) => [configKey(k), k]));
  const values = new Map<string, unknown>();
  for (const [key, value] of Object.entries(raw)) {
    const option = known.get(key);
    if (option === undefined) {
      const close = closest(key, [...known.keys()]);
      throw new UsageError(`${name}: unknown key "${key}"${close ? ` (did you mean "${close}"?)` : ''}; the keys are the run flags in camelCase (callreplay run --help, docs/config.md)`);
    }
    if (value === undefined || value === null) continue; // `workers:` with no value in YAML, `botUrl: undefined` in code: not set
    if (option === 'trigger') {
      try {
        values.set(option, parseTriggerConfig(value, name));
      } catch (e) {
        throw e instanceof TriggerMappingError ? new UsageError(e.message) : e;
      }
      continue;
    }
    values.set(option, resolvePaths(option, typed(option, key, value, table, name), dir));
  }
  return values;
}

function typed(option: string, key: string, value: unknown, table: OptionTable, name: string): unknown {
  const bad = (expected: string) => new UsageError(`${name}: ${key} must be ${expected}, got ${show(value)}`);
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (table.boolean.has(option)) {
    if (typeof value !== 'boolean') throw bad('true or false');
    return value;
  }
  if (table.number.has(option)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a number');
    return value;
  }
  if (table.array.has(option)) {
    if (typeof value === 'string') return [value];
    if (!strings(value)) throw bad('a string or an array of strings');
    return value;
  }
  if (COMMA_LISTS.has(option) && strings(value)) return value.join(',');
  if (table.string.has(option) && typeof value !== 'string') throw bad(COMMA_LISTS.has(option) ? 'a comma-separated string or an array of strings' : 'a string');
  return value;
}

/** report-dir and ca-dir from the config's folder; flows that name a file or folder likewise (names of shipped flows stay names). */
function resolvePaths(option: string, value: unknown, dir: string): unknown {
  if (PATH_KEYS.has(option) && typeof value === 'string') return resolve(dir, value);
  if (option === 'flows' && Array.isArray(value)) {
    return (value as string[]).map((f) => (isAbsolute(f) || /[\\/]|^\.|\.(ya?ml|json)$/i.test(f) || existsSync(resolve(dir, f)) ? resolve(dir, f) : f));
  }
  return value;
}

/**
 * The options given on the command line (kebab-case): `--name`, `--name=value`, `--no-name` for a
 * boolean, `--camelName`, and short flags (`-x`). What yargs left at its default is not among them.
 */
function flagsGiven(rawArgs: readonly string[], table: OptionTable): Set<string> {
  const keys = new Set(table.keys);
  const given = new Set<string>();
  for (const arg of rawArgs) {
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const flag = kebab(arg.slice(2).split('=')[0]!);
      if (keys.has(flag)) given.add(flag);
      else if (flag.startsWith('no-') && table.boolean.has(flag.slice(3))) given.add(flag.slice(3));
    } else if (/^-[a-zA-Z]+$/.test(arg)) {
      for (const c of arg.slice(1)) if (keys.has(c)) given.add(c);
    }
  }
  return given;
}

/** Runs `fn`; a UsageError about a flag (`--name ...`) whose value came from the config names the file and key instead. */
async function blame<T>(configured: ConfiguredRun, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof UsageError) || configured.name === undefined) throw e;
    const m = /^--([a-z][a-z0-9-]*)(.*)$/s.exec(e.message);
    if (m && configured.fromConfig.has(m[1]!)) throw new UsageError(`${configured.name}: ${configKey(m[1]!)}${m[2]}`);
    throw e;
  }
}

function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof ConfigFileError ? new UsageError(e.message) : e;
  }
}

function displayName(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

export function camel(option: string): string {
  return option.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function kebab(flag: string): string {
  return flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function show(value: unknown): string {
  const text = typeof value === 'function' ? 'a function' : value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The known key nearest `key` (edit distance, case-insensitive), if near enough to be a likely typo. */
function closest(key: string, known: string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(norm(key), norm(k));
    if (!best || d < best.d) best = { key: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
