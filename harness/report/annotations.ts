/** Annotations the suite sets and the reporters read (dependency-free: workers load it). */

/** The annotation of a test that stands for a check that was not run (its description: why). */
export const NOT_RUN = 'not-run';
/** The annotation of a test that checks the whole run, not one flow (the refusal checks). */
export const RUN_WIDE = 'run-wide';
