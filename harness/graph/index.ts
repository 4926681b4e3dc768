/**
 * `callreplay/graph`: the Microsoft Graph calling types as they travel on the wire, for bot authors,
 * and the validator callreplay checks the bot's Graph requests with.
 *
 *   import type { AnswerRequest, InviteRequest, Call, CommsNotifications } from 'callreplay/graph';
 *   import { validateGraphRequest } from 'callreplay/graph';
 *
 * The types are generated from schemas/graph-calling.schema.json (scripts/gen-graph-types.mjs).
 */
export type * from './types.generated.js';
export {
  validateGraphRequest,
  validateGraphValue,
  graphSchemaObserver,
  graphActionOf,
  graphCallingSchema,
  graphSchemaPath,
  GRAPH_SCHEMA_ID,
  type GraphAction,
  type GraphRequestBody,
  type GraphRequestValidation,
  type GraphVersion,
  type Violation,
} from './validate-requests.js';
