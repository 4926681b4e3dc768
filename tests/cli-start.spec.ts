// The command line's start-up, through the real `callreplay` process: the `run` flags --workers,
// --max-failures and -x, every command in --help, `list` as the flow files say (cold and from its
// summary cache, and a broken file still fails it), and that --help and list load no heavy module
// (timing lives in scripts/bench-cold-start.ts, not here).
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { DEFAULT_TENANT_ID, INTERCEPT_WAYS } from '../harness/runner/harness-defaults.js';
import { VARIANT_KINDS } from '../harness/variants/table.js';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';

const moduleLog = pathToFileURL(join(import.meta.dirname, 'fixtures', 'module-log.mjs')).href;
const recordings = join(repoRoot, 'recordings');

/** `callreplay list`'s text for these flow files, from the files themselves. */
function expectedList(files: string[]): string {
  const flows = files.map((f) => parse(readFileSync(f, 'utf8')) as { name: string; description: string; suite?: string });
  const suites = [...new Set(flows.map((f) => f.suite ?? 'default'))].sort();
  return suites.map((s) => [`${s}:`, ...flows.filter((f) => (f.suite ?? 'default') === s).map((f) => `  ${f.name.padEnd(32)} ${f.description}`)].join('\n')).join('\n') + '\n';
}

const flat = (text: string) => text.replace(/\s+/g, ' ');

function shippedFiles(): string[] {
  return readdirSync(recordings)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(recordings, f));
}

/** Runs the CLI logging every module it loads; returns the result and the loaded modules, relative to the repo. */
async function withModuleLog(args: string[], env: Record<string, string> = {}) {
  const { dir, cleanup } = tempDir('callreplay-modules-');
  try {
    const log = join(dir, 'modules.log');
    writeFileSync(log, '');
    const result = await callreplay(args, { env: { ...env, NODE_OPTIONS: `--import=${moduleLog}`, CALLREPLAY_MODULE_LOG: log } });
    const loaded = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('file:') || l.startsWith(sep))
      .map((l) => relative(repoRoot, l.startsWith('file:') ? fileURLToPath(l) : l).split(sep).join('/'));
    return { result, loaded: [...new Set(loaded)] };
  } finally {
    cleanup();
  }
}

const HEAVY = ['node_modules/ajv/', 'node_modules/ajv-formats/', 'node_modules/nock/', 'node_modules/@playwright/', 'node_modules/playwright', 'node_modules/jose/', 'node_modules/node-forge/', 'node_modules/diff/', 'node_modules/cross-fetch/', 'dist/harness/engine/', 'dist/harness/runner/harness.js', 'dist/harness/flow/load-flow.js'];

test('run refuses a bad --workers or --max-failures, naming the flag and what it takes', async () => {
  const cases: Array<[string[], string]> = [
    [['--workers', '0'], '--workers must be a whole number >= 1'],
    [['--workers', 'abc'], '--workers must be a whole number >= 1'],
    [['--workers', '1.5'], '--workers must be a whole number >= 1'],
    [['--workers'], 'Not enough arguments following: workers'],
    [['--max-failures', '-1'], '--max-failures must be a whole number >= 0 (0: no limit)'],
    [['--max-failures', 'x'], '--max-failures must be a whole number >= 0'],
    [['-x', '--max-failures', '2'], 'Arguments x and max-failures are mutually exclusive'],
  ];
  const { dir, cleanup } = tempDir();
  try {
    await Promise.all(
      cases.map(async ([flags, message]) => {
        const r = await callreplay(['run', 'answer-incoming-call', '--report-dir', dir, ...flags]);
        expect(r.status, flags.join(' ')).toBe(2);
        expect(r.stderr, flags.join(' ')).toContain(message);
        expect(r.stdout, flags.join(' ')).not.toContain('Running'); // refused before any run
      }),
    );
  } finally {
    cleanup();
  }
});

test('--help names every command; run --help shows --workers, --max-failures and -x', async () => {
  const help = await callreplay(['--help']);
  expect(help.status).toBe(0);
  for (const cmd of ['run', 'env', 'record', 'import', 'load', 'list', 'validate']) expect(help.stdout).toMatch(new RegExp(`^ +callreplay ${cmd}\\b`, 'm'));
  expect(flat(help.stdout)).toContain('Run many calls of one flow at once against a bot and measure throughput, latency and memory');
  const none = await callreplay([]);
  expect(none.status).toBe(2);
  expect(none.stderr).toContain('name a command: run, env, record, import, load, list or validate');

  const run = await callreplay(['run', '--help']);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^ +--workers +flows run at once.*\[number\] \[default: 4\]$/ms);
  expect(run.stdout).toMatch(/^ +--max-failures +stop after this many failed tests/m);
  expect(run.stdout).toMatch(/^ +-x +stop after the first failed test \(--max-failures 1\)/m);
  // option descriptions still carry the constants, from their light modules
  expect(flat(run.stdout)).toContain(`ways in, comma-separated: ${INTERCEPT_WAYS.join(',')}`);
  expect(flat(run.stdout)).toContain(`(default ${DEFAULT_TENANT_ID})`);
  for (const kind of VARIANT_KINDS) expect(flat(run.stdout)).toContain(kind);

  const load = await callreplay(['load', '--help']);
  expect(load.status).toBe(0);
  expect(load.stdout).toContain('--calls');
  const badLoad = await callreplay(['load', '--calls', '0']);
  expect(badLoad.status).toBe(2);
  expect(badLoad.stderr).toContain('--calls');

  const record = await callreplay(['record', '--help']);
  expect(record.status).toBe(0);
  expect(flat(record.stdout)).toContain('(default https://graph.microsoft.com)');
  expect(flat(record.stdout)).toContain('(default https://api.aps.skype.com)');
});

test('list prints the shipped flows as their files say, cold and from its summary cache', async () => {
  const { dir, cleanup } = tempDir('callreplay-cache-');
  try {
    const expected = expectedList(shippedFiles());
    const cold = await callreplay(['list'], { env: { CALLREPLAY_CACHE_DIR: dir } });
    expect(cold.stderr).toBe('');
    expect(cold.status).toBe(0);
    expect(cold.stdout).toBe(expected);
    const warm = await withModuleLog(['list'], { CALLREPLAY_CACHE_DIR: dir });
    expect(warm.result.status).toBe(0);
    expect(warm.result.stdout).toBe(expected);
    expect(warm.loaded.filter((m) => m.startsWith('node_modules/yaml/'))).toEqual([]); // nothing parsed
  } finally {
    cleanup();
  }
});

test('list still fails on a broken flow file, naming it, after listing it cleanly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const env = { CALLREPLAY_CACHE_DIR: join(dir, 'cache') };
    const flow = join(dir, 'flows', 'mine.yaml');
    mkdirSync(join(dir, 'flows'));
    copyFileSync(join(recordings, 'answer-incoming-call.yaml'), flow);
    const ok = await callreplay(['list', join(dir, 'flows')], { env });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(expectedList([flow]));

    appendFileSync(flow, 'bogus: 1\n'); // now invalid against the schema
    const broken = await callreplay(['list', join(dir, 'flows')], { env });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain(`callreplay: ${flow}: /: unknown property "bogus"`);

    const bad = join(dir, 'flows', 'new.yaml');
    writeFileSync(bad, 'name: [unclosed\n');
    const newBroken = await callreplay(['list', bad], { env });
    expect(newBroken.status).toBe(2);
    expect(newBroken.stderr).toContain(`callreplay: ${bad}: line`);
  } finally {
    cleanup();
  }
});

test('--help, run --help and a cached list load no heavy module', async () => {
  const { dir, cleanup } = tempDir('callreplay-cache-');
  try {
    const help = await withModuleLog(['--help']);
    expect(help.result.status).toBe(0);
    expect(help.loaded).toContain('dist/harness/cli/main.js'); // the log works
    expect(help.loaded.filter((m) => HEAVY.some((h) => m.startsWith(h)))).toEqual([]);
    // nothing of the harness but the command line's own start-up
    expect(help.loaded.filter((m) => m.startsWith('dist/') && !m.startsWith('dist/harness/cli/'))).toEqual([]);

    const runHelp = await withModuleLog(['run', '--help']);
    expect(runHelp.result.status).toBe(0);
    expect(runHelp.loaded.filter((m) => HEAVY.some((h) => h !== 'dist/harness/engine/' && m.startsWith(h)) || m.startsWith('node_modules/yaml/'))).toEqual([]);

    await callreplay(['list'], { env: { CALLREPLAY_CACHE_DIR: dir } }); // fills the cache
    const list = await withModuleLog(['list'], { CALLREPLAY_CACHE_DIR: dir });
    expect(list.result.status).toBe(0);
    expect(list.loaded.filter((m) => HEAVY.some((h) => m.startsWith(h)))).toEqual([]);
  } finally {
    cleanup();
  }
});
