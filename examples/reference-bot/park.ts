/**
 * Scenario: a parked call on the park line (PARK_LINE_ID), kept up with keepAlive.
 *
 *   established -> keepAlive at once, then every KEEPALIVE_INTERVAL_MS until the call ends
 *   a keepAlive answered 404 -> Graph no longer knows the call: it ends here too
 *   the call ends (e.g. 408/8537, Graph ended it for lack of keepAlive) -> the timer stops
 *
 * Flow: keepalive-timeout.
 */
import { GraphError, type JsonObject, type TrackedCall } from './types.js';
import { normalizeId } from './helpers.js';
import { VoicemailBot } from './voicemail.js';

export abstract class ParkBot extends VoicemailBot {
  /** keepAlive timers of the calls the bot keeps up, keyed by normalizeId(call id) */
  private readonly keepAliveTimers = new Map<string, NodeJS.Timeout>();

  protected override onStopping(): void {
    super.onStopping();
    for (const timer of this.keepAliveTimers.values()) clearTimeout(timer);
    this.keepAliveTimers.clear();
  }

  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'park') return this.startKeepAlive(call);
    return super.onLineEstablished(call);
  }

  /** Park line: keeps the call up with keepAlive, at once and then every KEEPALIVE_INTERVAL_MS, until it ends. */
  protected async startKeepAlive(call: TrackedCall): Promise<void> {
    await this.sendKeepAlive(call);
    this.scheduleKeepAlive(call);
  }

  /** Sends one keepAlive (Graph answers 200; 404 when the call has already ended, which ends it here too). */
  protected async sendKeepAlive(call: TrackedCall): Promise<void> {
    try {
      await this.graphRequest('POST', this.callUrl(call.route, call.id, '/keepAlive'), undefined, call.tenant);
      this.log(`keepAlive sent for call ${call.id}`);
    } catch (err) {
      if (err instanceof GraphError && err.status === 404) return this.endCall(call, 'gone');
      throw err;
    }
  }

  /** Arms the call's keepAlive timer: every KEEPALIVE_INTERVAL_MS until stopKeepAlive. */
  private scheduleKeepAlive(call: TrackedCall): void {
    const key = normalizeId(call.id);
    const timer = setTimeout(() => {
      this.sendKeepAlive(call)
        .catch((err: unknown) => {
          if (!this.lifetime.signal.aborted) this.logError(`keepAlive for call ${call.id} failed`, err);
        })
        .finally(() => {
          if (this.keepAliveTimers.get(key) === timer) this.scheduleKeepAlive(call); // not stopped meanwhile
        });
    }, this.config.keepAliveIntervalMs);
    timer.unref();
    clearTimeout(this.keepAliveTimers.get(key));
    this.keepAliveTimers.set(key, timer);
  }

  /** Stops the call's keepAlive timer (the call ended). */
  protected stopKeepAlive(call: TrackedCall): void {
    const key = normalizeId(call.id);
    clearTimeout(this.keepAliveTimers.get(key));
    this.keepAliveTimers.delete(key);
  }

  /** The call ended (it is already forgotten): stop its keepAlive timer. */
  protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
    super.onCallEnded(call, resultInfo);
    this.stopKeepAlive(call);
  }
}
