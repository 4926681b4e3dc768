// Shared by the type generators: write the generated file, or with --check exit 1 when the
// committed file differs from what the schema generates (the tests run the check).
import { readFile, writeFile } from 'node:fs/promises';

export async function writeOrCheck(outPath, generated, source) {
  if (process.argv.includes('--check')) {
    const current = await readFile(outPath, 'utf8').catch(() => '');
    if (current !== generated) {
      console.error(`${outPath} is out of date with ${source}: run npm run gen:types`);
      process.exit(1);
    }
  } else {
    await writeFile(outPath, generated);
    console.log(`wrote ${outPath}`);
  }
}
