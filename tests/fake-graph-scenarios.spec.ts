// The fake Graph in particular situations (pure functions, no sockets): calls created and meetings
// joined, failure outcomes and their resultInfo, transfers and invites that replace a call, recordings,
// cancelled media operations, Graph-style notification ids, replacesCallId in path form, and online
// meetings. Every expected value is written here from the Graph docs, not read from the fake's table;
// the per-action answers (status, Location, body, follow-ups) are in fake-graph.spec.ts.
import { expect, test } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { userFromUsername } from '../harness/engine/token-grants.js';
import { answerAsGraph, type FakeGraphAnswer } from '../harness/graph/fake-graph.js';
import { BODIES, GRAPH, context, notificationsOf, type Notification } from './fixtures/fake-graph-requests.js';

test('a created call: 201, Location and body with the minted ids; establishing, established', () => {
  const ctx = context();
  const a = answerAsGraph('POST', '/v1.0/communications/calls', BODIES['create'], ctx)!;
  const call = a.response.body as Record<string, unknown>;
  expect(a.response.status).toBe(201);
  expect(call).toMatchObject({ '@odata.type': '#microsoft.graph.call', state: 'establishing', direction: 'outgoing', callbackUri: 'https://bot.contoso.com/callback' });
  for (const k of ['id', 'myParticipantId', 'callChainId']) expect(ctx.minted).toContain(call[k]);
  expect(a.response.headers['location']).toBe(`${GRAPH}/v1.0/communications/calls/${call['id']}`);
  const notes = notificationsOf(a);
  expect(notes.map((n) => (n.resourceData as { state: string }).state)).toEqual(['establishing', 'established']);
  expect(notes.every((n) => n.resourceUrl === `/communications/calls/${call['id']}`)).toBe(true);
});

test('joining a meeting adds a roster update with the bot and the organizer', () => {
  const organizer = { user: { id: randomUUID(), displayName: 'Bob' } };
  const body = { ...(BODIES['create'] as object), targets: undefined, chatInfo: { threadId: '19:meeting_x@thread.v2', messageId: '0' }, meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer } };
  const a = answerAsGraph('POST', '/beta/app/calls', body, context())!;
  const call = a.response.body as Record<string, unknown>;
  expect(a.response.headers['location']).toBe(`${GRAPH}/beta/app/calls/${call['id']}`);
  const notes = notificationsOf(a);
  expect(notes.map((n) => n.changeType)).toEqual(['updated', 'updated', 'updated']);
  const roster = notes[2]!;
  expect(roster.resourceUrl).toBe(`/app/calls/${call['id']}/participants`);
  const people = roster.resourceData as Array<Record<string, unknown>>;
  expect(people.map((p) => p['id'])).toContain(call['myParticipantId']);
  expect(people.some((p) => JSON.stringify(p['info']).includes(organizer.user.id))).toBe(true);
  expect((notes[1]!.resourceData as Record<string, unknown>)['meetingInfo']).toEqual(body.meetingInfo);
});

test.describe('failure outcomes give the documented resultInfo', () => {
  const callId = randomUUID();
  const failing = () => context({ outcome: 'failure' });
  const last = (a: FakeGraphAnswer) => notificationsOf(a).at(-1)!;
  const data = (n: Notification) => n.resourceData as Record<string, unknown>;

  test('create: establishing, then deleted terminated 480/10076', () => {
    const a = answerAsGraph('POST', '/v1.0/communications/calls', BODIES['create'], failing())!;
    expect(a.response.status).toBe(201);
    const n = last(a);
    expect(n.changeType).toBe('deleted');
    expect(data(n)).toMatchObject({ state: 'terminated', resultInfo: { code: 480, subcode: 10076 } });
  });

  test('answer: deleted terminated 408/1106', () => {
    const a = answerAsGraph('POST', `/v1.0/communications/calls/${callId}/answer`, BODIES['answer'], failing())!;
    expect(a.response.status).toBe(202);
    expect(data(last(a))).toMatchObject({ state: 'terminated', resultInfo: { code: 408, subcode: 1106 } });
  });

  test('blind transfer: back to established with 500/7000', () => {
    const a = answerAsGraph('POST', `/v1.0/communications/calls/${callId}/transfer`, BODIES['transfer'], failing())!;
    const notes = notificationsOf(a);
    expect(notes.map((n) => data(n)['state'])).toEqual(['transferring', 'established']);
    expect(notes[1]!.changeType).toBe('updated');
    expect(data(notes[1]!)['resultInfo']).toMatchObject({ code: 500, subcode: 7000 });
  });

  test('consultative transfer: back to established with 500/7700 and replacesContext', () => {
    const replaces = randomUUID();
    const body = { transferTarget: { endpointType: 'default', identity: { user: { id: randomUUID() } }, replacesCallId: replaces } };
    const n = last(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/transfer`, body, failing())!);
    expect(n.resourceUrl).toBe(`/communications/calls/${callId}`);
    expect(data(n)).toMatchObject({ state: 'established', resultInfo: { code: 500, subcode: 7700 } });
    expect(data(n)['replacesContext']).toBeTruthy();
  });

  test('invite: the operation fails with a 500 resultInfo and nobody joins', () => {
    const a = answerAsGraph('POST', `/v1.0/communications/calls/${callId}/participants/invite`, { ...(BODIES['participants/invite'] as object), clientContext: 'ctx' }, failing())!;
    expect(a.response.status).toBe(200);
    const notes = notificationsOf(a);
    expect(notes).toHaveLength(1);
    expect(data(notes[0]!)).toMatchObject({ '@odata.type': '#microsoft.graph.inviteParticipantsOperation', status: 'failed', clientContext: 'ctx', resultInfo: { code: 500 } });
  });

  test('playPrompt: the operation fails', () => {
    const n = last(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/playPrompt`, BODIES['playPrompt'], failing())!);
    expect(data(n)).toMatchObject({ status: 'failed', resultInfo: { code: 500 } });
  });

  test('sendDtmfTones: completed with completionReason unknown', () => {
    const n = last(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/sendDtmfTones`, BODIES['sendDtmfTones'], failing())!);
    expect(data(n)).toMatchObject({ status: 'completed', completionReason: 'unknown' });
  });
});

test('a successful blind transfer ends with 0/7015 GracefulTransferCompleted', () => {
  const callId = randomUUID();
  const notes = notificationsOf(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/transfer`, BODIES['transfer'], context())!);
  expect(notes.map((n) => [n.changeType, (n.resourceData as { state: string }).state])).toEqual([
    ['updated', 'transferring'],
    ['updated', 'transferAccepted'],
    ['deleted', 'terminated'],
  ]);
  expect((notes[2]!.resourceData as Record<string, unknown>)['resultInfo']).toMatchObject({ code: 0, subcode: 7015, message: 'GracefulTransferCompleted' });
});

test('a consultative transfer ends with AppTransferred, and the replaced call ends too', () => {
  const callId = randomUUID();
  const replaces = randomUUID().toUpperCase();
  const body = { transferTarget: { identity: { user: { id: randomUUID() } }, replacesCallId: replaces } };
  const notes = notificationsOf(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/transfer`, body, context())!);
  const ends = notes.filter((n) => n.changeType === 'deleted');
  expect(ends.map((n) => n.resourceUrl)).toEqual([`/communications/calls/${callId}`, `/communications/calls/${replaces}`]);
  expect((ends[0]!.resourceData as Record<string, unknown>)['terminationReason']).toBe('AppTransferred');
});

test('an invite with replacesCallId: operation completed, roster, then the replaced call deleted', () => {
  const meeting = randomUUID();
  const p2p = randomUUID();
  const user = randomUUID();
  const body = {
    participants: [
      { '@odata.type': '#microsoft.graph.invitationParticipantInfo', replacesCallId: p2p, identity: { user: { id: user } } },
      { '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id: randomUUID() } } },
    ],
    clientContext: 'move',
  };
  const a = answerAsGraph('POST', `/beta/app/calls/${meeting}/participants/microsoft.graph.invite`, body, context())!;
  const op = a.response.body as Record<string, unknown>;
  expect(op).toMatchObject({ '@odata.type': '#microsoft.graph.inviteParticipantsOperation', status: 'Running', clientContext: 'move', resultInfo: null });
  expect(a.response.headers['location']).toBe(`${GRAPH}/beta/app/calls/${meeting}/operations/${op['id']}`);
  const notes = notificationsOf(a);
  expect(notes.map((n) => `${n.changeType} ${n.resourceUrl}`)).toEqual([
    `deleted /app/calls/${meeting}/operations/${op['id']}`,
    `updated /app/calls/${meeting}/participants`,
    `deleted /app/calls/${p2p}`,
  ]);
  expect(notes[0]!.resourceData).toMatchObject({ status: 'completed', clientContext: 'move' });
  const roster = notes[1]!.resourceData as Array<Record<string, unknown>>;
  expect(roster).toHaveLength(1); // only the first participant is read when replacing a call
  expect(JSON.stringify(roster[0])).toContain(user);
  expect(notes[2]!.resourceData).toMatchObject({ state: 'terminated' });
});

test('recordResponse: completion 200/8515 with a recording under the Graph base that downloads as a WAV', () => {
  const callId = randomUUID();
  const a = answerAsGraph('POST', `/v1.0/communications/calls/${callId}/recordResponse`, { clientContext: 'rec', maxRecordDurationInSeconds: 5 }, context())!;
  expect(a.response.body).toMatchObject({ '@odata.type': '#microsoft.graph.recordOperation', status: 'running', recordingLocation: null, clientContext: 'rec' });
  const done = notificationsOf(a)[0]!.resourceData as Record<string, unknown>;
  expect(done).toMatchObject({ status: 'completed', clientContext: 'rec', resultInfo: { code: 200, subcode: 8515 } });
  const location = String(done['recordingLocation']);
  expect(location.startsWith(`${GRAPH}/v1.0/communications/calls/${callId}/`)).toBe(true);
  expect(String(done['recordingAccessToken']).length).toBeGreaterThan(10);

  const get = answerAsGraph('GET', new URL(location).pathname, undefined, context({ call: { id: callId, state: 'terminated' } }))!;
  expect(get.action).toBe('get-recording');
  expect(get.response.status).toBe(200);
  expect(get.response.headers['content-type']).toBe('application/octet-stream');
  const text = get.response.body as string;
  expect(Buffer.from(text, 'utf8').equals(Buffer.from(text, 'latin1'))).toBe(true); // ASCII: survives a UTF-8 string transport
  const wav = Buffer.from(text, 'latin1');
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
  expect(wav.readUInt16LE(20)).toBe(1); // PCM
  expect(wav.toString('ascii', 36, 40)).toBe('data');
  expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  // the full URL works too
  expect(answerAsGraph('GET', location, undefined, context())?.response.status).toBe(200);
});

test('playPrompt: completion 200/0, and notification ids in Graph style on request', () => {
  const callId = randomUUID();
  const a = answerAsGraph('POST', `/v1.0/communications/calls/${callId}/playPrompt`, BODIES['playPrompt'], context({ notificationIds: 'graph' }))!;
  const op = a.response.body as Record<string, unknown>;
  expect(op['clientContext']).toBeNull();
  const n = notificationsOf(a)[0]!;
  const hex = (id: string) => id.replace(/-/g, '').toUpperCase();
  expect(n.resourceUrl).toBe(`/communications/calls/${hex(callId)}/operations/${hex(String(op['id']))}`);
  expect(n.resourceData).toMatchObject({ id: op['id'], status: 'completed', resultInfo: { code: 200, subcode: 0 } });
});

test('cancelMediaProcessing fails the running media operations the context knows of', () => {
  const callId = randomUUID();
  const play = { id: randomUUID(), action: 'playPrompt', clientContext: 'p' };
  const record = { id: randomUUID(), action: 'recordResponse', clientContext: 'r' };
  const tone = { id: randomUUID(), action: 'subscribeToTone' };
  const a = answerAsGraph('POST', `/v1.0/communications/calls/${callId}/cancelMediaProcessing`, { clientContext: 'c' }, context({ call: { id: callId, runningOperations: [play, record, tone] } }))!;
  expect(a.response.body).toMatchObject({ '@odata.type': '#microsoft.graph.cancelMediaProcessingOperation', status: 'completed', clientContext: 'c' });
  const notes = notificationsOf(a);
  expect(notes.map((n) => n.resourceUrl)).toEqual([`/communications/calls/${callId}/operations/${play.id}`, `/communications/calls/${callId}/operations/${record.id}`]);
  expect(notes[0]!.resourceData).toMatchObject({ '@odata.type': '#microsoft.graph.playPromptOperation', status: 'failed', clientContext: 'p', completionReason: 'operationCanceled', resultInfo: { code: 400, subcode: 8508 } });
  expect(notes[1]!.resourceData).toMatchObject({ '@odata.type': '#microsoft.graph.recordOperation', status: 'failed', clientContext: 'r' });
});

test('DELETE call ends with 200/5001 "conversation ended" (the end-reason table; the doc example shows code "0")', () => {
  const callId = randomUUID();
  const a = answerAsGraph('DELETE', `/v1.0/communications/calls/${callId}`, undefined, context())!;
  expect(a.response).toEqual({ status: 204, headers: {} });
  const notes = notificationsOf(a);
  expect(notes.map((n) => `${n.changeType} ${(n.resourceData as { state: string }).state}`)).toEqual(['updated terminating', 'deleted terminated']);
  expect((notes[1]!.resourceData as Record<string, unknown>)['resultInfo']).toMatchObject({ code: 200, subcode: 5001 });
});

// ------------------------------------------------------------------ replacesCallId in path form (audit F4)

test('the seed invite (replacesCallId "/app/calls/57DA...") ends the replaced call by its bare id, in every path form', () => {
  const meeting = randomUUID();
  const caller = randomUUID();
  // the seed page's body (Graph beta participant-invite, "Invite Participants in Existing P2P meeting")
  const seedBody = {
    participants: [
      {
        '@odata.type': '#microsoft.graph.invitationParticipantInfo',
        replacesCallId: '/app/calls/57DAB8B1894C409AB240BD8BEAE78896',
        identity: { '@odata.type': '#microsoft.graph.identitySet', user: { '@odata.type': '#microsoft.graph.identity', id: caller, identityProvider: 'AAD' } },
      },
    ],
  };
  const seed = notificationsOf(answerAsGraph('POST', `/beta/app/calls/${meeting}/participants/invite`, seedBody, context())!);
  expect(seed.at(-1)).toMatchObject({ changeType: 'deleted', resourceUrl: '/app/calls/57DAB8B1894C409AB240BD8BEAE78896' });
  expect(seed.at(-1)!.resourceData).toMatchObject({ '@odata.id': '/app/calls/57DAB8B1894C409AB240BD8BEAE78896', state: 'terminated' });

  const p2p = randomUUID();
  for (const form of [`/communications/calls/${p2p}`, `/v1.0/communications/calls/${p2p}`, `https://graph.microsoft.com/v1.0/communications/calls/${p2p}`, `${GRAPH}/v1.0/communications/calls/${p2p}/`]) {
    const body = { participants: [{ ...seedBody.participants[0], replacesCallId: form }] };
    const notes = notificationsOf(answerAsGraph('POST', `/v1.0/communications/calls/${meeting}/participants/invite`, body, context())!);
    expect(notes.map((n) => `${n.changeType} ${n.resourceUrl}`), form).toEqual([
      expect.stringMatching(new RegExp(`^deleted /communications/calls/${meeting}/operations/`)),
      `updated /communications/calls/${meeting}/participants`,
      `deleted /communications/calls/${p2p}`,
    ]);
    for (const n of notes) expect(JSON.stringify(n), form).not.toMatch(/calls\/\/|calls\/[^"]*\/communications\/calls/);
  }
});

test('a consultative transfer with replacesCallId in path form ends the replaced call by its bare id (success and failure)', () => {
  const callId = randomUUID();
  const consult = randomUUID();
  const body = { transferTarget: { endpointType: 'default', identity: { user: { id: randomUUID() } }, replacesCallId: `/communications/calls/${consult}` } };
  const ok = notificationsOf(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/transfer`, body, context())!);
  expect(ok.filter((n) => n.changeType === 'deleted').map((n) => n.resourceUrl)).toEqual([`/communications/calls/${callId}`, `/communications/calls/${consult}`]);
  const failed = notificationsOf(answerAsGraph('POST', `/v1.0/communications/calls/${callId}/transfer`, body, context({ outcome: 'failure' }))!);
  expect(failed.at(-1)!.resourceData).toMatchObject({ state: 'established', replacesContext: consult, resultInfo: { code: 500, subcode: 7700 } });
});

// ------------------------------------------------------------------ online meetings (application-post-onlinemeetings, onlinemeeting-createorget)

const organizer = { kind: 'delegated' as const, userId: randomUUID(), upn: 'megan@contoso.example', tenantId: randomUUID(), displayName: 'Megan Bowen' };

test('POST /me/onlineMeetings with a delegated token: 201 and a meeting organized by the signed-in user', () => {
  const start = '2026-07-12T14:30:34.2444915-07:00';
  const a = answerAsGraph('POST', '/v1.0/me/onlineMeetings', { subject: 'User Token Meeting', startDateTime: start, endDateTime: '2026-07-12T15:00:34.2464912-07:00' }, context({ caller: organizer }))!;
  expect(a.action).toBe('onlineMeetings/create');
  expect(a.followUps).toEqual([]);
  expect(a.response.status).toBe(201);
  expect(a.response.headers['content-type']).toMatch(/^application\/json/);
  const m = a.response.body as Record<string, any>;
  expect(m).toMatchObject({
    '@odata.type': '#microsoft.graph.onlineMeeting',
    '@odata.context': `${GRAPH}/v1.0/$metadata#users('${organizer.userId}')/onlineMeetings/$entity`,
    subject: 'User Token Meeting',
    startDateTime: start,
    endDateTime: '2026-07-12T15:00:34.2464912-07:00',
    chatInfo: { threadId: expect.stringMatching(/^19:meeting_[A-Za-z0-9]+@thread\.v2$/), messageId: '0' },
    participants: { organizer: { upn: organizer.upn, identity: { user: { id: organizer.userId, tenantId: organizer.tenantId, displayName: 'Megan Bowen' } } } },
    joinMeetingIdSettings: { isPasscodeRequired: false, joinMeetingId: expect.stringMatching(/^\d{13}$/), passcode: null },
  });
  expect(m['id']).toEqual(expect.stringMatching(/^[A-Za-z0-9+/]{20,}$/));
  // the join URL names the same thread, tenant and organizer (bots parse it to join)
  const url = new URL(m['joinWebUrl']);
  expect(`${url.origin}${url.pathname.split('/').slice(0, 3).join('/')}`).toBe('https://teams.microsoft.com/l/meetup-join');
  expect(m['joinWebUrl']).toContain(`/l/meetup-join/19%3ameeting_`);
  expect(decodeURIComponent(url.pathname.split('/')[3]!)).toBe(m['chatInfo'].threadId);
  expect(JSON.parse(url.searchParams.get('context')!)).toEqual({ Tid: organizer.tenantId, Oid: organizer.userId });
  // a second meeting is another thread
  const b = answerAsGraph('POST', '/beta/me/onlineMeetings', { subject: 'Other' }, context({ caller: organizer }))!;
  expect((b.response.body as Record<string, any>)['chatInfo'].threadId).not.toBe(m['chatInfo'].threadId);
  expect((b.response.body as Record<string, any>)['@odata.context']).toContain(`${GRAPH}/beta/$metadata`);
});

test('POST /me/onlineMeetings with an app token: Graph\'s 400 "/me request is only valid with delegated authentication flow."', () => {
  const a = answerAsGraph('POST', '/v1.0/me/onlineMeetings', { subject: 'x' }, context({ caller: { kind: 'app', tenantId: randomUUID() }, clientRequestId: 'abc' }))!;
  expect(a.response.status).toBe(400);
  const error = (a.response.body as { error: Record<string, any> }).error;
  expect(error.code).toBe('BadRequest');
  expect(error.message).toBe('/me request is only valid with delegated authentication flow.');
  expect(error.innerError['client-request-id']).toBe('abc');
});

test('POST /users/{id}/onlineMeetings with an app token (application access policy): that user organizes', () => {
  const tenantId = randomUUID();
  const user = randomUUID();
  const byId = answerAsGraph('POST', `/v1.0/users/${user}/onlineMeetings`, { subject: 's' }, context({ caller: { kind: 'app', tenantId } }))!;
  expect(byId.response.status).toBe(201);
  expect((byId.response.body as Record<string, any>)['participants'].organizer.identity.user).toMatchObject({ id: user, tenantId });
  // by UPN: the oid the token endpoint gives that username
  const byUpn = answerAsGraph('POST', '/v1.0/users/adele%40contoso.example/onlineMeetings', {}, context({ caller: { kind: 'app', tenantId } }))!;
  const org = (byUpn.response.body as Record<string, any>)['participants'].organizer;
  expect(org.upn).toBe('adele@contoso.example');
  expect(org.identity.user.id).toBe(userFromUsername('adele@contoso.example').oid);
  // the signed-in user naming themselves by upn
  const self = answerAsGraph('POST', `/v1.0/users/${organizer.upn}/onlineMeetings`, {}, context({ caller: organizer }))!;
  expect((self.response.body as Record<string, any>)['participants'].organizer.identity.user.id).toBe(organizer.userId);
});

test('createOrGet: externalId required; 201 for a new one, 200 with the same meeting for a known externalId', () => {
  const onlineMeetings = new Map<string, Record<string, unknown>>();
  const ctx = () => context({ caller: organizer, onlineMeetings });
  expect(answerAsGraph('POST', '/v1.0/me/onlineMeetings/createOrGet', { subject: 'x' }, ctx())!.response.status).toBe(400);
  const first = answerAsGraph('POST', '/v1.0/me/onlineMeetings/createOrGet', { externalId: 'ext-1', subject: 'Daily' }, ctx())!;
  expect(first.action).toBe('onlineMeetings/createOrGet');
  expect(first.response.status).toBe(201);
  expect(first.response.body).toMatchObject({ externalId: 'ext-1', subject: 'Daily' });
  const again = answerAsGraph('POST', '/v1.0/me/onlineMeetings/createOrGet', { externalId: 'ext-1', subject: 'Daily' }, ctx())!;
  expect(again.response.status).toBe(200);
  expect((again.response.body as Record<string, unknown>)['id']).toBe((first.response.body as Record<string, unknown>)['id']);
  const other = answerAsGraph('POST', '/v1.0/me/onlineMeetings/createOrGet', { externalId: 'ext-2' }, ctx())!;
  expect(other.response.status).toBe(201);
  expect((other.response.body as Record<string, unknown>)['id']).not.toBe((first.response.body as Record<string, unknown>)['id']);
  // without a store (one request at a time): always created
  expect(answerAsGraph('POST', '/v1.0/me/onlineMeetings/createOrGet', { externalId: 'ext-1' }, context({ caller: organizer }))!.response.status).toBe(201);
  // other methods on online meetings are not answered here
  expect(answerAsGraph('GET', '/v1.0/me/onlineMeetings', undefined, ctx())).toBeUndefined();
});
