/**
 * Helpers for tests that drive one Raft state machine directly (no RawNode), in the style of
 * the Raft paper tests: build a node over a MemoryStorage, "persist" its unstable state the way
 * an application would, and read the messages it wants to send.
 */
import { MemoryStorage, Raft, type Config, type Entry, type Message, type NodeId } from "../../src/index.js";
import { prng } from "./Simulator.js";

export function ids(...n: number[]): NodeId[] {
  return n.map(BigInt);
}

export function ents(...terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: i + 1, type: 0, data: new Uint8Array() }));
}

/** newRaft builds node `id` of a cluster of `peers` over `storage` (election 10, heartbeat 1 unless given). */
export function newRaft(id: number, peers: number[], storage = new MemoryStorage({ voters: ids(...peers) }), extra: Partial<Config> = {}): Raft {
  return new Raft({ id: BigInt(id), electionTick: 10, heartbeatTick: 1, storage, random: prng(id), ...extra });
}

/**
 * persist writes the node's unstable entries/snapshot and hard state to its MemoryStorage, marks
 * them stable, then steps self-addressed acknowledgements back in (the RawNode.advance dance).
 */
export function persist(r: Raft): void {
  for (;;) {
    const storage = r.raftLog.storage as MemoryStorage;
    const snap = r.raftLog.unstable.snapshot;
    if (snap !== undefined) {
      storage.applySnapshot(snap);
      r.raftLog.stableSnapTo(snap.metadata.index);
    }
    const unstable = r.raftLog.unstableEntries();
    if (unstable.length > 0) {
      storage.append(unstable);
      const last = unstable[unstable.length - 1]!;
      r.raftLog.stableTo(last.index, last.term);
    }
    storage.setHardState(r.hardState());
    const after = r.msgsAfterAppend;
    if (after.length === 0) return;
    r.msgsAfterAppend = [];
    for (const m of after) {
      if (m.to === r.id) r.step(m);
      else r.msgs.push(m);
    }
  }
}

/** readMessages persists, then returns (and clears) the messages the node wants to send. */
export function readMessages(r: Raft): Message[] {
  persist(r);
  const msgs = r.msgs;
  r.msgs = [];
  return msgs;
}

/** storageWith returns a MemoryStorage for `peers` holding entries with the given terms and hard state term. */
export function storageWith(peers: number[], terms: number[], term = terms[terms.length - 1] ?? 0): MemoryStorage {
  const s = new MemoryStorage({ voters: ids(...peers) });
  s.append(ents(...terms));
  s.setHardState({ term, vote: 0n, commit: 0 });
  return s;
}
