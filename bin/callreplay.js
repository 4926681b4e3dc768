#!/usr/bin/env node
// callreplay's command line, compiled to dist/ by `npm install` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('callreplay: not built yet: run `npm install` (or `npm run build`) in the callreplay folder first');
  process.exit(2);
}
await import(main.href);
