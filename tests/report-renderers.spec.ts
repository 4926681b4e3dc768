/**
 * Self-checks for the sequence diagram page (rendered in a real Chromium). The results reporter's
 * are in report-results.spec.ts.
 */
import { test, expect, chromium } from '@playwright/test';
import type { Browser, Locator } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Transcript, TranscriptEntry } from '../harness/engine/transcript.js';
import type { Finding } from '../harness/engine/findings.js';
import { formatFinding } from '../harness/engine/findings.js';
import { renderSequenceDiagram, renderSequenceSvg, BOT_LANE_TITLE, GRAPH_LANE_TITLE } from '../harness/report/sequence-diagram.js';
import { idShortener } from '../harness/report/report-text.js';

/** a computed CSS property of the first element of a locator (no DOM lib in this tsconfig) */
function css(locator: Locator, prop: string): Promise<string> {
  return locator.first().evaluate(
    (el, p) => (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)[p] ?? '',
    prop,
  );
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';

const P2P_ID = '57dab8b1-1c5e-4d0e-9a6b-2f3c4d5e6f70';
const MEETING_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const BOT = 'http://127.0.0.1:3978';
const RAW_HOSTILE = '<img src="http://203.0.113.9/y.png" onerror="window.__pwned = 3"></pre><script>window.__pwned = 4</script>';

function transcript(): Transcript {
  const entries: TranscriptEntry[] = [
    { seq: 0, at: 1.2, from: 'bot', to: 'graph', kind: 'token-request', method: 'POST', url: '/tenant-1/oauth2/v2.0/token', label: 'token' },
    { seq: 1, at: 2.0, from: 'graph', to: 'bot', kind: 'token-response', status: 200, latencyMs: 0.8, label: 'token issued', body: { access_token: 'eyJ...' } },
    { seq: 2, at: 3.5, from: 'graph', to: 'bot', kind: 'trigger', method: 'POST', url: `${BOT}/api/joinMeeting`, label: 'join meeting', body: { meetingId: MEETING_ID } },
    // a raw-text (not JSON) body from the bot
    { seq: 3, at: 9.9, from: 'bot', to: 'graph', kind: 'trigger-response', status: 200, latencyMs: 6.4, label: 'ok', body: RAW_HOSTILE },
    {
      seq: 4, at: 12.0, from: 'graph', to: 'bot', kind: 'notification', step: 0, method: 'POST', url: `${BOT}/api/calls`,
      headers: { 'content-type': 'application/json', authorization: 'Bearer abc' },
      // the id in upper case: must still be shortened
      label: `incoming call ${P2P_ID.toUpperCase()}`,
      body: { value: [{ changeType: 'created', resourceUrl: `/communications/calls/${P2P_ID}` }] },
    },
    { seq: 5, at: 13.4, from: 'bot', to: 'graph', kind: 'ack', step: 0, status: 202, latencyMs: 1.4, label: 'ack' },
    {
      seq: 6, at: 20.0, from: 'bot', to: 'graph', kind: 'request', step: 1, method: 'POST',
      // the id without hyphens
      url: `/v1.0/communications/calls/${P2P_ID.replace(/-/g, '')}/answer`, label: 'answer',
      headers: { authorization: 'Bearer token-1' }, body: { callbackUri: `${BOT}/api/calls` },
    },
    { seq: 7, at: 20.5, from: 'graph', to: 'bot', kind: 'response', step: 1, status: 202, latencyMs: 0.5, label: 'accepted' },
    {
      seq: 8, at: 31.0, from: 'bot', to: 'graph', kind: 'request', step: 2, method: 'POST',
      url: `/v1.0/communications/calls/${P2P_ID}/transfer`, label: 'transfer <b>now</b>', failed: true,
      body: {
        transferTarget: { replacesCallId: MEETING_ID },
        note: '<script>window.__pwned = 1; alert(1)</script>',
        img: '<img src="http://203.0.113.9/x.png" onerror="window.__pwned = 2">',
      },
    },
    { seq: 9, at: 31.6, from: 'graph', to: 'bot', kind: 'response', step: 2, status: 400, latencyMs: 0.6, label: 'rejected' },
  ];
  return {
    flow: 'p2p-to-meeting-transfer',
    startedAt: '2025-01-02T03:04:05.000Z',
    entries,
    idNames: { [P2P_ID]: 'p2pCall', [MEETING_ID]: 'meetingCall' },
  };
}

const FINDING: Finding = {
  kind: 'incorrect',
  step: 3,
  stepName: 'transfer',
  message: 'transfer body differs from the recording',
  mismatches: [{ path: 'body.transferTarget.replacesCallId', expected: '{p2pCall}', actual: '{meetingCall} <i>x</i>' }],
  received: { method: 'POST', url: `/v1.0/communications/calls/${P2P_ID}/transfer` },
  diff: '- "replacesCallId": "{p2pCall}"\n+ "replacesCallId": "{meetingCall}"',
};

test.describe('sequence diagram', () => {
  let browser: Browser;
  let dir: string;

  test.beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    dir = mkdtempSync(join(tmpdir(), 'callreplay-seq-'));
  });

  test.afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the static page is self-contained and escapes everything', () => {
    const html = renderSequenceDiagram(transcript(), { findings: [FINDING] });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // no script element at all: the hostile one is escaped
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<b>now/);
    // nothing that could load anything
    expect(html).not.toMatch(/<[a-z][^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/url\(|@import|<link|<iframe|<object|<embed/i);
    const hrefs = [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) expect(h).toMatch(/^#e\d+$/);
  });

  test('renders in Chromium from a file:// URL: lanes, arrows, styles, id names, no script, no network', async () => {
    const t = transcript();
    const file = join(dir, 'sequence.html');
    writeFileSync(file, renderSequenceDiagram(t, { findings: [FINDING] }));
    const fileUrl = pathToFileURL(file).href;

    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(fileUrl);

    // the two lanes
    await expect(page.locator('svg .lane text', { hasText: GRAPH_LANE_TITLE }).first()).toBeVisible();
    await expect(page.locator('svg .lane text').filter({ hasText: new RegExp(`^${BOT_LANE_TITLE}$`) }).first()).toBeVisible();
    expect(GRAPH_LANE_TITLE).toBe('callreplay (as Microsoft Graph)');

    // one arrow per entry, in order
    const arrows = page.locator('svg g.msg');
    await expect(arrows).toHaveCount(t.entries.length);
    expect(await arrows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))).toEqual(t.entries.map((e) => e.seq));

    // arrow direction: the ack goes bot (left) -> graph (right), the notification the other way
    const lineX = (seq: number) =>
      page.locator(`svg g.msg[data-seq="${seq}"] line`).first().evaluate((l) => [Number(l.getAttribute('x1')), Number(l.getAttribute('x2'))]);
    const [ax1, ax2] = await lineX(5);
    const [nx1, nx2] = await lineX(4);
    expect(ax1!).toBeLessThan(ax2!);
    expect(nx1!).toBeGreaterThan(nx2!);

    // the failed arrow is red, with a marker; the others are not
    const failed = page.locator('svg g.msg.failed');
    await expect(failed).toHaveCount(1);
    await expect(failed).toHaveAttribute('data-seq', '8');
    const stroke = (seq: number) => css(page.locator(`svg g.msg[data-seq="${seq}"] line`), 'stroke');
    expect(await stroke(8)).toBe('rgb(209, 36, 47)');
    expect(await stroke(6)).not.toBe('rgb(209, 36, 47)');
    await expect(failed.locator('text.mark')).toHaveText('✖');

    // kinds are distinguishable: acks/responses dashed, notifications solid, tokens greyed, triggers coloured
    const dash = (seq: number) => css(page.locator(`svg g.msg[data-seq="${seq}"] line`), 'strokeDasharray');
    expect(await dash(4)).toBe('none');
    expect(await dash(6)).toBe('none');
    expect(await dash(5)).not.toBe('none');
    expect(await dash(7)).not.toBe('none');
    expect(Number(await css(page.locator('svg g.msg[data-seq="0"]'), 'opacity'))).toBeLessThan(1);
    expect(Number(await css(page.locator('svg g.msg[data-seq="4"]'), 'opacity'))).toBe(1);
    const triggerStroke = await stroke(2);
    expect(new Set([triggerStroke, await stroke(4), await stroke(6), await stroke(0)]).size).toBe(4);

    // id names instead of raw ids (upper case, without hyphens, with hyphens)
    const svgText = (await page.locator('svg.crsd').textContent()) ?? '';
    expect(svgText).toContain('incoming call {p2pCall}');
    expect(svgText).toContain('POST /v1.0/communications/calls/{p2pCall}/answer');
    expect(svgText).toContain('POST /v1.0/communications/calls/{p2pCall}/transfer');
    expect(svgText).toContain('POST /api/calls');
    expect(svgText).not.toMatch(/57dab8b1/i);
    // status and latency, step numbers
    await expect(page.locator('svg g.msg[data-seq="5"] text.meta')).toHaveText('202 · 1.4 ms');
    await expect(page.locator('svg g.msg[data-seq="4"] text.gut').first()).toHaveText('step 1');
    await expect(page.locator('svg g.msg[data-seq="8"] text.gut').first()).toHaveText('step 3');

    // the hostile body is shown as text and did not run
    const details = page.locator('details#e8');
    await details.locator('summary').click();
    await expect(details.locator('pre', { hasText: '<script>window.__pwned = 1; alert(1)</script>' })).toBeVisible();
    await expect(details).toContainText('<img src=\\"http://203.0.113.9/x.png\\" onerror=\\"window.__pwned = 2\\">');
    await page.locator('details#e3 summary').click();
    expect(await page.locator('details#e3 pre').last().textContent()).toBe(RAW_HOSTILE);
    await expect(details.locator('summary')).toContainText('transfer <b>now</b>');
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.locator('script, img, b').count()).toBe(0);
    expect(dialogs).toEqual([]);

    // headers pretty-printed
    await page.locator('details#e4 summary').click();
    await expect(page.locator('details#e4 pre', { hasText: 'content-type: application/json' })).toBeVisible();

    // findings box with formatFinding text
    const box = page.locator('section.findings');
    await expect(box).toBeVisible();
    expect(await box.locator('pre').first().textContent()).toBe(formatFinding(FINDING));
    expect(await css(box, 'borderTopColor')).toBe('rgb(209, 36, 47)');

    // no network: only the document itself
    expect(requests).toEqual([fileUrl]);
    await context.close();
  });

  test('page.setContent (as in an attachment viewer) makes no requests either', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(renderSequenceDiagram(transcript(), { findings: [FINDING], title: 'custom <title>' }));
    await expect(page.locator('h1')).toHaveText('custom <title>');
    await expect(page).toHaveTitle('custom <title>');
    await expect(page.locator('svg g.msg')).toHaveCount(10);
    expect(requests).toEqual([]);
    await page.close();
  });

  test('1,000 entries render completely', async () => {
    const base = transcript();
    const entries: TranscriptEntry[] = [];
    for (let i = 0; i < 1000; i++) {
      const src = base.entries[i % base.entries.length]!;
      entries.push({ ...src, seq: i, at: i * 3.7, failed: i % 97 === 0 });
    }
    const big: Transcript = { ...base, entries };
    // (how fast is a benchmark's business, not a test's: no wall-clock threshold here)
    const html = renderSequenceDiagram(big, { findings: [FINDING] });

    const file = join(dir, 'big.html');
    writeFileSync(file, html);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    await expect(page.locator('svg g.msg')).toHaveCount(1000);
    await expect(page.locator('svg g.msg.failed')).toHaveCount(entries.filter((e) => e.failed).length);
    await expect(page.locator('details')).toHaveCount(1000);
    // lane titles are repeated below a long diagram
    await expect(page.locator('svg .lane')).toHaveCount(4);
    await page.close();
  });

  test('a flood of 1,000 identical requests folds into one row: bounded height, the finding\'s message kept', async () => {
    const base = transcript();
    const answer = base.entries[6]!;
    const accepted = base.entries[7]!;
    const entries: TranscriptEntry[] = base.entries.slice(0, 6).map((e) => ({ ...e }));
    for (let i = 0; i < 1000; i++) {
      entries.push({ ...answer, seq: entries.length, at: 20 + i, failed: i === 600 }, { ...accepted, seq: entries.length + 1, at: 20.5 + i });
    }
    const big: Transcript = { ...base, entries };
    const failedSeq = 6 + 600 * 2;
    const file = join(dir, 'flood.html');
    writeFileSync(file, renderSequenceDiagram(big, { findings: [{ ...FINDING, step: 2 }] }));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    // 6 entries before, 3 exchanges, a fold, the failed exchange, 3 exchanges, a fold
    await expect(page.locator('svg g.msg')).toHaveCount(6 + 6 + 2 + 6);
    const folds = page.locator('svg g.fold');
    await expect(folds).toHaveCount(2);
    await expect(folds.first()).toHaveAttribute('data-count', String(600 - 3));
    await expect(folds.first().locator('text.label')).toHaveText('… 597 more identical POST /v1.0/communications/calls/{p2pCall}/answer (each answered 202) …');
    await expect(page.locator(`svg g.msg.failed[data-seq="${failedSeq}"]`)).toHaveCount(1);
    const height = await page.locator('svg.crsd').evaluate((svg) => svg.getBoundingClientRect().height);
    expect(height).toBeLessThan(1400);
    // the message list folds the same way; the finding's link reaches its (unfolded) message
    await expect(page.locator('details')).toHaveCount(6 + 6 + 1 + 2 + 6 + 1);
    await expect(page.locator('details.fold')).toHaveCount(2);
    await expect(page.locator('section.findings a')).toHaveAttribute('href', `#e${failedSeq}`);
    await expect(page.locator(`details#e${failedSeq}`)).toHaveCount(1);
    await page.close();
  });

  test('the page shows tokens shortened and large bodies cut, never whole', () => {
    const t = transcript();
    const jwt = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ sub: 'x'.repeat(300) })).toString('base64url')}.${'s'.repeat(342)}`;
    t.entries[6] = { ...t.entries[6]!, headers: { authorization: `Bearer ${jwt}` }, body: { callbackUri: `${BOT}/api/calls`, padding: 'p'.repeat(200_000) } };
    const html = renderSequenceDiagram(t, { findings: [FINDING] });
    expect(html).not.toContain(jwt.slice(0, 60));
    expect(html).toContain(`authorization: Bearer eyJhbGciOi…ssssss(${jwt.length.toLocaleString('en-US')} chars)`);
    expect(html).toContain('…[cut: 200,062 bytes in all, first 65,536 shown]');
    expect(html.length).toBeLessThan(100_000);
  });

  test('renderSequenceSvg is a standalone SVG and ids are shortened in every form', () => {
    const svg = renderSequenceSvg(transcript());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect((svg.match(/<g class="msg /g) ?? []).length).toBe(10);

    const shorten = idShortener({ [P2P_ID]: 'p2pCall', abc: 'short', '19-meeting-xyz': 'thread' });
    expect(shorten(`a/${P2P_ID}/b`)).toBe('a/{p2pCall}/b');
    expect(shorten(`a/${P2P_ID.toUpperCase()}/b`)).toBe('a/{p2pCall}/b');
    expect(shorten(`a/${P2P_ID.replace(/-/g, '')}/b`)).toBe('a/{p2pCall}/b');
    expect(shorten('x ABC y 19meetingxyz z 19-Meeting-XYZ')).toBe('x {short} y {thread} z {thread}');
    expect(shorten('nothing known here 57dab8b1')).toBe('nothing known here 57dab8b1');
    // an id given without hyphens still matches its hyphenated GUID form
    expect(idShortener({ [P2P_ID.replace(/-/g, '')]: 'n' })(P2P_ID)).toBe('{n}');
  });
});
