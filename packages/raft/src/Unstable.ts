/**
 * Unstable: the tail of raft's log (and possibly an incoming snapshot) that the application
 * has not yet persisted. `Ready.entries` / `Ready.snapshot` come from here; `advance()` marks
 * them stable and they are dropped from memory (they now live in Storage).
 *
 * Invariant: if a snapshot is present, `offset === snapshot.metadata.index + 1`; entries
 * (possibly none) start at `offset`.
 */
import type { Entry, Snapshot } from "./types.js";

/** Unstable holds log entries and a snapshot not yet written to Storage. */
export class Unstable {
  /** snapshot is an incoming snapshot not yet persisted, if any. */
  snapshot: Snapshot | undefined = undefined;
  /** entries not yet persisted; entries[i] has index offset + i. */
  entries: Entry[] = [];
  /** offset is the index of entries[0] (or where the next entry would go). */
  offset: number;

  /** Creates an empty unstable log starting at `offset`. */
  constructor(offset: number) {
    this.offset = offset;
  }

  /** maybeFirstIndex returns the first index if there is an unstable snapshot. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** maybeLastIndex returns the last index of unstable entries or of the unstable snapshot. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  /** maybeTerm returns the term of entry `i` if this unstable log knows it. */
  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const e = this.entries[i - this.offset];
    return e?.term;
  }

  /** stableTo drops entries up to `i` once they are persisted, if entry `i` still has term `t`. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined) return;
    // If i < offset the term matched the snapshot: nothing to drop. If the term differs, the
    // entry was replaced by a newer leader meanwhile: keep the replacement.
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = i + 1;
    }
  }

  /** stableSnapTo drops the unstable snapshot once persisted. */
  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  /** restore replaces everything with a snapshot. */
  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  /** truncateAndAppend appends entries, replacing any existing ones from ents[0].index on. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      // The common case: a plain append.
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replace everything (the log was truncated below our unstable part).
      this.offset = after;
      this.entries = ents.slice();
    } else {
      // Truncate to `after` and append.
      const kept = this.entries.slice(0, after - this.offset);
      for (const e of ents) kept.push(e);
      this.entries = kept;
    }
  }

  /** slice returns the unstable entries in [lo, hi). */
  slice(lo: number, hi: number): Entry[] {
    this.mustCheckOutOfBounds(lo, hi);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }

  private mustCheckOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new Error(`raft: invalid unstable.slice ${lo} > ${hi}`);
    const upper = this.offset + this.entries.length;
    if (lo < this.offset || hi > upper) {
      throw new Error(`raft: unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    }
  }
}
