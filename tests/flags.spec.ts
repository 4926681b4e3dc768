// The `run` flags no other spec passes, each through the real `callreplay` process with its effect
// asserted: the checks (--no-rules, --disable-rule, --answer-deadline, --keepalive-interval,
// --no-schema-check, --ack-threshold), the ways in (--webhook-path, the port flags, --ca-dir,
// --app-id, --intercept), --suite; and `env`'s ways in. One small bot (fixtures/flag-bot.mjs, set
// by its arguments) shows them, several flags per run where they do not interfere. Thresholds are
// lowered far below the bot's fixed delays (the delay is a floor): no wall-clock assertion here.
// `load`, `import` and bad values: flags-commands.spec.ts.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort } from '../harness/runner/free-port.js';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';

interface Finding { kind: string; rule?: string; message: string }
interface Results {
  flows: Array<{ flow: string; kind: string; status: string; mode: string; checks?: string[]; failures: Finding[]; warnings: Finding[]; botOutput?: string }>;
}
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
const flowOf = (dir: string) => readResults(dir).flows.filter((f) => f.kind === 'flow');

const flagBot = (...args: string[]) => [`"${process.execPath}"`, `"${join(repoRoot, 'tests', 'fixtures', 'flag-bot.mjs')}"`, ...args.map((a) => `"${a}"`)].join(' ');
/** The cheapest run: one flow, no variants, no auth or refusal checks (the bot checks no token). */
const FAST = ['--variants', 'none', '--no-auth-check', '--no-refusal-checks', '--workers', '1'];
const APP_ID = '0d5ef2a1-7c4b-4f0e-9a8d-2b6c3e1f4a59';

test('--ack-threshold, --keepalive-interval and --disable-rule prefix/* change what the checks report', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // the bot acknowledges 30 ms late, sends an undeclared property and never a keepAlive
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', flagBot('ackDelay=30', 'extra=1'), ...FAST, '--ack-threshold', '1', '--keepalive-interval', '1', '--disable-rule', 'state/*', '--report-dir', dir]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const [flow] = flowOf(dir);
    // --keepalive-interval 1: the call stays established through the quiet period (>= 100 ms) with no keepAlive
    expect(flow!.failures[0]).toMatchObject({ rule: 'timing/keepalive', message: expect.stringContaining('(limit 1 ms)') });
    // --ack-threshold 1: every notification acknowledged 30 ms late is a warning; the schema check is on
    const warned = flow!.warnings.map((w) => w.rule);
    expect(warned).toContain('variant/ack-latency');
    expect(flow!.warnings.find((w) => w.rule === 'variant/ack-latency')!.message).toContain('(threshold 1 ms)');
    expect(warned).toContain('schema/undeclared');
    // --disable-rule state/*: no state rule is checked, the others are
    expect(flow!.checks).toEqual(expect.arrayContaining(['timing/keepalive', 'timing/answer-deadline', 'invite/replaces-call-id', 'schema', 'variant/ack-latency']));
    expect(flow!.checks!.filter((c) => c.startsWith('state/'))).toEqual([]);
  } finally {
    cleanup();
  }
});

test('--answer-deadline: a bot that answers after the deadline fails timing/answer-deadline; --disable-rule ID leaves that one rule out', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', flagBot('answerDelay=300'), ...FAST, '--answer-deadline', '50', '--disable-rule', 'timing/keepalive', '--report-dir', dir]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const [flow] = flowOf(dir);
    expect(flow!.failures[0]).toMatchObject({ rule: 'timing/answer-deadline', message: expect.stringContaining('(deadline 50 ms)') });
    expect(r.stdout).toContain('[timing/answer-deadline]');
    expect(flow!.checks).toContain('state/answer-while-incoming');
    expect(flow!.checks).not.toContain('timing/keepalive');
  } finally {
    cleanup();
  }
});

test('--no-rules and --no-schema-check turn the checks off; --suite, --webhook-path, the port flags, --ca-dir and --app-id reach the bot', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    copyFileSync(join(repoRoot, 'recordings', 'answer-incoming-call.yaml'), join(flows, 'answer-incoming-call.yaml')); // suite answer
    copyFileSync(join(repoRoot, 'recordings', 'bot-hang-up.yaml'), join(flows, 'bot-hang-up.yaml')); // suite call-end: this bot cannot pass it
    const envFile = join(dir, 'bot-env.json');
    const caDir = join(dir, 'ca');
    const ports = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
    const portFlags = ['--graph-port', '--login-port', '--https-graph-port', '--https-login-port', '--proxy-port'].flatMap((f, i) => [f, String(ports[i])]);
    // the same late, undeclared-property, keepAlive-less bot as above, now serving /x only (404 elsewhere):
    // with the rules off, a 50 ms deadline and a 1 ms keepAlive interval change nothing
    const r = await callreplay([
      'run', flows, '--suite', 'answer', '--bot-command', flagBot(`env=${envFile}`, 'path=/x', 'answerDelay=300', 'extra=1'), ...FAST,
      '--webhook-path', '/x', '--no-rules', '--no-schema-check', '--answer-deadline', '50', '--keepalive-interval', '1', '--ca-dir', caDir, '--app-id', APP_ID, ...portFlags, '--report-dir', join(dir, 'out'),
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const ran = flowOf(join(dir, 'out'));
    expect(ran.map((f) => [f.flow, f.status])).toEqual([['answer-incoming-call', 'passed']]); // --suite answer: bot-hang-up not run
    expect(ran[0]!.checks).toEqual(['variant/duplicate-action', 'variant/ack-latency']); // no rule, no schema
    expect(ran[0]!.warnings).toEqual([]); // the undeclared property is not looked at
    // --app-id: the bot's BOT_APP_ID, and the audience of the notification tokens it got
    expect(ran[0]!.botOutput).toContain(`notification token aud=${APP_ID}`);
    const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    const [graph, login, httpsGraph, httpsLogin, proxy] = ports;
    expect(env).toMatchObject({
      BOT_APP_ID: APP_ID,
      GRAPH_BASE_URL: `http://127.0.0.1:${graph}`,
      LOGIN_BASE_URL: `http://127.0.0.1:${login}`,
      CALLS_OPENID_CONFIG_URL: `http://127.0.0.1:${login}/v1/.well-known/OpenIdConfiguration`,
      GRAPH_BASE_URL_HTTPS: `https://127.0.0.1:${httpsGraph}`,
      LOGIN_BASE_URL_HTTPS: `https://127.0.0.1:${httpsLogin}`,
      HTTPS_PROXY: `http://127.0.0.1:${proxy}`,
      NODE_USE_ENV_PROXY: '1',
    });
    // --ca-dir: the CA (and the signing keys) are made there, and the bot is told to trust that CA
    expect(readdirSync(caDir).length).toBeGreaterThan(0);
    expect(env['NODE_EXTRA_CA_CERTS']!.startsWith(caDir)).toBe(true);
    expect(existsSync(env['NODE_EXTRA_CA_CERTS']!)).toBe(true);
    expect(env['SSL_CERT_FILE']).toBe(env['NODE_EXTRA_CA_CERTS']);
  } finally {
    cleanup();
  }
});

test('--intercept https on run: the bot gets only the HTTPS gateway as its base URLs, no proxy and no preload', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const envFile = join(dir, 'bot-env.json');
    const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', flagBot(`env=${envFile}`), ...FAST, '--intercept', 'https', '--ca-dir', join(dir, 'ca'), '--report-dir', join(dir, 'out')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(flowOf(join(dir, 'out')).map((f) => [f.mode, f.status])).toEqual([['https', 'passed']]);
    const env = JSON.parse(readFileSync(envFile, 'utf8')) as Record<string, string>;
    expect(env['GRAPH_BASE_URL']).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(env['GRAPH_BASE_URL']).toBe(env['GRAPH_BASE_URL_HTTPS']);
    expect(env['LOGIN_BASE_URL']).toBe(env['LOGIN_BASE_URL_HTTPS']);
    expect(env['CALLS_OPENID_CONFIG_URL']).toBe(`${env['LOGIN_BASE_URL_HTTPS']}/v1/.well-known/OpenIdConfiguration`);
    expect(env['NODE_EXTRA_CA_CERTS']!.startsWith(join(dir, 'ca'))).toBe(true);
    for (const absent of ['HTTPS_PROXY', 'NODE_USE_ENV_PROXY', 'CALLREPLAY_PRELOAD']) expect(env[absent], absent).toBeUndefined();
    expect(env['NODE_OPTIONS'] ?? '').not.toContain('preload');
  } finally {
    cleanup();
  }
});

test('env: each --intercept way sets its variables; GRAPH_BASE_URL is always set; --app-id, --tenant, --port, --ca-dir and the port flags are printed', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const zero = ['--graph-port', '0', '--login-port', '0', '--https-graph-port', '0', '--https-login-port', '0', '--proxy-port', '0', '--ca-dir', join(dir, 'ca')];
    const env = async (...args: string[]) => {
      const r = await callreplay(['env', '--json', ...zero, ...args]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, string>;
    };
    const [gateway, proxy, preload, https] = await Promise.all([env('--intercept', 'gateway'), env('--intercept', 'proxy'), env('--intercept', 'preload'), env('--intercept', 'https')]);
    const CA = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];
    const PROXY = ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_USE_ENV_PROXY'];
    const contract = ['PORT', 'GRAPH_BASE_URL', 'LOGIN_BASE_URL', 'BOT_APP_ID', 'TENANT_ID', 'CALLS_OPENID_CONFIG_URL'];
    expect(Object.keys(gateway).sort()).toEqual([...contract].sort());
    // without gateway the plain gateway still opens (the preload sends there) and the contract is still set
    expect(Object.keys(proxy).sort()).toEqual([...contract, ...CA, ...PROXY].sort());
    expect(proxy['GRAPH_BASE_URL']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proxy).toMatchObject({ NODE_USE_ENV_PROXY: '1', NO_PROXY: '127.0.0.1,localhost,::1' });
    expect(Object.keys(preload).sort()).toEqual([...contract, 'CALLREPLAY_PRELOAD', 'NODE_OPTIONS'].sort());
    expect(preload['NODE_OPTIONS']).toMatch(/--import=\S*preload\/redirect\.js/);
    expect(Object.keys(https).sort()).toEqual([...contract, ...CA, 'GRAPH_BASE_URL_HTTPS', 'LOGIN_BASE_URL_HTTPS'].sort());
    expect(https['GRAPH_BASE_URL']).toMatch(/^https:/);

    const tenant = 'a1b2c3d4-0000-4000-8000-000000000001';
    const graphPort = await freePort();
    const shell = await callreplay(['env', '--intercept', 'gateway', '--app-id', APP_ID, '--tenant', tenant, '--port', '4123', '--graph-port', String(graphPort), '--login-port', '0']);
    expect(shell.status, shell.stderr).toBe(0);
    expect(shell.stdout).toContain(`export BOT_APP_ID=${APP_ID}\n`);
    expect(shell.stdout).toContain(`export TENANT_ID=${tenant}\n`);
    expect(shell.stdout).toContain('export PORT=4123\n');
    expect(shell.stdout).toContain(`export GRAPH_BASE_URL=http://127.0.0.1:${graphPort}\n`);
  } finally {
    cleanup();
  }
});
