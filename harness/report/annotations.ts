/** Annotations the suite sets and the reporters read (dependency-free: workers load it). */

/** The annotation of a test that stands for a check that was not run (its description: why). */
export const NOT_RUN = 'not-run';
/** The annotation of a test that checks the whole run, not one flow (the refusal checks). */
export const RUN_WIDE = 'run-wide';

/** The `mode` annotation of notification-auth checks (the summaries count them apart). */
export const AUTH_CHECK_MODE = 'notification-auth';
/** The `mode` annotation of robustness-variant runs. */
export const VARIANT_MODE = 'variant';
/** The `mode` annotation of refusal checks (once per run, not per flow). */
export const REFUSAL_MODE = 'refusal';

/** Where the bot's output begins in a failing test's message (runner/bot-note.ts writes it; results.json cuts there). */
export const BOT_NOTE_START = '\n--- bot output during this flow';
