/**
 * RaftLog and Unstable: matching, conflicts, fast-backtracking hints, commit rules, slices
 * across the stable/unstable boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrCompacted, ErrUnavailable, MemoryStorage, RaftLog, Unstable, type Entry } from "../src/index.js";

const ent = (index: number, term: number): Entry => ({ index, term, type: 0, data: new Uint8Array() });
const terms = (ents: Entry[]) => ents.map((e) => e.term);

function logWithTerms(ts: number[]): RaftLog {
  const log = new RaftLog(new MemoryStorage());
  log.append(ts.map((t, i) => ent(i + 1, t)));
  return log;
}

test("findConflict", () => {
  const log = logWithTerms([1, 2, 3]);
  const cases: [Entry[], number][] = [
    [[], 0],
    [[ent(1, 1), ent(2, 2), ent(3, 3)], 0],
    [[ent(2, 2), ent(3, 3)], 0],
    [[ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 4)], 4],
    [[ent(3, 3), ent(4, 4)], 4],
    [[ent(1, 4), ent(2, 4)], 1],
    [[ent(2, 1), ent(3, 4)], 2],
    [[ent(3, 1), ent(4, 2)], 3],
  ];
  for (const [ents, want] of cases) assert.equal(log.findConflict(ents), want);
});

test("findConflictByTerm: largest index with term <= given term", () => {
  // Log: index 1..6 with terms 1 1 2 2 5 5.
  const log = logWithTerms([1, 1, 2, 2, 5, 5]);
  const cases: [number, number, number, number][] = [
    [6, 5, 6, 5],
    [6, 4, 4, 2],
    [6, 2, 4, 2],
    [6, 1, 2, 1],
    [6, 0, 0, 0],
    [3, 2, 3, 2],
    [3, 1, 2, 1],
  ];
  for (const [index, term, wantIndex, wantTerm] of cases) {
    assert.deepEqual(log.findConflictByTerm(index, term), { index: wantIndex, term: wantTerm }, `(${index}, ${term})`);
  }
});

test("maybeAppend: match, conflict, commit bounded by last new index", () => {
  const mk = () => logWithTerms([1, 2, 3]);
  {
    const log = mk();
    assert.equal(log.maybeAppend(3, 2, 3, [ent(4, 4)]), -1, "term mismatch");
  }
  {
    const log = mk();
    assert.equal(log.maybeAppend(3, 3, 3, [ent(4, 4)]), 4);
    assert.equal(log.committed, 3);
  }
  {
    const log = mk();
    assert.equal(log.maybeAppend(3, 3, 10, [ent(4, 4)]), 4);
    assert.equal(log.committed, 4, "commit capped at the last new entry");
  }
  {
    const log = mk();
    assert.equal(log.maybeAppend(1, 1, 1, [ent(2, 4)]), 2);
    assert.deepEqual(terms(log.allEntries()), [1, 4], "conflict truncates the tail");
  }
  {
    const log = mk();
    log.commitTo(3);
    assert.throws(() => log.maybeAppend(1, 1, 3, [ent(2, 4)]), /conflicts with committed/);
  }
});

test("isUpToDate compares last term, then length", () => {
  const log = logWithTerms([1, 2, 3]);
  assert.equal(log.isUpToDate(2, 4), true);
  assert.equal(log.isUpToDate(3, 3), true);
  assert.equal(log.isUpToDate(4, 3), true);
  assert.equal(log.isUpToDate(2, 3), false);
  assert.equal(log.isUpToDate(5, 2), false);
});

test("maybeCommit only commits entries of the given (current) term", () => {
  const log = logWithTerms([1, 1, 2]);
  assert.equal(log.maybeCommit(2, 2), false, "an index of an older term does not commit by counting");
  assert.equal(log.committed, 0);
  assert.equal(log.maybeCommit(3, 2), true);
  assert.equal(log.committed, 3);
});

test("slice across storage and unstable, with compaction", () => {
  const storage = new MemoryStorage();
  storage.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]);
  storage.createSnapshot(2, undefined, new Uint8Array());
  storage.compact(2);
  const log = new RaftLog(storage);
  log.append([ent(5, 3), ent(6, 3)]);
  assert.equal(log.firstIndex(), 3);
  assert.equal(log.lastIndex(), 6);
  assert.deepEqual(terms(log.slice(3, 7, Infinity)), [2, 2, 3, 3]);
  assert.deepEqual(terms(log.slice(4, 6, Infinity)), [2, 3]);
  assert.throws(() => log.slice(2, 4, Infinity), (e) => e === ErrCompacted);
  assert.throws(() => log.slice(3, 8, Infinity), /out of bound/);
  assert.equal(log.term(2), 1, "the snapshot's last term stays known");
  assert.throws(() => log.term(1), (e) => e === ErrCompacted, "below the snapshot");
  assert.throws(() => log.term(7), (e) => e === ErrUnavailable, "beyond the log");
  assert.equal(log.matchTerm(7, 0), false, "nothing matches beyond the log");
});

test("nextCommittedEnts respects applied and maxNextEntsSize", () => {
  const storage = new MemoryStorage();
  const log = new RaftLog(storage, 0);
  log.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
  log.commitTo(3);
  assert.deepEqual(log.nextCommittedEnts().map((e) => e.index), [1], "size limit 0 still yields one entry");
  log.appliedTo(1);
  assert.deepEqual(log.nextCommittedEnts().map((e) => e.index), [2]);
  log.appliedTo(3);
  assert.equal(log.hasNextCommittedEnts(), false);
});

test("unstable: stableTo ignores replaced entries, truncateAndAppend cases", () => {
  const u = new Unstable(5);
  u.truncateAndAppend([ent(5, 1), ent(6, 1)]);
  u.truncateAndAppend([ent(6, 2), ent(7, 2)]);
  assert.deepEqual(u.entries.map((e) => [e.index, e.term]), [[5, 1], [6, 2], [7, 2]]);
  u.stableTo(6, 1); // stale: entry 6 now has term 2
  assert.equal(u.offset, 5);
  u.stableTo(6, 2);
  assert.equal(u.offset, 7);
  assert.deepEqual(u.entries.map((e) => e.index), [7]);
  u.truncateAndAppend([ent(4, 3)]);
  assert.equal(u.offset, 4);
  assert.deepEqual(u.entries.map((e) => [e.index, e.term]), [[4, 3]]);
  u.restore({ data: new Uint8Array(), metadata: { index: 10, term: 4, confState: { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } });
  assert.equal(u.maybeTerm(10), 4);
  assert.equal(u.maybeLastIndex(), 10);
  assert.equal(u.maybeFirstIndex(), 11);
});
