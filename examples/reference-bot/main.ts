/**
 * Process entry point of the reference calling bot:
 *   npm run build && node dist/examples/reference-bot/main.js
 *   npx tsx examples/reference-bot/main.ts
 * Configured by environment variables only (see README.md). Exit codes: 0 after SIGTERM/SIGINT,
 * 1 when the server cannot start (e.g. the port is in use), 2 for a bad configuration.
 */
import { ReferenceBot } from './bot.js';
import { configFromEnv, type BotConfig } from './config.js';

let config: BotConfig;
try {
  config = configFromEnv();
} catch (err) {
  console.error(`[reference-bot] bad configuration: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}

const bot = new ReferenceBot(config);
try {
  await bot.start();
} catch (err) {
  console.error(`[reference-bot] could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
console.log(`[reference-bot] listening on ${bot.url}`);

const shutdown = (): void => {
  bot.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`[reference-bot] error while stopping: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
