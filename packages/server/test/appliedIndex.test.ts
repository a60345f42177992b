// AppliedIndex: waits for the applied raft index are released by the advance that reaches
// them, in the same turn, and only by it; overdue waits fail from `expire`, not from a timer.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AppliedIndex } from "../src/etcdserver/AppliedIndex.js";

/** settled tells which of `waits` have settled after the microtasks queued so far ran. */
async function settled(waits: readonly Promise<void>[]): Promise<boolean[]> {
  const state = waits.map(() => false);
  waits.forEach((wait, i) => void wait.then(() => (state[i] = true), () => (state[i] = true)));
  await Promise.resolve();
  await Promise.resolve();
  return state;
}

test("a wait at or below the applied index resolves at once; one above waits for an advance that reaches it", async () => {
  const applied = new AppliedIndex(5);
  const waits = [applied.wait(3), applied.wait(5), applied.wait(6), applied.wait(8)];
  assert.deepEqual(await settled(waits), [true, true, false, false]);
  applied.advance(7);
  assert.deepEqual(await settled(waits), [true, true, true, false]);
  assert.equal(applied.pending, 1);
  applied.advance(8);
  assert.deepEqual(await settled(waits), [true, true, true, true]);
  assert.equal(applied.value, 8);
});

test("the applied index never moves down", async () => {
  const applied = new AppliedIndex(10);
  applied.advance(4);
  assert.equal(applied.value, 10);
  const wait = applied.wait(11);
  applied.advance(9);
  assert.deepEqual(await settled([wait]), [false]);
});

test("expire rejects the overdue waits only; failAll rejects the rest", async () => {
  const applied = new AppliedIndex(0);
  const early = applied.wait(5, 100);
  const late = applied.wait(3, 200);
  applied.expire(150, () => new Error("timed out"));
  await assert.rejects(early, /timed out/);
  assert.equal(applied.pending, 1);
  applied.failAll(new Error("stopped"));
  await assert.rejects(late, /stopped/);
  assert.equal(applied.pending, 0);
});

test("property: after any advances, exactly the waits at or below the applied index have resolved", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(50), { maxLength: 20 }), fc.array(fc.nat(60), { maxLength: 10 }), async (targets, advances) => {
      const applied = new AppliedIndex(0);
      const waits = targets.map((index) => applied.wait(index));
      let high = 0;
      for (const index of advances) {
        applied.advance(index);
        high = Math.max(high, index);
      }
      assert.deepEqual(await settled(waits), targets.map((index) => index <= high));
      assert.equal(applied.pending, targets.filter((index) => index > high).length);
    }),
  );
});
