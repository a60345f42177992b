/**
 * @etcd-ts/lease — the lessor: TTL leases, keepalive, expiry at a bounded rate, and
 * checkpoints of remaining TTLs, with an injected clock (DESIGN §7, etcd's lease semantics).
 *
 * @packageDocumentation
 */
export { Lessor, MAX_LEASE_TTL, NO_LEASE, NotPrimaryError, minLeaseTTL } from "./Lessor.js";
export type { LeaseCheckpoint, LeasePersistOp, LeaseStatus, LessorConfig } from "./Lessor.js";
export { FOREVER, Lease, keyString } from "./Lease.js";
export type { LeaseRecord } from "./Lease.js";
export { LeaseQueue } from "./LeaseQueue.js";
export type { LeaseDeadline } from "./LeaseQueue.js";
