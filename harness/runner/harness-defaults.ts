/**
 * The harness's defaults that the command line shows in its help: a dependency-free module, so that
 * `callreplay --help` and option checks need not load the harness (harness.ts re-exports them).
 */

/**
 * The tenant of every call when none is given (TENANT_ID / --tenant). Stable across runs and
 * flows: bots keep one token for an hour, or are configured with one tenant.
 */
export const DEFAULT_TENANT_ID = '6f2c1a4e-93b7-4d0a-8e15-c4a9d27b3f60';

/** `--tenant per-run`: every flow run mints its own tenant (see HarnessOptions.tenant). */
export const PER_RUN_TENANT = 'per-run';

/** Ways an out-of-process bot's traffic reaches the harness. */
export const INTERCEPT_WAYS = ['gateway', 'https', 'proxy', 'preload'] as const;
export type InterceptWay = (typeof INTERCEPT_WAYS)[number];
