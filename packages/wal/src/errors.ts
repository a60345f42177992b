/**
 * The errors the WAL and the snapshotter raise. Each names what a person needs to act:
 * the file, the byte offset, the process holding a lock.
 */

/** WalError is the base of every WAL error. */
export class WalError extends Error {
  override name = "WalError";
}

/** WalCorruptError: a record failed its checksum or framing where a torn tail is impossible. */
export class WalCorruptError extends WalError {
  override name = "WalCorruptError";
  constructor(
    /** file is the path of the segment holding the bad record. */
    readonly file: string,
    /** offset is the byte offset of the bad record in that file. */
    readonly offset: number,
    /** reason says what is wrong with it. */
    readonly reason: string,
  ) {
    super(`wal: corrupt record in ${file} at offset ${offset}: ${reason}`);
  }
}

/** WalLockedError: another process (or another open in this one) holds the WAL. */
export class WalLockedError extends WalError {
  override name = "WalLockedError";
  constructor(readonly dir: string, readonly holderPid: number) {
    super(`wal: ${dir} is locked by process ${holderPid}`);
  }
}

/** WalExistsError: create() was asked to make a WAL where one already is. */
export class WalExistsError extends WalError {
  override name = "WalExistsError";
  constructor(readonly dir: string) {
    super(`wal: a write-ahead log already exists in ${dir}`);
  }
}

/** WalNotFoundError: open() found no segment files. */
export class WalNotFoundError extends WalError {
  override name = "WalNotFoundError";
  constructor(readonly dir: string) {
    super(`wal: no write-ahead log segments in ${dir}`);
  }
}

/** SnapshotNotFoundError: the WAL holds no snapshot marker matching the snapshot to open from. */
export class SnapshotNotFoundError extends WalError {
  override name = "SnapshotNotFoundError";
  constructor(readonly index: number, readonly term: number) {
    super(`wal: snapshot marker (index ${index}, term ${term}) not found`);
  }
}

/** SnapError: a snapshot file problem (none found, or every candidate corrupt). */
export class SnapError extends Error {
  override name = "SnapError";
}
