/**
 * Config: the parameters of one raft node, and their validation and defaults. Times are in
 * ticks: the application calls `tick()` at its own pace (etcd: every 100 ms by default).
 */
import { ErrConfig } from "./errors.js";
import { NO_LIMIT } from "./internal/util.js";
import type { Logger } from "./Logger.js";
import { ReadOnlyOption } from "./ReadOnly.js";
import type { Storage } from "./Storage.js";
import type { NodeId } from "./types.js";

/** Config configures a raft node. Only `id`, `electionTick`, `heartbeatTick` and `storage` are required. */
export interface Config {
  /** id of this node; not 0. */
  id: NodeId;
  /**
   * electionTick: a follower that hears nothing from a leader for a randomized
   * [electionTick, 2*electionTick) ticks starts an election. Must exceed heartbeatTick
   * (etcd suggests 10 * heartbeatTick).
   */
  electionTick: number;
  /** heartbeatTick: a leader sends heartbeats every heartbeatTick ticks. */
  heartbeatTick: number;
  /** storage holds the persisted log; raft reads entries, terms and snapshots from it. */
  storage: Storage;
  /**
   * applied: the last index the application applied before a restart; committed entries up
   * to it are not returned again. 0 (default) on a fresh node.
   */
  applied?: number;
  /** maxSizePerMsg: the most bytes of entries per MsgApp (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** maxCommittedSizePerReady: the most bytes of committed entries per Ready. Default: maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /**
   * maxUncommittedEntriesSize: a leader drops proposals once this many payload bytes are
   * uncommitted in its log (0 = no limit, the default). Protects memory when followers lag.
   */
  maxUncommittedEntriesSize?: number;
  /** maxInflightMsgs: the most MsgApps in flight to one follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** maxInflightBytes: the most payload bytes in flight to one follower (0 = no limit, default). */
  maxInflightBytes?: number;
  /** checkQuorum: a leader steps down if it did not hear from a quorum within an election timeout. */
  checkQuorum?: boolean;
  /** preVote: run a pre-election before bumping the term, so a rejoining node cannot disrupt. */
  preVote?: boolean;
  /** readOnlyOption: how ReadIndex confirms leadership (ReadOnlySafe by default; lease-based needs checkQuorum). */
  readOnlyOption?: ReadOnlyOption;
  /** disableProposalForwarding: followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** random: the randomness source for election timeouts, floats in [0, 1). Default: a PRNG seeded with the id. */
  random?: () => number;
  /** logger receives raft's log lines. Default: discard. */
  logger?: Logger;
}

/** ResolvedConfig is a validated Config with every default filled in. */
export interface ResolvedConfig {
  id: NodeId;
  electionTick: number;
  heartbeatTick: number;
  storage: Storage;
  applied: number;
  maxSizePerMsg: number;
  maxCommittedSizePerReady: number;
  maxUncommittedEntriesSize: number;
  maxInflightMsgs: number;
  maxInflightBytes: number;
  checkQuorum: boolean;
  preVote: boolean;
  readOnlyOption: ReadOnlyOption;
  disableProposalForwarding: boolean;
  random: (() => number) | undefined;
  logger: Logger | undefined;
}

/** validateConfig checks a Config and fills in defaults; it throws ErrConfig on invalid input. */
export function validateConfig(c: Config): ResolvedConfig {
  if (c.id === 0n) throw new ErrConfig("cannot use none as id");
  if (!(c.heartbeatTick > 0)) throw new ErrConfig("heartbeat tick must be greater than 0");
  if (!(c.electionTick > c.heartbeatTick)) throw new ErrConfig("election tick must be greater than heartbeat tick");
  const maxSizePerMsg = c.maxSizePerMsg ?? 1024 * 1024;
  const maxInflightMsgs = c.maxInflightMsgs ?? 256;
  if (!(maxInflightMsgs > 0)) throw new ErrConfig("max inflight messages must be greater than 0");
  const maxInflightBytes = c.maxInflightBytes ?? 0;
  if (maxInflightBytes !== 0 && maxInflightBytes < maxSizePerMsg) {
    throw new ErrConfig("max inflight bytes must be >= max message size");
  }
  const readOnlyOption = c.readOnlyOption ?? ReadOnlyOption.ReadOnlySafe;
  const checkQuorum = c.checkQuorum ?? false;
  if (readOnlyOption === ReadOnlyOption.ReadOnlyLeaseBased && !checkQuorum) {
    throw new ErrConfig("CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased");
  }
  const maxUncommitted = c.maxUncommittedEntriesSize ?? 0;
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    storage: c.storage,
    applied: c.applied ?? 0,
    maxSizePerMsg,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? maxSizePerMsg,
    maxUncommittedEntriesSize: maxUncommitted === 0 ? NO_LIMIT : maxUncommitted,
    maxInflightMsgs,
    maxInflightBytes,
    checkQuorum,
    preVote: c.preVote ?? false,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    random: c.random,
    logger: c.logger,
  };
}
