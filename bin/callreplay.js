#!/usr/bin/env node
// callreplay's command line, compiled to dist/ by `npm install` (prepare) or `npm run build`.
// It runs dist/cli.bundle.mjs (main.js with yargs in one file: a faster start, scripts/bundle-cli.mjs)
// when that is not older than dist/harness/cli/main.js, which a plain `tsc` rebuild rewrites: a stale
// bundle is never run; main.js is then run itself.
import { statSync } from 'node:fs';

const main = new URL('../dist/harness/cli/main.js', import.meta.url);
const bundle = new URL('../dist/cli.bundle.mjs', import.meta.url);
const built = statSync(main, { throwIfNoEntry: false });
if (!built) {
  console.error('callreplay: not built yet: run `npm install` (or `npm run build`) in the callreplay folder first');
  process.exit(2);
}
const bundled = statSync(bundle, { throwIfNoEntry: false });
await import((bundled && bundled.mtimeMs >= built.mtimeMs ? bundle : main).href);
