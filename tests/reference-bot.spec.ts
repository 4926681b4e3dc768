// Every shipped flow passes against the reference bot in-process (nock); the separate-process
// form is covered by the CLI tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ReferenceBot } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import { recordingsDir, runInProcess, shippedFlow } from './fixtures/in-process.js';
import { ReplayingIdsBot } from './fixtures/replaying-bot.js';

const flows = readdirSync(recordingsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

for (const name of flows) {
  test(`in-process: ${name} passes against the reference bot`, async () => {
    const outcome = await runInProcess(await shippedFlow(name), (env) => new ReferenceBot(configFromEnv(env)));
    expect(outcome.findings).toEqual([]);
    expect(outcome.status).toBe('passed');
    const kinds = outcome.transcript.entries.map((e) => e.kind);
    expect(kinds).toContain('token-request');
    expect(kinds.filter((k) => k === 'request').length).toBeGreaterThan(0);
    // every notification was acknowledged with 2xx
    const acks = outcome.transcript.entries.filter((e) => e.kind === 'ack');
    expect(acks.length).toBe(outcome.transcript.entries.filter((e) => e.kind === 'notification').length);
    for (const a of acks) {
      expect(a.status).toBeGreaterThanOrEqual(200);
      expect(a.status).toBeLessThan(300);
    }
  });
}

test('fresh ids every run: a bot replaying the ids of a recorded run fails at the answer', async () => {
  const flow = await shippedFlow('answer-incoming-call');
  // the recording: a run of the flow, and the call id it holds
  const recorded = await runInProcess(flow, (env) => new ReferenceBot(configFromEnv(env)));
  expect(recorded.status).toBe('passed');
  const recordedCallId = Object.entries(recorded.transcript.idNames).find(([, n]) => n === 'call')![0];
  // a bot that answers that id, whatever the notification says
  const outcome = await runInProcess(flow, (env) => new ReplayingIdsBot(env, recordedCallId));
  expect(outcome.status).toBe('failed');
  expect(outcome.findings).toHaveLength(1);
  const f = outcome.findings[0]!;
  expect({ kind: f.kind, rule: f.rule, step: f.step, stepName: f.stepName }).toEqual({ kind: 'incorrect', rule: undefined, step: 2, stepName: 'answer with service-hosted media' });
  expect(f.message).toBe(`POST /beta/app/calls/${recordedCallId}/answer went to the wrong resource: expected POST /beta/app/calls/{call}/answer`);
  expect(f.received?.url).toBe(`/beta/app/calls/${recordedCallId}/answer`);
  const callId = Object.entries(outcome.transcript.idNames).find(([, n]) => n === 'call')![0];
  expect(callId).not.toBe(recordedCallId);
});

test('every shipped flow names the reference bot file that plays it, and that file exists', () => {
  const missing: string[] = [];
  for (const name of flows) {
    const header = readFileSync(join(recordingsDir, `${name}.yaml`), 'utf8');
    const files = [...(/^# Reference bot: (.*)$/m.exec(header)?.[1] ?? '').matchAll(/examples\/reference-bot\/[\w-]+\.ts/g)].map((m) => m[0]);
    if (files.length === 0) missing.push(`${name}: no "# Reference bot:" line`);
    for (const file of files) if (!existsSync(join(recordingsDir, '..', file))) missing.push(`${name}: ${file} does not exist`);
  }
  expect(flows.length).toBeGreaterThanOrEqual(32);
  expect(missing).toEqual([]);
});
