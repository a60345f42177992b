/**
 * Changer: pure configuration transitions. Given the current configuration and progress it
 * computes the next ones for a simple change (one voter at most), entering a joint config,
 * or leaving it — without touching the tracker it was given. raft then switches to the result.
 *
 * Errors (invalid transitions) are thrown as `ConfChangeError`; the inputs stay unchanged.
 */
import { Inflights } from "../tracker/Inflights.js";
import { Progress } from "../tracker/Progress.js";
import type { ProgressMap } from "../tracker/Progress.js";
import { cloneTrackerConfig } from "../tracker/ProgressTracker.js";
import type { TrackerConfig } from "../tracker/ProgressTracker.js";
import type { ConfChangeSingle, NodeId } from "../types.js";
import { ConfChangeType } from "../types.js";

/** ConfChangeError reports a configuration change that is not allowed. */
export class ConfChangeError extends Error {
  constructor(message: string) {
    super(`raft conf change: ${message}`);
    this.name = "ConfChangeError";
  }
}

/** ChangeResult is the configuration and progress map after a change. */
export interface ChangeResult {
  config: TrackerConfig;
  progress: ProgressMap;
}

/** ChangerBase is what a Changer starts from: the current state and log position. */
export interface ChangerBase {
  config: TrackerConfig;
  progress: ProgressMap;
  maxInflight: number;
  maxInflightBytes: number;
  /** lastIndex initializes new members' progress (they are probed from there). */
  lastIndex: number;
}

/** Changer computes configuration transitions from a base state. */
export class Changer {
  /** Creates a changer over `base` (which it never mutates). */
  constructor(private readonly base: ChangerBase) {}

  /** enterJoint applies `ccs` to a copy of the incoming config, keeping the old one as outgoing. */
  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size > 0) throw new ConfChangeError("config is already joint");
    if (config.voters[0].size === 0) {
      // Joint consensus with an empty incoming config would mean "no quorum needed" for it.
      throw new ConfChangeError("can't make a zero-voter config joint");
    }
    config.voters[1] = new Set(config.voters[0]);
    this.apply(config, progress, ccs);
    config.autoLeave = autoLeave;
    return this.checkAndReturn(config, progress);
  }

  /**
   * leaveJoint drops the outgoing config: members only in it are removed, and learnersNext
   * become learners.
   */
  leaveJoint(): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size === 0) throw new ConfChangeError(`can't leave a non-joint config`);
    for (const id of config.learnersNext) {
      config.learners.add(id);
      progress.get(id)!.isLearner = true;
    }
    config.learnersNext = new Set();
    for (const id of config.voters[1]) {
      if (!config.voters[0].has(id) && !config.learners.has(id)) progress.delete(id);
    }
    config.voters[1] = new Set();
    config.autoLeave = false;
    return this.checkAndReturn(config, progress);
  }

  /** simple applies changes that alter at most one voter, outside of a joint config. */
  simple(ccs: readonly ConfChangeSingle[]): ChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size > 0) throw new ConfChangeError("can't apply simple config change in joint config");
    this.apply(config, progress, ccs);
    let changed = 0;
    for (const id of config.voters[0]) if (!this.base.config.voters[0].has(id)) changed++;
    for (const id of this.base.config.voters[0]) if (!config.voters[0].has(id)) changed++;
    if (changed > 1) throw new ConfChangeError("more than one voter changed without entering joint config");
    return this.checkAndReturn(config, progress);
  }

  private apply(config: TrackerConfig, progress: ProgressMap, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      // A zero node ID is a no-op (etcd uses it to carry only a context).
      if (cc.nodeId === 0n) continue;
      switch (cc.type) {
        case ConfChangeType.ConfChangeAddNode:
          this.makeVoter(config, progress, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeAddLearnerNode:
          this.makeLearner(config, progress, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeRemoveNode:
          this.remove(config, progress, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeUpdateNode:
          break;
        default:
          throw new ConfChangeError(`unexpected conf type ${String(cc.type)}`);
      }
    }
    if (config.voters[0].size === 0) throw new ConfChangeError("removed all voters");
  }

  private makeVoter(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (pr === undefined) {
      this.initProgress(config, progress, id, false);
      return;
    }
    pr.isLearner = false;
    config.learners.delete(id);
    config.learnersNext.delete(id);
    config.voters[0].add(id);
  }

  private makeLearner(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (pr === undefined) {
      this.initProgress(config, progress, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Remove any existing voter role in the incoming config, keeping the progress.
    this.remove(config, progress, id);
    progress.set(id, pr);
    // A voter of the outgoing config can only become a learner once the joint config is left.
    if (config.voters[1].has(id)) {
      config.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      config.learners.add(id);
    }
  }

  private remove(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    if (!progress.has(id)) return;
    config.voters[0].delete(id);
    config.learners.delete(id);
    config.learnersNext.delete(id);
    // Still a voter of the outgoing config: keep its progress until the joint config is left.
    if (!config.voters[1].has(id)) progress.delete(id);
  }

  private initProgress(config: TrackerConfig, progress: ProgressMap, id: NodeId, isLearner: boolean): void {
    if (isLearner) config.learners.add(id);
    else config.voters[0].add(id);
    // Match 0 and next = lastIndex: the new member is probed from our last entry and
    // fast backtracking (or a snapshot) finds its real position.
    const pr = new Progress(
      0,
      Math.max(this.base.lastIndex, 1),
      new Inflights(this.base.maxInflight, this.base.maxInflightBytes),
      isLearner,
    );
    // A new member counts as active: otherwise CheckQuorum could depose the leader right after
    // a change, before the new member had a chance to answer.
    pr.recentActive = true;
    progress.set(id, pr);
  }

  private checkAndCopy(): ChangeResult {
    const config = cloneTrackerConfig(this.base.config);
    const progress: ProgressMap = new Map();
    for (const [id, pr] of this.base.progress) progress.set(id, pr.clone());
    checkInvariants(config, progress);
    return { config, progress };
  }

  private checkAndReturn(config: TrackerConfig, progress: ProgressMap): ChangeResult {
    checkInvariants(config, progress);
    return { config, progress };
  }
}

/** checkInvariants throws if a configuration and its progress map are inconsistent. */
export function checkInvariants(config: TrackerConfig, progress: ProgressMap): void {
  for (const set of [config.voters[0], config.voters[1], config.learners, config.learnersNext]) {
    for (const id of set) {
      if (!progress.has(id)) throw new ConfChangeError(`no progress for ${id}`);
    }
  }
  for (const id of config.learnersNext) {
    if (!config.voters[1].has(id)) throw new ConfChangeError(`${id} is in LearnersNext, but not Voters[1]`);
    if (progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is in LearnersNext, but is already marked as learner`);
  }
  for (const id of config.learners) {
    if (config.voters[1].has(id)) throw new ConfChangeError(`${id} is in Learners and Voters[1]`);
    if (config.voters[0].has(id)) throw new ConfChangeError(`${id} is in Learners and Voters[0]`);
    if (!progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is in Learners, but is not marked as learner`);
  }
  if (config.voters[1].size === 0) {
    if (config.learnersNext.size > 0) throw new ConfChangeError("cfg.LearnersNext must be empty when not joint");
    if (config.autoLeave) throw new ConfChangeError("AutoLeave must be false when not joint");
  }
}
