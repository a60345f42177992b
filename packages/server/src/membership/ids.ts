/**
 * Member and cluster IDs, computed as etcd computes them, so a cluster started with the same
 * flags gets the same IDs as etcd would give it (facts: SHA-1, first 8 bytes big-endian).
 */
import { createHash } from "node:crypto";

/**
 * computeMemberId: SHA-1 over the member's sorted peer URLs joined, the cluster token, and —
 * for a member added at runtime — the time in seconds; the first 8 bytes, big-endian.
 */
export function computeMemberId(peerUrls: readonly string[], clusterToken: string, now?: Date): bigint {
  let text = [...peerUrls].sort().join("") + clusterToken;
  if (now) text += String(Math.floor(now.getTime() / 1000));
  return createHash("sha1").update(text).digest().readBigUInt64BE(0);
}

/** computeClusterId: SHA-1 over the sorted member IDs as 8-byte big-endian values; first 8 bytes. */
export function computeClusterId(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => bytes.writeBigUInt64BE(id, 8 * i));
  return createHash("sha1").update(bytes).digest().readBigUInt64BE(0);
}

/** idHex formats an ID as etcd prints it: lower-case hex, no padding. */
export function idHex(id: bigint): string {
  return id.toString(16);
}
