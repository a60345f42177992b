/**
 * @etcd-ts/wal — the write-ahead log (CRC-chained records in 64 MiB segments) and the raft
 * snapshot files of a member (DESIGN §6), over a file layer (`WalFileSystem`) that tests can
 * replace with the power-cut double of `@etcd-ts/wal/testing`.
 *
 * @packageDocumentation
 */
export { Wal, SEGMENT_SIZE, walSize } from "./Wal.js";
export type { WalContents, WalOptions } from "./Wal.js";
export type { SnapshotMarker, WalMetadata } from "./records.js";
export { RecordType, recordTypeName } from "./RecordType.js";
export { RECORD_HEADER_SIZE, MAX_RECORD_SIZE } from "./RecordCodec.js";
export { parseSegmentName, segmentFileName } from "./SegmentName.js";
export type { SegmentName } from "./SegmentName.js";
export { crc32c, crc32cUpdate } from "./crc32c.js";
export { LOCK_FILE } from "./FileLock.js";
export type { DirLock } from "./FileLock.js";
export { mkdirDurable, nodeFileSystem } from "./FileSystem.js";
export type { OpenFlags, WalFile, WalFileSystem } from "./FileSystem.js";
export {
  SnapError,
  SnapshotNotFoundError,
  WalCorruptError,
  WalError,
  WalExistsError,
  WalLockedError,
  WalNotFoundError,
} from "./errors.js";
export { Snapshotter, snapFileName } from "./Snapshotter.js";
export type { BrokenSnapshot, SnapshotterOptions } from "./Snapshotter.js";
export { inspectWal } from "./inspect.js";
export type { InspectedRecord, WalProblem, WalReport } from "./inspect.js";
