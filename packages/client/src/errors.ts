/**
 * The client's own errors: failures that are not a status an etcd server sent, but facts the
 * client establishes (closed, timed out, outcome unknown, watch compacted, lease lost).
 *
 * Each is an {@link EtcdError} (so `err.code` is always a gRPC status code), and the server's
 * errors keep their catalogue classes from `@etcd-ts/api` (`LeaseNotFoundError`, ...), which
 * this package re-exports. Aborting a call through an `AbortSignal` rejects it with the
 * signal's reason, as `fetch` does, not with one of these.
 */
import { CompactedError, EtcdError, GrpcStatus } from "@etcd-ts/api";

/** ClientClosedError: the call was made on, or was in flight when, `client.close()` ran. */
export class ClientClosedError extends EtcdError {
  constructor(options?: ErrorOptions) {
    super(GrpcStatus.CANCELLED, "etcd client: the client is closed", options);
  }
}

/**
 * CallTimeoutError: the call's `timeout` passed before an answer came. For a write
 * (`outcomeUnknown` true) the server may or may not have applied it.
 */
export class CallTimeoutError extends EtcdError {
  /** outcomeUnknown is true when the call was a write that may have been applied. */
  readonly outcomeUnknown: boolean;
  constructor(timeoutMs: number, outcomeUnknown: boolean, options?: ErrorOptions) {
    super(GrpcStatus.DEADLINE_EXCEEDED, `etcd client: no answer within ${timeoutMs} ms`, options);
    this.outcomeUnknown = outcomeUnknown;
  }
}

/**
 * UnknownOutcomeError: a write (put, delete, txn with a write, lease grant/revoke, compact, ...)
 * was sent and the connection failed before its answer came. The write may or may not have
 * been applied; the client never re-sends it on its own. `cause` is the transport error.
 */
export class UnknownOutcomeError extends EtcdError {
  constructor(method: string, options?: ErrorOptions) {
    super(GrpcStatus.UNAVAILABLE, `etcd client: connection lost during ${method}; the write may or may not have been applied`, options);
  }
}

/**
 * NoEndpointAvailableError: every attempt of a call failed to reach a server (all endpoints
 * down or unreachable) within the retry budget. `cause` is the last transport error.
 */
export class NoEndpointAvailableError extends EtcdError {
  constructor(attempts: number, options?: ErrorOptions) {
    super(GrpcStatus.UNAVAILABLE, `etcd client: no endpoint reachable after ${attempts} attempts`, options);
  }
}

/**
 * WatchCompactedError: a watch asked for (or had to resume from) a revision that has been
 * compacted away. `compactRevision` is the oldest revision still available: watching again
 * from it (after a fresh read) is how to recover. It is a {@link CompactedError}.
 */
export class WatchCompactedError extends CompactedError {
  /** compactRevision is the revision the store has been compacted to. */
  readonly compactRevision: number;
  constructor(compactRevision: number, options?: ErrorOptions) {
    super(options);
    this.compactRevision = compactRevision;
  }
}

/**
 * LeaseExpiredError: a kept-alive lease is gone, either because the server answered a
 * keep-alive with TTL 0 (expired or revoked) or because no keep-alive was acknowledged
 * before the lease's TTL ran out (it must be presumed expired).
 */
export class LeaseExpiredError extends EtcdError {
  /** leaseId is the lease that was lost. */
  readonly leaseId: bigint;
  constructor(leaseId: bigint, detail: string, options?: ErrorOptions) {
    super(GrpcStatus.NOT_FOUND, `etcd client: lease ${leaseId.toString(16)} lost: ${detail}`, options);
    this.leaseId = leaseId;
  }
}
