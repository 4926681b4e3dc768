/** What a run's session leaves in the report folder (session.json) for the CLI's summary. */

/** A bot restart: the bot the harness started had died, and was started again before the next test. */
export interface BotRestart {
  /** how the bot had ended, e.g. "exited with code 1" */
  exit: string;
  at: string;
}

export interface SessionFile {
  /** the bot could not be started: why (every test failed with this) */
  startError?: string;
  restarts: BotRestart[];
}

export const SESSION_FILE = 'session.json';
