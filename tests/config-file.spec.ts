// The config file of `callreplay run` (docs/config.md) and `callreplay init`, through the real CLI
// with real files in temp folders: each format loads and its values take effect, flags override it,
// its relative paths are from its folder, bad keys, types, values and syntax exit 2 naming the file
// and key, tsx and yaml load only for a config that needs them, and init's starters run as written.
// Also: CallreplayConfig's keys are exactly the `run` options' keys, so the two cannot drift.
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import ts from 'typescript';
import yargs from 'yargs';
import { configKey, optionTableOf, runOptions } from '../harness/cli/run-options.js';
import { INIT_FORMATS, STARTER_KEYS } from '../harness/cli/init-command.js';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';

const FAST = ['--variants', 'none', '--no-auth-check', '--no-refusal-checks'];

interface Results {
  flows: Array<{ flow: string; mode: string; status: string; notRun?: string }>;
  notRun: Array<{ check: string; flow?: string; reason: string }>;
}
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
/** The tests that ran (results.json also lists the checks a flag turned off, as not run). */
const ran = (r: Results) => r.flows.filter((f) => f.notRun === undefined);
const OFF = [
  { check: 'refusal', reason: '--no-refusal-checks' },
  { check: 'notification-auth', reason: '--no-auth-check' },
  { check: 'variant', reason: '--variants none' },
];

/** A temp folder where `import 'callreplay'` resolves to this worktree (as when callreplay is installed in the project). */
function projectDir(): { dir: string; cleanup: () => void } {
  const t = tempDir('callreplay-config-');
  mkdirSync(join(t.dir, 'node_modules'));
  symlinkSync(repoRoot, join(t.dir, 'node_modules', 'callreplay'), 'junction');
  return t;
}

/** tsx or yaml (node_modules may be a link to another folder: matched anywhere in the path). */
const formatLibrary = (m: string) => m.includes('node_modules/tsx/') || m.includes('node_modules/yaml/');

/** Runs the CLI logging the modules it loads, relative to the repo. */
async function withModuleLog(args: string[], cwd: string) {
  const log = join(cwd, 'modules.log');
  writeFileSync(log, '');
  const moduleLog = pathToFileURL(join(import.meta.dirname, 'fixtures', 'module-log.mjs')).href;
  const result = await callreplay(args, { cwd, env: { NODE_OPTIONS: `--import=${moduleLog}`, CALLREPLAY_MODULE_LOG: log } });
  const loaded = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('file:') || l.startsWith(sep))
    .map((l) => relative(repoRoot, l.startsWith('file:') ? fileURLToPath(l) : l).split(sep).join('/'));
  return { result, loaded: [...new Set(loaded)] };
}

test("CallreplayConfig's keys are exactly the run options' keys, camelCase (a new flag needs its key; --trigger's is triggers)", () => {
  const source = readFileSync(join(repoRoot, 'harness', 'config', 'config-types.ts'), 'utf8');
  const file = ts.createSourceFile('config-types.ts', source, ts.ScriptTarget.ES2022);
  const iface = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'CallreplayConfig');
  expect(iface).toBeDefined();
  const interfaceKeys = iface!.members.map((m) => (m.name as ts.Identifier).text).sort();
  const optionKeys = optionTableOf(runOptions(yargs([]))).keys.map(configKey).sort();
  expect(optionKeys).toContain('botCommand');
  expect(optionKeys).toContain('triggers');
  expect(optionKeys).toContain('refusalChecks');
  expect(optionKeys).not.toContain('config');
  expect(interfaceKeys).toEqual(optionKeys);
});

test("init's starter shows each key's real default", () => {
  const defaults = (runOptions(yargs([])) as unknown as { getOptions(): { default: Record<string, unknown> } }).getOptions().default;
  const option = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  // maxFailures has no yargs default (its 0 is toRunArgs'), the others do
  const shown = STARTER_KEYS.filter((k) => !k.example && k.key !== 'maxFailures');
  expect(shown.length).toBeGreaterThan(8);
  for (const k of shown) expect(k.value, k.key).toEqual(defaults[option(k.key)]);
  expect(STARTER_KEYS.find((k) => k.key === 'maxFailures')?.value).toBe(0);
});

test('each format loads and its values take effect: flows, variants, checks and a reportDir from its own folder', async () => {
  test.setTimeout(120_000);
  const { dir, cleanup } = projectDir();
  try {
    const values = { flows: ['flows/mine.yaml'], variants: 'none', authCheck: false, refusalChecks: false, reportDir: 'out', workers: 1 };
    const files: Record<string, string> = {
      'ts/callreplay.config.ts': `import { defineConfig } from 'callreplay';\nconst config: Parameters<typeof defineConfig>[0] = ${JSON.stringify(values)};\nexport default defineConfig(config);\n`,
      'js/callreplay.config.js': `export default ${JSON.stringify(values)};\n`,
      'json/callreplay.config.json': JSON.stringify(values),
      'yaml/callreplay.config.yaml': `# a comment\nflows:\n  - flows/mine.yaml\nvariants: none\nauthCheck: false\nrefusalChecks: false\nreportDir: out\nworkers: 1\n`,
    };
    await Promise.all(
      Object.entries(files).map(async ([path, text]) => {
        const folder = join(dir, path.split('/')[0]!);
        mkdirSync(join(folder, 'flows'), { recursive: true });
        copyFileSync(join(repoRoot, 'recordings', 'answer-incoming-call.yaml'), join(folder, 'flows', 'mine.yaml'));
        writeFileSync(join(dir, path), text);
        // ts and js found in the working folder; json and yaml named with --config from another folder
        const found = path.startsWith('ts/') || path.startsWith('js/');
        const r = found ? await callreplay(['run'], { cwd: folder }) : await callreplay(['run', '--config', join(dir, path)], { cwd: dir });
        expect(r.status, `${path}\n${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout, path).toContain('callreplay: 1 of 1 flow(s) passed; variants not run (--variants none); auth not checked (--no-auth-check); refusal checks not run (--no-refusal-checks)');
        const results = readResults(join(folder, 'out')); // reportDir from the config's folder, not the working folder
        expect(ran(results).map((f) => [f.flow, f.mode, f.status]), path).toEqual([['answer-incoming-call', 'gateway+https+proxy+preload', 'passed']]);
        expect(results.notRun, path).toEqual(OFF); // variants none, authCheck and refusalChecks false
        if (!found) expect(existsSync(join(dir, 'out')), path).toBe(false);
      }),
    );
  } finally {
    cleanup();
  }
});

test("flags override the config: positional flows replace its flows, --no-auth-check its authCheck, --report-dir= its reportDir", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'callreplay.config.yaml'), 'flows: [reject-incoming-call, bot-hang-up]\nvariants: all\nauthCheck: true\nrefusalChecks: true\nreportDir: from-config\n');
    const out = join(dir, 'from-flags');
    const r = await callreplay(['run', 'answer-incoming-call', '--variants', 'none', '--no-auth-check', '--no-refusal-checks', `--report-dir=${out}`], { cwd: dir });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed; variants not run (--variants none); auth not checked (--no-auth-check); refusal checks not run');
    expect(ran(readResults(out)).map((f) => f.flow)).toEqual(['answer-incoming-call']);
    expect(readResults(out).notRun).toEqual(OFF);
    expect(existsSync(join(dir, 'from-config'))).toBe(false);

    // a flag's value replaces a bad one from the file before it is checked; -x replaces maxFailures
    writeFileSync(join(dir, 'callreplay.config.yaml'), 'workers: 0\nmaxFailures: -3\n');
    const over = await callreplay(['run', 'no-such-flow', '--workers', '2', '-x'], { cwd: dir });
    expect(over.status).toBe(2);
    expect(over.stderr).toContain('no flow file or shipped flow named "no-such-flow"');
    const notOver = await callreplay(['run', 'no-such-flow', '--workers', '2'], { cwd: dir });
    expect(notOver.status).toBe(2);
    expect(notOver.stderr).toContain('callreplay: callreplay.config.yaml: maxFailures must be a whole number >= 0 (0: no limit), got -3');
  } finally {
    cleanup();
  }
});

test('unknown keys, bad types and bad values exit 2 before any run, naming the file and the key', async () => {
  const { dir, cleanup } = projectDir();
  try {
    const cases: Array<[string, string, string]> = [
      ['a.yaml', 'workres: 2\n', 'a.yaml: unknown key "workres" (did you mean "workers"?)'],
      ['b.yaml', 'bot-url: http://127.0.0.1:3978/api/calls\n', 'b.yaml: unknown key "bot-url" (did you mean "botUrl"?)'],
      ['c.json', '{"workers": "six"}', 'c.json: workers must be a number, got "six"'],
      ['d.ts', "import { defineConfig } from 'callreplay';\nexport default defineConfig({ rules: 'yes' as unknown as boolean });\n", 'd.ts: rules must be true or false, got "yes"'],
      ['e.js', 'export default { flows: [1] };\n', 'e.js: flows must be a string or an array of strings, got [1]'],
      ['f.yaml', 'workers: 0\n', 'f.yaml: workers must be a whole number >= 1 (flows run at once), got 0'],
      ['g.yaml', 'readyTimeout: -5\n', 'g.yaml: readyTimeout must be a positive number of milliseconds'],
      ['h.yaml', 'variants: bogus\n', 'h.yaml: variants: unknown variant "bogus"'],
      ['i.yaml', 'tenant: nope\n', 'i.yaml: tenant must be a tenant id (a GUID) or per-run, got "nope"'],
      ['j.yaml', 'botUrl: http://example.com/api/calls\n', 'j.yaml: botUrl must be an http URL on loopback'],
      ['k.yaml', 'disableRule: nope/x\n', 'k.yaml: disableRule: unknown call-state rule "nope/x"'],
      ['l.yaml', 'graphPort: 70000\n', 'l.yaml: graphPort must be a port number (0-65535), got 70000'],
      ['m.yaml', 'intercept: [gateway, carrier-pigeon]\n', 'm.yaml: intercept takes a comma-separated list of'],
      ['n.yaml', 'x: true\nmaxFailures: 2\n', 'n.yaml: x and maxFailures cannot both be set'],
      ['o.yaml', 'answerDeadline: 0\n', 'o.yaml: answerDeadline must be a positive number of milliseconds, got 0'],
      ['p.yaml', 'config: other.yaml\n', 'p.yaml: unknown key "config"'],
      ['q.json', '[1, 2]', 'q.json: a config is an object of run options'],
      ['r.js', 'export const workers = 2;\n', 'r.js: has no default export'],
      ['s.yaml', 'triggers:\n  join-meeting: { method: POST, path: join }\n', 's.yaml: triggers.join-meeting.path must be a path on the bot starting with /, e.g. /join, got "join"'],
      ['t.yaml', 'flows: [join-meeting-without-media]\ntriggers:\n  join-meting: POST:/join\n', 't.yaml: triggers.join-meting: no flow has a trigger named "join-meting"'],
      ['u.yaml', 'trigger: [join-meeting=POST:/join]\n', 'u.yaml: unknown key "trigger" (did you mean "triggers"?)'],
    ];
    await Promise.all(
      cases.map(async ([file, text, message]) => {
        writeFileSync(join(dir, file), text);
        const r = await callreplay(['run', '--config', file, '--report-dir', join(dir, `reports-${file}`)], { cwd: dir });
        expect(r.status, file).toBe(2);
        expect(r.stderr, file).toContain(`callreplay: ${message}`);
        expect(r.stdout, file).not.toContain('Running'); // refused before any run
        expect(existsSync(join(dir, `reports-${file}`)), file).toBe(false);
      }),
    );
  } finally {
    cleanup();
  }
});

test('a missing --config file and syntax errors exit 2 naming the file (and the line where the format tells it)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = await callreplay(['run', '--config', 'missing.ts'], { cwd: dir });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('callreplay: --config missing.ts: no such file');
    const cases: Array<[string, string, RegExp]> = [
      ['bad.ts', 'export default { workers: 2,, };\n', /callreplay: bad\.ts: cannot be loaded: .*bad\.ts:1:28: ERROR: Expected identifier/],
      ['bad.js', 'export default { workers: 2,, };\n', /callreplay: bad\.js: cannot be loaded: .*bad\.js:1:28: ERROR: Expected identifier/],
      ['bad.yaml', 'workers: [unclosed\n', /callreplay: bad\.yaml:2:1: not valid YAML: /],
      ['bad.json', '{"workers": 2 "x": 1}', /callreplay: bad\.json:1:15: not valid JSON: /],
      ['throws.mjs', "throw new Error('no config for you');\n", /callreplay: throws\.mjs: cannot be loaded: no config for you/],
    ];
    await Promise.all(
      cases.map(async ([file, text, message]) => {
        writeFileSync(join(dir, file), text);
        const r = await callreplay(['run', '--config', file], { cwd: dir });
        expect(r.status, file).toBe(2);
        expect(r.stderr, file).toMatch(message);
      }),
    );
  } finally {
    cleanup();
  }
});

test('the first config file name wins, said on stderr; config code loads tsx and yaml only for a file that needs them; list, validate and --help load no config code', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const none = await withModuleLog(['run', 'no-such-flow'], dir);
    expect(none.result.status).toBe(2);
    expect(none.result.stderr).toContain('no flow file or shipped flow named "no-such-flow"');
    expect(none.loaded).toContain('dist/harness/config/load-config.js'); // the log works
    // no tsx (yaml: the run's own flow loader imports it, config file or not)
    expect(none.loaded.filter((m) => m.includes('node_modules/tsx/'))).toEqual([]);

    writeFileSync(join(dir, 'callreplay.config.yaml'), 'workers: -1\n');
    writeFileSync(join(dir, 'callreplay.config.json'), '{ "workers": 0 }');
    const json = await withModuleLog(['run', 'no-such-flow'], dir);
    expect(json.result.status).toBe(2);
    expect(json.result.stderr).toContain('callreplay: using callreplay.config.json; not using callreplay.config.yaml');
    expect(json.result.stderr).toContain('callreplay: callreplay.config.json: workers must be a whole number >= 1 (flows run at once), got 0');
    expect(json.loaded.filter(formatLibrary)).toEqual([]); // refused before the run's modules: the config code loaded neither
    // and the check sees them when the config code loads them: yaml for a YAML config, tsx for a TypeScript one
    writeFileSync(join(dir, 'c.yaml'), 'workers: 0\n');
    const yaml = await withModuleLog(['run', '--config', 'c.yaml'], dir);
    expect(yaml.result.stderr).toContain('c.yaml: workers must be');
    expect(yaml.loaded.some((m) => m.includes('node_modules/yaml/'))).toBe(true);
    expect(yaml.loaded.some((m) => m.includes('node_modules/tsx/'))).toBe(false);
    writeFileSync(join(dir, 'c.ts'), 'export default { workers: 0 as number };\n');
    const tsx = await withModuleLog(['run', '--config', 'c.ts'], dir);
    expect(tsx.result.stderr).toContain('c.ts: workers must be');
    expect(tsx.loaded.some((m) => m.includes('node_modules/tsx/'))).toBe(true);

    const flow = join(dir, 'mine.yaml');
    copyFileSync(join(repoRoot, 'recordings', 'answer-incoming-call.yaml'), flow);
    for (const args of [['--help'], ['run', '--help'], ['list', flow], ['validate', flow]]) {
      const r = await withModuleLog(args, dir);
      expect(r.result.status, args.join(' ')).toBe(0);
      expect(r.result.stderr, args.join(' ')).toBe('');
      expect(r.loaded.filter((m) => m.startsWith('dist/harness/config/') || m === 'dist/harness/cli/config-file.js' || m.includes('node_modules/tsx/')), args.join(' ')).toEqual([]);
    }
  } finally {
    cleanup();
  }
});

test('run --help documents --config, and init --help its formats', async () => {
  const run = await callreplay(['run', '--help']);
  expect(run.status).toBe(0);
  expect(run.stdout.replace(/\s+/g, ' ')).toContain('--config a config file of run options (default: the first of callreplay.config.ts, .mts, .js, .mjs, .json, .yaml, .yml in the working folder; flags override it; docs/config.md)');
  const init = await callreplay(['init', '--help']);
  expect(init.status).toBe(0);
  expect(init.stdout.replace(/\s+/g, ' ')).toContain('--format the config file format [choices: "ts", "js", "json", "yaml"] [default: "ts"]');
});

for (const format of INIT_FORMATS) {
  test(`init --format ${format} writes a starter that runs as written, and refuses to overwrite it without --force`, async () => {
    const { dir, cleanup } = projectDir();
    try {
      const file = join(dir, `callreplay.config.${format}`);
      const args = format === 'ts' ? ['init'] : ['init', '--format', format]; // ts is the default
      const first = await callreplay(args, { cwd: dir });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toContain(`callreplay: wrote callreplay.config.${format}`);
      const text = readFileSync(file, 'utf8');
      for (const key of ['botCommand', 'botUrl', 'webhookPath', 'flows', 'variants', 'reportDir', 'workers', 'readyTimeout'].filter((k) => format !== 'json' || !STARTER_KEYS.find((s) => s.key === k)?.example)) {
        expect(text, key).toContain(key);
      }

      writeFileSync(file, text + (format === 'json' ? '' : '\n')); // a change init must not lose
      const again = await callreplay(args, { cwd: dir });
      expect(again.status).toBe(2);
      expect(again.stderr).toContain(`callreplay: callreplay.config.${format} exists already: edit it, or run callreplay init --force to replace it`);
      expect(readFileSync(file, 'utf8')).toBe(text + (format === 'json' ? '' : '\n'));
      const forced = await callreplay([...args, '--force'], { cwd: dir });
      expect(forced.status).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(text);

      // as written: found in the working folder, loaded, and run (reports where reportDir says, the default)
      const r = await callreplay(['run', 'answer-incoming-call', ...FAST], { cwd: dir });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed');
      expect(ran(readResults(join(dir, 'reports'))).map((f) => f.flow)).toEqual(['answer-incoming-call']);

      if (format !== 'json') {
        // every key it shows, uncommented, is a valid key with a valid value (the flows on the command line replace its example flows)
        writeFileSync(file, text.replace(/^(\s*)(?:\/\/|#) (\w+: )/gm, '$1$2'));
        const all = await callreplay(['run', 'no-such-flow'], { cwd: dir });
        expect(all.status).toBe(2);
        expect(all.stderr).toContain('no flow file or shipped flow named "no-such-flow"');
      }
    } finally {
      cleanup();
    }
  });
}
