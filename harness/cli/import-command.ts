/**
 * `callreplay import <HAR file | folder of commsNotifications JSON files> --out recordings/NAME.yaml`:
 * a capture made without `callreplay record` -> a Recording (harness/record/import.ts) -> a
 * scrubbed, templated draft flow (harness/record/to-flow.ts).
 *
 * Exit status: 0 written; 2 bad input or usage (the message names the file and the problem, an
 * existing output without --force); 3 internal error.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ImportError, importRecording } from '../record/import.js';
import { recordingToFlow } from '../record/to-flow.js';

export interface ImportArgs {
  /** a HAR file, a folder of captured notification JSON files, or one such file */
  input: string;
  /** the flow file to write (.yaml) */
  out: string;
  /** the flow's name (default: the output file's name) */
  name?: string;
  /** identity fields not to pseudonymise (tenantId, userId, appId, phone, displayName, threadId, joinUrl) */
  keep?: string[];
  /** overwrite an existing output file */
  force?: boolean;
}

export interface ImportIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** Same values as run-command's EXIT (not imported: that module pulls in the runner). */
const EXIT = { written: 0, usage: 2, internal: 3 } as const;

export async function importCommand(args: ImportArgs, io: ImportIo = {}): Promise<number> {
  const out = io.out ?? ((line: string) => console.log(line));
  const err = io.err ?? ((line: string) => console.error(line));
  const fail = (message: string) => {
    err(`callreplay import: ${message}`);
    return EXIT.usage;
  };
  const target = resolve(args.out);
  if (!/\.ya?ml$/i.test(target)) return fail(`--out ${args.out}: the flow file must end in .yaml`);
  const name = args.name ?? basename(target).replace(/\.ya?ml$/i, '');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return fail(`the flow name "${name}" must be kebab-case (a-z, 0-9, -): rename the output or give --name`);
  if (existsSync(target) && !args.force) return fail(`${args.out} already exists: use --force to overwrite it`);

  try {
    const rec = await importRecording(args.input);
    const date = rec.startedAt.slice(0, 10);
    let result;
    try {
      result = recordingToFlow(rec, { name, keep: args.keep, source: `imported ${date} with callreplay import from ${basename(resolve(args.input))}` });
    } catch (e) {
      return fail(`${args.input}: ${(e as Error).message}`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, result.yaml, { flag: args.force ? 'w' : 'wx' });
    const r = result.report;
    const pseudonymised = Object.entries(r.pseudonymised).map(([k, n]) => `${k} ${n}`).join(', ');
    out(`wrote ${args.out}: flow ${name}, ${r.steps.notify + r.steps.expect} steps (${r.steps.notify} notify, ${r.steps.expect} expect)`);
    out(`  scrubbed: ${r.secretsRemoved} secret(s) removed${pseudonymised ? `; pseudonymised ${pseudonymised}` : ''}`);
    if (r.skipped.length > 0) out(`  left out: ${r.skipped.length} exchange(s) (token requests, signing keys, ...)`);
    if (r.steps.expect === 0) out('  draft: notifications only; add the bot\'s requests as expect steps before running it (see the comment at the top)');
    for (const note of r.notes) out(`  note: ${note}`);
    return EXIT.written;
  } catch (e) {
    if (e instanceof ImportError) return fail(e.message);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fail(`${args.out} already exists: use --force to overwrite it`);
    err(`callreplay import: internal error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.internal;
  }
}
