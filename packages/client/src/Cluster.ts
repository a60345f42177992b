/**
 * Cluster: list, add, remove, update and promote members (etcd's `etcdserverpb.Cluster`).
 *
 * Answers are etcd's messages as they are (`etcdserverpb.MemberListResponse`, ...). Member
 * IDs are `bigint`. Only `memberList` is retried on another endpoint; membership changes are
 * writes and are never re-sent once sent.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { CallOptions, Transport } from "./internal/Transport.js";

/** Member is one cluster member: ID, name, peer and client URLs, learner flag. */
export type Member = pb.Member;

const { ClusterService } = pb;

/** Cluster is the membership API. */
export class Cluster {
  /** @internal Created by the client. */
  constructor(private readonly transport: Transport) {}

  /** memberList lists the cluster's members (linearizable unless `serializable`). */
  memberList(options?: CallOptions & { readonly serializable?: boolean | undefined }): Promise<pb.MemberListResponse> {
    return this.transport.unary(ClusterService.memberList, { linearizable: !(options?.serializable ?? false) }, { idempotent: true }, options);
  }

  /** memberAdd adds a member (a learner with `isLearner`) with the given peer URLs. */
  memberAdd(peerURLs: readonly string[], options?: CallOptions & { readonly isLearner?: boolean | undefined }): Promise<pb.MemberAddResponse> {
    return this.transport.unary(ClusterService.memberAdd, { peerURLs, isLearner: options?.isLearner ?? false }, { idempotent: false }, options);
  }

  /** memberRemove removes a member. */
  memberRemove(id: bigint, options?: CallOptions): Promise<pb.MemberRemoveResponse> {
    return this.transport.unary(ClusterService.memberRemove, { ID: id }, { idempotent: false }, options);
  }

  /** memberUpdate replaces a member's peer URLs. */
  memberUpdate(id: bigint, peerURLs: readonly string[], options?: CallOptions): Promise<pb.MemberUpdateResponse> {
    return this.transport.unary(ClusterService.memberUpdate, { ID: id, peerURLs }, { idempotent: false }, options);
  }

  /** memberPromote promotes a learner to a voting member. */
  memberPromote(id: bigint, options?: CallOptions): Promise<pb.MemberPromoteResponse> {
    return this.transport.unary(ClusterService.memberPromote, { ID: id }, { idempotent: false }, options);
  }
}
