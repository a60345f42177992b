/**
 * Randomized safety and liveness properties over the simulator (fast-check). Each case picks
 * a cluster, features and a schedule of faults (drops, duplicates, delays, partitions,
 * crash-restarts, compaction) and proposals, then checks:
 * - election safety: at most one leader per term;
 * - log matching: two logs with the same term at an index are identical up to it;
 * - leader completeness: every new leader holds all entries committed before;
 * - state-machine safety: no two nodes apply different entries at one index;
 * - liveness: after healing, a leader emerges and a proposal commits everywhere in bounded ticks.
 *
 * The short run is part of the normal suite; `pnpm test:long` sets RAFT_PROPERTY_RUNS=10000.
 * A failure prints fast-check's seed and path; rerun with RAFT_PROPERTY_SEED / RAFT_PROPERTY_PATH.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { StateType, type NodeId } from "../src/index.js";
import { entryKey, Simulator } from "./support/Simulator.js";

const RUNS = Number(process.env["RAFT_PROPERTY_RUNS"] ?? 200);
const SEED = process.env["RAFT_PROPERTY_SEED"];
const PATH = process.env["RAFT_PROPERTY_PATH"];

const params = {
  numRuns: RUNS,
  ...(SEED !== undefined ? { seed: Number(SEED) } : {}),
  ...(PATH !== undefined ? { path: PATH } : {}),
};

type Action =
  | { kind: "tick"; n: number }
  | { kind: "propose"; node: number }
  | { kind: "crash"; node: number }
  | { kind: "restart"; node: number }
  | { kind: "partition"; mask: number }
  | { kind: "heal" }
  | { kind: "campaign"; node: number }
  | { kind: "transfer"; node: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("tick" as const), n: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("propose" as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("partition" as const), mask: fc.nat(31) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("heal" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("campaign" as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("transfer" as const), node: fc.nat(4) }) },
);

export const scenarioArb = fc.record({
  size: fc.constantFrom(1, 3, 3, 5),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  preVote: fc.boolean(),
  checkQuorum: fc.boolean(),
  dropRate: fc.constantFrom(0, 0, 0.05, 0.2),
  dupRate: fc.constantFrom(0, 0.05),
  maxDelay: fc.constantFrom(0, 0, 2, 5),
  compactEvery: fc.constantFrom(0, 0, 5, 20),
  actions: fc.array(actionArb, { minLength: 5, maxLength: 60, size: "max" }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function checkLogMatching(sim: Simulator): void {
  const nodes = [...sim.nodes.values()];
  for (let a = 0; a < nodes.length; a++) {
    for (let b = a + 1; b < nodes.length; b++) {
      const la = nodes[a]!.raft.raftLog;
      const lb = nodes[b]!.raft.raftLog;
      const lo = Math.max(la.firstIndex(), lb.firstIndex());
      const hi = Math.min(la.lastIndex(), lb.lastIndex());
      if (lo > hi) continue;
      const ea = la.slice(lo, hi + 1, Number.MAX_SAFE_INTEGER);
      const eb = lb.slice(lo, hi + 1, Number.MAX_SAFE_INTEGER);
      // Find the highest index where the terms agree: everything at or below must be identical.
      let top = -1;
      for (let i = ea.length - 1; i >= 0; i--) {
        if (ea[i]!.term === eb[i]!.term) {
          top = i;
          break;
        }
      }
      for (let i = 0; i <= top; i++) {
        assert.equal(entryKey(ea[i]!), entryKey(eb[i]!), `log matching: nodes ${nodes[a]!.id},${nodes[b]!.id} differ at ${lo + i} below matching index ${lo + top}`);
      }
    }
  }
}

export function runScenario(s: Scenario): void {
  const ids: NodeId[] = Array.from({ length: s.size }, (_, i) => BigInt(i + 1));
  const sim = new Simulator(ids, {
    seed: s.seed,
    preVote: s.preVote,
    checkQuorum: s.checkQuorum,
    dropRate: s.dropRate,
    dupRate: s.dupRate,
    maxDelay: s.maxDelay,
    compactEvery: s.compactEvery,
  });
  const pick = (i: number): NodeId => ids[i % ids.length]!;
  let proposal = 0;
  for (const a of s.actions) {
    switch (a.kind) {
      case "tick":
        for (let i = 0; i < a.n; i++) {
          sim.tick();
          sim.stabilize();
        }
        break;
      case "propose": {
        const n = sim.node(pick(a.node));
        if (n.up) sim.propose(n.id, `p${proposal++}`);
        sim.stabilize();
        break;
      }
      case "crash":
        sim.crash(pick(a.node));
        break;
      case "restart": {
        const n = sim.node(pick(a.node));
        if (!n.up) sim.restart(n.id);
        sim.stabilize();
        break;
      }
      case "partition": {
        const g1 = ids.filter((_, i) => (a.mask >> i) & 1);
        const g2 = ids.filter((_, i) => !((a.mask >> i) & 1));
        sim.partition(g1, g2);
        break;
      }
      case "heal":
        sim.heal();
        break;
      case "campaign": {
        const n = sim.node(pick(a.node));
        if (n.up) n.node.campaign();
        sim.stabilize();
        break;
      }
      case "transfer": {
        const l = sim.leader();
        if (l !== undefined) l.node.transferLeader(pick(a.node));
        sim.stabilize();
        break;
      }
    }
    checkLogMatching(sim);
  }

  // Heal everything and check liveness: a leader emerges and a new proposal commits everywhere.
  sim.heal();
  sim.opts.dropRate = 0;
  sim.opts.dupRate = 0;
  for (const n of sim.nodes.values()) if (!n.up) sim.restart(n.id);
  sim.stabilize();
  const bound = 40 * sim.opts.electionTick;
  let committed = false;
  let proposedAt = -1;
  for (let t = 0; t < bound && !committed; t++) {
    const l = sim.leader();
    // An uncommitted proposal may be lost to a new election: propose again after a while.
    if (l !== undefined && l.raft.state === StateType.StateLeader && (proposedAt < 0 || t - proposedAt > 2 * sim.opts.electionTick)) {
      if (sim.propose(l.id, "final")) proposedAt = t;
    }
    sim.tick();
    sim.stabilize();
    committed = [...sim.nodes.values()].every((n) => n.appliedData.some((d) => d.data === "final") || n.applied >= finalIndex(sim));
  }
  assert.ok(committed, `liveness: no proposal committed on all nodes within ${bound} ticks after healing (leader: ${sim.leader()?.id})`);

  for (const [term, leaders] of sim.leadersByTerm) {
    assert.ok(leaders.size <= 1, `election safety: term ${term} had leaders ${[...leaders].join(",")}`);
  }
  checkLogMatching(sim);
  assert.deepEqual(sim.violations, [], "state machine safety / leader completeness");
}

// The index of the "final" entry once some node applied it (restarted nodes rebuild appliedData
// from their snapshot, so they may have it covered by applied index alone).
function finalIndex(sim: Simulator): number {
  for (const n of sim.nodes.values()) {
    const d = n.appliedData.find((x) => x.data === "final");
    if (d !== undefined) return d.index;
  }
  return Number.MAX_SAFE_INTEGER;
}

test(`raft safety and liveness properties (${RUNS} runs)`, () => {
  const started = Date.now();
  const details = fc.check(fc.property(scenarioArb, runScenario), params);
  if (details.failed) {
    // Print the error itself too: fast-check's summary alone hides it.
    console.log(String(details.errorInstance));
    fc.assert(fc.property(scenarioArb, runScenario), { ...params, seed: details.seed, path: details.counterexamplePath ?? "" });
  }
  if (RUNS >= 1000) console.log(`# ${RUNS} property runs took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
