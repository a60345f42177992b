/**
 * RawNode: the API an application drives — tick, step, propose, ready/advance — around one
 * {@link Raft} state machine. Single-threaded and synchronous: the application owns the loop,
 * the timers, the storage writes and the transport (see {@link Ready} for the contract).
 *
 * Limits: one `ready()` at a time; `advance()` must follow each `ready()` before the next one.
 * Methods throw `ErrProposalDropped` when a proposal cannot be accepted right now (no leader,
 * leader transfer in progress, uncommitted size limit, ...); the application retries or fails
 * the request.
 */
import { encodeConfChange, encodeConfChangeV2 } from "./codec.js";
import type { Config } from "./Config.js";
import { ErrStepLocalMsg, ErrStepPeerNotFound } from "./errors.js";
import { Raft } from "./Raft.js";
import type { Ready } from "./Ready.js";
import type { ProgressStatus, Status } from "./Status.js";
import type { ConfChange, ConfChangeV2, ConfState, Entry, HardState, Message, NodeId, SoftState } from "./types.js";
import {
  asConfChangeV2,
  ConfChangeType,
  EMPTY_BYTES,
  EntryType,
  hardStateEqual,
  isConfChangeV2,
  isEmptyHardState,
  isLocalMsg,
  isResponseMsg,
  MessageType,
  newMessage,
  None,
  StateType,
} from "./types.js";

/** SnapshotStatus is what the application reports after trying to send a snapshot. */
export const SnapshotStatus = {
  SnapshotFinish: "finish",
  SnapshotFailure: "failure",
} as const;
/** SnapshotStatus is one of the {@link SnapshotStatus} values. */
export type SnapshotStatus = (typeof SnapshotStatus)[keyof typeof SnapshotStatus];

/** Peer is a member of a cluster being bootstrapped. */
export interface Peer {
  id: NodeId;
  /** context is stored in the bootstrap conf change entry (etcd puts member attributes here). */
  context?: Uint8Array;
}

/** RawNode is the application-facing handle of one raft node. */
export class RawNode {
  /** raft is the underlying state machine (exposed for tests and tools; do not mutate). */
  readonly raft: Raft;
  private prevSoftSt: SoftState;
  private prevHardSt: HardState;
  private stepsOnAdvance: Message[] = [];
  private pending: Ready | undefined = undefined;

  /** Creates a node from `config`, restarting from whatever its storage holds. */
  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoftSt = this.raft.softState();
    this.prevHardSt = this.raft.hardState();
  }

  /**
   * bootstrap initializes a fresh node (empty storage) as a member of a new cluster of `peers`:
   * it appends one committed ConfChangeAddNode entry per peer at term 1. Every member of a new
   * cluster bootstraps with the same peers. The first Ready carries those entries to persist
   * and apply (applying them again is harmless).
   */
  bootstrap(peers: readonly Peer[]): void {
    if (peers.length === 0) throw new Error("raft: must provide at least one peer to bootstrap");
    if (this.raft.raftLog.storage.lastIndex() !== 0) throw new Error("raft: can't bootstrap a nonempty Storage");
    // The hard state starts empty, so the bootstrap term/commit count as a change to persist.
    this.prevHardSt = { term: 0, vote: None, commit: 0 };
    this.raft.becomeFollower(1, None);
    const ents: Entry[] = peers.map((peer, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: peer.id, context: peer.context ?? EMPTY_BYTES, id: 0n }),
    }));
    this.raft.raftLog.append(ents);
    // The entries are committed (every member has them), but not applied: the application
    // applies them from the first Ready, while we apply the membership right now.
    this.raft.raftLog.committed = ents.length;
    for (const peer of peers) {
      this.raft.applyConfChange(asConfChangeV2({ type: ConfChangeType.ConfChangeAddNode, nodeId: peer.id, context: EMPTY_BYTES, id: 0n }));
    }
  }

  /** tick advances the logical clock (elections, heartbeats, CheckQuorum, transfer timeouts). */
  tick(): void {
    this.raft.tick();
  }

  /** campaign makes this node start an election now (a pre-election first if PreVote is on). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.MsgHup, from: this.raft.id }));
  }

  /** propose appends data to the log through the leader. Throws ErrProposalDropped. */
  propose(data: Uint8Array): void {
    this.raft.step(
      newMessage({
        type: MessageType.MsgProp,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data }],
      }),
    );
  }

  /** proposeConfChange proposes a membership change (V1 or V2). Throws ErrProposalDropped. */
  proposeConfChange(cc: ConfChange | ConfChangeV2): void {
    const entry: Entry = isConfChangeV2(cc)
      ? { term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2(cc) }
      : { term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) };
    this.raft.step(newMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [entry] }));
  }

  /**
   * applyConfChange applies a committed conf change entry's change to the membership and
   * returns the new ConfState (to store with snapshots). Call it when applying such an entry.
   */
  applyConfChange(cc: ConfChange | ConfChangeV2): ConfState {
    return this.raft.applyConfChange(asConfChangeV2(cc));
  }

  /**
   * step feeds a message received from a peer. Throws ErrStepLocalMsg for local-only types
   * and ErrStepPeerNotFound for responses from non-members; may throw ErrProposalDropped for
   * a forwarded proposal.
   */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw ErrStepLocalMsg;
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) throw ErrStepPeerNotFound;
    this.raft.step(m);
  }

  /**
   * readIndex requests a read index for `ctx` (unique per request); the answer arrives as a
   * ReadState with the same requestCtx in a later Ready (or never, if leadership changes).
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(
      newMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: ctx }] }),
    );
  }

  /** transferLeader asks the leader to hand leadership to `transferee` (aborted after an election timeout). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /** reportUnreachable tells the leader that the last send to `id` failed. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  /** reportSnapshot tells the leader whether sending a snapshot to `id` succeeded. */
  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.raft.step(newMessage({ type: MessageType.MsgSnapStatus, from: id, reject: status === SnapshotStatus.SnapshotFailure }));
  }

  /** hasReady reports whether ready() would return any work. */
  hasReady(): boolean {
    const r = this.raft;
    if (this.pending !== undefined) return false;
    if (r.lead !== this.prevSoftSt.lead || r.state !== this.prevSoftSt.raftState) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardSt)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterAppend.length > 0) return true;
    if (r.raftLog.unstable.entries.length > 0) return true;
    if (r.raftLog.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /**
   * ready returns the current batch of work and takes ownership of it away from raft (the
   * arrays are the caller's). Call advance() when done, before calling ready() again.
   */
  ready(): Ready {
    if (this.pending !== undefined) throw new Error("raft: ready() called again before advance()");
    const r = this.raft;
    const rd: Ready = {
      entries: r.raftLog.unstableEntries(),
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.msgs,
      messagesAfterPersist: [],
      readStates: r.readStates,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.prevSoftSt.lead || ss.raftState !== this.prevSoftSt.raftState) {
      rd.softState = ss;
      this.prevSoftSt = ss;
    }
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardSt)) rd.hardState = hs;
    const snap = r.raftLog.unstable.snapshot;
    if (snap !== undefined) rd.snapshot = snap;
    rd.mustSync =
      rd.entries.length > 0 ||
      rd.snapshot !== undefined ||
      (rd.hardState !== undefined && (rd.hardState.term !== this.prevHardSt.term || rd.hardState.vote !== this.prevHardSt.vote));
    for (const m of r.msgsAfterAppend) {
      if (m.to === r.id) this.stepsOnAdvance.push(m);
      else rd.messagesAfterPersist.push(m);
    }
    r.msgs = [];
    r.msgsAfterAppend = [];
    r.readStates = [];
    // Committed entries leave the uncommitted budget as soon as they are handed out.
    r.reduceUncommittedSize(rd.committedEntries);
    this.pending = rd;
    return rd;
  }

  /**
   * advance tells raft the last Ready was handled per the contract: its entries and state are
   * persisted and its committed entries applied.
   */
  advance(): void {
    const rd = this.pending;
    if (rd === undefined) throw new Error("raft: advance() called without a ready()");
    this.pending = undefined;
    const r = this.raft;
    if (rd.hardState !== undefined) this.prevHardSt = rd.hardState;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) r.raftLog.stableTo(lastEntry.index, lastEntry.term);
    if (rd.snapshot !== undefined) r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) r.appliedTo(lastCommitted.index);
    // Acknowledgements to ourselves (the leader's own append, our own vote) count only now
    // that the state they acknowledge is durable.
    const steps = this.stepsOnAdvance;
    this.stepsOnAdvance = [];
    for (const m of steps) r.step(m);
  }

  /** status returns a copy of the node's state. */
  status(): Status {
    const r = this.raft;
    const s: Status = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      config: r.trk.confState(),
      leadTransferee: r.leadTransferee,
    };
    if (r.state === StateType.StateLeader) {
      const progress = new Map<NodeId, ProgressStatus>();
      r.trk.visit((id, pr) => {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.count(),
        });
      });
      s.progress = progress;
    }
    return s;
  }
}
