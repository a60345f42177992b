// Three in-memory raft nodes elect a leader and commit a proposal.
// Run: npx tsx examples/three-nodes.ts
import { MemoryStorage, RawNode, StateType, type Message } from "../src/index.js";

const ids = [1n, 2n, 3n];
const nodes = new Map(
  ids.map((id) => {
    const storage = new MemoryStorage({ voters: ids }); // a fresh cluster of three voters
    const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage });
    return [id, { node, storage, applied: [] as string[] }];
  }),
);

// One iteration of each node's loop, per the Ready contract: send, persist, send the rest, apply, advance.
function runUntilQuiet(): void {
  const network: Message[] = [];
  do {
    for (const msg of network.splice(0)) nodes.get(msg.to)?.node.step(msg);
    for (const { node, storage, applied } of nodes.values()) {
      while (node.hasReady()) {
        const rd = node.ready();
        network.push(...rd.messages); // may go out before persisting
        if (rd.snapshot) storage.applySnapshot(rd.snapshot);
        storage.append(rd.entries); // persist (a real node fsyncs here when rd.mustSync)
        if (rd.hardState) storage.setHardState(rd.hardState);
        network.push(...rd.messagesAfterPersist); // only after persisting
        for (const e of rd.committedEntries) {
          if (e.data.length > 0) applied.push(new TextDecoder().decode(e.data));
        }
        node.advance();
      }
    }
  } while (network.length > 0);
}

// Tick until someone's election timeout fires and it wins.
let leader: bigint | undefined;
while (leader === undefined) {
  for (const { node } of nodes.values()) node.tick();
  runUntilQuiet();
  leader = ids.find((id) => nodes.get(id)?.node.status().softState.raftState === StateType.StateLeader);
}
console.log(`node ${leader} is the leader`);

nodes.get(leader)?.node.propose(new TextEncoder().encode("hello, raft"));
runUntilQuiet();
for (const [id, { applied }] of nodes) console.log(`node ${id} applied: ${JSON.stringify(applied)}`);

export const result = { leader, applied: ids.map((id) => nodes.get(id)?.applied ?? []) };
