/**
 * VoteResult: the outcome of counting votes in a (majority or joint) configuration.
 */

/** VoteResult says whether an election is won, lost, or still open. */
export const VoteResult = {
  /** VotePending: neither enough yes nor enough no votes yet. */
  VotePending: 1,
  /** VoteLost: a quorum can no longer be reached. */
  VoteLost: 2,
  /** VoteWon: a quorum voted yes. */
  VoteWon: 3,
} as const;
/** VoteResult is one of the {@link VoteResult} values. */
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];
