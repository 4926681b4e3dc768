/**
 * The Playwright configuration `callreplay run` uses: suites/ as tests, one worker (one bot),
 * and the reports: HTML, JUnit, results.json.
 */
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { packageRoot, suitesDir } from '../paths.js';
import { readRunConfig } from './run-config.js';

const config = readRunConfig();

export default defineConfig({
  testDir: suitesDir,
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
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
