import { test } from "node:test";
import assert from "node:assert/strict";
import { Simulator } from "./support/Simulator.js";

test("three nodes elect a leader and commit a proposal", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  const leader = sim.leader();
  assert.equal(leader?.id, 1n);
  assert.ok(sim.propose(1n, "hello"));
  sim.stabilize();
  for (const n of sim.nodes.values()) {
    assert.deepEqual(n.appliedData.map((a) => a.data), ["hello"], `node ${n.id}`);
  }
  assert.deepEqual(sim.violations, []);
});
