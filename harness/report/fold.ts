/**
 * Folding of repeated exchanges in the sequence diagram: a bot that floods Graph with 1,000
 * identical requests gets a diagram of a few rows, not 1,000.
 *
 * The unit is an exchange: an asking entry (notification, trigger, request, token request) with the
 * answer that follows it at once (ack, trigger response, response, token response); an entry with
 * no such neighbour is a unit alone. Two units are identical when they have the same kinds, step,
 * method, canonical path (engine/canonical.ts), answer status, body shape (property names and value
 * types, not values) and stray-ness. A run of more than FOLD_OVER identical consecutive units is
 * drawn as its first FOLD_KEEP units and one folded row for the rest
 * ("… 994 more identical POST /beta/app/calls/{call}/keepAlive (each answered 202) …").
 *
 * Never folded: a unit holding an entry marked failed (where a finding was raised), or the request
 * a finding names as `received` (the first with its method, URL and body); such a unit splits the
 * run around it.
 */
import { canonicalPath } from '../engine/canonical.js';
import type { Finding } from '../engine/findings.js';
import type { TranscriptEntry } from '../engine/transcript.js';
import { num, pathOf, str } from './report-text.js';

/** runs of more identical exchanges than this fold */
const FOLD_OVER = 5;
/** exchanges drawn before the folded row */
export const FOLD_KEEP = 3;

/** One row of the diagram: an entry drawn as an arrow, or a folded run of identical exchanges. */
export type DiagramRow =
  | { kind: 'entry'; index: number; entry: TranscriptEntry }
  | {
      kind: 'fold';
      /** indices into the entries: the first and last folded entry */
      first: number;
      last: number;
      /** exchanges folded */
      count: number;
      /** the first folded entry (what the row names) and its answer, if any */
      ask: TranscriptEntry;
      answer?: TranscriptEntry;
    };

const ASK_TO_ANSWER: Record<string, string> = {
  notification: 'ack',
  trigger: 'trigger-response',
  request: 'response',
  'token-request': 'token-response',
};

interface Unit {
  start: number;
  /** entries in the unit (1 or 2) */
  size: number;
  key: string;
  pinned: boolean;
}

/** Property names and value types, not values; bounded in depth and width (a cut body is a string). */
function bodyShape(v: unknown, depth = 0): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return depth >= 4 || v.length === 0 ? '[]' : `[${bodyShape(v[0], depth + 1)}]`;
  if (typeof v === 'object') {
    if (depth >= 4) return '{}';
    const keys = Object.keys(v as object).sort().slice(0, 50);
    return `{${keys.map((k) => `${k}:${bodyShape((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
  }
  return typeof v;
}

function safeCanonical(url: string): string {
  try {
    return canonicalPath(pathOf(url));
  } catch {
    return url;
  }
}

function unitKey(ask: TranscriptEntry, answer: TranscriptEntry | undefined): string {
  const url = str(ask.url);
  return [
    str(ask.kind),
    str(answer?.kind),
    num(ask.step) ?? '',
    str(ask.method).toUpperCase(),
    url ? safeCanonical(url) : '',
    num(answer?.status ?? ask.status) ?? '',
    bodyShape(ask.body),
    answer ? bodyShape(answer.body) : '',
    ask.stray ? 'stray' : '',
  ].join('\u0001');
}

function json(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/**
 * Indices of the entries findings name as `received`: the first request with its method, URL and
 * body (else the first with its method and URL).
 */
function namedByFindings(entries: readonly TranscriptEntry[], findings: readonly Finding[]): Set<number> {
  const named = new Set<number>();
  for (const f of findings) {
    const r = f?.received;
    if (!r || typeof r.url !== 'string') continue;
    const method = str(r.method).toUpperCase();
    const path = pathOf(r.url);
    const candidates: number[] = [];
    entries.forEach((e, i) => {
      if (str(e.method).toUpperCase() === method && (e.url === r.url || pathOf(str(e.url)) === path)) candidates.push(i);
    });
    if (candidates.length === 0) continue;
    const body = r.body === undefined ? undefined : json(r.body);
    const same = body === undefined ? undefined : candidates.find((i) => json(entries[i]!.body) === body);
    named.add(same ?? candidates[0]!);
  }
  return named;
}

/** The diagram's rows for `entries`: every entry, except runs of identical exchanges folded. */
export function foldRows(entries: readonly TranscriptEntry[], findings: readonly Finding[] = []): DiagramRow[] {
  const named = namedByFindings(entries, findings);
  const units: Unit[] = [];
  for (let i = 0; i < entries.length; ) {
    const e = entries[i]!;
    const next = entries[i + 1];
    const pair = next !== undefined && ASK_TO_ANSWER[str(e.kind)] === str(next.kind);
    const size = pair ? 2 : 1;
    const pinned = e.failed === true || named.has(i) || (pair && (next.failed === true || named.has(i + 1)));
    units.push({ start: i, size, key: unitKey(e, pair ? next : undefined), pinned });
    i += size;
  }

  const rows: DiagramRow[] = [];
  const draw = (u: Unit) => {
    for (let j = u.start; j < u.start + u.size; j++) rows.push({ kind: 'entry', index: j, entry: entries[j]! });
  };
  for (let u = 0; u < units.length; ) {
    const head = units[u]!;
    let end = u + 1;
    if (!head.pinned) while (end < units.length && !units[end]!.pinned && units[end]!.key === head.key) end++;
    const run = end - u;
    if (run <= FOLD_OVER) {
      for (let k = u; k < end; k++) draw(units[k]!);
    } else {
      for (let k = u; k < u + FOLD_KEEP; k++) draw(units[k]!);
      const firstFolded = units[u + FOLD_KEEP]!;
      const lastFolded = units[end - 1]!;
      rows.push({
        kind: 'fold',
        first: firstFolded.start,
        last: lastFolded.start + lastFolded.size - 1,
        count: run - FOLD_KEEP,
        ask: entries[firstFolded.start]!,
        answer: firstFolded.size === 2 ? entries[firstFolded.start + 1] : undefined,
      });
    }
    u = end;
  }
  return rows;
}
