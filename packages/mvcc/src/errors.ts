/**
 * The errors mvcc reports, and how they map to etcd's client-facing errors.
 *
 * mvcc raises {@link MvccError}s whose `message` is etcd's internal text (the `mvcc`
 * package's, e.g. "mvcc: required revision has been compacted", or the applier's, e.g.
 * "etcdserver: key not found"). Each carries a `kind` (stable across the worker boundary,
 * where errors travel as `{ kind, message }`) and {@link MvccError.toApiError} gives the
 * `@etcd-ts/api` class the server sends to clients:
 *
 * | kind              | message                                        | api class          |
 * |-------------------|------------------------------------------------|--------------------|
 * | `compacted`       | mvcc: required revision has been compacted     | CompactedError     |
 * | `futureRev`       | mvcc: required revision is a future revision   | FutureRevError     |
 * | `keyNotFound`     | etcdserver: key not found                      | KeyNotFoundError   |
 * | `leaseNotFound`   | lease not found                                | LeaseNotFoundError |
 * | `noSpace`         | etcdserver: mvcc: database space exceeded      | NoSpaceError       |
 * | `closed`          | mvcc: closed                                   | (EtcdError UNAVAILABLE)  |
 */
import {
  CompactedError,
  EtcdError,
  FutureRevError,
  GrpcStatus,
  KeyNotFoundError,
  LeaseNotFoundError,
  NoSpaceError,
} from "@etcd-ts/api";

/** MvccErrorKind names each error mvcc reports. */
export type MvccErrorKind = "compacted" | "futureRev" | "keyNotFound" | "leaseNotFound" | "noSpace" | "closed" | "duplicateWatchId";

const MESSAGES: Record<MvccErrorKind, string> = {
  compacted: "mvcc: required revision has been compacted",
  futureRev: "mvcc: required revision is a future revision",
  keyNotFound: "etcdserver: key not found",
  leaseNotFound: "lease not found",
  noSpace: "etcdserver: mvcc: database space exceeded",
  closed: "mvcc: closed",
  duplicateWatchId: "mvcc: duplicate watch ID provided on the WatchStream",
};

/** MvccError is an error mvcc reports on purpose; see the module comment for the table. */
export class MvccError extends Error {
  /** kind says which error this is. */
  readonly kind: MvccErrorKind;

  /** Creates the error of the given kind with etcd's message for it. */
  constructor(kind: MvccErrorKind) {
    super(MESSAGES[kind]);
    this.kind = kind;
    this.name = "MvccError";
  }

  /** toApiError returns the client-facing `@etcd-ts/api` error for this one. */
  toApiError(): EtcdError {
    switch (this.kind) {
      case "compacted":
        return new CompactedError({ cause: this });
      case "futureRev":
        return new FutureRevError({ cause: this });
      case "keyNotFound":
        return new KeyNotFoundError({ cause: this });
      case "leaseNotFound":
        return new LeaseNotFoundError({ cause: this });
      case "noSpace":
        return new NoSpaceError({ cause: this });
      case "closed":
        return new EtcdError(GrpcStatus.UNAVAILABLE, this.message, { cause: this });
      case "duplicateWatchId":
        return new EtcdError(GrpcStatus.ALREADY_EXISTS, this.message, { cause: this });
    }
  }
}

/** isMvccError tells whether a value is an {@link MvccError} (optionally of one kind). */
export function isMvccError(value: unknown, kind?: MvccErrorKind): value is MvccError {
  return value instanceof MvccError && (kind === undefined || value.kind === kind);
}

/** mvccErrorFromKind rebuilds an error received across the worker boundary. */
export function mvccErrorFromKind(kind: string): MvccError | undefined {
  return kind in MESSAGES ? new MvccError(kind as MvccErrorKind) : undefined;
}
