/**
 * A saved snapshot file, as `etcdctl snapshot save` writes it from our server's stream: the
 * backend's data file (LMDB) followed by the SHA-256 of those bytes (32 bytes), which the
 * server sends last. As etcd decides it, a file has the checksum when its size is 32 more
 * than a multiple of 512.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/** SnapshotFile is a snapshot file read and checked. */
export interface SnapshotFile {
  /** db is the backend data file's bytes (without the checksum). */
  readonly db: Uint8Array;
  /** hasHash tells whether the file carried its checksum. */
  readonly hasHash: boolean;
  readonly size: number;
}

/** readSnapshotFile reads a snapshot file; with `verify` its checksum must be present and right. */
export async function readSnapshotFile(path: string, verify: boolean): Promise<SnapshotFile> {
  const bytes = new Uint8Array(await readFile(path));
  const hasHash = bytes.length % 512 === 32;
  const db = hasHash ? bytes.subarray(0, bytes.length - 32) : bytes;
  if (verify) {
    if (!hasHash) throw new Error("snapshot missing hash but --skip-hash-check=false");
    const expected = Buffer.from(bytes.subarray(bytes.length - 32));
    const actual = createHash("sha256").update(db).digest();
    if (!actual.equals(expected)) throw new Error(`expected sha256 [${[...expected].join(" ")}], got [${[...actual].join(" ")}]`);
  }
  return { db, hasHash, size: bytes.length };
}
