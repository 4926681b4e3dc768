/**
 * The Playwright configuration `callreplay run` uses: suites/ as tests; globalSetup starts the
 * run's one harness and one bot (the workers share them); the reports (harness/report/reporters.ts).
 */
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { packageRoot, suitesDir } from '../paths.js';
import { runReporters } from '../report/reporters.js';
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
  ...(config.shard ? { shard: config.shard } : {}),
  outputDir: join(config.reportDir, 'test-output'),
  reporter: runReporters(config.reportDir, { blob: config.shard !== undefined }),
});
