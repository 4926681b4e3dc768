/**
 * Counting misrouted requests during `callreplay load`.
 *
 * The Router (harness/engine/router.ts) hands each Graph request to one flow run, in this order:
 * the run that minted the call id in its path; the run that minted any other id it carries (path
 * or body); the run waiting for exactly this request (those whose step takes it as it is first, then
 * the one waiting longest; a pick among several that fit alike is noted on each, FlowRun.guessedRoute);
 * the only run.
 * Anything else is a *stray*: answered 404 8522 and copied, unjudged, into the transcript of every
 * run active at that moment (its entry carries `stray`).
 *
 * A request is **misrouted** when it is either
 *
 * 1. **judged by the wrong call**: it sits in the transcript of call *i* as a request that call's
 *    run judged (not a stray copy), and its path or body carries an id minted for another call *j*
 *    of the same load (a call id, a caller, an operation, a tenant with `--tenant per-run`, ...).
 *    The ids are compared in their normalized form (ids.ts), inside strings too; or
 * 2. **a stray**: no running call could take it (it names an id of a call that has ended, a call
 *    no run knows, or, with several calls running, it names no call's id and no call waits for it).
 *    Each stray counts once, however many transcripts it was copied into.
 *
 * A request that carries no id at all (e.g. a create-call that joins a configured meeting, with
 * the harness's stable tenant) can only be routed by rule 3, "the run waiting for exactly this
 * request"; when that guess is wrong the mistake shows in the bot's next requests, which then carry
 * the other call's ids (case 1). Token requests name no call and are never counted.
 */
import { GUID_IN_TEXT, normalizeId } from '../engine/ids.js';
import type { Transcript } from '../engine/transcript.js';

export class MisrouteLedger {
  /** normalized id -> the load's call index that minted it */
  private readonly owner = new Map<string, number>();

  /** Registers the ids minted for call `index` (FlowRun.mintedIds, already normalized). */
  register(index: number, mintedIds: readonly string[]): void {
    for (const id of mintedIds) this.owner.set(id, index);
  }

  /**
   * How many requests in call `index`'s transcript its run judged although they carry an id minted
   * for another call of the load (case 1 above).
   */
  judgedByWrongCall(index: number, transcript: Transcript): number {
    let count = 0;
    for (const entry of transcript.entries) {
      if (entry.kind !== 'request' || entry.stray || entry.method === 'CONNECT') continue;
      const text = `${entry.url ?? ''} ${entry.body === undefined ? '' : typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body)}`;
      if (this.namesOtherCall(index, text)) count++;
    }
    return count;
  }

  private namesOtherCall(index: number, text: string): boolean {
    for (const m of text.matchAll(GUID_IN_TEXT)) {
      const owner = this.owner.get(normalizeId(m[0]));
      if (owner !== undefined && owner !== index) return true;
    }
    return false;
  }
}
