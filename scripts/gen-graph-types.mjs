// Generates harness/graph/types.generated.ts from harness/graph/schemas/graph-calling.schema.json.
// `node scripts/gen-graph-types.mjs --check` exits 1 when the committed file differs (used by the tests).
//
// The bundle is a set of definitions; json-schema-to-typescript needs a root type, so the root given to
// it is GraphActionBodies: the request body of every action (the definitions with x-graph-action), by
// action name. Every other definition is emitted too (unreachableDefinitions).
// Objects leave additionalProperties unset (open on the wire); the types are closed
// (`additionalProperties: false` below) so that a misspelt property is a compile error for bot authors.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { writeOrCheck } from './write-generated.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaPath = `${root}harness/graph/schemas/graph-calling.schema.json`;
const outPath = `${root}harness/graph/types.generated.ts`;

export async function generateGraphTypes() {
  const bundle = JSON.parse(await readFile(schemaPath, 'utf8'));
  const actions = Object.entries(bundle.definitions)
    .filter(([, d]) => typeof d['x-graph-action'] === 'string')
    .map(([name, d]) => [d['x-graph-action'], { $ref: `#/definitions/${name}` }]);
  const schema = {
    $schema: bundle.$schema,
    title: 'GraphActionBodies',
    description: 'The request body of each Graph calling action, by callreplay action name (see validateGraphRequest).',
    type: 'object',
    required: actions.map(([action]) => action),
    properties: Object.fromEntries(actions),
    definitions: bundle.definitions,
  };
  return compile(schema, 'GraphActionBodies', {
    bannerComment:
      '/* Generated from harness/graph/schemas/graph-calling.schema.json by scripts/gen-graph-types.mjs. Do not edit: run `node scripts/gen-graph-types.mjs`. */',
    additionalProperties: false,
    unreachableDefinitions: true,
    // minItems/maxItems (prompts <= 20, targets <= 25) are checked by the validator; as tuple types they
    // would make arrays built with map() fail to type-check
    ignoreMinAndMaxItems: true,
    style: { singleQuote: true },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeOrCheck(outPath, await generateGraphTypes(), 'graph-calling.schema.json');
}
