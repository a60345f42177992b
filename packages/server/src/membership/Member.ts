/**
 * Member: one member of the cluster as the cluster records it (etcd's membership.Member):
 * ID, name, peer URLs (raft attributes), client URLs (published attributes), learner flag.
 * Persisted in the backend's `members` bucket as JSON, keyed by the hex ID.
 */

/** Member is one cluster member. */
export interface Member {
  readonly id: bigint;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** encodeMember is the persisted (and raft conf-change context) form of a member. */
export function encodeMember(member: Member): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ id: member.id.toString(16), name: member.name, peerURLs: member.peerURLs, clientURLs: member.clientURLs, isLearner: member.isLearner }),
  );
}

/** decodeMember reads a persisted member. */
export function decodeMember(bytes: Uint8Array): Member {
  const raw = JSON.parse(new TextDecoder().decode(bytes)) as { id: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean };
  return { id: BigInt(`0x${raw.id}`), name: raw.name, peerURLs: raw.peerURLs, clientURLs: raw.clientURLs ?? [], isLearner: raw.isLearner === true };
}

/** memberKey is a member's key in the `members` bucket. */
export function memberKey(id: bigint): Uint8Array {
  return new TextEncoder().encode(id.toString(16).padStart(16, "0"));
}
