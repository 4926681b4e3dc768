/**
 * The bot's output shown after a failing test's message (dependency-free: the results reporter
 * imports BOT_NOTE_START to cut the note off the message, results.json keeping it as botOutput).
 */
import type { BotSnapshot } from './session-api.js';

/** Where the note begins in a test's error message: everything before it is the verdict itself. */
export const BOT_NOTE_START = '\n--- bot output during this flow';

const BOT_OUTPUT_LINES = 15;

/** What the bot printed (last lines) and whether it is still running: shown beside the failing step. */
export function botNote(bot: BotSnapshot | undefined): string {
  if (!bot) return '';
  const lines = bot.output.trimEnd().split('\n').filter(Boolean).slice(-BOT_OUTPUT_LINES);
  const exit = bot.running ? '' : `\n(the bot process ${bot.exitDescription})`;
  return `${BOT_NOTE_START}${lines.length ? ` (last ${lines.length} lines)` : ''} ---${exit}\n${lines.join('\n') || '(nothing)'}`;
}
