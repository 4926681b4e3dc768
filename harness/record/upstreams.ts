/**
 * The real services the recorder relays to, dependency-free so that `callreplay record --help` can
 * show them without loading the recorder (forwarder.ts re-exports them).
 */
import { NOTIFICATION_AUTHORITY_HOST } from '../auth/authority-host.js';

export type UpstreamService = 'graph' | 'login' | 'auth';

/** Base URLs of the real services (a path prefix is kept: `https://host/prefix` + the request path). */
export type Upstreams = Record<UpstreamService, string>;

export const DEFAULT_UPSTREAMS: Readonly<Upstreams> = {
  graph: 'https://graph.microsoft.com',
  login: 'https://login.microsoftonline.com',
  auth: `https://${NOTIFICATION_AUTHORITY_HOST}`,
};
