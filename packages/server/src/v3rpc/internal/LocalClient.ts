/**
 * LocalClient: the member as its own client, for the Lock and Election services. etcd runs
 * these services as the `clientv3/concurrency` recipes over an in-process client
 * (`v3client`); this is that client, cut down to what the recipes use: a Txn, a
 * linearizable Get, a Delete, a session lease Grant, and watches that wait for deletions.
 *
 * Requests go the same way as the KV service's: writes through raft with the caller's auth
 * info (permissions are checked when applied), reads after a shared ReadIndex round with the
 * range permission checked first.
 *
 * Errors: etcd's in-process client hands the recipes its errors as plain Go errors, and gRPC
 * sends any such error as status Unknown with its text. So every error these services
 * return travels as Unknown ("etcdserver: requested lease not found", "election: no
 * leader", ...): {@link asRecipeError} makes that so.
 *
 * Not here: keeping leases alive. etcd's services orphan their sessions at once, so a lease
 * they grant (for a request with lease 0) lives its TTL and no longer.
 */
import {
  CompactedError,
  EmptyKeyError,
  EtcdError,
  GrpcStatus,
  etcdserverpb as pb,
  mvccpb,
  type PartialMessage,
} from "@etcd-ts/api";
import type { AuthInfo } from "@etcd-ts/auth";
import { isMvccError, type WatchResponse } from "@etcd-ts/mvcc";
import type { Authenticator } from "../../etcdserver/Authenticator.js";
import type { Cluster } from "../../etcdserver/Cluster.js";
import type { RaftKV } from "../../etcdserver/RaftKV.js";
import type { RaftLessor } from "../../etcdserver/RaftLessor.js";
import type { Watchable } from "../../etcdserver/Watchable.js";

/** SESSION_TTL_SECONDS is the TTL of a lease granted for a request that named none (etcd's defaultSessionTTL). */
export const SESSION_TTL_SECONDS = 60;

const encoder = new TextEncoder();

/** RecipeError is an error as the Lock and Election services send it: status Unknown, etcd's text. */
export class RecipeError extends EtcdError {
  constructor(message: string, options?: ErrorOptions) {
    super(GrpcStatus.UNKNOWN, message, options);
  }
}

/**
 * asRecipeError gives what a recipe threw the status etcd's services send for it: Unknown with
 * the error's client-facing text. Abort reasons pass through unchanged (the call is over).
 */
export function asRecipeError(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted && error === signal.reason) return error;
  if (error instanceof RecipeError) return error;
  if (isMvccError(error)) return new RecipeError(error.toApiError().message, { cause: error });
  if (error instanceof Error) return new RecipeError(error.message, { cause: error });
  return new RecipeError(String(error));
}

/** leaseKey is a session's key under `prefix`: the prefix and the lease ID in hex (Go's `%s%x`). */
export function leaseKey(prefix: Uint8Array, lease: bigint): Uint8Array {
  return concat(prefix, encoder.encode(lease.toString(16)));
}

/** withSlash is an election's or a lock's key prefix: its name and "/". */
export function withSlash(name: Uint8Array): Uint8Array {
  return concat(name, encoder.encode("/"));
}

/** prefixEnd is the range end covering every key that starts with `prefix` (clientv3's GetPrefixRangeEnd). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.slice(0, i + 1);
    }
  }
  // Every byte is 0xff: no key is greater, so the range runs to the end of the keyspace.
  return Uint8Array.of(0);
}

/** sameBytes compares two byte strings. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Ops builds the Txn pieces the recipes use (clientv3's Compare and Op helpers). */
export const Ops = {
  /** createRevisionIs compares a key's create revision for equality (0: the key does not exist). */
  createRevisionIs(key: Uint8Array, revision: number): pb.Compare {
    return pb.Compare.create({ result: pb.Compare_CompareResult.EQUAL, target: pb.Compare_CompareTarget.CREATE, key, targetUnion: { $case: "createRevision", createRevision: revision } });
  },
  put(key: Uint8Array, value: Uint8Array, lease: bigint): pb.RequestOp {
    return pb.RequestOp.create({ request: { $case: "requestPut", requestPut: { key, value, lease } } });
  },
  get(request: PartialMessage<pb.RangeRequest>): pb.RequestOp {
    return pb.RequestOp.create({ request: { $case: "requestRange", requestRange: request } });
  },
  delete(key: Uint8Array): pb.RequestOp {
    return pb.RequestOp.create({ request: { $case: "requestDeleteRange", requestDeleteRange: { key } } });
  },
  /** firstCreate ranges over a prefix for its oldest key (clientv3's WithFirstCreate). */
  firstCreate(prefix: Uint8Array): PartialMessage<pb.RangeRequest> {
    return { key: prefix, rangeEnd: prefixEnd(prefix), limit: 1, sortOrder: pb.RangeRequest_SortOrder.ASCEND, sortTarget: pb.RangeRequest_SortTarget.CREATE };
  },
  /** lastCreateUpTo ranges over a prefix for its newest key created at or before `maxCreateRevision`. */
  lastCreateUpTo(prefix: Uint8Array, maxCreateRevision: number): PartialMessage<pb.RangeRequest> {
    return { key: prefix, rangeEnd: prefixEnd(prefix), limit: 1, sortOrder: pb.RangeRequest_SortOrder.DESCEND, sortTarget: pb.RangeRequest_SortTarget.CREATE, maxCreateRevision };
  },
} as const;

/** rangeOf returns the Range response of a Txn's `index`-th operation. */
export function rangeOf(response: pb.TxnResponse, index: number): pb.RangeResponse {
  const op = response.responses[index]?.response;
  if (op?.$case !== "responseRange") throw new Error(`etcd-ts: txn response ${index} is not a range`);
  return op.responseRange;
}

/** LocalMember is what the in-process client uses of its member: its KV, leases, callers, header and watches. */
export interface LocalMember extends RaftKV, RaftLessor, Pick<Authenticator, "authInfo">, Pick<Cluster, "header">, Pick<Watchable, "newWatchStream"> {}

/** LocalClient issues the recipes' requests to `server` on behalf of one caller. */
export class LocalClient {
  constructor(
    private readonly server: LocalMember,
    private readonly authInfo: AuthInfo | undefined,
  ) {}

  /** forCall makes the client of a gRPC caller, authenticated by its `token` metadata. */
  static async forCall(server: LocalMember, metadata: Readonly<Record<string, string>>): Promise<LocalClient> {
    return new LocalClient(server, await server.authInfo(metadata));
  }

  /** txn serves a Txn as the KV service does. */
  txn(request: PartialMessage<pb.TxnRequest>, signal?: AbortSignal): Promise<pb.TxnResponse> {
    return this.server.txn(pb.TxnRequest.create(request), this.authInfo, signal);
  }

  /** get serves a Range (linearizable unless the request says serializable) as the KV service does. */
  async get(request: PartialMessage<pb.RangeRequest>): Promise<pb.RangeResponse> {
    const range = pb.RangeRequest.create(request);
    if (range.key.length === 0) throw new EmptyKeyError();
    return this.server.range(range, this.authInfo);
  }

  /** delete deletes one key. */
  async delete(key: Uint8Array, signal?: AbortSignal): Promise<pb.DeleteRangeResponse> {
    if (key.length === 0) throw new EmptyKeyError();
    return this.server.deleteRange(pb.DeleteRangeRequest.create({ key }), this.authInfo, signal);
  }

  /**
   * sessionLease is the lease a request's session runs on: the one it names, or else a fresh
   * lease of {@link SESSION_TTL_SECONDS} (etcd's NewSession with WithLease(0) grants one).
   */
  async sessionLease(lease: bigint, signal?: AbortSignal): Promise<bigint> {
    if (lease !== 0n) return lease;
    const request = pb.LeaseGrantRequest.create({ ID: 0n, TTL: SESSION_TTL_SECONDS });
    const response = await this.server.leaseGrant(request, this.authInfo, signal);
    return response.ID;
  }

  /**
   * watch yields the watch responses of [key, rangeEnd) from `startRevision` on, until
   * `signal` aborts (then it throws the abort reason) or the member stops watching (then it
   * ends). A compacted start revision throws CompactedError.
   */
  async *watch(key: Uint8Array, rangeEnd: Uint8Array | undefined, startRevision: number, signal: AbortSignal): AsyncGenerator<WatchResponse> {
    signal.throwIfAborted();
    const stream = this.server.newWatchStream();
    const onAbort = (): void => stream.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      stream.watch(key, rangeEnd, { startRevision });
      for await (const response of stream) {
        if (response.compactRevision > 0) throw new CompactedError();
        yield response;
      }
      signal.throwIfAborted();
    } finally {
      signal.removeEventListener("abort", onAbort);
      stream.close();
    }
  }

  /** waitDelete resolves once `key` is deleted at or after `revision` (the recipes' waitDelete). */
  async waitDelete(key: Uint8Array, revision: number, signal: AbortSignal): Promise<void> {
    for await (const response of this.watch(key, undefined, revision, signal)) {
      if (response.events.some((event) => event.type === mvccpb.Event_EventType.DELETE)) return;
    }
    throw new Error("lost watcher waiting for delete");
  }

  /**
   * waitDeletes waits until no key under `prefix` was created at or before `maxCreateRevision`,
   * deleting nothing itself: it watches the newest such key until it goes, then looks again.
   * Resolves with the header of the Range that found none.
   */
  async waitDeletes(prefix: Uint8Array, maxCreateRevision: number, signal: AbortSignal): Promise<pb.ResponseHeader> {
    for (;;) {
      signal.throwIfAborted();
      const response = await this.get(Ops.lastCreateUpTo(prefix, maxCreateRevision));
      const newest = response.kvs[0];
      const header = response.header ?? this.server.header(0);
      if (newest === undefined) return header;
      await this.waitDelete(newest.key, header.revision, signal);
    }
  }
}
