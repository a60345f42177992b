/**
 * Ready: everything a node asks the application to do in one iteration — persist, send,
 * apply — and the contract that orders those steps. This is the contract the WAL and the
 * server's raft loop are written against.
 *
 * The Ready contract, per Ready (in this order):
 * 1. `messages` may be sent at any time after `ready()` returned — before, during or after
 *    persisting. (This is what lets a leader replicate while its own fsync runs: a leader only
 *    counts itself towards a quorum after `advance()`, i.e. once its write is durable.)
 * 2. Persist `snapshot` (if any), then `entries`, then `hardState` (if any) — atomically with
 *    respect to crashes, one fsync when `mustSync` is true.
 * 3. Only then send `messagesAfterPersist`: they acknowledge the state just persisted (append
 *    responses, votes) and must never be sent before it is durable.
 * 4. Apply `committedEntries` in order (they may include entries of this same Ready's
 *    `entries`, hence after step 2). Conf change entries are applied by calling
 *    `applyConfChange` on the node. `readStates` become servable once applied >= their index.
 * 5. Call `advance()` — exactly once per `ready()`, before the next `ready()`.
 *
 * Applying may lag (etcd's server does this): `advance()` may be called before the normal
 * entries of `committedEntries` are applied, as long as they are applied in order and the
 * application tracks its own applied index (for reads and for `Config.applied` on restart).
 * But when `committedEntries` contains a conf change entry, `applyConfChange` must have been
 * called for it before `advance()`: raft treats everything up to the last committed entry as
 * applied at `advance()`, and would otherwise accept the next conf change, or campaign,
 * against a stale configuration.
 *
 * Limits: the classic, synchronous storage mode of etcd's raft (no asynchronous storage
 * writes).
 */
import type { Entry, HardState, Message, ReadState, Snapshot, SoftState } from "./types.js";

/** Ready is one batch of work for the application (see the module comment for the contract). */
export interface Ready {
  /** softState: leader and role, present only when changed since the last Ready. */
  softState?: SoftState;
  /** hardState: term, vote and commit to persist, present only when changed. */
  hardState?: HardState;
  /** readStates: completed ReadIndex requests. */
  readStates: ReadState[];
  /** entries: to append to stable storage before sending messagesAfterPersist. */
  entries: Entry[];
  /** snapshot: to persist (and apply to the state machine) before anything else, if present. */
  snapshot?: Snapshot;
  /** committedEntries: to apply to the state machine, in order, after persisting. */
  committedEntries: Entry[];
  /** messages: may be sent right away (before persisting). */
  messages: Message[];
  /** messagesAfterPersist: must be sent only after entries, hardState and snapshot are durable. */
  messagesAfterPersist: Message[];
  /** mustSync: the writes of this Ready must be synced (fsync) before messagesAfterPersist go out. */
  mustSync: boolean;
}

/** readyAllMessages returns messages followed by messagesAfterPersist (for callers that persist before sending anything). */
export function readyAllMessages(rd: Ready): Message[] {
  return rd.messagesAfterPersist.length === 0 ? rd.messages : rd.messages.concat(rd.messagesAfterPersist);
}
