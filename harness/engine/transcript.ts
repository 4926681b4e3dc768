/**
 * The exchange log of one flow run: every notification the harness sent, every acknowledgement,
 * every request the bot made and every answer the harness gave. Reporters (attachments, sequence
 * diagram, results.json) read this; the engine only appends to it.
 */

/** Who sent a message: the harness plays Microsoft Graph (and the token endpoint). */
export type Party = 'graph' | 'bot';

export type EntryKind =
  /** harness -> bot: a commsNotifications POST */
  | 'notification'
  /** bot -> harness: the HTTP answer to a notification */
  | 'ack'
  /** harness -> bot: a trigger request (the bot's own API, e.g. "join this meeting") */
  | 'trigger'
  /** bot -> harness: the trigger's HTTP answer */
  | 'trigger-response'
  /** bot -> harness: a Graph request */
  | 'request'
  /** harness -> bot: the answer to a Graph request */
  | 'response'
  /** bot -> harness: a token request, answered automatically (not a flow step) */
  | 'token-request'
  | 'token-response';

export interface TranscriptEntry {
  /** position in the transcript, from 0 */
  seq: number;
  /** milliseconds since the flow run started */
  at: number;
  from: Party;
  to: Party;
  kind: EntryKind;
  /** index (0-based) into the flow's flattened step list, when the entry belongs to a step */
  step?: number;
  method?: string;
  /** the URL as sent, e.g. http://127.0.0.1:3978/api/calls or /beta/app/calls/{id}/answer */
  url?: string;
  status?: number;
  /** for ack / response / trigger-response: milliseconds from the matching request */
  latencyMs?: number;
  headers?: Record<string, string>;
  /** parsed JSON when the body was JSON, else the raw text; undefined when empty */
  body?: unknown;
  /** in report files only (harness/report/body-cap.ts): the body was over the cap and `body` holds its start and a note */
  bodyCut?: { bytes: number; shown: number };
  /** short human summary shown on the sequence diagram arrow, e.g. "answer" or "call established" */
  label: string;
  /** set when this message is where a finding was raised */
  failed?: boolean;
  /** a request no run took (see Router): why, and whether it named a run that has ended */
  stray?: { reason: string; ended: boolean };
}

export interface Transcript {
  flow: string;
  startedAt: string;
  entries: TranscriptEntry[];
  /** human names for the ids minted in this run, e.g. { "57dab8b1-...": "p2pCall" } */
  idNames: Record<string, string>;
}
