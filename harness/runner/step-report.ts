/**
 * What one flow step shows when it is expanded in the HTML report: the step as the flow file
 * writes it (what was expected), the finding (expected vs received, the diff), and the exchange at
 * that step (the notification sent and the bot's answer, or the request the bot sent and the
 * harness's answer), as plain text. Secrets are shortened and bodies cut (report/report-safe.ts, body-cap.ts).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { TranscriptEntry } from '../engine/transcript.js';
import type { SourcePos } from '../engine/plan.js';
import { cutBody } from '../report/body-cap.js';
import { safeText } from '../report/report-safe.js';

/** A body shown under a step is cut sooner than in the report's files (the whole is in transcript.json, to 64 KB). */
const STEP_BODY_CAP = 8_192;

export interface StepTextInput {
  /** the step's title, e.g. "8. expect POST /beta/app/calls/{meetingCall}/participants/invite (invite …)" */
  title: string;
  flowFile: string;
  at?: SourcePos;
  /** the transcript entries of this step, in order */
  entries: readonly TranscriptEntry[];
  /** ids minted for this run, by value: e.g. { "57dab8b1-…": "p2pCall" } */
  idNames: Readonly<Record<string, string>>;
  /** the finding the step failed with (formatted), if it failed */
  finding?: string;
}

/**
 * What happened at a step, in sections (each a few lines): the step as the flow file writes it,
 * every message of the step, and what went wrong. The report shows each as a line under the step.
 */
export function stepSections(input: StepTextInput): { expected?: string; exchange: string[]; finding?: string } {
  const source = flowSource(input.flowFile, input.at);
  const where = input.at ? `${displayPath(input.flowFile)}:${input.at.line}` : displayPath(input.flowFile);
  const expected = source ? `the flow file (${where}):\n${source}` : undefined;
  const exchange = input.entries.length === 0 ? ['nothing was sent or received at this step'] : input.entries.map((e) => safeText(entryLines(e).join('\n')));
  const ids = dedupeIds(Object.entries(input.idNames));
  if (ids.length > 0 && input.entries.length > 0) exchange.push(`ids of this run: ${ids.map(([value, name]) => `{${name}} = ${value}`).join(', ')}`);
  return { expected, exchange, finding: input.finding && `what went wrong: ${safeText(input.finding)}` };
}

/** The same as one text (attached to a failing step, to read or copy whole). */
export function stepText(input: StepTextInput): string {
  const { expected, exchange, finding } = stepSections(input);
  return [input.title, ...(finding ? [finding] : []), ...(expected ? [`expected: ${expected}`] : []), 'what happened at this step:', ...exchange].join('\n\n');
}

/** The lines of the step in the flow file, as written (empty when unknown or unreadable). */
function flowSource(file: string, at: SourcePos | undefined): string {
  if (!at) return '';
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    const last = Math.min(lines.length, at.endLine ?? at.line);
    return lines
      .slice(at.line - 1, last)
      .map((l, i) => `${String(at.line + i).padStart(5)} | ${l}`)
      .join('\n');
  } catch {
    return '';
  }
}

const ARROWS: Record<TranscriptEntry['kind'], string> = {
  notification: 'callreplay (as Graph) sent the notification',
  ack: 'the bot answered',
  trigger: 'callreplay sent the trigger',
  'trigger-response': 'the bot answered',
  request: 'the bot sent',
  response: 'callreplay (as Graph) answered',
  'token-request': 'the bot asked for a token',
  'token-response': 'callreplay (as the token endpoint) answered',
};

function entryLines(e: TranscriptEntry): string[] {
  const what = e.method ? `${e.method} ${e.url ?? ''}` : `${e.status ?? ''}`;
  const latency = e.latencyMs !== undefined ? ` after ${Math.round(e.latencyMs)} ms` : '';
  const marks = [e.failed ? '  <-- the finding is about this message' : '', e.stray ? `  (no run took it: ${e.stray.reason})` : ''].join('');
  const lines = [`${ARROWS[e.kind]} at +${Math.round(e.at)} ms: ${what}${latency}${marks}`];
  for (const [name, value] of Object.entries(e.headers ?? {})) lines.push(`  ${name}: ${value}`);
  if (e.body !== undefined) {
    const { body } = cutBody(e.body, STEP_BODY_CAP);
    lines.push('  body:', indent(typeof body === 'string' ? body : JSON.stringify(body, null, 2), '    '));
  }
  return lines;
}

/** One line per id (an id may be listed in several spellings, e.g. upper case). */
function dedupeIds(ids: Array<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  return ids.filter(([value]) => {
    const key = value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
