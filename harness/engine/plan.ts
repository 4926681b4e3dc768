/**
 * A flow compiled for execution: templates and matchers built, names checked. Produced by
 * harness/flow/compile.ts; consumed by the engine.
 */
import type { Render } from '../flow/templates.js';
import type { Matcher } from './matchers.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Where something is written in the flow file (1-based line and column), for the report's locations. */
export interface SourcePos {
  line: number;
  column: number;
  /** the last line of a step */
  endLine?: number;
}

interface StepBase {
  /** 0-based index among the flow's top-level steps */
  index: number;
  name: string;
  /** JSON pointer of the step in the flow file, e.g. /steps/4 */
  pointer: string;
  timeoutMs: number;
  /** where the step is written in the flow file (absent for a flow compiled from a document without positions) */
  at?: SourcePos;
}

export interface CompiledExpect extends StepBase {
  kind: 'expect';
  method: HttpMethod;
  /** renders the expected path, e.g. /beta/app/calls/57dab8b1-.../answer */
  path: Render;
  /** the path as written in the flow file, for messages */
  pathTemplate: string;
  body?: Matcher;
  headers: ReadonlyArray<readonly [string, Matcher]>;
  /** `optional`: a missing value binds the name to nothing instead of failing the step */
  captures: ReadonlyArray<{ name: string; source: string; optional: boolean; segments: ReadonlyArray<string | number> }>;
  /** the flow's answer; undefined: answer as Graph does (the run's default answer) */
  respond?: { status: number; headers?: Render; body?: Render };
  /**
   * the answer is held until the bot has answered the notify steps right after this one (at most
   * half their shortest timeout): the notifications a request causes reach the bot before its
   * answer does (variant notification-before-response)
   */
  holdResponse?: boolean;
}

export interface CompiledNotify extends StepBase {
  kind: 'notify';
  /** 'auto': the callback the bot registered for the call, else the webhook */
  to: 'auto' | 'webhook' | Render;
  headers?: Render;
  /** milliseconds to wait before sending */
  delayMs: number;
  body: Render;
  /** sent without waiting for the bot's answer to the notification before it (variant overlapping-delivery) */
  overlap?: boolean;
}

export interface CompiledTrigger extends StepBase {
  kind: 'trigger';
  /** the trigger's name, which a run maps to a bot's own endpoint (flow file `id`) */
  id?: string;
  /** the values the trigger passes, rendered like the body (flow file `values`) */
  values?: Render;
  /** set when a run maps the trigger to the bot's own endpoint: where the mapping was given (--trigger ..., a config key), for messages */
  mapping?: string;
  method: HttpMethod;
  path: Render;
  headers?: Render;
  body?: Render;
  /**
   * the run goes on once the trigger is sent and waits for its answer only at its end: a bot may
   * answer its own API only when Graph has answered it, and that answer is held for the
   * notifications after it (variant notification-before-response)
   */
  answerInBackground?: boolean;
}

export interface CompiledUnordered extends StepBase {
  kind: 'unordered';
  expects: CompiledExpect[];
}

export type CompiledStep = CompiledExpect | CompiledNotify | CompiledTrigger | CompiledUnordered;

export interface CompiledFlow {
  name: string;
  description: string;
  file: string;
  /** where the flow's `name` is written in the flow file */
  at?: SourcePos;
  /** the suite it belongs to ('default' when the file names none) */
  suite: string;
  api?: 'v1.0' | 'beta';
  unmatched: 'fail' | 'ignore';
  /** the quiet period after the last step (the most it lasts when quietFromBot) */
  quietMs: number;
  /**
   * the flow sets no `quiet`: the period lasts three times the bot's slowest reaction in this run
   * (from a notification or answer to the bot's next request), at least QUIET_FLOOR_MS, at most quietMs
   */
  quietFromBot?: boolean;
  /** names of ids minted fresh for every run */
  ids: readonly string[];
  /**
   * names (among `ids`) of calls that are not the bot's (variant other-call-interleaved): a request
   * naming one is answered 404 8522 as Graph answers for a call the app does not know, and judged by no step
   */
  otherCalls?: readonly string[];
  values: Readonly<Record<string, string | number | boolean>>;
  steps: CompiledStep[];
}
