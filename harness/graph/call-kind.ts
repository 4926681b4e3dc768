/**
 * What a call's kind and media mode are, read from the bodies that tell: the `POST calls` body
 * (group or P2P, application-post-calls) and a create's or answer's `mediaConfig`. Shared by the fake
 * Graph's call book (graph/call-book.ts, to answer the bot) and the rules' tracker
 * (rules/call-state.ts, to judge it), so both read a body the same way. Pure; undefined when the
 * body does not tell.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The media mode a mediaConfig names: its `@odata.type` (`#microsoft.graph.appHostedMediaConfig`,
 * `#microsoft.graph.serviceHostedMediaConfig`, in any case, with or without `#`), else an untyped
 * config with a `blob` (only appHostedMediaConfig has one).
 */
export function mediaModeOfConfig(config: unknown): 'serviceHosted' | 'appHosted' | undefined {
  if (!isObject(config)) return undefined;
  const type = typeof config['@odata.type'] === 'string' ? config['@odata.type'].toLowerCase() : '';
  if (type.endsWith('apphostedmediaconfig')) return 'appHosted';
  if (type.endsWith('servicehostedmediaconfig')) return 'serviceHosted';
  if (type === '' && config['blob'] !== undefined) return 'appHosted';
  return undefined;
}

/**
 * Group or P2P from the body of `POST calls` (application-post-calls): a meeting join carries
 * meetingInfo, a group call more than one target, a P2P call exactly one (and no chatInfo: a body
 * with chatInfo but no meetingInfo is left unknown, as P2P calls carry chatInfo too).
 */
export function createdCallKind(body: unknown): { kind: 'group' | 'p2p'; reason: string } | undefined {
  if (!isObject(body)) return undefined;
  if (isObject(body['meetingInfo'])) return { kind: 'group', reason: 'with meetingInfo' };
  const targets = body['targets'];
  if (!Array.isArray(targets) || targets.length === 0) return undefined;
  if (targets.length > 1) return { kind: 'group', reason: `with ${targets.length} targets` };
  return isObject(body['chatInfo']) ? undefined : { kind: 'p2p', reason: 'with one target and no meetingInfo' };
}
