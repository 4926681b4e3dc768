/* Generated from harness/flow/flow.schema.json by scripts/gen-flow-types.mjs. Do not edit: run `npm run gen:types`. */

/**
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "name".
 */
export type Name = string;
/**
 * Short name shown in reports, e.g. 'answer'.
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "stepName".
 */
export type StepName = string;
/**
 * Milliseconds this step may take (overrides the flow's timeout).
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "stepTimeout".
 */
export type StepTimeout = number;

/**
 * A callreplay flow: an ordered script of notifications the harness sends to a calling bot and requests the bot must send back to Microsoft Graph.
 */
export interface CallreplayFlow {
  /**
   * Flow format version. Only 1 exists.
   */
  callreplay: 1;
  /**
   * Flow name, unique among the flows of a run (kebab-case).
   */
  name: string;
  /**
   * One line shown by `callreplay list`.
   */
  description: string;
  /**
   * Where the flow comes from (doc page, recording).
   */
  source?: string;
  /**
   * The suite the flow belongs to (`callreplay list` groups by it; `callreplay run --suite NAME` runs one).
   */
  suite?: string;
  /**
   * Graph API version the flow's paths use.
   */
  api?: 'v1.0' | 'beta';
  /**
   * What happens to a Graph request the flow does not list: 'fail' the flow (default) or 'ignore' it (answered 202 and logged) for flows that check one behaviour of a bot that does more.
   */
  unmatched?: 'fail' | 'ignore';
  /**
   * Default per-step timeout in milliseconds (default 5000).
   */
  timeout?: number;
  /**
   * After the last step, milliseconds during which any further request from the bot fails the flow (with unmatched: ignore, requests are only logged). Default: three times the bot's slowest reaction in the run, at least 100 and at most 300.
   */
  quiet?: number;
  /**
   * Names of ids minted fresh (random GUIDs) for every run, e.g. call, operation, user ids. Use them in templates as ${name} (lower-case hyphenated) or ${name:hex} (upper-case, no hyphens, as Graph writes them in notifications).
   */
  ids?: Name[];
  /**
   * Fixed values usable in templates as ${name}.
   */
  values?: {
    [k: string]: string | number | boolean;
  };
  /**
   * @minItems 1
   */
  steps: [Step, ...Step[]];
}
/**
 * Exactly one of notify, expect, unordered, trigger.
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "step".
 */
export interface Step {
  notify?: NotifyStep;
  expect?: ExpectStep;
  unordered?: UnorderedStep;
  trigger?: TriggerStep;
}
/**
 * The harness POSTs a commsNotifications body to the bot. It goes to the callbackUri the bot registered for the call the notification is about (answer or create), else to the bot's webhook.
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "notify".
 */
export interface NotifyStep {
  name: StepName;
  /**
   * 'auto' (default), 'webhook', or a URL template; non-loopback URLs are sent to the bot's own address with the same path.
   */
  to?: string;
  /**
   * Extra HTTP headers.
   */
  headers?: {
    [k: string]: string;
  };
  /**
   * Milliseconds to wait before sending, as Graph takes time to act (e.g. to establish a call). A request the bot sends meanwhile for a later step is out of order.
   */
  delay?: number;
  /**
   * The commsNotifications body (templates allowed).
   */
  body: {};
  timeout?: StepTimeout;
}
/**
 * A request the bot must send to Graph next, and the harness's answer.
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "expect".
 */
export interface ExpectStep {
  name: StepName;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Path template including the version, e.g. /beta/app/calls/${p2pCall}/answer. Compared on meaning: ids in any case with or without hyphens, /app/calls = /communications/calls on beta, /microsoft.graph.answer = /answer.
   */
  path: string;
  /**
   * Body matcher: a partial object (listed keys must match; others are free). Arrays match element by element and must have the same length. Operators: {$id: name}, {$absent: true}, {$empty: true}, {$present: true}, {$type: t}, {$regex: re}, {$oneOf: [..]}, {$eq: value}, {$length: n}.
   */
  body?: {
    [k: string]: unknown;
  };
  /**
   * Header matchers (names case-insensitive).
   */
  headers?: {
    [k: string]: unknown;
  };
  /**
   * Values to keep for later steps: name -> path into the request, e.g. body.clientContext or headers.client-request-id. A path ending in ? is optional: when the bot sent nothing there, templates using the name render nothing (the property is left out).
   */
  capture?: {
    [k: string]: string;
  };
  respond?: GraphResponse;
  timeout?: StepTimeout;
}
/**
 * What the harness answers (templates allowed). Without it, the harness answers as Graph does for that action (its fake Graph: e.g. 202 for answer, 201 + Location + the call for a create, 200 + Location + a running operation for playPrompt). A given respond is used as written (status default 202).
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "response".
 */
export interface GraphResponse {
  status?: number;
  headers?: {
    [k: string]: string;
  };
  body?: unknown;
}
/**
 * Requests the bot may send in any order; the step ends when all arrived.
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "unordered".
 */
export interface UnorderedStep {
  name: StepName;
  /**
   * @minItems 1
   */
  steps: [
    {
      expect: ExpectStep;
    },
    ...{
      expect: ExpectStep;
    }[]
  ];
  timeout?: StepTimeout;
}
/**
 * The harness calls the bot's own HTTP API (e.g. 'join this meeting'), relative to the bot's base URL. Bot-specific: use it for bot-initiated scenarios.
 *
 * This interface was referenced by `CallreplayFlow`'s JSON-Schema
 * via the `definition` "trigger".
 */
export interface TriggerStep {
  name: StepName;
  /**
   * The trigger's name, which a run maps to any bot's own endpoint (--trigger NAME=METHOD:PATH, or `triggers` in the config file). method, path and body are what the reference bot takes.
   */
  id?: string;
  /**
   * The values this trigger passes (name -> template), documented for mappings: a mapped trigger's body template reads them as ${name}. Without a body template, a mapped trigger sends them as its JSON body.
   */
  values?: {
    [k: string]: unknown;
  };
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: {
    [k: string]: string;
  };
  body?: unknown;
  timeout?: StepTimeout;
}
