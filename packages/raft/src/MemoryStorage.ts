/**
 * MemoryStorage: the {@link Storage} implementation backed by an array in memory. Used by
 * tests, examples and the benchmark, and by a server as the in-memory view of its WAL.
 *
 * Limits: no durability by itself; the application calls `append`, `setHardState` and
 * `applySnapshot` with the contents of each `Ready` and is responsible for persisting them
 * elsewhere when it needs crash safety. Not safe for concurrent mutation (JavaScript is single
 * threaded; do not share it across workers).
 */
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable } from "./errors.js";
import { limitSize } from "./internal/util.js";
import type { InitialState, Storage } from "./Storage.js";
import type { ConfState, Entry, HardState, Snapshot } from "./types.js";
import { EMPTY_BYTES, EntryType, emptyConfState, emptyHardState } from "./types.js";

/** MemoryStorage keeps the log, hard state and last snapshot in memory. */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot;
  // ents[0] is a dummy entry standing for the snapshot: index and term of its last entry.
  private ents: Entry[];

  /**
   * Creates an empty storage. `confState`, if given, is the initial membership (as if a
   * snapshot at index 0 had installed it) — the simple way to start a fresh test cluster.
   */
  constructor(confState?: Partial<ConfState>) {
    this.snap = {
      data: EMPTY_BYTES,
      metadata: { confState: { ...emptyConfState(), ...confState }, index: 0, term: 0 },
    };
    this.ents = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES }];
  }

  /** initialState implements Storage. */
  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  /** setHardState saves the current HardState. */
  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  /** entries implements Storage. */
  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw ErrCompacted;
    if (hi > this.lastIndex() + 1) {
      throw new Error(`raft: entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    // Only the dummy entry: nothing stored.
    if (this.ents.length === 1) throw ErrUnavailable;
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  /** term implements Storage. */
  term(index: number): number {
    const offset = this.ents[0]!.index;
    if (index < offset) throw ErrCompacted;
    const e = this.ents[index - offset];
    if (e === undefined) throw ErrUnavailable;
    return e.term;
  }

  /** lastIndex implements Storage. */
  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  /** firstIndex implements Storage. */
  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  /** snapshot implements Storage. */
  snapshot(): Snapshot {
    return this.snap;
  }

  /**
   * applySnapshot replaces the storage's contents with a snapshot (from a Ready). Throws
   * ErrSnapOutOfDate if the snapshot is not newer than the current one.
   */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) throw ErrSnapOutOfDate;
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: EntryType.EntryNormal, data: EMPTY_BYTES }];
  }

  /**
   * createSnapshot records a snapshot of the application state as of `index` (which must be
   * applied) so it can be served to followers; `confState` defaults to the current one. Call
   * compact() afterwards to drop the covered entries. Throws ErrSnapOutOfDate if `index` is not
   * newer than the current snapshot.
   */
  createSnapshot(index: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) throw ErrSnapOutOfDate;
    const offset = this.ents[0]!.index;
    if (index > this.lastIndex()) {
      throw new Error(`raft: snapshot ${index} is out of bound lastindex(${this.lastIndex()})`);
    }
    this.snap = {
      data,
      metadata: {
        index,
        term: this.ents[index - offset]!.term,
        confState: confState ?? this.snap.metadata.confState,
      },
    };
    return this.snap;
  }

  /**
   * compact discards entries up to and including `compactIndex`; the application must not
   * compact past its applied index (and normally snapshots first). Throws ErrCompacted if that
   * prefix is already gone.
   */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw ErrCompacted;
    if (compactIndex > this.lastIndex()) {
      throw new Error(`raft: compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const dummy: Entry = { term: this.ents[i]!.term, index: compactIndex, type: EntryType.EntryNormal, data: EMPTY_BYTES };
    const rest = this.ents.slice(i + 1);
    rest.unshift(dummy);
    this.ents = rest;
  }

  /**
   * append adds entries (from a Ready) to the log. Entries must be contiguous and may overlap
   * the existing log, in which case the overlapping suffix is replaced. Entries at or below
   * the snapshot are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    let start = 0;
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    if (first > entries[0]!.index) start = first - entries[0]!.index;
    const ents = this.ents;
    const offset = entries[start]!.index - ents[0]!.index;
    if (ents.length > offset) {
      ents.length = offset;
    } else if (ents.length < offset) {
      throw new Error(`raft: missing log entry [last: ${this.lastIndex()}, append at: ${entries[start]!.index}]`);
    }
    for (let i = start; i < entries.length; i++) ents.push(entries[i]!);
  }
}
