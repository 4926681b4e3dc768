/** Locations inside the installed callreplay package, valid from the sources and from dist/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('callreplay: cannot find the package root from ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot();
export const flowSchemaPath = join(packageRoot, 'harness', 'flow', 'flow.schema.json');
export const shippedRecordingsDir = join(packageRoot, 'recordings');
export const suitesDir = join(packageRoot, 'suites');
/** The compiled reference bot's entry point (built by `npm run build` / the prepare script). */
export const referenceBotMain = join(packageRoot, 'dist', 'examples', 'reference-bot', 'main.js');
