/**
 * The Storage interface: how raft reads the durable part of its log. The application owns
 * storage and writes to it (entries, hard state, snapshots from `Ready`); raft only reads.
 * {@link MemoryStorage} is the in-memory implementation; the WAL-backed server keeps one in
 * memory too and replays the WAL into it on restart.
 *
 * Contracts every implementation must keep:
 * - Indexes are contiguous: entries span [firstIndex(), lastIndex()]; the entry at
 *   firstIndex() - 1 is the last one covered by the snapshot and its term stays queryable.
 * - A compacted range throws {@link ErrCompacted}; a range past the end throws
 *   {@link ErrUnavailable}. Any other exception is treated as fatal by raft.
 * - Returned arrays and entries are not mutated by raft, and must not be mutated by storage
 *   afterwards either (raft may hold on to them, e.g. in outgoing messages).
 */
import type { ConfState, Entry, HardState, Snapshot } from "./types.js";

/** InitialState is what a node restarts from: its persisted hard state and configuration. */
export interface InitialState {
  hardState: HardState;
  confState: ConfState;
}

/** Storage is the read side of raft's durable log (see the module comment for the contract). */
export interface Storage {
  /** initialState returns the saved HardState and ConfState. */
  initialState(): InitialState;
  /**
   * entries returns the entries in [lo, hi), at least one if any are in range, and otherwise as
   * many as fit in `maxSize` bytes (encoded size). Throws ErrCompacted if `lo` is at or below
   * the snapshot index (the entries were compacted away) and ErrUnavailable if `hi` is beyond
   * lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /**
   * term returns the term of entry `index`, which must be in [firstIndex() - 1, lastIndex()].
   * The term of firstIndex() - 1 is kept for matching even though that entry is compacted.
   * Throws ErrCompacted below that range and ErrUnavailable above it.
   */
  term(index: number): number;
  /** lastIndex returns the index of the last entry in storage. */
  lastIndex(): number;
  /** firstIndex returns the index of the first entry still available (older ones are in the snapshot). */
  firstIndex(): number;
  /**
   * snapshot returns the most recent snapshot. It may throw ErrSnapshotTemporarilyUnavailable
   * while one is being produced; raft then retries later.
   */
  snapshot(): Snapshot;
}
