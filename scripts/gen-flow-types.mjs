// Generates harness/flow/flow-types.generated.ts from harness/flow/flow.schema.json.
// `node scripts/gen-flow-types.mjs --check` exits 1 when the committed file differs (used by the tests).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { writeOrCheck } from './write-generated.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaPath = `${root}harness/flow/flow.schema.json`;
const outPath = `${root}harness/flow/flow-types.generated.ts`;

export async function generateFlowTypes() {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'));
  return compile(schema, 'CallreplayFlow', {
    bannerComment:
      '/* Generated from harness/flow/flow.schema.json by scripts/gen-flow-types.mjs. Do not edit: run `npm run gen:types`. */',
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { singleQuote: true },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeOrCheck(outPath, await generateFlowTypes(), 'flow.schema.json');
}
