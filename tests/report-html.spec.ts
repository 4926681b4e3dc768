// The HTML report, opened from the file system in a real browser (Debian's Chromium): flows are
// tests, steps are steps, the failing step shows the finding, and the sequence diagram is attached.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, expect, test } from '@playwright/test';
import { callreplay, tempDir } from './fixtures/cli.js';

const CHROMIUM = '/usr/bin/chromium';

test('the HTML report shows each flow as a test with its steps, the finding and the sequence diagram', async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  const { dir, cleanup } = tempDir();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const command = `"${process.execPath}" --import tsx tests/fixtures/defective-bot-main.ts invite-on-p2p-call`;
    const r = await callreplay(['run', 'p2p-to-meeting-transfer', 'answer-incoming-call', '--bot-command', command, '--variants', 'none', '--report-dir', dir]);
    expect(r.status).toBe(1);

    const page = await browser.newPage();
    const remote: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('file:') && !req.url().startsWith('data:') && !req.url().startsWith('blob:')) remote.push(req.url());
    });
    await page.goto(pathToFileURL(join(dir, 'html', 'index.html')).href);
    await expect(page.getByText('p2p-to-meeting-transfer: Answer a P2P call')).toBeVisible();
    await expect(page.getByText('answer-incoming-call: Answer an incoming VoIP call')).toBeVisible();

    await page.getByText('p2p-to-meeting-transfer: Answer a P2P call').click();
    await expect(page.getByText('1. notify: incoming call')).toBeVisible();
    // step titles name ids, not template syntax
    await expect(page.getByText('8. expect POST /beta/app/calls/{meetingCall}/participants/invite (invite the caller into the meeting)')).toBeVisible();
    await expect(page.getByText('went to the wrong resource').first()).toBeVisible();
    // the bot's output is shown beside the failing step
    await expect(page.getByText('--- bot output during this flow').first()).toBeVisible();
    await expect(page.getByText('[reference-bot] answered call').first()).toBeVisible();
    await expect(page.getByRole('link', { name: 'sequence.html', exact: true })).toBeVisible();
    await expect(page.getByText('bot-output.txt').last()).toBeVisible();
    expect(remote).toEqual([]);

    // the attachment itself is on disk, self-contained, and names the failing request
    const data = join(dir, 'html', 'data');
    const diagrams = readdirSync(data)
      .filter((f) => f.endsWith('.html'))
      .map((f) => readFileSync(join(data, f), 'utf8'));
    const failing = diagrams.find((d) => d.includes('went to the wrong resource'));
    expect(failing).toBeDefined();
    // nothing that could load from elsewhere: no scripts, sources, links to stylesheets or CSS urls
    expect(failing).not.toMatch(/<script|\ssrc=|<link|url\(|@import/i);
  } finally {
    await browser.close();
    cleanup();
  }
});
