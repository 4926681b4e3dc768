/**
 * Post-processing of Playwright's HTML report (reports/html/index.html) after Playwright wrote it:
 * a small stylesheet so that what a bot developer must read wraps instead of scrolling sideways
 * at 1280 px: the error box and code frames (Playwright sets `white-space: pre` and scrolls), the
 * step titles (one line, cut with an ellipsis; callreplay's exchange lines under a step are
 * multi-line titles) and the attachment text. Idempotent: the stylesheet is marked and replaced.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The id of the injected <style> element (how a second call finds the first one's). */
export const REPORT_STYLE_ID = 'callreplay-report-style';

const REPORT_STYLE = `
/* callreplay: long findings wrap (!important: Playwright's own rules come later in the page); nothing needs horizontal scrolling at 1280 px */
.test-error-container, .test-error-view { white-space: pre-wrap !important; overflow-wrap: anywhere; word-break: normal; }
.test-error-view { overflow-x: hidden !important; }
.step-title-text { white-space: pre-wrap !important; overflow-wrap: anywhere; text-overflow: clip !important; line-height: 20px; padding: 9px 0; }
.step-title-container { align-items: flex-start !important; }
.tree-item-title { align-items: flex-start !important; }
/* the lines under a step (the flow file's step, each message, what went wrong): compact, as code */
.tree-item .tree-item .step-title-text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; line-height: 16px; padding: 11px 0; }
.attachment-body { white-space: pre-wrap !important; overflow-wrap: anywhere; }
.test-case-annotation { overflow-wrap: anywhere; }
`;

/**
 * Adds (or refreshes) callreplay's stylesheet in `<htmlDir>/index.html`. Returns false when there
 * is no report there (Playwright wrote none, e.g. the run ended before it).
 */
export function styleHtmlReport(htmlDir: string): boolean {
  const file = join(htmlDir, 'index.html');
  if (!existsSync(file)) return false;
  const html = readFileSync(file, 'utf8');
  const tag = `<style id="${REPORT_STYLE_ID}">${REPORT_STYLE}</style>`;
  const existing = new RegExp(`<style id="${REPORT_STYLE_ID}">[\\s\\S]*?</style>`);
  let styled: string;
  if (existing.test(html)) styled = html.replace(existing, () => tag);
  // right after <head>: the inlined report script that follows may itself contain "</head>"
  else if (/<head>/i.test(html)) styled = html.replace(/<head>/i, (head) => `${head}\n${tag}`);
  else styled = tag + html;
  if (styled !== html) writeFileSync(file, styled);
  return true;
}
