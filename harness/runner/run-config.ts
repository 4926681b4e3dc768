/**
 * What `callreplay run` hands to the Playwright suite (through the CALLREPLAY_RUN environment
 * variable, as JSON): which bot, which transport, which checks, where reports go; the tests
 * themselves are in the plan file (test-plan.ts).
 */
// types only, and nothing heavy: every Playwright worker loads this module at start
import type { RuleOptions } from '../rules/index.js';
import type { VariantKind } from '../variants/index.js';
import type { HarnessPorts, InterceptWay } from './harness.js';
import type { TriggerMapping } from '../flow/trigger-mapping.js';

export const RUN_CONFIG_ENV = 'CALLREPLAY_RUN';

export { AUTH_CHECK_MODE, REFUSAL_MODE, VARIANT_MODE } from '../report/annotations.js';
/** The annotation of a check that was not run, with the reason (the report and results.json name it). */
export { NOT_RUN as NOT_RUN_ANNOTATION, RUN_WIDE as RUN_WIDE_ANNOTATION } from '../report/annotations.js';

export interface BotSpec {
  /** the bot's calling webhook, e.g. http://127.0.0.1:3978/api/calls (a bot started by hand, or the started bot's) */
  url?: string;
  /** command line that starts the bot (the harness gives it PORT, GRAPH_BASE_URL, LOGIN_BASE_URL, BOT_APP_ID) */
  command?: string;
  /** path of the webhook on a bot the harness starts (default /api/calls) */
  webhookPath: string;
  /** milliseconds to wait for a started bot to answer */
  readyTimeoutMs: number;
  /** a label for reports, e.g. "reference bot" */
  label: string;
}

export interface RunConfig {
  bot: BotSpec;
  /** the ways in opened for the bot */
  intercept: InterceptWay[];
  /** fixed ports (0 = any free port) */
  ports: Required<HarnessPorts>;
  caDir: string;
  /** run the notification-auth conformance check for every flow that sends a notification */
  authCheck: boolean;
  /** run the refusal checks (hostile or broken input on the webhook), once per run */
  refusalChecks: boolean;
  /** the checks that watch every flow */
  checks: CheckConfig;
  appId: string;
  /** the tenant of every call (--tenant) */
  tenant: string;
  reportDir: string;
  /** flows run at once against the bot (Playwright workers) */
  workers: number;
  /** stop after this many failed tests (0: never) */
  maxFailures: number;
  /** the tests of the run, planned by the CLI (test-plan.ts): workers declare them without parsing flows */
  planFile: string;
  /** run only this shard of the tests (--shard 2/3), and keep a blob report for merge-reports */
  shard?: { current: number; total: number };
  /** flow triggers mapped to the bot's own endpoints (--trigger, config `triggers`), one per name */
  triggers?: TriggerMapping[];
}

export interface CheckConfig {
  /** call-state rules (docs/rules.md); undefined: off */
  rules?: RuleOptions;
  /** validate every Graph request body against the calling schemas */
  schema: boolean;
  /** the robustness variants run for every flow (each its own test) */
  variants: VariantKind[];
  /** a notification acknowledged slower than this is reported (warning) */
  ackThresholdMs: number;
}

export function readRunConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const text = env[RUN_CONFIG_ENV];
  if (!text) {
    throw new Error(`${RUN_CONFIG_ENV} is not set: run flows with \`callreplay run\`, which sets it (see README)`);
  }
  return JSON.parse(text) as RunConfig;
}
