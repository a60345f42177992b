/**
 * Raft: the consensus state machine of one node — roles (follower, pre-candidate, candidate,
 * leader), terms and votes, log replication with per-follower flow control, the commit rule,
 * ReadIndex, leader transfer, snapshots and membership changes. Applications drive it through
 * {@link RawNode}; this class is exported for tests and tools that need to look inside.
 *
 * Pure and deterministic: no I/O, no timers, no clocks. Time is `tick()`; randomness comes
 * from `Config.random`. Outgoing messages accumulate in `msgs` (sendable at once) and
 * `msgsAfterAppend` (only after this node's unstable state is durable; self-addressed ones
 * are stepped back in by RawNode.advance). That split is what lets a leader send appends
 * before its own fsync: it counts itself towards a quorum only once its write is durable.
 */
import { decodeConfChange, decodeConfChangeV2 } from "./codec.js";
import type { ResolvedConfig } from "./Config.js";
import { validateConfig } from "./Config.js";
import type { Config } from "./Config.js";
import { Changer } from "./confchange/Changer.js";
import type { ChangeResult } from "./confchange/Changer.js";
import { restoreConfig } from "./confchange/restore.js";
import { ErrCompacted, ErrProposalDropped, ErrSnapshotTemporarilyUnavailable, ErrUnavailable } from "./errors.js";
import { bytesEqual, payloadsSize, seededRandom } from "./internal/util.js";
import type { Logger } from "./Logger.js";
import { discardLogger } from "./Logger.js";
import { jointVoteResult } from "./quorum/JointConfig.js";
import { VoteResult } from "./quorum/VoteResult.js";
import { RaftLog } from "./RaftLog.js";
import { ReadOnly, ReadOnlyOption } from "./ReadOnly.js";
import { Progress, ProgressState } from "./tracker/Progress.js";
import { Inflights } from "./tracker/Inflights.js";
import { ProgressTracker, trackerConfigString } from "./tracker/ProgressTracker.js";
import type {
  ConfChangeV2,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Snapshot,
  SoftState,
} from "./types.js";
import {
  confChangeEnterJoint,
  confChangeLeaveJoint,
  confChangeToV2,
  EMPTY_BYTES,
  EntryType,
  isEmptyHardState,
  MessageType,
  messageTypeName,
  newMessage,
  None,
  StateType,
  stateTypeName,
  voteRespMsgType,
} from "./types.js";

/** CampaignType says why a node campaigns. */
export const CampaignType = {
  /** CampaignPreElection: the first phase of an election when PreVote is on. */
  CampaignPreElection: "CampaignPreElection",
  /** CampaignElection: a normal (time-based) election. */
  CampaignElection: "CampaignElection",
  /** CampaignTransfer: an election forced by leader transfer (ignores leader leases). */
  CampaignTransfer: "CampaignTransfer",
} as const;
/** CampaignType is one of the {@link CampaignType} values. */
export type CampaignType = (typeof CampaignType)[keyof typeof CampaignType];

/** CAMPAIGN_TRANSFER_CONTEXT marks vote requests of a leader transfer (MsgVote.context). */
export const CAMPAIGN_TRANSFER_CONTEXT: Uint8Array = Uint8Array.from(CampaignType.CampaignTransfer, (c) => c.charCodeAt(0));

type StepFn = (r: Raft, m: Message) => void;

/** Raft is the state machine of one node (see the module comment). */
export class Raft {
  /** id of this node. */
  readonly id: NodeId;
  /** term is the current term. */
  term = 0;
  /** vote is who we voted for in `term` (None if nobody). */
  vote: NodeId = None;
  /** readStates completed since the last Ready. */
  readStates: ReadState[] = [];
  /** raftLog is the log. */
  readonly raftLog: RaftLog;
  /** maxMsgSize: bytes of entries per MsgApp. */
  readonly maxMsgSize: number;
  /** maxUncommittedSize: payload bytes a leader accepts uncommitted. */
  readonly maxUncommittedSize: number;
  /** trk tracks configuration and follower progress. */
  trk: ProgressTracker;
  /** state is our role. */
  state: StateType = StateType.StateFollower;
  /** isLearner: we are a learner in the current configuration. */
  isLearner = false;
  /** msgs to send now. */
  msgs: Message[] = [];
  /** msgsAfterAppend to send (or step, if addressed to ourselves) once unstable state is durable. */
  msgsAfterAppend: Message[] = [];
  /** lead is the leader we know of in this term. */
  lead: NodeId = None;
  /** leadTransferee: the target of an ongoing leader transfer (None if none). */
  leadTransferee: NodeId = None;
  /**
   * pendingConfIndex: only one conf change may be pending (in the log, not applied); this is
   * the index of the latest one, or the leader's last index when it took over.
   */
  pendingConfIndex = 0;
  /** uncommittedSize: payload bytes of the leader's uncommitted tail. */
  uncommittedSize = 0;
  /** readOnly tracks pending ReadIndex requests. */
  readOnly: ReadOnly;
  /** electionElapsed: ticks since the last election timeout reset (leader: since the last CheckQuorum). */
  electionElapsed = 0;
  /** heartbeatElapsed: ticks since the last heartbeat (leader only). */
  heartbeatElapsed = 0;
  /** checkQuorum: step down without a quorum's recent contact; followers honour leader leases. */
  readonly checkQuorum: boolean;
  /** preVote: run a pre-election before bumping the term. */
  readonly preVote: boolean;
  /** heartbeatTimeout: ticks between leader heartbeats. */
  readonly heartbeatTimeout: number;
  /** electionTimeout: the base election timeout in ticks (also the CheckQuorum period). */
  readonly electionTimeout: number;
  /** randomizedElectionTimeout is in [electionTimeout, 2 * electionTimeout). */
  randomizedElectionTimeout = 0;
  /** disableProposalForwarding: followers drop proposals instead of forwarding them. */
  readonly disableProposalForwarding: boolean;
  /** pendingReadIndexMessages: reads received before the leader committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  /** logger receives log lines (discarded by default). */
  readonly logger: Logger;
  private readonly random: () => number;
  private tickFn: () => void;
  private stepFn: StepFn;

  /** Creates a node from `config`, restoring state and membership from its storage. */
  constructor(config: Config) {
    const c: ResolvedConfig = validateConfig(config);
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady);
    const { hardState, confState } = c.storage.initialState();
    this.maxMsgSize = c.maxSizePerMsg;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize;
    this.trk = new ProgressTracker(c.maxInflightMsgs, c.maxInflightBytes);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.readOnly = new ReadOnly(c.readOnlyOption);
    this.disableProposalForwarding = c.disableProposalForwarding;
    this.logger = c.logger ?? discardLogger;
    // The default source is deterministic too: seeded with the node ID.
    this.random = c.random ?? seededRandom(Number(c.id & 0xffffffffn) ^ 0x5bd1e995);
    this.tickFn = () => this.tickElection();
    this.stepFn = stepFollower;

    const restored = restoreConfig(this.changerBase(), confState);
    const cs = this.switchToConfig(restored);
    assertConfStatesEquivalent(cs, confState);

    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, None);

    this.logger.info(
      `newRaft ${this.id} [peers: [${this.trk.voterNodes().join(",")}], term: ${this.term}, commit: ${this.raftLog.committed}, applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}]`,
    );
  }

  /** hasLeader reports whether we know a leader in this term. */
  hasLeader(): boolean {
    return this.lead !== None;
  }

  /** softState returns the volatile state. */
  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  /** hardState returns the state to persist. */
  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  // --- sending ---------------------------------------------------------------------------

  /** send stamps a message with our ID and term (unless it carries its own) and queues it. */
  send(m: Message): void {
    // Forwarded messages (proposals, transfer requests) keep their original sender.
    if (m.from === None) m.from = this.id;
    const t = m.type;
    if (t === MessageType.MsgVote || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVote || t === MessageType.MsgPreVoteResp) {
      // Vote messages carry the term they are for: the candidate's next term for pre-votes,
      // the request's term for pre-vote responses.
      if (m.term === 0) throw new Error(`raft: term should be set when sending ${messageTypeName(t)}`);
    } else {
      if (m.term !== 0) throw new Error(`raft: term should not be set when sending ${messageTypeName(t)} (was ${m.term})`);
      // Proposals and read requests forwarded to the leader are local messages: no term.
      if (t !== MessageType.MsgProp && t !== MessageType.MsgReadIndex) m.term = this.term;
    }
    if (t === MessageType.MsgAppResp || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVoteResp) {
      // These acknowledge durable state (appended entries, a recorded vote): they may only
      // leave once that state is persisted.
      this.msgsAfterAppend.push(m);
    } else {
      if (m.to === this.id) throw new Error(`raft: message should not be self-addressed when sending ${messageTypeName(t)}`);
      this.msgs.push(m);
    }
  }

  /** sendAppend sends an append (or a snapshot) to `to`, even an empty one. */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * maybeSendAppend sends the next entries (or a snapshot) to `to` unless its progress is
   * paused; with `sendIfEmpty` false it sends nothing when there are no new entries. Returns
   * whether a message was sent.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      // With a full window in StateReplicate send only an empty append: if every message in
      // the window was lost (e.g. the follower restarted), its answer — ack or rejection —
      // is what clears the window. Heartbeat responses prompt it.
      ents = pr.state === ProgressState.StateReplicate && pr.inflights.full() ? [] : this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (e) {
      if (e === ErrCompacted || e === ErrUnavailable) return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(
      newMessage({
        type: MessageType.MsgApp,
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.raftLog.committed,
      }),
    );
    pr.sentEntries(ents.length, ents.length === 0 ? 0 : payloadsSize(ents));
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug(`ignore sending snapshot to ${to} since it is not recently active`);
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (e === ErrSnapshotTemporarilyUnavailable) {
        this.logger.debug(`${this.id} failed to send snapshot to ${to} because snapshot is temporarily unavailable`);
        return false;
      }
      throw e;
    }
    if (snapshot.metadata.index === 0) throw new Error("raft: need non-empty snapshot");
    this.logger.debug(
      `${this.id} [firstindex: ${this.raftLog.firstIndex()}, commit: ${this.raftLog.committed}] sent snapshot[index: ${snapshot.metadata.index}, term: ${snapshot.metadata.term}] to ${to} [${pr.toString()}]`,
    );
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(newMessage({ type: MessageType.MsgSnap, to, snapshot }));
    return true;
  }

  /** sendHeartbeat sends a heartbeat (with the commit index the follower can use) to `to`. */
  sendHeartbeat(to: NodeId, ctx: Uint8Array): void {
    // A follower may not have all committed entries: never tell it to commit beyond its match.
    const commit = Math.min(this.trk.progress.get(to)!.match, this.raftLog.committed);
    this.send(newMessage({ type: MessageType.MsgHeartbeat, to, commit, context: ctx }));
  }

  /** bcastAppend sends appends to every other member. */
  bcastAppend(): void {
    for (const id of this.trk.progress.keys()) {
      if (id !== this.id) this.sendAppend(id);
    }
  }

  /** bcastHeartbeat sends heartbeats to every other member (carrying the newest pending read context). */
  bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx() ?? EMPTY_BYTES);
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    for (const id of this.trk.progress.keys()) {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    }
  }

  // --- log -------------------------------------------------------------------------------

  /** appliedTo records that the application applied up to `index`; may start the auto-leave of a joint config. */
  appliedTo(index: number): void {
    const newApplied = Math.max(index, this.raftLog.applied);
    this.raftLog.appliedTo(newApplied);
    if (this.trk.config.autoLeave && newApplied >= this.pendingConfIndex && this.state === StateType.StateLeader) {
      // Propose leaving the joint config: an EntryConfChangeV2 with empty data decodes to the
      // empty change. It can be dropped (e.g. during a leader transfer); we retry on the next apply.
      try {
        this.step(
          newMessage({
            type: MessageType.MsgProp,
            from: this.id,
            entries: [{ term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: EMPTY_BYTES }],
          }),
        );
        this.logger.info(`initiating automatic transition out of joint configuration ${trackerConfigString(this.trk.config)}`);
      } catch (e) {
        if (e !== ErrProposalDropped) throw e;
        // e is ErrProposalDropped here; TypeScript only narrows it to `object`.
        this.logger.debug(`not initiating automatic transition out of joint configuration: ${String(ErrProposalDropped)}`);
      }
    }
  }

  /** maybeCommit advances the commit index to what a quorum stored, if of the current term. */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** appendEntry appends proposals to the leader's log; false if dropped for size. */
  appendEntry(proposed: readonly Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    // Fresh entry objects: a proposal message may be shared (e.g. delivered twice), and the log
    // must never alias something a caller can still change.
    const es: Entry[] = new Array<Entry>(proposed.length);
    for (let i = 0; i < proposed.length; i++) {
      const p = proposed[i]!;
      es[i] = { term: this.term, index: li + 1 + i, type: p.type, data: p.data };
    }
    if (!this.increaseUncommittedSize(es)) {
      this.logger.warn(`${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`);
      return false;
    }
    li = this.raftLog.append(es);
    // The leader acknowledges its own entries once they are durable (see the module comment).
    this.send(newMessage({ type: MessageType.MsgAppResp, to: this.id, index: li }));
    return true;
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) {
      // Always accept a proposal when nothing is uncommitted, however large: otherwise a
      // single large entry could never be proposed.
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  /** reduceUncommittedSize releases the size of entries that got committed (called per Ready). */
  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return;
    const s = payloadsSize(ents);
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  // --- ticks -----------------------------------------------------------------------------

  /** tick advances the logical clock by one tick. */
  tick(): void {
    this.tickFn();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned (a removed
      // leader starts another one below).
      if (this.state === StateType.StateLeader && this.leadTransferee !== None) this.abortLeaderTransfer();
    }
    this.maybeHandOffLeadership();
    if (this.state !== StateType.StateLeader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  // --- role changes ----------------------------------------------------------------------

  /** becomeFollower makes us a follower of `lead` in `term`. */
  becomeFollower(term: number, lead: NodeId): void {
    this.stepFn = stepFollower;
    this.reset(term);
    this.tickFn = () => this.tickElection();
    this.lead = lead;
    this.state = StateType.StateFollower;
    this.logger.info(`${this.id} became follower at term ${this.term}`);
  }

  /** becomeCandidate starts an election in the next term, voting for ourselves. */
  becomeCandidate(): void {
    if (this.state === StateType.StateLeader) throw new Error("raft: invalid transition [leader -> candidate]");
    this.stepFn = stepCandidate;
    this.reset(this.term + 1);
    this.tickFn = () => this.tickElection();
    this.vote = this.id;
    this.state = StateType.StateCandidate;
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  /** becomePreCandidate starts a pre-election: no term change, no vote recorded. */
  becomePreCandidate(): void {
    if (this.state === StateType.StateLeader) throw new Error("raft: invalid transition [leader -> pre-candidate]");
    // Becoming a pre-candidate changes the step functions and state, but not the term or vote:
    // a pre-election that fails must leave no trace.
    this.stepFn = stepCandidate;
    this.trk.resetVotes();
    this.tickFn = () => this.tickElection();
    this.lead = None;
    this.state = StateType.StatePreCandidate;
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  /** becomeLeader takes over: replicate mode for ourselves, and an empty entry of the new term. */
  becomeLeader(): void {
    if (this.state === StateType.StateFollower) throw new Error("raft: invalid transition [follower -> leader]");
    this.stepFn = stepLeader;
    this.reset(this.term);
    this.tickFn = () => this.tickHeartbeat();
    this.lead = this.id;
    this.state = StateType.StateLeader;
    // Our own progress: trivially replicating; reset() set match to our last index.
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined) {
      pr.becomeReplicate();
      pr.recentActive = true;
    }
    // Conf changes in our log may still be unapplied: do not allow a new one before our last index.
    this.pendingConfIndex = this.raftLog.lastIndex();
    const empty: Entry = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES };
    if (!this.appendEntry([empty])) throw new Error("raft: empty entry was dropped");
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = None;
    }
    this.lead = None;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const lastIndex = this.raftLog.lastIndex();
    for (const [id, old] of this.trk.progress) {
      const pr = new Progress(0, lastIndex + 1, new Inflights(this.trk.maxInflight, this.trk.maxInflightBytes), old.isLearner);
      if (id === this.id) pr.match = lastIndex;
      this.trk.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
  }

  /** pastElectionTimeout: electionElapsed reached the randomized timeout. */
  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** promotable: we are a voter of the configuration and have no pending snapshot (so may campaign). */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  /** abortLeaderTransfer cancels an ongoing leader transfer. */
  abortLeaderTransfer(): void {
    this.leadTransferee = None;
  }

  // --- elections -------------------------------------------------------------------------

  /** hup starts a campaign of the given type if we may (not leader, promotable, no unapplied conf change). */
  hup(t: CampaignType): void {
    if (this.state === StateType.StateLeader) {
      this.logger.debug(`${this.id} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(`${this.id} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`);
      return;
    }
    this.logger.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    // Scan committed-but-unapplied entries in pages, so huge backlogs do not load at once.
    let lo = Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex());
    const hi = this.raftLog.committed + 1;
    while (lo < hi) {
      const ents = this.raftLog.slice(lo, hi, this.maxMsgSize);
      for (const e of ents) {
        if (e.type === EntryType.EntryConfChange || e.type === EntryType.EntryConfChangeV2) return true;
      }
      lo += ents.length;
    }
    return false;
  }

  /** campaign starts a (pre-)election: it must be called only by a promotable node. */
  campaign(t: CampaignType): void {
    if (!this.promotable()) throw new Error("raft: campaign called on an unpromotable node");
    let voteMsg: Message["type"];
    let term: number;
    if (t === CampaignType.CampaignPreElection) {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-vote RPCs are sent for the next term before we've incremented r.term.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) {
        // Our own vote counts once it is durable: it comes back through msgsAfterAppend.
        this.send(newMessage({ type: voteRespMsgType(voteMsg), to: id, term }));
        continue;
      }
      this.logger.info(`${this.id} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${messageTypeName(voteMsg)} request to ${id} at term ${this.term}`);
      this.send(
        newMessage({
          type: voteMsg,
          to: id,
          term,
          index: lastIndex,
          logTerm: lastTerm,
          context: t === CampaignType.CampaignTransfer ? CAMPAIGN_TRANSFER_CONTEXT : EMPTY_BYTES,
        }),
      );
    }
  }

  /** poll records a vote and returns the election's state. */
  poll(id: NodeId, t: Message["type"], granted: boolean): { granted: number; rejected: number; result: VoteResult } {
    this.logger.info(`${this.id} received ${messageTypeName(t)} ${granted ? "" : "rejection "}from ${id} at term ${this.term}`);
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes();
  }

  // --- stepping --------------------------------------------------------------------------

  /**
   * step processes one message. Throws ErrProposalDropped when a proposal (or a forwarded
   * one) cannot be accepted.
   */
  step(m: Message): void {
    // Handle the message term, which may result in our stepping down to a follower.
    if (m.term === 0) {
      // Local message.
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
        const inLease = this.checkQuorum && this.lead !== None && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // We heard from a current leader within the minimum election timeout: ignore the
          // vote request entirely (neither vote nor bump our term). This is what keeps a
          // removed or partitioned node from disrupting a healthy cluster.
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote}] ignored ${messageTypeName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return;
        }
      }
      if (m.type === MessageType.MsgPreVote) {
        // Never change our term in response to a PreVote.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // We send pre-votes with a term in our future. If the pre-vote is granted, we
        // increment our term when we get a quorum; if not, the term comes from the node that
        // rejected our vote, so we should become a follower at the new term.
      } else {
        this.logger.info(`${this.id} [term: ${this.term}] received a ${messageTypeName(m.type)} message with higher term from ${m.from} [term: ${m.term}]`);
        if (m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap) {
          this.becomeFollower(m.term, m.from);
        } else {
          this.becomeFollower(m.term, None);
        }
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote || !this.promotable()) && (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)) {
        // A stale leader (e.g. after a partition) may keep sending: with CheckQuorum or
        // PreVote our higher term would never reach it through a vote, so answer with our
        // term to make it step down. Without this, a node that bumped its term during a
        // partition could be stuck forever.
        //
        // Deliberately beyond etcd: a node that cannot campaign (a learner, e.g. a voter
        // demoted after it bumped its term) answers too, even without those options —
        // otherwise nothing ever tells the leader, and the learner never catches up.
        this.send(newMessage({ type: MessageType.MsgAppResp, to: m.from }));
      } else if (m.type === MessageType.MsgPreVote || m.type === MessageType.MsgVote) {
        // Reject votes of a lower term explicitly, so the candidate learns our term (Raft
        // §5.1: "reply false if term < currentTerm"). For pre-votes this keeps pre-candidates
        // that never hear back from deadlocking. For votes it goes beyond etcd, which stays
        // silent: a member with a stale configuration may keep bumping its term without ever
        // contacting a candidate of the new configuration, which would then stay behind.
        this.logger.info(
          `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote}] rejected ${messageTypeName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
        );
        this.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: this.term, reject: true }));
      } else {
        this.logger.info(`${this.id} [term: ${this.term}] ignored a ${messageTypeName(m.type)} message with lower term from ${m.from} [term: ${m.term}]`);
      }
      return;
    }

    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? CampaignType.CampaignPreElection : CampaignType.CampaignElection);
        break;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote: {
        // We can vote if this is a repeat of a vote we've already cast, or we haven't voted
        // and don't think there's a leader yet in this term, or this is a pre-vote for a
        // future term.
        const canVote =
          this.vote === m.from ||
          (this.vote === None && this.lead === None) ||
          (m.type === MessageType.MsgPreVote && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote}] cast ${messageTypeName(m.type)} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          // The response carries the request's term, not ours: for pre-votes ours is lower,
          // and the candidate must recognize the answer as for its pre-election.
          this.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.MsgVote) {
            // Only record real votes.
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.logger.info(
            `${this.id} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${this.vote}] rejected ${messageTypeName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          this.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: this.term, reject: true }));
        }
        break;
      }
      default:
        this.stepFn(this, m);
    }
  }

  /** handleAppendEntries: a follower receives entries from the leader. */
  handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastnewi = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastnewi >= 0) {
      this.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: lastnewi }));
      return;
    }
    this.logger.debug(
      `${this.id} [logterm: ${this.raftLog.zeroTermOnOutOfBounds(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
    );
    // Fast backtracking: tell the leader the largest index <= m.index whose term is <= the
    // leader's term for it; the leader can skip whole terms of mismatching entries at once.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const hint = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.send(
      newMessage({
        type: MessageType.MsgAppResp,
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        logTerm: hint.term,
      }),
    );
  }

  /** handleHeartbeat: commit what the leader says is committed (bounded by our match) and answer. */
  handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(newMessage({ type: MessageType.MsgHeartbeatResp, to: m.from, context: m.context }));
  }

  /** handleSnapshot: a follower receives a snapshot. */
  handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s === undefined) return;
    const { index: sindex, term: sterm } = s.metadata;
    if (this.restore(s)) {
      this.logger.info(`${this.id} [commit: ${this.raftLog.committed}] restored snapshot [index: ${sindex}, term: ${sterm}]`);
      this.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.logger.info(`${this.id} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${sindex}, term: ${sterm}]`);
      this.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /**
   * restore installs a snapshot as the whole log and membership. Returns false if the
   * snapshot is old (or we only needed to fast-forward the commit index).
   */
  restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.state !== StateType.StateFollower) {
      // Defense in depth: only a follower installs snapshots. Step down into the next term so
      // that the true leader (whose term this is) is recognized.
      this.logger.warn(`${this.id} attempted to restore snapshot as leader; should never happen`);
      this.becomeFollower(this.term + 1, None);
      return false;
    }
    // A snapshot that does not include us in its configuration would leave us unable to
    // function: ignore it (this should not happen unless the application misbehaves).
    const cs = s.metadata.confState;
    const found = [cs.voters, cs.learners, cs.votersOutgoing].some((ids) => ids.includes(this.id));
    if (!found) {
      this.logger.warn(`${this.id} attempted to restore snapshot but it is not in the ConfState ${JSON.stringify(cs, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}; should never happen`);
      return false;
    }
    // If we already have the snapshot's last entry, only fast-forward the commit index.
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      this.logger.info(`${this.id} [commit: ${this.raftLog.committed}] fast-forwarded commit to snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`);
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    // Reset the configuration and add the (empty) progress of every member.
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    const restored = restoreConfig(this.changerBase(), cs);
    assertConfStatesEquivalent(this.switchToConfig(restored), cs);
    return true;
  }

  // --- configuration ---------------------------------------------------------------------

  private changerBase(): { config: ProgressTracker["config"]; progress: ProgressTracker["progress"]; maxInflight: number; maxInflightBytes: number; lastIndex: number } {
    return {
      config: this.trk.config,
      progress: this.trk.progress,
      maxInflight: this.trk.maxInflight,
      maxInflightBytes: this.trk.maxInflightBytes,
      lastIndex: this.raftLog.lastIndex(),
    };
  }

  /** applyConfChange applies a committed configuration change and returns the new ConfState. */
  applyConfChange(cc: ConfChangeV2): ConfState {
    const changer = new Changer(this.changerBase());
    let result: ChangeResult;
    if (confChangeLeaveJoint(cc)) {
      result = changer.leaveJoint();
    } else {
      const joint = confChangeEnterJoint(cc);
      result = joint !== undefined ? changer.enterJoint(joint.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(result);
  }

  /**
   * switchToConfig installs a configuration computed by a Changer. A leader that is no longer
   * a voter steps down; a leader still in charge commits what the new quorum allows and
   * probes new members.
   */
  switchToConfig(r: ChangeResult): ConfState {
    this.trk.config = r.config;
    this.trk.progress = r.progress;
    this.logger.info(`${this.id} switched to configuration ${trackerConfigString(this.trk.config)}`);
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    // Update whether we are a learner; false when removed.
    this.isLearner = pr !== undefined && pr.isLearner;
    if (this.state !== StateType.StateLeader || cs.voters.length === 0) return cs;
    // The quorum may have changed: perhaps more is committed now.
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      // Probe newly added members (and others) so they catch up.
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    // A transfer to a node that is no longer a voter cannot finish.
    if (this.leadTransferee !== None && !this.trk.config.voters[0].has(this.leadTransferee) && !this.trk.config.voters[1].has(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    this.maybeHandOffLeadership();
    return cs;
  }

  /**
   * removedLeader reports whether we lead a configuration we are no longer a voter of (we were
   * removed, or demoted to learner, and the joint config has been left).
   */
  removedLeader(): boolean {
    if (this.state !== StateType.StateLeader) return false;
    const pr = this.trk.progress.get(this.id);
    return pr === undefined || pr.isLearner;
  }

  /**
   * maybeHandOffLeadership: a leader that was removed or demoted steps down by transferring
   * leadership to the most up-to-date voter of the new configuration. It keeps leading (and
   * dropping proposals) until that voter takes over, and retries after each election timeout.
   *
   * Stepping down at once would be simpler but can deadlock: the new configuration's voters
   * may lack the entry that changed the configuration, or may not know it is committed, and
   * without a leader nobody tells them — while members that have it refuse to vote for them.
   */
  maybeHandOffLeadership(): void {
    if (!this.removedLeader() || this.leadTransferee !== None) return;
    let best: NodeId = None;
    let bestMatch = -1;
    this.trk.visit((id, pr) => {
      if (id === this.id || !this.trk.isVoter(id) || pr.isLearner) return;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    });
    if (best === None) return;
    this.logger.info(`${this.id} is no longer a voter; handing leadership to ${best}`);
    this.electionElapsed = 0;
    this.leadTransferee = best;
    if (bestMatch === this.raftLog.lastIndex()) this.sendTimeoutNow(best);
    else this.sendAppend(best);
  }

  /**
   * sendTimeoutNow tells the transferee to campaign at once. A removed leader steps down right
   * after: the new leader will not talk to it, and the transferee has the whole log, so it
   * wins either now or at its own election timeout.
   */
  sendTimeoutNow(to: NodeId): void {
    this.send(newMessage({ type: MessageType.MsgTimeoutNow, to }));
    if (this.removedLeader()) {
      this.logger.info(`${this.id} is no longer a voter and stepped down after handing leadership to ${to}`);
      this.becomeFollower(this.term, None);
    }
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new Error(`raft: ${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // --- read index ------------------------------------------------------------------------

  /** committedEntryInCurrentTerm: a leader may serve reads only after committing an entry of its term. */
  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.zeroTermOnOutOfBounds(this.raftLog.committed) === this.term;
  }

  /** responseToReadIndexReq answers a read locally (readStates) or builds the response for a follower. */
  responseToReadIndexReq(req: Message, readIndex: number): Message | undefined {
    if (req.from === None || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: req.entries[0]!.data });
      return undefined;
    }
    return newMessage({ type: MessageType.MsgReadIndexResp, to: req.from, index: readIndex, entries: req.entries });
  }

  /** sendMsgReadIndexResponse serves a read request: a heartbeat round (safe) or at once (lease-based). */
  sendMsgReadIndexResponse(m: Message): void {
    // The request's context is echoed back: it must be unique among concurrent reads.
    switch (this.readOnly.option) {
      case ReadOnlyOption.ReadOnlySafe:
        this.readOnly.addRequest(this.raftLog.committed, m);
        // The leader acknowledges itself.
        this.readOnly.recvAck(this.id, m.entries[0]!.data);
        this.bcastHeartbeatWithCtx(m.entries[0]!.data);
        break;
      case ReadOnlyOption.ReadOnlyLeaseBased: {
        const resp = this.responseToReadIndexReq(m, this.raftLog.committed);
        if (resp !== undefined) this.send(resp);
        break;
      }
    }
  }

  /** releasePendingReadIndexMessages serves reads postponed until the first commit of our term. */
  releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) {
      this.logger.error("pending MsgReadIndex should be released only after first commit in current term");
      return;
    }
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.sendMsgReadIndexResponse(m);
  }

}

// --- step functions, one per role --------------------------------------------------------

function stepLeader(r: Raft, m: Message): void {
  // These message types do not require any progress for m.from.
  switch (m.type) {
    case MessageType.MsgBeat:
      r.bcastHeartbeat();
      return;
    case MessageType.MsgCheckQuorum:
      if (!r.trk.quorumActive()) {
        r.logger.warn(`${r.id} stepped down to follower since quorum is not active`);
        r.becomeFollower(r.term, None);
      }
      // Mark everyone (but ourselves) inactive in preparation for the next check.
      r.trk.visit((id, pr) => {
        if (id !== r.id) pr.recentActive = false;
      });
      return;
    case MessageType.MsgProp: {
      if (m.entries.length === 0) throw new Error(`raft: ${r.id} stepped empty MsgProp`);
      if (r.removedLeader()) {
        // We were removed or demoted while serving as leader and are handing off: drop any
        // new proposals.
        throw ErrProposalDropped;
      }
      if (r.leadTransferee !== None) {
        r.logger.debug(`${r.id} [term ${r.term}] transfer leadership to ${r.leadTransferee} is in progress; dropping proposal`);
        throw ErrProposalDropped;
      }
      let entries = m.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        let cc: ConfChangeV2 | undefined;
        if (e.type === EntryType.EntryConfChange) cc = confChangeToV2(decodeConfChange(e.data));
        else if (e.type === EntryType.EntryConfChangeV2) cc = decodeConfChangeV2(e.data);
        if (cc === undefined) continue;
        const alreadyPending = r.pendingConfIndex > r.raftLog.applied;
        const alreadyJoint = r.trk.config.voters[1].size > 0;
        const wantsLeaveJoint = cc.changes.length === 0;
        let refused = "";
        if (alreadyPending) {
          refused = `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.raftLog.applied})`;
        } else if (alreadyJoint && !wantsLeaveJoint) {
          refused = "must transition out of joint config first";
        } else if (!alreadyJoint && wantsLeaveJoint) {
          refused = "not in joint state; refusing empty conf change";
        }
        if (refused !== "") {
          r.logger.info(`${r.id} ignoring conf change at config ${trackerConfigString(r.trk.config)}: ${refused}`);
          // Keep the slot (the proposer's index accounting) but make it a no-op.
          if (entries === m.entries) entries = entries.slice();
          entries[i] = { term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES };
        } else {
          r.pendingConfIndex = r.raftLog.lastIndex() + i + 1;
        }
      }
      if (!r.appendEntry(entries)) throw ErrProposalDropped;
      r.bcastAppend();
      return;
    }
    case MessageType.MsgReadIndex: {
      // A single voter answers at once: nobody else could be leader.
      if (r.trk.isSingleton()) {
        const resp = r.responseToReadIndexReq(m, r.raftLog.committed);
        if (resp !== undefined) r.send(resp);
        return;
      }
      // Until the leader commits an entry of its term, its commit index may be behind the
      // true one: postpone the read (Raft thesis §6.4).
      if (!r.committedEntryInCurrentTerm()) {
        r.pendingReadIndexMessages.push(m);
        return;
      }
      r.sendMsgReadIndexResponse(m);
      return;
    }
  }

  // All other message types require a progress for m.from.
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) {
    r.logger.debug(`${r.id} no progress available for ${m.from}`);
    return;
  }
  switch (m.type) {
    case MessageType.MsgAppResp: {
      pr.recentActive = true;
      if (m.reject) {
        r.logger.debug(`${r.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} for index ${m.index}`);
        let nextProbeIdx = m.rejectHint;
        if (m.logTerm > 0) {
          // The follower told us its entry at rejectHint has term logTerm: find the largest
          // index of ours with a term <= that. Entries above cannot match; one probe skips
          // a whole term of divergent entries on each side.
          nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
        }
        if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
          r.logger.debug(`${r.id} decreased progress of ${m.from} to [${pr.toString()}]`);
          if (pr.state === ProgressState.StateReplicate) pr.becomeProbe();
          r.sendAppend(m.from);
        }
        return;
      }
      const oldPaused = pr.isPaused();
      // Also handle the probe state where match already equals the acked index: the probe was
      // accepted, so we can start replicating.
      if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.StateProbe)) {
        if (pr.state === ProgressState.StateProbe) {
          pr.becomeReplicate();
        } else if (pr.state === ProgressState.StateSnapshot && pr.match + 1 >= r.raftLog.firstIndex()) {
          // The follower caught up past our log's start (after the snapshot, or by the log):
          // resume normal replication. Snapshot -> probe -> replicate, for next = match + 1.
          r.logger.debug(`${r.id} recovered from needing snapshot, resumed sending replication messages to ${m.from} [${pr.toString()}]`);
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.state === ProgressState.StateReplicate) {
          pr.inflights.freeLE(m.index);
        }
        if (r.maybeCommit()) {
          // Committing may let pending reads proceed, and followers need the new commit index.
          r.releasePendingReadIndexMessages();
          r.bcastAppend();
        } else if (oldPaused && m.from !== r.id) {
          // The follower was paused: it may need more entries now.
          r.sendAppend(m.from);
        }
        // Send as many more appends as the window allows (no-ops when up to date). Our own
        // progress never sends.
        if (m.from !== r.id) {
          while (r.maybeSendAppend(m.from, false)) {
            // keep filling the window
          }
        }
        // Transfer leadership to a transferee that just caught up.
        if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
          r.logger.info(`${r.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
          r.sendTimeoutNow(m.from);
        }
      }
      return;
    }
    case MessageType.MsgHeartbeatResp: {
      pr.recentActive = true;
      pr.msgAppFlowPaused = false;
      // A follower behind us gets entries (heartbeats are also the retry timer of probes and
      // of full windows). A caught-up follower in probe state gets an empty append, whose
      // answer moves it back to replicating.
      if (pr.match < r.raftLog.lastIndex() || pr.state === ProgressState.StateProbe) r.sendAppend(m.from);
      if (r.readOnly.option !== ReadOnlyOption.ReadOnlySafe || m.context.length === 0) return;
      const acks = r.readOnly.recvAck(m.from, m.context);
      if (acks === undefined) return;
      // Learners' acks do not count: the quorum is over voters only.
      if (jointVoteResult(r.trk.config.voters, acks) !== VoteResult.VoteWon) return;
      for (const rs of r.readOnly.advance(m.context)) {
        const resp = r.responseToReadIndexReq(rs.req, rs.index);
        if (resp !== undefined) r.send(resp);
      }
      return;
    }
    case MessageType.MsgSnapStatus:
      if (pr.state !== ProgressState.StateSnapshot) return;
      if (!m.reject) {
        pr.becomeProbe();
        r.logger.debug(`${r.id} snapshot succeeded, resumed sending replication messages to ${m.from} [${pr.toString()}]`);
      } else {
        // The snapshot failed: clear it so that the next probe can decide afresh.
        pr.pendingSnapshot = 0;
        pr.becomeProbe();
        r.logger.debug(`${r.id} snapshot failed, resumed sending replication messages to ${m.from} [${pr.toString()}]`);
      }
      // Wait for an append response or heartbeat response before probing again: the snapshot
      // may still be applying on the follower.
      pr.msgAppFlowPaused = true;
      return;
    case MessageType.MsgUnreachable:
      // The transport failed to deliver: a replicating follower probably lost messages, so
      // fall back to probing.
      if (pr.state === ProgressState.StateReplicate) pr.becomeProbe();
      r.logger.debug(`${r.id} failed to send message to ${m.from} because it is unreachable [${pr.toString()}]`);
      return;
    case MessageType.MsgTransferLeader: {
      if (pr.isLearner) {
        r.logger.debug(`${r.id} is learner. Ignored transferring leadership`);
        return;
      }
      const leadTransferee = m.from;
      const lastLeadTransferee = r.leadTransferee;
      if (lastLeadTransferee !== None) {
        if (lastLeadTransferee === leadTransferee) {
          r.logger.info(`${r.id} [term ${r.term}] transfer leadership to ${leadTransferee} is in progress, ignores request to same node ${leadTransferee}`);
          return;
        }
        r.abortLeaderTransfer();
        r.logger.info(`${r.id} [term ${r.term}] abort previous transferring leadership to ${lastLeadTransferee}`);
      }
      if (leadTransferee === r.id) {
        r.logger.debug(`${r.id} is already leader. Ignored transferring leadership to self`);
        return;
      }
      // Transfer leadership to the transferee within an election timeout, else abort.
      r.logger.info(`${r.id} [term ${r.term}] starts to transfer leadership to ${leadTransferee}`);
      r.electionElapsed = 0;
      r.leadTransferee = leadTransferee;
      if (pr.match === r.raftLog.lastIndex()) {
        r.sendTimeoutNow(leadTransferee);
        r.logger.info(`${r.id} sends MsgTimeoutNow to ${leadTransferee} immediately as ${leadTransferee} already has up-to-date log`);
      } else {
        // Bring the transferee up to date first; MsgTimeoutNow follows its ack.
        r.sendAppend(leadTransferee);
      }
      return;
    }
  }
}

// stepCandidate is shared by StateCandidate and StatePreCandidate; the difference is whether
// they respond to MsgVoteResp or MsgPreVoteResp.
function stepCandidate(r: Raft, m: Message): void {
  const myVoteRespType = r.state === StateType.StatePreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
  switch (m.type) {
    case MessageType.MsgProp:
      r.logger.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
      throw ErrProposalDropped;
    case MessageType.MsgApp:
      r.becomeFollower(m.term, m.from); // always m.term == r.term
      r.handleAppendEntries(m);
      return;
    case MessageType.MsgHeartbeat:
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case MessageType.MsgSnap:
      r.becomeFollower(m.term, m.from);
      r.handleSnapshot(m);
      return;
    case myVoteRespType: {
      const { granted, rejected, result } = r.poll(m.from, m.type, !m.reject);
      r.logger.info(`${r.id} has received ${granted} ${messageTypeName(m.type)} votes and ${rejected} vote rejections`);
      if (result === VoteResult.VoteWon) {
        if (r.state === StateType.StatePreCandidate) {
          r.campaign(CampaignType.CampaignElection);
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === VoteResult.VoteLost) {
        // MsgPreVoteResp contains the future term of the pre-candidate: m.term > r.term;
        // stay in our own term.
        r.becomeFollower(r.term, None);
      }
      return;
    }
    case MessageType.MsgTimeoutNow:
      r.logger.debug(`${r.id} [term ${r.term} state ${stateTypeName(r.state)}] ignored MsgTimeoutNow from ${m.from}`);
      return;
  }
}

function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgProp:
      if (r.lead === None) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
        throw ErrProposalDropped;
      }
      if (r.disableProposalForwarding) {
        r.logger.info(`${r.id} not forwarding to leader ${r.lead} at term ${r.term}; dropping proposal`);
        throw ErrProposalDropped;
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return;
    case MessageType.MsgApp:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleAppendEntries(m);
      return;
    case MessageType.MsgHeartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleHeartbeat(m);
      return;
    case MessageType.MsgSnap:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleSnapshot(m);
      return;
    case MessageType.MsgTransferLeader:
      if (r.lead === None) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping leader transfer msg`);
        return;
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return;
    case MessageType.MsgTimeoutNow:
      r.logger.info(`${r.id} [term ${r.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`);
      // Leadership transfers never use pre-vote even if preVote is on: we know we are not
      // recovering from a partition, so there is no need for the extra round trip.
      r.hup(CampaignType.CampaignTransfer);
      return;
    case MessageType.MsgReadIndex:
      if (r.lead === None) {
        r.logger.info(`${r.id} no leader at term ${r.term}; dropping index reading msg`);
        return;
      }
      r.send({ ...m, to: r.lead, term: 0 });
      return;
    case MessageType.MsgReadIndexResp:
      if (m.entries.length !== 1) {
        r.logger.error(`${r.id} invalid format of MsgReadIndexResp from ${m.from}, entries count: ${m.entries.length}`);
        return;
      }
      r.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
      return;
  }
}

/** assertConfStatesEquivalent throws if two ConfStates describe different memberships. */
function assertConfStatesEquivalent(a: ConfState, b: ConfState): void {
  const norm = (ids: readonly bigint[]): string => [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join(",");
  const same =
    norm(a.voters) === norm(b.voters) &&
    norm(a.learners) === norm(b.learners) &&
    norm(a.votersOutgoing) === norm(b.votersOutgoing) &&
    norm(a.learnersNext) === norm(b.learnersNext) &&
    a.autoLeave === b.autoLeave;
  if (!same) throw new Error(`raft: ConfStates not equivalent after sorting: ${norm(a.voters)} vs ${norm(b.voters)}`);
}
