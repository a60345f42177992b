/**
 * KeyRangeSet: a union of half-open key intervals, stored merged and sorted so that "is this
 * key / this whole range inside the union?" is one binary search.
 *
 * It is the data structure behind etcd's per-user permission cache (etcd keeps an interval
 * tree and walks it; merging once at build time makes each check O(log n) without walking).
 * Key intervals follow etcd's permission conventions:
 *  - an empty range end means the single key `key` (the interval `[key, key+"\0")`);
 *  - the range end `"\0"` means every key from `key` on (no upper bound);
 *  - otherwise `[key, rangeEnd)`; a prefix `p` is `[p, p+1)` as clients send it.
 * An interval whose key is empty, or whose end is not above its key, covers nothing: etcd
 * orders an empty key after every other key, so such intervals never cover a key there either.
 *
 * It does not know users, roles or permission types; {@link RangePermCache} builds one set
 * for reads and one for writes per user.
 */
import { compareBytes, isFromKeyEnd, pointEnd } from "./internal/bytes.js";

/** KeyInterval is a key plus a range end, in etcd's request/permission encoding. */
export interface KeyInterval {
  /** key is the first key of the interval. */
  readonly key: Uint8Array;
  /** rangeEnd is empty for a single key, `"\0"` for "to the end", else the exclusive end. */
  readonly rangeEnd: Uint8Array;
}

/** KeyRangeSet is an immutable union of key intervals; see the module comment. */
export class KeyRangeSet {
  /** starts[i] is the first key of the i-th merged interval; ascending. */
  readonly #starts: Uint8Array[];
  /** ends[i] is the exclusive end of the i-th merged interval, `null` for no upper bound. */
  readonly #ends: (Uint8Array | null)[];

  private constructor(starts: Uint8Array[], ends: (Uint8Array | null)[]) {
    this.#starts = starts;
    this.#ends = ends;
  }

  /** empty is the set that covers no key. */
  static readonly empty: KeyRangeSet = new KeyRangeSet([], []);

  /** from merges the given intervals (in any order, overlapping or not) into a set. */
  static from(intervals: Iterable<KeyInterval>): KeyRangeSet {
    const pieces: { start: Uint8Array; end: Uint8Array | null }[] = [];
    for (const { key, rangeEnd } of intervals) {
      if (key.length === 0) continue;
      let end: Uint8Array | null;
      if (rangeEnd.length === 0) end = pointEnd(key);
      else if (isFromKeyEnd(rangeEnd)) end = null;
      else if (compareBytes(rangeEnd, key) > 0) end = rangeEnd;
      else continue; // empty or inverted: covers nothing
      pieces.push({ start: key, end });
    }
    if (pieces.length === 0) return KeyRangeSet.empty;
    pieces.sort((a, b) => compareBytes(a.start, b.start));
    const starts: Uint8Array[] = [];
    const ends: (Uint8Array | null)[] = [];
    let curStart = (pieces[0] as (typeof pieces)[number]).start;
    let curEnd = (pieces[0] as (typeof pieces)[number]).end;
    for (let i = 1; i < pieces.length; i++) {
      const p = pieces[i] as (typeof pieces)[number];
      if (curEnd === null) break; // the current interval already runs to the end
      if (compareBytes(p.start, curEnd) <= 0) {
        // overlapping or adjacent: extend
        if (p.end === null || compareBytes(p.end, curEnd) > 0) curEnd = p.end;
      } else {
        starts.push(curStart);
        ends.push(curEnd);
        curStart = p.start;
        curEnd = p.end;
      }
    }
    starts.push(curStart);
    ends.push(curEnd);
    return new KeyRangeSet(starts, ends);
  }

  /** size is the number of disjoint merged intervals. */
  get size(): number {
    return this.#starts.length;
  }

  /** intervals lists the merged intervals in key order (`end` null: no upper bound). */
  intervals(): { start: Uint8Array; end: Uint8Array | null }[] {
    return this.#starts.map((start, i) => ({ start, end: this.#ends[i] ?? null }));
  }

  /**
   * covers tells whether every key of the request interval `[key, rangeEnd)` lies in the set,
   * with etcd's request conventions: an empty `rangeEnd` asks about the single key, `"\0"`
   * about every key from `key` on. A range end not above `key` asks about `key` alone (etcd
   * grants such a request when `key` itself is covered). An empty `key` is never covered.
   */
  covers(key: Uint8Array, rangeEnd: Uint8Array): boolean {
    if (key.length === 0) return false;
    const i = this.#lastStartAtOrBefore(key);
    if (i < 0) return false;
    const end = this.#ends[i] as Uint8Array | null;
    if (end === null) return true;
    if (rangeEnd.length === 0) return compareBytes(key, end) < 0;
    if (isFromKeyEnd(rangeEnd)) return false;
    if (compareBytes(rangeEnd, key) <= 0) return compareBytes(key, end) < 0;
    return compareBytes(rangeEnd, end) <= 0;
  }

  /** coversKey tells whether the single key `key` lies in the set. */
  coversKey(key: Uint8Array): boolean {
    if (key.length === 0) return false;
    const i = this.#lastStartAtOrBefore(key);
    if (i < 0) return false;
    const end = this.#ends[i] as Uint8Array | null;
    return end === null || compareBytes(key, end) < 0;
  }

  /** Index of the last merged interval whose start is <= key, or -1. */
  #lastStartAtOrBefore(key: Uint8Array): number {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(starts[mid] as Uint8Array, key) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
