/**
 * The robustness variants (./variants.ts), one row each: what the variant changes, where it applies,
 * the evidence that Graph delivers notifications so, and whether it runs by default. docs/catalog.md
 * renders this table (tests/docs.spec.ts keeps it in step).
 *
 * Evidence names files of the Graph reference material the variants were built from:
 * `graph-docs/<page>.md:<line>` (Microsoft Graph doc pages), `v1.0-Prod.csdl:<line>` (the Graph v1.0
 * metadata), `captured-notifications/<file>.json` (notifications captured from real calls) and
 * `graph-calling-protocol.md:<line>` (the protocol notes, quoting docs and samples). A variant
 * without such evidence is opt-in: `--variants all` (the default) leaves it out, naming it runs it.
 */

/**
 * The variants of how Graph times and leaves out notifications (./delivery-variants.ts) and the
 * call-level body variants that came with them: the tail of VARIANT_KINDS.
 */
export const DELIVERY_VARIANT_KINDS = [
  'overlapping-delivery',
  'notification-before-response',
  'other-call-interleaved',
  'intermediate-states-skipped',
  'deleted-odata-id-only',
  'media-state-updates',
  'tone-sequence-ids',
  'call-chain-id',
] as const;

export type DeliveryVariantKind = (typeof DELIVERY_VARIANT_KINDS)[number];

export const VARIANT_KINDS = [
  'duplicate-delivery',
  'established-before-establishing',
  'batched',
  'upper-case-ids',
  'pascal-case-enums',
  'legacy-resource-only',
  'resource-url-only',
  'unknown-properties',
  'empty-value',
  ...DELIVERY_VARIANT_KINDS,
] as const;

export type VariantKind = (typeof VARIANT_KINDS)[number];

export interface VariantInfo {
  readonly kind: VariantKind;
  /** a few words for the variant's test title (no `@`: Playwright reads `@word` in a title as a tag) */
  readonly title: string;
  /** one line: what the variant changes */
  readonly doc: string;
  /** when applyVariant returns undefined for a flow */
  readonly appliesTo: string;
  /** where Graph is known to deliver notifications so (files and lines of the reference material), or why there is no such evidence */
  readonly evidence: string;
  /** true: no evidence that Graph sends it; runs only when named in the variant list, never under `all` */
  readonly optIn: boolean;
}

const VARIANT_TABLE = [
  {
    kind: 'duplicate-delivery',
    title: 'every notification delivered twice',
    doc: 'every notification is delivered a second time (a copy, same body) once the bot has reacted to it. Graph is known to deliver `established` twice and to replay tone notifications; it documents no retry of notifications in general, so the other copies test that the bot does each action once',
    appliesTo: 'flows with a notification',
    evidence:
      'graph-calling-protocol.md:138 ("\'established\' can arrive twice"), :375 (Teams sample bot-calling-meeting: "Some scenarios fire two CallState.Established events"), :306 (toneInfo `sequenceId`: "notifications may be replayed or reordered"); no retry policy is documented for calling callbacks (:134)',
    optIn: false,
  },
  {
    kind: 'established-before-establishing',
    title: '`established` delivered before `establishing`',
    doc: 'an `established` notification is delivered before the `establishing` one for the same call that preceded it; the `establishing` comes late, after the bot has reacted',
    appliesTo: 'flows with an `establishing` notification immediately followed by an `established` one for the same call',
    evidence: 'graph-calling-protocol.md:373 (Graph docs, PR microsoft-graph-docs #20006: "Call establishing/established notifications may arrive out of order"), :62-63 (create and answer)',
    optIn: false,
  },
  {
    kind: 'batched',
    title: 'consecutive notifications batched in one POST',
    doc: 'consecutive notifications to the same place (same `to`, same call in their first item) are sent as ONE POST whose `value` holds all their items, in order (with the delay of the first)',
    appliesTo: 'flows with two consecutive notifications to the same place',
    evidence: 'graph-docs/v1.0_resources_commsnotifications.md:14 ("for sending multiple notifications in a single batch"); v1.0-Prod.csdl:7682 (`value`: a collection of commsNotification)',
    optIn: false,
  },
  {
    kind: 'upper-case-ids',
    title: 'ids upper-case without hyphens',
    doc: 'ids are written upper-case without hyphens in the id-bearing fields only: the resource paths (`resource` and `resourceUrl` alike), `@odata.id`, `id` (entity and identity ids), `tenantId`, `callChainId`, `myParticipantId`, `participantId`, `replacesCallId`; `clientContext`, URLs (`recordingLocation`), tokens and every other string keep their spelling',
    appliesTo: 'flows whose notifications hold an id in those fields not already written that way',
    evidence:
      'graph-docs/v1.0_api_call-playprompt.md:115,120 (the operation id `0fe0623f-d628-…` in the 200) and :145,148 (the same call and operation as `57DAB8B1…/0FE0623F…` in the notification); v1.0_api_call-answer.md:135 upper-case, captured-notifications/P2P-SimpleTest-P2PTest1Event2CallEstablished.json:7-8 lower-case with hyphens. `clientContext` is echoed verbatim: v1.0_api_call-playprompt.md:71 (request), :122 (response), :156 (notification)',
    optIn: false,
  },
  {
    kind: 'pascal-case-enums',
    title: 'enum values in PascalCase',
    doc: 'enum values in notifications (`changeType`, `state`, `status`, `direction`, `mediaType`, `endpointType`, modalities, `mediaState`) are PascalCase (`Established`, `Deleted`) as SDK logs spell them; `@odata.type` is left alone. For flows made from SDK logs, not the wire',
    appliesTo: 'flows whose notifications hold such a value',
    evidence:
      'none that Graph sends it: every captured notification (captured-notifications/*.json) spells enums camelCase; PascalCase comes from SDK-reserialized logs (graph-calling-protocol.md:393) and the pre-Graph legacy example (graph-docs/calling-notifications.md:32)',
    optIn: true,
  },
  {
    kind: 'legacy-resource-only',
    title: 'the path only in the legacy `resource`',
    doc: 'each notification item carries its path only in the legacy `resource` property, on `/app/calls/...` (the 2019 beta shape); `resourceUrl` is dropped',
    appliesTo: 'beta flows whose requests are on `/beta/app/calls` and whose notification items have `resourceUrl` (never v1.0 flows: v1.0 notifications always carry `resourceUrl`)',
    evidence:
      'graph-docs/calling-notifications.md:29 (an item with `resource: /app/calls/8A93…` and no `resourceUrl`: the shape the beta /app flows replay). Not on v1.0: v1.0-Prod.csdl:7679 (`resourceUrl` Nullable="false") and every captured notification carries `resourceUrl` (captured-notifications/*.json)',
    optIn: false,
  },
  {
    kind: 'resource-url-only',
    title: 'the path only in `resourceUrl`',
    doc: 'each notification item carries its path only in `resourceUrl`, on `/communications/calls/...`, as the v1.0 doc examples show; the legacy twin `resource` is dropped',
    appliesTo: 'flows whose notification items have `resourceUrl` next to `resource` (the v1.0 flows); not the 2019-shape beta flows (`resource` only)',
    evidence:
      'graph-docs/v1.0_api_call-answer.md:135, v1.0_api_call-playprompt.md:145, v1.0_api_call-delete.md:104, v1.0_api_call-transfer.md:132 (items with `resourceUrl: /communications/calls/…` and no `resource`); v1.0-Prod.csdl:7677-7680 (commsNotification: `changeType` and `resourceUrl`, no `resource`)',
    optIn: false,
  },
  {
    kind: 'unknown-properties',
    title: 'properties Graph may add later on every item',
    doc: 'each notification item and its resourceData carry properties Graph may add later (`callreplayFutureProperty`, annotations such as `@odata.etag`)',
    appliesTo: 'flows with a notification item',
    evidence:
      'v1.0-Prod.csdl:7677 (commsNotification OpenType="true"), :13411 (call OpenType="true"); captured-notifications/P2P-CallUpdates-P2PTest2Event5UpdatedWithRandomShit.json:25-32 (`meetingCapability`, `meetingProperties`, `coOrganizers`: not in the v1.0 call type); graph-docs/v1.0_api_call-answer.md:139 (`@odata.etag`)',
    optIn: false,
  },
  {
    kind: 'empty-value',
    title: 'an empty `value` delivered first',
    doc: 'an extra notification `{"value": []}` is delivered before the first one (the bot must answer 2xx and do nothing)',
    appliesTo: 'flows with a notification',
    evidence: 'none that Graph sends it: no doc page or captured notification has an empty `value`; the metadata merely allows one (v1.0-Prod.csdl:7682)',
    optIn: true,
  },
  {
    kind: 'overlapping-delivery',
    title: 'notifications overlapping, no wait for the ack',
    doc: 'a notification that follows another (no request expected in between) is sent as soon as that one is sent, without waiting for the bot to answer it: the bot has several notification POSTs in flight, for one call and across calls, and may read them in either order. It must answer each 2xx and handle every one (a handler that drops what arrives while it is busy misses them)',
    appliesTo: 'flows with two consecutive notifications',
    evidence:
      'graph-docs/index.md:11-12 (the Graph Communications SDK queues notifications per call itself and delivers each queue\'s callbacks sequentially "to help developers avoid concurrency issues": the deliveries do not wait for one another); graph-docs/v1.0_api_call-transfer.md:144 ("Transfer accepted may happen after or before media state audio inactive"); graph-calling-protocol.md:373 (establishing/established "may arrive out of order"); fidelity-audit-2026-12.md:179-181',
    optIn: false,
  },
  {
    kind: 'notification-before-response',
    title: 'notifications before the answer to the request',
    doc: 'the answer to a request that the flow follows with notifications (a create\'s 201, an answer\'s or transfer\'s 202, a DELETE\'s 204, an operation\'s 200) is held until the bot has answered those notifications (at most half their timeout): the `establishing` of a new call reaches the bot before the call id in the 201. The bot must not drop a notification for a call whose create has not answered yet',
    appliesTo: 'flows with a request (not a GET) followed directly by a notification',
    evidence:
      'graph-docs/index.md:11 (the SDK gives a call its own notification queue once the call is in its call collection; until then they go to the collection\'s queue); graph-calling-protocol.md:62 (create: 201 with the id, then `establishing`/`established`, "these two may arrive out of order"); fidelity-audit-2026-12.md:182-184 (`establishing` can beat the 201 of a create, `established` the 202 of an answer)',
    optIn: false,
  },
  {
    kind: 'other-call-interleaved',
    title: 'notifications of another call interleaved',
    doc: 'after the bot\'s reaction to the first notification about its call, two notifications of a call the bot was never offered arrive on its webhook (that call\'s roster changes, then it ends, as the captured remote hang-up). The bot must answer both 2xx and leave its own call alone; a request about the other call is answered 404 8522 and judged by no step',
    appliesTo: 'flows with a notification about a call',
    evidence:
      'graph-docs/index.md:11 (one webhook, one queue per call: notifications of several calls reach the same bot); graph-docs/v1.0_api_call-answer.md:46 (`callbackUri` "for the concurrent call"); captured-notifications/P2P-SimpleTest-P2PTest1Event6HangUp.json (the `deleted` used); captured-notifications/P2P-CallUpdates-P2PTest2Event6UserJoin.json (a roster `updated` on `/participants`); fidelity-audit-2026-12.md:185-186',
    optIn: false,
  },
  {
    kind: 'intermediate-states-skipped',
    title: 'intermediate states not delivered',
    doc: 'the notifications of the intermediate states `hold`, `transferring`, `transferAccepted`, `redirecting` and `terminating` are left out where the flow expects no request in reaction to them: the call goes from `established` straight to `terminated`, or a failed transfer comes back to `established` without a `transferring` first',
    appliesTo: 'flows with a notification of one of those states (one item, the call itself) not followed by an expected request',
    evidence:
      'graph-calling-protocol.md:390 (pitfall 6: "Hold/Transferring/Redirecting are not always delivered"), :320 ("optional `updated terminating`"), :325 ("tolerates `deleted` arriving without a preceding `terminating`"); captured-notifications/P2P-SimpleTest-P2PTest1Event6HangUp.json (`deleted` after Event5, no `terminating` captured)',
    optIn: false,
  },
  {
    kind: 'deleted-odata-id-only',
    title: 'a call\'s `deleted` with only its odata id',
    doc: 'a call\'s `deleted` notification carries only `@odata.type` and `@odata.id` in its resourceData (no `state`, no `resultInfo`), as the reject doc shows: the `deleted` itself says the call ended',
    appliesTo: 'flows with a call `deleted` notification whose resourceData has more than those two',
    evidence: 'graph-docs/v1.0_api_call-reject.md:217-222 (`changeType: deleted`, resourceData `@odata.type` and `@odata.id` only); graph-calling-protocol.md:125 (`deleted`: `state: terminated`, "or only `@odata.id`")',
    optIn: false,
  },
  {
    kind: 'media-state-updates',
    title: '`mediaState` updates while the call is up',
    doc: 'after the bot\'s reaction to a call\'s first `established`, two `updated` notifications keep the state `established` and change `mediaState.audio` to `inactive` (the caller holds) and back to `active`. The bot must answer both and do nothing: no second welcome, no hang-up',
    appliesTo: 'flows with an `established` notification',
    evidence:
      'captured-notifications/P2P-CallUpdates-P2PTest2Event3UpdatedWithMediaState.json:6-15 (an `updated`, state `established`, with `mediaState`); graph-docs/v1.0_api_call-transfer.md:144 (the "media state audio inactive" notification); graph-calling-protocol.md:91 (`callMediaState{audio: active|inactive}`), :143 (hold, comms-samples #252)',
    optIn: false,
  },
  {
    kind: 'tone-sequence-ids',
    title: 'tone sequenceIds that do not start at 1',
    doc: `every \`toneInfo.sequenceId\` is moved up by 5: the first key press has sequenceId 6, as the captured one does (a replayed tone keeps its repeated id). A bot must not wait for sequenceId 1`,
    appliesTo: 'flows with a `toneInfo` notification',
    evidence: 'captured-notifications/P2P-SimpleTest-P2PTest1Event4TonePress.json:12-15 (the one key press captured in that call: `sequenceId: 6`); graph-calling-protocol.md:306 ("`sequenceId` increases"), :308 (SimpleIvrBot "only acts on `sequenceId == 1`")',
    optIn: false,
  },
  {
    kind: 'call-chain-id',
    title: '`callChainId` on every call notification',
    doc: 'every notification item about a call itself carries `callChainId` in its resourceData (one per call, not the call id), as every captured call-state notification does; tone presses, operations and rosters are left as they are',
    appliesTo: 'flows with a notification about a call itself without `callChainId` (not a tone press)',
    evidence:
      'captured-notifications/P2P-SimpleTest-P2PTest1Event6HangUp.json:22, P2P-CallUpdates-P2PTest2Event3UpdatedWithMediaState.json:20, GroupCalls-GroupCallEstablished.json, FailedP2P-CallDeleted.json (`callChainId` in every captured call-state notification; not in the tone press, operation and roster ones); graph-calling-protocol.md:123 (`created` call carries `callChainId`)',
    optIn: false,
  },
] as const satisfies readonly VariantInfo[];

/** Every variant kind with its doc and evidence, in the order of VARIANT_KINDS (for reports and docs). */
export const VARIANTS: readonly VariantInfo[] = VARIANT_TABLE;

/** The variants `--variants all` (the default) runs: every one with evidence that Graph behaves so. */
export const DEFAULT_VARIANT_KINDS: readonly VariantKind[] = VARIANTS.filter((v) => !v.optIn).map((v) => v.kind);

/** The variants that run only when named in the variant list. */
export const OPT_IN_VARIANT_KINDS: readonly VariantKind[] = VARIANTS.filter((v) => v.optIn).map((v) => v.kind);

export function variantInfo(kind: VariantKind): VariantInfo {
  return VARIANTS.find((v) => v.kind === kind)!;
}

export function isVariantKind(value: string): value is VariantKind {
  return (VARIANT_KINDS as readonly string[]).includes(value);
}

/** Markdown table of the variants (kind, when it runs, what it changes, when it applies, evidence). */
export function variantsMarkdownTable(variants: readonly VariantInfo[] = VARIANTS): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| variant | runs | what changes | applies to | evidence that Graph does so |', '|---|---|---|---|---|'];
  for (const v of variants) lines.push(`| \`${v.kind}\` | ${v.optIn ? 'opt-in: only when named' : 'by default'} | ${cell(v.doc)} | ${cell(v.appliesTo)} | ${cell(v.evidence)} |`);
  return lines.join('\n');
}
