// The key index against etcd's keyIndex cases (generations, tombstones, compaction) and
// the B+tree against a sorted array.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as KeyIndex from "../src/KeyIndex.js";
import { TreeIndex, UNBOUNDED } from "../src/TreeIndex.js";
import { BTree } from "../src/internal/BTree.js";
import { isTombstoneKey, parseRevisionKey, revisionKey } from "../src/Revision.js";

describe("revision keys", () => {
  it("are 17 bytes big-endian main _ sub, plus t for tombstones, ordered like revisions", () => {
    const k = revisionKey(0x0102030405, 7);
    assert.equal(k.toString("hex"), "00000001020304055f0000000000000007");
    assert.equal(isTombstoneKey(revisionKey(5, 1, true)), true);
    assert.deepEqual(parseRevisionKey(revisionKey(2 ** 40 + 3, 9, true)), { main: 2 ** 40 + 3, sub: 9 });
    assert.ok(Buffer.compare(revisionKey(2, 9), revisionKey(3, 0)) < 0);
    assert.ok(Buffer.compare(revisionKey(3, 0, true), revisionKey(3, 1)) < 0);
  });
});

describe("key index", () => {
  // etcd's TestKeyIndexGet history: put 2, 4, tombstone 6, put 8, 10, tombstone 12, put 14, 14.1, 16
  function history(): KeyIndex.KeyHistory {
    let h = KeyIndex.createKeyHistory(2, 0);
    h = KeyIndex.put(h, 4, 0);
    h = KeyIndex.tombstone(h, 6, 0);
    h = KeyIndex.put(h, 8, 0);
    h = KeyIndex.put(h, 10, 0);
    h = KeyIndex.tombstone(h, 12, 0);
    h = KeyIndex.put(h, 14, 0);
    h = KeyIndex.put(h, 14, 1);
    h = KeyIndex.put(h, 16, 0);
    return h;
  }

  it("get finds the visible revision, creation and version per generation", () => {
    const h = history();
    const at = (rev: number): unknown => {
      const r = KeyIndex.get(h, rev);
      return r === undefined ? undefined : [r.modMain, r.modSub, r.created, r.version];
    };
    assert.equal(at(1), undefined);
    assert.deepEqual(at(3), [2, 0, 2, 1]);
    assert.deepEqual(at(5), [4, 0, 2, 2]);
    assert.equal(at(6), undefined);
    assert.equal(at(7), undefined);
    assert.deepEqual(at(9), [8, 0, 8, 1]);
    assert.deepEqual(at(11), [10, 0, 8, 2]);
    assert.equal(at(12), undefined);
    assert.deepEqual(at(14), [14, 1, 14, 2]);
    assert.deepEqual(at(100), [16, 0, 14, 3]);
  });

  it("tombstone of a deleted key fails", () => {
    let h = KeyIndex.createKeyHistory(2, 0);
    h = KeyIndex.tombstone(h, 3, 0);
    assert.throws(() => KeyIndex.tombstone(h, 4, 0), KeyIndex.RevisionNotFoundError);
  });

  it("compaction keeps the latest revision at or below the compact revision and drops dead generations", () => {
    const cases: [number, string[], number][] = [
      // [atRev, kept revisions, generations left]
      [1, [], 3],
      [2, ["2_0"], 3],
      [5, ["4_0"], 3],
      [6, [], 2], // the tombstone at 6 alone is dropped with its generation
      [9, ["8_0"], 2],
      [12, [], 1],
      [15, ["14_1"], 1],
      [16, ["16_0"], 1],
    ];
    for (const [atRev, kept, generations] of cases) {
      const available = new Set<string>();
      const compacted = KeyIndex.compact(history(), atRev, available);
      assert.deepEqual([...available].sort(), kept, `available at ${atRev}`);
      let gens = 0;
      for (let o = 0; o < compacted.length; o += 3 + 2 * compacted[o + 2]!) gens++;
      assert.equal(gens, generations, `generations at ${atRev}`);
      const keep = new Set<string>();
      KeyIndex.keep(history(), atRev, keep);
      assert.deepEqual([...keep].sort(), kept, `keep at ${atRev}`);
    }
  });

  it("tree index ranges count all matches and honour limits and \\0 ends", () => {
    const index = new TreeIndex();
    ["a", "b", "c", "d"].forEach((k, i) => index.put(k, i + 2, 0));
    index.tombstone("c", 6, 0);
    const r = index.revisions("a", "d", 10, 1);
    assert.deepEqual([r.keys, r.total], [["a"], 2]);
    assert.deepEqual(index.revisions("b", UNBOUNDED, 10).keys, ["b", "d"]);
    assert.deepEqual(index.revisions("b", UNBOUNDED, 5).keys, ["b", "c", "d"]);
    assert.equal(index.count("a", UNBOUNDED, 10), 3);
    const available = index.compact(6);
    assert.equal(index.size, 3, "c, deleted at the compact revision, is gone");
    assert.deepEqual([...available].sort(), ["2_0", "3_0", "5_0"]);
  });
});

describe("B+tree", () => {
  it("behaves like a sorted map under random inserts and deletes", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 3 })), { maxLength: 600 }), fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 }), (ops, from, to) => {
        const tree = new BTree<number>();
        const model = new Map<string, number>();
        ops.forEach(([insert, key], i) => {
          if (insert) {
            tree.set(key, i);
            model.set(key, i);
          } else {
            assert.equal(tree.delete(key), model.delete(key));
          }
        });
        assert.equal(tree.size, model.size);
        const expected = [...model.entries()].filter(([k]) => k >= from && (to === "" || k < to)).sort(([a], [c]) => (a < c ? -1 : 1));
        const actual: [string, number][] = [];
        tree.forEachInRange(from, to === "" ? undefined : to, (k, v) => void actual.push([k, v]));
        assert.deepEqual(actual, expected);
        for (const [k, v] of model) assert.equal(tree.get(k), v);
      }),
      { numRuns: 200 },
    );
  });
});
