/**
 * Membership changes end to end: adding and removing nodes (V1 and V2), joint consensus with
 * automatic and explicit leave, removing the leader through joint consensus, learners and
 * their promotion, one pending change at a time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfChangeTransition,
  ConfChangeType,
  EMPTY_BYTES,
  EntryType,
  MemoryStorage,
  MessageType,
  StateType,
  type ConfChangeV2,
  type NodeId,
} from "../src/index.js";
import { Simulator } from "./support/Simulator.js";

const { ConfChangeAddNode: add, ConfChangeRemoveNode: remove, ConfChangeAddLearnerNode: learner } = ConfChangeType;

function v2(transition: ConfChangeV2["transition"], ...changes: [ConfChangeV2["changes"][number]["type"], number][]): ConfChangeV2 {
  return { transition, changes: changes.map(([type, id]) => ({ type, nodeId: BigInt(id) })), context: EMPTY_BYTES };
}

function voters(sim: Simulator, id: NodeId): string {
  const c = sim.node(id).node.status().config;
  let s = c.voters.join(",");
  if (c.votersOutgoing.length > 0) s += `&&${c.votersOutgoing.join(",")}`;
  if (c.learners.length > 0) s += ` learners=${c.learners.join(",")}`;
  return s;
}

test("adding a node (V1): the new member catches up and votes", () => {
  const sim = new Simulator([1n, 2n, 3n], { bootstrap: true });
  sim.campaign(1n);
  sim.propose(1n, "before");
  sim.stabilize();
  sim.addNode(4n, new MemoryStorage());
  sim.node(1n).node.proposeConfChange({ type: add, nodeId: 4n, context: EMPTY_BYTES, id: 7n });
  sim.stabilize();
  assert.equal(voters(sim, 1n), "1,2,3,4");
  sim.run(3);
  assert.equal(voters(sim, 4n), "1,2,3,4");
  assert.deepEqual(sim.node(4n).appliedData.map((d) => d.data), ["before"]);
  // With 4 voters, a quorum is 3: 1, 2 and 4 commit without 3.
  sim.isolate(3n);
  sim.propose(1n, "needs 4");
  sim.stabilize();
  assert.equal(sim.node(4n).appliedData.at(-1)?.data, "needs 4");
});

test("removing a follower (V1); the removed node cannot campaign", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.node(1n).node.proposeConfChange({ type: remove, nodeId: 3n, context: EMPTY_BYTES, id: 0n });
  sim.stabilize();
  assert.equal(voters(sim, 1n), "1,2");
  assert.equal(voters(sim, 3n), "1,2");
  sim.node(3n).node.campaign();
  sim.stabilize();
  assert.equal(sim.node(3n).raft.state, StateType.StateFollower, "unpromotable");
});

test("removing the leader with a simple change: it hands leadership to a remaining voter, then steps down", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.node(1n).node.proposeConfChange({ type: remove, nodeId: 1n, context: EMPTY_BYTES, id: 0n });
  let timeoutNow = 0;
  sim.filter = (m) => {
    if (m.type === MessageType.MsgTimeoutNow && m.from === 1n) timeoutNow++;
    return true;
  };
  sim.stabilize();
  // The followers were up to date: MsgTimeoutNow to one of them, and the old leader stepped down.
  assert.equal(timeoutNow, 1);
  assert.equal(sim.node(1n).raft.state, StateType.StateFollower);
  assert.equal(sim.propose(1n, "refused"), false);
  // The MsgTimeoutNow arrived before the transferee applied the change, so it could not campaign
  // yet; the remaining voters elect a leader at their election timeout.
  sim.run(2 * sim.opts.electionTick);
  const l = sim.leader()!;
  assert.ok(l.id === 2n || l.id === 3n);
  assert.equal(sim.leadersByTerm.get(l.raft.term)?.size, 1);
  assert.ok(sim.propose(l.id, "after"));
  sim.stabilize();
  assert.equal(sim.node(2n).appliedData.at(-1)?.data, "after");
});

test("joint consensus removing the leader: enter joint, auto-leave, leader steps down", () => {
  const sim = new Simulator([1n, 2n, 3n], { bootstrap: true });
  sim.campaign(1n);
  sim.addNode(4n, new MemoryStorage());
  sim.node(1n).node.proposeConfChange(v2(ConfChangeTransition.ConfChangeTransitionAuto, [remove, 1], [add, 4]));
  // Watch the leader pass through the joint config.
  let sawJoint = false;
  for (let i = 0; i < 50 && !sawJoint; i++) {
    sim.step();
    if (voters(sim, 1n).includes("&&")) sawJoint = true;
  }
  sim.stabilize();
  assert.ok(sawJoint, "went through (2 3 4)&&(1 2 3)");
  sim.run(2 * sim.opts.electionTick);
  assert.equal(sim.node(1n).raft.state, StateType.StateFollower, "the removed leader handed off and stepped down");
  assert.equal(voters(sim, 2n), "2,3,4");
  const l = sim.waitForLeader();
  assert.ok([2n, 3n, 4n].includes(l.id));
  assert.ok(sim.propose(l.id, "new config"));
  sim.stabilize();
  for (const id of [2n, 3n, 4n]) assert.equal(sim.node(id).appliedData.at(-1)?.data, "new config");
  assert.deepEqual(sim.violations, []);
});

test("explicit joint consensus stays joint until the application leaves", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.node(1n).node.proposeConfChange(v2(ConfChangeTransition.ConfChangeTransitionJointExplicit, [learner, 3]));
  sim.stabilize();
  sim.run(3);
  assert.equal(voters(sim, 1n), "1,2&&1,2,3");
  assert.deepEqual(sim.node(1n).node.status().config.learnersNext, [3n]);
  // While joint, only a leave is accepted: another change becomes a no-op entry.
  sim.node(1n).node.proposeConfChange(v2(ConfChangeTransition.ConfChangeTransitionAuto, [add, 5]));
  sim.stabilize();
  assert.equal(voters(sim, 1n), "1,2&&1,2,3");
  sim.node(1n).node.proposeConfChange(v2(ConfChangeTransition.ConfChangeTransitionAuto));
  sim.stabilize();
  assert.equal(voters(sim, 1n), "1,2 learners=3");
  assert.equal(voters(sim, 3n), "1,2 learners=3");
});

test("learners: receive the log, never vote or count; promotion makes them voters", () => {
  const sim = new Simulator([1n, 2n, 3n, 4n], { learners: [4n] });
  sim.campaign(1n);
  sim.propose(1n, "a");
  sim.stabilize();
  assert.deepEqual(sim.node(4n).appliedData.map((d) => d.data), ["a"]);
  // A learner does not campaign.
  for (let i = 0; i < 100; i++) sim.node(4n).node.tick();
  sim.stabilize();
  assert.equal(sim.node(4n).raft.state, StateType.StateFollower);
  // The learner's ack does not count towards the quorum.
  sim.isolate(2n);
  sim.isolate(3n);
  sim.propose(1n, "b");
  sim.stabilize();
  assert.equal(sim.node(4n).raft.raftLog.lastIndex(), sim.node(1n).raft.raftLog.lastIndex(), "replicated to the learner");
  assert.ok(sim.node(1n).raft.raftLog.committed < sim.node(1n).raft.raftLog.lastIndex(), "but not committed");
  sim.heal();
  sim.run(2);
  // Promote.
  sim.node(1n).node.proposeConfChange({ type: add, nodeId: 4n, context: EMPTY_BYTES, id: 0n });
  sim.stabilize();
  assert.equal(voters(sim, 4n), "1,2,3,4");
  assert.equal(sim.node(4n).raft.isLearner, false);
  sim.crash(1n);
  const l = sim.waitForLeader();
  assert.notEqual(l.id, 1n);
});

test("only one conf change may be pending: a second one becomes an empty entry", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  const n = sim.node(1n).node;
  n.proposeConfChange({ type: learner, nodeId: 5n, context: EMPTY_BYTES, id: 0n });
  n.proposeConfChange({ type: learner, nodeId: 6n, context: EMPTY_BYTES, id: 0n });
  const ents = sim.node(1n).raft.raftLog.unstableEntries();
  assert.deepEqual(ents.map((e) => e.type), [EntryType.EntryConfChange, EntryType.EntryNormal]);
  sim.stabilize();
  assert.equal(voters(sim, 1n), "1,2,3 learners=5");
});

test("a node with unapplied conf changes does not campaign", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  const r2 = sim.node(2n).raft;
  sim.node(1n).node.proposeConfChange({ type: learner, nodeId: 5n, context: EMPTY_BYTES, id: 0n });
  // Deliver without letting node 2 apply: step its messages by hand.
  sim.stabilize();
  r2.raftLog.applied = r2.raftLog.committed - 1;
  r2.hup("CampaignElection");
  assert.equal(r2.state, StateType.StateFollower);
});

test("a learner with a higher term (demoted after campaigning) tells the leader and catches up", () => {
  // Without CheckQuorum and PreVote a follower ignores a lower-term leader; a learner cannot
  // campaign either, so it answers with its term to get the leader to move up.
  const sim = new Simulator([1n, 2n, 3n, 4n], { learners: [4n] });
  sim.campaign(1n);
  sim.node(4n).raft.becomeFollower(sim.node(4n).raft.term + 5, 0n);
  sim.stabilize();
  sim.propose(1n, "x");
  sim.run(30);
  const l = sim.leader()!;
  assert.ok(l.raft.term > 1);
  assert.equal(sim.node(4n).raft.lead, l.id);
  assert.equal(sim.node(4n).appliedData.at(-1)?.data, "x");
});
