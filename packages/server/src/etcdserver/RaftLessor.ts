/**
 * RaftLessor: what the Lease service (and the member's own in-process client) sees of a
 * member's leases — etcd's etcdserver.Lessor. Grants and revokes go through raft;
 * keepalives, TimeToLive and Leases are answered by the leader's lessor (a single member
 * is its own leader; forwarding to another leader comes with the peer transport).
 */
import type { etcdserverpb as pb } from "@etcd-ts/api";
import type { AuthInfo } from "@etcd-ts/auth";

/** RaftLessor serves lease requests. */
export interface RaftLessor {
  /** leaseGrant proposes a grant; ID 0 asks the member to pick the lease's ID. */
  leaseGrant(request: pb.LeaseGrantRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.LeaseGrantResponse>;
  /** leaseRevoke proposes a revoke (the lease's keys are deleted in one revision). */
  leaseRevoke(request: pb.LeaseRevokeRequest, authInfo: AuthInfo | undefined): Promise<pb.LeaseRevokeResponse>;
  /**
   * leaseKeepAlive renews a lease on the leader: TTL 0 for a lease that is unknown or gets
   * revoked meanwhile; NoLeaderError off the leader. The header is taken before renewing.
   */
  leaseKeepAlive(id: bigint): Promise<pb.LeaseKeepAliveResponse>;
  /**
   * leaseTimeToLive answers TimeToLive after a ReadIndex round (TTL -1: no such lease). With
   * `keys`, the caller `authInfo` must be allowed to read every key it lists.
   */
  leaseTimeToLive(request: pb.LeaseTimeToLiveRequest, authInfo: AuthInfo | undefined): Promise<pb.LeaseTimeToLiveResponse>;
  /** leaseLeases lists the leases after a ReadIndex round. */
  leaseLeases(): Promise<pb.LeaseLeasesResponse>;
}
