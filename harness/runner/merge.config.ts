/**
 * The Playwright configuration of `callreplay merge-reports`: only the reporters, writing the
 * merged report folder named by MERGE_DIR_ENV (the same reporters as a run, reporters.ts).
 */
import { defineConfig } from '@playwright/test';
import { runReporters } from '../report/reporters.js';

import { MERGE_DIR_ENV } from './merge-dir.js';

const dir = process.env[MERGE_DIR_ENV];
if (!dir) throw new Error(`${MERGE_DIR_ENV} is not set: this configuration is used by callreplay merge-reports`);

export default defineConfig({ reporter: runReporters(dir) });
