/**
 * RawNode and the Ready contract: what is in messages vs messagesAfterPersist, when the leader
 * counts itself, mustSync, bootstrap, restart, step errors, status.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EntryType,
  ErrStepLocalMsg,
  ErrStepPeerNotFound,
  MemoryStorage,
  MessageType,
  newMessage,
  RawNode,
  StateType,
  decodeConfChange,
  type Ready,
} from "../src/index.js";

function node(id: bigint, storage: MemoryStorage, extra = {}) {
  return new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, ...extra });
}

function handle(n: RawNode, s: MemoryStorage): Ready {
  const rd = n.ready();
  if (rd.snapshot) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState) s.setHardState(rd.hardState);
  n.advance();
  return rd;
}

test("single node: campaign, become leader after persisting the vote, commit after persisting the entry", () => {
  const s = new MemoryStorage({ voters: [1n] });
  const n = node(1n, s);
  n.campaign();
  let rd = handle(n, s);
  assert.equal(rd.hardState?.vote, 1n);
  assert.equal(rd.mustSync, true);
  assert.equal(n.raft.state, StateType.StateLeader, "the self vote counted on advance");
  rd = handle(n, s);
  assert.equal(rd.softState?.raftState, StateType.StateLeader);
  assert.deepEqual(rd.entries.map((e) => e.index), [1]);
  assert.deepEqual(rd.committedEntries, [], "not committed before the leader's own write is durable");
  rd = handle(n, s);
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [1]);
  assert.equal(rd.mustSync, false, "only the commit index changed");
  n.propose(new TextEncoder().encode("x"));
  rd = handle(n, s);
  assert.equal(rd.entries.length, 1);
  rd = handle(n, s);
  assert.deepEqual(rd.committedEntries.map((e) => new TextDecoder().decode(e.data)), ["x"]);
  assert.equal(n.hasReady(), false);
});

test("appends go in messages (sendable before persisting); their acknowledgements in messagesAfterPersist", () => {
  const s1 = new MemoryStorage({ voters: [1n, 2n] });
  const s2 = new MemoryStorage({ voters: [1n, 2n] });
  const n1 = node(1n, s1);
  const n2 = node(2n, s2);
  n1.campaign();
  let rd1 = handle(n1, s1);
  assert.deepEqual(rd1.messages.map((m) => m.type), [MessageType.MsgVote]);
  assert.deepEqual(rd1.messagesAfterPersist, []);
  n2.step(rd1.messages[0]!);
  const rd2 = handle(n2, s2);
  assert.deepEqual(rd2.messages, []);
  assert.deepEqual(rd2.messagesAfterPersist.map((m) => m.type), [MessageType.MsgVoteResp], "a vote is sent only once persisted");
  n1.step(rd2.messagesAfterPersist[0]!);
  rd1 = handle(n1, s1);
  assert.deepEqual(rd1.messages.map((m) => m.type), [MessageType.MsgApp]);
  n2.step(rd1.messages[0]!);
  const rd3 = handle(n2, s2);
  assert.deepEqual(rd3.messagesAfterPersist.map((m) => m.type), [MessageType.MsgAppResp]);
});

test("bootstrap: committed conf change entries in the first Ready", () => {
  const s = new MemoryStorage();
  const n = node(1n, s);
  n.bootstrap([{ id: 1n }, { id: 2n }, { id: 3n }]);
  const rd = n.ready();
  assert.deepEqual(rd.hardState, { term: 1, vote: 0n, commit: 3 });
  assert.equal(rd.entries.length, 3);
  assert.deepEqual(
    rd.committedEntries.map((e) => [e.type, decodeConfChange(e.data).nodeId]),
    [
      [EntryType.EntryConfChange, 1n],
      [EntryType.EntryConfChange, 2n],
      [EntryType.EntryConfChange, 3n],
    ],
  );
  assert.deepEqual(n.status().config.voters, [1n, 2n, 3n]);
  assert.throws(() => n.ready(), /before advance/);
  s.append(rd.entries);
  n.advance();
  assert.throws(() => node(1n, s).bootstrap([{ id: 1n }]), /nonempty/);
});

test("restart: applied entries are not delivered again", () => {
  const s = new MemoryStorage({ voters: [1n] });
  let n = node(1n, s);
  n.campaign();
  for (let i = 0; i < 3; i++) handle(n, s);
  n.propose(new Uint8Array([1]));
  n.propose(new Uint8Array([2]));
  handle(n, s);
  handle(n, s);
  assert.equal(n.raft.raftLog.committed, 3);
  n = node(1n, s, { applied: 2 });
  const rd = n.ready();
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [3]);
});

test("step rejects local messages and responses from strangers", () => {
  const n = node(1n, new MemoryStorage({ voters: [1n, 2n] }));
  assert.throws(() => n.step(newMessage({ type: MessageType.MsgHup })), (e) => e === ErrStepLocalMsg);
  assert.throws(() => n.step(newMessage({ type: MessageType.MsgAppResp, from: 9n, to: 1n, term: 1 })), (e) => e === ErrStepPeerNotFound);
});

test("status: progress only on the leader", () => {
  const s = new MemoryStorage({ voters: [1n] });
  const n = node(1n, s);
  assert.equal(n.status().progress, undefined);
  n.campaign();
  handle(n, s);
  const st = n.status();
  assert.equal(st.softState.raftState, StateType.StateLeader);
  assert.deepEqual([...(st.progress?.keys() ?? [])], [1n]);
});

test("config validation", () => {
  const s = new MemoryStorage();
  assert.throws(() => node(0n, s), /none as id/);
  assert.throws(() => new RawNode({ id: 1n, electionTick: 1, heartbeatTick: 1, storage: s }), /election tick/);
  assert.throws(() => new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 0, storage: s }), /heartbeat tick/);
});
