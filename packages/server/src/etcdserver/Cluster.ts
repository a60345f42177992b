/**
 * Cluster: what the RPC layer sees of the member's place in its cluster — etcd's
 * api.Cluster plus the response header every answer carries. Membership changes need the
 * peer transport and come with the cluster issue.
 */
import type { etcdserverpb as pb } from "@etcd-ts/api";
import type { Member } from "../membership/Member.js";

/** Cluster answers who the member is and who else is in its cluster. */
export interface Cluster {
  /** header builds a response header at `revision`: cluster and member IDs, the current raft term. */
  header(revision: number): pb.ResponseHeader;
  /** memberList lists the cluster's members in ID order, as this member knows them. */
  memberList(): Member[];
  /** linearizableReadNotify resolves when a read may be served linearizably (a shared ReadIndex round). */
  linearizableReadNotify(): Promise<void>;
}
