/**
 * The concurrency package's own errors. Server and client errors (`LeaseExpiredError`,
 * `ClientClosedError`, ...) come from `@etcd-ts/client` as they are.
 */
import { EtcdError, GrpcStatus } from "@etcd-ts/api";

/** SessionExpiredError: the session's lease was lost while an operation depended on it. */
export class SessionExpiredError extends EtcdError {
  constructor(options?: ErrorOptions) {
    super(GrpcStatus.FAILED_PRECONDITION, "concurrency: session expired", options);
  }
}

/** LockedError: `tryLock` found the mutex held by another session. */
export class LockedError extends EtcdError {
  constructor(options?: ErrorOptions) {
    super(GrpcStatus.FAILED_PRECONDITION, "mutex: Locked by another session", options);
  }
}

/** ElectionNotLeaderError: proclaim was called by a candidate that is not the leader. */
export class ElectionNotLeaderError extends EtcdError {
  constructor(options?: ErrorOptions) {
    super(GrpcStatus.FAILED_PRECONDITION, "election: not leader", options);
  }
}

/** ElectionNoLeaderError: there is no leader (no candidate) in the election. */
export class ElectionNoLeaderError extends EtcdError {
  constructor(options?: ErrorOptions) {
    super(GrpcStatus.NOT_FOUND, "election: no leader", options);
  }
}

/** TooManyClientsError: more parties entered a double barrier than its count. */
export class TooManyClientsError extends EtcdError {
  constructor(options?: ErrorOptions) {
    super(GrpcStatus.RESOURCE_EXHAUSTED, "too many clients", options);
  }
}

/** STMRetriesExhaustedError: an STM transaction kept conflicting past its retry budget. */
export class STMRetriesExhaustedError extends EtcdError {
  constructor(attempts: number, options?: ErrorOptions) {
    super(GrpcStatus.ABORTED, `stm: still conflicting after ${attempts} attempts`, options);
  }
}
