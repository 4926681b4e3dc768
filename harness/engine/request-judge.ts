/**
 * Judges the bot's Graph requests against the flow: a request is accepted for the first unreleased
 * expect step only when every step before it is released, so a bot that acts before the
 * notification it must wait for is caught, while a bot that answers a notification before the
 * harness has read its 202 is not penalised. Anything else is explained: out of order, the wrong
 * resource, a repeat, not in the flow (with the expect it comes closest to), or, when the step
 * times out, missing (with the closest request the bot did send).
 */
import type { Scope } from '../flow/templates.js';
import { canonicalBody, canonicalPath, callIdOfPath, isBetaPath, pathShape } from './canonical.js';
import type { Mismatch } from './findings.js';
import { normalizeId } from './ids.js';
import type { MatchContext } from './matchers.js';
import type { CompiledExpect } from './plan.js';
import type { InboundRequest, OutboundResponse } from './ports.js';
import { closestRequest, type SentRequest } from './near-miss.js';
import { actionLabel, bodyDiff, graphError, legacyNameHint, pathMismatches, pick, queryOf, shownBody } from './explain.js';
import { holdAnswer, type WhenAnswered } from './held-answer.js';
import { authRefusal } from './request-auth.js';
import type { RunState } from './run-state.js';
import type { GraphAnswer, RequestAuth } from './run-types.js';

type Respond = (res: OutboundResponse, step?: number, failed?: boolean) => OutboundResponse;

/** Delivers the notifications Graph sends after a request no step scripted (BotDelivery.playOn); `cause` names the request. */
export type PlayOn = (followUps: NonNullable<GraphAnswer['followUps']>, cause: string) => void;

export class RequestJudge {
  /** canonical expected path per expect, rendered once its values are known */
  private readonly expectedPaths = new Map<CompiledExpect, string>();

  constructor(
    private readonly state: RunState,
    private readonly whenAnswered?: WhenAnswered,
    private readonly playOn?: PlayOn,
  ) {}

  /**
   * Matches a Graph request routed to this run and returns the answer. `auth` is what the Router
   * knows of its bearer token (a problem with it, its tenant). Hot path: keep it lean.
   */
  handleRequest(req: InboundRequest, auth: RequestAuth): OutboundResponse | Promise<OutboundResponse> {
    const t0 = performance.now();
    const state = this.state;
    const flow = state.flow;
    const canonical = canonicalPath(req.path);
    // the 2019 names (callback, acceptModalities) are beta's; on v1.0 they are unknown properties
    const body = isBetaPath(canonical) ? canonicalBody(req.body) : req.body;
    // a body that is not JSON is kept verbatim: the transcript shows what the bot sent
    const shown = shownBody(req);
    // observers see the request after the flow's own matching: when both object, the flow's
    // expectation is the more specific explanation and its finding comes first
    const requestEntry = state.record('bot', 'graph', 'request', { method: req.method, url: req.path, headers: req.headers, body: shown, label: actionLabel(req.method, canonical) }, false);
    const respond: Respond = (res, step, failed = false) => {
      requestEntry.step = step;
      if (failed) requestEntry.failed = true;
      state.observe(requestEntry);
      state.record('graph', 'bot', 'response', { status: res.status, headers: res.headers, body: res.body, step, latencyMs: performance.now() - t0, label: String(res.status) });
      return res;
    };

    if (state.failed) return respond(graphError(503, 'callreplay.flowFailed', `flow ${flow.name} already failed; see the report`));
    // the run has ended (its outcome is written) but is not released yet: a late request is not its business
    if (state.phase === 'ended') {
      requestEntry.stray = { reason: `flow ${flow.name} has ended`, ended: true };
      return respond(graphError(404, '8522', `Call not found (callreplay: flow ${flow.name} has ended)`));
    }
    if (state.phase === 'probing') {
      const probe = state.probe!;
      // a refusal check: reading a call is not acting on it (a stateless bot looks an unknown call up)
      if (probe.kind === 'refusal' && req.method === 'GET') return respond(graphError(404, '8522', 'Call not found (callreplay: the call of a refusal check)'));
      state.fail({
        kind: probe.kind,
        rule: probe.rule,
        step: probe.step + 1,
        stepName: flow.steps[probe.step]?.name,
        message: probe.acted(`${req.method} ${this.describePath(req.path)}`),
        received: { method: req.method, url: req.path, body: req.body },
      });
      return respond(graphError(403, 'Forbidden', 'callreplay: request caused by a delivery the bot must refuse'), probe.step, true);
    }
    const refusal = authRefusal(req, canonical, auth, state.scope.get('tenant'), state.idNames);
    if (refusal) {
      const step = flow.steps[state.currentStep()]!;
      state.fail({ ...refusal.finding, step: step.index + 1, stepName: step.name, received: { method: req.method, url: req.path, body: shown } });
      return respond(refusal.response, step.index, true);
    }
    if (flow.otherCalls && this.isOtherCall(canonical)) {
      // a call the bot was never offered (variant other-call-interleaved): not the flow's business
      requestEntry.label += ' (another call: 404)';
      return respond(graphError(404, '8522', 'Call not found (callreplay: a call this bot was never offered)'));
    }
    const k = state.firstUnreleased();
    if (state.phase !== 'running' || k >= flow.steps.length) {
      if (flow.unmatched === 'ignore') return respond(this.unscripted(req));
      const last = flow.steps.length;
      state.fail({
        kind: 'unexpected',
        step: last,
        stepName: flow.steps[last - 1]!.name,
        message: `unexpected request after the flow's last step: ${req.method} ${this.describePath(req.path)} (the flow lists no further requests)`,
        received: { method: req.method, url: req.path, body: req.body },
      });
      return respond(graphError(400, 'callreplay.unexpectedRequest', 'this request is not in the flow'), undefined, true);
    }

    const candidate = flow.steps[k];
    const open = candidate && (candidate.kind === 'expect' || candidate.kind === 'unordered') ? state.openExpects(candidate) : [];

    // 1. the request the flow waits for now
    for (const exp of open) {
      if (exp.method === req.method && this.expectedPath(exp) === canonical) {
        return this.accept(exp, req, body, canonical, respond);
      }
    }
    // 2. a request the flow lists later: out of order
    const later = this.findLater(k, req.method, canonical);
    if (later) {
      const pending = flow.steps.slice(k, later.index).filter((s) => !state.released[s.index]);
      const waitFor = pending.map((s) => `step ${s.index + 1} (${s.name})`).join(', ');
      const what = pending.every((s) => s.kind === 'notify') ? 'was delivered' : 'happened';
      state.fail({
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
        state.fail({
          kind: 'incorrect',
          step: k + 1,
          stepName: candidate!.name,
          message: `${req.method} ${this.describePath(req.path)} went to the wrong resource: expected ${exp.method} ${this.displayPath(exp)}`,
          mismatches: pathMismatches(want, canonical, (v) => state.idNames.describe(v)),
          received: { method: req.method, url: req.path, body: req.body },
          expected: this.explainExpect(exp),
        });
        return respond(graphError(404, '8522', 'Call not found (callreplay: wrong resource for this step)'), k, true);
      }
    }
    // 4. a repeat of a request the flow already had: the bot acted twice (e.g. on a duplicate notification)
    const repeated = this.findMatched(req.method, canonical);
    if (repeated && req.method !== 'GET') {
      state.fail({
        kind: 'unexpected',
        step: k + 1 <= flow.steps.length ? k + 1 : undefined,
        stepName: candidate?.name,
        message: `${req.method} ${this.describePath(req.path)} was sent again: the flow lists it once (step ${repeated.index + 1}, ${repeated.name}); a bot must act once even when Graph delivers a notification twice`,
        received: { method: req.method, url: req.path, body: req.body },
      });
      return respond(graphError(409, 'callreplay.repeatedRequest', 'this request was already sent'), undefined, true);
    }
    // 5. not in the flow at all
    if (flow.unmatched === 'ignore') return respond(this.unscripted(req));
    const near = open.map((e) => ({ e, miss: closestRequest({ method: e.method, canonical: this.expectedPath(e) }, [{ method: req.method, canonical, url: req.path }]) })).find((n) => n.miss);
    state.fail({
      kind: 'unexpected',
      step: k + 1 <= flow.steps.length ? k + 1 : undefined,
      stepName: candidate?.name,
      message: `unexpected request ${req.method} ${this.describePath(req.path)}: the flow does not list it${open.length ? '' : ` (the flow was at step ${k + 1}, ${candidate?.kind} ${candidate?.name})`}${near ? `; the flow waits for ${near.e.method} ${this.displayPath(near.e)} (step ${near.e.index + 1}): this is ${near.miss!.why}` : ''}`,
      received: { method: req.method, url: req.path, body: req.body },
      expected: open.length ? `the flow was waiting for ${open.map((e) => this.explainExpect(e)).join('; ')}` : undefined,
      suggestion: state.idNames.suggestStep(req.method, req.path, canonical),
    });
    return respond(graphError(400, 'callreplay.unexpectedRequest', 'this request is not in the flow'), undefined, true);
  }

  /** True when the step the run is at now waits for exactly this request (used to route creates). */
  waitsFor(method: string, canonical: string): boolean {
    const step = this.state.flow.steps[this.state.firstUnreleased()];
    return !!step && this.state.openExpects(step).some((e) => e.method === method && this.expectedPath(e) === canonical);
  }

  /**
   * Whether an open expect of the current step would take this request as it is (method, path,
   * body and headers; nothing recorded): the Router's choice among several runs waiting for the
   * same request, e.g. two meeting joins (creates name no call) in flight at once.
   */
  wouldAccept(req: InboundRequest, canonical: string): boolean {
    const step = this.state.flow.steps[this.state.firstUnreleased()];
    if (!step) return false;
    const body = isBetaPath(canonical) ? canonicalBody(req.body) : req.body;
    const ctx = this.matchContext();
    return this.state.openExpects(step).some((exp) => {
      if (exp.method !== req.method || this.expectedPath(exp) !== canonical) return false;
      const mismatches: Mismatch[] = [];
      if (exp.body) exp.body.match(body, 'body', ctx, mismatches);
      for (const [name, m] of exp.headers) {
        const value = req.headers[name];
        if (value === undefined && !(m.type === 'absent' || m.type === 'empty')) return false;
        m.match(value, `headers.${name}`, ctx, mismatches);
      }
      return mismatches.length === 0;
    });
  }

  /** The expect step `index` timed out: fails the run, naming the closest request the bot did send. */
  reportMissing(index: number, waitedMs?: number): void {
    const state = this.state;
    const step = state.flow.steps[index]!;
    const missing = step.kind === 'unordered' ? state.openExpects(step) : [step as CompiledExpect];
    const waited = `(waited ${waitedMs ?? step.timeoutMs} ms${this.lastNotificationNote(index)})`;
    const near = this.nearMissOf(missing);
    state.fail({
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

  /** A way in refused a destination the bot tried to reach (see Router.refused). */
  reportRefused(destination: string, via: string): void {
    const state = this.state;
    const k = state.currentStep();
    state.record('bot', 'graph', 'request', { method: 'CONNECT', url: destination, label: `refused: ${destination}`, failed: true, step: k });
    state.fail({
      kind: 'forbidden-destination',
      step: k + 1,
      stepName: state.flow.steps[k]!.name,
      message: `the bot tried to reach ${destination} (${via}); callreplay refused it and nothing was sent: during a run a bot may only reach Graph, the login endpoint and loopback`,
    });
  }

  /** Checks the body, headers and captures of the request the open step waits for; answers as the flow says. */
  private accept(exp: CompiledExpect, req: InboundRequest, body: unknown, canonical: string, respond: Respond): OutboundResponse | Promise<OutboundResponse> {
    const state = this.state;
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
      else state.scope.set(c.name, value);
    }
    if (mismatches.length > 0) {
      state.fail({
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
          headers: exp.respond.headers ? (exp.respond.headers(state.scope) as Record<string, string>) : {},
          body: exp.respond.body ? exp.respond.body(state.scope) : undefined,
        }
      : this.graphAnswer(req);
    this.registerCallback(body, canonical, res);
    state.matched.add(exp);
    const step = state.flow.steps[exp.index]!;
    if (step.kind === 'expect' || state.openExpects(step).length === 0) {
      state.release(exp.index);
      state.wake();
    }
    const answer = respond(res, exp.index);
    return exp.holdResponse && step.kind === 'expect' && this.whenAnswered ? holdAnswer(state, answer, exp.index, this.whenAnswered) : answer;
  }

  /** Whether the request names a call of `flow.otherCalls`. */
  private isOtherCall(canonical: string): boolean {
    const callId = callIdOfPath(canonical);
    return callId !== undefined && this.state.flow.otherCalls!.some((name) => normalizeId(String(this.state.scope.get(name))) === callId);
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
    if (callId) this.state.callbacks.set(callId, uri);
  }

  /**
   * What Graph answers to a request an expect step matched without `respond` (the Harness plugs in
   * its fake Graph, which knows the call's state). Scripted: the flow's own notify steps say what
   * follows, so Graph's follow-ups are not sent. 202 when no fake Graph is plugged in (the engine alone).
   */
  private graphAnswer(req: InboundRequest): OutboundResponse {
    return this.state.opts.defaultAnswer?.(req)?.response ?? { status: 202, headers: {} };
  }

  /**
   * A request no step scripts that the flow lets pass (`unmatched: ignore`): answered as Graph
   * does, and Graph plays the call on (its follow-up notifications are delivered to the bot). A
   * path Graph does not have (or the fake does not serve) is answered with Graph's error and
   * reported as a warning.
   */
  private unscripted(req: InboundRequest): OutboundResponse {
    const answer = this.state.opts.defaultAnswer?.(req);
    if (!answer) return { status: 202, headers: {} };
    const what = `${req.method} ${this.describePath(req.path)}`;
    if (answer.unknownPath) {
      const k = this.state.currentStep();
      this.state.warnings.push({
        kind: 'unexpected',
        severity: 'warning',
        step: k + 1,
        stepName: this.state.flow.steps[k]?.name,
        message: `${what}: ${answer.unknownPath}`,
        received: { method: req.method, url: req.path, body: req.body },
      });
    }
    // an answer or create the flow does not list registers its callbackUri all the same: follow-ups go there
    const canonical = canonicalPath(req.path);
    if (answer.response.status < 300) this.registerCallback(isBetaPath(canonical) ? canonicalBody(req.body) : req.body, canonical, answer.response);
    if (answer.followUps?.length) this.playOn?.(answer.followUps, what);
    return answer.response;
  }

  /** The first later expect step whose method and path match. */
  private findLater(from: number, method: string, canonical: string): CompiledExpect | undefined {
    const steps = this.state.flow.steps;
    for (let i = from + 1; i < steps.length; i++) {
      for (const exp of this.state.openExpects(steps[i]!)) {
        if (exp.method === method && this.expectedPath(exp) === canonical) return exp;
      }
    }
    return undefined;
  }

  /** An expect step already matched by a request with this method and path. */
  private findMatched(method: string, canonical: string): CompiledExpect | undefined {
    for (const exp of this.state.matched) if (exp.method === method && this.expectedPath(exp) === canonical) return exp;
    return undefined;
  }

  /** The canonical expected path; '' when it needs a value not captured yet. */
  private expectedPath(exp: CompiledExpect): string {
    let p = this.expectedPaths.get(exp);
    if (p === undefined) {
      try {
        p = canonicalPath(String(exp.path(this.state.scope)));
      } catch {
        return '';
      }
      this.expectedPaths.set(exp, p);
    }
    return p;
  }

  /** The request the bot sent that comes closest to one of `expects` without matching it (near-miss.ts). */
  private nearMissOf(expects: readonly CompiledExpect[]): { expect: CompiledExpect; request: SentRequest & { body?: unknown }; why: string } | undefined {
    const sent = this.state.transcript.entries
      // what the bot sent that no step took; not a late request of a flow that has ended
      .filter((e) => e.kind === 'request' && e.method !== undefined && e.url !== undefined && (e.step === undefined || e.failed) && !e.stray?.ended)
      .map((e) => ({ method: e.method!, url: e.url!, canonical: canonicalPath(e.url!), body: e.body }));
    for (const exp of expects) {
      const want = this.expectedPath(exp);
      const near = want ? closestRequest({ method: exp.method, canonical: want }, sent) : undefined;
      if (near) return { expect: exp, request: near.request, why: near.why };
    }
    return undefined;
  }

  private lastNotificationNote(index: number): string {
    for (let i = index - 1; i >= 0; i--) {
      const s = this.state.flow.steps[i]!;
      if (s.kind === 'notify' || s.kind === 'trigger') return `; last sent: step ${i + 1}, ${s.name}`;
    }
    return '';
  }

  private explainExpect(exp: CompiledExpect): string {
    const ctx = this.matchContext();
    return `step ${exp.index + 1} (${exp.name}): ${exp.method} ${this.displayPath(exp)}${exp.body ? ` with body ${exp.body.explain(ctx)}` : ''}`;
  }

  private matchContext(): MatchContext {
    return { scope: this.state.scope as Scope, describe: (v) => this.state.idNames.describe(v) };
  }

  /** The expected path as the flow spells it, ids by name (the template itself if it cannot render yet). */
  private displayPath(exp: CompiledExpect): string {
    try {
      return this.describePath(String(exp.path(this.state.scope)));
    } catch {
      return exp.pathTemplate;
    }
  }

  private describePath(path: string): string {
    return this.state.idNames.describePath(path);
  }
}
