/**
 * The raft benchmark: an in-process 3-node cluster over a zero-delay in-memory network, with
 * 256-byte proposals. Prints committed entries per second with 1 and with 1000 proposals in
 * flight, and the cost of one `step` of MsgApp (follower) and MsgAppResp (leader).
 *
 * Not a test: timings depend on the machine. Run: `pnpm --filter @etcd-ts/raft bench`
 * (BENCH_SECONDS=n to change the measuring time per figure, default 3).
 */
import {
  MemoryStorage,
  MessageType,
  newMessage,
  RawNode,
  StateType,
  type Entry,
  type Message,
  type NodeId,
} from "../src/index.js";

const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 3);
const PAYLOAD = new Uint8Array(256).fill(7);
const COMPACT_EVERY = 20_000;

interface Member {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  applied: number;
}

class Cluster {
  readonly members: Member[];
  private queue: Message[] = [];
  private byId = new Map<NodeId, Member>();
  committed = 0;

  constructor(size: number) {
    const ids = Array.from({ length: size }, (_, i) => BigInt(i + 1));
    this.members = ids.map((id) => {
      const storage = new MemoryStorage({ voters: ids });
      const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, maxInflightMsgs: 256, maxSizePerMsg: 1024 * 1024 });
      const m = { id, node, storage, applied: 0 };
      this.byId.set(id, m);
      return m;
    });
  }

  get leader(): Member {
    return this.members[0]!;
  }

  /** pump runs Ready/advance on every node and delivers messages until quiet. */
  pump(): void {
    for (;;) {
      let active = false;
      for (const m of this.members) {
        if (!m.node.hasReady()) continue;
        active = true;
        const rd = m.node.ready();
        for (const msg of rd.messages) this.queue.push(msg);
        m.storage.append(rd.entries);
        if (rd.hardState !== undefined) m.storage.setHardState(rd.hardState);
        for (const msg of rd.messagesAfterPersist) this.queue.push(msg);
        const ce: Entry[] = rd.committedEntries;
        if (ce.length > 0) {
          m.applied = ce[ce.length - 1]!.index;
          if (m === this.leader) {
            for (const e of ce) if (e.data.length > 0) this.committed++;
          }
        }
        m.node.advance();
        if (m.applied - m.storage.firstIndex() > COMPACT_EVERY) m.storage.compact(m.applied - 1000);
      }
      if (this.queue.length > 0) {
        active = true;
        const q = this.queue;
        this.queue = [];
        for (const msg of q) this.byId.get(msg.to)!.node.step(msg);
      }
      if (!active) return;
    }
  }
}

function electedCluster(): Cluster {
  const c = new Cluster(3);
  c.leader.node.campaign();
  c.pump();
  if (c.leader.node.raft.state !== StateType.StateLeader) throw new Error("no leader");
  return c;
}

function throughput(inflight: number): { perSec: number; total: number } {
  const c = electedCluster();
  let proposed = 0;
  const run = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) {
        while (proposed - c.committed < inflight) {
          c.leader.node.propose(PAYLOAD);
          proposed++;
        }
        c.pump();
      }
    }
  };
  run(300); // warm up
  const start = performance.now();
  const before = c.committed;
  run(SECONDS * 1000);
  const secs = (performance.now() - start) / 1000;
  const total = c.committed - before;
  return { perSec: total / secs, total };
}

function stepCosts(): { msgApp: number; msgAppResp: number } {
  // Follower: MsgApp with one 256-byte entry each, consecutive indexes.
  const c = electedCluster();
  const follower = c.members[1]!;
  const term = follower.node.raft.term;
  let last = follower.node.raft.raftLog.lastIndex();
  const n = 200_000;
  let stepNs = 0;
  for (let done = 0; done < n; ) {
    const batch: Message[] = [];
    for (let i = 0; i < 1000; i++, done++) {
      batch.push(
        newMessage({
          type: MessageType.MsgApp,
          from: 1n,
          to: follower.id,
          term,
          logTerm: term,
          index: last,
          commit: last,
          entries: [{ term, index: last + 1, type: 0, data: PAYLOAD }],
        }),
      );
      last++;
    }
    const t0 = process.hrtime.bigint();
    for (const m of batch) follower.node.step(m);
    stepNs += Number(process.hrtime.bigint() - t0);
    const rd = follower.node.ready();
    follower.storage.append(rd.entries);
    if (rd.hardState !== undefined) follower.storage.setHardState(rd.hardState);
    follower.node.advance();
    if (follower.node.raft.raftLog.applied - follower.storage.firstIndex() > COMPACT_EVERY) {
      follower.storage.compact(follower.node.raft.raftLog.applied - 1000);
    }
  }
  const msgApp = stepNs / n;

  // Leader: MsgAppResp acknowledging one more entry each, alternating followers.
  const c2 = electedCluster();
  const leader = c2.leader;
  const lterm = leader.node.raft.term;
  let respNs = 0;
  let acked = leader.node.raft.raftLog.lastIndex();
  let count = 0;
  while (count < n) {
    for (let i = 0; i < 1000; i++) leader.node.propose(PAYLOAD);
    const rd = leader.node.ready();
    leader.storage.append(rd.entries);
    if (rd.hardState !== undefined) leader.storage.setHardState(rd.hardState);
    leader.node.advance();
    const resps: Message[] = [];
    for (let i = 0; i < 1000; i++) {
      acked++;
      resps.push(newMessage({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: lterm, index: acked }));
      resps.push(newMessage({ type: MessageType.MsgAppResp, from: 3n, to: 1n, term: lterm, index: acked }));
    }
    const t0 = process.hrtime.bigint();
    for (const m of resps) leader.node.step(m);
    respNs += Number(process.hrtime.bigint() - t0);
    count += resps.length;
    // Drop what the leader wants to send; apply what committed.
    const rd2 = leader.node.ready();
    leader.storage.append(rd2.entries);
    if (rd2.hardState !== undefined) leader.storage.setHardState(rd2.hardState);
    leader.node.advance();
    if (leader.node.raft.raftLog.applied - leader.storage.firstIndex() > COMPACT_EVERY) {
      leader.storage.compact(leader.node.raft.raftLog.applied - 1000);
    }
  }
  return { msgApp, msgAppResp: respNs / count };
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log(`raft bench: 3 nodes in process, zero-delay network, ${PAYLOAD.length}-byte proposals, ${SECONDS} s per figure, node ${process.version}`);
for (const inflight of [1, 1000]) {
  const r = throughput(inflight);
  console.log(`  committed entries/s, ${String(inflight).padStart(4)} in flight: ${fmt(r.perSec).padStart(10)}  (${fmt(r.total)} entries)`);
}
const s = stepCosts();
console.log(`  ns per step(MsgApp, 1 entry) on a follower: ${fmt(s.msgApp)}`);
console.log(`  ns per step(MsgAppResp) on the leader:      ${fmt(s.msgAppResp)}`);
