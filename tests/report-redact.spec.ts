/**
 * Report files keep no secret whole and no huge body whole (issue 10): redact.ts shortens tokens
 * and secrets, body-cap.ts cuts bodies over 64 KiB noting their size, fold.ts folds floods of
 * identical exchanges in the sequence diagram; then the same through the real CLI, searching every
 * file a run leaves (attachments, html/ with its embedded zip, results.json, junit.xml).
 */
import { generateKeyPair, SignJWT } from 'jose';
import { expect, test } from '@playwright/test';
import type { Finding } from '../harness/engine/findings.js';
import type { Transcript, TranscriptEntry } from '../harness/engine/transcript.js';
import { BODY_CAP_BYTES, capBodies, cutText, type BodyCut } from '../harness/report/body-cap.js';
import { FOLD_KEEP, foldRows } from '../harness/report/fold.js';
import { groupDigits, isShortened, redactText, redactValue, shortenSecret } from '../harness/report/redact.js';
import { safeJson, safeText } from '../harness/report/report-safe.js';
import { renderSequenceDiagram } from '../harness/report/sequence-diagram.js';
import { callreplay, tempDir } from './fixtures/cli.js';
import { reportFiles, type ReportFile } from './fixtures/report-files.js';

/** a whole JWT: header, payload and signature */
const WHOLE_JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/;
/** a JWT or its first two thirds */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/;
/** what the e2e checks forbid: any JWT-like run, or any `eyJ` run over 40 characters */
const TOKEN_LIKE = new RegExp(`${JWT_LIKE.source}|eyJ[A-Za-z0-9_-]{38,}`);
/**
 * A token found in a report file. Playwright's report page (html/index.html without its data zip)
 * is the same static app for every run, whose minified code holds long `eyJ` runs of its own: only
 * JWTs (dotted) count there; its data (the zip: test errors, steps) gets the full check.
 */
function tokenIn(f: ReportFile): string | undefined {
  const m = (f.name === 'html/index.html' ? JWT_LIKE : TOKEN_LIKE).exec(f.text);
  return m ? `${f.name}: ${m[0].slice(0, 60)}` : undefined;
}

const CALL = '57dab8b1-1c5e-4d0e-9a6b-2f3c4d5e6f70';
const TENANT = '6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60';
const CLIENT_ID = '3b5c2f5e-8a0d-4c43-9d3e-0c6f4f1a9b27';
const SECRET = 'Wq88Q~s3cr3tV4lu3-abcdefghijklmnopqrstuv';

let tokenA: string;
let tokenB: string;

test.beforeAll(async () => {
  const { privateKey } = await generateKeyPair('RS256');
  const sign = (oid: string) =>
    new SignJWT({ tid: TENANT, oid, roles: ['Calls.AccessMedia.All'] })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'h_q9Vtt1IN3k4g0l9CqELwA1mp5BDAim_9aSJkXvAOc' })
      .setIssuer(`https://sts.windows.net/${TENANT}/`)
      .setAudience('https://graph.microsoft.com')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  tokenA = await sign('11111111-1111-4111-8111-111111111111');
  tokenB = await sign('22222222-2222-4222-8222-222222222222');
});

test.describe('redact', () => {
  test('a JWT is shortened wherever it is, recognisably: head, tail, length; two tokens stay apart', () => {
    const shortA = `${tokenA.slice(0, 10)}…${tokenA.slice(-6)}(${groupDigits(tokenA.length)} chars)`;
    expect(shortenSecret(tokenA)).toBe(shortA);
    const texts = [
      `Authorization: Bearer ${tokenA}`,
      `authorization: bearer ${tokenA}\n`,
      `the bot got ${tokenA}.`,
      JSON.stringify({ headers: { Authorization: `Bearer ${tokenA}` } }),
      JSON.stringify(JSON.stringify({ access_token: tokenA })), // JSON in a JSON string
      `client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${tokenA}&client_id=${CLIENT_ID}`,
      `<pre>authorization: Bearer ${tokenA}</pre>`,
    ];
    for (const text of texts) {
      const out = redactText(text);
      expect(out, text).not.toMatch(WHOLE_JWT);
      expect(out, text).not.toContain(tokenA.slice(10, -6));
      expect(out, text).toContain(shortA);
    }
    expect(redactText(`Bearer ${tokenA}`)).toBe(`Bearer ${shortA}`);
    expect(redactText(`Bearer ${tokenB}`)).not.toBe(redactText(`Bearer ${tokenA}`));
    // the form around the assertion is intact
    expect(redactText(texts[5]!)).toContain(`&client_id=${CLIENT_ID}`);
    expect(redactText(texts[5]!)).toContain('client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&');
  });

  test('secrets in token request forms, JSON, env lines and HTML are shortened; short ones show nothing', () => {
    const form = `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(SECRET)}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default`;
    expect(redactText(form)).toBe(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${shortenSecret(encodeURIComponent(SECRET))}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default`);
    const refresh = 'grant_type=refresh_token&refresh_token=0.AXoAabcdefghijklmnopqrstuvwxyz0123456789ABCDEF&client_secret=shh';
    expect(redactText(refresh)).toBe('grant_type=refresh_token&refresh_token=0.AXoA…(48 chars)&client_secret=…(3 chars)');
    expect(redactText('grant_type=password&username=organizer%40callreplay.test&password=hunter2')).toBe('grant_type=password&username=organizer%40callreplay.test&password=…(7 chars)');
    const code = 'M.C507_BAY.2.U.abcdef12-3456-7890-abcd-ef1234567890';
    expect(redactText(`grant_type=authorization_code&code=${code}&redirect_uri=http%3A%2F%2Flocalhost`)).toBe(`grant_type=authorization_code&code=${shortenSecret(code)}&redirect_uri=http%3A%2F%2Flocalhost`);
    expect(redactText(`MICROSOFT_APP_PASSWORD=${SECRET}`)).toBe(`MICROSOFT_APP_PASSWORD=${shortenSecret(SECRET)}`);
    expect(redactText(`BOT_APP_SECRET=${SECRET}`)).toBe(`BOT_APP_SECRET=${shortenSecret(SECRET)}`);
    expect(redactText(`secret: ${SECRET}`)).toBe(`secret: ${shortenSecret(SECRET)}`);
    expect(redactText(`{"client_secret": "${SECRET}"}`)).toBe(`{"client_secret": "${shortenSecret(SECRET)}"}`);
    expect(redactText(`{\\"refresh_token\\":\\"${SECRET}\\"}`)).toBe(`{\\"refresh_token\\":\\"${shortenSecret(SECRET)}\\"}`);
    expect(redactText(`&quot;client_secret&quot;: &quot;${SECRET}&quot;`)).toBe(`&quot;client_secret&quot;: &quot;${shortenSecret(SECRET)}&quot;`);
    expect(redactText(`Ocp-Apim-Subscription-Key: ${SECRET}`)).toBe(`Ocp-Apim-Subscription-Key: ${shortenSecret(SECRET)}`);
    const basic = Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
    expect(redactText(`authorization: Basic ${basic}`)).toBe(`authorization: Basic ${shortenSecret(basic)}`);
    expect(shortenSecret('hunter2')).toBe('…(7 chars)');
  });

  test('non-secret data is kept byte for byte: ids, GUIDs, URLs, clientContext, Graph error codes, prose', () => {
    const plain = [
      `POST http://127.0.0.1:3978/api/calls?tenant=${TENANT}&code=short`,
      `/beta/app/calls/${CALL.replace(/-/g, '').toUpperCase()}/answer`,
      JSON.stringify({ error: { code: '8522', message: 'Call not found' }, clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c', callbackUri: 'https://bot.example/api/calls?x=1' }),
      'the bot refused a notification: no Authorization header; a bearer token is needed; passwords and secrets are not logged',
      'Basic authentication is not used; the token endpoint answered 200',
      `{"tokenMeetingInfo":{"token":"not-a-credential"},"clientContext":"${'c'.repeat(80)}","replacesContext":"eyJmYWtlIjoiMSJ9"}`,
      'exit code=3',
    ];
    for (const text of plain) expect(redactText(text), text).toBe(text);
    const value = {
      flow: 'f',
      entries: [{ seq: 0, url: `/v1.0/communications/calls/${CALL}/answer`, headers: { 'content-type': 'application/json', 'client-request-id': CALL }, body: { clientContext: `ctx-${CALL}`, callbackUri: 'http://127.0.0.1:1/api/calls', tenantId: TENANT } }],
      idNames: { [CALL]: 'call' },
    };
    const out = redactValue(value);
    expect(out).toEqual(value);
    expect(out).toBe(value); // nothing to shorten: not even copied
  });

  test('values: secret headers and properties are shortened whole, keeping the scheme; the rest is left as it is', () => {
    const entry: TranscriptEntry = {
      seq: 1, at: 2, from: 'bot', to: 'graph', kind: 'request', method: 'POST', url: `/beta/app/calls/${CALL}/answer`, label: 'answer',
      headers: { authorization: `Bearer ${tokenA}`, 'Ocp-Apim-Subscription-Key': SECRET, 'content-type': 'application/json' },
      body: { callbackUri: 'http://127.0.0.1:3978/api/calls', clientContext: CALL, nested: { access_token: tokenB, password: 'with spaces inside' } },
    };
    const out = redactValue(entry);
    expect(out.headers).toEqual({ authorization: `Bearer ${shortenSecret(tokenA)}`, 'Ocp-Apim-Subscription-Key': shortenSecret(SECRET), 'content-type': 'application/json' });
    expect(out.body).toEqual({ callbackUri: 'http://127.0.0.1:3978/api/calls', clientContext: CALL, nested: { access_token: shortenSecret(tokenB), password: shortenSecret('with spaces inside') } });
    expect(entry.headers!.authorization).toBe(`Bearer ${tokenA}`); // the input is not changed
    // shortening twice changes nothing
    expect(redactValue(out)).toEqual(out);
    const text = safeText(`Authorization: Bearer ${tokenA} client_secret=${SECRET} ${tokenB}`);
    expect(safeText(text)).toBe(text);
    expect(isShortened(shortenSecret(tokenA))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

const FIVE_MB = 5 * 1024 * 1024;

function bigTranscript(body: unknown): Transcript {
  return {
    flow: 'big',
    startedAt: '2025-01-02T03:04:05.000Z',
    idNames: { [CALL]: 'call' },
    entries: [
      { seq: 0, at: 1, from: 'bot', to: 'graph', kind: 'request', method: 'POST', url: `/beta/app/calls/${CALL}/answer`, label: 'answer', headers: { authorization: `Bearer ${tokenA}` }, body: { callbackUri: 'http://127.0.0.1:1/api/calls' } },
      { seq: 1, at: 2, from: 'graph', to: 'bot', kind: 'response', status: 200, label: '200' },
      { seq: 2, at: 3, from: 'bot', to: 'graph', kind: 'request', method: 'POST', url: `/beta/app/calls/${CALL}/big`, label: 'big', body },
      { seq: 3, at: 4, from: 'graph', to: 'bot', kind: 'response', status: 202, label: '202' },
    ],
  };
}

test.describe('body cap', () => {
  test('a 5 MB body is cut to 64 KiB in place, its full size noted, the entry keeping its shape', () => {
    for (const body of ['BEGIN-' + 'x'.repeat(FIVE_MB - 6), { clientContext: 'BEGIN-', padding: 'x'.repeat(FIVE_MB), end: 'END-OF-BODY' }]) {
      const t = bigTranscript(body);
      const capped = capBodies(t);
      const entry = capped.entries[2] as TranscriptEntry & { bodyCut?: BodyCut };
      const bytes = typeof body === 'string' ? body.length : JSON.stringify(body).length;
      expect(entry.bodyCut).toEqual({ bytes, shown: BODY_CAP_BYTES });
      expect(typeof entry.body).toBe('string');
      const note = `…[cut: ${groupDigits(bytes)} bytes in all, first ${groupDigits(BODY_CAP_BYTES)} shown]`;
      expect(entry.body).toBe((typeof body === 'string' ? body : JSON.stringify(body)).slice(0, BODY_CAP_BYTES) + note);
      // the other entries are the very same objects; the input is untouched
      expect(capped.entries[0]).toBe(t.entries[0]);
      expect(t.entries[2]!.body).toBe(body);

      const json = safeJson(t);
      expect(json.length).toBeLessThan(BODY_CAP_BYTES + 4_000);
      expect(json.split('BEGIN-').length - 1).toBe(1);
      expect(json).toContain(note);
      expect(json).not.toContain('END-OF-BODY');
      expect(json).not.toMatch(WHOLE_JWT);

      const html = renderSequenceDiagram(t);
      expect(html.length).toBeLessThan(BODY_CAP_BYTES + 30_000);
      expect(html.split('BEGIN-').length - 1).toBe(1);
      expect(html).toContain(note);
      expect(html).not.toMatch(WHOLE_JWT);
    }
  });

  test('the cut never splits a character, never leaves part of a token, and leaves small bodies alone', () => {
    const euros = cutText('€'.repeat(30_000)); // 3 bytes each: 90,000 bytes
    expect(euros.cut).toEqual({ bytes: 90_000, shown: 65_535 });
    expect(euros.text.startsWith('€'.repeat(21_845) + '…[cut: 90,000 bytes in all, first 65,535 shown]')).toBe(true);
    expect(euros.text).not.toContain('\uFFFD');
    const straddling = 'y'.repeat(BODY_CAP_BYTES - 100) + ' ' + tokenA + ' tail';
    const cut = cutText(straddling);
    expect(cut.text).not.toContain('eyJ');
    expect(cut.cut!.shown).toBe(BODY_CAP_BYTES - 99);
    const small = { entries: [{ body: 'z'.repeat(BODY_CAP_BYTES) }] };
    expect(capBodies(small)).toBe(small);
  });
});

// ---------------------------------------------------------------------------------------------

function flood(n: number, opts: { failedAt?: number; contextAt?: (i: number) => string } = {}): Transcript {
  const entries: TranscriptEntry[] = [
    { seq: 0, at: 0, from: 'graph', to: 'bot', kind: 'notification', step: 0, method: 'POST', url: 'http://127.0.0.1:3978/api/calls', label: 'incoming call', body: { value: [] } },
    { seq: 1, at: 1, from: 'bot', to: 'graph', kind: 'ack', step: 0, status: 202, label: 'ack' },
  ];
  for (let i = 0; i < n; i++) {
    const failed = opts.failedAt === i;
    entries.push(
      { seq: entries.length, at: 2 + i, from: 'bot', to: 'graph', kind: 'request', step: 1, method: 'POST', url: `/beta/app/calls/${CALL}/keepAlive`, label: 'keepAlive', headers: { authorization: `Bearer ${tokenA}` }, body: { clientContext: opts.contextAt?.(i) ?? 'same' }, ...(failed ? { failed } : {}) },
      { seq: entries.length + 1, at: 2.5 + i, from: 'graph', to: 'bot', kind: 'response', step: 1, status: 202, label: '202' },
    );
  }
  entries.push({ seq: entries.length, at: 5000, from: 'graph', to: 'bot', kind: 'notification', step: 2, method: 'POST', url: 'http://127.0.0.1:3978/api/calls', label: 'terminated', body: { value: [] } });
  return { flow: 'flood', startedAt: '2025-01-02T03:04:05.000Z', entries, idNames: { [CALL]: 'call' } };
}

const drawnSeqs = (html: string) => [...html.matchAll(/<g class="msg [^"]*" data-seq="(\d+)"/g)].map((m) => Number(m[1]));
const folds = (html: string) => [...html.matchAll(/<g class="fold" data-first-seq="(\d+)" data-last-seq="(\d+)" data-count="(\d+)"/g)].map((m) => ({ first: Number(m[1]), last: Number(m[2]), count: Number(m[3]) }));
const svgHeight = (html: string) => Number(/<svg class="crsd"[^>]* height="(\d+)"/.exec(html)![1]);

test.describe('folding', () => {
  test('a flood of 1,000 identical requests gives a diagram of a few rows and one folded row', () => {
    const t = flood(1000);
    const html = renderSequenceDiagram(t);
    expect(drawnSeqs(html)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 2002]);
    expect(folds(html)).toEqual([{ first: 8, last: 2001, count: 997 }]);
    expect(html).toContain('… 997 more identical POST /beta/app/calls/{call}/keepAlive (each answered 202) …');
    expect(svgHeight(html)).toBeLessThan(800);
    expect((html.match(/<details /g) ?? []).length).toBe(10);
    expect(html.length).toBeLessThan(40_000);
    // the same flood ten times longer: the same number of rows
    expect(drawnSeqs(renderSequenceDiagram(flood(10_000))).length).toBe(9);
  });

  test('up to five repeats are drawn; the sixth folds', () => {
    expect(folds(renderSequenceDiagram(flood(5)))).toEqual([]);
    expect(drawnSeqs(renderSequenceDiagram(flood(5))).length).toBe(13);
    expect(folds(renderSequenceDiagram(flood(6)))).toEqual([{ first: 8, last: 13, count: 6 - FOLD_KEEP }]);
  });

  test('folding never hides an entry a finding was raised at, nor the request a finding names', () => {
    const failedHtml = renderSequenceDiagram(flood(1000, { failedAt: 500 }));
    const failedSeq = 2 + 500 * 2;
    expect(drawnSeqs(failedHtml)).toContain(failedSeq);
    expect(failedHtml).toMatch(new RegExp(`<g class="msg [^"]*failed[^"]*" data-seq="${failedSeq}"`));
    expect(folds(failedHtml)).toEqual([{ first: 8, last: failedSeq - 1, count: 500 - FOLD_KEEP }, { first: failedSeq + 8, last: 2001, count: 499 - FOLD_KEEP }]);

    // same shape, different clientContext: identical for folding, but a finding names #700
    const t = flood(1000, { contextAt: (i) => `ctx-${i}` });
    const finding: Finding = { kind: 'unexpected', message: 'keepAlive flood', received: { method: 'POST', url: `/beta/app/calls/${CALL}/keepAlive`, body: { clientContext: 'ctx-700' } } };
    const named = 2 + 700 * 2;
    const rows = foldRows(t.entries, [finding]);
    expect(rows.some((r) => r.kind === 'entry' && r.index === named)).toBe(true);
    expect(drawnSeqs(renderSequenceDiagram(t, { findings: [finding] }))).toContain(named);
    expect(drawnSeqs(renderSequenceDiagram(t))).not.toContain(named);
  });

  test('different requests are not folded together', () => {
    const t = flood(20, { contextAt: (i) => (i % 2 ? 'a' : 'b') });
    // another body shape every other request
    t.entries.forEach((e, i) => {
      if (e.kind === 'request' && i % 4 === 0) e.body = { clientContext: 'a', extra: 1 };
    });
    expect(folds(renderSequenceDiagram(t))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

test.describe('through the CLI: every file of a run', () => {
  test('the reference bot, every check: no whole token in any report file, and tokens were there to shorten', async () => {
    test.setTimeout(120_000);
    const { dir, cleanup } = tempDir('callreplay-redact-');
    try {
      const r = await callreplay(['run', 'answer-incoming-call', '--variants', 'none', '--report-dir', dir]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const files = reportFiles(dir);
      const names = files.map((f) => f.name);
      for (const wanted of [/sequence\.html$/, /transcript\.json$/, /transcript-expired\.json$/, /findings\.json$/, /bot-output\.txt$/, /^results\.json$/, /^junit\.xml$/, /^html\/index\.html!report\.json$/, /^html\/data\//]) {
        expect(names.some((n) => wanted.test(n)), `${wanted} among ${names.join(', ')}`).toBe(true);
      }
      expect(files.map(tokenIn).filter(Boolean)).toEqual([]);
      // the bot's Graph requests and the harness's notifications did carry tokens: shortened, not dropped
      const transcript = files.find((f) => /flows-answer-incoming-call-[^/]*\/transcript\.json$/.test(f.name))!;
      expect(transcript.text).toMatch(/"authorization": "Bearer eyJhbGciOi…[A-Za-z0-9_-]{6}\([\d,]+ chars\)"/);
      const page = files.find((f) => /flows-answer-incoming-call-[^/]*\/sequence\.html$/.test(f.name))!;
      expect(page.text).toMatch(/authorization: Bearer eyJhbGciOi…[A-Za-z0-9_-]{6}\([\d,]+ chars\)/);
    } finally {
      cleanup();
    }
  });

  test('a bot that prints its secret and tokens and sends a 5 MB body: shortened, and the body stored cut', async () => {
    test.setTimeout(120_000);
    const { dir, cleanup } = tempDir('callreplay-redact-');
    try {
      const command = `"${process.execPath}" tests/fixtures/loud-bot.mjs`;
      const r = await callreplay(['run', 'answer-incoming-call', '--bot-command', command, '--variants', 'none', '--no-auth-check', '--no-refusal-checks', '--report-dir', dir], {
        env: { BOT_APP_SECRET: SECRET, BIG_BODY_BYTES: String(FIVE_MB) },
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const files = reportFiles(dir);
      expect(files.map(tokenIn).filter(Boolean)).toEqual([]);
      const secretLeaks = files.filter((f) => [SECRET, encodeURIComponent(SECRET), new URLSearchParams({ s: SECRET }).toString().slice(2)].some((s) => f.text.includes(s)));
      expect(secretLeaks.map((f) => f.name)).toEqual([]);

      // the bot printed them: what it printed is in the report, shortened
      const output = files.find((f) => /flows-answer-incoming-call-[^/]*\/bot-output\.txt$/.test(f.name))!;
      const formSecret = new URLSearchParams({ s: SECRET }).toString().slice(2); // as the bot's form writes it
      expect(output.text).toContain(`&client_secret=${shortenSecret(formSecret)}&scope=`);
      expect(output.text).toMatch(/got access_token=eyJhbGciOi…[A-Za-z0-9_-]{6}\([\d,]+ chars\)/);
      expect(output.text).toMatch(/answering [0-9A-F]{32} with Authorization: Bearer eyJhbGciOi…/);

      // the 5 MB body: nowhere whole (its end is past the cap), cut with its size in transcript.json and sequence.html
      expect(files.filter((f) => f.text.includes('END-OF-BIG-BODY')).map((f) => f.name)).toEqual([]);
      expect(files.filter((f) => f.bytes > 1_000_000 && !f.name.endsWith('index.html')).map((f) => `${f.name} ${f.bytes}`)).toEqual([]);
      const transcriptFile = files.find((f) => /flows-answer-incoming-call-[^/]*\/transcript\.json$/.test(f.name))!;
      const transcript = JSON.parse(transcriptFile.text) as Transcript;
      const big = transcript.entries.find((e) => String(e.url).endsWith('/callreplayBigBody')) as TranscriptEntry & { bodyCut?: BodyCut };
      expect(big.bodyCut?.bytes).toBeGreaterThan(FIVE_MB);
      expect(big.bodyCut?.shown).toBeLessThanOrEqual(BODY_CAP_BYTES);
      const note = `…[cut: ${groupDigits(big.bodyCut!.bytes)} bytes in all, first ${groupDigits(big.bodyCut!.shown)} shown]`;
      expect(big.body).toBe(`{"clientContext":"loud-${/calls\/([^/]+)\//.exec(String(big.url))![1]}","padding":"${'x'.repeat(big.bodyCut!.shown - 60 + 3)}`.slice(0, big.bodyCut!.shown) + note);
      const page = files.find((f) => /flows-answer-incoming-call-[^/]*\/sequence\.html$/.test(f.name))!;
      expect(page.text).toContain(note);
      expect(page.text.split('&quot;padding&quot;:&quot;xxxx').length - 1).toBe(1);
      expect(page.bytes).toBeLessThan(BODY_CAP_BYTES + 40_000);
    } finally {
      cleanup();
    }
  });
});
