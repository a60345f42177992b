/**
 * The errors raft reports to callers. Each is a single shared instance, compared by identity
 * (`err === ErrCompacted`), like etcd's sentinel errors; they carry no per-call detail.
 * Broken invariants (a bug in raft or a caller violating a contract) throw plain `Error`s
 * whose message starts with "raft:" instead — those are not meant to be caught.
 */

/** RaftError is the class of raft's expected, recoverable errors. */
export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RaftError";
  }
}

/** ErrCompacted is thrown by Storage.entries / term when the index is at or below the last snapshot. */
export const ErrCompacted = new RaftError("requested index is unavailable due to compaction");

/** ErrSnapOutOfDate is thrown when a snapshot older than the current one is applied or created. */
export const ErrSnapOutOfDate = new RaftError("requested index is older than the existing snapshot");

/** ErrUnavailable is thrown by Storage when the requested entries are not (yet) in storage. */
export const ErrUnavailable = new RaftError("requested entry at index is unavailable");

/** ErrSnapshotTemporarilyUnavailable is thrown by Storage.snapshot while a snapshot is being made. */
export const ErrSnapshotTemporarilyUnavailable = new RaftError("snapshot is temporarily unavailable");

/** ErrProposalDropped is thrown when a proposal is ignored (no leader, transfer in progress, removed, too large, ...). */
export const ErrProposalDropped = new RaftError("raft proposal dropped");

/** ErrStepLocalMsg is thrown when a local-only message type is stepped in from the network. */
export const ErrStepLocalMsg = new RaftError("raft: cannot step raft local message");

/** ErrStepPeerNotFound is thrown when a response arrives from a node not in the configuration. */
export const ErrStepPeerNotFound = new RaftError("raft: cannot step as peer not found");

/** ErrConfig is the class of errors thrown for an invalid {@link Config}. */
export class ErrConfig extends RaftError {
  constructor(message: string) {
    super(`raft config: ${message}`);
    this.name = "ErrConfig";
  }
}
