/**
 * Turns a Recording (a live call as `callreplay record` saw it, secrets and all) into a flow file
 * that replays green against the bot that was recorded and can be shared: scrubbed, with every
 * per-call value templated.
 *
 * Steps, in the recorded order:
 * - each notification Graph sent the bot -> a `notify` step (to: auto) with the body templated;
 * - each request the bot sent Graph -> an `expect` step: method, the path templated, the recorded
 *   body as a partial matcher and, as `respond`, Graph's recorded answer (status, Location,
 *   Content-Type, body);
 * - token requests and the notification-key fetches are left out (the harness answers them).
 *
 * Values: every value that varies from call to call or identifies someone is found in both
 * directions and given ONE treatment, used everywhere it occurs:
 * - ids Graph made up (calls, operations, participants, recordings, the tenant, the caller, tokens
 *   Graph handed out) become flow `ids:` (fresh every run), written `${name}` or `${name:hex}` as each
 *   occurrence was spelled, `{$id: name}` in expectations;
 * - the bot's app id becomes `${botAppId}`; Graph base URLs `${graph}`; the bot's own URL `${botUrl}`;
 * - values the bot chose (clientContext, its configured meeting, organizer, targets, its callback
 *   URL, ids it generated) are matched loosely (`{$type: string}`) where the bot sends them, captured
 *   there (`capture: {name: body.path?}`) when Graph echoes them later, and echoed as `${name}`;
 * - identities (tenant, users, applications, phones, display names, threads, join URLs) are
 *   pseudonymised (scrub.ts) unless kept with `keep`; other applications (the line a call was made
 *   to) become fixed pseudonyms under `values:` so a bot can be configured with them;
 * - volatile fields (timestamps, `@odata.etag`) are `{$type: string}` in expectations and `${now}`
 *   (timestamps) in what the harness sends; correlation headers are not written at all.
 */
import { Document, isMap, isSeq, visit, type Node } from 'yaml';
import type { RecordedExchange, Recording } from './recording.js';
import type { Transcript, TranscriptEntry } from '../engine/transcript.js';
import { isGuidLike, normalizeId } from '../engine/ids.js';
import { parseFlow } from '../flow/load-flow.js';
import {
  escapeRegex,
  findLeaks,
  formOrJsonFields,
  identityKindOf,
  isJoinUrl,
  isJwt,
  isOpaqueBlob,
  isOpaqueQueryValue,
  isPhoneNumber,
  isSecretKey,
  isSecretQueryParam,
  isTenantKey,
  isThreadId,
  JWT_IN_TEXT,
  jwtPayload,
  parseKeep,
  Pseudonyms,
  recordingCredentials,
  spellLike,
  THREAD_IN_TEXT,
  type KeepField,
  type Sensitive,
  type SensitiveKind,
} from './scrub.js';

export interface RecordingToFlowOptions {
  /** the flow's name (kebab-case) */
  name: string;
  description?: string;
  /** identity fields not to pseudonymise: tenantId, userId, appId, phone, displayName, threadId, joinUrl */
  keep?: string[];
  /** the bot's app id when the recording cannot tell (no token request, no notification token) */
  botAppId?: string;
  /** `source:` of the flow (default `recorded <date> with callreplay record`) */
  source?: string;
}

export interface RecordingToFlowReport {
  /** credentials left out: headers, token request secrets, tokens in bodies, secret query parameters */
  secretsRemoved: number;
  /** identity field -> how many distinct values were replaced */
  pseudonymised: Record<string, number>;
  /** the flow's ids, values and captures */
  ids: string[];
  values: string[];
  captures: string[];
  steps: { notify: number; expect: number };
  /** exchanges that became no step, and why (`#3: token request`) */
  skipped: string[];
  /** things the reader of the flow should know (also written as comments) */
  notes: string[];
}

export interface RecordingToFlowResult {
  yaml: string;
  /** the flow document (what `yaml` holds) */
  flow: unknown;
  report: RecordingToFlowReport;
}

/** Turns a recording into a scrubbed, templated flow. Throws when the result is not a valid flow or would leak. */
export function recordingToFlow(rec: Recording, opts: RecordingToFlowOptions): RecordingToFlowResult {
  return new Converter(rec, opts).convert();
}

// ====================================================================== model

type Key = string | number;
type Doc = 'notify' | 'path' | 'req' | 'res' | 'location';
type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

interface NotifyMsg {
  kind: 'notify';
  ex: RecordedExchange;
  body: Record<string, unknown>;
  /** path on the bot, without query */
  path: string;
  ack: string;
}

interface ExpectMsg {
  kind: 'expect';
  ex: RecordedExchange;
  method: HttpMethod;
  path: string;
  body: unknown;
  bodyKind: 'none' | 'json' | 'text';
  authorization?: string;
  response?: { status: number; location?: string; contentType?: string; body: unknown; bodyKind: 'none' | 'json' | 'text' | 'binary'; size: number };
  error?: string;
}

type Msg = NotifyMsg | ExpectMsg;

type VarKind = 'id' | 'tenant' | 'user' | 'app' | 'botApp' | 'phone' | 'displayName' | 'thread' | 'joinUrl' | 'token' | 'clientContext' | 'callbackUri';
type Mode = 'id' | 'value' | 'capture' | 'fake' | 'builtin' | 'literal';

interface Occurrence {
  msg: number;
  doc: Doc;
  whole: boolean;
  /** capture path when the bot sent the whole value at a place a capture can name */
  capture?: string;
}

interface Var {
  key: string;
  kind: VarKind;
  real: string;
  guid: boolean;
  origin: 'graph' | 'bot';
  base: string;
  nameRole: 'user' | 'bot' | 'app' | 'phone' | 'other';
  occurrences: Occurrence[];
  mode: Mode;
  name?: string;
  fake?: string;
  kept: boolean;
  capture?: { msg: number; source: string };
}

interface Ctx {
  dir: 'graph' | 'bot';
  msg: number;
  doc: Doc;
  keys: Key[];
  parent?: unknown;
}

/** Marks a property to leave out of a matcher. */
const OMIT = Symbol('omit');
const ANY_STRING = () => ({ $type: 'string' });

const KIND_FIELD: Partial<Record<VarKind, KeepField>> = {
  tenant: 'tenantId',
  user: 'userId',
  app: 'appId',
  botApp: 'appId',
  phone: 'phone',
  displayName: 'displayName',
  thread: 'threadId',
  joinUrl: 'joinUrl',
};

const CALLBACK_KEYS = new Set(['callbackUri', 'callback']);
/** Graph hosts whose URLs become `${graph}` (plus the recording's own Graph upstream). */
const GRAPH_ORIGINS = ['https://graph.microsoft.com', 'https://canary.graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us', 'https://microsoftgraph.chinacloudapi.cn'];
/** Bases numbered from 1 when there are several (`op1`, `op2`); role names are numbered from 2. */
const GENERIC_BASES = new Set(['call', 'op', 'participant', 'user', 'app', 'id', 'token', 'recording', 'request', 'endpoint', 'callChain', 'resource', 'thread', 'phone']);
const BUILTINS = new Set(['graph', 'now', 'botAppId', 'botUrl']);
/** Hosts of tunnel services: a bot's public URL there is the bot's own address (`${botUrl}`). */
const TUNNEL_HOST = /\.(ngrok\.io|ngrok\.app|ngrok-free\.app|ngrok-free\.dev|devtunnels\.ms|trycloudflare\.com|loca\.lt|localtunnel\.me|serveo\.net|localhost\.run|lhr\.life|pagekite\.me)$/i;

const GUID_IN_TEXT = /(?<![0-9A-Za-z])(\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?|[0-9a-fA-F]{32})(?![0-9A-Za-z])/g;
const PHONE_IN_TEXT = /(?<![\w+])(?:tel:)?\+\d{7,15}(?!\d)/g;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

// ====================================================================== the converter

class Converter {
  private readonly keep: Set<KeepField>;
  private readonly pseudo = new Pseudonyms();
  private readonly msgs: Msg[] = [];
  private readonly vars = new Map<string, Var>();
  private readonly order: Var[] = [];
  private readonly hints = new Map<string, { base: string; prio: number }>();
  private readonly replaced = new Set<string>();
  private readonly skipped: string[] = [];
  private readonly notes: string[] = [];
  private readonly graphOrigins: string[];
  private readonly botOrigins = new Set<string>();
  private botAppId?: string;
  private secretsRemoved = 0;
  private escapedTemplates = 0;

  constructor(
    private readonly rec: Recording,
    private readonly opts: RecordingToFlowOptions,
  ) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(opts.name)) throw new Error(`flow name "${opts.name}" must be kebab-case (a-z, 0-9, -)`);
    this.keep = parseKeep(opts.keep);
    const origins = new Set(GRAPH_ORIGINS);
    const up = originOf(rec.upstream?.graph ?? '');
    if (up) origins.add(up);
    this.graphOrigins = [...origins].sort((a, b) => b.length - a.length);
    const bot = originOf(rec.botUrl ?? '');
    if (bot) this.botOrigins.add(bot);
  }

  convert(): RecordingToFlowResult {
    this.collectMessages();
    if (this.msgs.length === 0) {
      throw new Error(`the recording has no notification and no Graph request to turn into a flow${this.skipped.length ? ` (left out: ${this.skipped.join('; ')})` : ''}`);
    }
    if (this.msgs[0]!.kind === 'expect') {
      this.notes.push('the recording starts with a request of the bot (it started the call on its own): add a trigger step (the bot\'s own API) before it, or a replay waits for it in vain');
    }
    for (const [i, m] of this.msgs.entries()) {
      if (m.kind === 'notify' && /^\d+$/.test(m.ack) && !/^2\d\d$/.test(m.ack)) this.notes.push(`step ${i + 1}: the bot answered this notification with ${m.ack}; a replay expects 2xx`);
    }
    this.botAppId = this.findBotAppId();
    this.findRoles();
    this.discover();
    this.decide();
    const steps = this.msgs.map((m, i) => (m.kind === 'notify' ? this.notifyStep(m, i) : this.expectStep(m, i)));
    const doc = this.document(steps.map((s) => s.step));
    const yaml = this.yaml(doc, steps.map((s) => s.comment));
    const report = this.report(steps);

    try {
      parseFlow(yaml, `${this.opts.name}.yaml`);
    } catch (e) {
      throw new Error(`the flow made from the recording is not valid: ${(e as Error).message}`);
    }
    const leaks = findLeaks(yaml + '\n' + JSON.stringify(doc), this.sensitive());
    if (leaks.length > 0) {
      throw new Error(`refusing to write the flow: it would contain recorded ${leaks.join(', ')} values (a bug in the scrubber; use --keep for identities you want to keep)`);
    }
    return { yaml, flow: doc, report };
  }

  // -------------------------------------------------------------- 1. what becomes a step

  private collectMessages(): void {
    const exchanges = [...this.rec.exchanges].sort((a, b) => a.seq - b.seq || a.at - b.at);
    for (const ex of exchanges) {
      const why = this.skipReason(ex);
      if (why) {
        this.skipped.push(`#${ex.seq}: ${why}`);
        continue;
      }
      if (ex.direction === 'inbound') {
        this.msgs.push({
          kind: 'notify',
          ex,
          body: JSON.parse(ex.request.body) as Record<string, unknown>,
          path: pathOnly(ex.request.url),
          ack: 'status' in ex.response ? String(ex.response.status) : ex.response.error,
        });
      } else {
        this.msgs.push(this.expectMsg(ex));
      }
    }
  }

  private skipReason(ex: RecordedExchange): string | undefined {
    if (ex.direction === 'inbound') {
      const body = parseJson(ex.request.body);
      if (!isObject(body) || !Array.isArray(body['value'])) return `${ex.request.method} ${pathOnly(ex.request.url)} to the bot is not a commsNotifications body`;
      return undefined;
    }
    if (ex.service === 'login') return 'token request (the harness answers it)';
    if (ex.service === 'auth') return 'notification signing keys (the harness serves them)';
    if (ex.service !== 'graph') return `request to ${ex.service}`;
    if (!METHODS.includes(ex.request.method.toUpperCase())) return `${ex.request.method} request (flows take GET, POST, PUT, PATCH, DELETE)`;
    if (!pathOnly(urlPath(ex.request.url)).startsWith('/')) return 'request without a path';
    return undefined;
  }

  private expectMsg(ex: RecordedExchange): ExpectMsg {
    const method = ex.request.method.toUpperCase() as HttpMethod;
    const path = pathOnly(urlPath(ex.request.url));
    const parsed = ex.request.body.trim() === '' ? undefined : parseJson(ex.request.body);
    const bodyKind = ex.request.body.trim() === '' ? 'none' : parsed === undefined ? 'text' : 'json';
    const msg: ExpectMsg = { kind: 'expect', ex, method, path, body: parsed ?? (bodyKind === 'text' ? ex.request.body : undefined), bodyKind, authorization: ex.request.headers['authorization'] };
    if ('status' in ex.response) {
      const h = lowerKeys(ex.response.headers);
      const contentType = h['content-type'];
      const text = ex.response.body;
      let body: unknown;
      let kind: 'none' | 'json' | 'text' | 'binary' = 'none';
      if (text !== '') {
        const json = parseJson(text);
        if (json !== undefined && !/^(audio|video|image)\/|octet-stream/i.test(contentType ?? '')) {
          body = json;
          kind = 'json';
        } else if (isBinary(contentType, text)) {
          kind = 'binary';
        } else {
          body = text;
          kind = 'text';
        }
      }
      msg.response = { status: ex.response.status, location: h['location'], contentType, body, bodyKind: kind, size: Buffer.byteLength(text, 'utf8') };
    } else {
      msg.error = ex.response.error;
    }
    return msg;
  }

  /** The bot's app id: given, else the client id of its token requests, else its tokens' audience/appid, else the target of an incoming call. */
  private findBotAppId(): string | undefined {
    if (this.opts.botAppId) return this.opts.botAppId;
    for (const ex of this.rec.exchanges) {
      if (ex.service !== 'login') continue;
      const id = formOrJsonFields(ex.request).find(([k]) => k === 'client_id')?.[1];
      if (id && isGuidLike(id)) return id;
    }
    for (const ex of this.rec.exchanges) {
      const token = /^\s*bearer\s+(\S+)/i.exec(ex.request.headers['authorization'] ?? '')?.[1];
      if (!token || !isJwt(token)) continue;
      const p = jwtPayload(token);
      const id = ex.direction === 'inbound' ? p?.['aud'] : (p?.['appid'] ?? p?.['azp']);
      if (typeof id === 'string' && isGuidLike(id)) return id;
    }
    for (const m of this.msgs) {
      if (m.kind !== 'notify') continue;
      for (const n of notificationsOf(m.body)) {
        const rd = n['resourceData'];
        if (!isObject(rd) || String(rd['state']).toLowerCase() !== 'incoming') continue;
        const targets = rd['targets'];
        if (!Array.isArray(targets)) continue;
        for (const t of targets) {
          const app = get(t, 'identity', 'application', 'id');
          if (typeof app === 'string' && isGuidLike(app)) return app;
        }
      }
    }
    return undefined;
  }

  private isBotApp(value: unknown): boolean {
    return typeof value === 'string' && this.botAppId !== undefined && isGuidLike(value) && normalizeId(value) === normalizeId(this.botAppId);
  }

  // -------------------------------------------------------------- 2. roles (names) of ids

  private hint(value: unknown, base: string, prio: number): void {
    if (typeof value !== 'string' || value === '') return;
    const key = varKey(value);
    const cur = this.hints.get(key);
    if (!cur || cur.prio < prio) this.hints.set(key, { base, prio });
  }

  private findRoles(): void {
    let caller: string | undefined;
    this.msgs.forEach((m) => {
      if (m.kind === 'notify') {
        for (const n of notificationsOf(m.body)) {
          const resource = String(n['resourceUrl'] ?? n['resource'] ?? '');
          const rd = n['resourceData'];
          const callId = /calls\/([^/?#]+)/i.exec(resource)?.[1];
          if (isObject(rd) && String(rd['state']).toLowerCase() === 'incoming') {
            this.hint(callId, 'incomingCall', 10);
            const user = get(rd, 'source', 'identity', 'user', 'id');
            this.hint(user, 'caller', 10);
            if (typeof user === 'string') caller ??= normalizeId(user);
            this.hint(get(rd, 'source', 'identity', 'phone', 'id'), 'callerPhone', 10);
            this.hint(rd['tenantId'], 'tenant', 5);
            this.hint(rd['myParticipantId'], 'botParticipant', 8);
            for (const t of asArray(rd['targets'])) {
              this.hint(get(t, 'identity', 'applicationInstance', 'id'), 'botLine', 8);
              this.hint(get(t, 'identity', 'user', 'id'), 'callee', 6);
              this.hint(get(t, 'identity', 'phone', 'id'), 'calleePhone', 6);
            }
          }
          const op = /operations\/([^/?#]+)/i.exec(resource)?.[1];
          if (op) this.hint(op, opBaseFromType(get(rd, '@odata.type')) ?? 'op', 5);
          if (/\/participants\/?$/i.test(resource)) {
            for (const p of asArray(rd)) this.participantHint(p, caller);
          }
        }
        return;
      }
      const canonical = m.path.replace(/\/microsoft\.graph\./gi, '/');
      const body = m.body;
      const res = m.response;
      const created = typeof get(res?.body, 'id') === 'string' ? (get(res?.body, 'id') as string) : res?.location?.split(/[?#]/)[0]!.split('/').filter(Boolean).pop();
      if (m.method === 'POST' && /\/calls\/?$/i.test(canonical)) {
        const meeting = isObject(body) && (body['meetingInfo'] !== undefined || body['chatInfo'] !== undefined);
        this.hint(created, meeting ? 'meetingCall' : 'outgoingCall', 10);
        this.hint(get(res?.body, 'myParticipantId'), 'botParticipant', 8);
        this.hint(get(body, 'meetingInfo', 'organizer', 'user', 'id'), 'organizer', 8);
        for (const t of asArray(get(body, 'targets'))) this.hint(get(t, 'identity', 'user', 'id'), 'callee', 6);
      } else {
        const action = actionOf(canonical);
        const opFromLocation = /operations\/([^/?#]+)/i.exec(res?.location ?? '')?.[1];
        const opId = opFromLocation ?? (typeof get(res?.body, 'id') === 'string' && /Operation$/.test(String(get(res?.body, '@odata.type'))) ? (get(res?.body, 'id') as string) : undefined);
        if (opId) this.hint(opId, opBaseFromType(get(res?.body, '@odata.type')) ?? opBaseFromAction(action), 10);
        for (const p of asArray(get(body, 'participants'))) {
          this.hint(get(p, 'identity', 'user', 'id'), 'invitee', 6);
          const rc = get(p, 'replacesCallId');
          if (typeof rc === 'string') this.replaced.add(varKey(rc.split('/').pop()!));
        }
        this.hint(get(body, 'transferTarget', 'identity', 'user', 'id'), 'transferTarget', 6);
        const trc = get(body, 'transferTarget', 'replacesCallId');
        if (typeof trc === 'string') this.replaced.add(varKey(trc.split('/').pop()!));
        for (const t of asArray(get(body, 'targets'))) this.hint(get(t, 'identity', 'user', 'id'), 'redirectTarget', 6);
      }
    });
    // the incoming call is the "p2pCall" when the bot moves it (a meeting call, or a replacesCallId naming it)
    const incoming = [...this.hints.entries()].filter(([, h]) => h.base === 'incomingCall');
    const moved = [...this.hints.values()].some((h) => h.base === 'meetingCall') || incoming.some(([k]) => this.replaced.has(k));
    for (const [k, h] of incoming) this.hints.set(k, { base: incoming.length === 1 && moved ? 'p2pCall' : 'call', prio: h.prio });
  }

  private participantHint(p: unknown, caller: string | undefined): void {
    const id = get(p, 'id') ?? (typeof get(p, '@odata.id') === 'string' ? (get(p, '@odata.id') as string).split('/').pop() : undefined);
    const identity = get(p, 'info', 'identity');
    const user = get(identity, 'user', 'id');
    if (typeof user === 'string' && caller && normalizeId(user) === caller) this.hint(id, 'callerParticipant', 7);
    else if (this.isBotApp(get(identity, 'application', 'id'))) this.hint(id, 'botParticipant', 7);
    else this.hint(id, 'participant', 1);
  }

  // -------------------------------------------------------------- 3. every value, in order

  private discover(): void {
    this.msgs.forEach((m, i) => {
      if (m.kind === 'notify') {
        this.walk(m.body, [], { dir: 'graph', msg: i, doc: 'notify', keys: [] }, false);
        return;
      }
      for (const seg of m.path.split('/')) if (seg) this.discoverString(safeDecode(seg), { dir: 'bot', msg: i, doc: 'path', keys: [] }, false);
      if (m.bodyKind === 'json') this.walk(m.body, [], { dir: 'bot', msg: i, doc: 'req', keys: [] }, true);
      if (m.response?.location) this.discoverString(m.response.location, { dir: 'graph', msg: i, doc: 'location', keys: ['Location'] }, false);
      if (m.response?.bodyKind === 'json') this.walk(m.response.body, [], { dir: 'graph', msg: i, doc: 'res', keys: [] }, false);
      else if (m.response?.bodyKind === 'text') this.discoverString(String(m.response.body), { dir: 'graph', msg: i, doc: 'res', keys: [] }, false);
      // a token Graph handed out comes back in the Authorization header (recording downloads)
      const bearer = /^\s*bearer\s+(\S+)/i.exec(m.authorization ?? '')?.[1];
      if (bearer) {
        const v = this.vars.get(varKey(bearer));
        if (v && v.kind === 'token') v.occurrences.push({ msg: i, doc: 'req', whole: true });
      }
    });
  }

  private walk(value: unknown, keys: Key[], ctx: Ctx, capturable: boolean, parent?: unknown): void {
    if (typeof value === 'string') {
      this.discoverString(value, { ...ctx, keys, parent }, capturable);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => this.walk(v, [...keys, i], ctx, capturable, value));
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) this.walk(v, [...keys, k], ctx, capturable && /^[^.[\]?]+$/.test(k), value);
    }
  }

  private discoverString(s: string, ctx: Ctx, capturable: boolean): void {
    if (s === '') return;
    const origin: 'graph' | 'bot' = ctx.doc === 'req' ? 'bot' : 'graph';
    const key = lastKey(ctx.keys);
    const capture = ctx.doc === 'req' && capturable && ctx.keys.length > 0 ? `body${capturePath(ctx.keys)}?` : undefined;
    const whole = this.classify(s, ctx);
    if (whole) {
      const v = this.register(s, whole.kind, whole.base, origin, ctx, whole.role);
      v.occurrences.push({ msg: ctx.msg, doc: ctx.doc, whole: true, capture });
      return;
    }
    if (CALLBACK_KEYS.has(key ?? '') || (ctx.doc === 'req' && /^https?:\/\//i.test(s) && /callback/i.test(key ?? ''))) {
      const o = originOf(s);
      if (o) this.botOrigins.add(o);
    }
    // a tunnel's host (ngrok, dev tunnels, ...) is the bot's own public address: it names the developer
    const tunnel = originOf(s);
    if (tunnel && TUNNEL_HOST.test(new URL(tunnel).hostname)) this.botOrigins.add(tunnel);
    // values inside a longer string: tokens, ids, threads, phone numbers
    const text = stripSecretQuery(s).text;
    for (const m of text.matchAll(JWT_IN_TEXT)) this.register(m[0], 'token', 'token', origin, ctx).occurrences.push({ msg: ctx.msg, doc: ctx.doc, whole: false });
    const noJwt = text.replace(JWT_IN_TEXT, ' ');
    for (const m of noJwt.matchAll(GUID_IN_TEXT)) {
      const g = m[1]!;
      if (isZeroGuid(g)) continue;
      const before = noJwt.slice(0, m.index).split('/').filter(Boolean);
      const seg = /\/$/.test(noJwt.slice(0, m.index)) ? before[before.length - 1] : undefined;
      const kind: VarKind = this.isBotApp(g) ? 'botApp' : 'id';
      this.register(g, kind, segmentBase(seg), origin, ctx).occurrences.push({ msg: ctx.msg, doc: ctx.doc, whole: false });
    }
    for (const m of noJwt.matchAll(THREAD_IN_TEXT)) this.register(m[0], 'thread', 'thread', origin, ctx).occurrences.push({ msg: ctx.msg, doc: ctx.doc, whole: false });
    for (const m of noJwt.matchAll(PHONE_IN_TEXT)) this.register(m[0], 'phone', 'phone', origin, ctx).occurrences.push({ msg: ctx.msg, doc: ctx.doc, whole: false });
  }

  /** What a whole string is, if it is a value with a treatment of its own. */
  private classify(s: string, ctx: Ctx): { kind: VarKind; base: string; role?: Var['nameRole'] } | undefined {
    const key = lastKey(ctx.keys) ?? '';
    const parentKey = ctx.keys.length >= 2 ? ctx.keys[ctx.keys.length - 2] : undefined;
    const known = this.vars.get(varKey(s));
    if (ctx.doc === 'path' || ctx.doc === 'location') {
      return known && (known.guid || known.kind === 'token') ? { kind: known.kind, base: known.base } : isGuidLike(s) && !isZeroGuid(s) ? { kind: this.isBotApp(s) ? 'botApp' : 'id', base: 'id' } : undefined;
    }
    if (key === 'clientContext') return known ? { kind: known.kind, base: known.base } : { kind: ctx.doc === 'req' ? 'clientContext' : isGuidLike(s) ? 'id' : 'clientContext', base: 'clientContext' };
    if (CALLBACK_KEYS.has(key)) {
      const o = originOf(s);
      if (o && ctx.doc === 'req') this.botOrigins.add(o);
      return ctx.doc === 'req' || known ? { kind: 'callbackUri', base: 'callbackUri' } : undefined;
    }
    if (isSecretKey(key) || isJwt(s) || isOpaqueBlob(s)) return { kind: 'token', base: tokenBase(key, parentKey) };
    if (isGuidLike(s)) {
      if (isZeroGuid(s)) return undefined;
      if (this.isBotApp(s)) return { kind: 'botApp', base: 'botAppId' };
      if (isTenantKey(key)) return { kind: 'tenant', base: 'tenant' };
      const idk = key === 'id' ? identityKindOf(parentKey) : undefined;
      if (idk === 'user') return { kind: 'user', base: 'user' };
      if (idk === 'app') return { kind: 'app', base: 'app' };
      return { kind: 'id', base: idBase(key, ctx.parent) };
    }
    if (key === 'displayName') {
      const idk = identityKindOf(parentKey);
      const role: Var['nameRole'] = idk === 'user' ? 'user' : idk === 'app' ? (this.isBotApp(get(ctx.parent, 'id')) ? 'bot' : 'app') : idk === 'phone' ? 'phone' : 'other';
      return { kind: 'displayName', base: 'displayName', role };
    }
    if (key === 'threadId' || isThreadId(s)) return { kind: 'thread', base: 'thread' };
    if (/^(joinWebUrl|joinUrl|joinMeetingId)$/i.test(key) || isJoinUrl(s)) return { kind: 'joinUrl', base: 'joinUrl' };
    if ((key === 'id' && identityKindOf(parentKey) === 'phone') || isPhoneNumber(s, key)) return { kind: 'phone', base: 'phone' };
    return undefined;
  }

  private register(s: string, kind: VarKind, base: string, origin: 'graph' | 'bot', ctx: Ctx, role: Var['nameRole'] = 'other'): Var {
    const key = varKey(s);
    let v = this.vars.get(key);
    if (!v) {
      v = { key, kind, real: s, guid: isGuidLike(s), origin, base, nameRole: role, occurrences: [], mode: 'literal', kept: false };
      this.vars.set(key, v);
      this.order.push(v);
    } else if (v.kind === 'id' && kind !== 'id' && kind !== 'clientContext' && kind !== 'callbackUri') {
      // a value first seen as a bare id, later in a place that says what it is
      v.kind = kind;
      v.base = base;
    } else if (v.base === 'id' && base !== 'id' && v.kind === kind) {
      v.base = base;
    }
    return v;
  }

  // -------------------------------------------------------------- 4. one treatment per value

  private decide(): void {
    for (const v of this.order) {
      const field = KIND_FIELD[v.kind];
      v.kept = field !== undefined && this.keep.has(field) && v.kind !== 'botApp';
      const hint = this.hints.get(v.key);
      if (hint && (v.guid || v.kind === 'phone')) v.base = hint.base;
      if (v.kind === 'botApp') v.mode = 'builtin';
      else if (v.kept) v.mode = v.guid ? 'value' : 'literal';
      else if (v.origin === 'graph') {
        if (v.kind === 'app') v.mode = 'value';
        else if (v.guid || v.kind === 'token') v.mode = 'id';
        else if (v.kind === 'phone' || v.kind === 'displayName' || v.kind === 'thread' || v.kind === 'joinUrl') v.mode = 'fake';
        else v.mode = 'literal';
      } else {
        const site = v.occurrences.find((o) => o.doc === 'req' && o.whole && o.capture);
        // echoed: Graph sends it back later (the same exchange's answer counts)
        const echoed = site && v.occurrences.some((o) => (o.doc === 'notify' || o.doc === 'res' || o.doc === 'location') && o.msg >= site.msg);
        if (site && (echoed || v.kind === 'clientContext')) {
          v.mode = 'capture';
          v.capture = { msg: site.msg, source: site.capture! };
          if (v.kind === 'clientContext') {
            const m = this.msgs[site.msg] as ExpectMsg;
            v.base = `${contextBase(m)}Context`;
          }
        } else if (v.guid || v.kind === 'token' || KIND_FIELD[v.kind]) v.mode = 'fake';
        else v.mode = 'literal';
      }
    }
    // names: per base, `base` alone, else base1.. (generic) or base, base2.. (roles)
    const named = this.order.filter((v) => v.mode === 'id' || v.mode === 'value' || v.mode === 'capture');
    const byBase = new Map<string, Var[]>();
    for (const v of named) {
      const base = safeName(v.base);
      byBase.set(base, [...(byBase.get(base) ?? []), v]);
    }
    const used = new Set<string>(BUILTINS);
    for (const [base, list] of byBase) {
      list.forEach((v, i) => {
        let name = list.length === 1 ? base : GENERIC_BASES.has(base) ? `${base}${i + 1}` : i === 0 ? base : `${base}${i + 1}`;
        while (used.has(name)) name = `${name}_`;
        used.add(name);
        v.name = name;
      });
    }
  }

  private fakeOf(v: Var): string {
    if (v.fake !== undefined) return v.fake;
    if (v.guid) v.fake = this.pseudo.guid(v.real);
    else if (v.kind === 'displayName') v.fake = this.pseudo.displayName(v.real, v.nameRole);
    else if (v.kind === 'phone') v.fake = this.pseudo.phone(v.real);
    else if (v.kind === 'thread') v.fake = this.pseudo.threadId(v.real);
    else if (v.kind === 'joinUrl') v.fake = this.pseudo.joinUrl(v.real);
    else if (v.kind === 'token') v.fake = this.pseudo.token(v.real);
    else v.fake = v.real;
    return v.fake;
  }

  // -------------------------------------------------------------- 5. rendering

  private render(value: unknown, ctx: Ctx): unknown {
    if (typeof value === 'string') return this.renderString(value, ctx);
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        const r = this.render(item, { ...ctx, keys: [...ctx.keys, i], parent: value });
        return r === OMIT ? ANY_STRING() : r;
      });
    }
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (ctx.dir === 'bot' && k.startsWith('$')) {
          this.notes.push(`step ${ctx.msg + 1}: the request's property "${k}" is not checked (names starting with $ are matcher operators)`);
          continue;
        }
        const r = this.render(v, { ...ctx, keys: [...ctx.keys, k], parent: value });
        if (r !== OMIT) out[k] = r;
      }
      return out;
    }
    return value;
  }

  private renderString(s: string, ctx: Ctx): unknown {
    const key = lastKey(ctx.keys) ?? '';
    if (ctx.dir === 'bot') {
      if (CALLBACK_KEYS.has(key)) return ANY_STRING();
      if (key === 'clientContext') return OMIT;
      if (key === '@odata.etag' || /DateTime$/i.test(key) || TIMESTAMP.test(s)) return ANY_STRING();
    } else if ((TIMESTAMP.test(s) || HTTP_DATE.test(s)) && !s.startsWith('0001-')) {
      return '${now}';
    }
    const v = s === '' ? undefined : this.vars.get(varKey(s));
    if (v && v.occurrences.some((o) => o.whole)) return this.renderWhole(v, s, ctx);
    const embedded = this.renderEmbedded(s, ctx);
    return embedded.loose ? ANY_STRING() : embedded.text;
  }

  private captured(v: Var, ctx: Ctx): boolean {
    if (!v.capture) return false;
    return ctx.dir === 'bot' ? v.capture.msg < ctx.msg : v.capture.msg < ctx.msg || (v.capture.msg === ctx.msg && ctx.doc !== 'path');
  }

  /** A whole string that is one value. */
  private renderWhole(v: Var, s: string, ctx: Ctx): unknown {
    const ref = (name: string) => placeholder(name, s);
    if (v.kind === 'token') this.secretsRemoved += v.kept ? 0 : 1;
    switch (v.mode) {
      case 'builtin':
        return ref('botAppId');
      case 'id':
      case 'value':
        return ctx.dir === 'bot' && v.guid ? { $id: v.name } : ref(v.name!);
      case 'literal':
        return this.escape(s);
      case 'capture':
        if (this.captured(v, ctx)) return ctx.dir === 'bot' && v.guid ? { $id: v.name } : ref(v.name!);
        return ctx.dir === 'bot' ? (v.kind === 'clientContext' ? OMIT : ANY_STRING()) : this.fakeSpelled(v, s);
      case 'fake':
        if (ctx.dir === 'bot' && v.origin === 'bot') return ANY_STRING();
        return this.fakeSpelled(v, s);
    }
  }

  private fakeSpelled(v: Var, s: string): string {
    if (v.kind === 'callbackUri') return this.renderEmbedded(s, { dir: 'graph', msg: 0, doc: 'res', keys: [] }).text;
    const fake = this.fakeOf(v);
    return v.guid ? spellLike(fake, s) : fake;
  }

  /**
   * A string with values inside (URLs, paths, text): each replaced as it is treated. In a bot
   * request, a value the bot chose inside a longer string makes the whole string `{$type: string}`.
   */
  private renderEmbedded(s: string, ctx: Ctx): { text: string; loose: boolean } {
    const pieces: string[] = [];
    const hold = (piece: string) => `\u0001${pieces.push(piece) - 1}\u0002`;
    let loose = false;
    const stripped = stripSecretQuery(s);
    this.secretsRemoved += stripped.removed;
    let text = stripped.text;
    if (stripped.redacted > 0) this.bump('opaque', stripped.redacted);
    // base URLs
    for (const o of this.graphOrigins) {
      if (text.toLowerCase().startsWith(o.toLowerCase()) && /^($|[/?#])/.test(text.slice(o.length))) {
        text = hold('${graph}') + text.slice(o.length);
        break;
      }
    }
    for (const o of this.botOrigins) {
      if (text.toLowerCase().startsWith(o.toLowerCase()) && /^($|[/?#])/.test(text.slice(o.length))) {
        if (ctx.dir === 'bot') loose = true;
        text = hold('${botUrl}') + text.slice(o.length);
        break;
      }
    }
    const replaceVar = (match: string, v: Var | undefined): string => {
      if (!v) return match;
      switch (v.mode) {
        case 'builtin':
          return hold(placeholder('botAppId', match));
        case 'id':
        case 'value':
          if (v.kind === 'token' && !v.kept) this.secretsRemoved++;
          return hold(placeholder(v.name!, match));
        case 'literal':
          return match;
        case 'capture':
          if (this.captured(v, ctx)) return hold(placeholder(v.name!, match));
          if (ctx.dir === 'bot') loose = true;
          return hold(this.fakeSpelled(v, match));
        case 'fake':
          if (ctx.dir === 'bot' && v.origin === 'bot') loose = true;
          if (v.kind === 'token') this.secretsRemoved++;
          return hold(this.fakeSpelled(v, match));
      }
    };
    text = text.replace(JWT_IN_TEXT, (m) => replaceVar(m, this.vars.get(varKey(m))));
    text = text.replace(GUID_IN_TEXT, (m) => replaceVar(m, this.vars.get(varKey(m))));
    text = text.replace(THREAD_IN_TEXT, (m) => replaceVar(m, this.vars.get(varKey(m))));
    text = text.replace(PHONE_IN_TEXT, (m) => replaceVar(m, this.vars.get(varKey(m))));
    // identities known from elsewhere, inside free text (names, URL-encoded threads)
    for (const v of this.order) {
      if (v.guid || v.mode === 'literal' || v.mode === 'builtin' || v.real.length < 3) continue;
      if (!['displayName', 'thread', 'joinUrl', 'phone'].includes(v.kind)) continue;
      for (const form of new Set([v.real, encodeURIComponent(v.real), encodeURIComponent(v.real).toLowerCase()])) {
        const re = v.kind === 'displayName' ? new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(form)}(?![\\p{L}\\p{N}])`, 'gu') : new RegExp(escapeRegex(form), 'g');
        text = text.replace(re, (m) => replaceVar(m, v));
      }
    }
    text = this.escape(text).replace(/\u0001(\d+)\u0002/g, (_m, i: string) => pieces[Number(i)]!);
    return { text, loose };
  }

  /** `${` in recorded text would read as a placeholder: it is written `$ {`. */
  private escape(s: string): string {
    if (!s.includes('${')) return s;
    this.escapedTemplates++;
    return s.replace(/\$\{/g, '$ {');
  }

  private bump(field: string, n = 1): void {
    this.extraCounts.set(field, (this.extraCounts.get(field) ?? 0) + n);
  }
  private readonly extraCounts = new Map<string, number>();

  // -------------------------------------------------------------- 6. steps

  private notifyStep(m: NotifyMsg, i: number): { step: unknown; comment: string; kind: 'notify' | 'expect' } {
    const body = this.render(m.body, { dir: 'graph', msg: i, doc: 'notify', keys: [] });
    const step = { notify: { name: this.notificationName(m.body), to: 'auto', body } };
    const comment = `recorded #${m.ex.seq} at +${seconds(m.ex.at)} s: notification POST ${this.displayPath(m.path, i, 'graph')} -> ${m.ack}`;
    return { step, comment, kind: 'notify' };
  }

  private expectStep(m: ExpectMsg, i: number): { step: unknown; comment: string; kind: 'notify' | 'expect' } {
    const path = this.templatePath(m.path, i);
    const expect: Record<string, unknown> = { name: this.requestName(m), method: m.method, path };
    if (m.bodyKind === 'json') {
      const body = this.render(m.body, { dir: 'bot', msg: i, doc: 'req', keys: [] });
      if (body !== OMIT) expect['body'] = body;
    } else if (m.bodyKind === 'text') {
      this.notes.push(`step ${i + 1}: the request body was not JSON and is not checked`);
    }
    // a token Graph handed out (recording download) is checked; the bot's own Graph token is not written
    const bearer = /^\s*bearer\s+(\S+)/i.exec(m.authorization ?? '')?.[1];
    const tokenVar = bearer ? this.vars.get(varKey(bearer)) : undefined;
    if (tokenVar && tokenVar.kind === 'token' && (tokenVar.mode === 'id' || tokenVar.mode === 'value')) {
      expect['headers'] = { authorization: `Bearer \${${tokenVar.name}}` };
    }
    const captures = this.order.filter((v) => v.mode === 'capture' && v.capture?.msg === i);
    if (captures.length > 0) expect['capture'] = Object.fromEntries(captures.map((v) => [v.name!, v.capture!.source]));
    let outcome: string;
    if (m.response) {
      const r = m.response;
      const respond: Record<string, unknown> = { status: r.status };
      const headers: Record<string, string> = {};
      if (r.location) headers['Location'] = String(this.renderString(r.location, { dir: 'graph', msg: i, doc: 'location', keys: ['Location'] }));
      if (r.contentType && r.bodyKind !== 'none') headers['Content-Type'] = r.contentType;
      if (Object.keys(headers).length > 0) respond['headers'] = headers;
      if (r.bodyKind === 'json') respond['body'] = this.render(r.body, { dir: 'graph', msg: i, doc: 'res', keys: [] });
      else if (r.bodyKind === 'text') respond['body'] = this.renderString(String(r.body), { dir: 'graph', msg: i, doc: 'res', keys: [] });
      else if (r.bodyKind === 'binary') {
        respond['body'] = `RIFF$WAVEfmt callreplay: ${r.size} bytes of recorded media removed`;
        this.bump('media');
      }
      expect['respond'] = respond;
      outcome = String(r.status);
    } else {
      outcome = `no answer (${m.error ?? 'error'})`;
      this.notes.push(`step ${i + 1}: Graph's answer was not recorded (${m.error ?? 'error'}); the harness answers as Graph would`);
    }
    const comment = `recorded #${m.ex.seq} at +${seconds(m.ex.at)} s: ${m.method} ${this.displayPath(path, i, 'bot')} -> ${outcome}`;
    return { step: { expect }, comment, kind: 'expect' };
  }

  private templatePath(path: string, i: number): string {
    return (
      '/' +
      path
        .split('/')
        .filter((s) => s !== '')
        .map((seg) => {
          const decoded = safeDecode(seg);
          const v = this.vars.get(varKey(decoded));
          if (v && (v.guid || v.kind === 'token')) {
            if (v.mode === 'builtin') return placeholder('botAppId', decoded);
            if (v.mode === 'id' || v.mode === 'value' || (v.mode === 'capture' && this.captured(v, { dir: 'bot', msg: i, doc: 'path', keys: [] }))) return placeholder(v.name!, decoded);
            if (v.mode === 'literal') return seg;
            return encodeURIComponent(this.fakeSpelled(v, decoded));
          }
          const r = this.renderEmbedded(decoded, { dir: 'graph', msg: i, doc: 'path', keys: [] });
          return r.text === decoded ? seg : r.text;
        })
        .join('/')
    );
  }

  /** A path for comments: placeholders as {name}. */
  private displayPath(path: string, i: number, dir: 'graph' | 'bot'): string {
    const templated = dir === 'bot' ? path : this.renderEmbedded(path, { dir: 'graph', msg: i, doc: 'path', keys: [] }).text;
    return templated.replace(/\$\{(\w+)(?::hex)?\}/g, '{$1}');
  }

  private nameOfId(id: string | undefined): string | undefined {
    if (!id) return undefined;
    const v = this.vars.get(varKey(safeDecode(id)));
    return v?.name ?? (v?.mode === 'builtin' ? 'bot' : undefined);
  }

  /** "p2pCall incoming", "inviteOp completed", "meetingCall roster updated", ... */
  private notificationName(body: Record<string, unknown>): string {
    const labels = notificationsOf(body).map((n) => {
      const resource = String(n['resourceUrl'] ?? n['resource'] ?? '');
      const rd = n['resourceData'];
      const call = this.nameOfId(/calls\/([^/?#]+)/i.exec(resource)?.[1]) ?? 'call';
      const op = /operations\/([^/?#]+)/i.exec(resource)?.[1];
      let subject = call;
      if (op) subject = this.nameOfId(op) ?? `${call} operation`;
      else if (/\/participants\/?$/i.test(resource)) subject = `${call} roster`;
      else if (/\/participants\//i.test(resource)) subject = `${call} participant`;
      const state = isObject(rd) ? (rd['state'] ?? rd['status']) : undefined;
      const tone = isObject(rd) && isObject(rd['toneInfo']) ? ` tone ${String(rd['toneInfo']['tone'])}` : '';
      return `${subject} ${typeof state === 'string' ? state : String(n['changeType'] ?? 'notification')}${tone}`;
    });
    return labels.join(' + ') || 'notification';
  }

  private requestName(m: ExpectMsg): string {
    const canonical = m.path.replace(/\/microsoft\.graph\./gi, '/');
    if (/\/calls\/?$/i.test(canonical)) {
      if (m.method === 'POST') return isObject(m.body) && (m.body['meetingInfo'] !== undefined || m.body['chatInfo'] !== undefined) ? 'join meeting' : 'create call';
      return `${m.method} calls`;
    }
    const segs = canonical.split('/').filter(Boolean);
    const i = segs.findIndex((s) => s.toLowerCase() === 'calls');
    const rest = i >= 0 ? segs.slice(i + 2).filter((s) => !isGuidLike(safeDecode(s)) && !this.vars.get(varKey(safeDecode(s)))) : [];
    if (i >= 0 && segs.length === i + 2) return m.method === 'DELETE' ? 'hang up' : `${m.method} call`;
    if (rest.includes('recordings') && m.method === 'GET') return 'download the recording';
    const what = rest.join('/') || 'request';
    return m.method === 'POST' ? what : `${m.method} ${what}`;
  }

  // -------------------------------------------------------------- 7. the document

  private document(steps: unknown[]): Record<string, unknown> {
    const ids = this.order.filter((v) => v.mode === 'id').map((v) => v.name!);
    const values = Object.fromEntries(this.order.filter((v) => v.mode === 'value').map((v) => [v.name!, v.kept ? v.real : this.fakeOf(v)]));
    const expects = this.msgs.filter((m): m is ExpectMsg => m.kind === 'expect');
    const versions = new Set(expects.map((m) => /^\/(v1\.0|beta)\//i.exec(m.path)?.[1]?.toLowerCase()));
    const api = versions.size === 1 ? [...versions][0] : undefined;
    const date = /^\d{4}-\d{2}-\d{2}/.exec(this.rec.startedAt ?? '')?.[0] ?? new Date().toISOString().slice(0, 10);
    const doc: Record<string, unknown> = {
      callreplay: 1,
      name: this.opts.name,
      description: this.opts.description ?? this.describe(),
      source: this.opts.source ?? `recorded ${date} with callreplay record`,
      suite: 'recorded',
    };
    if (api === 'v1.0' || api === 'beta') doc['api'] = api;
    if (ids.length > 0) doc['ids'] = ids;
    if (Object.keys(values).length > 0) doc['values'] = values;
    doc['steps'] = steps;
    return doc;
  }

  private describe(): string {
    const expects = this.msgs.filter((m): m is ExpectMsg => m.kind === 'expect');
    const notifies = this.msgs.length - expects.length;
    const actions = [...new Set(expects.map((m) => this.requestName(m)))];
    if (actions.length === 0) return `Draft from ${notifies} captured notification(s): the bot's requests are still to be added`;
    return `Recorded call: ${actions.slice(0, 5).join(', ')}${actions.length > 5 ? ', ...' : ''} (${notifies} notification(s), ${expects.length} request(s))`;
  }

  private yaml(doc: Record<string, unknown>, comments: string[]): string {
    const d = new Document(doc, { aliasDuplicateObjects: false });
    const header = [
      ` ${String(doc['source'])}; converted to a flow by callreplay.`,
      ` Scrubbed: ${this.secretsRemovedTotal()} secret(s) removed (tokens, secrets and cookies are never written)${this.pseudonymisedText()}.`,
      ' ids are fresh every run, values are fixed pseudonyms; correlation headers are not written.',
      ' Review before sharing: each expect step checks the request as recorded; loosen what your bot may choose.',
    ];
    const expects = this.msgs.filter((m) => m.kind === 'expect').length;
    if (expects === 0) {
      header.push('', ' DRAFT: made from notifications only. The bot\'s requests must be added as expect steps', ' (answer, joins, invites, ...) between the notifications they follow before this flow checks a bot:', ' as it is, any request the bot sends fails the flow as unexpected.');
    }
    const lines = this.order.filter((v) => v.mode === 'value' && !v.kept && v.kind === 'app');
    if (lines.length > 0) {
      header.push('', ` ${lines.map((v) => `values.${v.name}`).join(', ')}: pseudonym(s) of the application (line) the call was made to;`, ' configure your bot with it or set it to your bot\'s line id.');
    }
    for (const n of new Set(this.notes)) header.push(` note: ${n}`);
    d.commentBefore = header.join('\n');
    const steps = d.get('steps', true);
    if (isSeq(steps)) {
      steps.items.forEach((item, i) => {
        const node = item as Node;
        node.commentBefore = ` ${comments[i]}`;
        if (i > 0) node.spaceBefore = true;
      });
    }
    const stepsPair = isMap(d.contents) ? d.contents.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'steps') : undefined;
    if (stepsPair && stepsPair.key && typeof stepsPair.key === 'object') (stepsPair.key as Node).spaceBefore = true;
    // matcher objects ({$type: string}) and the ids list on one line
    visit(d, {
      Map: (_k, node) => {
        if (node.items.length > 0 && node.items.every((p) => String((p.key as { value?: unknown } | null)?.value ?? '').startsWith('$'))) node.flow = true;
      },
      Seq: (_k, node) => {
        if (node.items.length > 0 && node.items.every((it) => typeof (it as { value?: unknown }).value !== 'object' || (it as { value?: unknown }).value === null) && !isMap(node.items[0])) node.flow = true;
      },
    });
    return d.toString({ lineWidth: 0, flowCollectionPadding: true });
  }

  private secretsRemovedTotal(): number {
    return this.secretsRemoved + recordingCredentials(this.rec).count;
  }

  private pseudonymised(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const v of this.order) {
      const field = KIND_FIELD[v.kind];
      if (!field || v.kept || v.mode === 'literal') continue;
      out[field] = (out[field] ?? 0) + 1;
    }
    for (const [k, n] of this.extraCounts) out[k] = (out[k] ?? 0) + n;
    return out;
  }

  private pseudonymisedText(): string {
    const p = Object.entries(this.pseudonymised());
    return p.length ? `; pseudonymised: ${p.map(([k, n]) => `${k} ${n}`).join(', ')}` : '';
  }

  private report(steps: Array<{ kind: 'notify' | 'expect' }>): RecordingToFlowReport {
    return {
      secretsRemoved: this.secretsRemovedTotal(),
      pseudonymised: this.pseudonymised(),
      ids: this.order.filter((v) => v.mode === 'id').map((v) => v.name!),
      values: this.order.filter((v) => v.mode === 'value').map((v) => v.name!),
      captures: this.order.filter((v) => v.mode === 'capture').map((v) => v.name!),
      steps: { notify: steps.filter((s) => s.kind === 'notify').length, expect: steps.filter((s) => s.kind === 'expect').length },
      skipped: this.skipped,
      notes: [...new Set(this.notes)],
    };
  }

  /** Everything the written flow must not contain. */
  private sensitive(): Sensitive[] {
    const out: Sensitive[] = [...recordingCredentials(this.rec).values];
    const fakes = new Set(this.order.map((v) => v.fake).filter((f): f is string => f !== undefined));
    for (const v of this.order) {
      if (v.kept || v.mode === 'literal') continue;
      if (fakes.has(v.real)) continue;
      const kind: SensitiveKind | undefined =
        v.kind === 'token' ? 'token' : (KIND_FIELD[v.kind] as SensitiveKind | undefined) ?? (v.guid ? 'recorded id' : undefined);
      if (kind) out.push({ kind, value: v.real });
    }
    // the tenant a token was asked for
    for (const ex of this.rec.exchanges) {
      if (ex.service !== 'login') continue;
      const seg = urlPath(ex.request.url).split('/').filter(Boolean)[0];
      if (seg && isGuidLike(seg) && !this.keep.has('tenantId')) out.push({ kind: 'tenantId', value: seg });
    }
    if (this.botAppId) out.push({ kind: 'appId', value: this.botAppId });
    return out;
  }
}

// ====================================================================== helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function notificationsOf(body: unknown): Array<Record<string, unknown>> {
  return asArray(get(body, 'value')).filter(isObject);
}

function parseJson(text: string): unknown {
  if (!text || !/^\s*[[{"]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function isBinary(contentType: string | undefined, text: string): boolean {
  return /^(audio|video|image)\/|octet-stream|application\/(zip|pdf)/i.test(contentType ?? '') || /[\u0000\uFFFD]/.test(text);
}

function varKey(s: string): string {
  return isGuidLike(s) ? `g:${normalizeId(s)}` : `s:${s}`;
}

function isZeroGuid(s: string): boolean {
  return /^\{?0{8}-?0{4}-?0{4}-?0{4}-?0{12}\}?$/.test(s);
}

function lastKey(keys: readonly Key[]): string | undefined {
  for (let i = keys.length - 1; i >= 0; i--) if (typeof keys[i] === 'string') return keys[i] as string;
  return undefined;
}

function capturePath(keys: readonly Key[]): string {
  return keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

/** `${name}` or `${name:hex}` as `spelled` was written (a GUID without hyphens is hex). */
function placeholder(name: string, spelled: string): string {
  const hex = isGuidLike(spelled) && !spelled.includes('-');
  const p = hex ? `\${${name}:hex}` : `\${${name}}`;
  return spelled.startsWith('{') && spelled.endsWith('}') ? `{${p}}` : p;
}

function safeName(base: string): string {
  const cleaned = base.replace(/[^A-Za-z0-9_]/g, '');
  const name = /^[A-Za-z]/.test(cleaned) ? cleaned : `v${cleaned}`;
  return name.length > 1 ? name : 'id';
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The path and query of a full URL (or the text itself when it is already a path). */
function urlPath(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

function pathOnly(pathWithQuery: string): string {
  return pathWithQuery.replace(/[?#].*$/, '') || '/';
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/**
 * A URL (or text with a query string) without its secret parameters; opaque values of the other
 * parameters are replaced by `redacted`.
 */
function stripSecretQuery(s: string): { text: string; removed: number; redacted: number } {
  const q = s.indexOf('?');
  if (q < 0 || !/^(https?:\/\/|\/)/i.test(s)) return { text: s, removed: 0, redacted: 0 };
  const hash = s.indexOf('#', q);
  const query = s.slice(q + 1, hash < 0 ? undefined : hash);
  let removed = 0;
  let redacted = 0;
  const kept: string[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (isSecretQueryParam(name)) {
      removed++;
      continue;
    }
    if (isOpaqueQueryValue(safeDecode(value))) {
      redacted++;
      kept.push(`${part.slice(0, eq)}=redacted`);
      continue;
    }
    kept.push(part);
  }
  if (removed === 0 && redacted === 0) return { text: s, removed: 0, redacted: 0 };
  const text = s.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '') + (hash < 0 ? '' : s.slice(hash));
  return { text, removed, redacted };
}

/** The base name of an id by the key that holds it. */
function idBase(key: string, parent: unknown): string {
  if (key === 'id') {
    const type = String(get(parent, '@odata.type') ?? '');
    if (/participant$/i.test(type)) return 'participant';
    if (/Operation$/.test(type)) return 'op';
    if (/\.call$/.test(type)) return 'call';
    return 'id';
  }
  if (key === 'myParticipantId') return 'botParticipant';
  if (key === 'replacesCallId') return 'call';
  if (/^(client-)?request-id$/i.test(key)) return 'request';
  const m = /^(.+?)Id$/.exec(key);
  if (m) return m[1]!;
  return 'id';
}

/** The base name of an id by the path segment before it. */
function segmentBase(seg: string | undefined): string {
  switch ((seg ?? '').toLowerCase()) {
    case 'calls':
      return 'call';
    case 'operations':
      return 'op';
    case 'participants':
      return 'participant';
    case 'recordings':
      return 'recording';
    case 'audioroutinggroups':
      return 'audioRoutingGroup';
    case 'contentsharingsessions':
      return 'sharingSession';
    case 'tenants':
      return 'tenant';
    case 'users':
      return 'user';
    default:
      return 'id';
  }
}

function tokenBase(key: string, parentKey: Key | undefined): string {
  if (/^recordingAccessToken$/i.test(key)) return 'recordingToken';
  if (key === 'token' && parentKey === 'meetingInfo') return 'meetingToken';
  if (!key || /^\d/.test(key)) return 'token';
  return safeName(key.replace(/[-_](\w)/g, (_m, c: string) => c.toUpperCase()));
}

/** `inviteParticipantsOperation` -> inviteOp, `recordOperation` -> recordOp */
function opBaseFromType(type: unknown): string | undefined {
  const m = /([A-Za-z]+)Operation$/.exec(String(type ?? ''));
  if (!m) return undefined;
  const base = m[1]!.replace(/Participants$/, '');
  return base === 'comms' ? 'op' : `${base}Op`;
}

function opBaseFromAction(action: string | undefined): string {
  if (!action) return 'op';
  if (action === 'recordResponse' || action === 'record') return 'recordOp';
  return `${action}Op`;
}

/** The action a call path names: `/calls/{id}/participants/invite` -> invite. */
function actionOf(canonical: string): string | undefined {
  const segs = canonical.split('/').filter(Boolean);
  const last = segs[segs.length - 1];
  return last && !isGuidLike(last) && !/^calls$/i.test(last) ? last.replace(/[^A-Za-z0-9]/g, '') : undefined;
}

function contextBase(m: ExpectMsg): string {
  const canonical = m.path.replace(/\/microsoft\.graph\./gi, '/');
  if (/\/calls\/?$/i.test(canonical)) return 'create';
  return actionOf(canonical) ?? 'client';
}

// ====================================================================== transcripts

export interface TranscriptToRecordingOptions {
  /** upstream base URLs the requests are put under (default: the real services) */
  graph?: string;
  login?: string;
  auth?: string;
  /** the bot's webhook (default: where the first notification went) */
  botUrl?: string;
}

/**
 * A Recording of what a flow run exchanged (its transcript): notifications with the bot's acks,
 * the bot's Graph requests with the harness's answers, token requests (the transcript keeps no
 * headers or bodies for those). Useful to make a flow from a run, and to test the converter
 * without a live call.
 */
export function transcriptToRecording(t: Transcript, opts: TranscriptToRecordingOptions = {}): Recording {
  const graph = (opts.graph ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
  const login = (opts.login ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const auth = (opts.auth ?? 'https://api.aps.skype.com').replace(/\/+$/, '');
  const entries = t.entries;
  const exchanges: RecordedExchange[] = [];
  const used = new Set<TranscriptEntry>();
  const answerTo = (from: number, kind: TranscriptEntry['kind'], step?: number) => {
    for (let j = from + 1; j < entries.length; j++) {
      const e = entries[j]!;
      if (used.has(e)) continue;
      if (e.kind === kind && (step === undefined || e.step === step)) {
        used.add(e);
        return e;
      }
    }
    return undefined;
  };
  const text = (body: unknown) => (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
  const headers = (h: Record<string, string> | undefined) => lowerKeys(h ?? {});
  const response = (e: TranscriptEntry | undefined): RecordedExchange['response'] =>
    e ? { status: e.status ?? 0, headers: headers(e.headers), body: text(e.body) } : { error: 'no answer was recorded' };
  let botUrl = opts.botUrl;
  entries.forEach((e, i) => {
    if (e.kind === 'notification') {
      const ack = answerTo(i, 'ack', e.step);
      botUrl ??= e.url;
      exchanges.push({
        seq: exchanges.length,
        at: e.at,
        direction: 'inbound',
        service: 'notification',
        request: { method: e.method ?? 'POST', url: urlPath(e.url ?? '/'), headers: headers(e.headers), body: text(e.body) },
        response: response(ack),
        relayOverheadMs: 0,
        totalMs: ack?.latencyMs ?? 0,
      });
    } else if (e.kind === 'request' && e.method !== 'CONNECT') {
      const res = answerTo(i, 'response');
      exchanges.push({
        seq: exchanges.length,
        at: e.at,
        direction: 'outbound',
        service: 'graph',
        request: { method: e.method ?? 'GET', url: `${graph}${e.url ?? '/'}`, headers: headers(e.headers), body: text(e.body) },
        response: response(res),
        relayOverheadMs: 0,
        totalMs: res?.latencyMs ?? 0,
      });
    } else if (e.kind === 'token-request') {
      const res = answerTo(i, 'token-response');
      exchanges.push({
        seq: exchanges.length,
        at: e.at,
        direction: 'outbound',
        service: 'login',
        request: { method: e.method ?? 'POST', url: `${login}${e.url ?? '/'}`, headers: {}, body: '' },
        response: response(res),
        relayOverheadMs: 0,
        totalMs: res?.latencyMs ?? 0,
      });
    }
  });
  return { version: 1, startedAt: t.startedAt, botUrl: botUrl ?? 'http://127.0.0.1:3978/api/calls', upstream: { graph, login, auth }, exchanges };
}
