/**
 * TreeIndex: the in-memory index of every key in the store to its revision history.
 *
 * A B+tree ordered by key bytes maps each key (held as a latin1 string: one char per byte,
 * so string order is byte order) to its {@link KeyHistory}. Ranges, puts, deletes and
 * compaction consult it first; the backend is then read by exact revision key. This is
 * etcd's `treeIndex` (`mvcc/index.go`).
 *
 * Ranges take an `end`: `undefined` looks up the single key, {@link UNBOUNDED} (the empty
 * string) means "every key from `key` on" (etcd's `\0` range end), anything else is the
 * exclusive upper bound.
 *
 * Not thread-safe: the writer that owns the store owns its index.
 */
import { BTree } from "./internal/BTree.js";
import * as KeyIndex from "./KeyIndex.js";
import type { KeyHistory, KeyRevision } from "./KeyIndex.js";

/** UNBOUNDED as a range end means "no upper bound". */
export const UNBOUNDED = "";

/** IndexRangeResult is what {@link TreeIndex.revisions} finds. */
export interface IndexRangeResult {
  /** keys are the live keys found, in ascending order, at most `limit` of them. */
  readonly keys: string[];
  /** revisions holds (main, sub) of each found key's visible change, flat, in key order. */
  readonly revisions: number[];
  /** total is how many keys matched, regardless of the limit. */
  readonly total: number;
}

/** TreeIndex maps keys to their generations of revisions; see the module comment. */
export class TreeIndex {
  private readonly tree = new BTree<KeyHistory>();

  /** size is the number of keys the index tracks (live or with kept history). */
  get size(): number {
    return this.tree.size;
  }

  /** get returns the change of key visible at atRev, if the key was live then. */
  get(key: string, atRev: number): KeyRevision | undefined {
    const history = this.tree.get(key);
    return history === undefined ? undefined : KeyIndex.get(history, atRev);
  }

  /** history returns the key's raw history (tests and tools). */
  history(key: string): KeyHistory | undefined {
    return this.tree.get(key);
  }

  /** put records a change of key at (main, sub). */
  put(key: string, main: number, sub: number): void {
    const history = this.tree.get(key);
    if (history === undefined) {
      this.tree.set(key, KeyIndex.createKeyHistory(main, sub));
      return;
    }
    const next = KeyIndex.put(history, main, sub);
    if (next !== history) this.tree.set(key, next);
  }

  /**
   * restore records a stored change while rebuilding the index from the backend: the
   * first change seen of a key starts its history with the stored create revision and
   * version; later ones are puts or tombstones.
   */
  restore(key: string, main: number, sub: number, created: number, version: number, isTombstone: boolean): void {
    const history = this.tree.get(key);
    if (history === undefined) {
      if (isTombstone) return; // a lone tombstone left by compaction: nothing live
      this.tree.set(key, KeyIndex.restoredKeyHistory(created, version, main, sub));
      return;
    }
    if (isTombstone) {
      if (KeyIndex.get(history, main) === undefined) return;
      this.tree.set(key, KeyIndex.tombstone(history, main, sub));
      return;
    }
    if (KeyIndex.isEmptyHistory(history)) {
      this.tree.set(key, KeyIndex.restoredKeyHistory(created, version, main, sub));
      return;
    }
    const next = KeyIndex.put(history, main, sub);
    if (next !== history) this.tree.set(key, next);
  }

  /** tombstone records the deletion of a live key at (main, sub); throws if it is not live. */
  tombstone(key: string, main: number, sub: number): void {
    const history = this.tree.get(key);
    if (history === undefined) throw new KeyIndex.RevisionNotFoundError();
    this.tree.set(key, KeyIndex.tombstone(history, main, sub));
  }

  /**
   * revisions finds the keys in [key, end) live at atRev with the revision visible there;
   * at most `limit` (0: no limit) are collected but all are counted.
   */
  revisions(key: string, end: string | undefined, atRev: number, limit = 0): IndexRangeResult {
    const keys: string[] = [];
    const revisions: number[] = [];
    let total = 0;
    const visit = (k: string, history: KeyHistory): void => {
      const at = KeyIndex.visibleRevisionOffset(history, atRev);
      if (at < 0) return;
      total++;
      if (limit > 0 && keys.length >= limit) return;
      keys.push(k);
      revisions.push(history[at]!, history[at + 1]!);
    };
    if (end === undefined) {
      const history = this.tree.get(key);
      if (history !== undefined) visit(key, history);
    } else {
      this.tree.forEachInRange(key, end === UNBOUNDED ? undefined : end, visit);
    }
    return { keys, revisions, total };
  }

  /** count counts the keys in [key, end) live at atRev. */
  count(key: string, end: string | undefined, atRev: number): number {
    if (end === undefined) {
      const history = this.tree.get(key);
      return history !== undefined && KeyIndex.visibleRevisionOffset(history, atRev) >= 0 ? 1 : 0;
    }
    let total = 0;
    this.tree.forEachInRange(key, end === UNBOUNDED ? undefined : end, (_k, history) => {
      if (KeyIndex.visibleRevisionOffset(history, atRev) >= 0) total++;
    });
    return total;
  }

  /**
   * compact compacts every key's history at atRev, drops keys left empty, and returns the
   * revisions (as `KeyIndex.revisionId`) the backend must keep at or below atRev.
   */
  compact(atRev: number): Set<string> {
    const available = new Set<string>();
    const emptied: string[] = [];
    const replaced: [string, KeyHistory][] = [];
    this.tree.forEach((key, history) => {
      const next = KeyIndex.compact(history, atRev, available);
      if (KeyIndex.isEmptyHistory(next)) emptied.push(key);
      else if (next.length !== history.length) replaced.push([key, next]);
    });
    for (const [key, history] of replaced) this.tree.set(key, history);
    for (const key of emptied) this.tree.delete(key);
    return available;
  }

  /** keep returns the revisions compaction at atRev would keep, changing nothing. */
  keep(atRev: number): Set<string> {
    const available = new Set<string>();
    this.tree.forEach((_key, history) => KeyIndex.keep(history, atRev, available));
    return available;
  }

  /** forEach visits every key and its history in key order (tests, tools). */
  forEach(visit: (key: string, history: KeyHistory) => void): void {
    this.tree.forEach(visit);
  }
}
