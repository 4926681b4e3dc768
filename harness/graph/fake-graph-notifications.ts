/**
 * Building blocks for the fake Graph: the commsNotifications envelope, call / operation / roster
 * resource data, resultInfo values with their documented codes, and the tiny WAV served for a
 * recordResponse recording. Shapes follow the Microsoft Graph v1.0 cloud-communications docs.
 */
import { hexId, isGuidLike } from '../engine/ids.js';

/** How ids are spelled in notification `resourceUrl`s and `@odata.id`s. */
export type NotificationIdStyle =
  /** exactly as the bot spelled them in its request (and as the fake minted them) */
  | 'as-sent'
  /** Graph's own habit: GUIDs upper-case without hyphens (`/communications/calls/57DAB8B1894C409AB240BD8BEAE78896`) */
  | 'graph';

/** The path family of a resource: `/communications/calls/...` (v1.0, beta) or the deprecated `/app/calls/...` (beta). */
export type PathFamily = 'communications' | 'app';

export interface CommsNotification {
  '@odata.type': '#microsoft.graph.commsNotification';
  changeType: 'created' | 'updated' | 'deleted';
  resourceUrl: string;
  /** the legacy `/app/...` spelling, present when the bot used the `/app` family */
  resource?: string;
  /** the call's callbackUri (Graph adds it to the notifications of a call the bot created) */
  callbackUri?: string;
  resourceData: Record<string, unknown> | Array<Record<string, unknown>>;
}

export interface CommsNotificationsBody {
  '@odata.type': '#microsoft.graph.commsNotifications';
  value: CommsNotification[];
}

export interface ResultInfo {
  '@odata.type': '#microsoft.graph.resultInfo';
  code: number;
  subcode: number;
  message: string;
}

export function resultInfo(code: number, subcode: number, message: string): ResultInfo {
  return { '@odata.type': '#microsoft.graph.resultInfo', code, subcode, message };
}

/** The documented resultInfo values the fake uses (code / subcode / message). */
export const RESULT = {
  /** playPrompt completed (call-playprompt) */
  actionCompleted: () => resultInfo(200, 0, 'Action completed successfully.'),
  /** recordResponse completed (call-record) */
  maxRecordDuration: () => resultInfo(200, 8515, 'Action completed, max record duration reached.'),
  /** media operation cancelled by cancelMediaProcessing (call-cancelmediaprocessing) */
  operationCancelled: () => resultInfo(400, 8508, 'Action failed, the operation was cancelled.'),
  /** blind transfer completed (call-transfer) */
  transferCompleted: () => resultInfo(0, 7015, 'GracefulTransferCompleted'),
  /** blind transfer failed: the call is back to established (call-transfer) */
  transferFailed: () => resultInfo(500, 7000, 'Transfer failed. DiagCode: 500#7000.@'),
  /** consultative transfer failed (call-transfer) */
  consultativeTransferFailed: () => resultInfo(500, 7700, 'Consultative transfer failed. DiagCode: 500#7700.@'),
  /** the bot hung up (call-delete example and end-reason table) */
  conversationEnded: () => resultInfo(200, 5001, 'The conversation has ended. DiagCode: 0#5001.@'),
  /** outgoing call could not be placed (call-delete end-reason table) */
  calleeUnreachable: () => resultInfo(480, 10076, 'Callee could not be reached. DiagCode: 480#10076.@'),
  /** the answer came too late (call-delete end-reason table) */
  lateAnswer: () => resultInfo(408, 1106, 'An acknowledgement was not received for the call acceptance in the allotted time. DiagCode: 408#1106.@'),
  /** an asynchronous operation failed on the server side (undocumented detail: 500 with the generic subcode 9999) */
  operationFailed: (what = 'Action') => resultInfo(500, 9999, `${what} failed: internal server error (callreplay simulated failure). DiagCode: 500#9999.@`),
} as const;

/** Spells an id for a resourceUrl in the chosen style. */
export function spellId(id: string, style: NotificationIdStyle): string {
  return style === 'graph' && isGuidLike(id) ? hexId(id) : id;
}

export function notification(
  changeType: CommsNotification['changeType'],
  resourceUrl: string,
  resourceData: CommsNotification['resourceData'],
  extra: { family?: PathFamily; callbackUri?: string } = {},
): CommsNotification {
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType,
    resourceUrl,
    ...(extra.family === 'app' ? { resource: resourceUrl } : {}),
    ...(extra.callbackUri ? { callbackUri: extra.callbackUri } : {}),
    resourceData,
  };
}

export function notifications(...value: CommsNotification[]): CommsNotificationsBody {
  return { '@odata.type': '#microsoft.graph.commsNotifications', value };
}

/** `resourceData` for a call: `@odata.type`, `@odata.id` and the changed properties. */
export function callData(resourceUrl: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.call', '@odata.id': resourceUrl, ...fields };
}

/** An operation (playPromptOperation, inviteParticipantsOperation, ...) as Graph returns or notifies it. */
export function operationData(
  type: string,
  fields: { id: string; status: string; clientContext: string | null; resultInfo?: ResultInfo | null; resourceUrl?: string } & Record<string, unknown>,
): Record<string, unknown> {
  const { resourceUrl, ...rest } = fields;
  return {
    '@odata.type': `#microsoft.graph.${type}`,
    ...(resourceUrl ? { '@odata.id': resourceUrl } : {}),
    resultInfo: null,
    ...rest,
  };
}

export function identitySet(kind: 'user' | 'application' | 'phone', id: string, displayName?: string): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.identitySet',
    [kind]: { '@odata.type': '#microsoft.graph.identity', id, ...(displayName ? { displayName } : {}) },
  };
}

export interface ParticipantOptions {
  isMuted?: boolean;
  /** extra or replacing media streams (default: one audio stream, sendReceive) */
  mediaStreams?: Array<Record<string, unknown>>;
  /** the call's resourceUrl, for the participant's `@odata.id` */
  callResourceUrl?: string;
  replacesCallId?: string;
}

/** A roster entry (`#microsoft.graph.participant`). */
export function participantData(id: string, identity: unknown, opts: ParticipantOptions = {}): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.participant',
    ...(opts.callResourceUrl ? { '@odata.id': `${opts.callResourceUrl}/participants/${id}` } : {}),
    id,
    info: {
      '@odata.type': '#microsoft.graph.participantInfo',
      identity,
      endpointType: 'default',
      ...(opts.replacesCallId ? { replacesCallId: opts.replacesCallId } : {}),
    },
    mediaStreams: opts.mediaStreams ?? [audioStream('sendReceive')],
    isMuted: opts.isMuted ?? false,
    isInLobby: false,
  };
}

export function audioStream(direction: string, sourceId = '1'): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.mediaStream', mediaType: 'audio', label: 'main-audio', sourceId, direction, serverMuted: false };
}

export function screenSharingStream(direction: string, sourceId = '8'): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.mediaStream', mediaType: 'videoBasedScreenSharing', label: 'applicationsharing-video', sourceId, direction, serverMuted: false };
}

/**
 * A tiny valid WAV file: RIFF/WAVE, PCM, mono, 8 kHz, 8-bit, 80 samples (10 ms) of near-silence.
 * Every byte is below 0x80, so the file survives transports that write string bodies as UTF-8
 * (a 16 kHz file cannot: 16000 = 0x3E80 puts 0x80 in the header).
 */
export function tinyWav(): Buffer {
  const samples = 80;
  const b = Buffer.alloc(44 + samples);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + samples, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24); // sample rate
  b.writeUInt32LE(8000, 28); // byte rate = rate * channels * bytes per sample
  b.writeUInt16LE(1, 32); // block align
  b.writeUInt16LE(8, 34); // bits per sample
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(samples, 40);
  b.fill(0x7f, 44); // unsigned 8-bit: 0x80 is silence, 0x7f one step below
  return b;
}
