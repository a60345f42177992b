/**
 * Majority quorum math: the committed index and the vote result of a simple majority
 * configuration. Pure functions over a set of voter IDs; they know nothing of raft's state.
 */
import type { NodeId } from "../types.js";
import { VoteResult } from "./VoteResult.js";

/** MajorityConfig is a set of voters; a majority of them forms a quorum. */
export type MajorityConfig = Set<NodeId>;

/** AckedIndexer returns the highest index a voter is known to have stored, if known. */
export type AckedIndexer = (id: NodeId) => number | undefined;

// Reused scratch space: committedIndex is on the hot path of every append response.
let scratch: number[] = new Array<number>(16).fill(0);

/**
 * majorityCommittedIndex returns the largest index acknowledged by a majority of `voters`.
 * An empty configuration returns Infinity, so that it never constrains a joint config.
 */
export function majorityCommittedIndex(voters: MajorityConfig, acked: AckedIndexer): number {
  const n = voters.size;
  if (n === 0) return Infinity;
  if (scratch.length < n) scratch = new Array<number>(n).fill(0);
  const srt = scratch;
  let i = 0;
  for (const id of voters) {
    const v = acked(id) ?? 0;
    // Insertion sort, descending: n is tiny.
    let j = i;
    while (j > 0 && srt[j - 1]! < v) {
      srt[j] = srt[j - 1]!;
      j--;
    }
    srt[j] = v;
    i++;
  }
  // The (n/2 + 1)-th largest value is stored by a majority.
  return srt[Math.floor(n / 2)]!;
}

/** majorityVoteResult counts `votes` (true = granted) over `voters`. Empty configs win. */
export function majorityVoteResult(voters: MajorityConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.VoteWon;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return VoteResult.VoteWon;
  if (granted + missing >= q) return VoteResult.VotePending;
  return VoteResult.VoteLost;
}

/** majorityConfigString renders voters as "(1 2 3)", sorted. */
export function majorityConfigString(voters: MajorityConfig): string {
  const ids = [...voters].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `(${ids.join(" ")})`;
}
