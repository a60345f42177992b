/**
 * The `lease` bucket's format: key = lease ID as 8 bytes big-endian, value = granted TTL and
 * checkpointed remaining TTL as two 8-byte big-endian integers.
 */
import type { BucketWrite } from "@etcd-ts/mvcc";
import type { LeasePersistOp, LeaseRecord } from "@etcd-ts/lease";

/** LEASE_BUCKET is the bucket leases are persisted in. */
export const LEASE_BUCKET = "lease";

function leaseKey(id: bigint): Uint8Array {
  const key = Buffer.alloc(8);
  key.writeBigInt64BE(BigInt.asIntN(64, id));
  return key;
}

/** leaseWrites turns the lessor's persistence ops into bucket writes. */
export function leaseWrites(ops: readonly LeasePersistOp[]): BucketWrite[] {
  return ops.map((op) => {
    if (op.kind === "delete") return { bucket: LEASE_BUCKET, key: leaseKey(op.id), value: null };
    const value = Buffer.alloc(16);
    value.writeBigInt64BE(BigInt(op.record.ttl));
    value.writeBigInt64BE(BigInt(op.record.remainingTTL), 8);
    return { bucket: LEASE_BUCKET, key: leaseKey(op.record.id), value };
  });
}

/** decodeLeaseRecord reads one entry of the bucket. */
export function decodeLeaseRecord(key: Uint8Array, value: Uint8Array): LeaseRecord {
  const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const v = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return { id: k.readBigInt64BE(0), ttl: Number(v.readBigInt64BE(0)), remainingTTL: Number(v.readBigInt64BE(8)) };
}
