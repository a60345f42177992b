/**
 * Lessor: every lease of the member, and what the leader alone does with them.
 *
 * Two sides, as etcd's lessor:
 * - State machine side (every member, deterministic, called while applying committed
 *   entries): `grant`, `revoke`, `checkpoint`, `attach`, `detach`, `restore`. Each change to
 *   what is persisted is queued as a LeasePersistOp; the server drains them with
 *   `drainPersistence()` into the same backend transaction as the entries' other effects, so
 *   lease state and the consistent index never diverge.
 * - Leader side (uses the injected clock): `promote` starts countdowns (every lease gets
 *   `extend` ms more, so a leader change never expires a lease early, and pile-ups are
 *   spread out), `renew` (keepalive), `expiredLeases` hands out leases to revoke at a bounded
 *   rate, `dueCheckpoints` the remaining TTLs to record through consensus, `demote` stops it all.
 *
 * Checkpointing is off unless configured, as in etcd 3.4/3.5 (`--experimental-enable-lease-checkpoint`):
 * without it a restart or a leader change gives every lease its full TTL plus the new
 * leader's extension. With it, checkpointed remainders survive a leader change, and survive a
 * restart only when they are persisted too (`--experimental-enable-lease-checkpoint-persist`).
 *
 * It never proposes anything itself and owns no timers: the server calls the leader side
 * on its ticks and proposes what it is handed.
 */
import { LeaseExistError, LeaseNotFoundError, LeaseTTLTooLargeError } from "@etcd-ts/api";
import { FOREVER, keyString, Lease, type LeaseRecord } from "./Lease.js";
import { LeaseQueue } from "./LeaseQueue.js";

/** MAX_LEASE_TTL is the largest TTL a lease may be granted, in seconds (etcd's MaxLeaseTTL). */
export const MAX_LEASE_TTL = 9_000_000_000;

/** NO_LEASE is the lease ID meaning "no lease". */
export const NO_LEASE = 0n;

/**
 * minLeaseTTL derives etcd's minimum lease TTL from the election timeout: 1.5 election
 * timeouts, rounded up to whole seconds (2 s for the default 1000 ms).
 */
export function minLeaseTTL(electionTimeoutMs: number): number {
  return Math.ceil((1.5 * electionTimeoutMs) / 1000);
}

/** LeasePersistOp is a change to the persisted lease table. */
export type LeasePersistOp = { readonly kind: "put"; readonly record: LeaseRecord } | { readonly kind: "delete"; readonly id: bigint };

/** LeaseCheckpoint is a remaining TTL to record through consensus. */
export interface LeaseCheckpoint {
  readonly id: bigint;
  readonly remainingTTL: number;
}

/** LeaseStatus is what TimeToLive reports. */
export interface LeaseStatus {
  readonly id: bigint;
  /** grantedTTL is the TTL the lease was granted, in seconds. */
  readonly grantedTTL: number;
  /** ttl is the remaining TTL in whole seconds (etcd truncates); -1 once expired. */
  readonly ttl: number;
  readonly keys: Uint8Array[];
}

/** NotPrimaryError: a leader-only call reached a lessor that is not the leader's. */
export class NotPrimaryError extends Error {
  override name = "NotPrimaryError";
  constructor() {
    super("lease: not the primary lessor");
  }
}

/** LessorConfig configures a lessor; the defaults are etcd's. */
export interface LessorConfig {
  /** minLeaseTTL in seconds; see {@link minLeaseTTL}. */
  readonly minLeaseTTL: number;
  /** now returns monotonic milliseconds. */
  readonly now: () => number;
  /**
   * checkpointing: the leader records long leases' remaining TTLs through consensus, so a
   * new leader resumes their countdowns (default off, as etcd's `--experimental-enable-lease-checkpoint`).
   */
  readonly checkpointing?: boolean;
  /**
   * persistCheckpoints: an applied checkpoint is written to the lease table too, so it also
   * survives a restart (default off, as etcd's `--experimental-enable-lease-checkpoint-persist`);
   * otherwise it lives in memory only.
   */
  readonly persistCheckpoints?: boolean;
  /** checkpointIntervalMs between checkpoints of one lease (default 5 minutes). */
  readonly checkpointIntervalMs?: number;
  /** revokeRate is the most leases handed out for revocation per second (default 1000). */
  readonly revokeRate?: number;
  /** expiredRetryMs: an expired lease handed out is handed out again after this if still alive (default 3 s). */
  readonly expiredRetryMs?: number;
}

/** What a renewal of an expired lease waited for. */
type RevokeWait = "revoked" | "demoted" | "restored";

/** Lessor manages a member's leases. */
export class Lessor {
  private readonly leases = new Map<bigint, Lease>();
  private readonly expiries = new LeaseQueue();
  private readonly checkpoints = new LeaseQueue();
  /** Renewed leases whose stale checkpointed remainder other members must forget. */
  private readonly clearedRemainders = new Set<bigint>();
  private pending: LeasePersistOp[] = [];
  /** Renewals of expired leases, waiting for the revoke (or for this lessor to stop leading). */
  private readonly revokeWaiters = new Map<bigint, ((outcome: RevokeWait) => void)[]>();
  private primary = false;
  private readonly minTTL: number;
  private readonly now: () => number;
  private readonly checkpointing: boolean;
  private readonly persistCheckpoints: boolean;
  private readonly checkpointIntervalMs: number;
  private readonly revokeRate: number;
  private readonly expiredRetryMs: number;

  constructor(config: LessorConfig) {
    this.minTTL = config.minLeaseTTL;
    this.now = config.now;
    this.checkpointing = config.checkpointing ?? false;
    this.persistCheckpoints = config.persistCheckpoints ?? false;
    this.checkpointIntervalMs = config.checkpointIntervalMs ?? 5 * 60_000;
    this.revokeRate = config.revokeRate ?? 1000;
    this.expiredRetryMs = config.expiredRetryMs ?? 3000;
  }

  // --- state machine side -------------------------------------------------------------------

  /** grant creates a lease; its TTL is raised to the minimum. Throws etcd's errors. */
  grant(id: bigint, ttl: number): Lease {
    if (id === NO_LEASE) throw new LeaseNotFoundError();
    if (ttl > MAX_LEASE_TTL) throw new LeaseTTLTooLargeError();
    if (this.leases.has(id)) throw new LeaseExistError();
    const lease = new Lease(id, Math.max(ttl, this.minTTL));
    this.leases.set(id, lease);
    this.pending.push({ kind: "put", record: lease.record() });
    if (this.primary) {
      lease.refresh(this.now(), 0);
      this.expiries.set(id, lease.expiry);
      this.scheduleCheckpoint(lease);
    }
    return lease;
  }

  /** revoke deletes a lease and returns its keys (byte order) for the caller to delete in the same revision. */
  revoke(id: bigint): Uint8Array[] {
    const lease = this.leases.get(id);
    if (!lease) throw new LeaseNotFoundError();
    this.leases.delete(id);
    this.expiries.delete(id);
    this.checkpoints.delete(id);
    this.clearedRemainders.delete(id);
    this.pending.push({ kind: "delete", id });
    this.wake(id, "revoked");
    return lease.sortedKeys();
  }

  /**
   * checkpoint records a remaining TTL decided by the leader (applied whether or not this
   * member checkpoints itself); unknown leases are ignored, as etcd. It is written to the
   * lease table only with `persistCheckpoints`.
   */
  checkpoint(id: bigint, remainingTTL: number): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    lease.remainingTTL = remainingTTL;
    if (this.persistCheckpoints) this.pending.push({ kind: "put", record: lease.record() });
    if (this.primary) this.scheduleCheckpoint(lease);
  }

  /** attach ties keys to a lease (their deletion follows its revocation). */
  attach(id: bigint, keys: readonly Uint8Array[]): void {
    const lease = this.leases.get(id);
    if (!lease) throw new LeaseNotFoundError();
    for (const key of keys) lease.keys.set(keyString(key), key);
  }

  /** detach unties keys from a lease; a lease that is gone is not an error here. */
  detach(id: bigint, keys: readonly Uint8Array[]): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    for (const key of keys) lease.keys.delete(keyString(key));
  }

  /**
   * restore replaces every lease with persisted records (keys are attached afterwards).
   * Renewals waiting on an expired lease look again: gone is not found, kept is renewed.
   */
  restore(records: readonly LeaseRecord[]): void {
    this.leases.clear();
    this.expiries.clear();
    this.checkpoints.clear();
    this.pending = [];
    for (const record of records) this.leases.set(record.id, new Lease(record.id, record.ttl, record.remainingTTL));
    if (this.primary) this.promote(0);
    for (const id of [...this.revokeWaiters.keys()]) this.wake(id, "restored");
  }

  /** drainPersistence hands over the persistence ops queued since the last call. */
  drainPersistence(): LeasePersistOp[] {
    const ops = this.pending;
    this.pending = [];
    return ops;
  }

  /** lookup returns a lease, or undefined. */
  lookup(id: bigint): Lease | undefined {
    return this.leases.get(id);
  }

  /** has tells whether a lease exists. */
  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  /** leases lists every lease by ascending ID. */
  list(): Lease[] {
    return [...this.leases.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** size is the number of leases. */
  get size(): number {
    return this.leases.size;
  }

  // --- leader side ----------------------------------------------------------------------------

  /** isPrimary tells whether this lessor runs countdowns (its member leads). */
  get isPrimary(): boolean {
    return this.primary;
  }

  /**
   * promote makes this the leader's lessor: every lease restarts its countdown `extendMs`
   * later than its (checkpointed) TTL, and expiries bunched above 3/4 of the revoke rate
   * per second are spread into later seconds, as etcd does.
   */
  promote(extendMs: number): void {
    this.primary = true;
    const now = this.now();
    const all = [...this.leases.values()];
    for (const lease of all) lease.refresh(now, extendMs);
    if (all.length >= this.revokeRate) this.spreadExpiries(all, now, extendMs);
    // One O(n) heapify per schedule: promote runs on the event loop with every lease at once.
    this.expiries.reset(all.map((lease) => ({ id: lease.id, at: lease.expiry })));
    const checkpointAt = now + this.checkpointIntervalMs;
    this.checkpoints.reset(this.checkpointing ? all.filter((l) => l.ttl * 1000 > this.checkpointIntervalMs).map((l) => ({ id: l.id, at: checkpointAt })) : []);
  }

  /** Pushes expiries bunched above 3/4 of the revoke rate per second into later seconds, as etcd. */
  private spreadExpiries(all: Lease[], now: number, extendMs: number): void {
    const byExpiry = all.slice().sort((a, b) => a.expiry - b.expiry);
    const target = Math.floor((3 * this.revokeRate) / 4);
    let windowStart = byExpiry[0]!.expiry;
    let windowEnd = windowStart + 1000;
    let inWindow = 0;
    for (const lease of byExpiry) {
      if (lease.expiry > windowEnd) {
        windowStart = lease.expiry;
        windowEnd = windowStart + 1000;
        inWindow = 1;
        continue;
      }
      inWindow++;
      if (inWindow <= target) continue;
      // Push this lease back in proportion to how far over the target its window is.
      const delay = Math.max(0, (1000 * inWindow) / target - (lease.expiry - windowStart));
      windowEnd = windowStart + delay;
      lease.refresh(now, extendMs + delay);
    }
  }

  /**
   * demote stops every countdown: a follower's leases never expire by themselves. Renewals
   * waiting on an expired lease fail with NotPrimaryError (its revoke may never apply now).
   * The server demotes when its member stops leading and when it stops.
   */
  demote(): void {
    this.primary = false;
    for (const lease of this.leases.values()) lease.expiry = FOREVER;
    this.expiries.clear();
    this.checkpoints.clear();
    this.clearedRemainders.clear();
    for (const id of [...this.revokeWaiters.keys()]) this.wake(id, "demoted");
  }

  /**
   * renew restarts a lease's countdown (keepalive) and resolves with its TTL. Leader only
   * (NotPrimaryError elsewhere: the server forwards to the leader); an unknown lease is
   * LeaseNotFoundError at once. A lease that has expired but is not revoked yet (its
   * LeaseRevoke is on its way through consensus) is not answered until that revoke applies
   * (LeaseNotFoundError) or this lessor stops leading (NotPrimaryError), as etcd does: a
   * "not found" before the revoke applied would let the client see the lease gone while its
   * keys are still readable. A lease with a checkpointed remaining TTL gets a checkpoint of 0
   * scheduled, so other members forget the stale remainder.
   */
  async renew(id: bigint): Promise<number> {
    for (;;) {
      if (!this.primary) throw new NotPrimaryError();
      const lease = this.leases.get(id);
      if (!lease) throw new LeaseNotFoundError();
      const now = this.now();
      if (lease.expiry > now) {
        if (this.checkpointing && lease.remainingTTL > 0) this.clearedRemainders.add(id);
        lease.remainingTTL = 0;
        lease.refresh(now, 0);
        this.expiries.set(id, lease.expiry);
        return lease.ttl;
      }
      const outcome = await new Promise<RevokeWait>((resolve) => {
        const waiters = this.revokeWaiters.get(id);
        if (waiters) waiters.push(resolve);
        else this.revokeWaiters.set(id, [resolve]);
      });
      // After a revoke the answer is not found even if the same ID was granted again since.
      if (outcome === "revoked") throw new LeaseNotFoundError();
      // demoted: not primary any more; restored: the lease table changed, look again.
    }
  }

  /** Wakes the renewals waiting on lease `id`. */
  private wake(id: bigint, outcome: RevokeWait): void {
    const waiters = this.revokeWaiters.get(id);
    if (!waiters) return;
    this.revokeWaiters.delete(id);
    for (const resolve of waiters) resolve(outcome);
  }

  /** timeToLive reports a lease: granted TTL, whole seconds left (-1 once expired), keys if asked. */
  timeToLive(id: bigint, withKeys: boolean): LeaseStatus {
    const lease = this.leases.get(id);
    if (!lease) throw new LeaseNotFoundError();
    const remaining = lease.remainingMs(this.now());
    const ttl = remaining === FOREVER ? lease.remainingTTL || lease.ttl : remaining <= 0 ? -1 : Math.floor(remaining / 1000);
    return { id, grantedTTL: lease.ttl, ttl, keys: withKeys ? lease.sortedKeys() : [] };
  }

  /**
   * expiredLeases returns up to `limit` (default half the revoke rate: the server calls this
   * every 500 ms) leases past their expiry, for the server to propose their revocation. Each
   * is handed out again after the retry interval if it is still alive then.
   */
  expiredLeases(limit = Math.floor(this.revokeRate / 2)): bigint[] {
    if (!this.primary) return [];
    const now = this.now();
    const out: bigint[] = [];
    while (out.length < limit) {
      const next = this.expiries.peek();
      if (!next || next.at > now) break;
      const lease = this.leases.get(next.id);
      if (!lease) {
        this.expiries.delete(next.id);
        continue;
      }
      out.push(next.id);
      this.expiries.set(next.id, now + this.expiredRetryMs);
    }
    return out;
  }

  /**
   * dueCheckpoints returns up to `limit` remaining TTLs due for recording through consensus
   * (etcd batches at most 1000 per request).
   */
  dueCheckpoints(limit = 1000): LeaseCheckpoint[] {
    if (!this.primary || !this.checkpointing) return [];
    const now = this.now();
    const out: LeaseCheckpoint[] = [];
    for (const id of this.clearedRemainders) {
      if (out.length >= limit) return out;
      this.clearedRemainders.delete(id);
      if (this.leases.has(id)) out.push({ id, remainingTTL: 0 });
    }
    while (out.length < limit) {
      const next = this.checkpoints.peek();
      if (!next || next.at > now) break;
      this.checkpoints.delete(next.id);
      const lease = this.leases.get(next.id);
      if (!lease) continue;
      out.push({ id: lease.id, remainingTTL: Math.max(0, Math.ceil(lease.remainingMs(now) / 1000)) });
      this.scheduleCheckpoint(lease);
    }
    return out;
  }

  private scheduleCheckpoint(lease: Lease): void {
    if (!this.checkpointing || !this.primary) return;
    if (lease.ttl * 1000 > this.checkpointIntervalMs) this.checkpoints.set(lease.id, this.now() + this.checkpointIntervalMs);
  }
}
