/**
 * The engine's edges. Transports turn what they receive into an InboundRequest and write the
 * OutboundResponse back; the engine reaches the bot only through an HttpClient. The engine imports
 * no transport: these interfaces are all it knows of them.
 */

/** A request the bot sent to Graph or to the token endpoint, as any transport hands it over. */
export interface InboundRequest {
  method: string;
  /** path and query as sent, without origin: /beta/app/calls/{id}/answer, /{tenant}/oauth2/v2.0/token */
  path: string;
  /** header names lower-case */
  headers: Record<string, string>;
  /** raw body text ('' when none) */
  rawBody: string;
  /** parsed JSON body when the text is JSON; undefined otherwise */
  body: unknown;
  /** which service the bot meant to reach */
  service: 'graph' | 'login';
  /** how it reached us: 'nock', 'gateway', ... */
  via: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON-serialisable body, a string sent as-is, or undefined for none */
  body?: unknown;
}

/** One HTTP exchange from the harness to the bot (notification or trigger). */
export interface BotRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /**
   * Asked when `timeoutMs` (or the last extension) has passed without an answer: ms more to wait
   * for it, given the ms waited so far; 0 (or absent) gives up with a timeout.
   */
  keepWaiting?: (waitedMs: number) => number;
  /** on a connection of its own, never a kept-alive one (e.g. after the bot may have closed one: a 413) */
  fresh?: boolean;
}

export interface BotResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
}

/** Thrown by an HttpClient when no HTTP answer came: refused, reset, timed out, forbidden host. */
export class BotUnreachableError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'refused' | 'forbidden-host' | 'network',
  ) {
    super(message);
  }
}

export interface HttpClient {
  send(req: BotRequest): Promise<BotResponse>;
}

/**
 * How the harness authenticates its notifications: every notification carries
 * `Authorization: Bearer <JWT>` as Graph's do. The auth conformance check sends the first
 * notification of a flow with each broken variant and expects the bot to refuse it.
 */
export const AUTH_VARIANTS = [
  'no-authorization',
  'garbage-token',
  'expired',
  'wrong-audience',
  'wrong-issuer',
  'unknown-kid',
  'bad-signature',
  'no-tid',
] as const;
export type AuthVariant = (typeof AUTH_VARIANTS)[number];

export interface NotificationSigner {
  /** The Authorization header value for a notification (a valid token when `variant` is undefined); undefined sends none. */
  authorization(tenant: string | undefined, variant?: AuthVariant): Promise<string | undefined>;
}

/** Answers requests for a fixed document set (token endpoint, OpenID metadata, JWKS). */
export interface ServiceResponder {
  handles(req: InboundRequest): boolean;
  answer(req: InboundRequest): Promise<OutboundResponse>;
}

/**
 * What every way in (nock, gateway, HTTPS gateway, proxy, preload) hands requests to: the Router
 * when replaying, a recorder's forwarder when recording.
 */
export interface RequestSink {
  handle(req: InboundRequest): Promise<OutboundResponse>;
  /** a way in refused a connection the bot tried to open (destination "host:port") */
  refused(destination: string, via: string): void;
}
