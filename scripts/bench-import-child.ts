/**
 * A child of bench-import.ts: `node bench-import-child.js bare|import`. `import` first loads the
 * package entry (`import 'callreplay'`, else dist/harness/index.js by path); both then wait for
 * { hops } messages and answer each with { perHopMs } of rawHop(hops). Node built-ins and
 * bench-raw-hop.js only, so that `bare` has loaded nothing of callreplay.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rawHop } from './bench-raw-hop.js';

const mode = process.argv[2];
let how = 'nothing';
let importMs = 0;
if (mode === 'import') {
  const t0 = performance.now();
  try {
    await import('callreplay');
    how = "import('callreplay')";
  } catch {
    const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'harness', 'index.js');
    await import(pathToFileURL(entry).href);
    how = `import('${entry}')`;
  }
  importMs = performance.now() - t0;
}
await rawHop(300); // warm up
process.on('message', (m: { hops?: number; exit?: true }) => {
  if (m.exit) return process.disconnect();
  void rawHop(m.hops!).then((perHopMs) => process.send!({ perHopMs }));
});
process.send!({ ready: true, how, importMs });
