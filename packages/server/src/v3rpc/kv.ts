/**
 * The KV service: Range, Put, DeleteRange, Txn, Compact — the request checks etcd's gRPC
 * layer makes, then the member's RaftKV (writes through raft, reads after a shared
 * ReadIndex round or at once when serializable; see etcdserver/RaftKV.ts).
 */
import { EmptyKeyError, LeaseProvidedError, ValueProvidedError, etcdserverpb as pb } from "@etcd-ts/api";
import type { Authenticator } from "../etcdserver/Authenticator.js";
import type { RaftKV } from "../etcdserver/RaftKV.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";
import { EncodedResponse, withEncodedResponses } from "./internal/EncodedResponse.js";

/** registerKV adds the KV service of `server` to a gRPC server. */
export function registerKV(grpc: GrpcServer, server: RaftKV & Authenticator): void {
  const S = pb.KVService;

  // Ranges come back from the storage worker already encoded (one transferred buffer).
  grpc.addUnary(withEncodedResponses(S.range), async (request, call) => {
    if (request.key.length === 0) throw new EmptyKeyError();
    const { header, body } = await server.rangeEncoded(request, await server.authInfo(call.metadata));
    return new EncodedResponse(header, body);
  });

  grpc.addUnary(S.put, async (request, call) => {
    if (request.key.length === 0) throw new EmptyKeyError();
    if (request.ignoreValue && request.value.length !== 0) throw new ValueProvidedError();
    if (request.ignoreLease && request.lease !== 0n) throw new LeaseProvidedError();
    return server.put(request, await server.authInfo(call.metadata));
  });

  grpc.addUnary(S.deleteRange, async (request, call) => {
    if (request.key.length === 0) throw new EmptyKeyError();
    return server.deleteRange(request, await server.authInfo(call.metadata));
  });

  grpc.addUnary(S.txn, async (request, call) => server.txn(request, await server.authInfo(call.metadata)));

  grpc.addUnary(S.compact, async (request, call) => server.compact(request, await server.authInfo(call.metadata)));
}
