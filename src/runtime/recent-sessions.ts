import { createHash } from 'node:crypto';

/**
 * The session ids the trainer learnt most recently, as 48-bit hashes in a ring of fixed
 * capacity, so that a labelled session shipped twice (a scoring process replaying its partition
 * from a checkpoint after a crash) is learnt once. The trainer keeps the ids of count-delta
 * records here too (prefixed `deltas/`), so one produced twice is merged once.
 *
 * Limits: only the last `capacity` sessions are remembered, so a duplicate arriving after more
 * than `capacity` other sessions is learnt again (the default 200,000 covers minutes of closes
 * at the quality bars' throughput, far more than a checkpoint interval of replay). Two ids with
 * the same 48-bit hash within the window make the second one skipped: about one in 10^5 windows
 * of 200,000 sessions, and then one session of data lost. The ring is saved with each model
 * snapshot, so deduplication survives a change of trainer.
 */
export class RecentSessions {
  readonly capacity: number;
  private readonly ring: Float64Array;
  private readonly members = new Set<number>();
  private next = 0;
  private size = 0;

  constructor(capacity: number, restored: Iterable<number> = []) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.ring = new Float64Array(capacity);
    for (const hash of restored) this.addHash(hash);
  }

  get count(): number {
    return this.size;
  }

  /** Remembers `sessionId`; false when it was remembered already (a duplicate). */
  add(sessionId: string): boolean {
    return this.addHash(hashSessionId(sessionId));
  }

  /** The hashes held, oldest first (what a snapshot saves). */
  hashes(): Float64Array {
    const out = new Float64Array(this.size);
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) out[k] = this.ring[(start + k) % this.capacity] as number;
    return out;
  }

  private addHash(hash: number): boolean {
    if (this.members.has(hash)) return false;
    if (this.size === this.capacity) this.members.delete(this.ring[this.next] as number);
    else this.size++;
    this.ring[this.next] = hash;
    this.members.add(hash);
    this.next = (this.next + 1) % this.capacity;
    return true;
  }
}

/** 48 bits of the SHA-1 of a session id: exact as a JavaScript number. */
export function hashSessionId(sessionId: string): number {
  return createHash('sha1').update(sessionId).digest().readUIntBE(0, 6);
}
