/**
 * The reference bot's types: what it reads from Graph's notifications, what it tracks per call, and
 * the bodies of the requests it sends. Shared by every scenario file (see README.md, "Where each
 * scenario lives").
 */
import type { LineConfig, RejectReason } from './config.js';


/** A parsed JSON object whose shape has not been checked yet. */
export type JsonObject = Record<string, unknown>;

/** One entry of the `value` array of a commsNotifications POST. Fields are read defensively. */
export interface CommsNotification {
  /** `created` | `updated` | `deleted`, in any case */
  changeType?: string;
  /** v1.0 property, e.g. `/communications/calls/{id}`, `.../participants`, `.../operations/{opId}` */
  resourceUrl?: string;
  /** legacy property, e.g. `/app/calls/{id}`; used when `resourceUrl` is absent */
  resource?: string;
  /** one entity or an array of entities */
  resourceData?: unknown;
}

/** A Graph identitySet, e.g. `{"user": {"id": "...", "displayName": "..."}}`, kept exactly as received. */
export type IdentitySet = JsonObject;

/** Where a call's requests go: `{GRAPH_BASE_URL}/{version}{callsRoot}/{callId}/...` */
export interface GraphRoute {
  version: 'v1.0' | 'beta';
  /** `/app/calls` is a deprecated alias that exists only on beta */
  callsRoot: '/communications/calls' | '/app/calls';
}

export type CallKind =
  /** an incoming P2P call: the bot answers it, then moves the caller into the meeting */
  | 'incoming'
  /** the meeting call the bot joined to move the caller of an incoming call into */
  | 'transfer-meeting'
  /** a meeting call joined through `POST /api/join-meeting` or `POST /api/create-meeting-and-join` */
  | 'api-meeting'
  /** an incoming call to one of the bot's lines (`*_LINE_ID`): handled as that line says */
  | 'line'
  /** the call the bot placed to TRANSFER_TARGET_ID to consult before a consultative transfer */
  | 'consultation'
  /** a P2P call the bot placed to a user through `POST /api/call-user` (outbound.ts) */
  | 'outbound'
  /** a group call the bot created through `POST /api/create-group-call` (group-calls.ts) */
  | 'group-outbound'
  /** an incoming invite into a group call or meeting: the notification carries chatInfo/meetingInfo (group-calls.ts) */
  | 'group-invite'
  /** a meeting joined with service-hosted media through `POST /api/join-meeting-with-media` (meeting-media.ts) */
  | 'media-meeting'
  /** a PSTN call the bot placed through `POST /api/pstn/dial` to key in digits (pstn.ts) */
  | 'dial-out'
  /** a meeting the bot joined as its moderator through `POST /api/moderator/join` (moderator.ts) */
  | 'moderated-meeting';

/** A call the bot takes part in. */
export interface TrackedCall {
  /** the id exactly as Graph spelled it (notification path, response body or Location header) */
  id: string;
  kind: CallKind;
  /** URL family used for every request about this call */
  route: GraphRoute;
  /** tenant whose token authorizes requests about this call */
  tenant: string;
  /** incoming: the answer request succeeded */
  answered: boolean;
  /** `established` was acted on (Graph may send it twice) */
  establishedHandled: boolean;
  /** incoming: the caller, `resourceData.source.identity` as received */
  caller?: IdentitySet;
  /** incoming: the meeting call created for it (set by onMeetingCreated) */
  meetingCallId?: string;
  /** transfer-meeting: the incoming P2P call whose caller it is for */
  p2pCallId?: string;
  /** line: the line (resource account) the caller called */
  line?: LineConfig;
  /** a transfer the bot asked for and Graph has not finished */
  transfer?: { state: 'requested' | 'transferring' | 'transferAccepted'; replacesCallId?: string };
  /** line (IVR): the bot subscribed to the caller's tones */
  tonesSubscribed?: boolean;
  /** line (IVR): the highest toneInfo.sequenceId acted on (Graph can replay tones) */
  lastToneSequenceId?: number;
  /** the bot hung up (DELETE); it only waits for the call to end */
  hangingUp?: boolean;
  /** consult line: the consultation call placed to the transfer target */
  consultationCallId?: string;
  /** consultation: the line call whose caller is transferred to the consulted party */
  consultFor?: string;
  /** media-meeting: the bot's own participant id (the 201's myParticipantId), to find itself in rosters */
  myParticipantId?: string;
  /** media-meeting: the last roster showed the bot waiting in the lobby */
  inLobby?: boolean;
  /** recorder line: where the recording stands (recording starts only after updateRecordingStatus succeeded) */
  recording?: 'starting' | 'recording' | 'failed';
}

/**
 * The meeting to join: chatInfo + organizerMeetingInfo by default; with `joinMeetingId` a
 * joinMeetingIdMeetingInfo (and `passcode`); with `token` a tokenMeetingInfo.
 */
export interface MeetingRef {
  threadId: string;
  messageId: string;
  organizerId: string;
  tenantId: string;
  /** the meeting's join id (as on the invitation, e.g. "1234567"): join with joinMeetingIdMeetingInfo */
  joinMeetingId?: string;
  /** the passcode that goes with joinMeetingId */
  passcode?: string;
  /** a meeting token (tokenMeetingInfo), e.g. from an earlier incoming call's meetingInfo */
  token?: string;
}

/** `POST .../calls/{id}/answer` body. */
export interface AnswerRequest {
  callbackUri: string;
  acceptedModalities: string[];
  /** serviceHostedMediaConfig, or appHostedMediaConfig with the media platform's `blob` */
  mediaConfig: { '@odata.type': string; blob?: string };
}

/** `POST .../calls` body that joins a meeting without media. */
export interface JoinMeetingRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  requestedModalities: string[];
  tenantId: string;
  chatInfo: { threadId: string; messageId: string };
  meetingInfo: {
    '@odata.type': '#microsoft.graph.organizerMeetingInfo';
    organizer: { user: { id: string; tenantId: string } };
    allowConversationWithoutHost: boolean;
  };
}

export interface InvitationParticipantInfo {
  '@odata.type': '#microsoft.graph.invitationParticipantInfo';
  identity: IdentitySet;
  /** the P2P call the invitee is in; Graph drops that call once the invitee joined */
  replacesCallId?: string;
}

/** `POST .../calls/{id}/participants/invite` body. */
export interface InviteRequest {
  participants: InvitationParticipantInfo[];
  clientContext: string;
}

/** `POST .../calls` body that joins a meeting without media by its join id or a token. */
export interface JoinMeetingByIdRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  requestedModalities: string[];
  tenantId: string;
  meetingInfo:
    | { '@odata.type': '#microsoft.graph.joinMeetingIdMeetingInfo'; joinMeetingId: string; passcode: string | null }
    | { '@odata.type': '#microsoft.graph.tokenMeetingInfo'; token: string };
}

/** `POST .../calls/{id}/reject` body. */
export interface RejectRequest {
  reason: RejectReason;
  callbackUri: string;
}

/** `POST .../calls/{id}/redirect` body. */
export interface RedirectRequest {
  targets: InvitationParticipantInfo[];
  /** seconds the targets ring (15-90) */
  timeout: number;
  callbackUri: string;
}

/** `POST .../calls/{id}/transfer` body (blind; consultative with `replacesCallId`). */
export interface TransferRequest {
  transferTarget: InvitationParticipantInfo & { endpointType: 'default' };
}

/** A prompt of playPrompt / recordResponse: a WAV file (16 kHz mono 16-bit PCM) Graph fetches. */
export interface MediaPrompt {
  '@odata.type': '#microsoft.graph.mediaPrompt';
  mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo'; uri: string; resourceId?: string };
}

/** `POST .../calls/{id}/playPrompt` body. */
export interface PlayPromptRequest {
  prompts: MediaPrompt[];
  clientContext: string;
}

/** `POST .../calls/{id}/recordResponse` body. */
export interface RecordResponseRequest {
  prompts: MediaPrompt[];
  bargeInAllowed: boolean;
  initialSilenceTimeoutInSeconds: number;
  maxSilenceTimeoutInSeconds: number;
  maxRecordDurationInSeconds: number;
  playBeep: boolean;
  stopTones: string[];
  clientContext: string;
}

/** `POST .../calls` body that places a P2P call to a user (the consultation call). */
export interface CreateCallRequest {
  callbackUri: string;
  source: { identity: IdentitySet };
  targets: InvitationParticipantInfo[];
  requestedModalities: string[];
  mediaConfig: { '@odata.type': string };
  tenantId: string;
}

/**
 * What a prompt is for: the IVR menu, the apology after a failed transfer, the voicemail greeting,
 * the message of an outbound call, the welcome in a meeting joined with media.
 */
export type PromptPurpose = 'menu' | 'apology' | 'greeting' | 'notice' | 'welcome';

/** An operation the bot started and whose completion notification it waits for. */
export interface PendingOperation {
  action: 'invite' | 'playPrompt' | 'recordResponse' | 'updateRecordingStatus' | 'sendDtmfTones' | 'participantMute' | 'startHoldMusic' | 'stopHoldMusic';
  /** playPrompt / recordResponse: what the prompt is for */
  purpose?: PromptPurpose;
  clientContext: string;
  /** from the response body `id` or the Location header; unknown until Graph answered */
  operationId?: string;
  callId: string;
}

/** What a `deleted .../operations/{opId}` notification reported. */
export interface OperationOutcome {
  operationId: string;
  /** `completed` | `failed` (lower-case) */
  status: string;
  clientContext?: string;
  resultInfo?: JsonObject;
  /** the bot's own record of the operation, when it started it */
  started?: PendingOperation;
  /** the operation as notified (e.g. a recordOperation's recordingLocation and recordingAccessToken) */
  operation?: JsonObject;
}

export interface GraphResponse {
  status: number;
  location?: string;
  /** parsed JSON, the raw text if it was not JSON, or undefined when empty */
  body: unknown;
}

/** A non-2xx answer from Graph. */
export class GraphError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}
