/**
 * Quorum math against dumb models (property tests), Inflights and Progress transitions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Inflights,
  Progress,
  ProgressState,
  VoteResult,
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
} from "../src/index.js";

const RUNS = Number(process.env["RAFT_PROPERTY_RUNS"] ?? 300);

// The dumb model: the largest index i such that a majority acked >= i.
function dumbCommitted(acks: number[]): number {
  if (acks.length === 0) return Infinity;
  const q = Math.floor(acks.length / 2) + 1;
  let best = 0;
  for (const i of acks) if (acks.filter((a) => a >= i).length >= q) best = Math.max(best, i);
  return best;
}

test("majorityCommittedIndex equals the dumb model", () => {
  fc.assert(
    fc.property(fc.array(fc.nat(20), { maxLength: 9 }), (acks) => {
      const voters = new Set(acks.map((_, i) => BigInt(i + 1)));
      const got = majorityCommittedIndex(voters, (id) => acks[Number(id) - 1]);
      assert.equal(got, dumbCommitted(acks));
    }),
    { numRuns: RUNS },
  );
});

test("jointCommittedIndex is the minimum of both halves; an empty half does not constrain", () => {
  fc.assert(
    fc.property(fc.array(fc.nat(20), { minLength: 1, maxLength: 7 }), fc.array(fc.boolean(), { maxLength: 7 }), fc.array(fc.boolean(), { maxLength: 7 }), (acks, inA, inB) => {
      const a = new Set<bigint>();
      const b = new Set<bigint>();
      acks.forEach((_, i) => {
        if (inA[i] ?? true) a.add(BigInt(i + 1));
        if (inB[i] ?? false) b.add(BigInt(i + 1));
      });
      const acked = (id: bigint) => acks[Number(id) - 1];
      const want = Math.min(dumbCommitted([...a].map((id) => acked(id)!)), dumbCommitted([...b].map((id) => acked(id)!)));
      assert.equal(jointCommittedIndex([a, b], acked), want);
    }),
    { numRuns: RUNS },
  );
});

test("vote results", () => {
  const v = (...ids: number[]) => new Set(ids.map(BigInt));
  const votes = (o: Record<number, boolean>) => new Map(Object.entries(o).map(([k, x]) => [BigInt(k), x]));
  assert.equal(majorityVoteResult(v(), votes({})), VoteResult.VoteWon);
  assert.equal(majorityVoteResult(v(1, 2, 3), votes({ 1: true })), VoteResult.VotePending);
  assert.equal(majorityVoteResult(v(1, 2, 3), votes({ 1: true, 2: true })), VoteResult.VoteWon);
  assert.equal(majorityVoteResult(v(1, 2, 3), votes({ 1: false, 2: false })), VoteResult.VoteLost);
  assert.equal(majorityVoteResult(v(1, 2, 3, 4), votes({ 1: true, 2: true, 3: false })), VoteResult.VotePending);
  assert.equal(jointVoteResult([v(1, 2, 3), v(3, 4, 5)], votes({ 1: true, 2: true })), VoteResult.VotePending);
  assert.equal(jointVoteResult([v(1, 2, 3), v(3, 4, 5)], votes({ 1: true, 2: true, 4: true, 5: true })), VoteResult.VoteWon);
  assert.equal(jointVoteResult([v(1, 2, 3), v(3, 4, 5)], votes({ 1: true, 2: true, 4: false, 5: false })), VoteResult.VoteLost);
});

test("inflights: add, freeLE, full by count and by bytes, wrap around", () => {
  const f = new Inflights(3);
  f.add(1, 10);
  f.add(2, 10);
  f.add(3, 10);
  assert.equal(f.full(), true);
  assert.throws(() => f.add(4, 1), /full/);
  f.freeLE(1);
  assert.equal(f.count(), 2);
  f.add(4, 10); // wraps
  f.freeLE(3);
  assert.equal(f.count(), 1);
  assert.equal(f.bytes(), 10);
  f.freeLE(0);
  assert.equal(f.count(), 1);
  f.freeLE(10);
  assert.equal(f.count(), 0);
  const b = new Inflights(10, 25);
  b.add(1, 10);
  b.add(2, 10);
  assert.equal(b.full(), false);
  b.add(3, 10);
  assert.equal(b.full(), true, "byte limit");
  b.freeLE(2);
  assert.equal(b.full(), false);
});

test("progress: probe pauses after one message, replicate fills the window, decrTo with hints", () => {
  const pr = new Progress(0, 5, new Inflights(2), false);
  assert.equal(pr.state, ProgressState.StateProbe);
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(1, 1);
  assert.equal(pr.isPaused(), true);
  // A stale rejection (not of our last probe) is ignored.
  assert.equal(pr.maybeDecrTo(3, 0), false);
  // A rejection of the probe at next-1 = 4 with hint 2: next = min(4, 2+1) = 3.
  assert.equal(pr.maybeDecrTo(4, 2), true);
  assert.equal(pr.next, 3);
  assert.equal(pr.isPaused(), false);
  assert.equal(pr.maybeUpdate(2), true);
  pr.becomeReplicate();
  assert.equal(pr.next, 3);
  pr.sentEntries(2, 20);
  assert.equal(pr.next, 5);
  pr.sentEntries(1, 10);
  assert.equal(pr.isPaused(), true, "window of 2 is full");
  // In replicate, a rejection above match falls back to match + 1.
  assert.equal(pr.maybeDecrTo(5, 0), true);
  assert.equal(pr.next, 3);
  assert.equal(pr.maybeDecrTo(1, 0), false, "stale: below match");
  pr.becomeSnapshot(10);
  assert.equal(pr.isPaused(), true);
  pr.becomeProbe();
  assert.equal(pr.next, 11, "after a snapshot, probe from after it");
});
