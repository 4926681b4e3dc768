/**
 * `callreplay list` and `callreplay validate`. `list` reads the flows' summaries (flow-summary.ts:
 * cached for files that loaded cleanly before); `validate` always loads every file in full.
 */
import { summarizeFlows } from '../flow/flow-summary.js';
import { EXIT } from './exit-codes.js';
import { resolveFlowArgs } from './resolve-flows.js';

/**
 * `list`: the flows by suite with their descriptions; `--json`: an array of { name, suite, api,
 * description, file, triggers } (triggers: each named trigger and the values it passes, for --trigger).
 */
export async function listCommand(flows: string[], json = false): Promise<number> {
  const loaded = await summarizeFlows(resolveFlowArgs(flows));
  if (json) {
    const rows = loaded.map((f) => ({ name: f.name, suite: f.suite, api: f.api ?? null, description: f.description, file: f.file, triggers: f.triggers }));
    console.log(JSON.stringify(rows, null, 2));
    return EXIT.passed;
  }
  const suites = [...new Set(loaded.map((f) => f.suite))].sort();
  for (const suite of suites) {
    console.log(`${suite}:`);
    for (const flow of loaded.filter((f) => f.suite === suite)) console.log(`  ${flow.name.padEnd(32)} ${flow.description}`);
  }
  return EXIT.passed;
}

export async function validateCommand(files: string[]): Promise<number> {
  const { FlowFileError, loadFlowFile } = await import('../flow/load-flow.js');
  let bad = 0;
  for (const file of resolveFlowArgs(files)) {
    try {
      const flow = await loadFlowFile(file);
      console.log(`ok  ${file} (${flow.name}, ${flow.steps.length} steps)`);
    } catch (e) {
      if (!(e instanceof FlowFileError)) throw e;
      bad++;
      console.error(`bad ${e.message}`);
    }
  }
  return bad ? EXIT.usage : EXIT.passed;
}
