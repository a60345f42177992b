/**
 * @etcd-ts/mvcc — etcd's revisioned key-value store on LMDB, run in a worker thread.
 *
 * The server uses {@link openEngine} (the async, batched {@link MvccEngine} API) and a
 * {@link WatchableStore} fed by it. The synchronous layers below ({@link KVStore},
 * {@link Applier}, {@link TreeIndex}, {@link Backend}) are exported for tools and tests.
 * Errors are {@link MvccError}s; `toApiError()` gives the client-facing `@etcd-ts/api` one.
 *
 * @packageDocumentation
 */
export { openEngine, LocalEngine, WorkerEngine } from "./MvccEngine.js";
export type { MvccEngine, OpenEngineOptions } from "./MvccEngine.js";
export { EngineCore } from "./EngineCore.js";
export { encodeRange } from "./EncodedRange.js";
export type { EncodedRange } from "./EncodedRange.js";
export type { ApplyBatch, ApplyOp, ApplyResponse, ApplyResult, BucketEntry, BucketWrite, EngineOptions, EngineStatus, OpResult } from "./EngineCore.js";
export { PROGRESS_ALL_WATCH_ID, WatchableStore, WatchStream } from "./WatchableStore.js";
export type { EventsPage, WatchFilter, WatchOptions, WatchResponse, WatchSource, WatchableStoreOptions } from "./WatchableStore.js";
export { Applier, applyDeleteRange, applyPut, applyRange, checkTxnRequest, isTxnReadonly } from "./Applier.js";
export type { ApplierOptions, LeaseChecker, WriteResult } from "./Applier.js";
export { KVStore } from "./KVStore.js";
export type { HashResult, KVStoreOptions, RangeOptions, RangeResult, TxnRead, TxnWrite, WriteOptions } from "./KVStore.js";
export { Compaction } from "./Compactor.js";
export { Backend, DATA_FILE, MetaKey, lmdbEnvOptions } from "./Backend.js";
export type { BackendDatabase, BackendMode, BackendOptions, DefragResult } from "./Backend.js";
export { nodeDurableFiles, replaceDurably } from "./DurableFiles.js";
export type { DurableFiles } from "./DurableFiles.js";
export { TreeIndex, UNBOUNDED } from "./TreeIndex.js";
export type { IndexRangeResult } from "./TreeIndex.js";
export { RevisionNotFoundError } from "./KeyIndex.js";
export type { KeyHistory, KeyRevision } from "./KeyIndex.js";
export {
  MARKED_REVISION_KEY_LENGTH,
  REVISION_KEY_LENGTH,
  TOMBSTONE_MARK,
  compareRevisions,
  decodeUint64,
  encodeUint64,
  isTombstoneKey,
  parseRevisionKey,
  revisionKey,
  revisionKeyMain,
  revisionKeySub,
} from "./Revision.js";
export type { Revision } from "./Revision.js";
export { DEFAULT_QUOTA_BYTES, LEASE_OVERHEAD, MAX_QUOTA_BYTES, Quota, costPut, costTxn } from "./Quota.js";
export { MvccError, isMvccError, mvccErrorFromKind } from "./errors.js";
export type { MvccErrorKind } from "./errors.js";
