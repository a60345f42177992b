/**
 * MemoryStorage: the Storage contract (compacted ranges, unavailable ranges, append
 * truncation, snapshots), table-driven like etcd's storage tests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrCompacted, ErrSnapOutOfDate, ErrUnavailable, MemoryStorage, encodeEntry, type Entry } from "../src/index.js";

const ent = (index: number, term: number, data: number[] = []): Entry => ({ index, term, type: 0, data: new Uint8Array(data) });
const it = (ents: Entry[]) => ents.map((e) => [e.index, e.term]);

/** A storage whose snapshot is at (3, 3) holding entries 4 and 5 (terms 4, 5). */
function base(): MemoryStorage {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 5)]);
  s.createSnapshot(3, undefined, new Uint8Array());
  s.compact(3);
  return s;
}

test("term: compacted, available, unavailable", () => {
  const s = base();
  assert.throws(() => s.term(2), (e) => e === ErrCompacted);
  assert.equal(s.term(3), 3);
  assert.equal(s.term(4), 4);
  assert.equal(s.term(5), 5);
  assert.throws(() => s.term(6), (e) => e === ErrUnavailable);
});

test("entries: compacted ranges throw ErrCompacted; maxSize keeps at least one", () => {
  const s = base();
  s.append([ent(6, 6)]);
  const size = encodeEntry(ent(4, 4)).length;
  const cases: [number, number, number, number[][] | "compacted"][] = [
    [2, 6, Infinity, "compacted"],
    [3, 4, Infinity, "compacted"],
    [4, 5, Infinity, [[4, 4]]],
    [4, 6, Infinity, [[4, 4], [5, 5]]],
    [4, 7, Infinity, [[4, 4], [5, 5], [6, 6]]],
    [4, 7, 0, [[4, 4]]],
    [4, 7, size * 2, [[4, 4], [5, 5]]],
    [4, 7, size * 2 + 1, [[4, 4], [5, 5]]],
    [4, 7, size * 3, [[4, 4], [5, 5], [6, 6]]],
  ];
  for (const [lo, hi, max, want] of cases) {
    if (want === "compacted") assert.throws(() => s.entries(lo, hi, max), (e) => e === ErrCompacted, `[${lo},${hi})`);
    else assert.deepEqual(it(s.entries(lo, hi, max)), want, `[${lo},${hi}) max ${max}`);
  }
});

test("firstIndex / lastIndex / compact", () => {
  const s = base();
  assert.equal(s.firstIndex(), 4);
  assert.equal(s.lastIndex(), 5);
  s.compact(4);
  assert.equal(s.firstIndex(), 5);
  assert.equal(s.term(4), 4);
  assert.throws(() => s.compact(4), (e) => e === ErrCompacted);
  assert.throws(() => s.compact(9), /out of bound/);
});

test("createSnapshot / applySnapshot", () => {
  const s = base();
  assert.throws(() => s.createSnapshot(3, undefined, new Uint8Array()), (e) => e === ErrSnapOutOfDate);
  const snap = s.createSnapshot(5, { voters: [1n, 2n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }, new Uint8Array([9]));
  assert.equal(snap.metadata.term, 5);
  const t = new MemoryStorage();
  t.applySnapshot(snap);
  assert.equal(t.firstIndex(), 6);
  assert.equal(t.lastIndex(), 5);
  assert.equal(t.term(5), 5);
  assert.deepEqual(t.initialState().confState.voters, [1n, 2n]);
  assert.throws(() => t.applySnapshot(snap), (e) => e === ErrSnapOutOfDate);
});

test("append: overlap, truncate, ignore compacted, refuse gaps", () => {
  const cases: [Entry[], number[][] | "gap"][] = [
    [[ent(4, 4), ent(5, 5)], [[3, 3], [4, 4], [5, 5]]],
    [[ent(4, 4), ent(5, 5), ent(6, 5)], [[3, 3], [4, 4], [5, 5], [6, 5]]],
    // Conflicting terms truncate.
    [[ent(4, 6), ent(5, 6)], [[3, 3], [4, 6], [5, 6]]],
    [[ent(5, 7)], [[3, 3], [4, 4], [5, 7]]],
    // Entries below the snapshot are ignored.
    [[ent(2, 3), ent(3, 3), ent(4, 5)], [[3, 3], [4, 5]]],
    [[ent(1, 1)], [[3, 3], [4, 4], [5, 5]]],
    // Directly after the end.
    [[ent(6, 5)], [[3, 3], [4, 4], [5, 5], [6, 5]]],
    [[ent(7, 5)], "gap"],
  ];
  for (const [ents, want] of cases) {
    const s = base();
    if (want === "gap") {
      assert.throws(() => s.append(ents), /missing log entry/);
      continue;
    }
    s.append(ents);
    const all = [[3, s.term(3)], ...it(s.entries(4, s.lastIndex() + 1, Infinity))];
    assert.deepEqual(all, want);
  }
});
