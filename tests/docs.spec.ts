// docs/catalog.md holds the flow catalog and the robustness variants, rendered from the shipped
// flows and the variants table (harness/variants/table.ts: what each does, where it applies, its
// evidence, whether it is opt-in): a new flow or variant without its row, or a changed one, fails here.
// UPDATE_DOCS=1 npx playwright test -c tests/playwright.config.ts docs  rewrites the tables.
// README's option tables (and docs/load.md's) name exactly the options each command's --help lists,
// its command table every command, its findings list every kind of finding.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { loadFlowFile } from '../harness/flow/load-flow.js';
import { VARIANTS, variantsMarkdownTable } from '../harness/variants/index.js';
import { callreplay } from './fixtures/cli.js';

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

// ------------------------------------------------------------------ the option tables and --help

/** The long options (and -x) `callreplay <command> --help` lists, without --help and --version; --no-X is X. */
async function helpOptions(command: string): Promise<string[]> {
  const r = await callreplay([command, '--help']);
  expect(r.status, r.stderr).toBe(0);
  const options = r.stdout.slice(r.stdout.indexOf('\nOptions:'));
  const names = [...options.matchAll(/^ {2,6}(?:-\w, )?(--?[\w-]+)/gm)].map((m) => m[1]!);
  return [...new Set(names.filter((n) => n !== '--help' && n !== '--version'))].sort();
}

/** The options a markdown cell names in code spans: `--flag ARG` and `-x`; `--no-X` is `--X`, "the port options" the five port flags. */
function cellOptions(cell: string): string[] {
  const spans = [...cell.matchAll(/`(--?[a-z][\w-]*)[^`]*`/g)].map((m) => m[1]!.replace(/^--no-/, '--'));
  if (cell.includes('the port options')) spans.push('--graph-port', '--login-port', '--https-graph-port', '--https-login-port', '--proxy-port');
  return [...new Set(spans)].sort();
}

/** The rows of the markdown table whose header line is `header` (cells split on unescaped |). */
function tableRows(text: string, header: string): string[][] {
  const start = text.indexOf(header);
  if (start < 0) throw new Error(`no table starting with "${header}"`);
  const lines = text.slice(start).split('\n');
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

test("README's run option table names exactly the options `run --help` lists", async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = tableRows(readme.slice(readme.indexOf('`run` options (`callreplay run --help`)')), '| option | default | meaning |');
  const documented = [...new Set(table.flatMap((row) => cellOptions(row[0]!)))].sort();
  const help = await helpOptions('run');
  expect(help.length).toBeGreaterThan(25);
  expect(documented, 'README.md: a run option is missing from its table, or the table names one run --help does not list').toEqual(help);
});

test("README's table of the other commands' options, and docs/load.md's, name exactly what each --help lists", async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const rows = tableRows(readme, '| command | options |');
  const byCommand = new Map<string, string[]>();
  for (const [commands, options] of rows) for (const c of [...commands!.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!)) byCommand.set(c, cellOptions(options!));
  const commands = ['init', 'merge-reports', 'env', 'record', 'import', 'load', 'list', 'validate'];
  expect([...byCommand.keys()].sort()).toEqual([...commands].sort());
  const helps = await Promise.all(commands.map((c) => helpOptions(c)));
  commands.forEach((c, i) => expect(byCommand.get(c), `README.md, the row of ${c}`).toEqual(helps[i]));

  const load = readFileSync(join(root, 'docs', 'load.md'), 'utf8');
  const loadDocumented = [...new Set(tableRows(load, '| option | default | meaning |').flatMap((row) => cellOptions(row[0]!)))].sort();
  expect(loadDocumented, 'docs/load.md: its option table and load --help differ').toEqual(helps[commands.indexOf('load')]);
});

test('README names every command --help lists, and every kind of finding', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const help = await callreplay(['--help']);
  const listed = [...help.stdout.matchAll(/^ {2}callreplay ([\w-]+)/gm)].map((m) => m[1]!);
  expect(listed.length).toBeGreaterThan(8);
  const table = tableRows(readme, '| command | what it does |').map((row) => /`callreplay ([\w-]+)/.exec(row[0]!)?.[1]);
  expect(table.sort()).toEqual([...listed].sort());
  // the findings list names every FindingKind (harness/engine/findings.ts)
  const kinds = [...readFileSync(join(root, 'harness', 'engine', 'findings.ts'), 'utf8').matchAll(/^ {2}\| '([\w-]+)'/gm)].map((m) => m[1]!);
  expect(kinds.length).toBeGreaterThan(10);
  const findings = readme.slice(readme.indexOf('**Findings** are typed'), readme.indexOf('**Near misses**'));
  for (const kind of kinds) expect(findings, `README's findings list lacks ${kind}`).toContain(`\`${kind}\``);
});
