/**
 * Joint quorum math: during a membership change raft decides with two majority configs at
 * once (incoming and outgoing); a decision needs a majority in both. With an empty outgoing
 * config this degenerates to the incoming majority.
 */
import type { NodeId } from "../types.js";
import type { AckedIndexer, MajorityConfig } from "./MajorityConfig.js";
import { majorityCommittedIndex, majorityConfigString, majorityVoteResult } from "./MajorityConfig.js";
import { VoteResult } from "./VoteResult.js";

/** JointConfig is [incoming, outgoing]; outgoing is empty outside of joint consensus. */
export type JointConfig = [incoming: MajorityConfig, outgoing: MajorityConfig];

/** jointIds returns the union of both halves. */
export function jointIds(c: JointConfig): Set<NodeId> {
  const ids = new Set<NodeId>(c[0]);
  for (const id of c[1]) ids.add(id);
  return ids;
}

/** jointCommittedIndex is the largest index committed in both halves. */
export function jointCommittedIndex(c: JointConfig, acked: AckedIndexer): number {
  const i = majorityCommittedIndex(c[0], acked);
  if (c[1].size === 0) return i;
  return Math.min(i, majorityCommittedIndex(c[1], acked));
}

/** jointVoteResult: won if both halves won, lost if either lost, else pending. */
export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const r1 = majorityVoteResult(c[0], votes);
  const r2 = majorityVoteResult(c[1], votes);
  if (r1 === r2) return r1;
  if (r1 === VoteResult.VoteLost || r2 === VoteResult.VoteLost) return VoteResult.VoteLost;
  return VoteResult.VotePending;
}

/** jointConfigString renders "(1 2 3)&&(1 2)" or "(1 2 3)". */
export function jointConfigString(c: JointConfig): string {
  const s = majorityConfigString(c[0]);
  return c[1].size === 0 ? s : `${s}&&${majorityConfigString(c[1])}`;
}
