// Each defective bot fails the transfer flow at the right step, with a message naming its defect.
import { expect, test } from '@playwright/test';
import { formatFinding } from '../harness/engine/findings.js';
import { defectiveBot, type Defect } from './fixtures/defective-bots.js';
import { runInProcess, shippedFlow } from './fixtures/in-process.js';

interface Case {
  defect: Defect;
  kind: string;
  /** the step where the run stands when the bad request arrives */
  step: number;
  /** other steps it may stand at: the bot reacts asynchronously (it acknowledges first, then acts) */
  orStep?: number[];
  stepName: string;
  message: RegExp;
}

const cases: Case[] = [
  {
    defect: 'wrong-replaces-call-id',
    kind: 'incorrect',
    step: 8,
    stepName: 'invite the caller into the meeting',
    message: /body\.participants\[0\]\.replacesCallId: expected p2pCall \([0-9a-f-]{36}\), got meetingCall \(/,
  },
  {
    defect: 'invite-before-established',
    kind: 'out-of-order',
    step: 6,
    stepName: 'meeting call establishing',
    orStep: [7],
    message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite \(step 8, invite the caller into the meeting\) was sent before (step 6 \(meeting call establishing\), )?step 7 \(meeting call established\) was delivered/,
  },
  {
    defect: 'invite-on-p2p-call',
    kind: 'incorrect',
    step: 8,
    stepName: 'invite the caller into the meeting',
    message: /POST \/beta\/app\/calls\/\{p2pCall\}\/participants\/invite went to the wrong resource: expected POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite/,
  },
  {
    defect: 'wrong-identity',
    kind: 'incorrect',
    step: 8,
    stepName: 'invite the caller into the meeting',
    message: /body\.participants\[0\]\.identity\.user\.id: expected caller \([0-9a-f-]{36}\), got "[0-9a-f-]{36}"/,
  },
  {
    defect: 'no-bearer-token',
    kind: 'unauthorized',
    step: 2,
    stepName: 'answer',
    message: /POST \/beta\/app\/calls\/\{p2pCall\}\/answer has no Authorization header/,
  },
  {
    defect: 'extra-request',
    kind: 'unexpected',
    step: 10,
    orStep: [11, 12],
    stepName: 'meeting roster updated with the caller',
    message: /unexpected request DELETE \/beta\/app\/calls\/\{p2pCall\}: the flow does not list it/,
  },
  {
    defect: 'never-answers',
    kind: 'missing',
    step: 2,
    stepName: 'answer',
    message: /the bot never sent POST \/beta\/app\/calls\/\{p2pCall\}\/answer \(waited 1500 ms; last sent: step 1, incoming call\)/,
  },
];

for (const c of cases) {
  test(`a bot with the defect "${c.defect}" fails at step ${c.step} (${c.kind})`, async () => {
    const flow = await shippedFlow('p2p-to-meeting-transfer', 1500);
    const outcome = await runInProcess(flow, (env) => defectiveBot(c.defect, env));
    expect(outcome.status).toBe('failed');
    expect(outcome.findings).toHaveLength(1);
    const f = outcome.findings[0]!;
    expect(formatFinding(f)).toMatch(c.message);
    expect(f.kind).toBe(c.kind);
    expect([c.step, ...(c.orStep ?? [])]).toContain(f.step);
    if (f.step === c.step) expect(f.stepName).toBe(c.stepName);
    // the transcript marks where it went wrong
    expect(outcome.transcript.entries.some((e) => e.failed)).toBe(c.kind !== 'missing');
  });
}

test('an unexpected request comes with a ready-to-paste step', async () => {
  const outcome = await runInProcess(await shippedFlow('p2p-to-meeting-transfer', 1500), (env) => defectiveBot('extra-request', env));
  const text = formatFinding(outcome.findings[0]!);
  expect(text).toContain('if the bot is right, add this step to the flow:');
  expect(text).toContain('- expect: { name: hang up, method: DELETE, path: "/beta/app/calls/${p2pCall}", respond: { status: 204 } }');
});

test('an incorrect request carries a readable diff of the bodies', async () => {
  const flow = await shippedFlow('p2p-to-meeting-transfer', 1500);
  const outcome = await runInProcess(flow, (env) => defectiveBot('wrong-replaces-call-id', env));
  const f = outcome.findings[0]!;
  expect(f.mismatches).toEqual([expect.objectContaining({ path: 'body.participants[0].replacesCallId' })]);
  expect(f.diff).toMatch(/^-\s+"replacesCallId": "[0-9a-f-]{36}"$/m);
  expect(f.diff).toMatch(/^\+\s+"replacesCallId": "[0-9a-fA-F-]{32,36}"$/m);
  expect(f.received?.url).toMatch(/\/participants\/invite$/);
});
