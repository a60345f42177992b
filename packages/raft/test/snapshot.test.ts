/**
 * Snapshots: log compaction, MsgSnap to a follower whose log was compacted away,
 * reportSnapshot success and failure, restart from a snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStorage, MessageType, ProgressState, RawNode } from "../src/index.js";
import { Simulator } from "./support/Simulator.js";

function laggingFollowerCluster() {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.isolate(3n);
  for (let i = 0; i < 20; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  sim.compact(1n);
  sim.compact(2n);
  assert.ok(sim.node(1n).storage.firstIndex() > sim.node(3n).raft.raftLog.lastIndex() + 1, "the follower's next entry is compacted away");
  return sim;
}

test("a follower whose log was compacted away on the leader catches up through a snapshot", () => {
  const sim = laggingFollowerCluster();
  let snaps = 0;
  sim.filter = (m) => {
    if (m.type === MessageType.MsgSnap) snaps++;
    return true;
  };
  sim.heal();
  sim.run(3);
  assert.equal(snaps, 1);
  const f = sim.node(3n);
  assert.equal(f.raft.raftLog.lastIndex(), sim.node(1n).raft.raftLog.lastIndex());
  assert.equal(f.storage.snapshot().metadata.index, sim.node(1n).storage.snapshot().metadata.index);
  assert.equal(f.hash, sim.node(1n).hash, "application state restored from the snapshot");
  assert.equal(sim.node(1n).node.status().progress?.get(3n)?.state, ProgressState.StateReplicate);
  // Later entries replicate normally.
  sim.propose(1n, "after");
  sim.stabilize();
  assert.deepEqual(f.appliedData.map((d) => d.data), ["after"]);
  assert.deepEqual(sim.violations, []);
});

test("a failed snapshot send (reportSnapshot failure) is retried", () => {
  const sim = laggingFollowerCluster();
  let attempts = 0;
  sim.filter = (m) => {
    if (m.type !== MessageType.MsgSnap) return true;
    attempts++;
    return attempts > 1; // the first send fails: the simulator reports SnapshotFailure
  };
  sim.heal();
  sim.run(5);
  assert.equal(attempts, 2, "one failure, one retry");
  assert.equal(sim.node(3n).raft.raftLog.lastIndex(), sim.node(1n).raft.raftLog.lastIndex());
});

test("a node restarts from a snapshot plus the log after it", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  for (let i = 0; i < 10; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  sim.compact(2n);
  for (let i = 10; i < 15; i++) sim.propose(1n, `e${i}`);
  sim.stabilize();
  const before = sim.node(2n).raft.raftLog.lastIndex();
  sim.crash(2n);
  sim.restart(2n);
  const n = sim.node(2n);
  assert.equal(n.raft.raftLog.lastIndex(), before);
  assert.equal(n.raft.raftLog.firstIndex(), n.storage.snapshot().metadata.index + 1);
  assert.deepEqual(n.node.status().config.voters, [1n, 2n, 3n], "membership restored from the snapshot");
  sim.stabilize();
  // Entries after the snapshot are applied again after the restart.
  assert.deepEqual(n.appliedData.map((d) => d.data), ["e10", "e11", "e12", "e13", "e14"]);
  sim.propose(1n, "x");
  sim.stabilize();
  assert.equal(n.appliedData.at(-1)?.data, "x");
});

test("a snapshot that is not newer than the commit index is ignored", () => {
  const storage = new MemoryStorage({ voters: [1n, 2n] });
  const node = new RawNode({ id: 2n, electionTick: 10, heartbeatTick: 1, storage });
  node.step({
    type: MessageType.MsgSnap,
    from: 1n,
    to: 2n,
    term: 1,
    logTerm: 0,
    index: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(),
    snapshot: { data: new Uint8Array(), metadata: { index: 5, term: 1, confState: { voters: [1n, 2n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
  });
  const rd = node.ready();
  assert.equal(rd.snapshot?.metadata.index, 5);
  assert.deepEqual(rd.messagesAfterPersist.map((m) => [m.type, m.index]), [[MessageType.MsgAppResp, 5]]);
  storage.applySnapshot(rd.snapshot);
  node.advance();
  assert.equal(node.raft.raftLog.committed, 5);
});
