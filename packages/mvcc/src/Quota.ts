/**
 * Quota: the backend space quota (etcd's `etcdserver/quota.go`), as pure functions of a
 * request and the backend size, for the server to check before it proposes.
 *
 * - The cost of a request is what it may add: 256 bytes of overhead plus key and value per
 *   put; a txn costs its costlier branch (top-level puts only, as etcd); a lease grant 64.
 * - A request is available when `size + cost < quota` (so, as in etcd, even a cost-free
 *   txn is refused once the backend has reached the quota).
 * - What happens then (the NOSPACE alarm, the capped applier) is the server's.
 */
import type { etcdserverpb } from "@etcd-ts/api";

/** DEFAULT_QUOTA_BYTES is etcd's default backend quota: 2 GiB. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/** MAX_QUOTA_BYTES is etcd's recommended maximum quota: 8 GiB. */
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024;

const KV_OVERHEAD = 256;

/** LEASE_OVERHEAD is the quota cost of a lease grant (etcd's leaseOverhead). */
export const LEASE_OVERHEAD = 64;

/** costPut is the quota cost of a put. */
export function costPut(r: etcdserverpb.PutRequest): number {
  return KV_OVERHEAD + r.key.length + r.value.length;
}

function costOps(ops: readonly etcdserverpb.RequestOp[]): number {
  let cost = 0;
  for (const op of ops) if (op.request?.$case === "requestPut") cost += costPut(op.request.requestPut);
  return cost;
}

/** costTxn is the quota cost of a txn: its costlier branch's puts (nested txns cost 0, as in etcd). */
export function costTxn(r: etcdserverpb.TxnRequest): number {
  return Math.max(costOps(r.success), costOps(r.failure));
}

/** Quota decides whether a write fits in the backend; see the module comment. */
export class Quota {
  /** quotaBytes is the limit (<= 0 at construction means the default; Infinity: none). */
  readonly quotaBytes: number;

  /** Creates a quota of quotaBytes (0: etcd's default 2 GiB; negative: no quota). */
  constructor(quotaBytes = 0) {
    this.quotaBytes = quotaBytes === 0 ? DEFAULT_QUOTA_BYTES : quotaBytes < 0 ? Infinity : quotaBytes;
  }

  /** available tells whether a request of `cost` bytes fits a backend of `size` bytes. */
  available(size: number, cost: number): boolean {
    return size + cost < this.quotaBytes;
  }
}
