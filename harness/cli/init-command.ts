/**
 * `callreplay init [--format ts|js|json|yaml] [--force]`: writes a starter config file,
 * callreplay.config.<ext>, in the working folder: the commonly changed `run` keys, commented out with
 * their defaults (JSON has no comments: it holds the defaults themselves). As written it loads and
 * runs (tests/config-file.spec.ts). Refuses to replace a file without --force.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE_NAMES } from '../config/load-config.js';
import { EXIT } from './exit-codes.js';
import { UsageError } from './resolve-flows.js';
import { DEFAULT_WORKERS } from './run-options.js';

export const INIT_FORMATS = ['ts', 'js', 'json', 'yaml'] as const;
export type InitFormat = (typeof INIT_FORMATS)[number];

export interface InitArgs {
  format: InitFormat;
  force: boolean;
  cwd?: string;
}

interface StarterKey {
  key: string;
  /** what it does, one line */
  about: string;
  /** the default (shown; JSON writes it) or, with `example`, a value to show */
  value: unknown;
  /** the value is an example, not the default: JSON leaves the key out */
  example?: boolean;
}

/** The keys the starter shows, in order. */
export const STARTER_KEYS: readonly StarterKey[] = [
  { key: 'flows', about: 'flow files, folders or names of shipped flows (default: every shipped flow; flows named on the command line replace these)', value: ['my-flows/', 'answer-incoming-call'], example: true },
  { key: 'botCommand', about: 'the command that starts your bot (default: the bundled reference bot); it gets PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID and runs in the working folder', value: 'node dist/bot.js', example: true },
  { key: 'botUrl', about: 'or a bot you start yourself: its calling webhook (start it with the environment `callreplay env` prints)', value: 'http://127.0.0.1:3978/api/calls', example: true },
  { key: 'triggers', about: "your bot's own API for the flows' triggers (callreplay list --json names them; README, \"Trigger mapping\"); without a mapping, a flow with a trigger is skipped for a bot other than the reference bot", value: { 'join-meeting': { method: 'POST', path: '/join', body: { joinUrl: '${joinWebUrl}' } } }, example: true },
  { key: 'webhookPath', about: 'the webhook path of a bot started with botCommand', value: '/api/calls' },
  { key: 'readyTimeout', about: 'ms a started bot may take to answer at its webhook', value: 15000 },
  { key: 'variants', about: "robustness variants run with every flow: 'all', 'none', or a list of variant kinds (docs/catalog.md)", value: 'all' },
  { key: 'workers', about: 'flows run at once against the bot', value: DEFAULT_WORKERS },
  { key: 'maxFailures', about: 'stop after this many failed tests (0: never)', value: 0 },
  { key: 'reportDir', about: "where html/, junit.xml and results.json go, from this file's folder", value: 'reports' },
  { key: 'rules', about: 'check the call-state rules on every flow (docs/rules.md)', value: true },
  { key: 'disableRule', about: 'rule ids (or prefix/*) not to check', value: ['timing/*'], example: true },
  { key: 'schemaCheck', about: 'validate every Graph request body against the calling schemas', value: true },
  { key: 'authCheck', about: 'check that the bot refuses notifications with broken tokens', value: true },
  { key: 'refusalChecks', about: 'check that the bot refuses or ignores hostile input', value: true },
  { key: 'ackThreshold', about: 'a notification acknowledged slower than this many ms is reported (warning)', value: 1000 },
];

const HEADER = [
  "callreplay's config (docs/config.md): every `callreplay run` flag is a key, in camelCase (callreplay run --help).",
  "Flags on the command line override it; relative paths (flows, reportDir, caDir) are from this file's folder.",
];

export function initCommand(args: InitArgs): number {
  const cwd = args.cwd ?? process.cwd();
  const name = `callreplay.config.${args.format}`;
  const path = join(cwd, name);
  try {
    writeFileSync(path, starter(args.format), { flag: args.force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${name} exists already: edit it, or run callreplay init --force to replace it`);
    throw new UsageError(`${name} cannot be written (${code ?? (e as Error).message})`);
  }
  console.log(`callreplay: wrote ${name}; edit it, then run callreplay run`);
  if (args.format === 'ts') console.log("callreplay: it imports defineConfig from 'callreplay': install callreplay in this project (npm install --save-dev callreplay)");
  const first = CONFIG_FILE_NAMES.find((n) => existsSync(join(cwd, n)));
  if (first && first !== name) console.error(`callreplay: note: ${first} is here too and comes first: run uses it, not ${name} (or pass --config ${name})`);
  return EXIT.passed;
}

/** The starter file's text in `format`. */
export function starter(format: InitFormat): string {
  switch (format) {
    case 'ts':
      return [...HEADER.map((l) => `// ${l}`), "import { defineConfig } from 'callreplay';", '', 'export default defineConfig({', ...jsKeys(), '});', ''].join('\n');
    case 'js':
      return [...HEADER.map((l) => `// ${l}`), "/** @type {import('callreplay').CallreplayConfig} */", 'export default {', ...jsKeys(), '};', ''].join('\n');
    case 'yaml':
      return [...HEADER.map((l) => `# ${l}`), ...STARTER_KEYS.flatMap((k) => ['', `# ${k.about}`, `# ${k.key}: ${yamlValue(k.value)}`]), ''].join('\n');
    case 'json': {
      // JSON has no comments: the defaults themselves (docs/config.md says what each key does)
      const entries = STARTER_KEYS.filter((k) => !k.example).map((k) => [k.key, k.value]);
      return `${JSON.stringify(Object.fromEntries([['flows', []], ...entries]), null, 2)}\n`;
    }
  }
}

function jsKeys(): string[] {
  return STARTER_KEYS.flatMap((k, i) => [...(i > 0 ? [''] : []), `  // ${k.about}`, `  // ${k.key}: ${jsValue(k.value)},`]);
}

function jsValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(jsValue).join(', ')}]`;
  return JSON.stringify(v);
}

function yamlValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  return JSON.stringify(v); // JSON scalars are YAML
}
