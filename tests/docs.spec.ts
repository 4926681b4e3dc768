// docs/catalog.md holds the flow catalog and the robustness variants, rendered from the shipped
// flows and the variants table (harness/variants/table.ts: what each does, where it applies, its
// evidence, whether it is opt-in): a new flow or variant without its row, or a changed one, fails here.
// UPDATE_DOCS=1 npx playwright test -c tests/playwright.config.ts docs  rewrites the tables.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { loadFlowFile } from '../harness/flow/load-flow.js';
import { VARIANTS, variantsMarkdownTable } from '../harness/variants/index.js';

const root = join(import.meta.dirname, '..');
const catalogDoc = join(root, 'docs', 'catalog.md');

async function flowsTable(): Promise<string> {
  const files = readdirSync(join(root, 'recordings')).filter((f) => f.endsWith('.yaml')).sort();
  const flows = await Promise.all(files.map((f) => loadFlowFile(join(root, 'recordings', f))));
  flows.sort((a, b) => a.suite.localeCompare(b.suite) || a.name.localeCompare(b.name));
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| suite | flow | what it checks | from |', '|---|---|---|---|'];
  for (const f of flows) {
    const source = String((parse(readFileSync(f.file, 'utf8')) as { source?: string }).source ?? '');
    lines.push(`| ${f.suite} | \`${f.name}\` | ${cell(f.description)} | ${cell(source)} |`);
  }
  return lines.join('\n');
}

function replaceTable(text: string, header: string, table: string): string {
  const start = text.indexOf(header);
  if (start < 0) throw new Error(`docs/catalog.md has no table starting with "${header}"`);
  const end = text.indexOf('\n\n', start);
  return text.slice(0, start) + table + (end < 0 ? '\n' : text.slice(end));
}

test('docs/catalog.md lists every shipped flow and every variant', async () => {
  const flows = await flowsTable();
  const variants = variantsMarkdownTable();
  if (process.env['UPDATE_DOCS']) {
    let text = readFileSync(catalogDoc, 'utf8');
    text = replaceTable(text, '| suite | flow |', flows);
    text = replaceTable(text, '| variant | runs |', variants);
    writeFileSync(catalogDoc, text);
  }
  const doc = readFileSync(catalogDoc, 'utf8');
  const hint = 'docs/catalog.md is out of date: run UPDATE_DOCS=1 npx playwright test -c tests/playwright.config.ts docs';
  expect(doc, hint).toContain(flows);
  expect(doc, hint).toContain(variants);
  for (const v of VARIANTS) expect(doc).toContain(`\`${v.kind}\``);
});
