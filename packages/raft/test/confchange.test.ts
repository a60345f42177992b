/**
 * Configuration transitions (Changer, restoreConfig): simple changes, joint consensus,
 * learners and learnersNext, and the rejected transitions. Plus a property: restoring from
 * the ConfState of any reachable configuration yields the same configuration.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Changer, ConfChangeType, ProgressTracker, restoreConfig, type ConfChangeSingle, type ConfState } from "../src/index.js";

const RUNS = Number(process.env["RAFT_PROPERTY_RUNS"] ?? 300);
const { ConfChangeAddNode: add, ConfChangeRemoveNode: remove, ConfChangeAddLearnerNode: learner, ConfChangeUpdateNode: update } = ConfChangeType;
const cc = (type: ConfChangeSingle["type"], id: number): ConfChangeSingle => ({ type, nodeId: BigInt(id) });

/** A tracker we can run changes against; each change replaces its config and progress. */
function tracker(): ProgressTracker {
  return new ProgressTracker(10, 0);
}
function base(t: ProgressTracker) {
  return { config: t.config, progress: t.progress, maxInflight: 10, maxInflightBytes: 0, lastIndex: 10 };
}
function run(t: ProgressTracker, f: (c: Changer) => { config: ProgressTracker["config"]; progress: ProgressTracker["progress"] }): void {
  const r = f(new Changer(base(t)));
  t.config = r.config;
  t.progress = r.progress;
}
function cs(t: ProgressTracker): string {
  const s = t.confState();
  const f = (ids: bigint[]) => ids.join(" ");
  let out = `voters=(${f(s.voters)})`;
  if (s.votersOutgoing.length) out += `&&(${f(s.votersOutgoing)})`;
  if (s.learners.length) out += ` learners=(${f(s.learners)})`;
  if (s.learnersNext.length) out += ` learners_next=(${f(s.learnersNext)})`;
  if (s.autoLeave) out += " autoleave";
  return out;
}

test("simple changes: add, learner, promote, remove; one voter at a time", () => {
  const t = tracker();
  run(t, (c) => c.simple([cc(add, 1)]));
  assert.equal(cs(t), "voters=(1)");
  assert.equal(t.progress.get(1n)?.next, 10, "new members are probed from the last index");
  run(t, (c) => c.simple([cc(add, 2), cc(learner, 3)]));
  assert.equal(cs(t), "voters=(1 2) learners=(3)");
  run(t, (c) => c.simple([cc(add, 3)]));
  assert.equal(cs(t), "voters=(1 2 3)", "promotion");
  assert.throws(() => run(t, (c) => c.simple([cc(add, 4), cc(add, 5)])), /more than one voter changed/);
  run(t, (c) => c.simple([cc(learner, 3)]));
  assert.equal(cs(t), "voters=(1 2) learners=(3)", "demotion");
  run(t, (c) => c.simple([cc(remove, 3), cc(update, 2)]));
  assert.equal(cs(t), "voters=(1 2)");
  assert.equal(t.progress.has(3n), false);
  assert.throws(() => run(t, (c) => c.simple([cc(remove, 1), cc(remove, 2)])), /removed all voters|more than one voter/);
  run(t, (c) => c.simple([cc(remove, 9)]));
  assert.equal(cs(t), "voters=(1 2)", "removing a non-member is a no-op");
});

test("joint consensus: enter, learnersNext, leave", () => {
  const t = tracker();
  run(t, (c) => c.simple([cc(add, 1)]));
  run(t, (c) => c.simple([cc(add, 2)]));
  run(t, (c) => c.simple([cc(add, 3)]));
  run(t, (c) => c.enterJoint(true, [cc(remove, 1), cc(add, 4), cc(learner, 3)]));
  assert.equal(cs(t), "voters=(2 4)&&(1 2 3) learners_next=(3) autoleave");
  assert.ok(t.progress.has(1n), "outgoing voters keep their progress");
  assert.throws(() => run(t, (c) => c.enterJoint(false, [cc(add, 5)])), /already joint/);
  assert.throws(() => run(t, (c) => c.simple([cc(add, 5)])), /in joint config/);
  run(t, (c) => c.leaveJoint());
  assert.equal(cs(t), "voters=(2 4) learners=(3)");
  assert.equal(t.progress.has(1n), false);
  assert.equal(t.progress.get(3n)?.isLearner, true);
  assert.throws(() => run(t, (c) => c.leaveJoint()), /non-joint/);
});

test("joint consensus refuses an empty incoming config", () => {
  const t = tracker();
  assert.throws(() => run(t, (c) => c.enterJoint(false, [cc(add, 1)])), /zero-voter/);
});

const change = fc.record({ type: fc.constantFrom(add, remove, learner, update), nodeId: fc.integer({ min: 1, max: 6 }).map(BigInt) });

test("restoreConfig(confState) reproduces any reachable configuration", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom("simple", "joint", "leave"), fc.array(change, { minLength: 1, maxLength: 3 }), fc.boolean()), { maxLength: 12 }), (steps) => {
      const t = tracker();
      run(t, (c) => c.simple([cc(add, 1)]));
      for (const [kind, changes, autoLeave] of steps) {
        try {
          if (kind === "simple") run(t, (c) => c.simple(changes));
          else if (kind === "joint") run(t, (c) => c.enterJoint(autoLeave, changes));
          else run(t, (c) => c.leaveJoint());
        } catch (e) {
          assert.match(String(e), /conf change/);
        }
        const state: ConfState = t.confState();
        const restored = restoreConfig({ config: tracker().config, progress: new Map(), maxInflight: 10, maxInflightBytes: 0, lastIndex: 10 }, state);
        const r = tracker();
        r.config = restored.config;
        r.progress = restored.progress;
        assert.equal(cs(r), cs(t));
        assert.deepEqual([...r.progress.keys()].sort(), [...t.progress.keys()].sort());
      }
    }),
    { numRuns: RUNS },
  );
});
