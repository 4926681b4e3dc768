/**
 * Text helpers of the report renderers (sequence-diagram.ts, fold.ts): HTML escaping, id names
 * instead of raw ids, paths, truncation, durations.
 */
import { escapeRegex } from '../record/scrub.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML/XML-escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return s
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    // characters that are not allowed in XML (keeps the SVG valid when saved on its own)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
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
    patterns.push({ norm, pattern: segments.map(escapeRegex).join('-?') });
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
export function pathOf(url: string): string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  return rest === '' ? '/' : rest;
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** 1.4 ms, 12 ms, 1.23 s */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** time since the run started, for the left gutter */
export function formatAt(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(3)} s`;
}
