/**
 * PreVote and CheckQuorum: a partitioned node rejoining must not disrupt a healthy leader;
 * a leader that cannot hear a quorum steps down; leases make followers ignore disruptive
 * vote requests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType, newMessage, StateType } from "../src/index.js";
import { Simulator } from "./support/Simulator.js";
import { newRaft, readMessages } from "./support/raw.js";

function isolatedNodeRejoins(preVote: boolean): { leaderBefore: bigint; leaderAfter: bigint | undefined; termBefore: number; isolatedTerm: number; termAfter: number } {
  const sim = new Simulator([1n, 2n, 3n], { preVote, seed: 3 });
  sim.campaign(1n);
  const termBefore = sim.node(1n).raft.term;
  sim.isolate(3n);
  sim.run(60); // node 3 times out repeatedly while cut off
  const isolatedTerm = sim.node(3n).raft.term;
  sim.heal();
  sim.run(30);
  return { leaderBefore: 1n, leaderAfter: sim.leader()?.id, termBefore, isolatedTerm, termAfter: sim.node(1n).raft.term };
}

test("PreVote: an isolated node does not bump its term, and rejoining does not disrupt the leader", () => {
  const r = isolatedNodeRejoins(true);
  assert.equal(r.isolatedTerm, r.termBefore, "pre-elections leave the term alone");
  assert.equal(r.leaderAfter, 1n);
  assert.equal(r.termAfter, r.termBefore);
});

test("without PreVote the same rejoin forces a new election (what PreVote prevents)", () => {
  const r = isolatedNodeRejoins(false);
  assert.ok(r.isolatedTerm > r.termBefore + 1);
  assert.ok(r.termAfter > r.termBefore, "the cluster had to move to a higher term");
});

test("PreVote after a partition with a higher term: the node with the higher term rejoins and converges", () => {
  // Node 3 gets a higher term while partitioned without PreVote, then PreVote is what the
  // cluster runs: the stale leader learns the term and a leader with the full log is elected.
  const sim = new Simulator([1n, 2n, 3n], { preVote: true, seed: 5 });
  sim.campaign(1n);
  sim.propose(1n, "x");
  sim.stabilize();
  // Force node 3 into a higher term (as if it had campaigned before PreVote was enabled).
  sim.isolate(3n);
  for (let i = 0; i < 3; i++) sim.node(3n).raft.campaign("CampaignElection");
  sim.stabilize();
  const high = sim.node(3n).raft.term;
  assert.ok(high > sim.node(1n).raft.term);
  sim.heal();
  const l = sim.waitForLeader();
  sim.run(30);
  const leader = sim.leader()!;
  for (const n of sim.nodes.values()) assert.equal(n.raft.term, leader.raft.term);
  assert.ok(leader.raft.term >= high, "the higher term propagated");
  assert.ok(sim.propose(leader.id, "y"));
  sim.stabilize();
  for (const n of sim.nodes.values()) assert.deepEqual(n.appliedData.map((d) => d.data), ["x", "y"]);
  void l;
});

test("pre-vote: granted for a future term without recording a vote; rejected for a stale log", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.step(newMessage({ type: MessageType.MsgPreVote, from: 2n, to: 1n, term: 3, index: 0, logTerm: 0 }));
  const [resp] = readMessages(r);
  assert.equal(resp?.type, MessageType.MsgPreVoteResp);
  assert.equal(resp?.reject, false);
  assert.equal(resp?.term, 3, "the response carries the pre-vote's term");
  assert.equal(r.term, 0, "our term is unchanged");
  assert.equal(r.vote, 0n, "no vote recorded");
});

test("a pre-candidate that wins the pre-vote runs a real election", () => {
  const r = newRaft(1, [1, 2, 3], undefined, { preVote: true });
  r.step(newMessage({ type: MessageType.MsgHup }));
  assert.equal(r.state, StateType.StatePreCandidate);
  assert.equal(r.term, 0);
  const pre = readMessages(r);
  assert.deepEqual(pre.map((m) => [m.type, m.term]), [
    [MessageType.MsgPreVote, 1],
    [MessageType.MsgPreVote, 1],
  ]);
  r.step(newMessage({ type: MessageType.MsgPreVoteResp, from: 2n, to: 1n, term: 1 }));
  assert.equal(r.state, StateType.StateCandidate);
  assert.equal(r.term, 1);
  const votes = readMessages(r);
  assert.deepEqual(votes.map((m) => m.type), [MessageType.MsgVote, MessageType.MsgVote]);
});

test("CheckQuorum: a leader cut off from the quorum steps down within an election timeout", () => {
  const sim = new Simulator([1n, 2n, 3n], { checkQuorum: true });
  sim.campaign(1n);
  sim.isolate(1n);
  let ticks = 0;
  while (sim.node(1n).raft.state === StateType.StateLeader && ticks < 100) {
    sim.tick([1n]);
    sim.stabilize();
    ticks++;
  }
  assert.equal(sim.node(1n).raft.state, StateType.StateFollower);
  assert.ok(ticks <= 2 * sim.opts.electionTick, `stepped down after ${ticks} ticks`);
});

test("without CheckQuorum the isolated leader keeps believing it leads", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.isolate(1n);
  for (let i = 0; i < 100; i++) sim.tick([1n]);
  sim.stabilize();
  assert.equal(sim.node(1n).raft.state, StateType.StateLeader);
});

test("CheckQuorum lease: a follower that heard from the leader ignores a disruptive vote request", () => {
  const sim = new Simulator([1n, 2n, 3n], { checkQuorum: true });
  sim.campaign(1n);
  const term = sim.node(2n).raft.term;
  sim.node(2n).node.step(newMessage({ type: MessageType.MsgVote, from: 3n, to: 2n, term: term + 5, index: 99, logTerm: 99 }));
  sim.stabilize();
  assert.equal(sim.node(2n).raft.term, term, "vote ignored, term unchanged");
  assert.equal(sim.leader()?.id, 1n);
});

test("CheckQuorum + PreVote: a stale leader learns the new term from MsgAppResp and steps down", () => {
  const sim = new Simulator([1n, 2n, 3n], { checkQuorum: true, preVote: true, seed: 2 });
  sim.campaign(1n);
  // Leader 1 is cut off only from receiving; 2 and 3 elect a new leader.
  sim.cutLink(2n, 1n);
  sim.cutLink(3n, 1n);
  sim.cutLink(1n, 2n);
  sim.cutLink(1n, 3n);
  sim.run(40);
  const newLeader = sim.leader();
  assert.ok(newLeader !== undefined && newLeader.id !== 1n);
  sim.heal();
  sim.run(5);
  assert.equal(sim.node(1n).raft.state, StateType.StateFollower);
  assert.equal(sim.node(1n).raft.lead, sim.leader()?.id);
});
