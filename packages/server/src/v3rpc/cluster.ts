/**
 * The Cluster service. MemberList is served from the member's view of the cluster;
 * membership changes need the peer transport and come with the cluster issue.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { Cluster } from "../etcdserver/Cluster.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** toPbMember turns a member into its API form. */
export function toPbMember(member: { id: bigint; name: string; peerURLs: readonly string[]; clientURLs: readonly string[]; isLearner: boolean }): pb.Member {
  return pb.Member.create({ ID: member.id, name: member.name, peerURLs: [...member.peerURLs], clientURLs: [...member.clientURLs], isLearner: member.isLearner });
}

/** registerCluster adds the Cluster service of `server` to a gRPC server. */
export function registerCluster(grpc: GrpcServer, server: Cluster): void {
  grpc.addUnary(pb.ClusterService.memberList, async (request) => {
    if (request.linearizable) await server.linearizableReadNotify();
    // etcd's Cluster responses carry no revision.
    return { header: server.header(0), members: server.memberList().map(toPbMember) };
  });
}
