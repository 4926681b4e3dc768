// The HTML report, opened from the file system in a real browser (Debian's Chromium) at 1280 px,
// as a bot developer reads it: flows are tests located in their flow file, steps are steps located
// at their lines; the failing step's finding wraps and is visible whole; an expanded step shows the
// expected step and what the bot sent; no harness file anywhere; `@odata…` in a title is no tag
// chip; a passing flow's warnings are warnings; one cause, one red row. One run serves every test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { callreplay, tempDir, type CliResult } from './fixtures/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const FAILING = 'p2p-to-meeting-transfer: Answer a P2P call';
const PASSING = 'join-meeting-without-media: Join a channel meeting';
const HARNESS_PATH = /harness\/|dist\/harness|node_modules|flow-suite|check-tests/;

test.describe('the HTML report of a failing run', () => {
  test.describe.configure({ mode: 'serial' });
  let dir = '';
  let cleanup = () => {};
  let run: CliResult;
  let browser: Browser;
  let page: Page;

  test.beforeAll(async () => {
    test.setTimeout(150_000);
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    ({ dir, cleanup } = tempDir());
    const command = `"${process.execPath}" --import tsx tests/fixtures/defective-bot-main.ts invite-on-p2p-call`;
    // --workers 1: no overlap, so the flow fails at its step (not after a re-run alone)
    run = await callreplay(
      ['run', 'p2p-to-meeting-transfer', 'join-meeting-without-media', '--bot-command', command, '--trigger', 'join-meeting=reference', '--variants', 'upper-case-ids', '--no-refusal-checks', '--workers', '1', '--report-dir', dir],
      { timeoutMs: 120_000 },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  });

  test.afterAll(async () => {
    await browser?.close();
    cleanup();
  });

  /** What the page logged as an error, or failed to load (e.g. a fetch a file:// page may not make: CORS). */
  let pageErrors: string[] = [];

  test.beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    pageErrors = [];
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('requestfailed', (r) => pageErrors.push(`${r.url()}: ${r.failure()?.errorText}`));
  });

  test.afterEach(async () => {
    await page.close();
    // opened from the file system, the report loads everything it shows: no CORS error, no failed fetch
    expect(pageErrors).toEqual([]);
  });

  const open = async (hash = '') => {
    await page.goto(pathToFileURL(join(dir, 'html', 'index.html')).href + hash);
  };

  /** Expands every step of the open test page, nested ones too (bounded: a report has a few hundred at most). */
  const expandAllSteps = async () => {
    for (let round = 0; round < 10; round++) {
      const collapsed = page.locator('.tree-item-title:has(> svg):not(:has(+ *))');
      const n = await collapsed.count();
      if (n === 0) return;
      for (let i = n - 1; i >= 0; i--) await collapsed.nth(i).click();
    }
  };

  test('flows are tests, the failing one located at its flow file, with one red row for one cause', async () => {
    expect(run.status, run.stdout + run.stderr).toBe(1);
    const remote: string[] = [];
    page.on('request', (req) => {
      if (!/^(file|data|blob):/.test(req.url())) remote.push(req.url());
    });
    await open();
    await expect(page.getByText(FAILING)).toBeVisible();
    await expect(page.getByText(PASSING)).toBeVisible();
    // one cause, one red row: the variant and the auth check of the failing flow are not run, not failed
    await expect(page.locator('.subnav-item', { hasText: 'Failed' }).locator('.counter')).toHaveText('1');
    await open('#?q=s:skipped');
    const skipped = page.getByRole('link', { name: 'p2p-to-meeting-transfer › p2p-to-meeting-transfer: notification auth' });
    await expect(skipped).toBeVisible();
    await skipped.click();
    await expect(page.getByText(/its flow failed at step 8: invite the caller into the meeting/).first()).toBeVisible();
    expect(remote).toEqual([]);
  });

  test('the failing test page: the finding wraps at 1280 px, the location is the flow file, steps point at their lines', async () => {
    await open();
    await page.getByText(FAILING).click();
    // the test's location is the flow file's `name:` line, not harness/runner/flow-suite.ts
    await expect(page.getByText(/recordings\/p2p-to-meeting-transfer\.yaml:11$/).first()).toBeVisible();
    await expect(page.getByText('8. expect POST /beta/app/calls/{meetingCall}/participants/invite (invite the caller into the meeting)')).toBeVisible();
    await expect(page.locator('.step-title-text', { hasText: '8. expect POST' }).locator('.test-result-path')).toHaveText(/recordings\/p2p-to-meeting-transfer\.yaml:130$/);

    const errorBox = page.locator('.test-error-view').first();
    await expect(errorBox).toContainText('went to the wrong resource');
    const box = await errorBox.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    expect(box.scroll, 'the error box scrolls sideways').toBeLessThanOrEqual(box.client);
    // the end of the finding's first line is on screen, within 1280 px
    const phrase = page.getByText(/went to the wrong resource/).first();
    await phrase.scrollIntoViewIfNeeded();
    const rect = await phrase.evaluate((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      const r = range.getBoundingClientRect();
      return { left: r.left, right: r.right };
    });
    expect(rect.left).toBeGreaterThanOrEqual(0);
    expect(rect.right).toBeLessThanOrEqual(1280);
    // the code frame under the error is the flow's YAML around the failing step
    await expect(errorBox).toContainText('130 |   - expect:');
    // the bot's output is shown beside the failing step
    await expect(errorBox).toContainText('--- bot output during this flow');
    await expect(errorBox).toContainText('[reference-bot] answered call');
  });

  test('the failed step, expanded, shows the expected step, the request received and what went wrong; no harness path anywhere', async () => {
    await open();
    await page.getByText(FAILING).click();
    // the red step (step 8 itself, or `no further requests` when the wrong request is judged at the end)
    const failed = page.locator('.tree-item-title:has(.step-title-container > svg.color-text-danger)').first();
    await expect(failed).toContainText(/^(8\. expect POST|no further requests)/);
    await failed.click();
    const expected = page.locator('.step-title-text', { hasText: 'expected: the flow file (recordings/p2p-to-meeting-transfer.yaml:130)' });
    await expect(expected).toBeVisible();
    await expect(expected).toContainText('path: /beta/app/calls/${meetingCall}/participants/invite');
    const received = page.locator('.step-title-text', { hasText: /^the bot sent at \+\d+ ms: POST \/beta\/app\/calls\/[0-9A-Fa-f-]+\/participants\/invite/ });
    await expect(received).toBeVisible();
    await expect(received).toContainText('<-- the finding is about this message');
    // the bearer token is shortened (head…tail and its length), the body as the bot sent it
    await expect(received).toContainText(/authorization: Bearer \S{10}…\S{6}\([\d,]+ chars\)/);
    await expect(received).toContainText('"@odata.type": "#microsoft.graph.invitationParticipantInfo"');
    await expect(page.locator('.step-title-text', { hasText: /^what went wrong: step 8 .*went to the wrong resource/ })).toBeVisible();

    await expandAllSteps();
    const text = await page.locator('#root').innerText();
    // nested steps were expanded too: the attachment steps under `the exchange: …`
    expect(text).toContain('Attach "sequence.html"');
    expect(text.match(HARNESS_PATH), 'a harness path in the report page').toBeNull();
    // the same for the code frames and stacks Playwright keeps in the step data
    expect(await page.locator('.test-error-view').allInnerTexts()).not.toContainEqual(expect.stringMatching(HARNESS_PATH));
  });

  test('a passing flow shows its warnings as warnings (annotations, no error box); its auth check is located in the flow file', async () => {
    await open();
    await page.getByText(PASSING).click();
    await expect(page.locator('.test-case-annotation', { hasText: /^warning: \[schema\/undeclared\] (once|\d+ times); first: step 2 \(join meeting without media\)/ })).toBeVisible();
    await expect(page.locator('.test-error-view')).toHaveCount(0);
    await expect(page.getByText(/recordings\/join-meeting-without-media\.yaml:6$/).first()).toBeVisible();
    await expandAllSteps();
    expect((await page.locator('#root').innerText()).match(HARNESS_PATH)).toBeNull();

    await open();
    await page.getByText('join-meeting-without-media: notification auth').click();
    await expect(page.locator('.step-title-text', { hasText: 'refuses no Authorization header' }).locator('.test-result-path')).toHaveText(/join-meeting-without-media\.yaml:\d+$/);
    await expandAllSteps();
    const text = await page.locator('#root').innerText();
    expect(text).toMatch(/the bot answered at \+\d+ ms: 401/);
    expect(text.match(HARNESS_PATH)).toBeNull();
  });

  test('a variant has a short title without `@` and no tag chip; its description, `@odata.id` and all, is on its page', async () => {
    await open('#?q=s:skipped');
    const variant = page.locator('.test-file-test', { hasText: 'p2p-to-meeting-transfer~upper-case-ids: ids upper-case without hyphens' });
    await expect(variant).toBeVisible();
    await expect(page.locator('.test-file-test .label')).toHaveCount(0);
    await variant.getByText('p2p-to-meeting-transfer~upper-case-ids').click();
    await expect(page.getByText(/variant-doc: ids are written upper-case without hyphens .*`@odata\.id`/)).toBeVisible();
    await expect(page.locator('.label', { hasText: /odata/ })).toHaveCount(0);
  });

  test('the sequence diagram is attached, on disk, self-contained, and names the failing request', async () => {
    await open();
    await page.getByText(FAILING).click();
    await expect(page.getByRole('link', { name: 'sequence.html', exact: true })).toBeVisible();
    await expect(page.getByRole('link', { name: 'bot-output.txt', exact: true })).toBeVisible();
    const data = join(dir, 'html', 'data');
    const diagrams = readdirSync(data)
      .filter((f) => f.endsWith('.html'))
      .map((f) => readFileSync(join(data, f), 'utf8'));
    const failing = diagrams.find((d) => d.includes('went to the wrong resource'));
    expect(failing).toBeDefined();
    // nothing that could load from elsewhere: no scripts, sources, links to stylesheets or CSS urls
    expect(failing).not.toMatch(/<script|\ssrc=|<link|url\(|@import/i);
  });
});
