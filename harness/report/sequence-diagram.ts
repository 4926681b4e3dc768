/**
 * Renders a flow run's transcript as a sequence diagram: one self-contained HTML page (inline CSS
 * and inline SVG only; no scripts, fonts, images or network of any kind) that opens from a
 * file:// URL and in Playwright's HTML report attachment viewer.
 *
 * Everything in a transcript may come from the bot under test, so every piece of text is
 * HTML-escaped, and the page carries a Content-Security-Policy that forbids scripts and fetches as
 * a second line of defence.
 */
import type { EntryKind, Transcript, TranscriptEntry } from '../engine/transcript.js';
import type { Finding } from '../engine/findings.js';
import { formatFinding } from '../engine/findings.js';

export interface SequenceDiagramOptions {
  /** page title; defaults to "callreplay · <flow>" */
  title?: string;
  /** findings to show in a red box below the diagram */
  findings?: Finding[];
}

export const BOT_LANE_TITLE = 'bot';
export const GRAPH_LANE_TITLE = 'callreplay (as Microsoft Graph)';

// ---------------------------------------------------------------------------------------------
// text helpers

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML/XML-escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return s
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    // characters that are not allowed in XML (keeps the SVG valid when saved on its own)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Returns a function that replaces every occurrence of a known id (in any case, with or without
 * hyphens) by `{name}`.
 */
export function idShortener(idNames: Record<string, string> | undefined): (s: string) => string {
  const names = new Map<string, string>();
  const patterns: { norm: string; pattern: string }[] = [];
  for (const [id, name] of Object.entries(idNames ?? {})) {
    if (typeof id !== 'string' || typeof name !== 'string') continue;
    const norm = id.replace(/-/g, '').toLowerCase();
    if (norm.length === 0 || names.has(norm)) continue;
    names.set(norm, name);
    let segments: string[];
    if (/^[0-9a-f]{32}$/.test(norm)) {
      // a GUID: allow the hyphens at the usual 8-4-4-4-12 positions whether or not the id had them
      segments = [norm.slice(0, 8), norm.slice(8, 12), norm.slice(12, 16), norm.slice(16, 20), norm.slice(20)];
    } else {
      segments = id.split('-').filter((p) => p.length > 0);
    }
    patterns.push({ norm, pattern: segments.map(escapeRegExp).join('-?') });
  }
  if (patterns.length === 0) return (s) => s;
  // longest first, so an id that contains another id wins
  patterns.sort((a, b) => b.norm.length - a.norm.length);
  const re = new RegExp(patterns.map((p) => p.pattern).join('|'), 'gi');
  return (s) =>
    s.replace(re, (m) => {
      const name = names.get(m.replace(/-/g, '').toLowerCase());
      return name === undefined ? m : `{${name}}`;
    });
}

/** The path (and query) of a URL; relative URLs are returned as they are. */
function pathOf(url: string): string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  return rest === '' ? '/' : rest;
}

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** 1.4 ms, 12 ms, 1.23 s */
function formatDuration(ms: number): string {
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** time since the run started, for the left gutter */
function formatAt(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(3)} s`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

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

const SVG_CSS = [
  '.crsd text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:12.5px;fill:#1f2328}',
  '.crsd .lane rect{fill:#f6f8fa;stroke:#1f2328;stroke-width:1.2}',
  '.crsd .lane text{font-weight:600;font-size:13px}',
  '.crsd .life{stroke:#8c959f;stroke-width:1;stroke-dasharray:3 4}',
  '.crsd .meta{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px;fill:#656d76}',
  '.crsd .gut{font-size:11px;fill:#656d76}',
  '.crsd .msg line{stroke:#1f2328;stroke-width:1.6}',
  '.crsd .msg .head{fill:#1f2328}',
  '.crsd .msg.dashed line{stroke-dasharray:7 4}',
  '.crsd .k-notification line,.crsd .k-ack line{stroke:#0a58ca}',
  '.crsd .k-notification .head,.crsd .k-ack .head{fill:#0a58ca}',
  '.crsd .k-trigger line,.crsd .k-trigger-response line{stroke:#8250df}',
  '.crsd .k-trigger .head,.crsd .k-trigger-response .head{fill:#8250df}',
  '.crsd .k-trigger .label,.crsd .k-trigger-response .label{fill:#6639ba}',
  '.crsd .token{opacity:.5}',
  '.crsd .token line{stroke:#8c959f}',
  '.crsd .token .head{fill:#8c959f}',
  '.crsd .token .label{fill:#656d76}',
  '.crsd .failbg{fill:#ffebe9}',
  '.crsd .msg.failed line{stroke:#d1242f;stroke-width:2.4}',
  '.crsd .msg.failed .head{fill:#d1242f}',
  '.crsd .msg.failed .label,.crsd .msg.failed .mark{fill:#d1242f;font-weight:600}',
  '.crsd a:hover .label{text-decoration:underline}',
].join('');

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

/** The sequence diagram alone, as an inline SVG element (styled by its own embedded CSS). */
export function renderSequenceSvg(t: Transcript): string {
  const entries = Array.isArray(t.entries) ? t.entries : [];
  const shorten = idShortener(t.idNames);
  const n = entries.length;
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

  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const seq = num(e.seq) ?? i;
    const text = entryText(e, shorten);
    const kind = kindClass(e.kind);
    const failed = e.failed === true;
    const classes = ['msg', `k-${kind}`];
    if (DASHED_KINDS.has(kind)) classes.push('dashed');
    if (TOKEN_KINDS.has(kind)) classes.push('token');
    if (failed) classes.push('failed');

    const y0 = FIRST_ROW + i * ROW_H;
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

const PAGE_CSS = [
  ':root{color-scheme:light}',
  'body{margin:0;padding:16px 24px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}',
  'h1{font-size:20px;margin:0 0 4px}',
  'h2{font-size:16px;margin:24px 0 8px}',
  '.sub{color:#656d76;margin:0 0 12px}',
  'pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}',
  'pre{margin:6px 0;padding:8px 10px;background:#f6f8fa;border-radius:6px;overflow:auto;white-space:pre-wrap;word-break:break-word}',
  '.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 10px;color:#656d76;font-size:12px}',
  '.legend span{display:inline-flex;align-items:center;gap:6px}',
  '.legend i{display:inline-block;width:34px;border-top:2px solid #1f2328}',
  '.legend .l-notif{border-top-color:#0a58ca}',
  '.legend .l-ack{border-top:2px dashed #0a58ca}',
  '.legend .l-resp{border-top-style:dashed}',
  '.legend .l-trig{border-top-color:#8250df}',
  '.legend .l-token{border-top-color:#8c959f;opacity:.6}',
  '.legend .l-fail{border-top:3px solid #d1242f}',
  '.diagram{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;padding:4px 0}',
  '.diagram svg{display:block}',
  '.findings{border:1px solid #d1242f;background:#ffebe9;border-radius:6px;padding:4px 14px 10px;margin:16px 0}',
  '.findings h2{color:#a40e26;margin:10px 0 6px}',
  '.findings pre{background:#fff;border:1px solid #ffcecb;color:#82071e}',
  '.findings a{color:#a40e26;font-size:12px}',
  'table.ids{border-collapse:collapse;font-size:12px}',
  'table.ids td{padding:2px 12px 2px 0;vertical-align:top}',
  'details{border-bottom:1px solid #eaeef2;padding:3px 0}',
  'details:target{background:#fff8c5}',
  'summary{cursor:pointer;font-size:13px}',
  'summary .seq{color:#656d76;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}',
  'summary .m{color:#656d76;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}',
  'details.failed summary{color:#d1242f;font-weight:600}',
  'details.token summary{color:#8c959f}',
  '.k{color:#656d76;font-size:12px;margin:8px 0 0}',
  '.none{color:#656d76;font-style:italic;font-size:12px}',
].join('');

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
export function renderSequenceDiagram(t: Transcript, opts: SequenceDiagramOptions = {}): string {
  const entries = Array.isArray(t.entries) ? t.entries : [];
  const findings = Array.isArray(opts.findings) ? opts.findings : [];
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

  out.push(`<div class="diagram">${renderSequenceSvg(t)}</div>`);

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
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
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
    const body = prettyBody(e.body);
    out.push('<div class="k">body</div>');
    out.push(body !== undefined ? `<pre>${escapeHtml(body)}</pre>` : '<div class="none">empty</div>');
    out.push('</details>');
  }

  out.push('</body></html>');
  return out.join('\n');
}
