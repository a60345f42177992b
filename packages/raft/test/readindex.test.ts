/**
 * ReadIndex: on the leader and on followers, safe (heartbeat quorum) and lease-based, and the
 * rule that a new leader serves reads only after committing an entry of its term.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType, newMessage, ReadOnlyOption, type Message } from "../src/index.js";
import { Simulator } from "./support/Simulator.js";
import { newRaft, persist, readMessages } from "./support/raw.js";

const ctx = (s: string) => new TextEncoder().encode(s);

for (const [name, option, checkQuorum] of [
  ["safe", ReadOnlyOption.ReadOnlySafe, false],
  ["lease-based", ReadOnlyOption.ReadOnlyLeaseBased, true],
] as const) {
  test(`ReadIndex (${name}) on the leader and on followers returns the leader's commit index`, () => {
    const sim = new Simulator([1n, 2n, 3n], { checkQuorum, config: { readOnlyOption: option } });
    sim.campaign(1n);
    sim.propose(1n, "a");
    sim.stabilize();
    const commit = sim.node(1n).raft.raftLog.committed;
    for (const id of [1n, 2n, 3n]) {
      const n = sim.node(id);
      n.node.readIndex(ctx(`read-${id}`));
      sim.stabilize();
      assert.deepEqual(n.readStates, [{ index: commit, ctx: `read-${id}` }], `node ${id}`);
    }
  });
}

test("safe ReadIndex needs a heartbeat quorum: no answer while the leader is cut off", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  sim.isolate(1n);
  sim.node(1n).node.readIndex(ctx("r"));
  sim.stabilize();
  assert.deepEqual(sim.node(1n).readStates, []);
  sim.heal();
  sim.run(2);
  assert.equal(sim.node(1n).readStates.length, 1);
});

test("concurrent reads share one heartbeat round; completing the last completes the earlier ones", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeCandidate();
  r.becomeLeader();
  persist(r);
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: 1 }));
  readMessages(r);
  for (const c of ["a", "b", "c"]) {
    r.step(newMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: 0, data: ctx(c) }] }));
  }
  const hbs = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat && m.to === 2n);
  assert.equal(hbs.length, 3);
  // Only the ack for "c" arrives: it proves leadership for all three.
  r.step(newMessage({ type: MessageType.MsgHeartbeatResp, from: 2n, to: 1n, term: r.term, context: ctx("c") }));
  assert.deepEqual(r.readStates.map((s) => new TextDecoder().decode(s.requestCtx)), ["a", "b", "c"]);
  assert.ok(r.readStates.every((s) => s.index === 1));
});

test("a new leader postpones reads until it commits an entry of its term", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeCandidate();
  r.becomeLeader();
  persist(r);
  readMessages(r);
  r.step(newMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: 0, data: ctx("early") }] }));
  assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat).length, 0, "postponed");
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: 1 }));
  const hbs: Message[] = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat);
  assert.equal(hbs.length, 2, "released after the first commit");
  r.step(newMessage({ type: MessageType.MsgHeartbeatResp, from: 3n, to: 1n, term: r.term, context: ctx("early") }));
  assert.equal(r.readStates.length, 1);
  assert.equal(r.readStates[0]!.index, 1);
});

test("a single-voter leader answers reads at once; followers without a leader drop them", () => {
  const sim = new Simulator([1n]);
  sim.campaign(1n);
  sim.node(1n).node.readIndex(ctx("solo"));
  sim.stabilize();
  assert.equal(sim.node(1n).readStates.length, 1);
  const r = newRaft(2, [1, 2, 3]);
  r.step(newMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: 0, data: ctx("x") }] }));
  assert.deepEqual(readMessages(r), []);
});

test("lease-based reads require CheckQuorum (config validation)", () => {
  assert.throws(() => newRaft(1, [1], undefined, { readOnlyOption: ReadOnlyOption.ReadOnlyLeaseBased }), /CheckQuorum/);
});
