/**
 * ProgressTracker: the active configuration (voters, possibly joint; learners) and the
 * progress of every member, plus the votes of the current election. It answers the quorum
 * questions raft asks: what is committed, who won, is a quorum active.
 */
import { jointCommittedIndex, jointConfigString, jointIds, jointVoteResult } from "../quorum/JointConfig.js";
import type { JointConfig } from "../quorum/JointConfig.js";
import { VoteResult } from "../quorum/VoteResult.js";
import { sortIds } from "../internal/util.js";
import type { ConfState, NodeId } from "../types.js";
import type { ProgressMap } from "./Progress.js";

/** TrackerConfig is a membership configuration (see etcd's tracker.Config for the rules). */
export interface TrackerConfig {
  /** voters: [incoming, outgoing] majority configs. */
  voters: JointConfig;
  /** autoLeave: leave the joint config automatically once possible. */
  autoLeave: boolean;
  /** learners: non-voting members. Never overlaps either voter set. */
  learners: Set<NodeId>;
  /**
   * learnersNext: members that are voters in the outgoing config and become learners when
   * the joint config is left (a voter cannot be a learner at the same time).
   */
  learnersNext: Set<NodeId>;
}

/** emptyTrackerConfig returns a config with no members. */
export function emptyTrackerConfig(): TrackerConfig {
  return { voters: [new Set(), new Set()], autoLeave: false, learners: new Set(), learnersNext: new Set() };
}

/** cloneTrackerConfig deep-copies a config. */
export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: [new Set(c.voters[0]), new Set(c.voters[1])],
    autoLeave: c.autoLeave,
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
  };
}

/** trackerConfigString renders e.g. "voters=(1 2 3)&&(1 2) learners=(4) autoleave". */
export function trackerConfigString(c: TrackerConfig): string {
  let s = `voters=${jointConfigString(c.voters)}`;
  if (c.learners.size > 0) s += ` learners=(${sortIds([...c.learners]).join(" ")})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sortIds([...c.learnersNext]).join(" ")})`;
  if (c.autoLeave) s += " autoleave";
  return s;
}

/** ProgressTracker tracks the configuration, member progress and votes. */
export class ProgressTracker {
  /** config is the active configuration. */
  config: TrackerConfig = emptyTrackerConfig();
  /** progress holds one entry per voter (either half) and learner. */
  progress: ProgressMap = new Map();
  /** votes of the current election (true = granted). */
  votes = new Map<NodeId, boolean>();
  /** maxInflight / maxInflightBytes size new inflight windows. */
  readonly maxInflight: number;
  readonly maxInflightBytes: number;

  private readonly ackedIndexer = (id: NodeId): number | undefined => this.progress.get(id)?.match;

  /** Creates an empty tracker. */
  constructor(maxInflight: number, maxInflightBytes: number) {
    this.maxInflight = maxInflight;
    this.maxInflightBytes = maxInflightBytes;
  }

  /** confState returns the configuration as a ConfState (sorted IDs). */
  confState(): ConfState {
    return {
      voters: sortIds([...this.config.voters[0]]),
      votersOutgoing: sortIds([...this.config.voters[1]]),
      learners: sortIds([...this.config.learners]),
      learnersNext: sortIds([...this.config.learnersNext]),
      autoLeave: this.config.autoLeave,
    };
  }

  /** isSingleton: exactly one voter and not joint. */
  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  /** committed returns the largest index stored by a quorum (Infinity if there are no voters). */
  committed(): number {
    return jointCommittedIndex(this.config.voters, this.ackedIndexer);
  }

  /** visit calls `f` for each member in ascending ID order (deterministic iteration). */
  visit(f: (id: NodeId, pr: NonNullable<ReturnType<ProgressMap["get"]>>) => void): void {
    const ids = sortIds([...this.progress.keys()]);
    for (const id of ids) f(id, this.progress.get(id)!);
  }

  /** quorumActive reports whether a quorum of voters was recently active. */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      votes.set(id, pr.recentActive);
    }
    return jointVoteResult(this.config.voters, votes) === VoteResult.VoteWon;
  }

  /** voterNodes returns all voters (both halves), sorted. */
  voterNodes(): NodeId[] {
    return sortIds([...jointIds(this.config.voters)]);
  }

  /** learnerNodes returns the learners, sorted. */
  learnerNodes(): NodeId[] {
    return sortIds([...this.config.learners]);
  }

  /** isVoter reports whether `id` votes in either half. */
  isVoter(id: NodeId): boolean {
    return this.config.voters[0].has(id) || this.config.voters[1].has(id);
  }

  /** resetVotes forgets the votes of the last election. */
  resetVotes(): void {
    this.votes = new Map();
  }

  /** recordVote records `id`'s vote unless it already voted. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** tallyVotes counts the votes: granted, rejected and the overall result. */
  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }
}
