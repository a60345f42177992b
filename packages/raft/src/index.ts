/**
 * @etcd-ts/raft — the Raft consensus state machine: pure, deterministic, no I/O, no timers.
 *
 * Start with {@link RawNode} (the API an application drives), {@link MemoryStorage} and the
 * {@link Ready} contract; the codec (encodeEntry / encodeMessage / ...) is the wire and WAL
 * format shared with @etcd-ts/wal and the peer transport.
 *
 * @packageDocumentation
 */
export { RawNode, SnapshotStatus } from "./RawNode.js";
export type { Peer } from "./RawNode.js";
export { Raft, CampaignType, CAMPAIGN_TRANSFER_CONTEXT } from "./Raft.js";
export type { Config } from "./Config.js";
export type { Ready } from "./Ready.js";
export { readyAllMessages } from "./Ready.js";
export type { Status, ProgressStatus } from "./Status.js";
export type { Storage, InitialState } from "./Storage.js";
export { MemoryStorage } from "./MemoryStorage.js";
export { RaftLog } from "./RaftLog.js";
export { Unstable } from "./Unstable.js";
export { ReadOnlyOption } from "./ReadOnly.js";
export type { Logger } from "./Logger.js";
export { discardLogger } from "./Logger.js";
export {
  RaftError,
  ErrCompacted,
  ErrSnapOutOfDate,
  ErrUnavailable,
  ErrSnapshotTemporarilyUnavailable,
  ErrProposalDropped,
  ErrStepLocalMsg,
  ErrStepPeerNotFound,
  ErrConfig,
} from "./errors.js";
export { Progress, ProgressState } from "./tracker/Progress.js";
export { Inflights } from "./tracker/Inflights.js";
export { ProgressTracker } from "./tracker/ProgressTracker.js";
export type { TrackerConfig } from "./tracker/ProgressTracker.js";
export { VoteResult } from "./quorum/VoteResult.js";
export { majorityCommittedIndex, majorityVoteResult } from "./quorum/MajorityConfig.js";
export type { MajorityConfig, AckedIndexer } from "./quorum/MajorityConfig.js";
export { jointCommittedIndex, jointVoteResult } from "./quorum/JointConfig.js";
export type { JointConfig } from "./quorum/JointConfig.js";
export { Changer, ConfChangeError } from "./confchange/Changer.js";
export { restoreConfig } from "./confchange/restore.js";
export {
  CodecError,
  entrySize,
  encodeEntry,
  decodeEntry,
  encodeMessage,
  decodeMessage,
  encodeHardState,
  decodeHardState,
  encodeConfState,
  decodeConfState,
  encodeSnapshot,
  decodeSnapshot,
  encodeSnapshotMetadata,
  decodeSnapshotMetadata,
  encodeConfChange,
  decodeConfChange,
  encodeConfChangeV2,
  decodeConfChangeV2,
} from "./codec.js";
export {
  None,
  EMPTY_BYTES,
  EntryType,
  MessageType,
  ConfChangeType,
  ConfChangeTransition,
  StateType,
  messageTypeName,
  stateTypeName,
  emptyHardState,
  isEmptyHardState,
  hardStateEqual,
  emptyConfState,
  emptySnapshot,
  isEmptySnapshot,
  newEntry,
  newMessage,
  isLocalMsg,
  isResponseMsg,
  voteRespMsgType,
  confChangeToV2,
  isConfChangeV2,
  asConfChangeV2,
  confChangeEnterJoint,
  confChangeLeaveJoint,
} from "./types.js";
export type {
  NodeId,
  Entry,
  Message,
  HardState,
  ConfState,
  Snapshot,
  SnapshotMetadata,
  ConfChange,
  ConfChangeSingle,
  ConfChangeV2,
  SoftState,
  ReadState,
} from "./types.js";
