/**
 * The Lease service: the member's RaftLessor (grants and revokes through raft; keepalives,
 * TimeToLive and Leases answered by the leader's lessor; see etcdserver/RaftLessor.ts).
 * TimeToLive with keys is checked for READ on every key it would list.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { Authenticator } from "../etcdserver/Authenticator.js";
import type { RaftLessor } from "../etcdserver/RaftLessor.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerLease adds the Lease service of `server` to a gRPC server. */
export function registerLease(grpc: GrpcServer, server: RaftLessor & Authenticator): void {
  const S = pb.LeaseService;

  grpc.addUnary(S.leaseGrant, async (request, call) => server.leaseGrant(request, await server.authInfo(call.metadata)));

  grpc.addUnary(S.leaseRevoke, async (request, call) => server.leaseRevoke(request, await server.authInfo(call.metadata)));

  grpc.addStream(S.leaseKeepAlive, async (call) => {
    // One request at a time, as etcd: a renewal waiting for an expired lease's revoke holds
    // back the stream's later keepalives until it is answered.
    for await (const request of call) {
      if (!call.send(await server.leaseKeepAlive(request.ID))) await call.drained();
    }
  });

  grpc.addUnary(S.leaseTimeToLive, async (request, call) => {
    // The keys' names are answered only to a caller who may read them all (the fixed etcd's
    // check, CVE-2023-32082); without keys, as in etcd, the caller is not even resolved.
    const authInfo = request.keys ? await server.authInfo(call.metadata) : undefined;
    return server.leaseTimeToLive(request, authInfo);
  });

  grpc.addUnary(S.leaseLeases, () => server.leaseLeases());
}
