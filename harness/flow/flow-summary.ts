/**
 * The name, description, suite, API version and triggers of flow files, for `callreplay list`, without parsing YAML when it
 * can be helped. Parsing the 20 shipped flows (144 KB of YAML) costs 80-240 ms in a fresh process
 * (cold JIT), more than the whole start-up budget of `list`, so the summaries of files that loaded
 * cleanly are kept in a small cache, keyed by each file's size, mtime, ctime and inode. A file that is
 * new, changed or was broken last time is loaded in full (loadFlowFile: schema, templates, matchers),
 * so a broken flow still fails `list` with the FlowFileError naming it, as before.
 *
 * A cache is valid for one build of callreplay and one flow schema: its stamp is the mtime and size
 * of this compiled module (tsc rewrites every output on each build) and of flow.schema.json.
 * It lives in $CALLREPLAY_CACHE_DIR or $TMPDIR/callreplay-cache-<uid>, one file per installed
 * callreplay; if it cannot be read or written, everything is loaded in full.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowSchemaPath, packageRoot } from '../paths.js';

export interface FlowSummary {
  file: string;
  name: string;
  description: string;
  suite: string;
  /** the Graph API version the flow speaks, when it says */
  api?: string;
  /** its named triggers and the values each passes (what a --trigger mapping reads) */
  triggers: Array<{ id: string; values: string[] }>;
}

type Entry = Omit<FlowSummary, 'file'> & { key: string };

interface CacheFile {
  stamp: string;
  flows: Record<string, Entry>;
}

/** One cache file per installed callreplay, so that two installs used in turn do not undo each other's cache. */
const CACHE_NAME = `flow-summaries-${fnv1a(packageRoot)}.json`;
/** Entries kept at most (the oldest go first): one per flow file ever listed. */
const MAX_ENTRIES = 2000;

/** The cache folder: $CALLREPLAY_CACHE_DIR, else per user under the temp folder. */
export function cacheDir(): string {
  return process.env['CALLREPLAY_CACHE_DIR'] || join(tmpdir(), `callreplay-cache-${process.getuid?.() ?? 'user'}`);
}

/** Summaries of `files`, in order. Throws FlowFileError (from loadFlowFile) for a broken file. */
export async function summarizeFlows(files: readonly string[]): Promise<FlowSummary[]> {
  const stamp = buildStamp();
  const cachePath = join(cacheDir(), CACHE_NAME);
  const cache = readCache(cachePath, stamp);
  const keys = files.map(fileKey);
  const hit = (i: number): Entry | undefined => {
    const e = cache.flows[files[i]!];
    return e && keys[i] !== undefined && e.key === keys[i] ? e : undefined;
  };
  const missing = files.filter((_, i) => !hit(i));
  const loaded = new Map<string, FlowSummary>();
  if (missing.length > 0) {
    const [{ loadFlowFile }, { triggersOf }] = await Promise.all([import('./load-flow.js'), import('./trigger-mapping.js')]);
    const flows = await Promise.all(missing.map((file) => loadFlowFile(file)));
    flows.forEach((f, i) => loaded.set(missing[i]!, { file: missing[i]!, name: f.name, description: f.description, suite: f.suite, ...(f.api ? { api: f.api } : {}), triggers: triggersOf(f) }));
    files.forEach((file, i) => {
      const s = loaded.get(file);
      if (s && keys[i] !== undefined) {
        delete cache.flows[file]; // re-inserted last: the newest
        const { file: _, ...entry } = s;
        cache.flows[file] = { key: keys[i]!, ...entry };
      }
    });
    writeCache(cachePath, cache);
  }
  return files.map((file, i) => {
    const e = hit(i);
    return e ? { file, name: e.name, description: e.description, suite: e.suite, ...(e.api ? { api: e.api } : {}), triggers: e.triggers } : loaded.get(file)!;
  });
}

function statKey(s: Stats): string {
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
}

function fileKey(file: string): string | undefined {
  try {
    return statKey(statSync(file));
  } catch {
    return undefined; // loadFlowFile reports it
  }
}

function buildStamp(): string {
  const part = (path: string) => {
    try {
      const s = statSync(path);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  return `${part(fileURLToPath(import.meta.url))}/${part(flowSchemaPath)}`;
}

function readCache(path: string, stamp: string): CacheFile {
  const empty: CacheFile = { stamp, flows: Object.create(null) as Record<string, Entry> };
  let data: unknown;
  try {
    if (process.getuid && statSync(path).uid !== process.getuid()) return empty; // not planted by another user of a shared temp folder
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return empty;
  }
  if (!isObject(data) || data['stamp'] !== stamp || !isObject(data['flows'])) return empty;
  const flows = empty.flows;
  for (const [file, e] of Object.entries(data['flows'])) {
    if (isObject(e) && ['key', 'name', 'description', 'suite'].every((k) => typeof e[k] === 'string') && Array.isArray(e['triggers'])) flows[file] = e as unknown as Entry;
  }
  return { stamp, flows };
}

function writeCache(path: string, cache: CacheFile): void {
  const files = Object.keys(cache.flows);
  for (const old of files.slice(0, Math.max(0, files.length - MAX_ENTRIES))) delete cache.flows[old];
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, path); // atomic: a concurrent reader sees the old cache or the new one
  } catch {
    // no cache this time: the next list loads the files again
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing to tidy */
    }
  }
}

/** A short name for a path (FNV-1a, 32 bits): node:crypto would cost more than the whole cache saves. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
