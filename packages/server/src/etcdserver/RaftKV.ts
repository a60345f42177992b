/**
 * RaftKV: what the KV service (and the member's own in-process client) sees of a member —
 * etcd's RaftKV. Writes go through raft; reads are served by the member once it may
 * (after a shared ReadIndex round unless serializable), with the caller's permission
 * checked against the applied auth state. The request checks etcd's gRPC layer makes
 * (empty keys, ignore_value with a value, ...) stay with the gRPC handlers.
 *
 * Errors are etcd's client-facing errors (`EtcdError`s): permission denied, compacted,
 * future revision, no leader, timed out, stopped, what applying gave.
 */
import type { etcdserverpb as pb } from "@etcd-ts/api";
import type { AuthInfo } from "@etcd-ts/auth";

/** EncodedRangeResponse is a RangeResponse whose fields other than the header are already in wire format. */
export interface EncodedRangeResponse {
  readonly header: pb.ResponseHeader;
  /** body: the RangeResponse's other fields in protobuf (no header field). */
  readonly body: Uint8Array;
}

/**
 * RaftKV serves the KV requests of one caller, `authInfo` (undefined: no user, or auth
 * disabled). `signal`: a caller that may give up (lock and election waits) learns it with
 * the outcome; gRPC handlers pass none, as the gRPC layer answers a cancelled client itself.
 */
export interface RaftKV {
  /** range serves a Range: linearizable unless `request.serializable`. */
  range(request: pb.RangeRequest, authInfo: AuthInfo | undefined): Promise<pb.RangeResponse>;
  /** rangeEncoded serves a Range like {@link RaftKV.range}, answering in wire format (one transferred buffer). */
  rangeEncoded(request: pb.RangeRequest, authInfo: AuthInfo | undefined): Promise<EncodedRangeResponse>;
  /** put proposes a Put. */
  put(request: pb.PutRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.PutResponse>;
  /** deleteRange proposes a DeleteRange. */
  deleteRange(request: pb.DeleteRangeRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.DeleteRangeResponse>;
  /**
   * txn checks a Txn (`--max-txn-ops`, duplicate keys) and serves it: a txn of ranges only is
   * served as a read (linearizable unless every range is serializable), any other through raft.
   */
  txn(request: pb.TxnRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.TxnResponse>;
  /** compact proposes a Compaction; a physical one resolves once the backend dropped what it covers. */
  compact(request: pb.CompactionRequest, authInfo: AuthInfo | undefined): Promise<pb.CompactionResponse>;
}
