/**
 * The call-state rules as data: id, severity, what each checks and why (the Graph documentation,
 * with page and line of the copies in the audit's graph-docs, or the known pitfall it comes from).
 * docs/rules.md holds the table rulesMarkdownTable() renders from RULES (tests/rules.spec.ts checks
 * it is current). The checks themselves live in rules.ts and the check modules it calls.
 */

export type RuleSeverity = 'error' | 'warning';

export interface RuleInfo {
  /** stable id, `family/name`; findings carry it as `rule` */
  readonly id: string;
  /** 'error' fails the flow; 'warning' is reported only */
  readonly severity: RuleSeverity;
  /** one line: what it checks */
  readonly doc: string;
  /** why: the Graph documentation or known pitfall it comes from */
  readonly why: string;
}

const RULE_TABLE = [
  {
    id: 'state/answer-while-incoming',
    severity: 'error',
    doc: 'answer, reject and redirect are sent only while the call is incoming, and only one of them, once, per call',
    why: 'call-answer: "The bot is expected to answer, reject, or redirect the call before the call times out"; call-redirect: "Redirect an incoming call that hasn\'t been answered or rejected yet"; a second answer, or an answer after establishment, has no incoming call to act on',
  },
  {
    id: 'state/established-only',
    severity: 'error',
    doc: 'transfer, invite, playPrompt, recordResponse, subscribeToTone, sendDtmfTones, cancelMediaProcessing, mute/unmute, participant actions, changeScreenSharingRole, addLargeGalleryView and keepAlive are sent only on a call the harness reported established (an incoming call: answered and established)',
    why: 'Graph acts on a call only once it is established; an invite before the meeting call is established fails (comms-samples #16); the 2xx of answer or create means accepted, not established, and "establishing/established notifications may arrive out of order" (microsoft-graph-docs #20006), so a bot waits for the established notification',
  },
  {
    id: 'state/after-terminated',
    severity: 'error',
    doc: 'no request about a call after the harness reported it terminated or deleted',
    why: 'Graph answers 404 / 8522 "Call not found" for a call that ended (call-keepAlive, docs-contrib #4849); the bot must forget the call and stop its timers',
  },
  {
    id: 'timing/answer-deadline',
    severity: 'error',
    doc: 'answer, reject or redirect comes within answerDeadlineMs (default 15 s) of the incoming-call notification',
    why: 'call-answer: "The current timeout value is 15 seconds for regular scenarios, and 5 seconds for policy-based recording"; a late answer gets 8522 or the call ends 408/1106 (comms-samples #191, cold starts)',
  },
  {
    id: 'timing/keepalive',
    severity: 'error',
    doc: 'a call the bot answered or created that stays established longer than keepAliveIntervalMs (default 45 min) since it was established or since its last successful keepAlive gets a keepAlive',
    why: 'call-keepAlive: "At least one successful request must be made within 45 minutes of the previous request, or the start of the call"; otherwise Graph ends the call with 408/8537',
  },
  {
    id: 'invite/replaces-call-id',
    severity: 'error',
    doc: 'an invite with replacesCallId invites exactly one participant, and replacesCallId names another established call that the bot itself answered or created (not the call the invite is posted on, not a call of the run that is not the bot\'s)',
    why: 'participant-invite Example 3 (v1.0 participant-invite.md:504-509): "The invite API supports only one participant when replacesCallId is provided", the others are ignored, so a bot that lists more loses them; invitationParticipantInfo.replacesCallId (v1.0 invitationparticipantinfo.md:21) is "The call which the target identity is currently a part of. This call will be dropped once the participant is added": the bot\'s own live call (it can only know and drop a call it answered or placed), other than the one invited into',
  },
  {
    id: 'invite/replaces-remote-party',
    severity: 'warning',
    doc: 'the identity invited with replacesCallId is the remote party of the replaced call (the caller of an incoming call, the single target of a call the bot placed)',
    why: 'participant-invite example 3 ("replacing an existing Peer-to-Peer call"): the invitee is the other party of the P2P call being replaced; a bot that invites somebody else cuts the caller off when Graph drops the replaced call (a warning: the identity may be spelled differently, e.g. a phone vs a user)',
  },
  {
    id: 'kind/invite-group-call-only',
    severity: 'warning',
    doc: 'on v1.0, participants/invite is posted on a group call or meeting, not on a P2P call (beta: allowed, no finding)',
    why: 'v1.0 participant-invite.md:18: "This API is only supported for group calls." The beta page says the same (beta participant-invite.md:20), but the 2019 beta recording the p2p-to-meeting flow comes from ("Invite Participants in Existing P2P meeting") posts an invite on the P2P call and Graph accepts it, and comms-samples #395 shows such an invite turning the P2P call into "meeting mode", after which transfer fails 8523. So: a warning on v1.0 (the doc forbids it, the platform is known to take it), nothing on beta',
  },
  {
    id: 'kind/mute-group-call-only',
    severity: 'error',
    doc: 'call mute and unmute, and participant mute, are sent only on a group call or meeting (not on a P2P call)',
    why: 'v1.0 call-mute.md:20, call-unmute.md:20, participant-mute.md:20 (beta: call-mute.md:22, call-unmute.md:22, participant-mute.md:22): "This method is only supported for group calls."',
  },
  {
    id: 'kind/screen-sharing-app-hosted-group',
    severity: 'error',
    doc: 'changeScreenSharingRole is sent only on a group call or meeting the bot joined with app-hosted media',
    why: 'v1.0 call-changescreensharingrole.md:16 (beta :18): "This is only supported for group calls that use App-Hosted Media."',
  },
  {
    id: 'kind/transfer-needs-transferee',
    severity: 'error',
    doc: 'a transfer on a group call or meeting, or on a P2P call the bot escalated with an invite, names the transferee',
    why: 'transferee (v1.0 CSDL call.transfer, optional) is "required for a group call" (the group-call transfer example of call-transfer); without it Graph answers 8523 "Cannot do transfer for meeting mode" on a group call (comms-samples #512) and on a P2P call that an invite escalated to meeting mode (comms-samples #395)',
  },
  {
    id: 'media/service-hosted-only',
    severity: 'error',
    doc: 'playPrompt, recordResponse and subscribeToTone are sent only on a call the bot answered or created with service-hosted media (not appHostedMediaConfig)',
    why: 'v1.0 call-playprompt.md:19, call-record.md:19, call-subscribetotone.md:18 (beta :21, :22, :19): "supported only for calls that are initiated with serviceHostedMediaConfig"; an app-hosted bot plays and records through its own media stack (tone subscription on an app-hosted call fails 500/9999, comms-samples #325)',
  },
  {
    id: 'limits/play-prompt-prompts',
    severity: 'error',
    doc: 'playPrompt has 1 to 20 prompts',
    why: 'call-playPrompt: prompts is required; "The maximum supported MediaPrompt collection size is 20"',
  },
  {
    id: 'limits/record-response-prompts',
    severity: 'error',
    doc: 'recordResponse has at most 1 prompt',
    why: 'call-record: "The maximum supported mediaPrompt collection size is 1"',
  },
  {
    id: 'limits/record-response-durations',
    severity: 'error',
    doc: 'recordResponse initialSilenceTimeoutInSeconds, maxSilenceTimeoutInSeconds and maxRecordDurationInSeconds, when given, are whole seconds from 1 to 120',
    why: 'call-record: "Min = 1 second, Max = 120 seconds" for each; a recording is at most 2 minutes',
  },
  {
    id: 'limits/client-context',
    severity: 'error',
    doc: 'clientContext (any action) has at most 256 characters',
    why: 'commsOperation and every action page: "Unique Client Context string. Max limit is 256 chars."',
  },
  {
    id: 'limits/redirect-targets',
    severity: 'error',
    doc: 'redirect has 1 to 25 targets',
    why: 'call-redirect: targets is required; "We support up to 25 targets for simulring"',
  },
  {
    id: 'limits/redirect-timeout',
    severity: 'error',
    doc: 'redirect timeout, when given, is whole seconds from 15 to 90',
    why: 'call-redirect: "The range of the timeout value is between 15 and 90 seconds inclusive"',
  },
  {
    id: 'limits/invite-participants',
    severity: 'error',
    doc: 'participants/invite has 1 to 5 participants',
    why: 'participant-invite: participants is required; "Inviting up to 5 participants is supported"',
  },
  {
    id: 'limits/group-call-targets',
    severity: 'error',
    doc: 'a group call the bot creates (POST calls without meetingInfo) has at most 5 VoIP targets (targets without a phone identity)',
    why: 'v1.0 application-post-calls.md:396 and :463 (beta :422, :488), the group-call examples: "This supports up to 5 VoIP users."',
  },
] as const satisfies readonly RuleInfo[];

/** Every call-state rule, in the order docs and reports list them. */
export const RULES: readonly RuleInfo[] = RULE_TABLE;

export type RuleId = (typeof RULE_TABLE)[number]['id'];

export function ruleInfo(id: string): RuleInfo | undefined {
  return RULES.find((r) => r.id === id);
}

/** Markdown table of `rules` (id, severity, what it checks, why), as docs/rules.md holds it. */
export function rulesMarkdownTable(rules: readonly RuleInfo[] = RULES): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| id | severity | what it checks | why (source) |', '|---|---|---|---|'];
  for (const r of rules) lines.push(`| \`${r.id}\` | ${r.severity} | ${cell(r.doc)} | ${cell(r.why)} |`);
  return lines.join('\n');
}
