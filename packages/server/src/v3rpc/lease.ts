/**
 * The Lease service: grants and revokes through raft; keepalives and TimeToLive answered by
 * the leader's lessor (a single member is its own leader). TimeToLive with keys is checked for
 * READ on every key it would list.
 */
import { LeaseNotFoundError, etcdserverpb as pb } from "@etcd-ts/api";
import { checkLeaseTimeToLive } from "@etcd-ts/auth";
import type { LeaseStatus } from "@etcd-ts/lease";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";

/** registerLease adds the Lease service of `server` to a gRPC server. */
export function registerLease(grpc: GrpcServer, server: EtcdServer): void {
  const S = pb.LeaseService;
  const header = (): pb.ResponseHeader => server.header(server.watchable.revision);

  grpc.addUnary(S.leaseGrant, async (request, call) => {
    const ID = request.ID === 0n ? server.newLeaseId() : request.ID;
    return await server.propose("leaseGrant", { ...request, ID }, await server.authInfo(call.metadata));
  });

  grpc.addUnary(S.leaseRevoke, async (request, call) => await server.propose("leaseRevoke", request, await server.authInfo(call.metadata)));

  grpc.addStream(S.leaseKeepAlive, async (call) => {
    // One request at a time, as etcd: a renewal waiting for an expired lease's revoke holds
    // back the stream's later keepalives until it is answered.
    for await (const request of call) {
      // The header is taken before renewing, as etcd does, so its revision is never past
      // the one at which the lease was renewed (or revoked).
      const responseHeader = header();
      let TTL: number;
      try {
        TTL = await server.renewLease(request.ID);
      } catch (error) {
        // etcd answers a keepalive of an unknown or revoked lease with TTL 0.
        if (!(error instanceof LeaseNotFoundError)) throw error;
        TTL = 0;
      }
      if (!call.send({ header: responseHeader, ID: request.ID, TTL })) await call.drained();
    }
  });

  grpc.addUnary(S.leaseTimeToLive, async (request, call) => {
    // The keys' names are answered only to a caller who may read them all (the fixed etcd's
    // check, CVE-2023-32082); without keys, as in etcd, the caller is not even resolved.
    const authInfo = request.keys ? await server.authInfo(call.metadata) : undefined;
    await server.linearizableReadNotify();
    let status: LeaseStatus | undefined;
    try {
      status = server.lessor.timeToLive(request.ID, request.keys);
    } catch (error) {
      if (!(error instanceof LeaseNotFoundError)) throw error;
    }
    // Checked in the same turn as the lookup: the keys checked are the keys listed, and no auth
    // change can land in between (etcd re-reads the auth revision afterwards for that).
    if (request.keys) checkLeaseTimeToLive(server.auth, authInfo, status?.keys ?? []);
    if (status === undefined) return { header: header(), ID: request.ID, TTL: -1 };
    return { header: header(), ID: request.ID, TTL: status.ttl, grantedTTL: status.grantedTTL, keys: status.keys };
  });

  grpc.addUnary(S.leaseLeases, async () => {
    await server.linearizableReadNotify();
    return { header: header(), leases: server.lessor.list().map((lease) => ({ ID: lease.id })) };
  });
}
