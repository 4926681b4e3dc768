/**
 * What `callreplay run` hands to the Playwright suite (through the CALLREPLAY_RUN environment
 * variable, as JSON): which flows, which bot, which transport, where reports go.
 */
import type { HarnessPorts, InterceptWay } from './harness.js';

export const RUN_CONFIG_ENV = 'CALLREPLAY_RUN';

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
  /** absolute paths of flow files, already validated by the CLI */
  flows: string[];
  bot: BotSpec;
  /** the ways in opened for the bot */
  intercept: InterceptWay[];
  /** fixed ports (0 = any free port) */
  ports: Required<HarnessPorts>;
  caDir: string;
  /** run the notification-auth conformance check for every flow that starts with a notification */
  authCheck: boolean;
  appId: string;
  reportDir: string;
}

export function readRunConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const text = env[RUN_CONFIG_ENV];
  if (!text) {
    throw new Error(`${RUN_CONFIG_ENV} is not set: run flows with \`callreplay run\`, which sets it (see README)`);
  }
  return JSON.parse(text) as RunConfig;
}
