// What the report is built from, without a browser: flow positions carried from the YAML (and
// JSON) parse into the plan, titles free of Playwright tags, the step text (bearer cut short), the
// stylesheet injected into the HTML report once however often it runs.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { parseFlow } from '../harness/flow/load-flow.js';
import { planTests, untagged } from '../harness/runner/test-plan.js';
import { VARIANT_KINDS } from '../harness/variants/table.js';
import { stepText } from '../harness/runner/step-report.js';
import { REPORT_STYLE_ID, styleHtmlReport } from '../harness/report/html-report-style.js';
import { repoRoot, tempDir } from './fixtures/cli.js';

const recordings = join(repoRoot, 'recordings');
const flowFiles = readdirSync(recordings)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(recordings, f));

test('every step and the flow name carry their line in the flow file, for YAML and JSON alike', () => {
  const file = join(recordings, 'p2p-to-meeting-transfer.yaml');
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const flow = parseFlow(text, file);
  expect(lines[flow.at!.line - 1]).toBe('name: p2p-to-meeting-transfer');
  for (const step of flow.steps) {
    expect(lines[step.at!.line - 1]!.slice(step.at!.column - 1)).toMatch(/^(notify|expect|unordered|trigger):/);
    // the step's last line is before the next step's first
    expect(step.at!.endLine).toBeGreaterThanOrEqual(step.at!.line);
  }
  expect(lines[flow.steps[7]!.at!.line]).toContain('name: invite the caller into the meeting');

  const { dir, cleanup } = tempDir();
  try {
    const json = join(dir, 'flow.json');
    writeFileSync(json, JSON.stringify(parse(text), null, 2));
    const jsonLines = readFileSync(json, 'utf8').split('\n');
    const fromJson = parseFlow(readFileSync(json, 'utf8'), json);
    expect(jsonLines[fromJson.at!.line - 1]).toContain('"name": "p2p-to-meeting-transfer"');
    expect(fromJson.steps.every((s, i) => s.at !== undefined && (i === 0 || s.at.line > fromJson.steps[i - 1]!.at!.line))).toBe(true);
  } finally {
    cleanup();
  }
});

test('no test or step title of any plan holds a Playwright tag (@word), and titles keep their wording', () => {
  const flows = flowFiles.map((f) => parseFlow(readFileSync(f, 'utf8'), f));
  const plan = planTests(flows, { schema: true, variants: [...VARIANT_KINDS], ackThresholdMs: 1000 });
  const titles = plan.flows.flatMap((f) => [f.name, f.flow.title, ...f.flow.steps.map((s) => s.title), ...f.variants.flatMap((v) => [v.title, ...v.steps.map((s) => s.title)])]);
  // a variant's title is a few words without `@`; its description (which does name @odata.id, so the
  // check is not vacuous) is the test's variant-doc annotation, where Playwright reads no tags
  expect(titles.length).toBeGreaterThan(1000);
  expect(titles.filter((title) => title.includes('@'))).toEqual([]); // one expect: one per title cost seconds
  const docs = plan.flows.flatMap((f) => f.variants.map((v) => v.doc ?? ''));
  expect(docs.some((d) => d.includes('`@odata.id`'))).toBe(true);
  // a title from a flow file (its description) that holds one still makes no tag
  expect(untagged('flow: sets `@odata.type`').match(/@[\S]+/g)).toBeNull();
  // variants keep their flow's step lines
  const variant = plan.flows.find((f) => f.variants.length > 0)!.variants[0]!;
  expect(variant.steps.every((s) => s.at !== undefined)).toBe(true);
  expect(untagged('a `@odata.type` b').replace(/\uFEFF/g, '')).toBe('a `@odata.type` b');
  expect(untagged(untagged('@x'))).toBe(untagged('@x'));
});

test('the step text names the step, the YAML, every message, the finding; a bearer token is shortened and a big body cut', () => {
  const file = join(recordings, 'p2p-to-meeting-transfer.yaml');
  const flow = parseFlow(readFileSync(file, 'utf8'), file);
  const text = stepText({
    title: '8. expect POST …',
    flowFile: file,
    at: flow.steps[7]!.at,
    entries: [
      { seq: 3, at: 12, from: 'bot', to: 'graph', kind: 'request', step: 7, method: 'POST', url: '/beta/app/calls/X/participants/invite', headers: { authorization: 'Bearer abcdefghijklmnopqrstuvwxyz' }, body: { '@odata.type': '#x' }, label: 'invite', failed: true },
      { seq: 5, at: 13, from: 'bot', to: 'graph', kind: 'request', step: 7, method: 'POST', url: '/beta/app/calls/X/playPrompt', body: { clientContext: `${'x'.repeat(20_000)}TAIL` }, label: 'playPrompt' },
      { seq: 4, at: 14, from: 'graph', to: 'bot', kind: 'response', step: 7, status: 404, latencyMs: 2, label: '404' },
    ],
    idNames: { X: 'p2pCall' },
    finding: 'step 8 (invite): went to the wrong resource',
  });
  expect(text).toContain('what went wrong: step 8 (invite): went to the wrong resource');
  expect(text).toContain(`  ${flow.steps[7]!.at!.line} |   - expect:`);
  expect(text).toContain('the bot sent at +12 ms: POST /beta/app/calls/X/participants/invite  <-- the finding is about this message');
  expect(text).toContain('authorization: Bearer abc…(26 chars)');
  expect(text).not.toContain('abcdefghijklmnopqrstuvwxyz');
  // a body under a step is cut at 8 KB, its size noted (the report's files keep up to 64 KB)
  expect(text).not.toContain('TAIL');
  expect(text).toMatch(/\[cut: 20,\d{3} bytes in all, first 8,192 shown\]/);
  expect(text).toContain('"@odata.type": "#x"');
  expect(text).toContain('callreplay (as Graph) answered at +14 ms: 404 after 2 ms');
  expect(text).toContain('{p2pCall} = X');
});

test('styleHtmlReport injects its stylesheet once, after <head>, however often it runs', () => {
  const { dir, cleanup } = tempDir();
  try {
    expect(styleHtmlReport(join(dir, 'none'))).toBe(false);
    mkdirSync(join(dir, 'html'));
    const page = "<!DOCTYPE html><html><head><meta charset='UTF-8'><script>const s = '</head>';</script></head><body></body></html>";
    writeFileSync(join(dir, 'html', 'index.html'), page);
    expect(styleHtmlReport(join(dir, 'html'))).toBe(true);
    const once = readFileSync(join(dir, 'html', 'index.html'), 'utf8');
    expect(styleHtmlReport(join(dir, 'html'))).toBe(true);
    const twice = readFileSync(join(dir, 'html', 'index.html'), 'utf8');
    expect(twice).toBe(once);
    expect(once.split(REPORT_STYLE_ID).length - 1).toBe(1);
    expect(once.indexOf(REPORT_STYLE_ID)).toBeLessThan(once.indexOf('<script>'));
    expect(once).toContain('white-space: pre-wrap');
  } finally {
    cleanup();
  }
});
