/**
 * A recording of a live call as the recorder saw it, both directions: what Graph sent the bot
 * (notifications, with the bot's answers) and what the bot sent Graph and the login endpoint (with
 * the upstream's answers). It holds secrets while in memory: it is only ever written to disk after
 * scrubbing (harness/record/to-flow.ts turns it into a flow file).
 */

export type RecordedDirection =
  /** Graph -> bot: a notification POST, answered by the bot */
  | 'inbound'
  /** bot -> Graph, login or the notification-key host, answered by the upstream */
  | 'outbound';

export interface RecordedMessage {
  method: string;
  /** inbound: the path the notification was POSTed to on the bot; outbound: the full upstream URL */
  url: string;
  /** header names lower-case */
  headers: Record<string, string>;
  /** the body exactly as sent (UTF-8 text; '' when none) */
  body: string;
}

export interface RecordedExchange {
  /** position, from 0 */
  seq: number;
  /** ms since the recording started, when the request arrived at the recorder */
  at: number;
  direction: RecordedDirection;
  /** outbound: which upstream service; inbound: always 'notification' */
  service: 'graph' | 'login' | 'auth' | 'notification';
  request: RecordedMessage;
  /** the answer passed back unchanged; `error` when there was none (connection failed, timeout) */
  response: { status: number; headers: Record<string, string>; body: string } | { error: string };
  /** ms the recorder itself added to the hop (its own processing, not the other side's) */
  relayOverheadMs: number;
  /** ms from the request arriving to the answer going back */
  totalMs: number;
}

export interface Recording {
  version: 1;
  startedAt: string;
  /** the bot's webhook URL */
  botUrl: string;
  /** upstream base URLs used */
  upstream: { graph: string; login: string; auth: string };
  exchanges: RecordedExchange[];
}
