/**
 * The reference calling bot: a small Teams calling bot on the Microsoft Graph cloud-communications
 * API. A call to its plain application identity is moved from the 1:1 (P2P) call into a meeting;
 * a call to one of its lines (resource accounts: `targets[0].identity.applicationInstance.id` is a
 * `*_LINE_ID`) gets that line's behaviour instead: reject, redirect, an IVR, a blind or
 * consultative transfer, a voicemail, a parked call kept up with keepAlive, app-hosted media or a
 * compliance recorder. Through its own API it also calls users, creates group calls and joins
 * meetings.
 *
 * Each scenario lives in a file of its own, as a class in one inheritance chain; ReferenceBot is
 * its last link (README.md, "Where each scenario lives"):
 *
 *   core.ts       server, notification authentication, tokens, Graph client, notification queue
 *   calls.ts      call tracking, and which hook each notification goes to
 *   answer.ts     answering, the reject and redirect lines, hanging up
 *   ivr.ts        the IVR line: menu prompt, tones
 *   transfer.ts   the transfer and consult lines: blind and consultative transfers
 *   meetings.ts   joining meetings, moving a caller into one, inviting, the meeting API
 *   voicemail.ts  the voicemail line: recordResponse and the recording's download
 *   park.ts       the park line: keepAlive
 *   outbound.ts   calling a user (the notification-bot pattern), and when such a call never connects
 *   group-calls.ts  creating a group call; answering an invite into one
 *   meeting-media.ts  joining a meeting with service-hosted media: lobby, welcome prompt, roster
 *   app-media.ts  the media line: answering with application-hosted media
 *   compliance-recording.ts  the recorder line: policy-based recording, updateRecordingStatus
 *   pstn.ts, info-line.ts, conference-line.ts, meeting-line.ts, moderator.ts (+ roster.ts):
 *                 PSTN lines and dial-out with DTMF, barge-in with cancelMediaProcessing, an invite
 *                 into the P2P call itself, transferred calls, a meeting moderator (mute, remove,
 *                 hold music, delta rosters)
 *
 * Each step is a small `protected` method so a subclass can change ONE behaviour; the conformance
 * tests use that to build deliberately defective bots. See README.md for the list of hooks.
 */
import { ModeratorBot } from './moderator.js';

export type * from './types.js';
export { GraphError } from './types.js';
export { normalizeId, sameId } from './helpers.js';
export { NOTIFICATION_CLOCK_TOLERANCE_S, NOTIFICATION_ISSUERS, verifyNotificationToken, type NotificationClaims } from './notification-auth.js';

/** The reference bot: every scenario. `new ReferenceBot(configFromEnv(env))`, then `start()`. */
export class ReferenceBot extends ModeratorBot {}
