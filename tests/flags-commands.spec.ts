// The flags of `load` and `import` no other spec passes, through the real `callreplay` process with
// their effect asserted (import is otherwise only called in-process), and a bad value for every
// number and enum flag of every command: exit 2, naming the flag and what it takes, before anything
// starts. The `run` flags: flags.spec.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';

const flagBot = (...args: string[]) => [`"${process.execPath}"`, `"${join(repoRoot, 'tests', 'fixtures', 'flag-bot.mjs')}"`, ...args.map((a) => `"${a}"`)].join(' ');
const APP_ID = '5e0a7b3c-2d1f-4e8a-9b6c-7f4d3a2e1b08';

test('load: --no-rules and --no-schema-check let a bot that breaks both pass; --webhook-path, --intercept, --app-id, --ca-dir and --ready-timeout reach it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const envFile = join(dir, 'bot-env.json');
    // the bot serves /x only, sends acceptedModalities as a string (a schema error) and rejects each call after answering it (state/answer-while-incoming)
    const bot = flagBot(`env=${envFile}`, 'path=/x', 'badSchema=1', 'alsoReject=1');
    const load = (name: string, ...flags: string[]) =>
      callreplay(['load', 'answer-incoming-call', '--calls', '2', '--concurrency', '2', '--bot-command', bot, '--webhook-path', '/x', '--intercept', 'gateway', '--app-id', APP_ID, '--ca-dir', join(dir, 'ca'), '--ready-timeout', '20000', '--report-dir', join(dir, name), ...flags], { timeoutMs: 60_000 });
    const [off, rulesOn, schemaOn] = await Promise.all([load('off', '--no-rules', '--no-schema-check'), load('rules', '--no-schema-check'), load('schema', '--no-rules')]);
    expect(off.status, off.stdout + off.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'off', 'load.json'), 'utf8'))).toMatchObject({ flow: 'answer-incoming-call', calls: 2, passed: 2, failed: 0 });
    // the same bot with one of the checks on fails every call, as `incorrect`
    for (const [r, name] of [[rulesOn, 'rules'], [schemaOn, 'schema']] as const) {
      expect(r.status, `${name}\n${r.stdout}${r.stderr}`).toBe(1);
      expect(JSON.parse(readFileSync(join(dir, name, 'load.json'), 'utf8')), name).toMatchObject({ passed: 0, failed: 2, failuresByKind: { incorrect: 2 } });
    }
    const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    expect(env['BOT_APP_ID']).toBe(APP_ID);
    expect(env['GRAPH_BASE_URL']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const absent of ['HTTPS_PROXY', 'CALLREPLAY_PRELOAD', 'GRAPH_BASE_URL_HTTPS']) expect(env[absent], absent).toBeUndefined(); // --intercept gateway only
    expect(env['NODE_EXTRA_CA_CERTS'] ?? '').not.toContain(join(dir, 'ca')); // no CA to trust (the variable may come from the machine)
    expect(existsSync(join(dir, 'ca'))).toBe(true); // the signing keys are kept in --ca-dir
  } finally {
    cleanup();
  }
});

test('import as a process: --out is required, --name names the flow, --keep keeps a field, --force overwrites; validate accepts what it wrote', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const input = join(repoRoot, 'tests', 'fixtures', 'captured', 'group-call');
    const noOut = await callreplay(['import', input]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toContain('Missing required argument: out');

    const out = join(dir, 'flows', 'group.yaml');
    const first = await callreplay(['import', input, '--out', out, '--name', 'imported-group-call']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/wrote .*group\.yaml: flow imported-group-call, \d+ steps/);
    const scrubbed = readFileSync(out, 'utf8');
    expect(scrubbed).toMatch(/^name: imported-group-call$/m);
    expect(scrubbed).not.toContain('Sam2'); // a display name is pseudonymised by default

    const again = await callreplay(['import', input, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already exists: use --force to overwrite it');
    expect(readFileSync(out, 'utf8')).toBe(scrubbed);

    const kept = await callreplay(['import', input, '--out', out, '--force', '--keep', 'displayName']);
    expect(kept.status, kept.stderr).toBe(0);
    const keptText = readFileSync(out, 'utf8');
    expect(keptText).toContain('Sam2');
    expect(keptText).toMatch(/^name: group$/m); // without --name: from --out

    const v = await callreplay(['validate', out]);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain('ok');
  } finally {
    cleanup();
  }
});

test('a bad value for each number and enum flag of each command exits 2 before anything starts, naming the flag and what it takes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const never = join(dir, 'never');
    const out = join(dir, 'never.yaml');
    writeFileSync(join(dir, 'exists.yaml'), 'x');
    const bot = ['--bot-url', 'http://127.0.0.1:9/api/calls'];
    const cases: Array<[string[], string]> = [
      // run (--workers, --max-failures, -x: cli-start.spec.ts; --shard: report-ci.spec.ts; --suite, --bot-url: cli.spec.ts)
      [['run', '--ready-timeout', '0'], '--ready-timeout must be a positive number of milliseconds, got 0'],
      [['run', '--ready-timeout', 'soon'], '--ready-timeout must be a positive number of milliseconds, got NaN'],
      [['run', '--answer-deadline', '-5'], '--answer-deadline must be a positive number of milliseconds, got -5'],
      [['run', '--keepalive-interval', '0'], '--keepalive-interval must be a positive number of milliseconds, got 0'],
      [['run', '--ack-threshold', '-1'], '--ack-threshold must be a number of milliseconds >= 0, got -1'],
      [['run', '--variants', 'bogus'], '--variants: unknown variant "bogus": use none, all or a comma-separated list of duplicate-delivery,'],
      [['run', '--disable-rule', 'nope/x'], '--disable-rule: unknown call-state rule "nope/x" in disabled; known rules: state/answer-while-incoming,'],
      [['run', '--intercept', 'carrier-pigeon'], '--intercept takes a comma-separated list of gateway, https, proxy, preload (got "carrier-pigeon")'],
      [['run', '--tenant', 'contoso'], '--tenant must be a tenant id (a GUID) or per-run, got "contoso"'],
      [['run', '--graph-port', '-1'], '--graph-port must be a port number (0-65535), got -1'],
      [['run', '--login-port', '65536'], '--login-port must be a port number (0-65535), got 65536'],
      [['run', '--https-graph-port', '1.5'], '--https-graph-port must be a port number (0-65535), got 1.5'],
      [['run', '--https-login-port', 'x'], '--https-login-port must be a port number (0-65535), got NaN'],
      [['run', '--proxy-port', '99999'], '--proxy-port must be a port number (0-65535), got 99999'],
      // init
      [['init', '--format', 'xml'], 'Argument: format, Given: "xml", Choices: "ts", "js", "json", "yaml"'],
      // env
      [['env', '--port', '70000'], '--port must be a port number (0-65535), got 70000'],
      [['env', '--port', 'abc'], '--port must be a port number (0-65535), got NaN'],
      [['env', '--intercept', 'gateway,nope'], '--intercept takes a comma-separated list of gateway, https, proxy, preload (got "gateway,nope")'],
      [['env', '--proxy-port', '-2'], '--proxy-port must be a port number (0-65535), got -2'],
      [['env', '--tenant', 'x'], '--tenant must be a tenant id (a GUID) or per-run, got "x"'],
      // record (its other usage errors: record-relay.spec.ts)
      [['record', ...bot, '--out', out, '--listen', 'abc'], '--listen must be a port number (0-65535), got NaN'],
      [['record', ...bot, '--out', out, '--until-idle', '-1'], '--until-idle must be a positive number of seconds, got -1'],
      [['record', ...bot, '--out', out, '--ready-timeout', '-1'], '--ready-timeout must be a positive number of milliseconds, got -1'],
      [['record', ...bot, '--out', out, '--intercept', 'x'], '--intercept takes a comma-separated list of gateway, https, proxy, preload (got "x")'],
      [['record', ...bot, '--out', out, '--graph-port', '70000'], '--graph-port must be a port number (0-65535), got 70000'],
      [['record', ...bot, '--out', out, '--tenant', '6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60'], 'Unknown argument: tenant'], // a recording keeps the real call's tenant
      // import
      [['import', 'tests/fixtures/captured/p2p-simple', '--out', join(dir, 'flow.json')], '--out'],
      [['import', 'tests/fixtures/captured/p2p-simple', '--out', join(dir, 'exists.yaml')], 'already exists: use --force to overwrite it'],
      [['import', 'tests/fixtures/captured/p2p-simple', '--out', out, '--name', 'Not Kebab'], 'must be kebab-case (a-z, 0-9, -): rename the output or give --name'],
      // load
      [['load', '--calls', '0'], '--calls must be a whole number >= 1, got 0'],
      [['load', '--concurrency', '1.5'], '--concurrency must be a whole number >= 1, got 1.5'],
      [['load', '--ready-timeout', '0'], '--ready-timeout must be a positive number of milliseconds, got 0'],
      [['load', '--intercept', 'nope'], '--intercept takes a comma-separated list of gateway, https, proxy, preload (got "nope")'],
      [['load', '--https-login-port', '-1'], '--https-login-port must be a port number (0-65535), got -1'],
      [['load', '--tenant', 'contoso'], '--tenant must be a tenant id (a GUID) or per-run, got "contoso"'],
    ];
    const withReportDir = (args: string[]) => (args[0] === 'run' || args[0] === 'load' ? [...args, '--report-dir', never] : args);
    const results = await Promise.all(cases.map(([args]) => callreplay(withReportDir(args), { timeoutMs: 30_000 })));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    });
    expect(existsSync(never)).toBe(false); // refused before any run made its report folder
    expect(existsSync(out)).toBe(false);
  } finally {
    cleanup();
  }
});
