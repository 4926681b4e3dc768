/**
 * The fake Graph's online meetings, as calling bots create them before joining: Graph v1.0 (and
 * beta) "Create onlineMeeting" (application-post-onlinemeetings) and "onlineMeeting: createOrGet"
 * (onlinemeeting-createorget):
 *
 * - `POST /{version}/me/onlineMeetings`: delegated tokens only (an app token gets Graph's 400
 *   BadRequest "/me request is only valid with delegated authentication flow."); 201 + the meeting,
 *   organized by the signed-in user;
 * - `POST /{version}/users/{userId}/onlineMeetings`: app tokens too (an application access policy
 *   grants the app that user); the organizer is that user;
 * - `.../onlineMeetings/createOrGet` (`externalId` required): 201 + a new meeting, or 200 + the one
 *   created earlier with that externalId for that organizer (when the context keeps meetings).
 *
 * The meeting: id, joinWebUrl (teams.microsoft.com/l/meetup-join/{thread}/0?context={Tid, Oid}),
 * chatInfo {threadId 19:meeting_...@thread.v2, messageId 0}, participants.organizer
 * {identity.user {id, tenantId, displayName}, upn}, subject, start/end, joinMeetingIdSettings.
 */
import { createHash } from 'node:crypto';
import { isGuidLike } from '../engine/ids.js';
import { userFromUsername } from '../engine/token-grants.js';
import type { OutboundResponse } from '../engine/ports.js';
import { graphErrorResponse, type FakeGraphAnswer, type FakeGraphContext } from './fake-graph.js';

/** Who a Graph request acts as: the kind of its token, and the signed-in user of a delegated one. */
export interface GraphCaller {
  kind: 'app' | 'delegated';
  /** the user's object id (delegated) */
  userId?: string;
  upn?: string;
  tenantId?: string;
  /** the user's display name (delegated), when known */
  displayName?: string;
}

const DOC = 'https://learn.microsoft.com/graph/api';
/** The online-meeting actions the fake answers, with their documentation. */
export const FAKE_ONLINE_MEETING_ACTIONS = [
  { action: 'onlineMeetings/create', method: 'POST', path: '/v1.0/me/onlineMeetings, /v1.0/users/{userId}/onlineMeetings', status: 201, doc: `${DOC}/application-post-onlinemeetings?view=graph-rest-1.0` },
  { action: 'onlineMeetings/createOrGet', method: 'POST', path: '/v1.0/me/onlineMeetings/createOrGet, /v1.0/users/{userId}/onlineMeetings/createOrGet', status: 201, doc: `${DOC}/onlinemeeting-createorget?view=graph-rest-1.0` },
] as const;

const PATH = /^(?:https?:\/\/[^/]+)?\/(v1\.0|beta)\/(me|users\/([^/?#]+))\/onlineMeetings(\/(?:microsoft\.graph\.)?createOrGet)?\/?(?:[?#].*)?$/i;
const JSON_HEADERS = { 'content-type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8' } as const;
const HOUR_MS = 3_600_000;

interface Organizer {
  id: string;
  upn: string | null;
  tenantId: string | null;
  displayName: string | null;
}

/** Graph's answer to creating an online meeting; undefined when the request is not one. */
export function answerOnlineMeeting(method: string, path: string, body: unknown, ctx: FakeGraphContext): FakeGraphAnswer | undefined {
  const m = PATH.exec(path);
  if (!m || method.toUpperCase() !== 'POST') return undefined;
  const [, version, , userSegment, createOrGet] = m;
  const action = createOrGet ? 'onlineMeetings/createOrGet' : 'onlineMeetings/create';
  const answer = (response: OutboundResponse): FakeGraphAnswer => ({ action, response, followUps: [] });
  const error = (status: number, code: string, message: string) =>
    answer(graphErrorResponse(status, code, message, { now: ctx.now?.(), requestId: ctx.newId(), clientRequestId: ctx.clientRequestId }));
  const caller = ctx.caller;
  if (!userSegment && caller?.kind === 'app') return error(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');

  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const externalId = typeof fields['externalId'] === 'string' && fields['externalId'] !== '' ? fields['externalId'] : undefined;
  if (createOrGet && !externalId) return error(400, 'BadRequest', "The request body must contain 'externalId' for createOrGet.");
  const organizer = organizerOf(userSegment ? safeDecode(userSegment) : undefined, caller, ctx);
  const key = `${organizer.id.toLowerCase()}|${externalId ?? ''}`;
  if (createOrGet && ctx.onlineMeetings?.has(key)) return answer({ status: 200, headers: { ...JSON_HEADERS }, body: ctx.onlineMeetings.get(key) });

  const meeting = onlineMeeting(fields, organizer, ctx, `${ctx.graphBaseUrl.replace(/\/+$/, '')}/${version}`, externalId);
  if (createOrGet) ctx.onlineMeetings?.set(key, meeting);
  return answer({ status: 201, headers: { ...JSON_HEADERS }, body: meeting });
}

/** The organizer: the user in the path (/users/{id or upn}), else the signed-in user, else a placeholder user. */
function organizerOf(pathUser: string | undefined, caller: GraphCaller | undefined, ctx: FakeGraphContext): Organizer {
  const tenantId = caller?.tenantId ?? null;
  const isCaller = pathUser === undefined || (caller?.kind === 'delegated' && [caller.userId, caller.upn].some((v) => v !== undefined && v.toLowerCase() === pathUser.toLowerCase()));
  if (isCaller && caller?.kind === 'delegated' && caller.userId) {
    return { id: caller.userId, upn: caller.upn ?? null, tenantId, displayName: caller.displayName ?? null };
  }
  if (pathUser === undefined) return { id: ctx.newId(), upn: null, tenantId, displayName: null };
  if (isGuidLike(pathUser)) return { id: pathUser, upn: null, tenantId, displayName: null };
  // a UPN: the same oid the token endpoint gives that username
  const user = userFromUsername(pathUser);
  return { id: user.oid, upn: pathUser, tenantId, displayName: user.name };
}

function onlineMeeting(fields: Record<string, unknown>, organizer: Organizer, ctx: FakeGraphContext, root: string, externalId: string | undefined): Record<string, unknown> {
  const now = ctx.now?.() ?? new Date();
  const seed = ctx.newId();
  // Teams thread ids: 19:meeting_ + base64 of a GUID (alphanumeric)
  const threadId = `19:meeting_${Buffer.from(seed).toString('base64').replace(/[^A-Za-z0-9]/g, '')}@thread.v2`;
  // Graph's meeting ids: base64 of "1*{organizer}*0**{threadId}"
  const id = Buffer.from(`1*${organizer.id}*0**${threadId}`).toString('base64').replace(/=+$/, '');
  const context = JSON.stringify({ Tid: organizer.tenantId ?? '', Oid: organizer.id });
  const joinWebUrl = `https://teams.microsoft.com/l/meetup-join/${teamsEncode(threadId)}/0?context=${teamsEncode(context)}`;
  const str = (k: string) => (typeof fields[k] === 'string' ? (fields[k] as string) : undefined);
  const asked = (fields['joinMeetingIdSettings'] ?? {}) as { isPasscodeRequired?: unknown };
  const passcodeRequired = asked.isPasscodeRequired === true;
  const digits = BigInt(`0x${createHash('sha256').update(seed).digest('hex').slice(0, 15)}`).toString().padStart(13, '0').slice(-13);
  const participants = (fields['participants'] ?? {}) as { attendees?: unknown };
  return {
    '@odata.context': `${root}/$metadata#users('${organizer.id}')/onlineMeetings/$entity`,
    '@odata.type': '#microsoft.graph.onlineMeeting',
    id,
    creationDateTime: now.toISOString(),
    startDateTime: str('startDateTime') ?? now.toISOString(),
    endDateTime: str('endDateTime') ?? new Date(now.getTime() + HOUR_MS).toISOString(),
    joinWebUrl,
    subject: str('subject') ?? null,
    externalId: externalId ?? null,
    isBroadcast: false,
    allowedPresenters: str('allowedPresenters') ?? 'everyone',
    isEntryExitAnnounced: true,
    allowMeetingChat: 'enabled',
    chatInfo: { threadId, messageId: '0', replyChainMessageId: null },
    participants: {
      organizer: {
        upn: organizer.upn,
        role: 'presenter',
        identity: { user: { id: organizer.id, displayName: organizer.displayName, tenantId: organizer.tenantId, identityProvider: 'AAD' } },
      },
      attendees: Array.isArray(participants.attendees) ? participants.attendees : [],
    },
    lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
    joinMeetingIdSettings: { isPasscodeRequired: passcodeRequired, joinMeetingId: digits, passcode: passcodeRequired ? seed.replace(/-/g, '').slice(0, 6) : null },
    audioConferencing: null,
  };
}

/** URL-encoding as Teams writes join URLs: lower-case escapes (19%3ameeting_...%40thread.v2). */
function teamsEncode(text: string): string {
  return encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
