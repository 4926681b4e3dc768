/**
 * The bot's output shown after a failing test's message (dependency-free: the results reporter
 * cuts the note off the message at BOT_NOTE_START, from report/annotations.ts; results.json keeps it as botOutput).
 */
import { BOT_NOTE_START } from '../report/annotations.js';
import type { BotSnapshot } from './session-api.js';

export { BOT_NOTE_START };

const BOT_OUTPUT_LINES = 15;

/** What the bot printed (last lines) and whether it is still running: shown beside the failing step. */
export function botNote(bot: BotSnapshot | undefined): string {
  if (!bot) return '';
  const lines = bot.output.trimEnd().split('\n').filter(Boolean).slice(-BOT_OUTPUT_LINES);
  const exit = bot.running ? '' : `\n(the bot process ${bot.exitDescription})`;
  return `${BOT_NOTE_START}${lines.length ? ` (last ${lines.length} lines)` : ''} ---${exit}\n${lines.join('\n') || '(nothing)'}`;
}
