// The Graph calling schemas (harness/graph/schemas/graph-calling.schema.json), the types generated
// from them and the request validator: the schemas agree with the v1.0 CSDL, the bodies the seed and
// the reference bot send validate, broken bodies fail naming the JSON path and the rule, undeclared
// properties only warn, enums compare case-insensitively, and the run observer reports findings.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ReferenceBot, type TrackedCall } from '../examples/reference-bot/bot.js';
import { configFromEnv } from '../examples/reference-bot/config.js';
import type { ObserverContext, RunObserver } from '../harness/engine/flow-run.js';
import type { Finding } from '../harness/engine/findings.js';
import type { CompiledFlow } from '../harness/engine/plan.js';
import type { TranscriptEntry } from '../harness/engine/transcript.js';
import { loadFlowFile } from '../harness/flow/load-flow.js';
import { graphActionOf, graphCallingSchema, graphSchemaObserver, validateGraphRequest, validateGraphValue, type Violation } from '../harness/graph/validate-requests.js';
import { Harness } from '../harness/runner/harness.js';
// @ts-expect-error: plain .mjs script without type declarations
import { generateGraphTypes } from '../scripts/gen-graph-types.mjs';

const root = join(import.meta.dirname, '..');
const CALL = '57DAB8B1894C409AB240BD8BEAE78896';
const v1 = (rest: string) => `/v1.0/communications/calls/${CALL}${rest}`;

type Definition = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };
const defs = graphCallingSchema.definitions as unknown as Record<string, Definition>;

function expectClean(result: { errors: Violation[] }, what: string): void {
  expect(result.errors, `${what} must validate`).toEqual([]);
}

// ------------------------------------------------------------------ the schemas against the v1.0 CSDL

/**
 * Graph's v1.0 metadata, vendored gzipped in the tests so that this check always runs: a copy of
 * schemas/v1.0-Prod.csdl of microsoftgraph/msgraph-metadata (MIT licence, public metadata).
 */
const CSDL_PATH = join(import.meta.dirname, 'fixtures', 'v1.0-Prod.csdl.gz');

/** Declared properties (and enum values) that are not in the v1.0 CSDL, on purpose. */
const NOT_IN_V1_CSDL: Record<string, string[]> = {
  // beta only (x-graph-beta in the schema): the beta docs declare them
  identitySet: ['acsUser'],
  participantInfo: ['platformId'],
  invitationParticipantInfo: ['endpointType'],
  serviceHostedMediaConfig: ['removeFromDefaultAudioGroup'],
  appHostedMediaConfig: ['removeFromDefaultAudioGroup'],
  call: ['activeModalities', 'answeredBy', 'replacesContext', 'ringingTimeoutInSeconds', 'routingPolicies', 'terminationReason'],
  createCallRequest: ['ringingTimeoutInSeconds', 'routingPolicies'],
  playPromptOperation: ['completionReason'],
  recordOperation: ['completionReason'],
  redirectRequest: ['maskCallee', 'maskCaller', 'targetDisposition'],
  playPromptRequest: ['loop'],
  // sent by Graph although v1.0 does not declare them (x-graph-extra): the legacy resource path,
  // the changed entity, and the callbackUri of some create-call notifications
  commsNotification: ['callbackUri', 'resource', 'resourceData'],
};
const EXTRA_ENUM_VALUES: Record<string, string[]> = { callState: ['ringing'] };
/** CSDL Nullable="false" action parameters that the schema does not require, and why. */
const NOT_REQUIRED: Record<string, string> = {
  'answerRequest.callbackUri': 'the docs make it optional: Graph falls back to the bot\'s registered webhook',
};

interface CsdlProperty {
  type: string;
  nullable: boolean;
}
interface CsdlType {
  base?: string;
  open: boolean;
  abstract: boolean;
  props: Map<string, CsdlProperty>;
}
interface Csdl {
  types: Map<string, CsdlType>;
  enums: Map<string, string[]>;
  /** IsFlags enums: sent as a string of comma-separated members, so a plain string in the schema */
  flags: Set<string>;
  /** "call.answer", "Collection(participant).invite", "participant.mute" -> parameters (binding parameter excluded) */
  actions: Map<string, Map<string, CsdlProperty>>;
}

const stripNs = (t: string) => t.replace(/graph\./g, '').replace(/microsoft\.graph\./g, '');

/** A tiny regex scan of the microsoft.graph schema of the CSDL (EDMX XML): types, enums, bound actions. */
function readCsdl(xml: string): Csdl {
  const start = xml.indexOf('<Schema Namespace="microsoft.graph"');
  const end = xml.indexOf('</Schema>', start);
  expect(start, 'the CSDL has a microsoft.graph schema').toBeGreaterThanOrEqual(0);
  const graph = xml.slice(start, end); // only this namespace: callRecords, search, ... reuse type names
  const attr = (attrs: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1];
  const props = (body: string, element: string) => {
    const out = new Map<string, CsdlProperty>();
    for (const m of body.matchAll(new RegExp(`<${element}\\s([^>]*?)/?>`, 'g'))) {
      const name = attr(m[1]!, 'Name')!;
      out.set(name, { type: stripNs(attr(m[1]!, 'Type')!), nullable: attr(m[1]!, 'Nullable') !== 'false' });
    }
    return out;
  };
  const types = new Map<string, CsdlType>();
  for (const m of graph.matchAll(/<(EntityType|ComplexType)\s([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/g)) {
    const attrs = m[2]!;
    const base = attr(attrs, 'BaseType');
    types.set(attr(attrs, 'Name')!, {
      base: base === undefined ? undefined : stripNs(base),
      open: attr(attrs, 'OpenType') === 'true',
      abstract: attr(attrs, 'Abstract') === 'true',
      props: props(m[4] ?? '', 'Property'),
    });
  }
  const enums = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const m of graph.matchAll(/<EnumType\s([^>]*?)>([\s\S]*?)<\/EnumType>/g)) {
    enums.set(attr(m[1]!, 'Name')!, [...m[2]!.matchAll(/<Member Name="([^"]+)"/g)].map((x) => x[1]!));
    if (attr(m[1]!, 'IsFlags') === 'true') flags.add(attr(m[1]!, 'Name')!);
  }
  const actions = new Map<string, Map<string, CsdlProperty>>();
  for (const m of graph.matchAll(/<Action\s([^>]*?IsBound="true"[^>]*)>([\s\S]*?)<\/Action>/g)) {
    const params = props(m[2]!, 'Parameter');
    const [binding] = [...params.entries()][0]!;
    const bindingType = params.get(binding)!.type;
    params.delete(binding);
    actions.set(`${bindingType}.${attr(m[1]!, 'Name')}`, params);
  }
  return { types, enums, flags, actions };
}

function allProps(csdl: Csdl, type: string): Map<string, CsdlProperty> {
  const t = csdl.types.get(type);
  if (!t) return new Map();
  return new Map([...(t.base ? allProps(csdl, t.base) : new Map<string, CsdlProperty>()), ...t.props]);
}

function isOpen(csdl: Csdl, type: string): boolean {
  const t = csdl.types.get(type);
  return !!t && (t.open || (t.base !== undefined && isOpen(csdl, t.base)));
}

function derivesFrom(csdl: Csdl, type: string, ancestor: string): boolean {
  for (let t: string | undefined = type; t !== undefined; t = csdl.types.get(t)?.base) if (t === ancestor) return true;
  return false;
}

/** What a property schema holds: a primitive JSON type or a definition, in a collection or not, nullable or not. */
function describeSchema(schema: Record<string, unknown>): { collection: boolean; nullable: boolean; json?: string; definition?: string } {
  let s = schema;
  let nullable = false;
  let collection = false;
  for (;;) {
    if (Array.isArray(s.anyOf)) {
      const branches = (s.anyOf as Array<Record<string, unknown>>).filter((b) => b.type !== 'null');
      nullable ||= branches.length < (s.anyOf as unknown[]).length;
      s = branches[0]!;
    } else if (Array.isArray(s.allOf)) s = (s.allOf as Array<Record<string, unknown>>)[0]!;
    else if (s.type === 'array') {
      collection = true;
      s = s.items as Record<string, unknown>;
    } else break;
  }
  if (typeof s.$ref === 'string') return { collection, nullable, definition: s.$ref.slice(s.$ref.lastIndexOf('/') + 1) };
  const types = ([] as string[]).concat((s.type as string | string[] | undefined) ?? []);
  return { collection, nullable: nullable || types.includes('null'), json: types.find((t) => t !== 'null') };
}

const PRIMITIVES: Record<string, string> = { 'Edm.String': 'string', 'Edm.Guid': 'string', 'Edm.DateTimeOffset': 'string', 'Edm.Int32': 'integer', 'Edm.Int64': 'integer', 'Edm.Boolean': 'boolean' };

test('every property the schemas declare exists in the v1.0 CSDL under that type (or is a listed beta/undeclared extra)', () => {
  const csdl = readCsdl(gunzipSync(readFileSync(CSDL_PATH)).toString('utf8'));
  expect(csdl.types.get('call')?.open).toBe(true);
  const problems: string[] = [];
  const checked = new Set<string>();

  /** The CSDL type a definition stands for (through identitySet -> communicationsIdentitySet, ...). */
  const csdlOf = (definition: string): string | undefined => {
    const d = defs[definition]!;
    if (typeof d['x-csdl'] === 'string') return d['x-csdl'];
    const via = (d.allOf as Array<{ $ref: string }> | undefined)?.[0]?.$ref;
    return via ? csdlOf(via.slice(via.lastIndexOf('/') + 1)) : undefined;
  };

  const checkProperty = (where: string, key: string, schema: Record<string, unknown>, expected: CsdlProperty) => {
    const got = describeSchema(schema);
    const collection = expected.type.startsWith('Collection(');
    const inner = collection ? expected.type.slice('Collection('.length, -1) : expected.type;
    if (got.collection !== collection) problems.push(`${where}.${key}: ${collection ? 'a collection' : 'not a collection'} in the CSDL (${expected.type})`);
    if (!collection && got.nullable !== expected.nullable) problems.push(`${where}.${key}: the CSDL says Nullable=${expected.nullable}, the schema ${got.nullable ? 'accepts' : 'refuses'} null`);
    if (PRIMITIVES[inner] || csdl.flags.has(inner)) {
      if (got.json !== (PRIMITIVES[inner] ?? 'string')) problems.push(`${where}.${key}: ${inner} in the CSDL, ${got.json ?? got.definition} in the schema`);
    } else if (csdl.enums.has(inner)) {
      if (got.definition === undefined || csdlOf(got.definition) !== inner) problems.push(`${where}.${key}: enum ${inner} in the CSDL, ${got.definition ?? got.json} in the schema`);
    } else {
      const mine = got.definition === undefined ? undefined : csdlOf(got.definition);
      // a derived type is fine (identitySet.user is a communicationsUserIdentity in calling payloads)
      if (mine === undefined || !derivesFrom(csdl, mine, inner)) problems.push(`${where}.${key}: ${inner} in the CSDL, ${mine ?? got.json} in the schema`);
    }
  };

  for (const [name, def] of Object.entries(defs)) {
    const declared = Object.keys(def.properties ?? {}).filter((k) => !k.startsWith('@'));
    const extras = NOT_IN_V1_CSDL[name] ?? [];
    const annotated = [...((def['x-graph-beta'] as string[]) ?? []), ...((def['x-graph-extra'] as string[]) ?? [])].sort();
    if (annotated.join() !== [...extras].sort().join()) problems.push(`${name}: x-graph-beta + x-graph-extra (${annotated}) differ from the list in this test (${extras})`);
    let expected: Map<string, CsdlProperty>;
    if (typeof def['x-csdl-action'] === 'string') {
      const key = `${def['x-csdl-binding']}.${def['x-csdl-action']}`;
      const params = csdl.actions.get(key);
      if (!params) {
        problems.push(`${name}: no bound action ${key} in the CSDL`);
        continue;
      }
      expected = params;
      for (const [p, info] of params) {
        const required = def.required?.includes(p) ?? false;
        if (!info.nullable && !required && !NOT_REQUIRED[`${name}.${p}`]) problems.push(`${name}.${p}: Nullable=false in the CSDL but not required`);
        if (info.nullable && required) problems.push(`${name}.${p}: required, but the CSDL makes it optional`);
      }
    } else if (typeof def['x-csdl'] === 'string' && def['x-case-insensitive'] === true) {
      checked.add(name);
      const values = (def.enum as string[]).map((v) => v.toLowerCase());
      const members = csdl.enums.get(def['x-csdl']);
      if (!members) {
        problems.push(`${name}: no enum ${def['x-csdl']} in the CSDL`);
        continue;
      }
      const lower = members.map((m) => m.toLowerCase());
      const extraValues = (EXTRA_ENUM_VALUES[name] ?? []).map((v) => v.toLowerCase());
      if (((def['x-graph-extra-values'] as string[]) ?? []).join() !== (EXTRA_ENUM_VALUES[name] ?? []).join()) problems.push(`${name}: x-graph-extra-values differ from the list in this test`);
      for (const v of values) if (!lower.includes(v) && !extraValues.includes(v)) problems.push(`${name}: value ${v} is not a member of the CSDL enum`);
      for (const m of lower) if (!values.includes(m)) problems.push(`${name}: the CSDL member ${m} is missing`);
      continue;
    } else if (typeof def['x-csdl'] === 'string') {
      const type = csdl.types.get(def['x-csdl']);
      if (!type) {
        problems.push(`${name}: no type ${def['x-csdl']} in the CSDL`);
        continue;
      }
      if (def.discriminator) {
        if (!type.abstract) problems.push(`${name}: discriminated, but ${def['x-csdl']} is not abstract in the CSDL`);
        for (const branch of def.oneOf as Array<{ $ref: string }>) {
          const derived = csdlOf(branch.$ref.slice(branch.$ref.lastIndexOf('/') + 1))!;
          if (!derivesFrom(csdl, derived, def['x-csdl'])) problems.push(`${name}: ${derived} does not derive from ${def['x-csdl']}`);
        }
        checked.add(name);
        continue;
      }
      if (def['x-csdl-open'] !== isOpen(csdl, def['x-csdl'])) problems.push(`${name}: x-csdl-open is ${def['x-csdl-open']}, the CSDL says OpenType=${isOpen(csdl, def['x-csdl'])}`);
      expected = allProps(csdl, def['x-csdl']);
      for (const r of def.required ?? []) if (expected.get(r)?.nullable) problems.push(`${name}.${r}: required, but the CSDL makes it nullable`);
    } else {
      continue; // an alias (communicationsIdentitySet) or a beta-only enum (routingPolicy)
    }
    checked.add(name);
    const readOnly = (def['x-graph-read-only'] as string[]) ?? [];
    for (const key of declared) {
      const info = expected.get(key);
      if (info) checkProperty(name, key, def.properties![key]!, info);
      else if (!extras.includes(key)) problems.push(`${name}.${key}: not in the v1.0 CSDL and not listed as a beta/undeclared extra`);
    }
    for (const key of extras) if (expected.has(key)) problems.push(`${name}.${key}: listed as an extra, but the v1.0 CSDL declares it: remove it from the list`);
    for (const key of expected.keys()) if (!declared.includes(key) && !readOnly.includes(key)) problems.push(`${name}.${key}: in the CSDL but not in the schema`);
    for (const key of readOnly) if (!expected.has(key) && !(NOT_IN_V1_CSDL.call ?? []).includes(key)) problems.push(`${name}: read-only ${key} is not a property of ${def['x-csdl']}`);
  }
  expect(problems).toEqual([]);
  // every type and action of the brief is covered
  for (const name of [
    'call', 'participant', 'participantInfo', 'invitationParticipantInfo', 'identitySet', 'identity', 'mediaConfig', 'serviceHostedMediaConfig',
    'appHostedMediaConfig', 'prompt', 'mediaPrompt', 'mediaInfo', 'meetingInfo', 'organizerMeetingInfo', 'joinMeetingIdMeetingInfo', 'tokenMeetingInfo',
    'chatInfo', 'commsOperation', 'resultInfo', 'toneInfo', 'incomingContext', 'callMediaState', 'commsNotification', 'commsNotifications', 'createCallRequest',
    'answerRequest', 'rejectRequest', 'redirectRequest', 'transferRequest', 'inviteRequest', 'playPromptRequest', 'recordResponseRequest',
    'subscribeToToneRequest', 'sendDtmfTonesRequest', 'cancelMediaProcessingRequest', 'keepAliveRequest', 'muteRequest', 'unmuteRequest',
    'participantMuteRequest', 'startHoldMusicRequest', 'stopHoldMusicRequest', 'updateRecordingStatusRequest', 'changeScreenSharingRoleRequest',
    'addLargeGalleryViewRequest', 'playPromptOperation', 'recordOperation', 'inviteParticipantsOperation', 'cancelMediaProcessingOperation',
    'muteParticipantOperation', 'unmuteParticipantOperation', 'subscribeToToneOperation', 'sendDtmfTonesOperation', 'updateRecordingStatusOperation',
    'startHoldMusicOperation', 'stopHoldMusicOperation', 'addLargeGalleryViewOperation',
  ]) {
    expect(checked.has(name), `${name} was compared with the CSDL`).toBe(true);
  }
});

// ------------------------------------------------------------------ real bodies validate

/** The seed page's request bodies (Graph beta participant-invite, 2019: /app paths and the 2019 names). */
const SEED = {
  answer: {
    path: `/beta/app/calls/${CALL}/answer`,
    body: {
      callback: 'https://bot.contoso.com/api/calls',
      acceptModalities: ['audio', 'video'],
      mediaConfig: {
        '@odata.type': '#microsoft.graph.serviceHostedMediaConfig',
        preFetchMedia: [
          { url: 'https://cdn.contoso.com/beep.wav', resourceId: '1D6DE2D4-CD51-4309-8DAA-70768651088E' },
          { url: 'https://cdn.contoso.com/cool.wav', resourceId: '1D6DE2D4-CD51-4309-8DAA-70768651088F' },
        ],
      },
    },
  },
  joinWithoutMedia: {
    path: '/beta/app/calls',
    body: {
      subject: 'Test Call',
      callback: 'https://bot.contoso.com/api/calls',
      source: { '@odata.type': '#microsoft.graph.participantInfo', identity: { application: { id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' } } },
      targetDisposition: 'default',
      requestedModalities: [],
      chatInfo: { threadId: '90ED37DC-D8E3-4E11-9DE3-30A955DDA06F', messageId: '1507228578052', replyChainMessageId: '1507228578052' },
      meetingInfo: {
        '@odata.type': '#microsoft.graph.organizerMeetingInfo',
        organizer: { user: { id: '90ED37DC-D8E3-4E11-9DE3-30A955DDA06F', tenantId: '49BFC225-8482-4AB8-94E7-76B48FDB9849' } },
      },
    },
  },
  inviteReplacingP2P: {
    path: '/beta/app/calls/90ED37DCD8E34E119DE330A955DDA06F/participants/invite',
    body: {
      participants: [
        {
          '@odata.type': '#microsoft.graph.invitationParticipantInfo',
          identity: { user: { id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' } },
          replacesCallId: `/app/calls/${CALL}`,
        },
      ],
    },
  },
  invite: {
    path: `/beta/app/calls/${CALL}/participants/invite`,
    body: {
      participants: [
        {
          endpointType: 'default',
          identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', displayName: 'Heidi Steen' } },
          languageId: 'en-US',
          region: 'westus',
        },
      ],
      clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
    },
  },
};

test('the seed\'s request bodies (answer, join without media, invite with replacesCallId) give no errors', () => {
  for (const [name, { path, body }] of Object.entries(SEED)) expectClean(validateGraphRequest('POST', path, body), `seed ${name}`);
  // the 2019 beta names are accepted on beta, with a warning
  const answer = validateGraphRequest('POST', SEED.answer.path, SEED.answer.body);
  expect(answer.action).toBe('answer');
  expect(answer.warnings.map((w) => `${w.path} ${w.rule}`)).toEqual([
    'body.callback deprecated',
    'body.acceptModalities deprecated',
    'body.mediaConfig.preFetchMedia[0].url deprecated',
    'body.mediaConfig.preFetchMedia[1].url deprecated',
  ]);
  // the deprecated beta-only targetDisposition is not a property of call: a warning
  expect(validateGraphRequest('POST', SEED.joinWithoutMedia.path, SEED.joinWithoutMedia.body).warnings.map((w) => `${w.path} ${w.rule}`)).toContain('body.targetDisposition undeclared');
  // languageId and region are not declared on invitationParticipantInfo (endpointType is, on beta)
  expect(validateGraphRequest('POST', SEED.invite.path, SEED.invite.body).warnings.map((w) => w.path)).toEqual(['body.participants[0].languageId', 'body.participants[0].region']);
  // ... and on v1.0 the 2019 names are errors (v1.0 never knew them: Graph would ignore the callback), and the media has no uri
  const onV1 = validateGraphRequest('POST', v1('/answer'), SEED.answer.body);
  expect(onV1.errors.map((e) => `${e.path} ${e.rule}`)).toEqual([
    'body.callback legacy-name',
    'body.acceptModalities legacy-name',
    'body.mediaConfig.preFetchMedia[0].url legacy-name',
    'body.mediaConfig.preFetchMedia[1].url legacy-name',
    'body.mediaConfig.preFetchMedia[0].uri required',
    'body.mediaConfig.preFetchMedia[1].uri required',
  ]);
});

class BodiesOfTheReferenceBot extends ReferenceBot {
  override get callbackUri(): string {
    return 'https://bot.contoso.com/api/calls';
  }
  answer(): object {
    return this.answerBody(this.call());
  }
  join(): object {
    return this.joinMeetingBody({ threadId: '19:meeting_abc@thread.v2', messageId: '0', organizerId: 'c2b1f5a4-3e43-4c35-9a0e-b1a1a3a0e6f1', tenantId: '9c1a7c8e-8f6b-4a1e-9d55-2e0c3b9f4a11' });
  }
  invite(): object {
    return this.inviteBody(this.call('meeting'), this.call(), 'b9d4e7a2-0f7e-4a7c-8d8b-0c1a2e3f4a5b');
  }
  private call(id = CALL): TrackedCall {
    const caller = { user: { displayName: 'Test User', id: '550fae72-d251-43ec-868c-373732c2704f', tenantId: '9c1a7c8e-8f6b-4a1e-9d55-2e0c3b9f4a11' } };
    return { id, kind: 'incoming', route: { version: 'beta', callsRoot: '/app/calls' }, tenant: 'tenant', answered: false, establishedHandled: false, caller } as TrackedCall;
  }
}

test('the reference bot\'s answer, join-meeting and invite bodies give no errors', () => {
  const bot = new BodiesOfTheReferenceBot(configFromEnv({}));
  for (const version of ['v1.0', 'beta'] as const) {
    const base = `/${version}/communications/calls`;
    expectClean(validateGraphRequest('POST', `${base}/${CALL}/answer`, bot.answer()), `answer (${version})`);
    expectClean(validateGraphRequest('POST', base, bot.join()), `join meeting (${version})`);
    expectClean(validateGraphRequest('POST', `${base}/${CALL}/participants/invite`, bot.invite()), `invite (${version})`);
  }
  // allowConversationWithoutHost is in the doc examples but not declared on organizerMeetingInfo
  expect(validateGraphRequest('POST', '/v1.0/communications/calls', bot.join()).warnings).toEqual([
    expect.objectContaining({ path: 'body.meetingInfo.allowConversationWithoutHost', rule: 'undeclared' }),
  ]);
});

/** Runs a shipped flow against the in-process reference bot with the schema observer; collects what it reported. */
async function runWithObserver(flow: CompiledFlow): Promise<{ reported: Finding[]; checked: number }> {
  const reported: Finding[] = [];
  let checked = 0;
  const observer = graphSchemaObserver();
  // forwards to the run and keeps a copy: the run keeps only its first error
  const collecting: RunObserver = {
    id: observer.id,
    onEntry(entry, ctx) {
      if (entry.kind === 'request' && entry.url !== undefined && graphActionOf(entry.method ?? '', entry.url)) checked++;
      observer.onEntry(entry, { ...ctx, currentStep: ctx.currentStep, report: (f) => (reported.push(f), ctx.report(f)) });
    },
  };
  const harness = await Harness.start({ transport: 'nock', observers: () => [collecting] });
  const bot = new ReferenceBot(configFromEnv({ PORT: '0', LOG_LEVEL: 'silent', GRAPH_BASE_URL: harness.graphBaseUrl, LOGIN_BASE_URL: harness.loginBaseUrl, BOT_APP_ID: harness.botAppId }));
  try {
    await bot.start();
    await harness.run(flow, bot.url);
  } finally {
    await bot.stop();
    await harness.close();
  }
  return { reported, checked };
}

const shippedFlows = readdirSync(join(root, 'recordings'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

for (const name of shippedFlows) {
  test(`every Graph request the reference bot sends in ${name} validates (schema observer)`, async () => {
    const { reported, checked } = await runWithObserver(await loadFlowFile(join(root, 'recordings', `${name}.yaml`)));
    expect(reported.filter((f) => f.severity !== 'warning').map((f) => f.message)).toEqual([]);
    expect(checked, 'the bot sent at least one calling action').toBeGreaterThan(0);
    for (const f of reported) expect(f).toMatchObject({ kind: 'incorrect', severity: 'warning', rule: expect.stringMatching(/^schema\//) });
  });
}

// ------------------------------------------------------------------ broken bodies

const rules = (violations: Violation[]) => violations.map((v) => `${v.path} ${v.rule}`);
const media = { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' };
const user = { identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f' } } };

test('broken bodies give errors naming the JSON path and the rule', () => {
  const answerNoMedia = validateGraphRequest('POST', v1('/answer'), { callbackUri: 'https://bot/api/calls', acceptedModalities: ['audio'] });
  expect(answerNoMedia.action).toBe('answer');
  expect(answerNoMedia.errors).toEqual([{ path: 'body.mediaConfig', rule: 'required', message: 'missing: the answer request requires it' }]);

  const untyped = validateGraphRequest('POST', v1('/answer'), { mediaConfig: { preFetchMedia: [] } });
  expect(rules(untyped.errors)).toEqual(['body.mediaConfig.@odata.type required']);
  expect(untyped.errors[0]!.message).toContain('#microsoft.graph.serviceHostedMediaConfig or #microsoft.graph.appHostedMediaConfig');
  expect(rules(validateGraphRequest('POST', v1('/answer'), { mediaConfig: { '@odata.type': '#microsoft.graph.mediaConfig' } }).errors)).toEqual(['body.mediaConfig.@odata.type discriminator']);

  const promptsNotArray = validateGraphRequest('POST', v1('/playPrompt'), { prompts: { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: 'https://x/a.wav' } } });
  expect(promptsNotArray.errors).toEqual([{ path: 'body.prompts', rule: 'type', message: 'must be an array, got an object' }]);
  expect(rules(validateGraphRequest('POST', v1('/playPrompt'), { prompts: [{ mediaInfo: {} }] }).errors)).toEqual(['body.prompts[0].@odata.type required']);
  expect(rules(validateGraphRequest('POST', v1('/playPrompt'), { prompts: [{ '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: {} }] }).errors)).toEqual(['body.prompts[0].mediaInfo.uri required']);

  expect(rules(validateGraphRequest('POST', v1('/transfer'), { transferee: user }).errors)).toEqual(['body.transferTarget required']);

  const timeout = validateGraphRequest('POST', v1('/redirect'), { targets: [user], timeout: '30' });
  expect(timeout.errors).toEqual([{ path: 'body.timeout', rule: 'type', message: 'must be an integer (or null), got a string ("30")' }]);
  expect(rules(validateGraphRequest('POST', v1('/redirect'), { targets: [user], timeout: 5 }).errors)).toEqual(['body.timeout minimum']);

  const reason = validateGraphRequest('POST', v1('/reject'), { reason: 'notNow' });
  expect(reason.errors).toEqual([{ path: 'body.reason', rule: 'enum', message: '"notNow" is not one of none, busy, forbidden, unknownFutureValue (compared case-insensitively)' }]);
  expect(rules(validateGraphRequest('POST', v1('/answer'), { mediaConfig: media, acceptedModalities: ['audio', 'hologram'] }).errors)).toEqual(['body.acceptedModalities[1] enum']);
  expect(rules(validateGraphRequest('POST', v1('/sendDtmfTones'), { tones: ['tone1', '#'] }).errors)).toEqual(['body.tones[1] enum']);

  expect(rules(validateGraphRequest('POST', v1('/participants/invite'), { participants: [{ replacesCallId: CALL }] }).errors)).toEqual(['body.participants[0].identity required']);
  expect(rules(validateGraphRequest('POST', v1('/participants/invite'), { participants: [{ identity: { user: { id: 42 } } }] }).errors)).toEqual(['body.participants[0].identity.user.id type']);
  expect(rules(validateGraphRequest('POST', '/v1.0/communications/calls', { requestedModalities: ['audio'], mediaConfig: media }).errors)).toEqual(['body.callbackUri required']);
  expect(rules(validateGraphRequest('POST', '/v1.0/communications/calls', { callbackUri: 'https://bot', meetingInfo: { organizer: user.identity } }).errors)).toEqual(['body.meetingInfo.@odata.type required']);

  // not a JSON object at all
  expect(rules(validateGraphRequest('POST', v1('/answer'), 'mediaConfig=service').errors)).toEqual(['body type']);
  expect(rules(validateGraphRequest('POST', v1('/answer'), [media]).errors)).toEqual(['body type']);
  // several problems are all reported
  expect(rules(validateGraphRequest('POST', v1('/redirect'), { targets: {}, timeout: true, maskCaller: 'yes' }).errors).sort()).toEqual(['body.maskCaller type', 'body.targets type', 'body.timeout type']);
});

test('undeclared properties give warnings only', () => {
  const transfer = validateGraphRequest('POST', v1('/transfer'), { transferTarget: user, clientContext: 'ctx' });
  expect(transfer.errors).toEqual([]);
  expect(transfer.warnings).toEqual([{ path: 'body.clientContext', rule: 'undeclared', message: 'clientContext is not a parameter of the transfer request (v1.0): Graph tolerates it but may ignore it' }]);

  const invite = validateGraphRequest('POST', v1('/participants/invite'), { participants: [{ ...user, endpointType: 'default', languageId: 'en-US', region: 'amer' }] });
  expect(invite.errors).toEqual([]);
  expect(rules(invite.warnings)).toEqual(['body.participants[0].endpointType undeclared', 'body.participants[0].languageId undeclared', 'body.participants[0].region undeclared']);
  expect(invite.warnings[0]!.message).toMatch(/beta only/);
  expect(invite.warnings[1]!.message).toMatch(/open type/);

  const redirect = validateGraphRequest('POST', v1('/redirect'), { targets: [user], routingPolicies: ['disableForwarding'], maskCallee: true });
  expect(redirect.errors).toEqual([]);
  expect(rules(redirect.warnings)).toEqual(['body.routingPolicies undeclared', 'body.maskCallee undeclared']);
  // beta declares maskCallee (and loop on playPrompt)
  expect(rules(validateGraphRequest('POST', `/beta/communications/calls/${CALL}/redirect`, { targets: [user], maskCallee: true }).warnings)).toEqual([]);
  expect(rules(validateGraphRequest('POST', v1('/playPrompt'), { prompts: [], loop: true }).warnings)).toEqual(['body.loop undeclared']);
  expect(rules(validateGraphRequest('POST', `/beta/app/calls/${CALL}/playPrompt`, { prompts: [], loop: true }).warnings)).toEqual([]);

  // read-only call properties in a create request; annotations are never undeclared
  const create = validateGraphRequest('POST', '/v1.0/communications/calls', { '@odata.type': '#microsoft.graph.call', callbackUri: 'https://bot', direction: 'outgoing', 'x@odata.bind': 'y' });
  expect(create.errors).toEqual([]);
  expect(rules(create.warnings)).toEqual(['body.direction read-only']);
  // a closed type says so
  expect(validateGraphRequest('POST', v1('/answer'), { mediaConfig: { ...media, preFetchMedia: [{ uri: 'https://x/a.wav', format: 'wav' }] } }).warnings[0]!.message).toMatch(/not an open type/);
});

test('enum values compare case-insensitively: PascalCase passes', () => {
  expectClean(validateGraphRequest('POST', v1('/reject'), { reason: 'Busy' }), 'reason Busy');
  expectClean(validateGraphRequest('POST', v1('/answer'), { mediaConfig: media, acceptedModalities: ['Audio', 'VIDEO'] }), 'modalities Audio, VIDEO');
  expectClean(validateGraphRequest('POST', v1('/updateRecordingStatus'), { status: 'Recording' }), 'status Recording');
  expectClean(validateGraphRequest('POST', `/beta/communications/calls/${CALL}/participants/invite`, { participants: [{ ...user, endpointType: 'Default' }] }), 'endpointType Default');
  expectClean(validateGraphValue('inviteParticipantsOperation', { id: 'op', status: 'Running', clientContext: 'c' }), 'status Running');
  expectClean(validateGraphValue('commsOperation', { id: 'op', status: 'completed' }), 'status completed');
  expect(rules(validateGraphValue('commsOperation', { id: 'op', status: 'Done' }).errors)).toEqual(['body.status enum']);
  const notification = {
    '@odata.type': '#microsoft.graph.commsNotifications',
    value: [
      { changeType: 'Updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { '@odata.type': '#microsoft.graph.call', state: 'Established', mediaState: { audio: 'Active' } } },
      { changeType: 'Deleted', resource: `/app/calls/${CALL}`, resourceData: { '@odata.type': '#microsoft.graph.call', state: 'Terminated', terminationReason: 'AppInitiated' } },
    ],
  };
  expectClean(validateGraphValue('commsNotifications', notification, 'beta'), 'notification with Established / Active / Deleted');
  expect(rules(validateGraphValue('call', { state: 'Exploded' }).errors)).toEqual(['body.state enum']);
});

test('the action comes from the canonical path; anything else is not checked', () => {
  expect(graphActionOf('POST', `/beta/app/calls/${CALL}/microsoft.graph.answer`)).toBe('answer');
  expect(graphActionOf('POST', '/v1.0/communications/calls?x=1')).toBe('createCall');
  expect(graphActionOf('POST', '/beta/app/calls/')).toBe('createCall');
  expect(graphActionOf('post', v1('/PARTICIPANTS/INVITE'))).toBe('invite');
  expect(graphActionOf('POST', v1('/participants/2765eb15-01f8-47c6-b12b-c32111a4a86f/mute'))).toBe('participantMute');
  expect(graphActionOf('POST', v1('/participants/p1/startHoldMusic'))).toBe('startHoldMusic');
  expect(graphActionOf('POST', v1('/mute'))).toBe('mute');
  expect(graphActionOf('POST', v1('/keepAlive'))).toBe('keepAlive');
  expect(graphActionOf('DELETE', v1(''))).toBeUndefined();
  expect(graphActionOf('GET', v1('/participants'))).toBeUndefined();
  expect(graphActionOf('POST', v1('/audioRoutingGroups'))).toBeUndefined();
  expect(graphActionOf('POST', '/v1.0/communications/calls/logTeleconferenceDeviceQuality')).toBeUndefined();
  expect(graphActionOf('POST', '/v1.0/users/abc/sendMail')).toBeUndefined();
  expect(validateGraphRequest('POST', v1('/participants/muteAll'), { participants: 5 })).toEqual({ action: undefined, errors: [], warnings: [] });
  expect(validateGraphRequest('DELETE', v1(''), undefined)).toEqual({ action: undefined, errors: [], warnings: [] });
  // bodiless actions
  expectClean(validateGraphRequest('POST', v1('/keepAlive'), undefined), 'keepAlive without a body');
  expectClean(validateGraphRequest('POST', v1('/subscribeToTone'), {}), 'subscribeToTone with {}');
  // the /app alias exists only on beta
  expect(rules(validateGraphRequest('POST', `/v1.0/app/calls/${CALL}/answer`, { mediaConfig: media }).errors)).toEqual(['path path']);
  expect(validateGraphRequest('POST', `/beta/app/calls/${CALL}/answer`, { mediaConfig: media }).errors).toEqual([]);
  // the version argument wins over the path
  expect(rules(validateGraphRequest('POST', `/beta/communications/calls/${CALL}/playPrompt`, { prompts: [], loop: false }, 'v1.0').warnings)).toEqual(['body.loop undeclared']);
});

// ------------------------------------------------------------------ the observer

function fakeContext(findings: Finding[]): ObserverContext {
  const names: Record<string, string> = { [CALL.toLowerCase()]: 'p2pCall' };
  return {
    flow: { steps: [{ name: 'incoming call' }, { name: 'answer' }] } as unknown as CompiledFlow,
    currentStep: () => 2,
    stepOf: () => 2,
    report: (f) => findings.push(f),
    describe: (v) => JSON.stringify(v),
    describePath: (p) => p.replace(/[0-9a-f]{32}/gi, (m) => (names[m.toLowerCase()] ? `{${names[m.toLowerCase()]}}` : m)),
    valueOf: () => undefined,
  };
}

const entry = (fields: Partial<TranscriptEntry>): TranscriptEntry => ({ seq: 0, at: 0, from: 'bot', to: 'graph', kind: 'request', label: 'x', ...fields });

test('the observer reports each error as an incorrect finding and each warning with severity warning', () => {
  const findings: Finding[] = [];
  const observer = graphSchemaObserver();
  const ctx = fakeContext(findings);
  expect(observer.id).toBe('graph-schema');
  observer.onEntry(entry({ method: 'POST', url: v1('/answer'), body: { acceptedModalities: ['audio'], clientContext: 'c' } }), ctx);
  expect(findings).toEqual([
    {
      kind: 'incorrect',
      severity: 'error',
      rule: 'schema/required',
      step: 2,
      stepName: 'answer',
      message: 'POST /v1.0/communications/calls/{p2pCall}/answer: body.mediaConfig: missing: the answer request requires it',
      received: { method: 'POST', url: v1('/answer'), body: { acceptedModalities: ['audio'], clientContext: 'c' } },
    },
    expect.objectContaining({
      kind: 'incorrect',
      severity: 'warning',
      rule: 'schema/undeclared',
      step: 2,
      message: 'POST /v1.0/communications/calls/{p2pCall}/answer: body.clientContext: clientContext is not a parameter of the answer request (v1.0): Graph tolerates it but may ignore it',
    }),
  ]);
  // only Graph requests: not notifications, acks, token requests, refused CONNECTs or other paths
  findings.length = 0;
  observer.onEntry(entry({ kind: 'notification', from: 'graph', to: 'bot', method: 'POST', url: 'http://127.0.0.1:1/api/calls', body: {} }), ctx);
  observer.onEntry(entry({ kind: 'token-request', method: 'POST', url: '/tenant/oauth2/v2.0/token', body: 'grant_type=x' }), ctx);
  observer.onEntry(entry({ method: 'CONNECT', url: 'example.com:443' }), ctx);
  observer.onEntry(entry({ method: 'POST', url: `/api/calls/${CALL}/answer`, body: {} }), ctx);
  observer.onEntry(entry({ method: 'POST', url: v1('/answer'), body: { mediaConfig: media } }), ctx);
  expect(findings).toEqual([]);
  // an absolute URL counts by its path
  observer.onEntry(entry({ method: 'POST', url: `https://graph.microsoft.com${v1('/transfer')}`, body: {} }), ctx);
  expect(findings.map((f) => f.rule)).toEqual(['schema/required']);
});

// ------------------------------------------------------------------ cost, generated types

test('validation cost per request (printed; no assertion on time)', () => {
  const bot = new BodiesOfTheReferenceBot(configFromEnv({}));
  const requests: Array<[string, unknown]> = [
    [`/beta/app/calls/${CALL}/answer`, bot.answer()],
    ['/beta/app/calls', bot.join()],
    [`/beta/app/calls/${CALL}/participants/invite`, bot.invite()],
    [SEED.answer.path, SEED.answer.body],
    [SEED.invite.path, SEED.invite.body],
    [v1('/playPrompt'), { prompts: [{ '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: 'https://x/a.wav' } }], clientContext: 'c' }],
    [v1('/transfer'), { transferTarget: user, clientContext: 'c' }],
    [v1('/redirect'), { targets: [user], timeout: '30' }],
    [v1('/keepAlive'), undefined],
    [v1('/answer'), {}],
  ];
  for (let i = 0; i < 200; i++) for (const [path, body] of requests) validateGraphRequest('POST', path, body); // warm up
  const n = 1000;
  let violations = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const [path, body] = requests[i % requests.length]!;
    const r = validateGraphRequest('POST', path, body);
    violations += r.errors.length + r.warnings.length;
  }
  const perRequestMs = (performance.now() - t0) / n;
  console.log(`graph schema validation: ${(perRequestMs * 1000).toFixed(1)} µs per request (${n} requests, ${violations} violations reported)`);
  expect(violations).toBeGreaterThan(0);
});

test('the generated TypeScript types match the schemas (npm run gen check)', async () => {
  const generated: string = await generateGraphTypes();
  expect(readFileSync(join(root, 'harness', 'graph', 'types.generated.ts'), 'utf8')).toBe(generated);
  const check = spawnSync(process.execPath, [join(root, 'scripts', 'gen-graph-types.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);
  for (const type of ['AnswerRequest', 'InviteRequest', 'Call', 'CommsNotifications', 'CreateCallRequest', 'MediaConfig', 'IdentitySet', 'GraphActionBodies']) {
    expect(generated).toMatch(new RegExp(`^export (interface|type) ${type}\\b`, 'm'));
  }
});
