/**
 * Playwright's globalSetup for `callreplay run`: starts the run's session (one harness, one bot)
 * in the runner process, before any worker, and serves it to the workers (SESSION_ENV), the way
 * Playwright's webServer owns a dev server. Failed tests restart workers, not the bot. The
 * teardown stops everything and leaves `session.json` (bot restarts) for the CLI's summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunConfig } from './run-config.js';
import { RunSession } from './run-session.js';
import { SESSION_FILE, type SessionFile } from './session-file.js';
import { SESSION_ENV, serveSession } from './session-rpc.js';
import { failedSession } from './failed-session.js';
import { BotStartError } from '../bot/bot-process.js';


export default async function globalSetup(): Promise<() => Promise<void>> {
  const config = readRunConfig();
  let session: RunSession | undefined;
  let startError: string | undefined;
  let cause: 'bot' | 'harness' = 'harness';
  try {
    session = await RunSession.start(config);
  } catch (e) {
    // every test fails with this message (the results name it), rather than one setup error
    startError = e instanceof Error ? e.message : String(e);
    if (e instanceof BotStartError) cause = 'bot';
  }
  const server = await serveSession(session ?? failedSession(startError!, cause));
  process.env[SESSION_ENV] = server.address;
  return async () => {
    await server.close();
    await session?.close();
    const file: SessionFile = { startError, restarts: session?.restarts ?? [] };
    mkdirSync(config.reportDir, { recursive: true });
    writeFileSync(join(config.reportDir, SESSION_FILE), JSON.stringify(file, null, 2));
  };
}
