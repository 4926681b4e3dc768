/**
 * One run of one flow against one bot: the sequencer. It mints the run's ids, sends notifications
 * and triggers in order, matches the bot's requests (handed over by the Router) against the steps,
 * answers them as the flow says, carries captured values forward, and records findings and the
 * transcript. The driver calls runStep() for each step in order (the Playwright suite wraps each
 * call in a test.step), then finish().
 *
 * Ordering model: a notify or trigger step is "released" once sent; an expect step once matched.
 * A request is accepted for the first unreleased expect step only when every step before it is
 * released, so a bot that acts before the notification it must wait for is caught, while a bot
 * that answers a notification before the harness has read its 202 is not penalised.
 */
import { randomUUID } from 'node:crypto';
import type { Scope } from '../flow/templates.js';
import { canonicalBody, canonicalPath, callIdOfPath, isBetaPath, pathShape } from './canonical.js';
import type { Finding, Mismatch } from './findings.js';
import { normalizeId } from './ids.js';
import { IdNames } from './id-names.js';
import type { MatchContext } from './matchers.js';
import type { CompiledExpect, CompiledFlow, CompiledNotify, CompiledStep, CompiledTrigger } from './plan.js';
import { BotUnreachableError, type AuthVariant, type BotResponse, type InboundRequest, type OutboundResponse } from './ports.js';
import type { EntryKind, Party, Transcript, TranscriptEntry } from './transcript.js';
import { closestRequest, type SentRequest } from './near-miss.js';
import { actionLabel, bodyDiff, describeVariant, graphError, legacyNameHint, notificationLabel, parseMaybeJson, pathMismatches, pick, queryOf, round } from './explain.js';
import type { FlowOutcome, FlowRunOptions, ObserverContext, RequestAuth, StepOutcome } from './run-types.js';

export type { BotLiveness, FlowOutcome, FlowRunOptions, ObserverContext, RequestAuth, RunObserver, StepOutcome } from './run-types.js';
export { describeVariant, graphError } from './explain.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export class FlowRun {
  readonly flow: CompiledFlow;
  readonly findings: Finding[] = [];
  readonly warnings: Finding[] = [];
  readonly transcript: Transcript;
  /** normalized form of every id minted for this run (the Router routes on these) */
  readonly mintedIds: string[] = [];
  private readonly scope = new Map<string, unknown>();
  private readonly idNames = new IdNames();
  private readonly released: boolean[];
  private readonly matched = new Set<CompiledExpect>();
  private readonly expectedPaths = new Map<CompiledExpect, string>();
  /** normalized call id -> the callbackUri the bot registered for it (answer / create) */
  private readonly callbacks = new Map<string, string>();
  private readonly start = performance.now();
  private waiter: (() => void) | undefined;
  private pendingAck: Promise<unknown> = Promise.resolve();
  private state: 'running' | 'quiet' | 'ended' | 'probing' = 'running';
  /** the broken token variant being probed (auth conformance), if any */
  private probe: AuthVariant | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** why the token endpoint refused the bot's token requests during this run (named in the failure) */
  private readonly tokenRefusals: string[] = [];
  /** when a step was last released (the Router hands an ambiguous request to the run waiting longest) */
  private releasedAt = performance.now();
  private readonly unsubscribeBot: (() => void) | undefined;

  constructor(private readonly opts: FlowRunOptions) {
    this.flow = opts.flow;
    this.released = opts.flow.steps.map(() => false);
    for (const name of opts.flow.ids) {
      // the tenant is the harness's, the same for every run: bots cache tokens for it
      const id = name === 'tenant' && opts.tenant ? opts.tenant : randomUUID();
      this.scope.set(name, id);
      this.idNames.add(id, name);
      if (id !== opts.tenant) this.mintedIds.push(normalizeId(id));
    }
    if (opts.tenant && !this.scope.has('tenant')) this.scope.set('tenant', opts.tenant);
    for (const [k, v] of Object.entries(opts.flow.values)) this.scope.set(k, v);
    this.unsubscribeBot = opts.bot?.onExit(() => this.botExited());
    this.scope.set('graph', opts.graphBaseUrl);
    this.scope.set('botAppId', opts.botAppId);
    this.scope.set('botUrl', new URL(opts.webhookUrl).origin);
    this.scope.set('now', new Date().toISOString());
    this.transcript = { flow: opts.flow.name, startedAt: new Date().toISOString(), entries: [], idNames: this.idNames.byValue };
    this.observerContext = {
      flow: opts.flow,
      currentStep: () => Math.min(this.firstUnreleased(), this.flow.steps.length - 1) + 1,
      stepOf: (entry) => (entry.step !== undefined ? entry.step + 1 : this.observerContext.currentStep()),
      report: (f) => (f.severity === 'warning' ? this.warnings.push(f) : this.fail(f)),
      describe: (v) => this.describe(v),
      describePath: (p) => this.describePath(p),
      valueOf: (name) => this.scope.get(name),
    };
  }

  get steps(): readonly CompiledStep[] {
    return this.flow.steps;
  }

  get failed(): boolean {
    return this.findings.length > 0;
  }

  /** The value of a minted id, a value or a capture (for tests and reports). */
  valueOf(name: string): unknown {
    return this.scope.get(name);
  }

  /** Runs step `index`. Steps must be run in order. */
  async runStep(index: number): Promise<StepOutcome> {
    const step = this.flow.steps[index]!;
    const base = { index, name: step.name, kind: step.kind };
    if (this.failed) return { ...base, status: 'skipped' };
    this.scope.set('now', new Date().toISOString());
    switch (step.kind) {
      case 'notify':
        await this.notify(step);
        break;
      case 'trigger':
        await this.trigger(step);
        break;
      case 'expect':
      case 'unordered':
        await this.awaitExpectations(index);
        break;
    }
    const finding = this.findings[0];
    return finding ? { ...base, status: 'failed', finding } : { ...base, status: 'passed' };
  }

  /** After the last step: waits for outstanding acknowledgements, then the quiet period. */
  async finish(): Promise<FlowOutcome> {
    await this.pendingAck;
    if (!this.failed) {
      this.state = 'quiet';
      await this.sleep(this.flow.quietMs);
    }
    if (!this.failed) for (const o of this.opts.observers ?? []) o.onEnd?.(this.observerContext);
    this.state = 'ended';
    this.dispose();
    return this.outcome();
  }

  private outcome(): FlowOutcome {
    return { flow: this.flow.name, status: this.failed ? 'failed' : 'passed', findings: this.findings, warnings: this.warnings, transcript: this.transcript };
  }

  /** Runs every step, then finish(). */
  async run(): Promise<FlowOutcome> {
    for (let i = 0; i < this.flow.steps.length && !this.failed; i++) await this.runStep(i);
    return this.finish();
  }

  /** Stops timers and wakes anything waiting. Safe to call twice. */
  dispose(): void {
    this.unsubscribeBot?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.state = 'ended';
    this.wake();
  }

  // ---------------------------------------------------------------- requests from the bot

  /**
   * Matches a Graph request routed to this run and returns the answer. `auth` is what the Router
   * knows of its bearer token (a problem with it, its tenant). Hot path: keep it lean.
   */
  handleRequest(req: InboundRequest, auth: RequestAuth = {}): OutboundResponse {
    const t0 = performance.now();
    const canonical = canonicalPath(req.path);
    // the 2019 names (callback, acceptModalities) are beta's; on v1.0 they are unknown properties
    const body = isBetaPath(canonical) ? canonicalBody(req.body) : req.body;
    // a body that is not JSON is kept verbatim: the transcript shows what the bot sent
    const shown = req.body === undefined && req.rawBody !== '' ? req.rawBody : req.body;
    // observers see the request after the flow's own matching: when both object, the flow's
    // expectation is the more specific explanation and its finding comes first
    const requestEntry = this.record('bot', 'graph', 'request', { method: req.method, url: req.path, headers: req.headers, body: shown, label: actionLabel(req.method, canonical) }, false);
    const respond = (res: OutboundResponse, step?: number, failed = false): OutboundResponse => {
      requestEntry.step = step;
      if (failed) requestEntry.failed = true;
      this.observe(requestEntry);
      this.record('graph', 'bot', 'response', { status: res.status, headers: res.headers, body: res.body, step, latencyMs: performance.now() - t0, label: String(res.status) });
      return res;
    };

    if (this.failed) return respond(graphError(503, 'callreplay.flowFailed', `flow ${this.flow.name} already failed; see the report`));
    if (this.state === 'probing') {
      this.fail({
        kind: 'auth-accepted',
        step: 1,
        stepName: this.flow.steps[0]!.name,
        message: `after a notification with ${describeVariant(this.probe!)}, the bot sent ${req.method} ${this.describePath(req.path)}: it must not act on a notification it cannot authenticate`,
        received: { method: req.method, url: req.path, body: req.body },
      });
      return respond(graphError(403, 'Forbidden', 'callreplay: request caused by an unauthenticated notification'), 0, true);
    }
    const refusal = this.authRefusal(req, canonical, auth);
    if (refusal) {
      const k = this.firstUnreleased();
      const step = this.flow.steps[Math.min(k, this.flow.steps.length - 1)]!;
      this.fail({ ...refusal.finding, step: step.index + 1, stepName: step.name, received: { method: req.method, url: req.path, body: shown } });
      return respond(refusal.response, step.index, true);
    }
    const k = this.firstUnreleased();
    if (this.state !== 'running' || k >= this.flow.steps.length) {
      if (this.flow.unmatched === 'ignore') return respond(this.graphAnswer(req));
      const last = this.flow.steps.length;
      this.fail({
        kind: 'unexpected',
        step: last,
        stepName: this.flow.steps[last - 1]!.name,
        message: `unexpected request after the flow's last step: ${req.method} ${this.describePath(req.path)} (the flow lists no further requests)`,
        received: { method: req.method, url: req.path, body: req.body },
      });
      return respond(graphError(400, 'callreplay.unexpectedRequest', 'this request is not in the flow'), undefined, true);
    }

    const candidate = this.flow.steps[k];
    const open = candidate && (candidate.kind === 'expect' || candidate.kind === 'unordered') ? this.openExpects(candidate) : [];

    // 1. the request the flow waits for now
    for (const exp of open) {
      if (exp.method === req.method && this.expectedPath(exp) === canonical) {
        return this.accept(exp, req, body, canonical, respond);
      }
    }
    // 2. a request the flow lists later: out of order
    const later = this.findLater(k, req.method, canonical);
    if (later) {
      const pending = this.flow.steps.slice(k, later.index).filter((s) => !this.released[s.index]);
      const waitFor = pending.map((s) => `step ${s.index + 1} (${s.name})`).join(', ');
      const what = pending.every((s) => s.kind === 'notify') ? 'was delivered' : 'happened';
      this.fail({
        kind: 'out-of-order',
        step: k + 1,
        stepName: candidate!.name,
        message: `${req.method} ${this.describePath(req.path)} (step ${later.index + 1}, ${later.name}) was sent before ${waitFor} ${what}: the bot must wait for it`,
        received: { method: req.method, url: req.path, body: req.body },
        expected: open.length ? open.map((e) => this.explainExpect(e)).join('; ') : undefined,
      });
      return respond(graphError(400, 'callreplay.outOfOrder', 'request sent out of order'), later.index, true);
    }
    // 3. the request meant for the open step, but to the wrong resource
    const shape = pathShape(canonical);
    for (const exp of open) {
      const want = this.expectedPath(exp);
      if (exp.method === req.method && want !== '' && pathShape(want) === shape) {
        this.fail({
          kind: 'incorrect',
          step: k + 1,
          stepName: candidate!.name,
          message: `${req.method} ${this.describePath(req.path)} went to the wrong resource: expected ${exp.method} ${this.displayPath(exp)}`,
          mismatches: pathMismatches(want, canonical, (v) => this.describe(v)),
          received: { method: req.method, url: req.path, body: req.body },
          expected: this.explainExpect(exp),
        });
        return respond(graphError(404, '8522', 'Call not found (callreplay: wrong resource for this step)'), k, true);
      }
    }
    // 4. a repeat of a request the flow already had: the bot acted twice (e.g. on a duplicate notification)
    const repeated = this.findMatched(req.method, canonical);
    if (repeated && req.method !== 'GET') {
      this.fail({
        kind: 'unexpected',
        step: k + 1 <= this.flow.steps.length ? k + 1 : undefined,
        stepName: candidate?.name,
        message: `${req.method} ${this.describePath(req.path)} was sent again: the flow lists it once (step ${repeated.index + 1}, ${repeated.name}); a bot must act once even when Graph delivers a notification twice`,
        received: { method: req.method, url: req.path, body: req.body },
      });
      return respond(graphError(409, 'callreplay.repeatedRequest', 'this request was already sent'), undefined, true);
    }
    // 5. not in the flow at all
    if (this.flow.unmatched === 'ignore') return respond(this.graphAnswer(req));
    const near = open.map((e) => ({ e, miss: closestRequest({ method: e.method, canonical: this.expectedPath(e) }, [{ method: req.method, canonical, url: req.path }]) })).find((n) => n.miss);
    this.fail({
      kind: 'unexpected',
      step: k + 1 <= this.flow.steps.length ? k + 1 : undefined,
      stepName: candidate?.name,
      message: `unexpected request ${req.method} ${this.describePath(req.path)}: the flow does not list it${open.length ? '' : ` (the flow was at step ${k + 1}, ${candidate?.kind} ${candidate?.name})`}${near ? `; the flow waits for ${near.e.method} ${this.displayPath(near.e)} (step ${near.e.index + 1}): this is ${near.miss!.why}` : ''}`,
      received: { method: req.method, url: req.path, body: req.body },
      expected: open.length ? `the flow was waiting for ${open.map((e) => this.explainExpect(e)).join('; ')}` : undefined,
      suggestion: this.idNames.suggestStep(req.method, req.path, canonical),
    });
    return respond(graphError(400, 'callreplay.unexpectedRequest', 'this request is not in the flow'), undefined, true);
  }

  /**
   * Why Graph would refuse the request's token: none or not ours or expired (401), a token for
   * another tenant than the call's (the tenant the harness runs as), or a delegated token on the
   * calling API, which takes application permissions only.
   */
  private authRefusal(req: InboundRequest, canonical: string, auth: RequestAuth): { finding: Omit<Finding, 'step'>; response: OutboundResponse } | undefined {
    const what = `${req.method} ${this.describePath(req.path)}`;
    if (auth.problem) {
      return {
        finding: { kind: 'unauthorized', message: `${what} ${auth.problem}` },
        response: graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure (callreplay: see the report).'),
      };
    }
    const tenant = this.scope.get('tenant');
    if (auth.tenant && typeof tenant === 'string' && normalizeId(auth.tenant) !== normalizeId(tenant)) {
      return {
        finding: {
          kind: 'wrong-tenant',
          message: `${what}: the bot's token is for tenant ${auth.tenant}, the call's tenant is ${tenant} (the tenantId of the call): Graph refuses a token for another tenant. A bot configured with one tenant: run callreplay with --tenant ${auth.tenant}`,
        },
        response: graphError(403, 'Forbidden', `callreplay: the token is for tenant ${auth.tenant}, not the call's tenant ${tenant}`),
      };
    }
    if (auth.kind === 'delegated' && /\/(?:communications|app)\/calls(?:\/|$)/.test(canonical)) {
      return {
        finding: {
          kind: 'unauthorized',
          message: `${what} carries a delegated (signed-in user) token: the calling API takes application tokens only (Graph: "Delegated (work or school account): Not supported"); use the client-credentials token`,
        },
        response: graphError(403, 'Forbidden', 'callreplay: the calling API does not support delegated permissions'),
      };
    }
    return undefined;
  }

  private accept(
    exp: CompiledExpect,
    req: InboundRequest,
    body: unknown,
    canonical: string,
    respond: (res: OutboundResponse, step?: number, failed?: boolean) => OutboundResponse,
  ): OutboundResponse {
    const ctx = this.matchContext();
    const mismatches: Mismatch[] = [];
    if (req.body === undefined && req.rawBody.trim() !== '') {
      // a body that is not JSON: name it, bytes and all, rather than "expected an object, got nothing"
      const type = req.headers['content-type'] ?? 'no content type';
      mismatches.push({ path: 'body', expected: exp.body ? 'a JSON body' : 'JSON or no body', actual: `a body that is not JSON (${type}, ${Buffer.byteLength(req.rawBody)} bytes): ${JSON.stringify(req.rawBody.length > 120 ? `${req.rawBody.slice(0, 117)}...` : req.rawBody)}` });
    } else if (exp.body) {
      exp.body.match(body, 'body', ctx, mismatches);
      if (!isBetaPath(canonical)) for (const m of mismatches) m.actual += legacyNameHint(m, body);
    }
    for (const [name, m] of exp.headers) {
      const value = req.headers[name];
      if (value === undefined && !(m.type === 'absent' || m.type === 'empty')) {
        mismatches.push({ path: `headers.${name}`, expected: m.explain(ctx), actual: 'nothing (header missing)' });
      } else m.match(value, `headers.${name}`, ctx, mismatches);
    }
    const view = exp.captures.length === 0 ? undefined : { body, headers: req.headers, query: queryOf(req.path) };
    for (const c of exp.captures) {
      const value = pick(view!, c.segments);
      if (value === undefined && !c.optional) mismatches.push({ path: c.source, expected: `a value to keep as \${${c.name}}`, actual: 'nothing' });
      else this.scope.set(c.name, value);
    }
    if (mismatches.length > 0) {
      this.fail({
        kind: 'incorrect',
        step: exp.index + 1,
        stepName: exp.name,
        message: `${mismatches[0]!.path}: expected ${mismatches[0]!.expected}, got ${mismatches[0]!.actual}${mismatches.length > 1 ? ` (and ${mismatches.length - 1} more difference(s))` : ''}`,
        mismatches,
        received: { method: req.method, url: req.path, body: req.body },
        expected: this.explainExpect(exp),
        diff: exp.body ? bodyDiff(exp.body.sample(ctx), exp.body.project(body)) : undefined,
      });
      return respond(graphError(400, 'callreplay.requestMismatch', `request does not match step ${exp.index + 1} (${exp.name})`), exp.index, true);
    }
    const res: OutboundResponse = exp.respond
      ? {
          status: exp.respond.status,
          headers: exp.respond.headers ? (exp.respond.headers(this.scope) as Record<string, string>) : {},
          body: exp.respond.body ? exp.respond.body(this.scope) : undefined,
        }
      : this.graphAnswer(req);
    this.registerCallback(body, canonical, res);
    this.matched.add(exp);
    const step = this.flow.steps[exp.index]!;
    if (step.kind === 'expect' || this.openExpects(step).length === 0) {
      this.released[exp.index] = true;
      this.releasedAt = performance.now();
      this.wake();
    }
    return respond(res, exp.index);
  }

  /** The bot's callbackUri for a call (answer: the call in the path; create: the call in the answer). */
  private registerCallback(body: unknown, canonical: string, res: OutboundResponse): void {
    const uri = (body as { callbackUri?: unknown } | undefined)?.callbackUri;
    if (typeof uri !== 'string') return;
    let callId = callIdOfPath(canonical);
    if (!callId) {
      const location = res.headers['Location'] ?? res.headers['location'];
      const created = (res.body as { id?: unknown } | undefined)?.id;
      const source = typeof created === 'string' ? created : location ? location.split('/').pop() : undefined;
      if (source) callId = normalizeId(source);
    }
    if (callId) this.callbacks.set(callId, uri);
  }

  // ---------------------------------------------------------------- steps driven by the harness

  private async notify(step: CompiledNotify): Promise<void> {
    await this.pendingAck; // notifications are delivered one at a time
    if (step.delayMs > 0) await this.sleep(step.delayMs);
    if (this.failed || this.state === 'ended') return;
    const body = step.body(this.scope);
    const url = this.notificationUrl(step, body);
    const headers = await this.notificationHeaders(step);
    const entry = this.record('graph', 'bot', 'notification', { step: step.index, method: 'POST', url, headers, body, label: notificationLabel(body, (id) => this.idNames.nameOf(id)) });
    this.released[step.index] = true;
    this.releasedAt = performance.now();
    const ack = this.exchange(step, { method: 'POST', url, headers, body: JSON.stringify(body), timeoutMs: step.timeoutMs }, 'ack', entry, 'notification');
    this.pendingAck = ack;
    await ack;
  }

  private async trigger(step: CompiledTrigger): Promise<void> {
    await this.pendingAck;
    if (this.failed) return;
    const path = String(step.path(this.scope));
    const url = new URL(path, this.opts.webhookUrl).toString();
    const body = step.body ? step.body(this.scope) : undefined;
    const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(step.headers ? (step.headers(this.scope) as Record<string, string>) : {}) };
    const entry = this.record('graph', 'bot', 'trigger', { step: step.index, method: step.method, url, headers, body, label: `trigger: ${step.name}` });
    this.released[step.index] = true;
    this.releasedAt = performance.now();
    await this.exchange(step, { method: step.method, url, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: step.timeoutMs }, 'trigger-response', entry, 'trigger');
  }

  /** Sends one request to the bot and checks it answered 2xx in time. */
  private async exchange(
    step: CompiledNotify | CompiledTrigger,
    req: { method: string; url: string; headers: Record<string, string>; body?: string; timeoutMs: number },
    kind: EntryKind,
    sent: TranscriptEntry,
    what: string,
  ): Promise<void> {
    let res: BotResponse;
    try {
      res = await this.opts.http.send(req);
    } catch (e) {
      sent.failed = true;
      const unreachable = e instanceof BotUnreachableError ? e : undefined;
      if (this.opts.bot && unreachable?.reason !== 'timeout') await this.botExitSettled(BOT_EXIT_SETTLE_MS);
      if (this.opts.bot?.exitDescription !== undefined) return this.botExited();
      this.fail({
        kind: unreachable?.reason === 'timeout' ? 'bad-ack' : 'bot-unavailable',
        step: step.index + 1,
        stepName: step.name,
        message:
          unreachable?.reason === 'timeout'
            ? `the bot did not answer the ${what} "${step.name}" within ${req.timeoutMs} ms (POST ${req.url})`
            : `could not deliver the ${what} "${step.name}" to ${req.url}: ${(e as Error).message}`,
      });
      return;
    }
    const entry = this.record('bot', 'graph', kind, { step: step.index, status: res.status, headers: res.headers, body: parseMaybeJson(res.body), latencyMs: res.latencyMs, label: `${res.status}` });
    if (res.status < 200 || res.status > 299) {
      entry.failed = true;
      this.fail({
        kind: 'bad-ack',
        step: step.index + 1,
        stepName: step.name,
        message: `the bot answered the ${what} "${step.name}" with HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''} (expected 2xx)`,
      });
    }
  }

  private async awaitExpectations(index: number): Promise<void> {
    const step = this.flow.steps[index]!;
    if (this.released[index]) return;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiter = undefined;
        resolve(false);
      }, step.timeoutMs);
      this.timers.add(timer);
      this.waiter = () => {
        if (this.released[index] || this.failed || this.state === 'ended') {
          clearTimeout(timer);
          this.timers.delete(timer);
          this.waiter = undefined;
          resolve(true);
        }
      };
    });
    if (ok || this.failed || this.state === 'ended') return;
    const missing = step.kind === 'unordered' ? this.openExpects(step) : [step as CompiledExpect];
    const waited = `(waited ${step.timeoutMs} ms${this.lastNotificationNote(index)})`;
    const near = this.nearMissOf(missing);
    this.fail({
      kind: 'missing',
      step: index + 1,
      stepName: step.name,
      message: near
        ? `the bot did not send ${near.expect.method} ${this.displayPath(near.expect)}; the closest request it sent is ${near.request.method} ${this.describePath(near.request.url)}: ${near.why} ${waited}`
        : `the bot never sent ${missing.map((e) => `${e.method} ${this.displayPath(e)}`).join(' and ')} ${waited}`,
      expected: missing.map((e) => this.explainExpect(e)).join('; '),
      received: near ? { method: near.request.method, url: near.request.url, body: near.request.body } : undefined,
    });
  }

  /** The request the bot sent that comes closest to one of `expects` without matching it (near-miss.ts). */
  private nearMissOf(expects: readonly CompiledExpect[]): { expect: CompiledExpect; request: SentRequest & { body?: unknown }; why: string } | undefined {
    const sent = this.transcript.entries
      .filter((e) => e.kind === 'request' && e.method !== undefined && e.url !== undefined && (e.step === undefined || e.failed))
      .map((e) => ({ method: e.method!, url: e.url!, canonical: canonicalPath(e.url!), body: e.body }));
    for (const exp of expects) {
      const want = this.expectedPath(exp);
      const near = want ? closestRequest({ method: exp.method, canonical: want }, sent) : undefined;
      if (near) return { expect: exp, request: near.request, why: near.why };
    }
    return undefined;
  }

  /** A way in refused a destination the bot tried to reach (see Router.refused). */
  reportRefused(destination: string, via: string): void {
    const k = Math.min(this.firstUnreleased(), this.flow.steps.length - 1);
    this.record('bot', 'graph', 'request', { method: 'CONNECT', url: destination, label: `refused: ${destination}`, failed: true, step: k });
    this.fail({
      kind: 'forbidden-destination',
      step: k + 1,
      stepName: this.flow.steps[k]!.name,
      message: `the bot tried to reach ${destination} (${via}); callreplay refused it and nothing was sent: during a run a bot may only reach Graph, the login endpoint and loopback`,
    });
  }

  /**
   * Auth conformance: sends the flow's first notification with a broken token and checks that the
   * bot refuses it (401 or 403) and sends no Graph request because of it. Use a fresh run per variant.
   */
  async probeAuth(variant: AuthVariant): Promise<FlowOutcome> {
    const step = this.flow.steps[0];
    if (step?.kind !== 'notify') throw new Error(`flow ${this.flow.name} does not start with a notification: there is nothing to probe`);
    this.state = 'probing';
    this.probe = variant;
    const body = step.body(this.scope);
    const url = this.notificationUrl(step, body);
    const headers = await this.notificationHeaders(step, variant);
    const entry = this.record('graph', 'bot', 'notification', { step: 0, method: 'POST', url, headers, body, label: `${notificationLabel(body, (id) => this.idNames.nameOf(id))} (${variant})` });
    try {
      const res = await this.opts.http.send({ method: 'POST', url, headers, body: JSON.stringify(body), timeoutMs: step.timeoutMs });
      const ack = this.record('bot', 'graph', 'ack', { step: 0, status: res.status, headers: res.headers, body: parseMaybeJson(res.body), latencyMs: res.latencyMs, label: `${res.status}` });
      if (res.status !== 401 && res.status !== 403) {
        ack.failed = true;
        this.fail({
          kind: 'auth-accepted',
          step: 1,
          stepName: step.name,
          message: `the bot answered a notification with ${describeVariant(variant)} with HTTP ${res.status}: it must refuse it with 401 or 403`,
        });
      }
    } catch (e) {
      entry.failed = true;
      this.fail({ kind: 'bot-unavailable', step: 1, stepName: step.name, message: `could not deliver the notification "${step.name}" to ${url}: ${(e as Error).message}` });
    }
    if (!this.failed) await this.sleep(PROBE_QUIET_MS); // time for a bot that refused but acts anyway
    this.state = 'ended';
    this.dispose();
    return this.outcome();
  }

  private async notificationHeaders(step: CompiledNotify, variant?: AuthVariant): Promise<Record<string, string>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const tenant = this.scope.get('tenant');
    const authorization = this.opts.signer ? await this.opts.signer.authorization(typeof tenant === 'string' ? tenant : undefined, variant) : undefined;
    if (authorization !== undefined) headers['authorization'] = authorization;
    return { ...headers, ...(step.headers ? (step.headers(this.scope) as Record<string, string>) : {}) };
  }

  /** What Graph answers to a request (the Harness plugs in its fake Graph); 202 without one. */
  private graphAnswer(req: InboundRequest): OutboundResponse {
    return this.opts.defaultAnswer?.(req) ?? { status: 202, headers: {} };
  }

  /** True when the step the run is at now waits for exactly this request (used to route creates). */
  waitsFor(method: string, canonical: string): boolean {
    const step = this.flow.steps[this.firstUnreleased()];
    return !!step && this.openExpects(step).some((e) => e.method === method && this.expectedPath(e) === canonical);
  }

  // ---------------------------------------------------------------- helpers

  private firstUnreleased(): number {
    let i = 0;
    while (i < this.released.length && this.released[i]) i++;
    return i;
  }

  private openExpects(step: CompiledStep): CompiledExpect[] {
    if (step.kind === 'expect') return this.matched.has(step) ? [] : [step];
    if (step.kind === 'unordered') return step.expects.filter((e) => !this.matched.has(e));
    return [];
  }

  /** The first later expect step whose method and path match. */
  private findLater(from: number, method: string, canonical: string): CompiledExpect | undefined {
    for (let i = from + 1; i < this.flow.steps.length; i++) {
      for (const exp of this.openExpects(this.flow.steps[i]!)) {
        if (exp.method === method && this.expectedPath(exp) === canonical) return exp;
      }
    }
    return undefined;
  }

  /** An expect step already matched by a request with this method and path. */
  private findMatched(method: string, canonical: string): CompiledExpect | undefined {
    for (const exp of this.matched) if (exp.method === method && this.expectedPath(exp) === canonical) return exp;
    return undefined;
  }

  /** The canonical expected path; '' when it needs a value not captured yet. */
  private expectedPath(exp: CompiledExpect): string {
    let p = this.expectedPaths.get(exp);
    if (p === undefined) {
      try {
        p = canonicalPath(String(exp.path(this.scope)));
      } catch {
        return '';
      }
      this.expectedPaths.set(exp, p);
    }
    return p;
  }

  private notificationUrl(step: CompiledNotify, body: unknown): string {
    let url: string | undefined;
    if (step.to === 'webhook') url = this.opts.webhookUrl;
    else if (step.to === 'auto') {
      const first = (body as { value?: Array<{ resourceUrl?: string; resource?: string }> }).value?.[0];
      const resource = first?.resourceUrl ?? first?.resource;
      const callId = resource ? callIdOfPath(canonicalPath(resource)) : undefined;
      url = (callId && this.callbacks.get(callId)) || this.opts.webhookUrl;
    } else url = String(step.to(this.scope));
    return this.toBotAddress(url);
  }

  /** Notifications only ever go to loopback: a public callbackUri is mapped onto the bot's own origin. */
  private toBotAddress(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url, this.opts.webhookUrl);
    } catch {
      return this.opts.webhookUrl;
    }
    if (LOOPBACK_HOSTS.has(parsed.hostname)) return parsed.toString();
    const bot = new URL(this.opts.webhookUrl);
    return `${bot.origin}${parsed.pathname}${parsed.search}`;
  }

  private lastNotificationNote(index: number): string {
    for (let i = index - 1; i >= 0; i--) {
      const s = this.flow.steps[i]!;
      if (s.kind === 'notify' || s.kind === 'trigger') return `; last sent: step ${i + 1}, ${s.name}`;
    }
    return '';
  }

  private explainExpect(exp: CompiledExpect): string {
    const ctx = this.matchContext();
    return `step ${exp.index + 1} (${exp.name}): ${exp.method} ${this.displayPath(exp)}${exp.body ? ` with body ${exp.body.explain(ctx)}` : ''}`;
  }

  private matchContext(): MatchContext {
    return { scope: this.scope as Scope, describe: (v) => this.describe(v) };
  }

  /** The expected path as the flow spells it, ids by name (the template itself if it cannot render yet). */
  private displayPath(exp: CompiledExpect): string {
    try {
      return this.describePath(String(exp.path(this.scope)));
    } catch {
      return exp.pathTemplate;
    }
  }

  /** A value for messages: known ids by name. */
  describe(value: unknown): string {
    return this.idNames.describe(value);
  }

  /** A path with known ids replaced by {name}. */
  describePath(path: string): string {
    return this.idNames.describePath(path);
  }

  /** what observers get: built once per run */
  private readonly observerContext: ObserverContext;

  private fail(finding: Finding): void {
    if (this.findings.length > 0) return; // the first finding is the cause; later ones are consequences
    if (this.tokenRefusals.length > 0) finding = { ...finding, message: `${finding.message}; meanwhile ${this.tokenRefusals.join('; ')}` };
    this.findings.push(finding);
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private record(from: Party, to: Party, kind: EntryKind, fields: Omit<TranscriptEntry, 'seq' | 'at' | 'from' | 'to' | 'kind'>, observe = true): TranscriptEntry {
    const entry: TranscriptEntry = { seq: this.transcript.entries.length, at: round(performance.now() - this.start), from, to, kind, ...fields };
    if (entry.latencyMs !== undefined) entry.latencyMs = round(entry.latencyMs);
    this.transcript.entries.push(entry);
    this.opts.onEntry?.(entry);
    if (observe) this.observe(entry);
    return entry;
  }

  private observe(entry: TranscriptEntry): void {
    if (this.opts.observers && this.state !== 'probing') for (const o of this.opts.observers) o.onEntry(entry, this.observerContext);
  }

  /**
   * Marks a request of this run as answered by the token service (for the transcript). `refusal`
   * says why the endpoint refused it: the run's failure, if any, names it.
   */
  recordToken(req: InboundRequest, res: OutboundResponse, latencyMs: number, refusal?: string): void {
    if (this.state === 'ended') return;
    this.record('bot', 'graph', 'token-request', { method: req.method, url: req.path, label: 'token request' });
    const entry = this.record('graph', 'bot', 'token-response', { status: res.status, latencyMs, body: refusal ? res.body : undefined, label: refusal ? `${res.status} token refused` : `${res.status} token` });
    if (refusal) {
      entry.failed = true;
      if (!this.tokenRefusals.includes(refusal)) this.tokenRefusals.push(refusal);
    }
  }

  /**
   * A request the Router could give to no run, or that names a run that ended: kept in this run's
   * transcript (nothing the bot sends is lost) and judged by nobody; a `missing` finding may name it
   * as the closest request.
   */
  recordStray(req: InboundRequest, reason: string): void {
    if (this.state === 'ended') return;
    const body = req.body === undefined && req.rawBody !== '' ? req.rawBody : req.body;
    this.record('bot', 'graph', 'request', { method: req.method, url: req.path, headers: req.headers, body, label: `stray: ${actionLabel(req.method, canonicalPath(req.path))} (${reason})` }, false);
  }

  /** When the run last released a step: the Router gives a request several runs wait for to the one waiting longest. */
  get waitingSince(): number {
    return this.releasedAt;
  }

  /** The bot process exited while this run needed it. */
  private botExited(): void {
    if (this.state === 'ended' || this.failed) return;
    const k = Math.min(this.firstUnreleased(), this.flow.steps.length - 1);
    const step = this.flow.steps[k]!;
    const output = this.opts.bot!.lastOutput(BOT_EXIT_LINES).trimEnd();
    this.fail({
      kind: 'bot-unavailable',
      step: k + 1,
      stepName: step.name,
      message: `the bot process ${this.opts.bot!.exitDescription ?? 'exited'} during step ${k + 1} (${step.name})${output ? `; its last output:\n${output.split('\n').map((l) => `    ${l}`).join('\n')}` : '; it printed nothing'}`,
    });
  }

  /** Resolves once the bot has exited, or after `ms`: a refused connection often comes just before the exit event. */
  private botExitSettled(ms: number): Promise<void> {
    const bot = this.opts.bot;
    if (!bot || bot.exitDescription !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        off();
        resolve();
      }, ms);
      const off = bot.onExit(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

// ------------------------------------------------------------------ module helpers

/** Lines of the bot's output a bot-unavailable finding shows. */
const BOT_EXIT_LINES = 5;
/** How long a refused delivery waits for the bot's exit event, to report the exit rather than the refusal. */
const BOT_EXIT_SETTLE_MS = 300;

/** How long an auth probe waits for a request the bot should not send. */
const PROBE_QUIET_MS = 100;
