/**
 * Log replication: probe/replicate/snapshot progress, the inflight window, MaxSizePerMsg,
 * fast backtracking on rejection, proposal forwarding and dropping, uncommitted-size limits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrProposalDropped, MessageType, newMessage, ProgressState, StateType, type Message } from "../src/index.js";
import { Simulator } from "./support/Simulator.js";
import { newRaft, persist, readMessages, storageWith } from "./support/raw.js";

function leaderOf3(extra = {}) {
  const r = newRaft(1, [1, 2, 3], undefined, extra);
  r.becomeCandidate();
  r.becomeLeader();
  persist(r);
  readMessages(r);
  return r;
}

const prop = (n = 1, size = 10) =>
  newMessage({ type: MessageType.MsgProp, from: 1n, entries: Array.from({ length: n }, () => ({ term: 0, index: 0, type: 0 as const, data: new Uint8Array(size) })) });

test("probe state: one append in flight until answered; replicate: pipelined up to MaxInflightMsgs", () => {
  const r = leaderOf3({ maxInflightMsgs: 3 });
  const pr2 = r.trk.progress.get(2n)!;
  assert.equal(pr2.state, ProgressState.StateProbe);
  for (let i = 0; i < 5; i++) r.step(prop());
  const probes = readMessages(r).filter((m) => m.to === 2n && m.type === MessageType.MsgApp);
  assert.equal(probes.length, 1, "probe sends a single message");
  // Accept the probe: follower 2 becomes replicating.
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: probes[0]!.index + probes[0]!.entries.length }));
  assert.equal(pr2.state, ProgressState.StateReplicate);
  // Acknowledge whatever followed, so the window is empty.
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: r.raftLog.lastIndex() }));
  readMessages(r);
  assert.equal(pr2.inflights.count(), 0);
  for (let i = 0; i < 10; i++) r.step(prop());
  const apps = readMessages(r).filter((m) => m.to === 2n && m.type === MessageType.MsgApp);
  assert.equal(apps.length, 3, "window of 3");
  assert.equal(pr2.isPaused(), true);
  // Acking the first frees one slot: exactly one more message goes out.
  const first = apps[0]!;
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: first.index + first.entries.length }));
  const more = readMessages(r).filter((m) => m.to === 2n && m.type === MessageType.MsgApp);
  assert.ok(more.length >= 1);
});

test("MaxSizePerMsg bounds the entries per MsgApp (at least one entry)", () => {
  const r = leaderOf3({ maxSizePerMsg: 100 });
  const pr2 = r.trk.progress.get(2n)!;
  pr2.becomeReplicate();
  r.step(prop(20, 40));
  const apps = readMessages(r).filter((m) => m.to === 2n && m.type === MessageType.MsgApp);
  for (const m of apps) {
    const bytes = m.entries.reduce((s, e) => s + e.data.length, 0);
    assert.ok(m.entries.length === 1 || bytes <= 100, `msg with ${m.entries.length} entries, ${bytes} bytes`);
  }
  assert.equal(apps.length, 1, "one message until acknowledged");
  assert.equal(apps[0]!.entries.length, 3, "the empty leader entry and two 40-byte entries fit in 100 bytes; a third does not");
});

test("fast backtracking: a divergent follower is repaired in a few round trips, not one per entry", () => {
  // Leader log: 1 x3, then 50 entries of term 5 (it will lead in term 6).
  const leaderTerms = [1, 1, 1, ...Array.from({ length: 50 }, () => 5)];
  // Follower log: 1 x3, then 60 entries of term 2 (all divergent).
  const followerTerms = [1, 1, 1, ...Array.from({ length: 60 }, () => 2)];
  const sim = new Simulator([1n, 2n, 3n]);
  sim.addNode(1n, storageWith([1, 2, 3], leaderTerms, 5));
  sim.addNode(2n, storageWith([1, 2, 3], followerTerms, 5));
  sim.addNode(3n, storageWith([1, 2, 3], leaderTerms, 5));
  let rejections = 0;
  sim.filter = (m: Message) => {
    if (m.type === MessageType.MsgAppResp && m.reject && m.from === 2n) rejections++;
    return true;
  };
  sim.campaign(1n);
  assert.equal(sim.leader()?.id, 1n);
  const keys = (id: bigint) => sim.node(id).raft.raftLog.allEntries().map((e) => `${e.index}:${e.term}`);
  assert.deepEqual(keys(2n), keys(1n));
  assert.ok(rejections <= 3, `${rejections} rejections`);
});

test("proposals: forwarded by followers, dropped without a leader or when forwarding is disabled", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  assert.equal(sim.propose(2n, "early"), false, "no leader: dropped");
  sim.campaign(1n);
  assert.equal(sim.propose(2n, "via follower"), true);
  sim.stabilize();
  assert.deepEqual(sim.node(1n).appliedData.map((d) => d.data), ["via follower"]);

  const sim2 = new Simulator([1n, 2n, 3n], { config: { disableProposalForwarding: true } });
  sim2.campaign(1n);
  assert.equal(sim2.propose(2n, "x"), false);
  assert.equal(sim2.propose(1n, "y"), true);
});

test("a candidate drops proposals", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeCandidate();
  assert.throws(() => r.step(prop()), (e) => e === ErrProposalDropped);
});

test("MaxUncommittedEntriesSize: a leader refuses proposals beyond the limit until entries commit", () => {
  const r = leaderOf3({ maxUncommittedEntriesSize: 100 });
  r.step(prop(1, 60));
  r.step(prop(1, 40));
  assert.throws(() => r.step(prop(1, 10)), (e) => e === ErrProposalDropped);
  // An empty-payload entry is always accepted.
  r.step(prop(1, 0));
  // Committing (handing entries out in a Ready) frees the budget.
  r.reduceUncommittedSize(r.raftLog.allEntries());
  r.step(prop(1, 10));
  // A single large proposal is accepted when nothing is uncommitted.
  r.reduceUncommittedSize(r.raftLog.allEntries());
  r.step(prop(1, 1000));
});

test("MaxCommittedSizePerReady splits committed entries across Readys", () => {
  const sim = new Simulator([1n], { config: { maxCommittedSizePerReady: 50, maxSizePerMsg: 50 } });
  sim.campaign(1n);
  const n = sim.node(1n);
  for (let i = 0; i < 10; i++) n.node.propose(new Uint8Array(30));
  const sizes: number[] = [];
  while (n.node.hasReady()) {
    const rd = n.node.ready();
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.length);
    n.node.advance();
  }
  assert.equal(sizes.reduce((a, b) => a + b, 0), 10);
  assert.ok(sizes.every((s) => s <= 2), `batches ${sizes.join(",")}`);
});

test("a leader replicates to a follower that restarted with an empty log (probing down to it)", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  for (let i = 0; i < 20; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  sim.crash(3n);
  for (let i = 20; i < 40; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  sim.restart(3n);
  sim.run(3);
  assert.equal(sim.node(3n).raft.raftLog.lastIndex(), sim.node(1n).raft.raftLog.lastIndex());
  assert.equal(sim.node(3n).raft.state, StateType.StateFollower);
  assert.deepEqual(sim.violations, []);
});

test("MsgUnreachable moves a replicating follower back to probe", () => {
  const r = leaderOf3();
  const pr = r.trk.progress.get(2n)!;
  pr.becomeReplicate();
  r.step(newMessage({ type: MessageType.MsgUnreachable, from: 2n, to: 1n }));
  assert.equal(pr.state, ProgressState.StateProbe);
});

test("heartbeats carry min(match, commit) and unpause probing", () => {
  const r = leaderOf3();
  r.step(prop());
  readMessages(r);
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: 2 }));
  readMessages(r);
  r.step(newMessage({ type: MessageType.MsgBeat, from: 1n }));
  const hbs = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat);
  assert.deepEqual(hbs.map((m) => [m.to, m.commit]), [
    [2n, 2],
    [3n, 0],
  ]);
});

test("a full inflight window whose messages were all lost recovers through heartbeat responses", () => {
  const sim = new Simulator([1n, 2n, 3n], { config: { maxInflightMsgs: 2 } });
  sim.campaign(1n);
  // Lose every append to node 3 while the window fills up.
  sim.filter = (m) => !(m.type === MessageType.MsgApp && m.to === 3n);
  for (let i = 0; i < 5; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  const pr = sim.node(1n).node.status().progress!.get(3n)!;
  assert.equal(pr.state, ProgressState.StateReplicate);
  assert.equal(pr.paused, true, "window full, all of it lost");
  sim.filter = undefined;
  sim.run(3);
  assert.equal(sim.node(3n).raft.raftLog.lastIndex(), sim.node(1n).raft.raftLog.lastIndex());
  assert.deepEqual(sim.node(3n).appliedData.map((d) => d.data), ["e0", "e1", "e2", "e3", "e4"]);
});
