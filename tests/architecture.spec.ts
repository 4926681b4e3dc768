// Data flows one way: the engine imports no transport, reporter, runner, bot or CLI code, and
// nothing reads ../shared (the project stands alone).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join, relative } from 'node:path';
import { expect, test } from '@playwright/test';

const root = join(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'node_modules' || e.name === 'dist' ? [] : tsFiles(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('the engine imports only itself, the flow templates (types), node built-ins and its libraries', () => {
  const allowed = (spec: string) => spec.startsWith('./') || spec === '../flow/templates.js' || spec.startsWith('node:') || ['diff', 'jose', 'yaml'].includes(spec);
  const offending: string[] = [];
  for (const file of tsFiles(join(root, 'harness', 'engine'))) {
    for (const spec of importsOf(file)) if (!allowed(spec)) offending.push(`${relative(root, file)} imports ${spec}`);
  }
  expect(offending).toEqual([]);
});

test('reporters and the flow loader do not import transports, the runner or the CLI', () => {
  const offending: string[] = [];
  for (const area of ['report', 'flow']) {
    for (const file of tsFiles(join(root, 'harness', area))) {
      for (const spec of importsOf(file)) if (/(transports|runner|cli|bot)\//.test(spec)) offending.push(`${relative(root, file)} imports ${spec}`);
    }
  }
  expect(offending).toEqual([]);
});

test('nothing in the project reads ../shared', () => {
  const files = [...tsFiles(join(root, 'harness')), ...tsFiles(join(root, 'examples')), ...tsFiles(join(root, 'suites')), ...tsFiles(join(root, 'scripts')), ...tsFiles(join(root, 'tests'))].filter((f) => !f.endsWith('architecture.spec.ts'));
  expect(files.length).toBeGreaterThan(20);
  expect(files.filter((f) => /\.\.\/shared|\/work\/shared/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f))).toEqual([]);
});

test("import 'callreplay' leaves node:http as it is (nock is loaded only when the nock transport is asked for)", () => {
  // a child process: this one may have loaded nock already
  const check = (entry: string) =>
    execFileSync(process.execPath, ['--input-type=module', '-e', `import http from 'node:http'; const before = [http.request, http.get, http.ClientRequest]; await import(${JSON.stringify(entry)}); console.log(JSON.stringify(before.map((f, i) => f === [http.request, http.get, http.ClientRequest][i])));`], { encoding: 'utf8' }).trim();
  expect(check(pathToFileURL(join(root, 'dist', 'harness', 'index.js')).href)).toBe('[true,true,true]');
  // the check can fail: nock itself patches all three
  expect(check(pathToFileURL(join(root, 'node_modules', 'nock', 'index.js')).href)).toBe('[false,false,false]');
});
