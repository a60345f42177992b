/**
 * Lease: one granted lease as the lessor holds it — its ID, granted TTL, the remaining TTL
 * last checkpointed through consensus, the keys attached to it, and (on the leader only)
 * when it expires.
 */

/** FOREVER is the expiry of a lease on a member that is not the leader: it never expires there. */
export const FOREVER = Number.POSITIVE_INFINITY;

/** LeaseRecord is what is persisted of a lease: keys are not, they are rebuilt from the KVs. */
export interface LeaseRecord {
  readonly id: bigint;
  /** ttl is the granted TTL in seconds (after the minimum was applied). */
  readonly ttl: number;
  /** remainingTTL is the last checkpointed remaining TTL in seconds; 0 when never checkpointed. */
  readonly remainingTTL: number;
}

/** Lease is a live lease. Mutated only by the Lessor. */
export class Lease {
  /** expiry is a monotonic time in ms; FOREVER unless this member is the leader. */
  expiry = FOREVER;
  /** keys are the attached keys, by their latin1 string form. */
  readonly keys = new Map<string, Uint8Array>();

  constructor(
    readonly id: bigint,
    public ttl: number,
    public remainingTTL = 0,
  ) {}

  /** refresh restarts the countdown at `now`, `extend` ms later than the TTL alone would. */
  refresh(now: number, extend: number): void {
    const seconds = this.remainingTTL > 0 ? this.remainingTTL : this.ttl;
    this.expiry = now + extend + seconds * 1000;
  }

  /** remainingMs is the time left before expiry (Infinity when not counting down). */
  remainingMs(now: number): number {
    return this.expiry - now;
  }

  /** record is the persisted form of this lease. */
  record(): LeaseRecord {
    return { id: this.id, ttl: this.ttl, remainingTTL: this.remainingTTL };
  }

  /** sortedKeys lists the attached keys in byte order. */
  sortedKeys(): Uint8Array[] {
    return [...this.keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
  }
}

/** keyString maps key bytes to a string, one char per byte, for use as a map key. */
export function keyString(key: Uint8Array): string {
  let out = "";
  for (let i = 0; i < key.length; i += 4096) out += String.fromCharCode(...key.subarray(i, i + 4096));
  return out;
}
