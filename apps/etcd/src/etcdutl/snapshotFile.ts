/**
 * A saved snapshot file, as `etcdctl snapshot save` writes it from our server's stream: the
 * backend's data file (LMDB) followed by the SHA-256 of those bytes (32 bytes), which the
 * server sends last. As etcd decides it, a file has the checksum when its size is 32 more
 * than a multiple of 512.
 *
 * Files are streamed, never read whole: a multi-gigabyte snapshot costs a 1 MiB buffer.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ByteProgress, type ProgressSink } from "./progress.js";

/** SnapshotFileInfo describes a snapshot file copied out as a bare backend data file. */
export interface SnapshotFileInfo {
  /** hasHash tells whether the file carried its checksum. */
  readonly hasHash: boolean;
  /** size is the whole file's size, checksum included. */
  readonly size: number;
}

/** ExtractOptions tune {@link extractSnapshotFile}. */
export interface ExtractOptions {
  /** verify: the checksum must be present and right (etcd's default; `--skip-hash-check` turns it off). */
  readonly verify: boolean;
  /** progress is where the progress bar goes (default stderr; drawn only on a terminal). */
  readonly progress?: ProgressSink;
}

const CHUNK = 1024 * 1024;

/**
 * extractSnapshotFile copies the backend data file out of the snapshot at `path` into `toFile`
 * (fsynced), hashing as it goes; with `verify` a missing or wrong checksum fails it.
 */
export async function extractSnapshotFile(path: string, toFile: string, options: ExtractOptions): Promise<SnapshotFileInfo> {
  const source = await open(path, "r");
  try {
    const size = (await source.stat()).size;
    const hasHash = size % 512 === 32;
    if (options.verify && !hasHash) throw new Error("snapshot missing hash but --skip-hash-check=false");
    const dbSize = hasHash ? size - 32 : size;
    const digest = createHash("sha256");
    const progress = new ByteProgress(`reading ${path}`, size, options.progress);
    const target = await open(toFile, "w");
    try {
      const buffer = Buffer.allocUnsafe(CHUNK);
      for (let offset = 0; offset < dbSize; ) {
        const { bytesRead } = await source.read(buffer, 0, Math.min(CHUNK, dbSize - offset), offset);
        if (bytesRead === 0) throw new Error(`snapshot file ${path} ended at ${offset} of ${dbSize} bytes`);
        const chunk = buffer.subarray(0, bytesRead);
        digest.update(chunk);
        await target.write(chunk, 0, bytesRead, offset);
        offset += bytesRead;
        progress.update(offset);
      }
      await target.sync();
    } finally {
      await target.close();
    }
    progress.finish();
    if (options.verify) {
      const expected = Buffer.alloc(32);
      await source.read(expected, 0, 32, dbSize);
      const actual = digest.digest();
      if (!actual.equals(expected)) throw new Error(`expected sha256 [${[...expected].join(" ")}], got [${[...actual].join(" ")}]`);
    }
    return { hasHash, size };
  } finally {
    await source.close();
  }
}
