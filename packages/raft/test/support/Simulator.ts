/**
 * A deterministic network simulator driving N RawNodes with MemoryStorage: drop, delay,
 * duplicate, reorder, partition and crash-restart (keeping what was persisted). Every random
 * choice comes from one seeded PRNG, so a seed reproduces a run exactly.
 *
 * It also checks state-machine safety as it goes: the first node to apply index i records
 * (term, data); every other application of i must match (`violations` collects mismatches).
 */
import {
  decodeConfChange,
  decodeConfChangeV2,
  decodeMessage,
  encodeMessage,
  EntryType,
  ErrProposalDropped,
  ErrStepPeerNotFound,
  MemoryStorage,
  MessageType,
  RawNode,
  SnapshotStatus,
  StateType,
  messageTypeName,
  stateTypeName,
  type Config,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type Snapshot,
} from "../../src/index.js";

/** A seeded PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  seed?: number;
  electionTick?: number;
  heartbeatTick?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Round-trip every message through the codec (default true). */
  codec?: boolean;
  /** Probability of dropping / duplicating a message. */
  dropRate?: number;
  dupRate?: number;
  /** Messages are delayed by 0..maxDelay delivery rounds (reordering them). */
  maxDelay?: number;
  /** Snapshot and compact a node's log once this many applied entries follow its first index. */
  compactEvery?: number;
  /** Extra raft config for every node. */
  config?: Partial<Config>;
  /** Members that start as learners (they must also be in the ids list). */
  learners?: NodeId[];
  /**
   * Start from empty storages and RawNode.bootstrap (membership in the log, as etcd does)
   * instead of an initial ConfState. Learners are not supported with it.
   */
  bootstrap?: boolean;
}

interface InFlight {
  m: Message;
  due: number;
}

/** SimNode is one member: its node, durable storage and application state. */
export class SimNode {
  node: RawNode;
  up = true;
  /** Application state: the applied index and a running hash of applied data. */
  applied = 0;
  hash = 0;
  appliedData: { index: number; data: string }[] = [];
  confState: ConfState;
  readStates: { index: number; ctx: string }[] = [];

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    readonly makeConfig: (applied: number) => Config,
  ) {
    const snap = storage.snapshot();
    this.applied = snap.metadata.index;
    this.hash = snapHash(snap);
    this.confState = snap.metadata.confState;
    this.node = new RawNode(makeConfig(this.applied));
  }

  /** restart recreates the node from durable storage; volatile app state comes from the snapshot. */
  restart(): void {
    const snap = this.storage.snapshot();
    this.applied = snap.metadata.index;
    this.hash = snapHash(snap);
    this.confState = snap.metadata.confState;
    this.appliedData = [];
    this.node = new RawNode(this.makeConfig(this.applied));
    this.up = true;
  }

  get raft() {
    return this.node.raft;
  }
}

function snapHash(s: Snapshot): number {
  if (s.data.length < 4) return 0;
  return new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength).getUint32(0);
}

const decoder = new TextDecoder();

/** describeEntry renders an entry as term/index plus its type and data, e.g. `1/2 "x"`. */
export function describeEntry(e: Entry): string {
  if (e.type === EntryType.EntryConfChange) {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} ConfChange(${["add", "remove", "update", "learner"][cc.type]} ${cc.nodeId})`;
  }
  if (e.type === EntryType.EntryConfChangeV2) {
    const cc = decodeConfChangeV2(e.data);
    const changes = cc.changes.map((c) => `${["add", "remove", "update", "learner"][c.type]} ${c.nodeId}`).join(", ");
    return `${e.term}/${e.index} ConfChangeV2(${changes.length > 0 ? changes : "leave joint"})`;
  }
  return `${e.term}/${e.index}${e.data.length > 0 ? ` ${JSON.stringify(decoder.decode(e.data))}` : ""}`;
}

/** describeMessage renders a message on one line, zero fields omitted. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${messageTypeName(m.type)} term=${m.term}`;
  const t = m.type;
  if (t === MessageType.MsgApp || t === MessageType.MsgVote || t === MessageType.MsgPreVote) {
    s += ` log=${m.logTerm}/${m.index}`;
  } else if (m.index !== 0) {
    s += ` index=${m.index}`;
  }
  if (m.commit !== 0) s += ` commit=${m.commit}`;
  if (m.reject) s += ` rejected${t === MessageType.MsgAppResp ? ` (hint ${m.logTerm}/${m.rejectHint})` : ""}`;
  if (m.context.length > 0) s += ` ctx=${JSON.stringify(decoder.decode(m.context))}`;
  if (m.entries.length > 0) s += ` entries=[${m.entries.map(describeEntry).join(", ")}]`;
  if (m.snapshot !== undefined) {
    const md = m.snapshot.metadata;
    s += ` snapshot=${md.term}/${md.index} voters=(${md.confState.voters.join(" ")})`;
  }
  return s;
}

/** entryKey identifies an entry's content for comparisons. */
export function entryKey(e: Entry): string {
  return `${e.term}/${e.type}/${Buffer.from(e.data).toString("hex")}`;
}

/** Simulator is a deterministic cluster + network. */
export class Simulator {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly rand: () => number;
  private queue: InFlight[] = [];
  private round = 0;
  /** Links cut by partitions: "from->to". */
  private cut = new Set<string>();
  /** trace, when set, collects one line per delivered message and per role change. */
  trace: string[] | undefined = undefined;
  /** filter decides per message whether it is delivered (false = drop). */
  filter: ((m: Message) => boolean) | undefined = undefined;
  /** Every (term, index, data) applied first, by index: the state-machine safety oracle. */
  readonly appliedAt = new Map<number, string>();
  readonly violations: string[] = [];
  /** Leaders seen per term: the election-safety oracle. */
  readonly leadersByTerm = new Map<number, Set<NodeId>>();
  readonly opts: Required<Omit<SimOptions, "config" | "learners" | "bootstrap">> & {
    config: Partial<Config> | undefined;
    learners: NodeId[] | undefined;
  };

  constructor(readonly ids: NodeId[], opts: SimOptions = {}) {
    this.opts = {
      seed: opts.seed ?? 1,
      electionTick: opts.electionTick ?? 10,
      heartbeatTick: opts.heartbeatTick ?? 1,
      preVote: opts.preVote ?? false,
      checkQuorum: opts.checkQuorum ?? false,
      codec: opts.codec ?? true,
      dropRate: opts.dropRate ?? 0,
      dupRate: opts.dupRate ?? 0,
      maxDelay: opts.maxDelay ?? 0,
      compactEvery: opts.compactEvery ?? 0,
      config: opts.config,
      learners: opts.learners,
    };
    this.rand = prng(this.opts.seed);
    const learners = opts.learners ?? [];
    const voters = ids.filter((id) => !learners.includes(id));
    for (const id of ids) {
      if (opts.bootstrap === true) {
        const n = this.addNode(id, new MemoryStorage());
        n.node.bootstrap(voters.map((v) => ({ id: v })));
        this.processReady(n); // persist and apply the bootstrap entries

      } else {
        this.addNode(id, new MemoryStorage({ voters, learners }));
      }
    }
  }

  /** addNode adds a member with the given storage (e.g. an empty one for a node joining later). */
  addNode(id: NodeId, storage: MemoryStorage): SimNode {
    const seed = this.opts.seed;
    const o = this.opts;
    const makeConfig = (applied: number): Config => ({
      id,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      storage,
      applied,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      maxSizePerMsg: 4096,
      maxInflightMsgs: 64,
      random: prng(seed * 7919 + Number(id) * 104729 + storage.lastIndex()),
      ...o.config,
    });
    const n = new SimNode(id, storage, makeConfig);
    this.nodes.set(id, n);
    return n;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  // --- network control ----------------------------------------------------------------

  /** isolate cuts every link to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  /** partition splits the nodes into groups that cannot talk across. */
  partition(...groups: NodeId[][]): void {
    this.heal();
    for (const g of groups) {
      for (const a of g) {
        for (const other of this.nodes.keys()) {
          if (!g.includes(other)) {
            this.cut.add(`${a}->${other}`);
            this.cut.add(`${other}->${a}`);
          }
        }
      }
    }
  }

  /** cutLink drops messages from a to b (one direction). */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}->${b}`);
  }

  /** heal restores every link (crashed nodes stay down). */
  heal(): void {
    this.cut.clear();
  }

  /** crash stops a node; its unsent messages are lost, its storage survives. */
  crash(id: NodeId): void {
    const n = this.node(id);
    n.up = false;
    this.queue = this.queue.filter((f) => f.m.to !== id && f.m.from !== id);
  }

  /** restart brings a crashed node back from its storage. */
  restart(id: NodeId): void {
    this.node(id).restart();
  }

  // --- driving ------------------------------------------------------------------------

  /** processReady handles every pending Ready of one node per the Ready contract. */
  processReady(n: SimNode): void {
    while (n.up && n.node.hasReady()) {
      const rd = n.node.ready();
      for (const m of rd.messages) this.send(m);
      if (rd.snapshot !== undefined) {
        n.storage.applySnapshot(rd.snapshot);
        n.applied = rd.snapshot.metadata.index;
        n.hash = snapHash(rd.snapshot);
        n.confState = rd.snapshot.metadata.confState;
      }
      n.storage.append(rd.entries);
      if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
      for (const m of rd.messagesAfterPersist) this.send(m);
      if (rd.softState !== undefined && this.trace !== undefined) {
        this.trace.push(`${n.id} is ${stateTypeName(rd.softState.raftState).slice(5).toLowerCase()} at term ${n.raft.term}${rd.softState.lead !== 0n ? `, leader ${rd.softState.lead}` : ""}`);
      }
      if (rd.softState?.raftState === StateType.StateLeader) {
        const term = n.raft.term;
        let set = this.leadersByTerm.get(term);
        if (set === undefined) this.leadersByTerm.set(term, (set = new Set()));
        set.add(n.id);
        this.checkLeaderCompleteness(n);
      }
      for (const rs of rd.readStates) n.readStates.push({ index: rs.index, ctx: decoder.decode(rs.requestCtx) });
      for (const e of rd.committedEntries) this.apply(n, e);
      n.node.advance();
      this.maybeCompact(n);
    }
  }

  /** Leader completeness: a new leader's log holds every entry applied anywhere so far. */
  private checkLeaderCompleteness(n: SimNode): void {
    const log = n.raft.raftLog;
    const first = log.firstIndex();
    const last = log.lastIndex();
    for (const [index, key] of this.appliedAt) {
      if (index < first) continue;
      if (index > last) {
        this.violations.push(`leader ${n.id} (term ${n.raft.term}) lacks committed index ${index}`);
        continue;
      }
      const e = log.slice(index, index + 1, Number.MAX_SAFE_INTEGER)[0]!;
      if (entryKey(e) !== key) this.violations.push(`leader ${n.id} (term ${n.raft.term}) has ${entryKey(e)} at ${index}, committed was ${key}`);
    }
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index <= n.applied) return;
    if (e.index !== n.applied + 1) this.violations.push(`node ${n.id} applied ${e.index} after ${n.applied}`);
    const key = entryKey(e);
    const prev = this.appliedAt.get(e.index);
    if (prev === undefined) this.appliedAt.set(e.index, key);
    else if (prev !== key) this.violations.push(`index ${e.index}: node ${n.id} applied ${key}, another applied ${prev}`);
    n.applied = e.index;
    n.hash = (Math.imul(n.hash, 31) + e.index + e.data.length) >>> 0;
    if (e.type === EntryType.EntryNormal && e.data.length > 0) {
      n.appliedData.push({ index: e.index, data: decoder.decode(e.data) });
    } else if (e.type === EntryType.EntryConfChange) {
      n.confState = n.node.applyConfChange(decodeConfChange(e.data));
    } else if (e.type === EntryType.EntryConfChangeV2) {
      n.confState = n.node.applyConfChange(decodeConfChangeV2(e.data));
    }
  }

  private maybeCompact(n: SimNode): void {
    const every = this.opts.compactEvery;
    if (every <= 0) return;
    if (n.applied - n.storage.firstIndex() + 1 < every) return;
    this.compact(n.id);
  }

  /** compact snapshots node `id` at its applied index and drops the log up to it. */
  compact(id: NodeId): void {
    const n = this.node(id);
    if (n.applied > n.storage.lastIndex() || n.applied < n.storage.firstIndex()) return;
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, n.hash);
    n.storage.createSnapshot(n.applied, n.confState, data);
    n.storage.compact(n.applied);
  }

  private send(m: Message): void {
    const copies = this.rand() < this.opts.dupRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.opts.maxDelay > 0 ? Math.floor(this.rand() * (this.opts.maxDelay + 1)) : 0;
      this.queue.push({ m: this.opts.codec ? decodeMessage(encodeMessage(m)) : m, due: this.round + delay });
    }
  }

  private deliverable(m: Message): boolean {
    const to = this.nodes.get(m.to);
    if (to === undefined || !to.up) return false;
    const from = this.nodes.get(m.from);
    if (from === undefined || !from.up) return false;
    if (this.cut.has(`${m.from}->${m.to}`)) return false;
    if (this.filter !== undefined && !this.filter(m)) return false;
    if (this.opts.dropRate > 0 && this.rand() < this.opts.dropRate) return false;
    return true;
  }

  /** deliver steps one message into its recipient (or drops it), with snapshot status reports. */
  private deliver(m: Message): void {
    const ok = this.deliverable(m);
    if (m.type === MessageType.MsgSnap) {
      const sender = this.nodes.get(m.from);
      if (sender !== undefined && sender.up) {
        sender.node.reportSnapshot(m.to, ok ? SnapshotStatus.SnapshotFinish : SnapshotStatus.SnapshotFailure);
      }
    }
    if (this.trace !== undefined) this.trace.push(`${ok ? "" : "DROPPED "}${describeMessage(m)}`);
    if (!ok) return;
    try {
      this.node(m.to).node.step(m);
    } catch (e) {
      if (e !== ErrProposalDropped && e !== ErrStepPeerNotFound) throw e;
    }
  }

  /** flush processes Readys and delivers due messages for one round; returns whether anything happened. */
  step(): boolean {
    let active = false;
    for (const n of this.nodes.values()) {
      if (n.up && n.node.hasReady()) {
        active = true;
        this.processReady(n);
      }
    }
    const due: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.queue) (f.due <= this.round ? due : later).push(f);
    this.queue = later;
    this.round++;
    for (const f of due) {
      active = true;
      this.deliver(f.m);
    }
    return active || this.queue.length > 0;
  }

  /** stabilize runs rounds until no node has work and no message is in flight (bounded). */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      if (!this.step()) return;
    }
    throw new Error("simulator did not stabilize");
  }

  /** tick ticks every live node once (or just `ids`). */
  tick(ids?: NodeId[]): void {
    for (const n of this.nodes.values()) {
      if (n.up && (ids === undefined || ids.includes(n.id))) n.node.tick();
    }
  }

  /** tickAndStabilize ticks all nodes `n` times, stabilizing after each tick. */
  run(ticks: number): void {
    for (let i = 0; i < ticks; i++) {
      this.tick();
      this.stabilize();
    }
  }

  /** leader returns the live leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (!n.up || n.raft.state !== StateType.StateLeader) continue;
      if (best === undefined || n.raft.term > best.raft.term) best = n;
    }
    return best;
  }

  /** campaign makes `id` campaign and stabilizes. */
  campaign(id: NodeId): void {
    this.node(id).node.campaign();
    this.stabilize();
  }

  /** propose proposes `data` at node `id`; returns false if dropped. */
  propose(id: NodeId, data: string): boolean {
    try {
      this.node(id).node.propose(new TextEncoder().encode(data));
      return true;
    } catch (e) {
      if (e === ErrProposalDropped) return false;
      throw e;
    }
  }

  /** waitForLeader ticks until a leader exists (bounded); returns it. */
  waitForLeader(maxTicks = 1000): SimNode {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l !== undefined) return l;
      this.tick();
      this.stabilize();
    }
    throw new Error("no leader emerged");
  }
}
