/**
 * Status: a read-only snapshot of a node's state for monitoring and tests (etcd's /metrics and
 * `etcdctl endpoint status` build on it). Copies, never live references.
 */
import type { ProgressState } from "./tracker/Progress.js";
import type { ConfState, HardState, NodeId, SoftState } from "./types.js";

/** ProgressStatus is a copy of one follower's replication progress. */
export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
  recentActive: boolean;
  paused: boolean;
  pendingSnapshot: number;
  inflight: number;
}

/** Status describes a node: identity, persistent and volatile state, configuration and (on a leader) progress. */
export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  /** config is the active membership. */
  config: ConfState;
  /** progress of every member; only present on the leader. */
  progress?: Map<NodeId, ProgressStatus>;
  /** leadTransferee is the target of an ongoing leader transfer (0n if none). */
  leadTransferee: NodeId;
}
