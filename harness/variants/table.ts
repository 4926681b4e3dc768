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
