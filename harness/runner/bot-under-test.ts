/**
 * The bot a run talks to: started by the harness (`--bot-command`, on a free port unless its URL
 * names one) or started by hand (`--bot-url`). Shared by `callreplay run` and `callreplay load`.
 */
import { BotProcess } from '../bot/bot-process.js';
import type { Harness } from './harness.js';
import type { BotSpec } from './run-config.js';
import { freePort } from './free-port.js';

export interface BotUnderTest {
  webhookUrl: string;
  /** the child process when the harness started the bot */
  process?: BotProcess;
}

/** Starts the bot of `spec` with the harness's environment (or takes the hand-started one's URL). */
export async function startBot(spec: BotSpec, harness: Harness): Promise<BotUnderTest> {
  if (!spec.command) return { webhookUrl: spec.url! };
  const port = spec.url ? Number(new URL(spec.url).port) : await freePort();
  const webhookUrl = spec.url ?? `http://127.0.0.1:${port}${spec.webhookPath}`;
  const process = await BotProcess.start({
    command: spec.command,
    env: harness.botEnvironment(port),
    readyUrl: webhookUrl,
    readyTimeoutMs: spec.readyTimeoutMs,
  });
  return { webhookUrl, process };
}
