/**
 * A meeting's roster as the bot knows it, from Graph's `.../participants` notifications:
 *
 * - an array of participants (the default) is the whole roster: it replaces what the bot held;
 * - a `#microsoft.graph.deltaParticipants {sequenceNumber, participants}` (when the bot joined with
 *   `callOptions.isDeltaRosterEnabled`) holds only the participants that changed; a participant
 *   with `removedState` has left. Deltas can arrive late or out of order, so each participant's
 *   change is applied only when its sequence number (`rosterSequenceNumber`, else the delta's
 *   `sequenceNumber`) is newer than the one the bot holds for that participant; a removal is kept
 *   (with its number) so that an older change cannot bring the participant back.
 */
import { asString, isJsonObject, normalizeId } from './helpers.js';
import type { JsonObject } from './types.js';

export interface RosterEntry {
  /** the participant id (what Graph's participant actions take), as Graph spelled it */
  id: string;
  /** info.identity.user.id */
  userId?: string;
  /** info.identity.application.id */
  appId?: string;
  isMuted: boolean;
  /** the participant has left (removedState) */
  removed: boolean;
  /** the sequence number of the change the entry holds; undefined from a full roster without one */
  sequence?: number;
}

export class Roster {
  private readonly entries = new Map<string, RosterEntry>();

  /** Applies a `.../participants` notification's resourceData. */
  apply(resourceData: unknown): void {
    if (Array.isArray(resourceData)) {
      this.entries.clear();
      for (const p of resourceData) this.upsert(p, undefined, true);
    } else if (isJsonObject(resourceData) && Array.isArray(resourceData.participants)) {
      const sequence = numberOf(resourceData.sequenceNumber);
      for (const p of resourceData.participants) this.upsert(p, sequence, false);
    } else if (isJsonObject(resourceData)) {
      this.upsert(resourceData, undefined, false);
    }
  }

  /** Participants in the meeting now. */
  present(): RosterEntry[] {
    return [...this.entries.values()].filter((p) => !p.removed);
  }

  /** The participant (present) whose identity is the user `userId`. */
  findUser(userId: string): RosterEntry | undefined {
    return this.present().find((p) => p.userId !== undefined && normalizeId(p.userId) === normalizeId(userId));
  }

  /** A change numbered `sequence` is stale when the bot holds a newer (or the same) one for that participant. */
  protected isStale(held: RosterEntry | undefined, sequence: number | undefined): boolean {
    return held?.sequence !== undefined && sequence !== undefined && sequence <= held.sequence;
  }

  private upsert(participant: unknown, deltaSequence: number | undefined, fullRoster: boolean): void {
    if (!isJsonObject(participant)) return;
    const id = participantIdOf(participant);
    if (id === undefined) return;
    const sequence = numberOf(participant.rosterSequenceNumber) ?? deltaSequence;
    const key = normalizeId(id);
    const held = this.entries.get(key);
    // an older (or repeated) change than the one held is stale: never apply it over a newer one
    if (!fullRoster && this.isStale(held, sequence)) return;
    const identity = isJsonObject(participant.info) && isJsonObject(participant.info.identity) ? participant.info.identity : {};
    this.entries.set(key, {
      id,
      userId: idOf(identity.user) ?? held?.userId,
      appId: idOf(identity.application) ?? held?.appId,
      isMuted: typeof participant.isMuted === 'boolean' ? participant.isMuted : (held?.isMuted ?? false),
      removed: isJsonObject(participant.removedState),
      sequence: sequence ?? held?.sequence,
    });
  }
}

/** The participant's id: `id`, else the last segment of `@odata.id`. */
function participantIdOf(participant: JsonObject): string | undefined {
  return asString(participant.id) ?? asString(participant['@odata.id'])?.split('/').filter(Boolean).pop();
}

function idOf(identity: unknown): string | undefined {
  return isJsonObject(identity) ? asString(identity.id) : undefined;
}

function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
