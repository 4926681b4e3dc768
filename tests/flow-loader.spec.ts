// Flow files: every shipped flow loads; bad files are refused with the file and the JSON pointer.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { FlowFileError, loadFlowFile, parseFlow } from '../harness/flow/load-flow.js';
// @ts-expect-error: plain .mjs script without type declarations
import { generateFlowTypes } from '../scripts/gen-flow-types.mjs';

const recordings = join(import.meta.dirname, '..', 'recordings');
const transfer = readFileSync(join(recordings, 'p2p-to-meeting-transfer.yaml'), 'utf8');

function refused(text: string): FlowFileError {
  try {
    parseFlow(text, 'broken.yaml');
  } catch (e) {
    if (e instanceof FlowFileError) return e;
    throw e;
  }
  throw new Error('the flow was accepted');
}

test('every shipped flow loads and compiles', async () => {
  const files = readdirSync(recordings).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThanOrEqual(5);
  for (const f of files) {
    const flow = await loadFlowFile(join(recordings, f));
    expect(flow.name, f).toBe(f.replace(/\.yaml$/, ''));
    expect(flow.steps.length).toBeGreaterThan(2);
  }
});

test('the generated TypeScript types match the schema', async () => {
  const generated: string = await generateFlowTypes();
  expect(readFileSync(join(import.meta.dirname, '..', 'harness', 'flow', 'flow-types.generated.ts'), 'utf8')).toBe(generated);
});

test('a schema error names the file and the JSON pointer', () => {
  const e = refused(transfer.replace('api: beta', 'api: v2'));
  expect(e.file).toBe('broken.yaml');
  expect(e.where).toBe('/api');
  expect(e.message).toBe('broken.yaml: /api: must be one of "v1.0", "beta"');
  const e2 = refused(transfer.replace('      name: answer\n', '      name: answer\n      methd: POST\n'));
  expect(e2.message).toBe('broken.yaml: /steps/1/expect: unknown property "methd"');
});

test('an unknown step type is refused where it stands', () => {
  const e = refused(transfer.replace('  - expect:\n      name: answer', '  - expct:\n      name: answer'));
  expect(e.where).toBe('/steps/1');
  expect(e.message).toContain('unknown step type "expct"');
  expect(e.message).toContain('notify, expect, unordered, trigger');
});

test('broken templates are refused with their pointer', () => {
  const unterminated = refused(transfer.replace('path: /beta/app/calls/${p2pCall}/answer', 'path: /beta/app/calls/${p2pCall/answer'));
  expect(unterminated.where).toBe('/steps/1/expect/path');
  expect(unterminated.detail).toContain('unterminated placeholder');

  const unknown = refused(transfer.replace("id: '${caller}', tenantId", "id: '${callr}', tenantId"));
  expect(unknown.where).toBe('/steps/0/notify/body/value/0/resourceData/source/identity/user/id');
  expect(unknown.detail).toContain('unknown name ${callr}');

  const format = refused(transfer.replace('resource: /app/calls/${p2pCall:hex}', 'resource: /app/calls/${p2pCall:HEX}'));
  expect(format.detail).toContain('unknown format ":HEX"');

  const laterCapture = refused(transfer.replace("clientContext: ${inviteContext}\n              status: completed", 'clientContext: ${inviteContext}\n              status: completed').replace('id: ${p2pCall}\n          status: Running', 'id: ${inviteContext}\n          status: Running'));
  expect(laterCapture.where).toBe('/steps/1/expect/respond/body/id');
  expect(laterCapture.detail).toContain('unknown name ${inviteContext}');
});

test('matcher operators are checked', () => {
  const e = refused(transfer.replace('replacesCallId: { $id: p2pCall }', 'replacesCallId: { $idd: p2pCall }'));
  expect(e.where).toBe('/steps/7/expect/body/participants/0/replacesCallId/$idd');
  expect(e.detail).toContain('unknown operator $idd');
  const e2 = refused(transfer.replace('replacesCallId: { $id: p2pCall }', 'replacesCallId: { $id: p2pCal }'));
  expect(e2.detail).toContain('unknown name ${p2pCal}');
});

test('YAML syntax errors give the line', () => {
  const e = refused(transfer.replace('api: beta', 'api: [beta'));
  expect(e.where).toMatch(/^line \d+, column \d+$/);
});

test('a missing file is refused by name', async () => {
  await expect(loadFlowFile('/nonexistent/flow.yaml')).rejects.toThrow('/nonexistent/flow.yaml: cannot read the file (ENOENT)');
});
