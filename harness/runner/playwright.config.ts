/**
 * The Playwright configuration `callreplay run` uses: suites/ as tests; globalSetup starts the
 * run's one harness and one bot (the workers share them); the reports: HTML, JUnit, results.json.
 */
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { packageRoot, suitesDir } from '../paths.js';
import { readRunConfig } from './run-config.js';

const config = readRunConfig();

export default defineConfig({
  testDir: suitesDir,
  testMatch: '**/*.spec.ts',
  globalSetup: join(packageRoot, 'dist', 'harness', 'runner', 'global-setup.js'),
  // flows overlap against the one bot, as Graph sends many calls at once
  workers: config.workers ?? 1,
  maxFailures: config.maxFailures ?? 0,
  retries: 0,
  forbidOnly: true,
  outputDir: join(config.reportDir, 'test-output'),
  reporter: [
    ['list'],
    ['html', { outputFolder: join(config.reportDir, 'html'), open: 'never' }],
    ['junit', { outputFile: join(config.reportDir, 'junit.xml') }],
    [join(packageRoot, 'dist', 'harness', 'report', 'results-reporter.js'), { outputFile: join(config.reportDir, 'results.json') }],
  ],
});
