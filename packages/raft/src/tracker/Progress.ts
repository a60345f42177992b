/**
 * Progress: the leader's view of one follower — what it has (match), what to send next
 * (next), and how to send it: probing one message at a time, replicating optimistically
 * within the inflight window, or waiting for a snapshot.
 */
import type { Inflights } from "./Inflights.js";

/** ProgressState is the replication mode of one follower. */
export const ProgressState = {
  /** StateProbe: send one append per heartbeat interval until the match point is found. */
  StateProbe: 0,
  /** StateReplicate: stream appends optimistically, bounded by the inflight window. */
  StateReplicate: 1,
  /** StateSnapshot: the follower needs a snapshot; appends are paused until it reports back. */
  StateSnapshot: 2,
} as const;
/** ProgressState is one of the {@link ProgressState} values. */
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

/** progressStateName returns "StateProbe", "StateReplicate" or "StateSnapshot". */
export function progressStateName(s: ProgressState): string {
  return Object.keys(ProgressState)[s] ?? `StateUnknown(${s})`;
}

/** Progress is the replication state of one follower as seen by the leader. */
export class Progress {
  /** match is the highest index known to be stored on the follower. */
  match: number;
  /** next is the index of the next entry to send. Invariant: match < next. */
  next: number;
  /** state is the replication mode. */
  state: ProgressState = ProgressState.StateProbe;
  /** pendingSnapshot is the index of the snapshot being sent in StateSnapshot. */
  pendingSnapshot = 0;
  /** recentActive: heard from since the last CheckQuorum round. */
  recentActive = false;
  /**
   * msgAppFlowPaused: in StateProbe, a probe is out and we wait for its answer; in
   * StateReplicate, the inflight window is full. Heartbeat responses clear it.
   */
  msgAppFlowPaused = false;
  /** inflights is the flow-control window used in StateReplicate. */
  inflights: Inflights;
  /** isLearner: this node receives the log but does not vote. */
  isLearner: boolean;

  /** Creates a progress with the given match/next and window. */
  constructor(match: number, next: number, inflights: Inflights, isLearner: boolean) {
    this.match = match;
    this.next = next;
    this.inflights = inflights;
    this.isLearner = isLearner;
  }

  /** clone returns a copy sharing nothing mutable but the inflight window (like etcd's struct copy). */
  clone(): Progress {
    const p = new Progress(this.match, this.next, this.inflights, this.isLearner);
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.recentActive = this.recentActive;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    return p;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** becomeProbe moves to StateProbe; after a snapshot, next resumes after it. */
  becomeProbe(): void {
    if (this.state === ProgressState.StateSnapshot) {
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState(ProgressState.StateProbe);
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState(ProgressState.StateProbe);
      this.next = this.match + 1;
    }
  }

  /** becomeReplicate moves to StateReplicate with next = match + 1. */
  becomeReplicate(): void {
    this.resetState(ProgressState.StateReplicate);
    this.next = this.match + 1;
  }

  /** becomeSnapshot moves to StateSnapshot waiting for the snapshot at `snapshotIndex`. */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.StateSnapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /**
   * sentEntries updates the progress after a MsgApp with `entries` entries (`bytes` payload)
   * whose last index is next + entries - 1 was sent.
   */
  sentEntries(entries: number, bytes: number): void {
    switch (this.state) {
      case ProgressState.StateReplicate:
        if (entries > 0) {
          const last = this.next + entries - 1;
          this.next = last + 1;
          this.inflights.add(last, bytes);
        }
        // A full window pauses the flow until an acknowledgement (or a heartbeat response,
        // which lets one empty append through: see Raft.maybeSendAppend).
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case ProgressState.StateProbe:
        // Any append in probe state is a probe: wait for its answer (or a heartbeat response).
        this.msgAppFlowPaused = true;
        break;
      default:
        throw new Error(`raft: sending append in unhandled state ${progressStateName(this.state)}`);
    }
  }

  /**
   * maybeUpdate records an acknowledgement up to `n`. Returns false if it was stale (it
   * acknowledged nothing new).
   */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * maybeDecrTo handles a rejected append of index `rejected`: it moves `next` back towards the
   * follower's hint `matchHint`. Returns false if the rejection was stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.StateReplicate) {
      // Stale if the rejected index is already known to match.
      if (rejected <= this.match) return false;
      // Directly fall back to the last known match.
      this.next = this.match + 1;
      return true;
    }
    // In probe state the only relevant rejection is of our last probe.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** isPaused reports whether appends to this follower must wait. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.StateProbe:
        return this.msgAppFlowPaused;
      case ProgressState.StateReplicate:
        return this.msgAppFlowPaused;
      default:
        return true;
    }
  }

  /** toString renders the progress for debugging, e.g. "StateReplicate match=5 next=6". */
  toString(): string {
    let s = `${progressStateName(this.state)} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += " learner";
    if (this.isPaused()) s += " paused";
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += " inactive";
    const n = this.inflights.count();
    if (n > 0) s += ` inflight=${n}`;
    return s;
  }
}

/** ProgressMap maps each member of the configuration to its progress. */
export type ProgressMap = Map<bigint, Progress>;
