/**
 * Where the report points: at the flow file, never at the harness. Playwright takes a test's
 * location from the stack frame that calls `test()` (and a skip's from the frame calling
 * `test.skip`), so those calls are made through a one-line function compiled with the flow file
 * as its file name and the flow's line as its position (`callAt`). Steps take an explicit
 * `location`. Errors get a stack of their message and one flow-file frame, so the report's code
 * frame shows the flow's YAML. The harness's own files are hidden from the stacks Playwright
 * captures in the worker (attachment steps), as Playwright hides its own.
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import vm from 'node:vm';
import { packageRoot } from '../paths.js';
import type { SourcePos } from '../engine/plan.js';

export interface FlowLocation extends SourcePos {
  file: string;
}

/** `pos` in `file` as a test.step location (line 1 when the position is unknown). */
export function locationOf(file: string, pos: SourcePos | undefined): FlowLocation {
  return { file, line: pos?.line ?? 1, column: pos?.column ?? 1, ...(pos?.endLine ? { endLine: pos.endLine } : {}) };
}

const callers = new Map<string, (fn: (...args: never[]) => unknown, args: unknown[]) => unknown>();

/**
 * Calls `fn(...args)` from a frame at `at` (file:line:column): what Playwright records as the
 * location of a test declared, or skipped, by `fn`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Playwright's test(), test.describe() and test.skip() are overloaded
export function callAt(at: FlowLocation, fn: (...args: any[]) => unknown, ...args: unknown[]): unknown {
  const key = `${at.file}:${at.line}:${at.column}`;
  let caller = callers.get(key);
  if (!caller) {
    // the call sits alone on the second line, indented to the column: its frame is file:line:column
    const source = `(function (fn, args) { return (\n${' '.repeat(Math.max(0, at.column - 1))}fn(...args)); })`;
    caller = vm.runInThisContext(source, { filename: at.file, lineOffset: at.line - 2 }) as (fn: (...args: never[]) => unknown, args: unknown[]) => unknown;
    callers.set(key, caller);
  }
  return caller(fn, args);
}

/** A stack frame line naming `at`, as V8 writes them. */
function frameOf(at: FlowLocation): string {
  return `    at ${at.file}:${at.line}:${at.column}`;
}

/**
 * Gives `error` a stack of its message and one frame at `at` (instead of the harness's frames):
 * Playwright then shows the flow file around that line as the error's code frame.
 */
export function pointAt<E extends Error>(error: E, at: FlowLocation): E {
  error.stack = `${error.name}: ${error.message}\n${frameOf(at)}`;
  return error;
}

/** Folders whose frames are the harness's own (from the sources, and compiled). */
const HARNESS_DIRS = [join(packageRoot, 'harness') + sep, join(packageRoot, 'dist') + sep];

/**
 * Hides the harness's frames from the stacks Playwright captures in this process (the location of
 * an attachment step, of a fixture), as it hides its own. Uses Playwright's own filter; a
 * Playwright without it leaves the frames (the report then names harness files).
 */
export function hideHarnessFrames(): void {
  try {
    const require = createRequire(import.meta.url);
    const utils = (require('playwright-core/lib/coreBundle') as { utils?: { setBoxedStackPrefixes?: (p: string[]) => void } }).utils;
    const playwrightRoot = dirname(require.resolve('playwright/package.json'));
    const coreRoot = dirname(require.resolve('playwright-core/package.json'));
    utils?.setBoxedStackPrefixes?.([playwrightRoot, coreRoot, ...HARNESS_DIRS]);
  } catch {
    // an older or newer Playwright: the frames stay
  }
}

/** The spec file that declared the tests (the first frame outside the harness and node_modules), for run-wide tests. */
export function declaringFile(): string | undefined {
  const saved = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    const frames = (new Error().stack as unknown as NodeJS.CallSite[]) ?? [];
    for (const frame of frames) {
      let file = frame.getFileName() ?? '';
      if (file.startsWith('file://')) file = new URL(file).pathname;
      if (!file || file.startsWith('node:') || file.includes(`${sep}node_modules${sep}`) || HARNESS_DIRS.some((d) => file.startsWith(d))) continue;
      return file;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = saved;
  }
}
