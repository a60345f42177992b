// Wait (proposers by request ID) and ReadIndexBatcher (linearizable reads sharing ReadIndex
// rounds): the two places a request waits for raft, driven by hand — no member, no timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ReadIndexBatcher } from "../src/etcdserver/ReadIndexBatcher.js";
import { Wait } from "../src/etcdserver/Wait.js";

/** settled tells which promises have settled once pending microtasks ran. */
async function settled(promises: readonly Promise<unknown>[]): Promise<boolean[]> {
  const state = promises.map(() => false);
  promises.forEach((p, i) => void p.then(() => (state[i] = true), () => (state[i] = true)));
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

test("Wait: trigger settles only its own ID, once; unknown IDs (another member's proposals) are ignored", async () => {
  const wait = new Wait<string>();
  const a = wait.register(1n);
  const b = wait.register(2n);
  wait.trigger(3n, "nobody");
  wait.trigger(1n, "one");
  wait.trigger(1n, "again");
  assert.equal(await a, "one");
  assert.deepEqual(await settled([b]), [false]);
  assert.equal(wait.size, 1);
  assert.equal(wait.has(2n), true);
});

test("Wait: expire rejects the waiters due by now and stops at the first in time; failAll and forget", async () => {
  const wait = new Wait<string>();
  const early = wait.register(1n, 10);
  const late = wait.register(2n, 20);
  const forgotten = wait.register(3n, 30);
  wait.expire(15, () => new Error("timeout"));
  await assert.rejects(early, /timeout/);
  assert.deepEqual(await settled([late]), [false]);
  wait.forget(3n);
  wait.failAll(new Error("stopped"));
  await assert.rejects(late, /stopped/);
  assert.deepEqual(await settled([forgotten]), [false], "a forgotten waiter is never settled");
  assert.equal(wait.size, 0);
});

/** A batcher over a fake raft: `asked` holds the contexts raft was asked for, `applied` is set by hand. */
function batcher(): { reads: ReadIndexBatcher; asked: Uint8Array[]; setApplied: (index: number) => void } {
  const asked: Uint8Array[] = [];
  let applied = 0;
  const reads = new ReadIndexBatcher(
    (ctx) => asked.push(Uint8Array.from(ctx)),
    () => applied,
  );
  return { reads, asked, setApplied: (index) => (applied = index) };
}

test("ReadIndexBatcher: a read starts a round; the reads arriving while it is in flight share the next one", async () => {
  const { reads, asked, setApplied } = batcher();
  const first = reads.wait();
  assert.equal(asked.length, 1);
  const second = [reads.wait(), reads.wait(), reads.wait()];
  assert.equal(asked.length, 1, "the next round waits for the one in flight");
  setApplied(5);
  reads.onReadStates([{ index: 5, requestCtx: asked[0]! }]);
  assert.deepEqual(await settled([first]), [true], "applied already reached the read index");
  assert.deepEqual(await settled(second), [false, false, false]);
  assert.equal(asked.length, 2, "the queued reads started their one round");
  reads.onReadStates([{ index: 7, requestCtx: asked[1]! }]);
  assert.deepEqual(await settled(second), [false, false, false], "read index 7 not applied yet");
  setApplied(7);
  reads.onApplied();
  assert.deepEqual(await settled(second), [true, true, true]);
});

test("ReadIndexBatcher: a read state of another context is ignored; retry re-asks the round in flight", async () => {
  const { reads, asked } = batcher();
  const read = reads.wait();
  reads.onReadStates([{ index: 1, requestCtx: Uint8Array.of(9, 9) }]);
  assert.deepEqual(await settled([read]), [false]);
  reads.retry();
  assert.equal(asked.length, 2);
  assert.deepEqual(asked[1], asked[0]);
});

test("ReadIndexBatcher: expire fails the rounds started before the cut; the reads queued behind start the next round", async () => {
  const { reads, asked } = batcher();
  const started = performance.now();
  const inFlight = reads.wait();
  const queued = reads.wait();
  assert.equal(asked.length, 1);
  reads.expire(started - 1, () => new Error("too early to expire"));
  assert.deepEqual(await settled([inFlight, queued]), [false, false]);
  reads.expire(performance.now(), () => new Error("timeout"));
  await assert.rejects(inFlight, /timeout/);
  assert.equal(asked.length, 2, "the queued reads asked for their own round");
  assert.deepEqual(await settled([queued]), [false]);
  reads.failAll(new Error("stopped"));
  await assert.rejects(queued, /stopped/);
});
