/**
 * The one choke point between what a run recorded and what a report file holds: secrets shortened
 * (redact.ts) and bodies over the cap cut (body-cap.ts). check-tests.ts attachText/attachJson pass
 * every attachment through here (sequence.html, transcript*.json, findings.json, bot-output.txt);
 * the sequence diagram renders from safeValue(transcript). Writers of other report files
 * (results.json's bot output tail, junit.xml, test errors that quote the bot's output) should pass
 * their text through safeText too.
 */
import { capBodies } from './body-cap.js';
import { redactText, redactValue } from './redact.js';

/** Free text (bot output, an HTML page, a test error) with its secrets shortened. */
export function safeText(text: string): string {
  return redactText(text);
}

/** A JSON value as a report file holds it: bodies over the cap cut, secrets shortened. */
export function safeValue<T>(value: T): T {
  return redactValue(capBodies(value));
}

/** A JSON value as report-file text (pretty-printed): bodies over the cap cut, secrets shortened. */
export function safeJson(value: unknown): string {
  return JSON.stringify(safeValue(value), null, 2) ?? 'null';
}
