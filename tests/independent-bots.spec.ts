// An independent-bot corpus (issue 8): four small calling bots written apart from the reference bot
// (tests/fixtures/independent-bots/*.mjs, one self-contained file each, sharing no code), each run
// through the real `callreplay run` as a child process:
//   - with the default settings (every variant, the notification-auth check): exit 0, every test
//     passed, and the variants and auth checks really ran;
//   - with its one deliberate defect (DEFECT=<name>, no variants, no auth check): exit 1, and the
//     report names the step, the finding kind and what was wrong.
// The bots' tests run in parallel: one CLI run per bot per mode.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { AUTH_VARIANTS } from '../harness/engine/ports.js';
import { loadFlowFile } from '../harness/flow/load-flow.js';
import { applicableVariants } from '../harness/variants/index.js';
import { callreplay, repoRoot, tempDir } from './fixtures/cli.js';
import type { ResultsSummary } from '../harness/report/results-file.js';

interface Failure {
  step?: number;
  stepName?: string;
  kind: string;
  message: string;
  text: string;
}
interface FlowResult {
  flow: string;
  mode?: string;
  variant?: string;
  status: string;
  failures: Failure[];
  errors: string[];
  botOutput?: string;
  notRun?: string;
}
interface Results {
  summary: ResultsSummary;
  flows: FlowResult[];
}

interface BotCase {
  /** file name in tests/fixtures/independent-bots/, without .mjs */
  bot: string;
  /** what sets it apart from the reference bot */
  about: string;
  /** the shipped flows it implements */
  flows: string[];
  /** the line the bot prints when it refuses a notification's token */
  refusal: RegExp;
  defect: {
    name: string;
    /** the flow the defect fails (the bot's other flows still pass) */
    flow: string;
    step: number;
    kind: string;
    /** what results.json and stdout must say about it */
    message: RegExp;
  };
}

const BOTS: BotCase[] = [
  {
    bot: 'token-cache-bot',
    about: 'one client-credentials token for TENANT_ID, cached for its lifetime; fetch; jose',
    flows: ['p2p-to-meeting-transfer-v1'],
    refusal: /\[token-cache-bot\] refused a notification/g,
    defect: {
      name: 'replaces-meeting-call',
      flow: 'p2p-to-meeting-transfer-v1',
      step: 8,
      kind: 'incorrect',
      message: /body\.participants\[0\]\.replacesCallId: expected p2pCall \([0-9a-f-]{36}\), got meetingCall \([0-9a-f-]{36}\)/,
    },
  },
  {
    bot: 'resource-url-only-bot',
    about: 'reads only resourceUrl; node:http client; node:crypto JWT check',
    flows: ['blind-transfer', 'reject-incoming-call'],
    refusal: /\[resource-url-only-bot\] 401 for a notification/g,
    defect: {
      name: 'transfer-on-establishing',
      flow: 'blind-transfer',
      step: 4,
      kind: 'out-of-order',
      message: /POST \/v1\.0\/communications\/calls\/\{call\}\/transfer \(step 5, blind transfer to the target\) was sent before step 4 \(call established\)/,
    },
  },
  {
    bot: 'resource-only-bot',
    about: 'a 2019-era beta bot: reads only the legacy resource and builds URLs from it; node:crypto createVerify',
    flows: ['p2p-to-meeting-transfer'],
    refusal: /\[resource-only-bot\] rejected a notification/g,
    defect: {
      name: 'invite-too-early',
      flow: 'p2p-to-meeting-transfer',
      step: 6,
      kind: 'out-of-order',
      message: /POST \/beta\/app\/calls\/\{meetingCall\}\/participants\/invite \(step 8, invite the caller into the meeting\) was sent before step 6 \(meeting call establishing\)/,
    },
  },
  {
    bot: 'client-context-bot',
    about: 'correlates operations by the exact clientContext it sent; jose key resolver',
    flows: ['ivr-play-prompt-and-tones', 'failed-operation'],
    refusal: /\[client-context-bot\] refused: /g,
    defect: {
      name: 'ignores-tone',
      flow: 'ivr-play-prompt-and-tones',
      step: 8,
      kind: 'out-of-order',
      message: /POST \/v1\.0\/communications\/calls\/\{call\}\/transfer \(step 9, blind transfer to the operator\) was sent before step 8 \(caller presses 1\)/,
    },
  },
];

const VARIANT = 'variant';
const AUTH = 'notification-auth';
const REFUSAL = 'refusal';

const botCommand = (bot: string, defect?: string) =>
  `${defect ? `DEFECT=${defect} ` : ''}"${process.execPath}" "${join(repoRoot, 'tests', 'fixtures', 'independent-bots', `${bot}.mjs`)}"`;

const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;

/** `flow~variant (mode): finding` for every test that did not pass */
function notPassed(results: Results): string[] {
  return results.flows
    .filter((f) => f.status !== 'passed')
    .map((f) => {
      const what = f.mode === VARIANT ? `${f.flow}~${f.variant}` : f.mode === AUTH ? `${f.flow} (notification auth)` : f.flow;
      return `${what}: ${f.failures.map((x) => x.text).join('\n') || f.errors.join('\n') || f.status}`;
    });
}

/** The variants `callreplay run` applies to a flow by default (kinds in run order). */
async function defaultVariants(flow: string): Promise<string[]> {
  return applicableVariants(await loadFlowFile(join(repoRoot, 'recordings', `${flow}.yaml`))).map((v) => v.variant.kind);
}

test.describe.configure({ mode: 'parallel' });

for (const c of BOTS) {
  test.describe(`${c.bot} (${c.about})`, () => {
    test(`passes ${c.flows.join(' and ')} with every variant and the notification-auth check`, async () => {
      test.setTimeout(150_000);
      const { dir, cleanup } = tempDir(`callreplay-${c.bot}-`);
      try {
        const r = await callreplay(['run', ...c.flows, '--bot-command', botCommand(c.bot), '--report-dir', dir], { timeoutMs: 140_000 });
        const results = readResults(dir);
        expect(notPassed(results), `${c.bot}: tests that did not pass\n${r.stdout.slice(-3000)}`).toEqual([]);
        expect(r.status, r.stdout.slice(-3000)).toBe(0);

        const flowRuns = results.flows.filter((f) => f.mode !== VARIANT && f.mode !== AUTH && f.mode !== REFUSAL);
        // the refusal checks ran once, and the bot refused or ignored every hostile delivery
        expect(results.flows.filter((f) => f.mode === REFUSAL).map((f) => f.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
        const variants = results.flows.filter((f) => f.mode === VARIANT);
        const auth = results.flows.filter((f) => f.mode === AUTH);
        expect(flowRuns.map((f) => f.flow).sort()).toEqual([...c.flows].sort());
        // the variants ran, each a test of its own: every variant the run applies by default to each flow
        // (at least three, duplicate delivery among them)
        for (const flow of c.flows) {
          const ran = variants.filter((v) => v.flow === flow).map((v) => v.variant);
          expect(ran, flow).toEqual(await defaultVariants(flow));
          expect(ran, flow).toContain('duplicate-delivery');
          expect(ran.length, flow).toBeGreaterThanOrEqual(3);
        }
        const expectedVariants = variants.length;
        // the auth check ran for every flow (they all start with a notification)
        expect(auth.map((f) => f.flow).sort()).toEqual([...c.flows].sort());
        // ... and the bot itself refused every broken token (it says so once per token; other calls
        // in flight meanwhile, e.g. the refusal checks, may add lines of their own)
        for (const a of auth) expect(a.botOutput?.match(c.refusal)?.length ?? 0, `${a.flow}: refusals in the bot output`).toBeGreaterThanOrEqual(AUTH_VARIANTS.length);
        expect(r.stdout).toContain(
          `callreplay: ${c.flows.length} of ${c.flows.length} flow(s) passed; variants: ${expectedVariants} of ${expectedVariants} passed; notification auth: ${c.flows.length} of ${c.flows.length} check(s) passed; refusal checks: 5 of 5 passed`,
        );
      } finally {
        cleanup();
      }
    });

    test(`DEFECT=${c.defect.name} fails ${c.defect.flow} at step ${c.defect.step} (${c.defect.kind})`, async () => {
      test.setTimeout(60_000);
      const { dir, cleanup } = tempDir(`callreplay-${c.bot}-defect-`);
      try {
        const r = await callreplay(['run', ...c.flows, '--bot-command', botCommand(c.bot, c.defect.name), '--variants', 'none', '--no-auth-check', '--no-refusal-checks', '--report-dir', dir], { timeoutMs: 50_000 });
        expect(r.status, r.stdout.slice(-3000)).toBe(1);
        const passed = c.flows.length - 1;
        expect(r.stdout).toContain(`callreplay: ${passed} of ${c.flows.length} flow(s) passed; variants not run (--variants none); auth not checked (--no-auth-check)`);
        expect(r.stdout).toContain(`✘ ${c.defect.flow} (failed)`);
        expect(r.stdout).toMatch(new RegExp(`step ${c.defect.step} \\([^)]*\\): ${c.defect.message.source}`));

        const results = readResults(dir);
        // the defect fails its flow and nothing else: the other flows pass; the variants, the auth
        // check and the refusal checks (each bot passes those in its every-variant run above) are not run
        expect(results.summary).toMatchObject({
          tests: { total: c.flows.length + 3, passed, failed: 1, skipped: 3 },
          flows: { total: c.flows.length, passed, failed: 1, skipped: 0 },
        });
        const failed = results.flows.find((f) => f.flow === c.defect.flow)!;
        expect(failed.status).toBe('failed');
        expect(failed.failures[0]).toMatchObject({ step: c.defect.step, kind: c.defect.kind });
        expect(failed.failures[0]!.message).toMatch(c.defect.message);
        // the bot's other flows are not affected by the defect
        for (const other of results.flows.filter((f) => f.flow !== c.defect.flow && f.notRun === undefined)) expect(other.status, other.flow).toBe('passed');
      } finally {
        cleanup();
      }
    });
  });
}
