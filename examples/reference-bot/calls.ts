/**
 * Call tracking and notification routing: which call a notification is about, and which hook it
 * goes to. This is the call's lifecycle as every scenario sees it:
 *
 *   created, state incoming       -> onLineCall (a call to one of the lines) or onIncomingCall
 *   updated, state established    -> onCallEstablished (once per call; each scenario takes its kinds)
 *   updated, toneInfo             -> onTone (once per sequenceId, after subscribeToTone)
 *   updated, transfer progress    -> logged; back to established with an error: onTransferFailed
 *   deleted .../operations/{id}   -> onOperationCompleted (correlated by clientContext, else by id)
 *   .../participants              -> onRosterUpdated
 *   deleted, or state terminated  -> the call is forgotten, then onCallEnded
 *
 * A notification for a call that is not known yet is held while a create-call request is in flight
 * (Graph can deliver `establishing` before the 201), and replayed once the call is tracked.
 */
import type { LineConfig } from './config.js';
import { BotCore } from './core.js';
import {
  asString,
  countParticipants,
  describeResultInfo,
  idFromResponse,
  isJsonObject,
  lowerCase,
  normalizeId,
  parseResource,
  resultInfoOf,
  sameId,
  transferCameBack,
} from './helpers.js';
import type { CommsNotification, GraphResponse, GraphRoute, IdentitySet, JsonObject, OperationOutcome, PendingOperation, TrackedCall } from './types.js';

export abstract class CallsBot extends BotCore {
  /** Calls the bot takes part in, keyed by normalizeId(call id). */
  protected readonly calls = new Map<string, TrackedCall>();
  /** Operations waiting for their completion notification, keyed by normalizeId(clientContext). */
  protected readonly operations = new Map<string, PendingOperation>();
  /** Notifications for not-yet-known calls, held while a create-call request is in flight. */
  private readonly held: CommsNotification[] = [];
  private pendingCreates = 0;

  protected override onStopping(): void {
    super.onStopping();
    this.held.length = 0;
  }

  protected override onStopped(): void {
    super.onStopped();
    this.calls.clear();
    this.operations.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Hooks the scenario files implement
  // -------------------------------------------------------------------------------------------

  /** The line an incoming call was made to, if it is one of the bot's lines (answer.ts). */
  protected abstract lineOf(call: JsonObject): LineConfig | undefined;
  /** An incoming call to a line (answer.ts). */
  protected abstract onLineCall(callId: string, route: GraphRoute, call: JsonObject, line: LineConfig): Promise<void>;
  /** An incoming call to the bot's own identity (answer.ts). */
  protected abstract onIncomingCall(callId: string, route: GraphRoute, call: JsonObject): Promise<void>;
  /** The caller pressed a key (ivr.ts). */
  protected abstract onTone(call: TrackedCall, tone: string): Promise<void>;
  /** A transfer the bot asked for failed and the call is back to established (transfer.ts). */
  protected abstract onTransferFailed(call: TrackedCall, resultInfo: JsonObject | undefined): Promise<void>;

  /**
   * A call is established (acted on once per call). Each scenario file overrides this for the call
   * kinds it owns and passes the others on with `super.onCallEstablished(call)`.
   */
  protected async onCallEstablished(call: TrackedCall): Promise<void> {
    this.log(`call ${call.id} (${call.kind}) established; nothing to do`);
  }

  /**
   * An operation on `call` finished (already logged). Scenario files override this for the
   * operations they start and pass the others on with `super`.
   */
  protected onOperationCompleted(_call: TrackedCall, _outcome: OperationOutcome): void | Promise<void> {}

  /** The roster (`.../participants`) of `call` changed: `resourceData` as notified. */
  protected onRosterUpdated(call: TrackedCall, resourceData: unknown): void | Promise<void> {
    this.log(`roster of call ${call.id} updated (${countParticipants(resourceData)} participants)`);
  }

  /** The call ended (it is already forgotten). Scenario files override this to clean up and call super. */
  protected onCallEnded(_call: TrackedCall, _resultInfo: JsonObject | undefined): void {}

  // -------------------------------------------------------------------------------------------
  // Routing
  // -------------------------------------------------------------------------------------------

  /** Routes one notification on its resource path, changeType and resourceData. */
  protected async handleNotification(notification: CommsNotification): Promise<void> {
    const resource = asString(notification.resourceUrl) ?? asString(notification.resource);
    const ref = resource === undefined ? undefined : parseResource(resource);
    if (!ref) return this.log(`ignored a notification for ${resource ?? 'no resource'}`);
    const changeType = lowerCase(notification.changeType);
    const data = notification.resourceData;
    const entities = (Array.isArray(data) ? data : [data]).filter(isJsonObject);

    if (ref.child === undefined && changeType === 'created') {
      for (const entity of entities) await this.handleCreatedCall(ref.callId, ref.route, entity);
      return;
    }
    const call = this.calls.get(normalizeId(ref.callId));
    if (!call) return this.holdOrIgnore(notification, ref.callId);

    if (ref.child === undefined) return this.handleCallChange(call, changeType, entities);
    if (ref.child === 'operations' && ref.childId !== undefined && changeType === 'deleted') {
      for (const entity of entities) await this.handleOperationDone(call, ref.childId, entity);
      return;
    }
    if (ref.child === 'participants') return this.onRosterUpdated(call, data);
    this.log(`ignored ${changeType} ${resource}`);
  }

  private async handleCreatedCall(callId: string, route: GraphRoute, call: JsonObject): Promise<void> {
    if (lowerCase(call.state) !== 'incoming') return this.log(`ignored created call ${callId} (${call.state})`);
    if (this.calls.has(normalizeId(callId))) return this.log(`ignored a repeated incoming call ${callId}`);
    const line = this.lineOf(call);
    if (line) await this.onLineCall(callId, route, call, line);
    else await this.onIncomingCall(callId, route, call);
  }

  private async handleCallChange(call: TrackedCall, changeType: string | undefined, entities: JsonObject[]): Promise<void> {
    if (changeType === 'deleted') return this.endCall(call, 'deleted', resultInfoOf(entities));
    for (const entity of entities) {
      const state = lowerCase(entity.state);
      const resultInfo = isJsonObject(entity.resultInfo) ? entity.resultInfo : undefined;
      if (state === 'terminated') return this.endCall(call, 'terminated', resultInfo);
      if (isJsonObject(entity.toneInfo)) await this.handleTone(call, entity.toneInfo);
      if (state === undefined) continue;
      const isTone = isJsonObject(entity.toneInfo);
      if (state === 'established' && call.transfer && !isTone && transferCameBack(call.transfer.state, resultInfo)) {
        // A failed transfer returns the call to `established` (500/7000 blind, 500/7700 consultative).
        call.transfer = undefined;
        this.log(`transfer of call ${call.id} failed${resultInfo ? ` (${describeResultInfo(resultInfo)})` : ''}; the call is still up`);
        await this.onTransferFailed(call, resultInfo);
      } else if (state === 'established') {
        await this.handleEstablished(call);
      } else if (call.transfer && (state === 'transferring' || state === 'transferaccepted')) {
        call.transfer.state = state === 'transferring' ? 'transferring' : 'transferAccepted';
        this.log(`call ${call.id} is ${call.transfer.state}`);
      } else {
        this.log(`call ${call.id} is ${state}`);
      }
    }
  }

  /** A `toneInfo` (the caller pressed a key): acted on once per sequenceId, in increasing order. */
  private async handleTone(call: TrackedCall, toneInfo: JsonObject): Promise<void> {
    const tone = lowerCase(toneInfo.tone);
    const sequenceId = Number(toneInfo.sequenceId);
    if (tone === undefined) return;
    if (Number.isFinite(sequenceId)) {
      if (call.lastToneSequenceId !== undefined && sequenceId <= call.lastToneSequenceId) {
        return this.log(`ignored tone ${tone} (sequenceId ${sequenceId}) on call ${call.id}: already handled`);
      }
      call.lastToneSequenceId = sequenceId;
    }
    if (!call.tonesSubscribed || call.hangingUp || call.transfer) {
      return this.log(`ignored tone ${tone} on call ${call.id}`);
    }
    this.log(`call ${call.id}: tone ${tone} (sequenceId ${toneInfo.sequenceId})`);
    await this.onTone(call, tone);
  }

  private async handleEstablished(call: TrackedCall): Promise<void> {
    if (call.establishedHandled) return; // Graph can send 'established' twice: act once
    call.establishedHandled = true;
    this.log(`call ${call.id} established`);
    await this.onCallEstablished(call);
  }

  private async handleOperationDone(call: TrackedCall, operationId: string, operation: JsonObject): Promise<void> {
    const clientContext = asString(operation.clientContext);
    const outcome: OperationOutcome = {
      operationId,
      status: lowerCase(operation.status) ?? 'unknown',
      clientContext,
      resultInfo: isJsonObject(operation.resultInfo) ? operation.resultInfo : undefined,
      started: this.takeOperation(operationId, clientContext),
      operation,
    };
    const what = outcome.started ? `${outcome.started.action} operation` : 'operation';
    const result = outcome.resultInfo ? ` ${describeResultInfo(outcome.resultInfo)}` : '';
    const context = `clientContext ${clientContext ?? 'none'}`;
    this.log(`${what} ${operationId} on call ${call.id} ${outcome.status}${result}, ${context}`);
    await this.onOperationCompleted(call, outcome);
  }

  /** Finds (and forgets) the operation the bot started, by clientContext or else by operation id. */
  private takeOperation(operationId: string, clientContext: string | undefined): PendingOperation | undefined {
    const byContext = clientContext === undefined ? undefined : this.operations.get(normalizeId(clientContext));
    const byId = (op: PendingOperation): boolean => op.operationId !== undefined && sameId(op.operationId, operationId);
    const started = byContext ?? [...this.operations.values()].find(byId);
    if (started) this.operations.delete(normalizeId(started.clientContext));
    return started;
  }

  /**
   * A notification for a call the bot does not know. Graph can deliver a new call's first
   * notifications before the 201 of `POST /calls` reaches the bot, so while a create is in flight
   * they are held and replayed when it answers. Otherwise they are ignored.
   */
  private holdOrIgnore(notification: CommsNotification, callId: string): void {
    if (this.pendingCreates > 0) {
      this.held.push(notification);
      this.log(`holding a notification for call ${callId} until the pending create-call request answers`);
    } else {
      this.log(`ignored a notification for unknown call ${callId}`);
    }
  }

  /** The call ended (or, `gone`, Graph no longer knows it): forget it, so the bot sends nothing more for it. */
  protected endCall(call: TrackedCall, how: 'terminated' | 'deleted' | 'gone', resultInfo?: JsonObject): void {
    if (this.calls.get(normalizeId(call.id)) !== call) return; // already ended
    this.calls.delete(normalizeId(call.id));
    for (const [key, op] of this.operations) if (sameId(op.callId, call.id)) this.operations.delete(key);
    this.log(`call ${call.id} ${how}${resultInfo ? ` (${describeResultInfo(resultInfo)})` : ''}`);
    this.onCallEnded(call, resultInfo);
  }

  // -------------------------------------------------------------------------------------------
  // Building blocks for the scenario files
  // -------------------------------------------------------------------------------------------

  protected track(call: Omit<TrackedCall, 'answered' | 'establishedHandled'>): TrackedCall {
    const tracked: TrackedCall = { ...call, answered: false, establishedHandled: false };
    this.calls.set(normalizeId(call.id), tracked);
    return tracked;
  }

  /** The tenant of an incoming call: the call's, else the caller's, else BOT_TENANT_ID, else `common`. */
  protected tenantOf(call: JsonObject, caller: IdentitySet | undefined): string {
    const user = caller && isJsonObject(caller.user) ? caller.user : undefined;
    return asString(call.tenantId) ?? asString(user?.tenantId) ?? this.config.tenantId ?? 'common';
  }

  /**
   * `POST {graph}/{version}{callsRoot}`; `track` tracks the new call under the id Graph gave it (`response`: the 201).
   * Notifications for the new call that arrive before Graph's answer are held and replayed then.
   */
  protected async createCall(
    body: unknown,
    route: GraphRoute,
    tenant: string,
    track: (id: string, response: GraphResponse) => TrackedCall,
  ): Promise<TrackedCall> {
    this.pendingCreates++;
    try {
      const response = await this.graphRequest('POST', this.callUrl(route), body, tenant);
      const id = idFromResponse(response);
      if (id === undefined) throw new Error('create call: Graph answered with neither an id nor a Location header');
      return track(id, response);
    } finally {
      this.pendingCreates--;
      // Replay what arrived for the new call before its id was known (the call is tracked by now).
      this.enqueue(this.held.splice(0), true);
    }
  }

  /** Posts a media operation (`suffix`, e.g. `/playPrompt`) and remembers it until its completion notification. */
  protected async startOperation(call: TrackedCall, pending: PendingOperation, suffix: string, body: unknown): Promise<string | undefined> {
    // Registered before sending: the completion notification can overtake the HTTP answer.
    this.operations.set(normalizeId(pending.clientContext), pending);
    try {
      const response = await this.graphRequest('POST', this.callUrl(call.route, call.id, suffix), body, call.tenant);
      pending.operationId = idFromResponse(response);
      return pending.operationId;
    } catch (err) {
      this.operations.delete(normalizeId(pending.clientContext));
      throw err;
    }
  }
}
