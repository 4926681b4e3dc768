/**
 * Renders a flow run's transcript as a sequence diagram: one self-contained HTML page (inline CSS
 * and inline SVG only; no scripts, fonts, images or network of any kind) that opens from a
 * file:// URL and in Playwright's HTML report attachment viewer.
 *
 * Everything in a transcript may come from the bot under test, so every piece of text is
 * HTML-escaped, and the page carries a Content-Security-Policy that forbids scripts and fetches as
 * a second line of defence.
 *
 * The page shows the transcript as report files hold it (report-safe.ts): secrets shortened,
 * bodies over 64 KiB cut with their size noted. Runs of identical exchanges (a flood) are folded
 * into one row, in the diagram and in the message list (fold.ts); what a finding points at is
 * never folded.
 */
import type { EntryKind, Transcript, TranscriptEntry } from '../engine/transcript.js';
import type { Finding } from '../engine/findings.js';
import { formatFinding } from '../engine/findings.js';
import { cutText } from './body-cap.js';
import { foldRows, type DiagramRow } from './fold.js';
import { safeValue } from './report-safe.js';
import { PAGE_CSS, SVG_CSS } from './sequence-styles.js';
import { escapeHtml, formatAt, formatDuration, idShortener, num, pathOf, str, truncate } from './report-text.js';

export interface SequenceDiagramOptions {
  /** page title; defaults to "callreplay · <flow>" */
  title?: string;
  /** findings to show in a red box below the diagram */
  findings?: Finding[];
}

export const BOT_LANE_TITLE = 'bot';
export const GRAPH_LANE_TITLE = 'callreplay (as Microsoft Graph)';

const DASHED_KINDS: ReadonlySet<string> = new Set<EntryKind>(['ack', 'response', 'trigger-response', 'token-response']);
const TOKEN_KINDS: ReadonlySet<string> = new Set<EntryKind>(['token-request', 'token-response']);
const ANSWER_KINDS: ReadonlySet<string> = DASHED_KINDS;

function kindClass(kind: unknown): string {
  const k = str(kind).toLowerCase().replace(/[^a-z-]/g, '');
  return k === '' ? 'unknown' : k;
}

interface EntryText {
  label: string;
  /** "POST /beta/app/calls/{p2pCall}/answer" */
  request: string;
  /** "202 · 1.4 ms" */
  answer: string;
  step?: number;
}

function entryText(e: TranscriptEntry, shorten: (s: string) => string): EntryText {
  const method = str(e.method).toUpperCase();
  const url = str(e.url);
  const request = [method, url ? shorten(pathOf(url)) : ''].filter(Boolean).join(' ');
  const status = num(e.status);
  const latency = num(e.latencyMs);
  const answerParts: string[] = [];
  if (status !== undefined) answerParts.push(String(status));
  if (latency !== undefined && (ANSWER_KINDS.has(str(e.kind)) || status !== undefined)) answerParts.push(formatDuration(latency));
  const step = num(e.step);
  return {
    label: shorten(str(e.label)),
    request,
    answer: answerParts.join(' · '),
    step: step === undefined ? undefined : step + 1,
  };
}

// ---------------------------------------------------------------------------------------------
// SVG

const WIDTH = 920;
const BOT_X = 220;
const GRAPH_X = 770;
const LANE_BOX_W = 250;
const HEAD_H = 40;
const TOP = 12;
const FIRST_ROW = TOP + HEAD_H + 18;
const ROW_H = 48;
const ARROW_HEAD = 9;
/** a folded row's box reaches past the lanes: its text is longer than an arrow's */
const FOLD_OVERHANG = 100;

function laneBoxes(y: number, out: string[]): void {
  for (const [x, title] of [
    [BOT_X, BOT_LANE_TITLE],
    [GRAPH_X, GRAPH_LANE_TITLE],
  ] as const) {
    out.push(
      `<g class="lane"><rect x="${x - LANE_BOX_W / 2}" y="${y}" width="${LANE_BOX_W}" height="${HEAD_H}" rx="6"/>`,
      `<text x="${x}" y="${y + HEAD_H / 2 + 4.5}" text-anchor="middle">${escapeHtml(title)}</text></g>`,
    );
  }
}

function laneX(p: unknown): number {
  return p === 'bot' ? BOT_X : GRAPH_X;
}

/** What a folded row says: "… 994 more identical POST /beta/app/calls/{call}/keepAlive (each answered 202) …". */
function foldText(row: Extract<DiagramRow, { kind: 'fold' }>, shorten: (s: string) => string): string {
  const { ask, answer } = row;
  const url = str(ask.url);
  const what = url ? [str(ask.method).toUpperCase(), shorten(pathOf(url))].filter(Boolean).join(' ') : shorten(str(ask.label)) || str(ask.kind);
  const status = num(answer?.status);
  const answered = status !== undefined ? ` (each answered ${status})` : num(ask.status) !== undefined && !url ? ` (each ${num(ask.status)})` : '';
  const kind = str(ask.kind) === 'request' ? '' : `${str(ask.kind)} `;
  return `… ${row.count} more identical ${kind}${what}${answered} …`;
}

function foldRange(row: Extract<DiagramRow, { kind: 'fold' }>, entries: readonly TranscriptEntry[]): { firstSeq: number; lastSeq: number } {
  return { firstSeq: num(entries[row.first]!.seq) ?? row.first, lastSeq: num(entries[row.last]!.seq) ?? row.last };
}

/** The sequence diagram alone, as an inline SVG element (styled by its own embedded CSS). */
export function renderSequenceSvg(t: Transcript, findings: readonly Finding[] = []): string {
  const safe = safeValue(t);
  const entries = Array.isArray(safe.entries) ? safe.entries : [];
  return svgOf(safe, entries, foldRows(entries, safeValue(findings)));
}

function svgOf(t: Transcript, entries: readonly TranscriptEntry[], rows: readonly DiagramRow[]): string {
  const shorten = idShortener(t.idNames);
  const n = rows.length;
  const footer = n > 12;
  const bodyBottom = FIRST_ROW + n * ROW_H;
  const height = bodyBottom + (footer ? HEAD_H + 10 : 0) + TOP;
  const out: string[] = [];
  out.push(
    `<svg class="crsd" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="sequence diagram">`,
    `<style>${SVG_CSS}</style>`,
  );
  // lifelines behind everything
  const lifeTop = TOP + HEAD_H;
  const lifeBottom = footer ? bodyBottom + 10 : bodyBottom;
  out.push(
    `<line class="life" x1="${BOT_X}" y1="${lifeTop}" x2="${BOT_X}" y2="${lifeBottom}"/>`,
    `<line class="life" x1="${GRAPH_X}" y1="${lifeTop}" x2="${GRAPH_X}" y2="${lifeBottom}"/>`,
  );
  laneBoxes(TOP, out);

  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    const y0 = FIRST_ROW + r * ROW_H;
    if (row.kind === 'fold') {
      const { firstSeq, lastSeq } = foldRange(row, entries);
      const label = foldText(row, shorten);
      out.push(
        `<a href="#f${firstSeq}"><g class="fold" data-first-seq="${firstSeq}" data-last-seq="${lastSeq}" data-count="${row.count}"><title>${escapeHtml(`${label}\nmessages #${firstSeq} to #${lastSeq}`)}</title>`,
        `<text class="gut" x="8" y="${y0 + 16}">×${row.count}</text>`,
        `<rect x="${BOT_X - FOLD_OVERHANG}" y="${y0 + 6}" width="${GRAPH_X - BOT_X + 2 * FOLD_OVERHANG}" height="${ROW_H - 16}" rx="4"/>`,
        `<text class="label" x="${(BOT_X + GRAPH_X) / 2}" y="${y0 + 28}" text-anchor="middle">${escapeHtml(truncate(label, 112))}</text></g></a>`,
      );
      continue;
    }
    const e = row.entry;
    const i = row.index;
    const seq = num(e.seq) ?? i;
    const text = entryText(e, shorten);
    const kind = kindClass(e.kind);
    const failed = e.failed === true;
    const classes = ['msg', `k-${kind}`];
    if (DASHED_KINDS.has(kind)) classes.push('dashed');
    if (TOKEN_KINDS.has(kind)) classes.push('token');
    if (failed) classes.push('failed');

    const yArrow = y0 + 22;
    const x1 = laneX(e.from);
    const x2 = laneX(e.to);
    const tooltip = [text.label, shorten([str(e.method).toUpperCase(), str(e.url)].filter(Boolean).join(' ')), text.answer]
      .filter(Boolean)
      .join('\n');

    out.push(`<a href="#e${seq}"><g class="${classes.join(' ')}" data-seq="${seq}"><title>${escapeHtml(tooltip)}</title>`);
    if (failed) out.push(`<rect class="failbg" x="0" y="${y0}" width="${WIDTH}" height="${ROW_H - 4}"/>`);

    // left gutter: step number and time
    if (text.step !== undefined) out.push(`<text class="gut" x="8" y="${y0 + 16}">step ${text.step}</text>`);
    const at = num(e.at);
    if (at !== undefined) out.push(`<text class="gut" x="8" y="${y0 + 31}">${escapeHtml(formatAt(at))}</text>`);

    let midX: number;
    if (x1 === x2) {
      // a message to itself: a small loop on the lane
      const lx = x1 + 40;
      out.push(
        `<line x1="${x1}" y1="${yArrow - 6}" x2="${lx}" y2="${yArrow - 6}"/>`,
        `<line x1="${lx}" y1="${yArrow - 6}" x2="${lx}" y2="${yArrow + 6}"/>`,
        `<line x1="${lx}" y1="${yArrow + 6}" x2="${x1 + ARROW_HEAD}" y2="${yArrow + 6}"/>`,
        `<path class="head" d="M${x1} ${yArrow + 6}L${x1 + ARROW_HEAD} ${yArrow + 1.5}L${x1 + ARROW_HEAD} ${yArrow + 10.5}Z"/>`,
      );
      midX = x1 + 160;
    } else {
      const d = x2 > x1 ? 1 : -1;
      const tip = x2 - d * 2;
      const base = tip - d * ARROW_HEAD;
      out.push(
        `<line x1="${x1 + d * 2}" y1="${yArrow}" x2="${base}" y2="${yArrow}"/>`,
        `<path class="head" d="M${tip} ${yArrow}L${base} ${yArrow - 4.5}L${base} ${yArrow + 4.5}Z"/>`,
      );
      midX = (x1 + x2) / 2;
      if (failed) {
        out.push(`<text class="mark" x="${x2 - d * 14}" y="${y0 + 15}" text-anchor="middle">✖</text>`);
      }
    }
    const label = (failed ? '✖ ' : '') + text.label;
    out.push(`<text class="label" x="${midX}" y="${y0 + 15}" text-anchor="middle">${escapeHtml(truncate(label, 78))}</text>`);
    const meta = [text.request, text.answer].filter(Boolean).join('  ·  ');
    if (meta) out.push(`<text class="meta" x="${midX}" y="${y0 + 37}" text-anchor="middle">${escapeHtml(truncate(meta, 92))}</text>`);
    out.push('</g></a>');
  }

  if (footer) laneBoxes(bodyBottom + 10, out);
  out.push('</svg>');
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// HTML page

function prettyBody(body: unknown): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body, null, 2) ?? String(body);
  } catch {
    return String(body);
  }
}

function headerLines(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) lines.push(`${k}: ${str(v)}`);
  return lines.length ? lines.join('\n') : undefined;
}

function partyName(p: unknown): string {
  return p === 'bot' ? 'bot' : p === 'graph' ? 'graph' : str(p) || '?';
}

/** The whole report page for one flow run. */
export function renderSequenceDiagram(transcript: Transcript, opts: SequenceDiagramOptions = {}): string {
  const t = safeValue(transcript);
  const entries = Array.isArray(t.entries) ? t.entries : [];
  const findings = safeValue(Array.isArray(opts.findings) ? opts.findings : []);
  const rows = foldRows(entries, findings);
  const shorten = idShortener(t.idNames);
  const title = opts.title ?? `callreplay · ${str(t.flow)}`;
  const out: string[] = [];

  out.push(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    // defence in depth: nothing may run or load, whatever ends up in the page
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${PAGE_CSS}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
  );
  const failedCount = entries.filter((e) => e.failed === true).length;
  const sub = [
    `flow ${str(t.flow)}`,
    t.startedAt ? `started ${str(t.startedAt)}` : '',
    `${entries.length} message${entries.length === 1 ? '' : 's'}`,
    findings.length ? `${findings.length} finding${findings.length === 1 ? '' : 's'}` : 'no findings',
  ].filter(Boolean);
  out.push(`<p class="sub">${escapeHtml(sub.join(' · '))}</p>`);

  out.push(
    '<div class="legend">',
    '<span><i class="l-notif"></i>notification</span>',
    '<span><i class="l-ack"></i>ack</span>',
    '<span><i></i>Graph request</span>',
    '<span><i class="l-resp"></i>response</span>',
    '<span><i class="l-trig"></i>trigger</span>',
    '<span><i class="l-token"></i>token exchange</span>',
    '<span><i class="l-fail"></i>finding raised here</span>',
    '</div>',
  );

  out.push(`<div class="diagram">${svgOf(t, entries, rows)}</div>`);

  if (findings.length) {
    out.push(`<section class="findings"><h2>${findings.length} finding${findings.length === 1 ? '' : 's'}</h2>`);
    for (const f of findings) {
      out.push(`<pre>${escapeHtml(formatFinding(f))}</pre>`);
      const step = num(f.step);
      if (step !== undefined) {
        const at = entries.find((e) => e.failed === true && num(e.step) === step - 1);
        if (at) out.push(`<a href="#e${num(at.seq) ?? entries.indexOf(at)}">see message #${num(at.seq) ?? entries.indexOf(at)}</a>`);
      }
    }
    out.push('</section>');
  } else if (failedCount) {
    out.push(`<p class="sub">${failedCount} message${failedCount === 1 ? '' : 's'} marked failed.</p>`);
  }

  const ids = Object.entries(t.idNames ?? {});
  if (ids.length) {
    out.push('<h2>Ids in this run</h2><table class="ids">');
    for (const [id, name] of ids) out.push(`<tr><td><code>{${escapeHtml(name)}}</code></td><td><code>${escapeHtml(id)}</code></td></tr>`);
    out.push('</table>');
  }

  out.push('<h2>Messages</h2>');
  if (entries.length === 0) out.push('<p class="none">The transcript is empty.</p>');
  for (const row of rows) {
    if (row.kind === 'fold') {
      const { firstSeq, lastSeq } = foldRange(row, entries);
      const span = [num(entries[row.first]!.at), num(entries[row.last]!.at)];
      const when = span[0] !== undefined && span[1] !== undefined ? ` · ${formatAt(span[0])} – ${formatAt(span[1])}` : '';
      out.push(
        `<details id="f${firstSeq}" class="fold"><summary><span class="seq">#${firstSeq} – #${lastSeq}${escapeHtml(when)}</span> · ${escapeHtml(foldText(row, shorten))}</summary>`,
        `<div class="none">${row.count} exchanges (${row.last - row.first + 1} messages) like the ones above, folded; transcript.json holds each of them.</div>`,
        '</details>',
      );
      continue;
    }
    const e = row.entry;
    const i = row.index;
    const seq = num(e.seq) ?? i;
    const text = entryText(e, shorten);
    const kind = kindClass(e.kind);
    const cls = [e.failed === true ? 'failed' : '', TOKEN_KINDS.has(kind) ? 'token' : ''].filter(Boolean).join(' ');
    const at = num(e.at);
    const summary = [
      `<span class="seq">#${seq}${at !== undefined ? ` · ${escapeHtml(formatAt(at))}` : ''}</span>`,
      text.step !== undefined ? `step ${text.step}` : '',
      `${escapeHtml(partyName(e.from))} → ${escapeHtml(partyName(e.to))}`,
      `${e.failed === true ? '✖ ' : ''}${escapeHtml(text.label)}`,
      text.request || text.answer ? `<span class="m">${escapeHtml([text.request, text.answer].filter(Boolean).join(' · '))}</span>` : '',
    ].filter(Boolean);
    out.push(`<details id="e${seq}"${cls ? ` class="${cls}"` : ''}><summary>${summary.join(' · ')}</summary>`);
    out.push(`<div class="k">${escapeHtml(kind)}</div>`);
    const url = str(e.url);
    if (url) out.push(`<pre>${escapeHtml([str(e.method).toUpperCase(), url].filter(Boolean).join(' '))}</pre>`);
    const headers = headerLines(e.headers);
    out.push('<div class="k">headers</div>');
    out.push(headers ? `<pre>${escapeHtml(headers)}</pre>` : '<div class="none">none</div>');
    const pretty = prettyBody(e.body);
    // a JSON body under the cap may pass it pretty-printed (a text body is already cut)
    const body = pretty === undefined || typeof e.body === 'string' ? pretty : cutText(pretty).text;
    out.push('<div class="k">body</div>');
    out.push(body !== undefined ? `<pre>${escapeHtml(body)}</pre>` : '<div class="none">empty</div>');
    out.push('</details>');
  }

  out.push('</body></html>');
  return out.join('\n');
}
