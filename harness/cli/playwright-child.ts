/**
 * Runs Playwright's own command line (`playwright test`, `playwright merge-reports`) as a child
 * process in the package's folder, its output on ours; Ctrl-C and SIGTERM are passed on to it.
 * Resolves with its exit status (130 when a signal ended it).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { packageRoot } from '../paths.js';
import { EXIT } from './exit-codes.js';

export function runPlaywrightCli(args: string[], env: Record<string, string>): Promise<number> {
  const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: packageRoot,
      env: { ...process.env, ...env, PLAYWRIGHT_HTML_OPEN: 'never', FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
      stdio: 'inherit',
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolvePromise(code ?? (signal ? EXIT.interrupted : 1));
    });
  });
}
