/**
 * The wire-level data types of raft: entries, messages, hard state, configuration state,
 * snapshots and configuration changes, plus the small helpers that classify them.
 *
 * Number choices (deliberate, and binding on every package that stores or ships these):
 * - Node IDs are `bigint` ({@link NodeId}): etcd members get random 64-bit IDs, which do not
 *   fit a JavaScript number. `0n` ({@link None}) means "no node".
 * - Terms and log indexes are `number`: they grow by one per election or entry and stay far
 *   below 2^53 in any real deployment; plain numbers keep the hot paths fast.
 * - Payloads are `Uint8Array`. Entries and messages are treated as immutable once handed to
 *   raft or returned by it: raft shares them between its log, `Ready` and outgoing messages
 *   without copying.
 *
 * Limits: these are plain interfaces with no validation; {@link ./codec.ts} checks bytes.
 */

/** NodeId is the identity of a raft node: an unsigned 64-bit integer, never 0 for a real node. */
export type NodeId = bigint;

/** None is the placeholder NodeId meaning "no node" (no leader, no vote). */
export const None: NodeId = 0n;

/** EMPTY_BYTES is the shared empty payload; never written to. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** EntryType says how an entry's data is to be interpreted. */
export const EntryType = {
  /** EntryNormal carries application data (or nothing, e.g. a new leader's empty entry). */
  EntryNormal: 0,
  /** EntryConfChange carries an encoded {@link ConfChange}. */
  EntryConfChange: 1,
  /** EntryConfChangeV2 carries an encoded {@link ConfChangeV2}. */
  EntryConfChangeV2: 2,
} as const;
/** EntryType is one of the {@link EntryType} values. */
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** Entry is one record of the replicated log. */
export interface Entry {
  /** term is the leader term in which the entry was proposed. */
  term: number;
  /** index is the entry's position in the log (the first entry ever is 1). */
  index: number;
  /** type says how to read `data`. */
  type: EntryType;
  /** data is the payload; empty for a leader's no-op entry. */
  data: Uint8Array;
}

/** MessageType enumerates every message raft exchanges, local ones included (etcd's numbering). */
export const MessageType = {
  MsgHup: 0,
  MsgBeat: 1,
  MsgProp: 2,
  MsgApp: 3,
  MsgAppResp: 4,
  MsgVote: 5,
  MsgVoteResp: 6,
  MsgSnap: 7,
  MsgHeartbeat: 8,
  MsgHeartbeatResp: 9,
  MsgUnreachable: 10,
  MsgSnapStatus: 11,
  MsgCheckQuorum: 12,
  MsgTransferLeader: 13,
  MsgTimeoutNow: 14,
  MsgReadIndex: 15,
  MsgReadIndexResp: 16,
  MsgPreVote: 17,
  MsgPreVoteResp: 18,
} as const;
/** MessageType is one of the {@link MessageType} values. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const messageTypeNames: readonly string[] = Object.keys(MessageType);

/** messageTypeName returns the name of a message type, e.g. "MsgApp". */
export function messageTypeName(type: MessageType): string {
  return messageTypeNames[type] ?? `MsgUnknown(${type})`;
}

/** ConfState is the membership configuration recorded in snapshots and returned by applyConfChange. */
export interface ConfState {
  /** voters of the incoming (or only) majority config. */
  voters: NodeId[];
  /** learners receive the log but do not vote. */
  learners: NodeId[];
  /** votersOutgoing is the outgoing majority config; non-empty only in a joint config. */
  votersOutgoing: NodeId[];
  /** learnersNext are voters of the outgoing config that become learners on leaving joint. */
  learnersNext: NodeId[];
  /** autoLeave: leave the joint config automatically once it is committed. */
  autoLeave: boolean;
}

/** SnapshotMetadata says which log prefix a snapshot replaces, and the config at that point. */
export interface SnapshotMetadata {
  confState: ConfState;
  /** index of the last entry the snapshot covers. */
  index: number;
  /** term of that entry. */
  term: number;
}

/** Snapshot is a point-in-time image of the application state plus its metadata. */
export interface Snapshot {
  /** data is the application's opaque state image. */
  data: Uint8Array;
  metadata: SnapshotMetadata;
}

/** Message is what raft nodes send each other (and what the application feeds in). */
export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  /** term of the sender; 0 for local messages (MsgHup, MsgProp from the application, ...). */
  term: number;
  /** logTerm: term of the entry at `index` (MsgApp), of the candidate's last entry (votes), or the reject hint's term. */
  logTerm: number;
  /** index: entry before `entries` (MsgApp), last index (votes), acked index (MsgAppResp), read index. */
  index: number;
  entries: Entry[];
  /** commit: the sender's commit index (MsgApp, MsgHeartbeat). */
  commit: number;
  /** snapshot: present on MsgSnap only. */
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  /** context: opaque bytes (campaign transfer marker, read-index context on heartbeats). */
  context: Uint8Array;
}

/** HardState is the state raft must persist before acting on it: term, vote and commit index. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** ConfChangeType is the kind of a single membership change. */
export const ConfChangeType = {
  ConfChangeAddNode: 0,
  ConfChangeRemoveNode: 1,
  ConfChangeUpdateNode: 2,
  ConfChangeAddLearnerNode: 3,
} as const;
/** ConfChangeType is one of the {@link ConfChangeType} values. */
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

/** ConfChange is a single-node membership change (the original, V1 form). */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** context: opaque application data (etcd puts the member's attributes here). */
  context: Uint8Array;
  /** id: an application-chosen request ID (0n if unused). */
  id: bigint;
}

/** ConfChangeSingle is one change inside a {@link ConfChangeV2}. */
export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

/** ConfChangeTransition says how a V2 change moves through joint consensus. */
export const ConfChangeTransition = {
  /** ConfChangeTransitionAuto: simple if possible, else joint with automatic leave. */
  ConfChangeTransitionAuto: 0,
  /** ConfChangeTransitionJointImplicit: always joint; leave automatically. */
  ConfChangeTransitionJointImplicit: 1,
  /** ConfChangeTransitionJointExplicit: always joint; the application proposes the leave. */
  ConfChangeTransitionJointExplicit: 2,
} as const;
/** ConfChangeTransition is one of the {@link ConfChangeTransition} values. */
export type ConfChangeTransition = (typeof ConfChangeTransition)[keyof typeof ConfChangeTransition];

/** ConfChangeV2 is a (possibly multi-node) membership change; with no changes it means "leave joint". */
export interface ConfChangeV2 {
  transition: ConfChangeTransition;
  changes: ConfChangeSingle[];
  context: Uint8Array;
}

/** StateType is the role of a raft node. */
export const StateType = {
  StateFollower: 0,
  StateCandidate: 1,
  StateLeader: 2,
  StatePreCandidate: 3,
} as const;
/** StateType is one of the {@link StateType} values. */
export type StateType = (typeof StateType)[keyof typeof StateType];

/** stateTypeName returns the name of a role, e.g. "StateLeader". */
export function stateTypeName(state: StateType): string {
  return Object.keys(StateType)[state] ?? `StateUnknown(${state})`;
}

/** SoftState is volatile state that need not be persisted: who leads and our role. */
export interface SoftState {
  lead: NodeId;
  raftState: StateType;
}

/** ReadState answers a readIndex request: once applied >= index, reads for requestCtx are linearizable. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/** emptyHardState returns a fresh zero HardState. */
export function emptyHardState(): HardState {
  return { term: 0, vote: None, commit: 0 };
}

/** isEmptyHardState reports whether a HardState is all zeros. */
export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === None && hs.commit === 0;
}

/** hardStateEqual compares two HardStates field by field. */
export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** emptyConfState returns a ConfState with no members. */
export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** emptySnapshot returns the zero snapshot (index 0, term 0, no members, no data). */
export function emptySnapshot(): Snapshot {
  return { data: EMPTY_BYTES, metadata: { confState: emptyConfState(), index: 0, term: 0 } };
}

/** isEmptySnapshot reports whether a snapshot is the zero snapshot (index 0). */
export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** newEntry builds an entry; unspecified fields are zero / normal / empty. */
export function newEntry(fields: Partial<Entry> = {}): Entry {
  return {
    term: fields.term ?? 0,
    index: fields.index ?? 0,
    type: fields.type ?? EntryType.EntryNormal,
    data: fields.data ?? EMPTY_BYTES,
  };
}

/** newMessage builds a message with every field present; unspecified fields are zero / empty. */
export function newMessage(fields: Partial<Message> & { type: MessageType }): Message {
  const m: Message = {
    type: fields.type,
    to: fields.to ?? None,
    from: fields.from ?? None,
    term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? [],
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? EMPTY_BYTES,
  };
  if (fields.snapshot !== undefined) m.snapshot = fields.snapshot;
  return m;
}

/** isLocalMsg reports whether a message type is only ever generated locally (never from the network). */
export function isLocalMsg(type: MessageType): boolean {
  return (
    type === MessageType.MsgHup ||
    type === MessageType.MsgBeat ||
    type === MessageType.MsgUnreachable ||
    type === MessageType.MsgSnapStatus ||
    type === MessageType.MsgCheckQuorum
  );
}

/** isResponseMsg reports whether a message type answers an earlier request. */
export function isResponseMsg(type: MessageType): boolean {
  return (
    type === MessageType.MsgAppResp ||
    type === MessageType.MsgVoteResp ||
    type === MessageType.MsgHeartbeatResp ||
    type === MessageType.MsgUnreachable ||
    type === MessageType.MsgPreVoteResp
  );
}

/** voteRespMsgType maps MsgVote / MsgPreVote to their response types. */
export function voteRespMsgType(type: MessageType): MessageType {
  if (type === MessageType.MsgVote) return MessageType.MsgVoteResp;
  if (type === MessageType.MsgPreVote) return MessageType.MsgPreVoteResp;
  throw new Error(`raft: not a vote message: ${messageTypeName(type)}`);
}

/** confChangeToV2 converts a V1 change into the equivalent single-change V2 form. */
export function confChangeToV2(cc: ConfChange): ConfChangeV2 {
  return {
    transition: ConfChangeTransition.ConfChangeTransitionAuto,
    changes: [{ type: cc.type, nodeId: cc.nodeId }],
    context: cc.context,
  };
}

/** isConfChangeV2 tells a V2 change from a V1 change. */
export function isConfChangeV2(cc: ConfChange | ConfChangeV2): cc is ConfChangeV2 {
  return (cc as ConfChangeV2).changes !== undefined;
}

/** asConfChangeV2 returns a V2 change unchanged and converts a V1 change. */
export function asConfChangeV2(cc: ConfChange | ConfChangeV2): ConfChangeV2 {
  return isConfChangeV2(cc) ? cc : confChangeToV2(cc);
}

/**
 * confChangeEnterJoint reports whether a V2 change must use joint consensus and, if so, whether
 * the joint config is left automatically: `undefined` means a simple change.
 */
export function confChangeEnterJoint(cc: ConfChangeV2): { autoLeave: boolean } | undefined {
  if (cc.transition !== ConfChangeTransition.ConfChangeTransitionAuto || cc.changes.length > 1) {
    const autoLeave =
      cc.transition === ConfChangeTransition.ConfChangeTransitionAuto ||
      cc.transition === ConfChangeTransition.ConfChangeTransitionJointImplicit;
    return { autoLeave };
  }
  return undefined;
}

/** confChangeLeaveJoint reports whether a V2 change is the "leave joint config" marker (no changes, auto). */
export function confChangeLeaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === ConfChangeTransition.ConfChangeTransitionAuto && cc.changes.length === 0;
}
