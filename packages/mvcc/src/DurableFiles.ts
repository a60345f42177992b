/**
 * DurableFiles: the few file operations that make a whole-file replacement survive a power
 * cut — fsync the new file, rename it over the old, fsync the directory that holds the name.
 *
 * LMDB syncs its own commits; these are for what happens beside it: defrag swapping in a
 * compacted copy, a snapshot installed as the backend. Without the file fsync a crash can
 * leave the new name pointing at a file whose blocks never reached the disk; without the
 * directory fsync the rename itself may be lost. Injectable so that tests can see the order
 * (sync, rename, sync dir) in which a replacement happens.
 */
import { closeSync, copyFileSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";

/** DurableFiles are the synchronous file operations a durable replacement needs. */
export interface DurableFiles {
  /** syncFile fsyncs the file at path (its data and metadata). */
  syncFile(path: string): void;
  /** rename moves `from` to `to`, replacing `to` atomically. */
  rename(from: string, to: string): void;
  /** syncDir fsyncs a directory, making its entries (a rename, a new file) durable. */
  syncDir(path: string): void;
}

/** nodeDurableFiles are {@link DurableFiles} on node:fs. */
export const nodeDurableFiles: DurableFiles = {
  syncFile: (path) => fsyncPath(path, "r+"),
  rename: (from, to) => renameSync(from, to),
  syncDir: (path) => fsyncPath(path, "r"),
};

function fsyncPath(path: string, flags: "r" | "r+"): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * replaceDurably puts the file `from` at `to`: synced, renamed, its directory synced. A
 * file on another file system is first copied next to `to` (a rename cannot cross devices).
 */
export function replaceDurably(files: DurableFiles, from: string, to: string): void {
  let source = from;
  try {
    files.syncFile(source);
    files.rename(source, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    source = `${to}.incoming`;
    copyFileSync(from, source);
    files.syncFile(source);
    files.rename(source, to);
    rmSync(from, { force: true });
  }
  files.syncDir(dirname(to));
}
