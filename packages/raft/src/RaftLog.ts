/**
 * RaftLog: raft's view of the whole log — the persisted part (Storage) followed by the
 * unstable part (Unstable) — plus the commit and applied indexes. It answers the log
 * questions of the algorithm: does an entry match, where is the first conflict, is a
 * candidate's log up to date, which committed entries are ready to apply.
 *
 * Invariant: applied <= committed <= lastIndex(); firstIndex() - 1 <= applied.
 */
import { ErrCompacted, ErrUnavailable } from "./errors.js";
import { entrySize } from "./codec.js";
import { limitSize, NO_LIMIT } from "./internal/util.js";
import type { Storage } from "./Storage.js";
import type { Entry, Snapshot } from "./types.js";
import { Unstable } from "./Unstable.js";

/** RaftLog combines stable storage and unstable entries with the commit/applied indexes. */
export class RaftLog {
  /** storage holds the entries persisted since the last snapshot. */
  readonly storage: Storage;
  /** unstable holds entries and a snapshot not yet persisted. */
  readonly unstable: Unstable;
  /** committed is the highest index known to be committed (stored on a quorum). */
  committed: number;
  /** applied is the highest index the application has applied. */
  applied: number;
  /** maxNextEntsSize limits the total size of committed entries handed out per Ready. */
  readonly maxNextEntsSize: number;

  /** Creates a log over `storage`, starting with everything in storage committed-and-applied up to the snapshot. */
  constructor(storage: Storage, maxNextEntsSize: number = NO_LIMIT) {
    this.storage = storage;
    this.maxNextEntsSize = maxNextEntsSize;
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  /** toString summarizes the indexes (for logs and errors). */
  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, unstable.offset=${this.unstable.offset}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  /**
   * maybeAppend appends `ents` after entry (index, logTerm) if that entry matches, and commits
   * up to min(committed, last new index). Returns the last new index, or -1 on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastnewi = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new Error(`raft: entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      }
      const offset = index + 1;
      if (ci - offset > ents.length) throw new Error(`raft: index ${ci - offset} out of range [${ents.length}]`);
      this.append(ci - offset === 0 ? ents : ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastnewi));
    return lastnewi;
  }

  /** append adds entries at the end (truncating any conflicting suffix) and returns the new last index. */
  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new Error(`raft: after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * findConflict returns the index of the first entry of `ents` whose term differs from the log
   * (or the first new entry if all existing ones match), or 0 if all are already present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * findConflictByTerm returns the largest index <= `index` whose term is <= `term`, with that
   * term: the fast-backtracking probe point for a rejected append (both sides use it).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      let ourTerm: number;
      try {
        ourTerm = this.term(index);
      } catch (e) {
        // Compacted (or unavailable): the best we can say is "here", term unknown.
        if (e === ErrCompacted || e === ErrUnavailable) return { index, term: 0 };
        throw e;
      }
      if (ourTerm <= term) return { index, term: ourTerm };
    }
    return { index: 0, term: 0 };
  }

  /** unstableEntries returns the entries not yet persisted (a fresh array). */
  unstableEntries(): Entry[] {
    return this.unstable.entries.length === 0 ? [] : this.unstable.entries.slice();
  }

  /** nextCommittedEnts returns committed entries not yet applied, within maxNextEntsSize. */
  nextCommittedEnts(): Entry[] {
    const off = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 > off) return this.slice(off, this.committed + 1, this.maxNextEntsSize);
    return [];
  }

  /** hasNextCommittedEnts reports whether there are committed entries to apply. */
  hasNextCommittedEnts(): boolean {
    const off = Math.max(this.applied + 1, this.firstIndex());
    return this.committed + 1 > off;
  }

  /** hasPendingSnapshot reports whether an unstable snapshot awaits persisting. */
  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** snapshot returns the unstable snapshot if any, else storage's snapshot. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** firstIndex is the first index still in the log (not compacted). */
  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /** lastIndex is the index of the last entry of the log. */
  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** commitTo raises the commit index (never lowers it). */
  commitTo(tocommit: number): void {
    if (this.committed < tocommit) {
      if (this.lastIndex() < tocommit) {
        throw new Error(`raft: tocommit(${tocommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`);
      }
      this.committed = tocommit;
    }
  }

  /** appliedTo records that the application applied everything up to `i`. */
  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new Error(`raft: applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
  }

  /** stableTo marks entries up to (i, t) as persisted. */
  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  /** stableSnapTo marks the snapshot at `i` as persisted. */
  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** lastTerm is the term of the last entry. */
  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /**
   * term returns the term of entry `i`, for i in [firstIndex() - 1, lastIndex()] (the entry
   * just before the first is compacted, but its term is kept for matching). Throws
   * ErrCompacted below that range and ErrUnavailable above it — never a made-up 0, which
   * would match a zero logTerm by accident.
   */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex()) throw ErrCompacted;
    if (i > this.lastIndex()) throw ErrUnavailable;
    return this.storage.term(i);
  }

  /** entries returns entries from `i` to the end, within maxSize. */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  /** allEntries returns every entry of the log (retrying if a compaction races it). */
  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), NO_LIMIT);
  }

  /**
   * isUpToDate reports whether a log ending at (lasti, term) is at least as up to date as
   * ours (Raft §5.4.1): a later last term wins, equal terms compare by length.
   */
  isUpToDate(lasti: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lasti >= this.lastIndex());
  }

  /** matchTerm reports whether entry `i` exists with term `term`. */
  matchTerm(i: number, term: number): boolean {
    try {
      return this.term(i) === term;
    } catch {
      return false;
    }
  }

  /**
   * maybeCommit commits up to `maxIndex` if that entry is of `term` (the current term): only
   * entries of the current term commit by counting replicas (Raft §5.4.2).
   */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.zeroTermOnOutOfBounds(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** restore resets the log to a snapshot (everything up to it is committed). */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** slice returns entries in [lo, hi) within maxSize (at least one). Throws ErrCompacted. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const offset = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < offset) {
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, Math.min(hi, offset), maxSize);
      } catch (e) {
        if (e === ErrCompacted) throw e;
        if (e === ErrUnavailable) {
          throw new Error(`raft: entries[${lo}:${Math.min(hi, offset)}) is unavailable from storage`, { cause: e });
        }
        throw e;
      }
      // Storage cut the range short because of maxSize: that is all we return.
      if (stored.length < Math.min(hi, offset) - lo) return stored;
      ents = stored;
    }
    if (hi > offset) {
      const unstable = this.unstable.slice(Math.max(lo, offset), hi);
      if (ents.length > 0) {
        let size = 0;
        for (const e of ents) size += entrySize(e);
        if (size >= maxSize) return ents;
        const combined = ents.slice();
        for (const e of unstable) combined.push(e);
        ents = combined;
      } else {
        ents = unstable;
      }
    }
    return limitSize(ents, maxSize);
  }

  /** zeroTermOnOutOfBounds returns term(i), or 0 if `i` is compacted or beyond the log. */
  zeroTermOnOutOfBounds(i: number): number {
    try {
      return this.term(i);
    } catch (e) {
      if (e === ErrCompacted || e === ErrUnavailable) return 0;
      throw e;
    }
  }

  private mustCheckOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new Error(`raft: invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw ErrCompacted;
    const length = this.lastIndex() + 1 - fi;
    if (hi > fi + length) throw new Error(`raft: slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}
