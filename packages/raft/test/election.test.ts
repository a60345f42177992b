/**
 * Leader election, terms and votes (Raft §5.2, §5.4.1), the commit rule (§5.4.2, Figure 8)
 * and log repair after an election (Figure 7).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType, newMessage, StateType, type Message } from "../src/index.js";
import { entryKey, Simulator } from "./support/Simulator.js";
import { newRaft, persist, readMessages, storageWith } from "./support/raw.js";

test("a follower that hears nothing campaigns after a randomized timeout in [et, 2et)", () => {
  const timeouts = new Set<number>();
  for (let id = 1; id <= 30; id++) {
    const r = newRaft(id, [1, 2, 3].map((x) => (x === 1 ? id : x + 100)));
    let ticks = 0;
    while (r.state === StateType.StateFollower) {
      r.tick();
      ticks++;
    }
    assert.ok(ticks >= 10 && ticks < 20, `timeout ${ticks}`);
    timeouts.add(ticks);
    assert.equal(r.state, StateType.StateCandidate);
    assert.equal(r.term, 1);
    assert.equal(r.vote, r.id);
  }
  assert.ok(timeouts.size > 3, "timeouts are randomized");
});

test("a candidate sends MsgVote to every other voter, counts its own vote once durable", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.step(newMessage({ type: MessageType.MsgHup }));
  assert.equal(r.state, StateType.StateCandidate);
  assert.equal(r.msgsAfterAppend.length, 1, "self vote waits for persistence");
  const msgs = readMessages(r);
  assert.deepEqual(
    msgs.map((m) => [m.type, m.to, m.term]),
    [
      [MessageType.MsgVote, 2n, 1],
      [MessageType.MsgVote, 3n, 1],
    ],
  );
  r.step(newMessage({ type: MessageType.MsgVoteResp, from: 2n, to: 1n, term: 1 }));
  assert.equal(r.state, StateType.StateLeader);
  // The new leader appends an empty entry of its term.
  assert.equal(r.raftLog.lastIndex(), 1);
  assert.equal(r.raftLog.lastTerm(), 1);
});

test("election outcomes: win, lose, split (Raft §5.2)", () => {
  const cases: { size: number; votes: Record<number, boolean>; want: StateType }[] = [
    { size: 1, votes: {}, want: StateType.StateLeader },
    { size: 3, votes: { 2: true, 3: true }, want: StateType.StateLeader },
    { size: 3, votes: { 2: true }, want: StateType.StateLeader },
    { size: 5, votes: { 2: true, 3: true, 4: true, 5: true }, want: StateType.StateLeader },
    { size: 5, votes: { 2: true, 3: true }, want: StateType.StateLeader },
    { size: 3, votes: { 2: false, 3: false }, want: StateType.StateFollower },
    { size: 5, votes: { 2: false, 3: false, 4: false }, want: StateType.StateFollower },
    { size: 5, votes: { 2: true }, want: StateType.StateCandidate },
    { size: 5, votes: { 2: true, 3: false, 4: false }, want: StateType.StateCandidate },
  ];
  for (const c of cases) {
    const peers = Array.from({ length: c.size }, (_, i) => i + 1);
    const r = newRaft(1, peers);
    r.step(newMessage({ type: MessageType.MsgHup }));
    persist(r);
    for (const [from, granted] of Object.entries(c.votes)) {
      r.step(newMessage({ type: MessageType.MsgVoteResp, from: BigInt(from), to: 1n, term: r.term, reject: !granted }));
    }
    assert.equal(r.state, c.want, JSON.stringify(c));
  }
});

test("a node votes at most once per term, first come first served, and only for up-to-date logs", () => {
  const r = newRaft(1, [1, 2, 3], storageWith([1, 2, 3], [1, 1, 2]));
  const vote = (from: number, term: number, index: number, logTerm: number): Message => {
    r.step(newMessage({ type: MessageType.MsgVote, from: BigInt(from), to: 1n, term, index, logTerm }));
    const m = readMessages(r);
    assert.equal(m.length, 1);
    return m[0]!;
  };
  assert.equal(vote(2, 3, 2, 1).reject, true, "older last term");
  assert.equal(vote(2, 3, 2, 2).reject, true, "same last term, shorter log");
  assert.equal(vote(2, 3, 3, 2).reject, false, "same last term, same length");
  assert.equal(r.vote, 2n);
  assert.equal(vote(3, 3, 9, 9).reject, true, "already voted in this term");
  assert.equal(vote(2, 3, 3, 2).reject, false, "a repeated request is granted again");
  assert.equal(vote(3, 4, 3, 2).reject, false, "a new term frees the vote");
});

test("the vote survives a restart (it is in the persisted hard state)", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  const n3 = sim.node(3n);
  n3.node.step(newMessage({ type: MessageType.MsgVote, from: 1n, to: 3n, term: 5, index: 0, logTerm: 0 }));
  sim.stabilize();
  assert.deepEqual(n3.storage.initialState().hardState, { term: 5, vote: 1n, commit: 0 });
  sim.crash(3n);
  sim.restart(3n);
  assert.equal(n3.raft.term, 5);
  assert.equal(n3.raft.vote, 1n);
  let reply: Message | undefined;
  sim.filter = (m) => {
    if (m.from === 3n) reply = m;
    return false;
  };
  n3.node.step(newMessage({ type: MessageType.MsgVote, from: 2n, to: 3n, term: 5, index: 0, logTerm: 0 }));
  sim.stabilize();
  assert.equal(reply?.type, MessageType.MsgVoteResp);
  assert.equal(reply?.reject, true);
});

test("a stale-term message is ignored; a higher term turns a leader into a follower", () => {
  const sim = new Simulator([1n, 2n, 3n]);
  sim.campaign(1n);
  const l = sim.node(1n);
  assert.equal(l.raft.state, StateType.StateLeader);
  l.node.step(newMessage({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 0 + l.raft.term - 1 }));
  assert.equal(l.raft.state, StateType.StateLeader);
  l.node.step(newMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: l.raft.term + 1 }));
  assert.equal(l.raft.state, StateType.StateFollower);
  assert.equal(l.raft.lead, 2n);
});

test("Figure 8: a leader never commits an entry of an earlier term by counting replicas", () => {
  // Node 1 has entries of terms [1, 2] (the second uncommitted) and wins term 3.
  const r = newRaft(1, [1, 2, 3], storageWith([1, 2, 3], [1, 2]));
  r.step(newMessage({ type: MessageType.MsgHup }));
  persist(r);
  r.step(newMessage({ type: MessageType.MsgVoteResp, from: 2n, to: 1n, term: 3 }));
  assert.equal(r.state, StateType.StateLeader);
  persist(r);
  assert.equal(r.raftLog.lastIndex(), 3, "empty entry of term 3 at index 3");
  // A majority (1 and 2) now stores index 2 of term 2: must not commit.
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 3, index: 2 }));
  assert.equal(r.raftLog.committed, 0);
  // Once an entry of the current term is on a majority, it and everything before commit.
  r.step(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 3, index: 3 }));
  assert.equal(r.raftLog.committed, 3);
});

test("Figure 8 end to end: an uncommitted entry of an old term is overwritten by the next leader", () => {
  const sim = new Simulator([1n, 2n, 3n, 4n, 5n]);
  sim.campaign(1n);
  // (a) leader 1 replicates an entry only to node 2.
  sim.partition([1n, 2n], [3n, 4n, 5n]);
  assert.ok(sim.propose(1n, "a"));
  sim.stabilize();
  assert.equal(sim.node(2n).raft.raftLog.lastIndex(), 2);
  // (b) node 5 wins with 3 and 4 and writes its own entry at index 2 (not replicated).
  sim.crash(1n);
  sim.partition([2n], [3n, 4n, 5n]);
  sim.campaign(5n);
  assert.equal(sim.leader()?.id, 5n);
  const committedBefore = sim.node(5n).raft.raftLog.committed;
  assert.ok(committedBefore >= 1);
  sim.heal();
  sim.run(3);
  // Node 2's uncommitted "a" was replaced by node 5's log: everyone agrees.
  const keys = (id: bigint) => sim.node(id).raft.raftLog.allEntries().map(entryKey);
  assert.deepEqual(keys(2n), keys(5n));
  assert.equal(sim.node(2n).appliedData.length, 0, "'a' was never applied anywhere");
  assert.deepEqual(sim.violations, []);
});

test("Figure 7: an elected leader brings every follower's log to match its own", () => {
  const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, terms] of Object.entries(followers)) {
    const sim = new Simulator([1n, 2n, 3n]);
    sim.addNode(1n, storageWith([1, 2, 3], leaderTerms, 7));
    sim.addNode(2n, storageWith([1, 2, 3], terms, 7));
    sim.addNode(3n, storageWith([1, 2, 3], [], 7));
    sim.campaign(1n);
    assert.equal(sim.leader()?.id, 1n, `follower ${name}: leader elected with node 3's vote`);
    const keys = (id: bigint) => sim.node(id).raft.raftLog.allEntries().map((e) => `${e.index}:${e.term}`);
    assert.deepEqual(keys(2n), keys(1n), `follower ${name}`);
    assert.deepEqual(keys(3n), keys(1n));
    assert.equal(sim.node(2n).raft.raftLog.committed, 11);
  }
});

test("leader election in clusters of 1, 3 and 5 over the simulator; one leader per term", () => {
  for (const size of [1, 3, 5]) {
    const sim = new Simulator(Array.from({ length: size }, (_, i) => BigInt(i + 1)), { seed: size });
    const l = sim.waitForLeader();
    sim.run(50);
    assert.equal(sim.leader()?.id, l.id, "a healthy leader stays");
    for (const leaders of sim.leadersByTerm.values()) assert.equal(leaders.size, 1);
  }
});

test("a vote request of a lower term is rejected with our term; the candidate steps down to it", () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeFollower(5, 0n);
  r.step(newMessage({ type: MessageType.MsgVote, from: 2n, to: 1n, term: 3, index: 9, logTerm: 3 }));
  const [resp] = readMessages(r);
  assert.deepEqual([resp?.type, resp?.term, resp?.reject], [MessageType.MsgVoteResp, 5, true]);
  const c = newRaft(2, [1, 2, 3]);
  c.becomeFollower(2, 0n);
  c.becomeCandidate();
  c.step(resp!);
  assert.equal(c.state, StateType.StateFollower);
  assert.equal(c.term, 5);
});
