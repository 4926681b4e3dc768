/**
 * In-process interception for Node bots running inside the harness's process: nock takes every
 * request to https://graph.microsoft.com, https://login.microsoftonline.com and
 * https://api.aps.skype.com (notification signing keys) (native fetch,
 * cross-fetch, http.request) and hands it to the Router. Every other destination except loopback
 * is refused while the adapter is installed.
 */
import nock from 'nock';
import type { RequestSink } from '../engine/ports.js';
import { serializeBody, toInboundRequest } from './read-request.js';

export const GRAPH_ORIGIN = 'https://graph.microsoft.com';
export const LOGIN_ORIGIN = 'https://login.microsoftonline.com';
/** where bots fetch the signing keys of Graph's notifications */
export const NOTIFICATION_AUTH_ORIGIN = 'https://api.aps.skype.com';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Loopback only: the harness's own POSTs to the bot, and the bot's own server. */
export const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

export interface NockAdapter {
  graphBaseUrl: string;
  loginBaseUrl: string;
  dispose(): void;
}

let installed = false;

export function installNockAdapter(router: RequestSink): NockAdapter {
  if (installed) throw new Error('callreplay: the nock adapter is already installed in this process');
  installed = true;
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect(LOOPBACK_HOST);
  const scopes = [intercept(router, GRAPH_ORIGIN, 'graph'), intercept(router, LOGIN_ORIGIN, 'login'), intercept(router, NOTIFICATION_AUTH_ORIGIN, 'login')];
  return {
    graphBaseUrl: GRAPH_ORIGIN,
    loginBaseUrl: LOGIN_ORIGIN,
    dispose() {
      for (const s of scopes) s.persist(false);
      nock.cleanAll();
      nock.enableNetConnect();
      nock.restore();
      installed = false;
    },
  };
}

function intercept(router: RequestSink, origin: string, service: 'graph' | 'login'): nock.Scope {
  const scope = nock(origin).persist();
  for (const method of METHODS) {
    scope.intercept(() => true, method).reply(async function (this: nock.ReplyFnContext, path, requestBody) {
      const raw = typeof requestBody === 'string' ? requestBody : requestBody === undefined ? '' : JSON.stringify(requestBody);
      const req = toInboundRequest(method, path, this.req.headers, raw, service, 'nock');
      const out = await router.handle(req);
      return [out.status, serializeBody(out.body) ?? '', out.headers];
    });
  }
  return scope;
}
