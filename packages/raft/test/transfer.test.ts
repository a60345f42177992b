/**
 * Leader transfer: MsgTransferLeader / MsgTimeoutNow, to an up-to-date and to a lagging
 * follower, aborted after an election timeout, proposals dropped meanwhile.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType, StateType } from "../src/index.js";
import { Simulator } from "./support/Simulator.js";

test("transfer to an up-to-date follower: MsgTimeoutNow at once, the transferee wins", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  const term = sim.node(1n).raft.term;
  sim.node(1n).node.transferLeader(2n);
  sim.stabilize();
  assert.equal(sim.leader()?.id, 2n);
  assert.equal(sim.node(2n).raft.term, term + 1);
  assert.equal(sim.node(1n).raft.state, StateType.StateFollower);
});

test("transfer to a lagging follower: it is caught up first, then takes over", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.isolate(3n);
  for (let i = 0; i < 10; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  assert.ok(sim.node(3n).raft.raftLog.lastIndex() < sim.node(1n).raft.raftLog.lastIndex());
  sim.heal();
  const sent: string[] = [];
  sim.filter = (m) => {
    if (m.from === 1n && m.to === 3n) sent.push(m.type === MessageType.MsgTimeoutNow ? "timeoutNow" : "other");
    return true;
  };
  sim.node(1n).node.transferLeader(3n);
  sim.stabilize();
  assert.equal(sim.leader()?.id, 3n);
  assert.ok(sent.indexOf("timeoutNow") > 0, "appends before MsgTimeoutNow");
  assert.deepEqual(sim.node(3n).appliedData.map((d) => d.data), Array.from({ length: 10 }, (_, i) => `e${i}`));
});

test("transfer is aborted after an election timeout; proposals are dropped meanwhile", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.isolate(3n);
  sim.node(1n).node.transferLeader(3n);
  sim.stabilize();
  assert.equal(sim.node(1n).raft.leadTransferee, 3n);
  assert.equal(sim.propose(1n, "during"), false, "dropped during the transfer");
  for (let i = 0; i < sim.opts.electionTick; i++) {
    sim.tick([1n, 2n]);
    sim.stabilize();
  }
  assert.equal(sim.node(1n).raft.leadTransferee, 0n);
  assert.equal(sim.leader()?.id, 1n);
  assert.equal(sim.propose(1n, "after"), true);
});

test("transfer requests to self, to a learner, or repeated, are ignored; a follower forwards the request", () => {
  const sim = new Simulator([1n, 2n, 3n, 4n], { learners: [4n] });
  sim.campaign(1n);
  sim.node(1n).node.transferLeader(1n);
  sim.node(1n).node.transferLeader(4n);
  sim.stabilize();
  assert.equal(sim.leader()?.id, 1n);
  assert.equal(sim.node(1n).raft.leadTransferee, 0n);
  // Asked on a follower: forwarded to the leader.
  sim.node(3n).node.transferLeader(2n);
  sim.stabilize();
  assert.equal(sim.leader()?.id, 2n);
});

test("a transfer election ignores the followers' leader lease (CheckQuorum)", () => {
  const sim = new Simulator([1n, 2n, 3n], { checkQuorum: true, preVote: true });
  sim.campaign(1n);
  sim.node(1n).node.transferLeader(3n);
  sim.stabilize();
  assert.equal(sim.leader()?.id, 3n);
});
