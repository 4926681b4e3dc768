// The command line's start-up, through the real `callreplay` process: the `run` flags --workers,
// --max-failures and -x, every command in --help, `list` as the flow files say (cold and from its
// summary cache, and a broken file still fails it), that --help and list load no heavy module, and
// that bin runs the start-up bundle (scripts/bundle-cli.mjs) while it is fresh, with the same output
// as the unbundled main.js (timing lives in scripts/bench-cold-start.ts, not here).
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { DEFAULT_TENANT_ID, INTERCEPT_WAYS } from '../harness/runner/harness-defaults.js';
import { VARIANT_KINDS } from '../harness/variants/table.js';
import { callreplay, repoRoot, tempDir, type CliResult } from './fixtures/cli.js';

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
  for (const cmd of ['run', 'init', 'merge-reports', 'env', 'record', 'import', 'load', 'list', 'validate']) expect(help.stdout).toMatch(new RegExp(`^ +callreplay ${cmd}\\b`, 'm'));
  expect(flat(help.stdout)).toContain('Run many calls of one flow at once against a bot and measure throughput, latency and memory');
  const none = await callreplay([]);
  expect(none.status).toBe(2);
  expect(none.stderr).toContain('name a command: run, init, merge-reports, env, record, import, load, list or validate');

  const run = await callreplay(['run', '--help']);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^ +--workers +flows run at once.*\[number\] \[default: 6\]$/ms);
  expect(run.stdout).toMatch(/^ +--max-failures +stop after this many failed tests/m);
  expect(run.stdout).toMatch(/^ +-x +stop after the first failed test \(--max-failures 1\)/m);
  expect(run.stdout).toMatch(/^ +--shard +run only this part of the tests, e\.g\. 2\/3/m);
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
    expect(help.loaded).toContain('dist/cli.bundle.mjs'); // the log works
    expect(help.loaded.filter((m) => HEAVY.some((h) => m.startsWith(h)))).toEqual([]);
    // nothing of the harness but the command line's own start-up
    expect(help.loaded.filter((m) => m.startsWith('dist/') && !m.startsWith('dist/harness/cli/') && m !== 'dist/cli.bundle.mjs')).toEqual([]);

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

const bundle = join(repoRoot, 'dist', 'cli.bundle.mjs');
const unbundled = join(repoRoot, 'dist', 'harness', 'cli', 'main.js');

/** `node <args>` as a child process, with the environment callreplay() gives, optionally logging the modules it loads (absolute paths). */
function runNode(args: string[], opts: { cwd?: string; env?: Record<string, string>; log?: string } = {}): Promise<CliResult> {
  const log = opts.log ? { NODE_OPTIONS: `--import=${moduleLog}`, CALLREPLAY_MODULE_LOG: opts.log } : {};
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd ?? repoRoot, env: { ...process.env, FORCE_COLOR: '0', CI: '', ...opts.env, ...log } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

function loadedFrom(log: string): string[] {
  const lines = readFileSync(log, 'utf8').split('\n');
  return [...new Set(lines.filter((l) => l.startsWith('file:')).map((l) => fileURLToPath(l)))];
}

test('after npm run build, bin runs the start-up bundle: yargs comes from it, not from node_modules', async () => {
  expect(statSync(bundle).mtimeMs).toBeGreaterThanOrEqual(statSync(unbundled).mtimeMs);
  const help = await withModuleLog(['--help']);
  expect(help.result.status).toBe(0);
  expect(help.loaded).toContain('dist/cli.bundle.mjs');
  expect(help.loaded).not.toContain('dist/harness/cli/main.js');
  // the bundle's one look into node_modules: yargs' own folder, resolved (not loaded) for its locale files and --version
  expect(help.loaded.filter((m) => m.startsWith('node_modules/'))).toEqual(['node_modules/yargs/package.json']);
  // harness modules stay out of the bundle, each loaded once from dist/ (one UsageError, one FlowFileError)
  expect(help.loaded).toContain('dist/harness/cli/exit-codes.js');
});

test('bin runs main.js instead of a bundle older than it (a plain tsc rebuild), and asks for a build without main.js', async () => {
  const { dir, cleanup } = tempDir('callreplay-stale-');
  try {
    // a package folder of its own: bin, package.json, the CLI's dist files and the bundle; node_modules linked
    cpSync(join(repoRoot, 'bin'), join(dir, 'bin'), { recursive: true });
    copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
    cpSync(join(repoRoot, 'dist', 'harness', 'cli'), join(dir, 'dist', 'harness', 'cli'), { recursive: true });
    copyFileSync(bundle, join(dir, 'dist', 'cli.bundle.mjs'));
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'junction');
    const bin = join(dir, 'bin', 'callreplay.js');
    const main = join(dir, 'dist', 'harness', 'cli', 'main.js');
    const copy = join(dir, 'dist', 'cli.bundle.mjs');
    const log = join(dir, 'modules.log');
    const run = async () => {
      writeFileSync(log, '');
      const result = await runNode([bin, '--help'], { log });
      return { result, loaded: loadedFrom(log) };
    };
    const yargsFiles = (loaded: string[]) => loaded.filter((m) => m.includes(`${sep}node_modules${sep}yargs${sep}`) && /\.m?js$/.test(m));

    const built = new Date(Math.floor(Date.now() / 1000) * 1000);
    utimesSync(main, built, built);
    utimesSync(copy, built, built); // as new as main.js: used
    const fresh = await run();
    expect(fresh.result.status).toBe(0);
    expect(fresh.loaded).toContain(copy);
    expect(fresh.loaded).not.toContain(main);
    expect(yargsFiles(fresh.loaded)).toEqual([]);

    const later = new Date(built.getTime() + 60_000);
    utimesSync(main, later, later); // main.js rewritten after the bundle
    const stale = await run();
    expect(stale.result).toEqual(fresh.result);
    expect(stale.loaded).toContain(main);
    expect(stale.loaded).not.toContain(copy);
    expect(yargsFiles(stale.loaded).length).toBeGreaterThan(5);

    rmSync(copy);
    const noBundle = await run();
    expect(noBundle.result).toEqual(fresh.result);
    expect(noBundle.loaded).toContain(main);

    copyFileSync(bundle, copy); // a bundle without its main.js is no build either
    rmSync(main);
    const none = await runNode([bin, '--help']);
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('callreplay: not built yet: run `npm install` (or `npm run build`) in the callreplay folder first');
  } finally {
    cleanup();
  }
});

test('the bundled command line prints exactly what the unbundled main.js prints, exit status included', async () => {
  expect(statSync(bundle).mtimeMs).toBeGreaterThanOrEqual(statSync(unbundled).mtimeMs); // so bin runs the bundle
  const { dir, cleanup } = tempDir('callreplay-same-');
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: [unclosed\n');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, readFileSync(join(recordings, 'answer-incoming-call.yaml'), 'utf8') + 'bogus: 1\n');
    const english = { LC_ALL: 'en_US.UTF-8', CALLREPLAY_CACHE_DIR: join(dir, 'cache') };
    const cases: Array<{ args: string[]; env?: Record<string, string>; cwd?: string }> = [
      { args: ['--help'] },
      { args: ['--version'] },
      { args: ['--version'], cwd: dir }, // yargs looks for package.json up from its own folder, not the cwd
      { args: ['run', '--help'] },
      { args: ['load', '--help'] },
      { args: ['record', '--help'] },
      { args: ['env', '--help'] },
      { args: ['import', '--help'] },
      { args: ['list'] },
      { args: ['list', 'no-such-flow'] }, // a UsageError from a lazily loaded module, recognised by main's report()
      { args: ['list', broken] }, // a FlowFileError likewise
      { args: ['validate', bad] },
      { args: ['run', '--workers', '0'] },
      { args: ['run', '--workers'] }, // a YError, through report()
      { args: ['run', 'no-such-flow'] },
      { args: ['no-such-command'] },
      { args: [] },
      // y18n reads yargs' locale files from yargs' own folder at run time
      { args: ['--help'], env: { LC_ALL: 'de_DE.UTF-8' } },
      { args: ['no-such-command'], env: { LC_ALL: 'de_DE.UTF-8' } },
    ];
    for (const c of cases) {
      const opts = { cwd: c.cwd ?? repoRoot, env: { ...english, ...c.env } };
      const [bundled, plain] = await Promise.all([callreplay(c.args, opts), runNode([unbundled, ...c.args], opts)]);
      expect(bundled, `callreplay ${c.args.join(' ')} in ${c.cwd ?? 'the repo'} ${JSON.stringify(c.env ?? {})}`).toEqual(plain);
    }
    // and the cases say what they should
    const de = await callreplay(['no-such-command'], { env: { LC_ALL: 'de_DE.UTF-8' } });
    expect(de.stderr).toContain('Unbekanntes Argument: no-such-command');
    const version = await callreplay(['--version'], { cwd: dir });
    expect(version.stdout).toBe(`${(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    for (const args of [['list', 'no-such-flow'], ['list', broken]]) {
      const r = await callreplay(args, { env: english });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).not.toContain('internal error');
    }
  } finally {
    cleanup();
  }
});
