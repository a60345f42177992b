/**
 * The KV service: Range, Put, DeleteRange, Txn, Compact — request checks as etcd's gRPC
 * layer makes them, writes proposed through raft, reads served after a shared ReadIndex
 * round (or at once when serializable).
 */
import {
  EmptyKeyError,
  LeaseProvidedError,
  ValueProvidedError,
  etcdserverpb as pb,
} from "@etcd-ts/api";
import { checkRange, checkTxn } from "@etcd-ts/auth";
import { checkTxnRequest, isMvccError } from "@etcd-ts/mvcc";
import type { EtcdServer } from "../etcdserver/EtcdServer.js";
import type { GrpcServer } from "../grpc/GrpcServer.js";
import { EncodedResponse, withEncodedResponses } from "./internal/EncodedResponse.js";

/** registerKV adds the KV service of `server` to a gRPC server. */
export function registerKV(grpc: GrpcServer, server: EtcdServer): void {
  const S = pb.KVService;
  const withHeader = <T extends { header?: pb.ResponseHeader | undefined }>(response: T): T => {
    response.header = server.header(response.header?.revision ?? 0);
    return response;
  };

  // Ranges come back from the storage worker already encoded (one transferred buffer).
  grpc.addUnary(withEncodedResponses(S.range), async (request, call) => {
    if (request.key.length === 0) throw new EmptyKeyError();
    if (server.auth.isAuthEnabled()) checkRange(server.auth, await server.authInfo(call.metadata), request);
    if (!request.serializable) await server.linearizableReadNotify();
    server.metrics.storeRequest("range");
    try {
      const { revision, body } = await server.engine.rangeEncoded(request);
      return new EncodedResponse(server.header(revision), body) as unknown as pb.RangeResponse;
    } catch (error) {
      throw isMvccError(error) ? error.toApiError() : error;
    }
  });

  grpc.addUnary(S.put, async (request, call) => {
    if (request.key.length === 0) throw new EmptyKeyError();
    if (request.ignoreValue && request.value.length !== 0) throw new ValueProvidedError();
    if (request.ignoreLease && request.lease !== 0n) throw new LeaseProvidedError();
    return await server.propose("put", request, await server.authInfo(call.metadata));
  });

  grpc.addUnary(S.deleteRange, async (request, call) => {
    if (request.key.length === 0) throw new EmptyKeyError();
    return await server.propose("deleteRange", request, await server.authInfo(call.metadata));
  });

  grpc.addUnary(S.txn, async (request, call) => {
    checkTxnRequest(request, server.config.maxTxnOps);
    const authInfo = await server.authInfo(call.metadata);
    if (isReadOnly(request)) {
      if (server.auth.isAuthEnabled()) checkTxn(server.auth, authInfo, request);
      // etcd serves a read-only txn without raft: after ReadIndex unless every range in it is serializable.
      if (!isSerializable(request)) await server.linearizableReadNotify();
      server.metrics.storeRequest("txn");
      const result = await server.engine.apply({ index: 0, term: 0, ops: [{ op: "txn", request }] });
      const outcome = result.results[0]!;
      if (!outcome.ok) throw outcome.error.toApiError();
      return withHeader(outcome.response as pb.TxnResponse);
    }
    return await server.propose("txn", request, authInfo);
  });

  grpc.addUnary(S.compact, async (request, call) => {
    const response = await server.propose("compact", request, await server.authInfo(call.metadata));
    if (request.physical) await server.engine.compacted(request.revision);
    return response;
  });
}

function isReadOnly(txn: pb.TxnRequest): boolean {
  return [...txn.success, ...txn.failure].every((op) => {
    const r = op.request;
    if (r === undefined || r.$case === "requestRange") return true;
    if (r.$case === "requestTxn") return isReadOnly(r.requestTxn);
    return false;
  });
}

function isSerializable(txn: pb.TxnRequest): boolean {
  return [...txn.success, ...txn.failure].every((op) => {
    const r = op.request;
    if (r?.$case === "requestRange") return r.requestRange.serializable;
    if (r?.$case === "requestTxn") return isSerializable(r.requestTxn);
    return true;
  });
}
