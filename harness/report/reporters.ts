/**
 * The reporters of a callreplay run, in one place: `callreplay run` (harness/runner/playwright.config.ts),
 * `callreplay merge-reports` and the bench's Playwright floor use the same list. Paths are absolute.
 */
import { join } from 'node:path';
import type { ReporterDescription } from '@playwright/test';
import { packageRoot } from '../paths.js';

export function reportDirFiles(reportDir: string) {
  return {
    html: join(reportDir, 'html'),
    results: join(reportDir, 'results.json'),
    junit: join(reportDir, 'junit.xml'),
    summary: join(reportDir, 'summary.md'),
    blob: join(reportDir, 'blob'),
  };
}

/** The reporters writing `reportDir`: console lines, the HTML report, results.json, junit.xml, summary.md. */
export function runReporters(reportDir: string, options: { blob?: boolean } = {}): ReporterDescription[] {
  const files = reportDirFiles(reportDir);
  const report = (name: string) => join(packageRoot, 'dist', 'harness', 'report', name);
  return [
    [report('console-reporter.js')],
    // noCopyPrompt: the "copy prompt" button fetches error-context.md, which a page opened from file:// may not (CORS)
    ['html', { outputFolder: files.html, open: 'never', title: 'callreplay', noCopyPrompt: true }],
    [report('results-reporter.js'), { outputFile: files.results, junitFile: files.junit, summaryFile: files.summary }],
    // a shard keeps Playwright's blob report too, for `callreplay merge-reports`
    ...(options.blob ? [['blob', { outputDir: files.blob }] as ReporterDescription] : []),
  ];
}
