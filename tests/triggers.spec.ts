// Trigger mapping (README, "Trigger mapping"): a flow's trigger, by name, sent to any bot's own
// endpoint. join-api-bot.mjs, written apart from the reference bot, joins a meeting on `POST /join
// { joinUrl }` and has no /api/join-meeting. Mapped, it passes join-meeting-without-media; mapped
// wrong, the flow fails naming the trigger and the mapping; not mapped, the flow is skipped with the
// flag to add, and not failed. Bad mappings exit 2 naming the flag or key; `list --json` shows the
// flows and their triggers. In process where it can be (the nock transport); two CLI runs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { CompiledFlow, CompiledTrigger } from '../harness/engine/plan.js';
import { checkMappings, mapTriggers, parseTriggerConfig, parseTriggerFlag, skipReason, triggersOf, unmappedTriggers, type TriggerMapping } from '../harness/flow/trigger-mapping.js';
import { Harness } from '../harness/runner/harness.js';
import { applicableVariants } from '../harness/variants/index.js';
import { observersFor } from '../harness/runner/run-checks.js';
import { runCommand, type RunArgs } from '../harness/cli/run-command.js';
import { UsageError } from '../harness/cli/resolve-flows.js';
import { printSummary } from '../harness/cli/run-summary.js';
import { notRunChecks, summarize, type FlowResult, type ResultsFile } from '../harness/report/results-file.js';
import { renderJobSummary } from '../harness/report/job-summary.js';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';
import { shippedFlow } from './fixtures/in-process.js';
// @ts-expect-error: a plain JavaScript fixture (a bot as a user would write it), no types
import { startJoinApiBot } from './fixtures/join-api-bot.mjs';

test.describe.configure({ mode: 'parallel' });

const JOIN_BODY = { joinUrl: '${joinWebUrl}', displayName: 'callreplay' };
const joinMapping = (path = '/join'): TriggerMapping => ({ name: 'join-meeting', to: { method: 'POST', path, body: JOIN_BODY }, from: `callreplay.config.yaml: triggers.join-meeting` });
const joinApiBot = `"${process.execPath}" "${join(repoRoot, 'tests', 'fixtures', 'join-api-bot.mjs')}"`;

/** Runs `flow` in process (nock) against join-api-bot, with the run's checks (rules, schemas). */
async function runAgainstJoinApiBot(flow: CompiledFlow) {
  const harness = await Harness.start({ transport: 'nock', observers: observersFor({ rules: {}, schema: true, variants: [], ackThresholdMs: 1000 }) });
  const bot = (await startJoinApiBot({ PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId })) as { url: string; stop(): Promise<void> };
  try {
    return await harness.run(flow, bot.url);
  } finally {
    await bot.stop();
    await harness.close();
  }
}

test('the shipped trigger flows name their triggers and the values each passes', async () => {
  const names = ['join-meeting-without-media', 'invite-participants', 'join-meeting-by-token', 'join-meeting-by-join-meeting-id', 'create-meeting-and-join'];
  const triggers = Object.fromEntries(await Promise.all(names.map(async (n) => [n, triggersOf(await shippedFlow(n))] as const)));
  const joinMeeting = { id: 'join-meeting', values: ['joinWebUrl', 'threadId', 'messageId', 'organizerId', 'tenantId'] };
  expect(triggers).toEqual({
    'join-meeting-without-media': [joinMeeting],
    'invite-participants': [joinMeeting, { id: 'invite', values: ['callId', 'userId', 'tenantId', 'displayName'] }],
    'join-meeting-by-token': [{ id: 'join-meeting-by-token', values: ['token', 'tenantId'] }],
    'join-meeting-by-join-meeting-id': [{ id: 'join-meeting-by-id', values: ['joinMeetingId', 'passcode', 'tenantId'] }],
    'create-meeting-and-join': [{ id: 'create-meeting-and-join', values: ['subject', 'tenantId'] }],
  });
  // every shipped trigger has a name: none is left that a bot other than the reference bot could never run
  for (const f of readdirSync(join(repoRoot, 'recordings')).filter((x) => x.endsWith('.yaml'))) {
    const flow = await shippedFlow(f.replace(/\.yaml$/, ''));
    for (const s of flow.steps.filter((x): x is CompiledTrigger => x.kind === 'trigger')) expect(s.id, `${f}: ${s.name}`).toMatch(/^[a-z][a-z0-9-]*$/);
  }
});

test("README's table of shipped triggers names every trigger, the flows that have it and every value it passes", async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('| trigger | flows | values it passes |');
  expect(start).toBeGreaterThan(0);
  const rows = readme.slice(start).split('\n').slice(2).filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')));
  const cells = new Map(rows.map((r) => r.split('|').slice(1, -1).map((c) => c.trim())).map((c) => [c[0]!.replace(/`/g, ''), c]));
  const byTrigger = new Map<string, { flows: Set<string>; values: Set<string> }>();
  for (const f of readdirSync(join(repoRoot, 'recordings')).filter((x) => x.endsWith('.yaml'))) {
    const flow = await shippedFlow(f.replace(/\.yaml$/, ''));
    for (const t of triggersOf(flow)) {
      const entry = byTrigger.get(t.id) ?? { flows: new Set(), values: new Set() };
      entry.flows.add(flow.name);
      for (const v of t.values) entry.values.add(v);
      byTrigger.set(t.id, entry);
    }
  }
  expect([...cells.keys()].sort(), 'README.md, "Trigger mapping": one row per shipped trigger').toEqual([...byTrigger.keys()].sort());
  const named = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort();
  for (const [id, { flows, values }] of byTrigger) {
    expect(named(cells.get(id)![1]!), `README.md, trigger ${id}: its flows`).toEqual([...flows].sort());
    expect(named(cells.get(id)![2]!), `README.md, trigger ${id}: its values`).toEqual([...values].sort());
  }
});

test('a mapped trigger is sent to the mapped endpoint: method, path with its values URL-encoded, the body template read with the values', async () => {
  const flow = mapTriggers(await shippedFlow('invite-participants'), [
    { name: 'join-meeting', to: { method: 'PUT', path: '/meetings/${threadId}/join', headers: { 'x-org': '${organizerId}' } }, from: '--trigger join-meeting=PUT:/meetings/${threadId}/join' },
    { name: 'invite', to: { method: 'POST', path: '/calls/${callId}/people', body: { who: ['${userId}'], tenant: '${tenant}' } }, from: 'x' },
  ]);
  const [joinStep, invite] = flow.steps.filter((s): s is CompiledTrigger => s.kind === 'trigger');
  const scope = new Map<string, unknown>([['thread', 'aaaaaaaa-0000-0000-0000-000000000001'], ['organizer', 'org-1'], ['tenant', 'ten-1'], ['meetingCall', 'call-1'], ['invitee', 'user-1']]);
  expect(joinStep!.method).toBe('PUT');
  expect(joinStep!.path(scope)).toBe(`/meetings/${encodeURIComponent('19:meeting_AAAAAAAA000000000000000000000001@thread.v2')}/join`);
  expect(joinStep!.headers!(scope)).toEqual({ 'x-org': 'org-1' });
  // no body template: the trigger's values are the JSON body
  expect(joinStep!.body!(scope)).toMatchObject({ threadId: '19:meeting_AAAAAAAA000000000000000000000001@thread.v2', messageId: '0', organizerId: 'org-1', tenantId: 'ten-1' });
  expect(String((joinStep!.body!(scope) as { joinWebUrl: string }).joinWebUrl)).toContain('/l/meetup-join/19%3ameeting_AAAAAAAA000000000000000000000001%40thread.v2/0?context=');
  expect(invite!.path(scope)).toBe('/calls/call-1/people');
  expect(invite!.body!(scope)).toEqual({ who: ['user-1'], tenant: 'ten-1' });
  expect(invite!.mapping).toBe('x');
  // reference (or no mapping): as the flow writes it
  const asWritten = mapTriggers(await shippedFlow('invite-participants'), [{ name: '*', to: 'reference', from: '--trigger *=reference' }]);
  expect((asWritten.steps[0] as CompiledTrigger).path(scope)).toBe('/api/join-meeting');
});

test('join-api-bot (POST /join { joinUrl }) passes join-meeting-without-media and its variants through a mapping; mapped to a path it lacks, the flow fails naming the trigger and the mapping', async () => {
  const flow = await shippedFlow('join-meeting-without-media');
  const passed = await runAgainstJoinApiBot(mapTriggers(flow, [joinMapping()]));
  expect(passed.findings).toEqual([]);
  expect(passed.status).toBe('passed');
  const sent = passed.transcript.entries.find((e) => e.kind === 'trigger')!;
  expect(sent).toMatchObject({ method: 'POST', body: { joinUrl: expect.stringContaining('https://teams.microsoft.com/l/meetup-join/'), displayName: 'callreplay' } });
  expect(new URL(sent.url!).pathname).toBe('/join');
  // the robustness variants of the flow keep the mapping, and this bot passes them too
  const variants = applicableVariants(flow);
  expect(variants.length).toBeGreaterThanOrEqual(3);
  for (const v of variants) expect((await runAgainstJoinApiBot(mapTriggers(v, [joinMapping()]))).findings, v.name).toEqual([]);

  // not mapped: the reference bot's path, which this bot does not have (hence: skipped by `callreplay run`, below)
  const unmapped = await runAgainstJoinApiBot(flow);
  expect(unmapped.findings[0]).toMatchObject({ kind: 'bad-ack', step: 1 });
  expect(unmapped.findings[0]!.message).toContain('the bot answered the trigger join-meeting "ask the bot to join the meeting" with HTTP 404');

  const wrong = await runAgainstJoinApiBot(mapTriggers(flow, [joinMapping('/jion')]));
  expect(wrong.status).toBe('failed');
  expect(wrong.findings).toHaveLength(1);
  expect(wrong.findings[0]).toMatchObject({ kind: 'bad-ack', step: 1, stepName: 'ask the bot to join the meeting' });
  expect(wrong.findings[0]!.message).toBe(
    'the bot answered the trigger join-meeting "ask the bot to join the meeting" with HTTP 404: {"error":"no POST /jion"} (expected 2xx; sent as mapped by callreplay.config.yaml: triggers.join-meeting: POST /jion (check the mapping\'s method, path and body against the bot\'s API))',
  );
});

test('mapping syntax and names: each bad mapping is refused naming the flag or key', async () => {
  expect(parseTriggerFlag('join-meeting=post:/join')).toEqual({ name: 'join-meeting', to: { method: 'POST', path: '/join' }, from: '--trigger join-meeting=post:/join' });
  expect(parseTriggerFlag('*=reference').to).toBe('reference');
  const bad: Array<[string, string]> = [
    ['join-meeting', '--trigger join-meeting: expected NAME=METHOD:PATH (e.g. join-meeting=POST:/join) or NAME=reference'],
    ['join-meeting=FETCH:/join', '--trigger join-meeting=FETCH:/join: expected NAME=METHOD:PATH'],
    ['join-meeting=POST:join', '--trigger join-meeting=POST:join: expected NAME=METHOD:PATH'],
    ['Join=POST:/join', '--trigger Join=POST:/join: "Join" is not a trigger name'],
    ['*=POST:/join', '--trigger *=POST:/join: "*" maps every trigger to the reference bot\'s API only'],
    ['join-meeting=POST:/join/${x', '--trigger join-meeting=POST:/join/${x: unterminated placeholder'],
  ];
  for (const [flag, message] of bad) expect(() => parseTriggerFlag(flag), flag).toThrow(message);

  const file = 'callreplay.config.yaml';
  expect(parseTriggerConfig({ 'join-meeting': { method: 'post', path: '/join', body: JOIN_BODY }, invite: 'POST:/invite', '*': 'reference' }, file).map((m) => [m.name, m.to, m.from])).toEqual([
    ['join-meeting', { method: 'POST', path: '/join', body: JOIN_BODY }, `${file}: triggers.join-meeting`],
    ['invite', { method: 'POST', path: '/invite' }, `${file}: triggers.invite`],
    ['*', 'reference', `${file}: triggers.*`],
  ]);
  expect(parseTriggerConfig(['invite=POST:/invite'], file)[0]!.from).toBe(`${file}: triggers[0] (invite=POST:/invite)`);
  expect(() => parseTriggerConfig({ 'join-meeting': { method: 'POST', path: '/join', bdy: {} } }, file)).toThrow(`${file}: triggers.join-meeting: unknown field "bdy"; a mapping has method, path, body and headers`);
  expect(() => parseTriggerConfig({ 'join-meeting': { method: 'POST' } }, file)).toThrow(`${file}: triggers.join-meeting.path must be a path on the bot starting with /`);
  expect(() => parseTriggerConfig({ 'join-meeting': { method: 'GET', path: '/join', body: {} } }, file)).toThrow(`${file}: triggers.join-meeting: a GET sends no body`);
  expect(() => parseTriggerConfig('POST:/join', file)).toThrow(`${file}: triggers must be an object of trigger name -> { method, path, body?, headers? }`);

  // against the flows: a name no flow has, a template name the trigger does not pass
  const flows = [await shippedFlow('join-meeting-without-media'), await shippedFlow('join-meeting-by-token')];
  expect(() => checkMappings(flows, [parseTriggerFlag('join-meting=POST:/join')])).toThrow('--trigger join-meting=POST:/join: no flow has a trigger named "join-meting" (did you mean "join-meeting"?); the selected flows\' triggers are join-meeting, join-meeting-by-token');
  expect(() => checkMappings(flows, [parseTriggerFlag('invite=POST:/invite')], new Set(['invite']))).not.toThrow(); // another flow's (e.g. a shipped one's)
  expect(() => checkMappings(flows, [{ ...joinMapping(), to: { method: 'POST', path: '/join', body: { joinUrl: '${joinUrl}' } } }])).toThrow(
    'callreplay.config.yaml: triggers.join-meeting: ${joinUrl} in its body is not a value of trigger "join-meeting" in flow join-meeting-without-media',
  );
  expect(() => checkMappings(flows, [{ ...joinMapping(), to: { method: 'POST', path: '/join/${meetingToken}' } }])).toThrow('${meetingToken} in its path is not a value of trigger "join-meeting"');
  // the flow's own names are allowed too
  expect(() => checkMappings(flows, [{ ...joinMapping(), to: { method: 'POST', path: '/join/${tenant}/${thread:hex}' } }])).not.toThrow();

  expect(unmappedTriggers(await shippedFlow('invite-participants'), [joinMapping()])).toEqual(['invite']);
  expect(unmappedTriggers(await shippedFlow('invite-participants'), [parseTriggerFlag('*=reference')])).toEqual([]);
  expect(skipReason(['join-meeting'])).toBe("trigger 'join-meeting' is not mapped to this bot: add --trigger join-meeting=METHOD:PATH (or `triggers` in callreplay.config)");
});

test('a run in which every flow would be skipped stops before anything starts (exit 2), naming the flags to add', async () => {
  const args = { flows: ['join-meeting-by-token', 'invite-participants'], botUrl: 'http://127.0.0.1:9/api/calls', webhookPath: '/api/calls', readyTimeout: 1000, reportDir: 'unused', ports: {}, authCheck: true, refusalChecks: true, checks: { schema: true, variants: [], ackThresholdMs: 1000 }, triggers: [joinMapping()] } satisfies RunArgs;
  const error = await runCommand(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toContain('no flow can run against this bot: every selected flow starts from a trigger with no mapping');
  expect((error as Error).message).toContain("join-meeting-by-token: trigger 'join-meeting-by-token' is not mapped to this bot: add --trigger join-meeting-by-token=METHOD:PATH");
  expect((error as Error).message).toContain("invite-participants: trigger 'invite' is not mapped to this bot: add --trigger invite=METHOD:PATH");
});

test('callreplay run: a config file maps join-meeting onto the bot\'s POST /join with a body template; the flow it cannot map is skipped with the flag to add, not failed', async () => {
  test.setTimeout(60_000);
  const { dir, cleanup } = tempDir('callreplay-triggers-');
  try {
    writeFileSync(
      join(dir, 'callreplay.config.yaml'),
      [
        'flows: [join-meeting-without-media, join-meeting-by-token]',
        `botCommand: '${joinApiBot}'`,
        'variants: none',
        'authCheck: false',
        'refusalChecks: false',
        'triggers:',
        '  join-meeting:',
        '    method: POST',
        '    path: /join',
        "    body: { joinUrl: '${joinWebUrl}', displayName: callreplay }",
        '',
      ].join('\n'),
    );
    const r = await callreplay(['run', '--report-dir', 'out'], { cwd: dir, timeoutMs: 50_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const reason = "trigger 'join-meeting-by-token' is not mapped to this bot: add --trigger join-meeting-by-token=METHOD:PATH (or `triggers` in callreplay.config)";
    expect(r.stdout).toContain(`callreplay: 1 flow(s) skipped, not run against this bot:\n    join-meeting-by-token: ${reason}`);
    expect(r.stdout).toContain('callreplay: 1 of 1 flow(s) passed, 1 skipped; ');
    const results = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as { flows: Array<{ flow: string; kind: string; status: string; notRun?: string }>; notRun: unknown[] };
    const flows = results.flows.filter((f) => f.kind === 'flow').map((f) => ({ flow: f.flow, status: f.status, notRun: f.notRun }));
    expect(flows.sort((a, b) => a.flow.localeCompare(b.flow))).toEqual([
      { flow: 'join-meeting-by-token', status: 'skipped', notRun: reason },
      { flow: 'join-meeting-without-media', status: 'passed', notRun: undefined },
    ]);
    expect(results.notRun).toContainEqual({ check: 'flow', flow: 'join-meeting-by-token', reason });
    expect(readFileSync(join(dir, 'out', 'junit.xml'), 'utf8')).toContain(`<skipped message="not run: trigger 'join-meeting-by-token' is not mapped to this bot: add --trigger join-meeting-by-token=METHOD:PATH`);
    const summary = readFileSync(join(dir, 'out', 'summary.md'), 'utf8');
    expect(summary).toContain('## callreplay: 1 of 1 flow(s) passed, 1 skipped ✅');
    expect(summary).toMatch(/\| join-meeting-by-token \| skipped: trigger 'join-meeting-by-token' is not mapped to this bot: add --trigger join-meeting-by-token=METHOD:PATH/);
  } finally {
    cleanup();
  }
});

test('callreplay: bad --trigger syntax exits 2 naming the flag; list --json prints name, suite, api, description, file and triggers of each flow', async () => {
  const [bad, list] = await Promise.all([callreplay(['run', '--trigger', 'join-meeting/POST:/join', 'join-meeting-without-media']), callreplay(['list', '--json', 'join-meeting-without-media', 'answer-incoming-call'])]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('callreplay: --trigger join-meeting/POST:/join: expected NAME=METHOD:PATH (e.g. join-meeting=POST:/join) or NAME=reference');
  expect(list.status, list.stderr).toBe(0);
  const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
  expect(rows.map((r) => Object.keys(r))).toEqual([
    ['name', 'suite', 'api', 'description', 'file', 'triggers'],
    ['name', 'suite', 'api', 'description', 'file', 'triggers'],
  ]);
  expect(rows[0]).toMatchObject({ name: 'join-meeting-without-media', suite: 'meetings', api: 'beta', file: join(repoRoot, 'recordings', 'join-meeting-without-media.yaml') });
  expect(rows[0]!['triggers']).toEqual([{ id: 'join-meeting', values: ['joinWebUrl', 'threadId', 'messageId', 'organizerId', 'tenantId'] }]);
  expect(rows[1]).toMatchObject({ name: 'answer-incoming-call', triggers: [] });
  expect(typeof rows[1]!['description']).toBe('string');
});

test('the verdict counts skipped flows apart: passed flows and skipped ones exit 0; merged shards in which no flow ran exit 2, saying so', () => {
  const reason = skipReason(['join-meeting']);
  const flow = (name: string, status: FlowResult['status'], notRun?: string): FlowResult => ({ flow: name, kind: 'flow', mode: 'gateway', title: `${name}: ...`, status, durationMs: 1, retry: 0, failures: [], warnings: [], errors: [], ...(notRun ? { notRun } : {}) });
  const results = (flows: FlowResult[]): ResultsFile => ({ tool: 'callreplay', version: 2, startedAt: '', durationMs: 1, status: 'passed', summary: summarize(flows), flows, notRun: notRunChecks(flows) });
  const print = (r: ResultsFile) => {
    const out: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...a: unknown[]) => out.push(a.join(' '));
    console.error = (...a: unknown[]) => out.push(a.join(' '));
    try {
      return { status: printSummary(r, { maxFailures: 0, html: 'html/index.html' }, 0), out: out.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
    }
  };
  const mixed = print(results([flow('answer-incoming-call', 'passed'), flow('invite-participants', 'skipped', reason)]));
  expect(mixed.status).toBe(0);
  expect(mixed.out).toContain(`callreplay: 1 flow(s) skipped, not run against this bot:\n    invite-participants: ${reason}`);
  expect(mixed.out).toContain('callreplay: 1 of 1 flow(s) passed, 1 skipped; ');

  const none = results([flow('invite-participants', 'skipped', reason), flow('join-meeting-without-media', 'skipped', reason)]);
  const nothing = print(none);
  expect(nothing.status).toBe(2);
  expect(nothing.out).toContain('callreplay: 0 of 0 flow(s) passed, 2 skipped; ');
  expect(nothing.out).toContain('callreplay: no flow ran: all 2 were skipped (exit 2)');
  expect(renderJobSummary(none)).toContain('## callreplay: 0 of 0 flow(s) passed, 2 skipped ⚠️ no flow ran');
});
