/* Generated from harness/graph/schemas/graph-calling.schema.json by scripts/gen-graph-types.mjs. Do not edit: run `node scripts/gen-graph-types.mjs`. */

/**
 * Call options. Abstract: "@odata.type" must name incomingCallOptions or outgoingCallOptions.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callOptions".
 */
export type CallOptions = IncomingCallOptions | OutgoingCallOptions;
/**
 * Media configuration. Abstract: "@odata.type" must name serviceHostedMediaConfig or appHostedMediaConfig.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "mediaConfig".
 */
export type MediaConfig = ServiceHostedMediaConfig | AppHostedMediaConfig;
/**
 * How to join a meeting. Abstract: "@odata.type" must name organizerMeetingInfo, joinMeetingIdMeetingInfo or tokenMeetingInfo.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "meetingInfo".
 */
export type MeetingInfo = OrganizerMeetingInfo | JoinMeetingIdMeetingInfo | TokenMeetingInfo;
/**
 * The type of endpoint of a participant.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "endpointType".
 */
export type EndpointType =
  'default' | 'voicemail' | 'skypeForBusiness' | 'skypeForBusinessVoipPhone' | 'unknownFutureValue';
/**
 * A media modality.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "modality".
 */
export type Modality = 'audio' | 'video' | 'videoBasedScreenSharing' | 'data' | 'unknownFutureValue';
/**
 * beta only: a routing policy of a peer-to-peer call (call.routingPolicies).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "routingPolicy".
 */
export type RoutingPolicy =
  | 'none'
  | 'noMissedCall'
  | 'disableForwardingExceptPhone'
  | 'disableForwarding'
  | 'preferSkypeForBusiness'
  | 'unknownFutureValue';
/**
 * Why a call is rejected (the docs spell them `None`, `Busy`, `Forbidden`).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "rejectReason".
 */
export type RejectReason = 'none' | 'busy' | 'forbidden' | 'unknownFutureValue';
/**
 * A prompt. Abstract: "@odata.type" must be "#microsoft.graph.mediaPrompt".
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "prompt".
 */
export type Prompt = MediaPrompt;
/**
 * A DTMF tone.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "tone".
 */
export type Tone =
  | 'tone0'
  | 'tone1'
  | 'tone2'
  | 'tone3'
  | 'tone4'
  | 'tone5'
  | 'tone6'
  | 'tone7'
  | 'tone8'
  | 'tone9'
  | 'star'
  | 'pound'
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'flash';
/**
 * A recording status.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "recordingStatus".
 */
export type RecordingStatus = 'unknown' | 'notRecording' | 'recording' | 'failed' | 'unknownFutureValue';
/**
 * A screen-sharing role.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "screenSharingRole".
 */
export type ScreenSharingRole = 'viewer' | 'sharer';
/**
 * The call state. `ringing` is listed by the beta docs only (not in the v1.0 enum).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callState".
 */
export type CallState =
  | 'incoming'
  | 'establishing'
  | 'ringing'
  | 'established'
  | 'hold'
  | 'transferring'
  | 'transferAccepted'
  | 'redirecting'
  | 'terminating'
  | 'terminated'
  | 'unknownFutureValue';
/**
 * The direction of a call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callDirection".
 */
export type CallDirection = 'incoming' | 'outgoing';
/**
 * The state of a media stream.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "mediaState".
 */
export type MediaState = 'active' | 'inactive' | 'unknownFutureValue';
/**
 * The status of an operation. The CSDL spells the members PascalCase (`NotStarted`, `Running`, `Completed`, `Failed`); Graph sends both spellings, so values compare case-insensitively.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "operationStatus".
 */
export type OperationStatus = 'notStarted' | 'running' | 'completed' | 'failed';
/**
 * The kind of change a notification reports.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "changeType".
 */
export type ChangeType = 'created' | 'updated' | 'deleted';
/**
 * The direction of a media stream.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "mediaDirection".
 */
export type MediaDirection = 'inactive' | 'sendOnly' | 'receiveOnly' | 'sendReceive';
/**
 * How a call was retargeted.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "routingType".
 */
export type RoutingType = 'forwarded' | 'lookup' | 'selfFork' | 'unknownFutureValue';
/**
 * Why a sendDtmfTones operation completed.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "sendDtmfCompletionReason".
 */
export type SendDtmfCompletionReason =
  'unknown' | 'completedSuccessfully' | 'mediaOperationCanceled' | 'unknownFutureValue';
/**
 * The transcription state of a call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callTranscriptionState".
 */
export type CallTranscriptionState = 'notStarted' | 'active' | 'inactive' | 'unknownFutureValue';
/**
 * The same as identitySet (calling payloads always carry a communicationsIdentitySet).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsIdentitySet".
 */
export type CommunicationsIdentitySet = IdentitySet;

/**
 * The request body of each Graph calling action, by callreplay action name (see validateGraphRequest).
 */
export interface GraphActionBodies {
  createCall: CreateCallRequest;
  answer: AnswerRequest;
  reject: RejectRequest;
  redirect: RedirectRequest;
  transfer: TransferRequest;
  invite: InviteRequest;
  playPrompt: PlayPromptRequest;
  recordResponse: RecordResponseRequest;
  subscribeToTone: SubscribeToToneRequest;
  sendDtmfTones: SendDtmfTonesRequest;
  cancelMediaProcessing: CancelMediaProcessingRequest;
  keepAlive: KeepAliveRequest;
  mute: MuteRequest;
  unmute: UnmuteRequest;
  participantMute: ParticipantMuteRequest;
  startHoldMusic: StartHoldMusicRequest;
  stopHoldMusic: StopHoldMusicRequest;
  updateRecordingStatus: UpdateRecordingStatusRequest;
  changeScreenSharingRole: ChangeScreenSharingRoleRequest;
  addLargeGalleryView: AddLargeGalleryViewRequest;
}
/**
 * POST /communications/calls: create a call or join a meeting (a call with its writable properties). callbackUri is required.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "createCallRequest".
 */
export interface CreateCallRequest {
  /**
   * OData type annotation, e.g. "#microsoft.graph.call" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * Where Graph sends this call's notifications; must be https in production.
   */
  callbackUri: string;
  /**
   * Identifies all participant calls of a conference (or both legs of a P2P call).
   */
  callChainId?: string | null;
  /**
   * Call options (outgoingCallOptions when creating a call).
   */
  callOptions?: CallOptions | null;
  /**
   * The chat of the meeting: required to join a meeting.
   */
  chatInfo?: ChatInfo | null;
  /**
   * The media configuration; leave it out to join without media.
   */
  mediaConfig?: MediaConfig | null;
  /**
   * The meeting to join: required to join a meeting.
   */
  meetingInfo?: MeetingInfo | null;
  /**
   * The requested modalities; empty or absent to join without media.
   */
  requestedModalities?: Modality[];
  /**
   * beta only: ringing timeout of an outgoing P2P call (max 115).
   */
  ringingTimeoutInSeconds?: number | null;
  /**
   * beta only: routing policies of a P2P call.
   */
  routingPolicies?: RoutingPolicy[];
  /**
   * The originator of the call (identity.application, or identity.applicationInstance for PSTN).
   */
  source?: ParticipantInfo | null;
  /**
   * The subject of the conversation.
   */
  subject?: string | null;
  /**
   * The targets of a peer-to-peer or group call.
   */
  targets?: InvitationParticipantInfo[];
  /**
   * The tenant of the call.
   */
  tenantId?: string | null;
}
/**
 * Options for an answered call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "incomingCallOptions".
 */
export interface IncomingCallOptions {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type'?: '#microsoft.graph.incomingCallOptions';
  /**
   * Hide the bot after the call is escalated.
   */
  hideBotAfterEscalation?: boolean | null;
  /**
   * Send content-sharing notifications.
   */
  isContentSharingNotificationEnabled?: boolean | null;
  /**
   * Send delta roster notifications (deltaParticipants).
   */
  isDeltaRosterEnabled?: boolean | null;
  /**
   * Send interactive roster notifications.
   */
  isInteractiveRosterEnabled?: boolean | null;
}
/**
 * Options for a created call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "outgoingCallOptions".
 */
export interface OutgoingCallOptions {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type'?: '#microsoft.graph.outgoingCallOptions';
  /**
   * Hide the bot after the call is escalated.
   */
  hideBotAfterEscalation?: boolean | null;
  /**
   * Send content-sharing notifications.
   */
  isContentSharingNotificationEnabled?: boolean | null;
  /**
   * Send delta roster notifications (deltaParticipants).
   */
  isDeltaRosterEnabled?: boolean | null;
  /**
   * Send interactive roster notifications.
   */
  isInteractiveRosterEnabled?: boolean | null;
}
/**
 * The chat of a meeting (join a meeting).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "chatInfo".
 */
export interface ChatInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.chatInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The id of a message in a Teams channel ("0" for a meeting).
   */
  messageId?: string | null;
  /**
   * The id of the reply message.
   */
  replyChainMessageId?: string | null;
  /**
   * The id of the thread, e.g. "19:meeting_...@thread.v2".
   */
  threadId?: string | null;
}
/**
 * Media hosted by Graph (playPrompt, recordResponse, subscribeToTone work only with it).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "serviceHostedMediaConfig".
 */
export interface ServiceHostedMediaConfig {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type': '#microsoft.graph.serviceHostedMediaConfig';
  /**
   * Media to pre-fetch.
   */
  preFetchMedia?: MediaInfo[];
  /**
   * beta only: remove the bot from the default audio group.
   */
  removeFromDefaultAudioGroup?: boolean | null;
}
/**
 * A media file (prompt or pre-fetched media): a WAV file, 16 kHz mono 16-bit PCM.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "mediaInfo".
 */
export interface MediaInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.mediaInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * Optional id under which the uri is cached.
   */
  resourceId?: string | null;
  /**
   * The URI of the media file.
   */
  uri: string;
}
/**
 * Media hosted by the application (the real-time media platform).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "appHostedMediaConfig".
 */
export interface AppHostedMediaConfig {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type': '#microsoft.graph.appHostedMediaConfig';
  /**
   * The media configuration blob generated by the media platform.
   */
  blob?: string | null;
  /**
   * beta only: remove the bot from the default audio group.
   */
  removeFromDefaultAudioGroup?: boolean | null;
}
/**
 * Join a meeting by its organizer. Open type: doc examples also send allowConversationWithoutHost, which is not declared.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "organizerMeetingInfo".
 */
export interface OrganizerMeetingInfo {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type': '#microsoft.graph.organizerMeetingInfo';
  /**
   * The organizer (identity.user with id and tenantId).
   */
  organizer: IdentitySet;
}
/**
 * An identity set as calling payloads use it: a communicationsIdentitySet (identitySet plus applicationInstance, phone, guest, ...). Doc examples tag it "#microsoft.graph.identitySet"; both tags are accepted. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "identitySet".
 */
export interface IdentitySet {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsIdentitySet" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The application (bot).
   */
  application?: CommunicationsApplicationIdentity | null;
  /**
   * The application instance (resource account).
   */
  applicationInstance?: CommunicationsApplicationInstanceIdentity | null;
  /**
   * An identity the caller asserted.
   */
  assertedIdentity?: Identity | null;
  /**
   * An Azure Communication Services user.
   */
  azureCommunicationServicesUser?: AzureCommunicationServicesUserIdentity | null;
  /**
   * beta only: an Azure Communication Services user (v1.0: azureCommunicationServicesUser).
   */
  acsUser?: AzureCommunicationServicesUserIdentity | null;
  /**
   * The device.
   */
  device?: Identity | null;
  /**
   * An encrypted identity.
   */
  encrypted?: CommunicationsEncryptedIdentity | null;
  /**
   * The type of endpoint.
   */
  endpointType?: EndpointType | null;
  /**
   * A guest.
   */
  guest?: CommunicationsGuestIdentity | null;
  /**
   * An on-premises user.
   */
  onPremises?: CommunicationsUserIdentity | null;
  /**
   * A phone number (E.164).
   */
  phone?: CommunicationsPhoneIdentity | null;
  /**
   * The user.
   */
  user?: CommunicationsUserIdentity | null;
}
/**
 * An application (bot) identity in calling payloads (identitySet.application).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsApplicationIdentity".
 */
export interface CommunicationsApplicationIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsApplicationIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
  /**
   * First party or third party application.
   */
  applicationType?: string | null;
  /**
   * Whether the application is hidden from users.
   */
  hidden?: boolean | null;
}
/**
 * An application instance (resource account, e.g. for PSTN) identity (identitySet.applicationInstance).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsApplicationInstanceIdentity".
 */
export interface CommunicationsApplicationInstanceIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsApplicationInstanceIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
  /**
   * Whether the application instance is hidden from users.
   */
  hidden?: boolean | null;
  /**
   * The application instance's tenant.
   */
  tenantId?: string | null;
}
/**
 * An identity (user, application, device, ...). Open type: Graph tolerates more properties.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "identity".
 */
export interface Identity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.identity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
}
/**
 * An Azure Communication Services user identity.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "azureCommunicationServicesUserIdentity".
 */
export interface AzureCommunicationServicesUserIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.azureCommunicationServicesUserIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
  /**
   * The Azure Communication Services resource id.
   */
  azureCommunicationServicesResourceId?: string | null;
}
/**
 * An encrypted identity (identitySet.encrypted).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsEncryptedIdentity".
 */
export interface CommunicationsEncryptedIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsEncryptedIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
}
/**
 * A guest identity (identitySet.guest).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsGuestIdentity".
 */
export interface CommunicationsGuestIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsGuestIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
  /**
   * The guest's email address.
   */
  email?: string | null;
}
/**
 * A user identity in calling payloads (identitySet.user).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsUserIdentity".
 */
export interface CommunicationsUserIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsUserIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
  /**
   * The user's tenant.
   */
  tenantId?: string | null;
}
/**
 * A phone identity (identitySet.phone); id is an E.164 number, e.g. "+12345678901".
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "communicationsPhoneIdentity".
 */
export interface CommunicationsPhoneIdentity {
  /**
   * OData type annotation, e.g. "#microsoft.graph.communicationsPhoneIdentity" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The display name of the identity. May be null: Graph fills it in.
   */
  displayName?: string | null;
  /**
   * The identity's unique identifier (an Entra object id, an app id, or an E.164 number for phone).
   */
  id?: string | null;
}
/**
 * Join a meeting by its join meeting id.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "joinMeetingIdMeetingInfo".
 */
export interface JoinMeetingIdMeetingInfo {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type': '#microsoft.graph.joinMeetingIdMeetingInfo';
  /**
   * The join meeting id.
   */
  joinMeetingId: string;
  /**
   * The passcode, if the meeting has one.
   */
  passcode?: string | null;
}
/**
 * Join a meeting with a token.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "tokenMeetingInfo".
 */
export interface TokenMeetingInfo {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type': '#microsoft.graph.tokenMeetingInfo';
  /**
   * The token used to join the call.
   */
  token: string;
}
/**
 * Information about a participant (call.source, transfer.transferee, participant.info).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "participantInfo".
 */
export interface ParticipantInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.participantInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * ISO 3166-1 alpha-2 country code of the participant's estimated location. Read-only.
   */
  countryCode?: string | null;
  /**
   * The type of endpoint. Read-only.
   */
  endpointType?: EndpointType | null;
  /**
   * The participant's identity.
   */
  identity: IdentitySet;
  /**
   * The language culture string. Read-only.
   */
  languageId?: string | null;
  /**
   * The participant id of the participant.
   */
  participantId?: string | null;
  /**
   * beta only: the client platform id. Read-only.
   */
  platformId?: string | null;
  /**
   * The home region of the participant. Read-only.
   */
  region?: string | null;
}
/**
 * A participant to invite, transfer or redirect to (invite.participants, transfer.transferTarget, redirect.targets, call.targets). Open type: doc examples also send endpointType, languageId and region, which v1.0 does not declare.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "invitationParticipantInfo".
 */
export interface InvitationParticipantInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.invitationParticipantInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * beta only: the type of endpoint (`default`, `voicemail`).
   */
  endpointType?: EndpointType | null;
  /**
   * Whether to hide the participant from the roster.
   */
  hidden?: boolean | null;
  /**
   * The identity of the participant.
   */
  identity: IdentitySet;
  /**
   * The id of the participant (to move a participant between meetings).
   */
  participantId?: string | null;
  /**
   * Whether to remove the participant from the default audio routing group.
   */
  removeFromDefaultAudioRoutingGroup?: boolean | null;
  /**
   * The call the invitee is currently in; Graph drops that call once the participant has joined. A bare id or an /app/calls/{id} path.
   */
  replacesCallId?: string | null;
}
/**
 * POST /communications/calls/{id}/answer: answer an incoming call (within 15 s). mediaConfig is required; callbackUri falls back to the bot's registered webhook.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "answerRequest".
 */
export interface AnswerRequest {
  /**
   * The modalities to accept (the docs say it is required for answering; the CSDL makes it optional).
   */
  acceptedModalities?: Modality[];
  /**
   * Where Graph sends this call's notifications; defaults to the bot's webhook.
   */
  callbackUri?: string;
  /**
   * Call options.
   */
  callOptions?: IncomingCallOptions | null;
  /**
   * The media configuration: service-hosted or app-hosted ("@odata.type" required).
   */
  mediaConfig: MediaConfig;
  /**
   * How many participants the bot can handle (policy-based recording).
   */
  participantCapacity?: number | null;
}
/**
 * POST /communications/calls/{id}/reject: reject an incoming call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "rejectRequest".
 */
export interface RejectRequest {
  /**
   * Where Graph sends the following notifications.
   */
  callbackUri?: string | null;
  /**
   * Why the call is rejected.
   */
  reason?: RejectReason | null;
}
/**
 * POST /communications/calls/{id}/redirect: redirect an incoming call (before answering, within 15 s). routingPolicies, which the v1.0 doc example sends, is not a parameter.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "redirectRequest".
 */
export interface RedirectRequest {
  /**
   * Where Graph sends the following notifications.
   */
  callbackUri?: string | null;
  /**
   * beta only: hide the callee from the caller.
   */
  maskCallee?: boolean | null;
  /**
   * beta only: hide the caller from the callee.
   */
  maskCaller?: boolean | null;
  /**
   * beta only, deprecated: default, simultaneousRing, forward.
   */
  targetDisposition?: string | null;
  /**
   * The targets (more than one rings them simultaneously; at most 25).
   *
   * @minItems 1
   * @maxItems 25
   */
  targets: InvitationParticipantInfo[];
  /**
   * Timeout in seconds, 15 to 90 (default 55 for one target, 60 for several).
   */
  timeout?: number | null;
}
/**
 * POST /communications/calls/{id}/transfer: blind or consultative (replacesCallId) transfer. transferee is required for a group call. clientContext, which doc examples send, is not a parameter.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "transferRequest".
 */
export interface TransferRequest {
  /**
   * The participant to transfer (group calls).
   */
  transferee?: ParticipantInfo | null;
  /**
   * The transfer target.
   */
  transferTarget: InvitationParticipantInfo;
}
/**
 * POST /communications/calls/{id}/participants/invite: invite participants into a group call or meeting (replacesCallId moves a P2P caller in).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "inviteRequest".
 */
export interface InviteRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
  /**
   * The participants to invite.
   *
   * @minItems 1
   */
  participants: InvitationParticipantInfo[];
}
/**
 * POST /communications/calls/{id}/playPrompt: play prompts (service-hosted media only).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "playPromptRequest".
 */
export interface PlayPromptRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
  /**
   * beta only: loop the prompts until cancelled.
   */
  loop?: boolean | null;
  /**
   * The prompts to play (mediaPrompt, at most 20).
   *
   * @maxItems 20
   */
  prompts: Prompt[];
}
/**
 * A prompt that plays a media file.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "mediaPrompt".
 */
export interface MediaPrompt {
  /**
   * Names this derived type of an abstract type.
   */
  '@odata.type': '#microsoft.graph.mediaPrompt';
  /**
   * The media to play.
   */
  mediaInfo: MediaInfo;
}
/**
 * POST /communications/calls/{id}/recordResponse: record a short response (service-hosted media only).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "recordResponseRequest".
 */
export interface RecordResponseRequest {
  /**
   * Barge into queued or running playPrompt/recordResponse operations (default false).
   */
  bargeInAllowed?: boolean | null;
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
  /**
   * Initial silence allowed, 1 to 120 s (default 5).
   */
  initialSilenceTimeoutInSeconds?: number | null;
  /**
   * Maximum recording duration, 1 to 120 s (default 5).
   */
  maxRecordDurationInSeconds?: number | null;
  /**
   * Silence allowed after speech started, 1 to 120 s (default 5).
   */
  maxSilenceTimeoutInSeconds?: number | null;
  /**
   * Play a beep before recording (default true).
   */
  playBeep?: boolean | null;
  /**
   * A prompt to play first (at most 1).
   *
   * @maxItems 1
   */
  prompts?: Prompt[];
  /**
   * DTMF tones that end the recording, e.g. ["#", "1", "*"].
   */
  stopTones?: string[];
}
/**
 * POST /communications/calls/{id}/subscribeToTone: get a notification per DTMF tone (service-hosted media only).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "subscribeToToneRequest".
 */
export interface SubscribeToToneRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * POST /communications/calls/{id}/sendDtmfTones: send DTMF tones.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "sendDtmfTonesRequest".
 */
export interface SendDtmfTonesRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
  /**
   * Delay between tones in milliseconds.
   */
  delayBetweenTonesMs?: number | null;
  /**
   * The tones to send.
   */
  tones: Tone[];
}
/**
 * POST /communications/calls/{id}/cancelMediaProcessing: cancel queued and running playPrompt/recordResponse operations.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "cancelMediaProcessingRequest".
 */
export interface CancelMediaProcessingRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * POST /communications/calls/{id}/keepAlive: keep the call alive (every 15 to 45 minutes). No body.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "keepAliveRequest".
 */
export interface KeepAliveRequest {}
/**
 * POST /communications/calls/{id}/mute: mute the bot itself (group calls).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "muteRequest".
 */
export interface MuteRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * POST /communications/calls/{id}/unmute: unmute the bot itself (group calls).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "unmuteRequest".
 */
export interface UnmuteRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * POST /communications/calls/{id}/participants/{participantId}/mute: mute another participant (server mute).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "participantMuteRequest".
 */
export interface ParticipantMuteRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * POST /communications/calls/{id}/participants/{participantId}/startHoldMusic: put a participant on hold with music.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "startHoldMusicRequest".
 */
export interface StartHoldMusicRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
  /**
   * The music to play (a mediaPrompt); default music otherwise.
   */
  customPrompt?: Prompt | null;
}
/**
 * POST /communications/calls/{id}/participants/{participantId}/stopHoldMusic: take a participant off hold.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "stopHoldMusicRequest".
 */
export interface StopHoldMusicRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * POST /communications/calls/{id}/updateRecordingStatus: tell Graph whether the bot records (policy-based recording).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "updateRecordingStatusRequest".
 */
export interface UpdateRecordingStatusRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
  /**
   * The recording status (notRecording, recording, failed).
   */
  status: RecordingStatus;
}
/**
 * POST /communications/calls/{id}/changeScreenSharingRole: become screen-sharing viewer or sharer (app-hosted media).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "changeScreenSharingRoleRequest".
 */
export interface ChangeScreenSharingRoleRequest {
  /**
   * viewer or sharer.
   */
  role: ScreenSharingRole;
}
/**
 * POST /communications/calls/{id}/addLargeGalleryView: add the large gallery view.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "addLargeGalleryViewRequest".
 */
export interface AddLargeGalleryViewRequest {
  /**
   * Unique client context string (max 256 characters); Graph echoes it in the operation.
   */
  clientContext?: string | null;
}
/**
 * A media stream of a participant (roster).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "mediaStream".
 */
export interface MediaStream {
  /**
   * OData type annotation, e.g. "#microsoft.graph.mediaStream" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The direction of the stream.
   */
  direction?: MediaDirection;
  /**
   * The media stream label.
   */
  label?: string | null;
  /**
   * The media type.
   */
  mediaType?: Modality;
  /**
   * Whether the media is muted by the server.
   */
  serverMuted?: boolean;
  /**
   * The source id.
   */
  sourceId?: string;
}
/**
 * Whether a participant is recording.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "recordingInfo".
 */
export interface RecordingInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.recordingInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * Who started the recording.
   */
  initiator?: IdentitySet | null;
  /**
   * The recording status.
   */
  recordingStatus?: RecordingStatus;
}
/**
 * Why a participant was removed (delta roster).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "removedState".
 */
export interface RemovedState {
  /**
   * OData type annotation, e.g. "#microsoft.graph.removedState" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The reason.
   */
  reason?: string | null;
}
/**
 * Restrictions on a participant's experience (flags, comma-separated).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "onlineMeetingRestricted".
 */
export interface OnlineMeetingRestricted {
  /**
   * OData type annotation, e.g. "#microsoft.graph.onlineMeetingRestricted" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * Flags: watermarkProtection, unknownFutureValue.
   */
  contentSharingDisabled?: string | null;
  /**
   * Flags: watermarkProtection, unknownFutureValue.
   */
  videoDisabled?: string | null;
}
/**
 * A participant of a call (roster notifications: a partial entity, so nothing is required).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "participant".
 */
export interface Participant {
  /**
   * OData type annotation, e.g. "#microsoft.graph.participant" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The participant id.
   */
  id?: string;
  /**
   * Information about the participant.
   */
  info?: ParticipantInfo;
  /**
   * Whether the participant is in the lobby.
   */
  isInLobby?: boolean;
  /**
   * Whether the participant is muted (client or server muted).
   */
  isMuted?: boolean;
  /**
   * The media streams.
   */
  mediaStreams?: MediaStream[];
  /**
   * A blob of data provided by the participant in the roster.
   */
  metadata?: string | null;
  /**
   * Whether the participant is recording.
   */
  recordingInfo?: RecordingInfo | null;
  /**
   * Why the participant was removed (delta roster).
   */
  removedState?: RemovedState | null;
  /**
   * Restrictions on the participant's experience.
   */
  restrictedExperience?: OnlineMeetingRestricted | null;
  /**
   * The roster sequence number (delta roster).
   */
  rosterSequenceNumber?: number | null;
}
/**
 * The media state of a call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callMediaState".
 */
export interface CallMediaState {
  /**
   * OData type annotation, e.g. "#microsoft.graph.callMediaState" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The audio state.
   */
  audio?: MediaState | null;
}
/**
 * A DTMF tone the caller pressed (call updated notification after subscribeToTone).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "toneInfo".
 */
export interface ToneInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.toneInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * Incremental id that orders the tones.
   */
  sequenceId?: number;
  /**
   * The tone.
   */
  tone?: Tone;
}
/**
 * The context of an incoming call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "incomingContext".
 */
export interface IncomingContext {
  /**
   * OData type annotation, e.g. "#microsoft.graph.incomingContext" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The participant under observation.
   */
  observedParticipantId?: string | null;
  /**
   * On whose behalf the call is made.
   */
  onBehalfOf?: IdentitySet | null;
  /**
   * The participant that triggered the call.
   */
  sourceParticipantId?: string | null;
  /**
   * Who transferred the call.
   */
  transferor?: IdentitySet | null;
}
/**
 * A result (operation outcome, call termination reason).
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "resultInfo".
 */
export interface ResultInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.resultInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The result code (HTTP-like, e.g. 200, 408, 500).
   */
  code?: number;
  /**
   * The message.
   */
  message?: string | null;
  /**
   * The result sub-code, e.g. 7015 (transfer completed), 8537 (keepAlive timeout).
   */
  subcode?: number;
}
/**
 * How a call was retargeted.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callRoute".
 */
export interface CallRoute {
  /**
   * OData type annotation, e.g. "#microsoft.graph.callRoute" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The identity the call reached.
   */
  final?: IdentitySet;
  /**
   * The identity first called.
   */
  original?: IdentitySet;
  /**
   * How it was retargeted.
   */
  routingType?: RoutingType;
}
/**
 * The transcription state of a call.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "callTranscriptionInfo".
 */
export interface CallTranscriptionInfo {
  /**
   * OData type annotation, e.g. "#microsoft.graph.callTranscriptionInfo" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * When the state last changed (ISO 8601).
   */
  lastModifiedDateTime?: string | null;
  /**
   * The transcription state.
   */
  state?: CallTranscriptionState;
}
/**
 * A call (notifications carry partial calls, so nothing is required). Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "call".
 */
export interface Call {
  /**
   * OData type annotation, e.g. "#microsoft.graph.call" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * beta only: the active modalities. Read-only.
   */
  activeModalities?: Modality[];
  /**
   * beta only: the participant that answered the call. Read-only.
   */
  answeredBy?: ParticipantInfo | null;
  /**
   * Where Graph sends this call's notifications; must be https in production.
   */
  callbackUri?: string;
  /**
   * Identifies all participant calls of a conference (or both legs of a P2P call).
   */
  callChainId?: string | null;
  /**
   * Call options (outgoingCallOptions when creating a call).
   */
  callOptions?: CallOptions | null;
  /**
   * How the call was retargeted. Read-only.
   */
  callRoutes?: CallRoute[];
  /**
   * The chat of the meeting: required to join a meeting.
   */
  chatInfo?: ChatInfo | null;
  /**
   * The direction of the call. Read-only.
   */
  direction?: CallDirection | null;
  /**
   * The call id. Read-only.
   */
  id?: string;
  /**
   * The context of an incoming call. Read-only.
   */
  incomingContext?: IncomingContext | null;
  /**
   * The media configuration; leave it out to join without media.
   */
  mediaConfig?: MediaConfig | null;
  /**
   * The media state. Read-only.
   */
  mediaState?: CallMediaState | null;
  /**
   * The meeting to join: required to join a meeting.
   */
  meetingInfo?: MeetingInfo | null;
  /**
   * The bot's participant id. Read-only.
   */
  myParticipantId?: string | null;
  /**
   * beta only: the context of a consultative transfer. Read-only.
   */
  replacesContext?: string | null;
  /**
   * The requested modalities; empty or absent to join without media.
   */
  requestedModalities?: Modality[];
  /**
   * The result, e.g. why the call ended. Read-only.
   */
  resultInfo?: ResultInfo | null;
  /**
   * beta only: ringing timeout of an outgoing P2P call (max 115).
   */
  ringingTimeoutInSeconds?: number | null;
  /**
   * beta only: routing policies of a P2P call.
   */
  routingPolicies?: RoutingPolicy[];
  /**
   * The originator of the call (identity.application, or identity.applicationInstance for PSTN).
   */
  source?: ParticipantInfo | null;
  /**
   * The call state. Read-only.
   */
  state?: CallState | null;
  /**
   * The subject of the conversation.
   */
  subject?: string | null;
  /**
   * The targets of a peer-to-peer or group call.
   */
  targets?: InvitationParticipantInfo[];
  /**
   * The tenant of the call.
   */
  tenantId?: string | null;
  /**
   * beta only: why the call ended, e.g. "AppInitiated", "AppTransferred". Read-only.
   */
  terminationReason?: string | null;
  /**
   * The DTMF tone pressed (after subscribeToTone). Read-only.
   */
  toneInfo?: ToneInfo | null;
  /**
   * The transcription state. Read-only.
   */
  transcription?: CallTranscriptionInfo | null;
}
/**
 * An asynchronous operation on a call (the answer of an action, or resourceData of a deleted .../operations/{id} notification). Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "commsOperation".
 */
export interface CommsOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.commsOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of playPrompt. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "playPromptOperation".
 */
export interface PlayPromptOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.playPromptOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * beta only: unknown, completedSuccessfully, mediaOperationCanceled.
   */
  completionReason?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of recordResponse. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "recordOperation".
 */
export interface RecordOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.recordOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * beta only: operationCanceled, stopToneDetected, maxRecordDurationReached, initialSilenceTimeout, maxSilenceTimeout, playPromptFailed, playBeepFailed, mediaReceiveTimeout, unspecifiedError, none.
   */
  completionReason?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The token to download the recording with.
   */
  recordingAccessToken?: string | null;
  /**
   * Where to download the recording.
   */
  recordingLocation?: string | null;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of participants/invite. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "inviteParticipantsOperation".
 */
export interface InviteParticipantsOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.inviteParticipantsOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The participants invited.
   */
  participants?: InvitationParticipantInfo[];
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of cancelMediaProcessing. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "cancelMediaProcessingOperation".
 */
export interface CancelMediaProcessingOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.cancelMediaProcessingOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of mute (call or participant). Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "muteParticipantOperation".
 */
export interface MuteParticipantOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.muteParticipantOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of unmute. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "unmuteParticipantOperation".
 */
export interface UnmuteParticipantOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.unmuteParticipantOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of subscribeToTone. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "subscribeToToneOperation".
 */
export interface SubscribeToToneOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.subscribeToToneOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of sendDtmfTones. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "sendDtmfTonesOperation".
 */
export interface SendDtmfTonesOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.sendDtmfTonesOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * Why the operation completed.
   */
  completionReason?: SendDtmfCompletionReason | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of updateRecordingStatus. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "updateRecordingStatusOperation".
 */
export interface UpdateRecordingStatusOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.updateRecordingStatusOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of participant startHoldMusic. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "startHoldMusicOperation".
 */
export interface StartHoldMusicOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.startHoldMusicOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of participant stopHoldMusic. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "stopHoldMusicOperation".
 */
export interface StopHoldMusicOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.stopHoldMusicOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * The operation of addLargeGalleryView. Open type.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "addLargeGalleryViewOperation".
 */
export interface AddLargeGalleryViewOperation {
  /**
   * OData type annotation, e.g. "#microsoft.graph.addLargeGalleryViewOperation" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The client context the bot sent with the request (max 256 characters).
   */
  clientContext?: string | null;
  /**
   * The operation id.
   */
  id?: string;
  /**
   * The result of the operation.
   */
  resultInfo?: ResultInfo | null;
  /**
   * The status (case-insensitive: Graph sends both `running` and `Running`).
   */
  status?: OperationStatus;
}
/**
 * One change Graph notifies a calling bot of. Open type: Graph also sends the legacy `resource` (/app/calls/...), `resourceData` and sometimes `callbackUri`, none of which v1.0 declares.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "commsNotification".
 */
export interface CommsNotification {
  /**
   * OData type annotation, e.g. "#microsoft.graph.commsNotification" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The callback URI of the call (some create-call notifications).
   */
  callbackUri?: string | null;
  /**
   * created, updated or deleted (Graph payloads also use Created/Updated/Deleted).
   */
  changeType: ChangeType;
  /**
   * Legacy: the resource path, /app/calls/{id}... (beta payloads; many carry both).
   */
  resource?: string | null;
  /**
   * The changed entity, or a collection of entities (a participant roster). Partial: only what changed.
   */
  resourceData?: Call | CommsOperation | Participant[] | null;
  /**
   * The resource path, e.g. /communications/calls/{id}, .../participants, .../operations/{id}.
   */
  resourceUrl?: string;
}
/**
 * The body of a notification POST from Graph to a calling bot.
 *
 * This interface was referenced by `GraphActionBodies`'s JSON-Schema
 * via the `definition` "commsNotifications".
 */
export interface CommsNotifications {
  /**
   * OData type annotation, e.g. "#microsoft.graph.commsNotifications" (optional on a concrete type).
   */
  '@odata.type'?: string;
  /**
   * The notifications (one POST may carry several).
   */
  value?: CommsNotification[];
}
