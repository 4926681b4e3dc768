/** Turns `callreplay run|list` arguments into flow files: files, folders, or names of shipped flows. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shippedRecordingsDir } from '../paths.js';

const FLOW_FILE = /\.(ya?ml|json)$/i;

export class UsageError extends Error {}

export function resolveFlowArgs(args: readonly string[], cwd = process.cwd()): string[] {
  if (args.length === 0) return flowFilesIn(shippedRecordingsDir);
  const files: string[] = [];
  for (const arg of args) {
    const path = resolve(cwd, arg);
    if (existsSync(path)) {
      files.push(...(statSync(path).isDirectory() ? flowFilesIn(path) : [path]));
      continue;
    }
    const shipped = ['.yaml', '.yml', '.json'].map((ext) => join(shippedRecordingsDir, arg + ext)).find((p) => existsSync(p));
    if (!shipped) {
      const known = flowFilesIn(shippedRecordingsDir).map((f) => f.slice(shippedRecordingsDir.length + 1).replace(FLOW_FILE, ''));
      throw new UsageError(`no flow file or shipped flow named "${arg}". Shipped flows: ${known.join(', ')}`);
    }
    files.push(shipped);
  }
  return [...new Set(files)];
}

function flowFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => FLOW_FILE.test(f))
    .sort()
    .map((f) => join(dir, f));
}
