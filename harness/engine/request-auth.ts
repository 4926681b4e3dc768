/**
 * The token on a Graph request, judged as Graph would: none or not ours or expired (401), a token
 * for another tenant than the call's (the tenant the harness runs as), a delegated token on the
 * calling API, which takes application permissions only, or an application token on /me, which
 * names a signed-in user.
 */
import type { Finding } from './findings.js';
import { normalizeId } from './ids.js';
import type { IdNames } from './id-names.js';
import type { InboundRequest, OutboundResponse } from './ports.js';
import { graphError } from './explain.js';
import type { RequestAuth } from './run-types.js';

export interface AuthRefusal {
  /** the finding, without the step (the judge knows where the run stands) */
  finding: Omit<Finding, 'step'>;
  /** what Graph would answer */
  response: OutboundResponse;
}

/** Paths of the calling API (canonical): the call's tenant and application permissions apply there. */
const CALLING_API = /\/(?:communications|app)\/calls(?:\/|$)/;

/** Why Graph would refuse the request's token; undefined when it would accept it. `tenant` is the call's (the scope's). */
export function authRefusal(req: InboundRequest, canonical: string, auth: RequestAuth, tenant: unknown, names: IdNames): AuthRefusal | undefined {
  if (auth.problem) {
    return {
      finding: { kind: 'unauthorized', message: `${req.method} ${names.describePath(req.path)} ${auth.problem}` },
      response: graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure (callreplay: see the report).'),
    };
  }
  // the call's tenant is a calling-API matter: /me and /users (online meetings) act as the token's user
  if (auth.tenant && typeof tenant === 'string' && CALLING_API.test(canonical) && normalizeId(auth.tenant) !== normalizeId(tenant)) {
    return {
      finding: {
        kind: 'wrong-tenant',
        message: `${req.method} ${names.describePath(req.path)}: the bot's token is for tenant ${auth.tenant}, the call's tenant is ${tenant} (the tenantId of the call): Graph refuses a token for another tenant. A bot configured with one tenant: run callreplay with --tenant ${auth.tenant}`,
      },
      response: graphError(403, 'Forbidden', `callreplay: the token is for tenant ${auth.tenant}, not the call's tenant ${tenant}`),
    };
  }
  if (auth.kind === 'delegated' && CALLING_API.test(canonical)) {
    return {
      finding: {
        kind: 'unauthorized',
        message: `${req.method} ${names.describePath(req.path)} carries a delegated (signed-in user) token: the calling API takes application tokens only (Graph: "Delegated (work or school account): Not supported"); use the client-credentials token`,
      },
      response: graphError(403, 'Forbidden', 'callreplay: the calling API does not support delegated permissions'),
    };
  }
  if (auth.kind === 'app' && /^\/(?:v1\.0|beta)\/me(?:\/|$)/.test(canonical)) {
    return {
      finding: {
        kind: 'unauthorized',
        message: `${req.method} ${names.describePath(req.path)} carries an application token: Graph answers 400 "/me request is only valid with delegated authentication flow." (/me names the signed-in user: use a delegated token, or /users/{id} with the application token)`,
      },
      response: graphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.'),
    };
  }
  return undefined;
}
