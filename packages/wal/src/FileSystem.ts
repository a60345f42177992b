/**
 * The file layer under the WAL and the snapshotter: the few calls they make, declared here so
 * that a test can put a disk that loses unsynced writes under them (`@etcd-ts/wal/testing`),
 * and implemented over node:fs by `nodeFileSystem`, the default.
 *
 * What each call promises about durability is the contract the callers are written against,
 * and the one the test double enforces:
 * - `write` reaches the page cache: it survives the process, not the machine;
 * - `fdatasync` / `sync` make a file's content (and size) durable, but not its name;
 * - creating, renaming or removing a name (and `mkdir`) is durable only once the directory
 *   holding the name is synced with `fsyncDir`.
 *
 * The append path (`WalFile.write`, `WalFile.fdatasync`) is callback-style on purpose: the WAL
 * chains libuv's callbacks for every proposal instead of paying a FileHandle promise per step.
 * Not here: buffering, caching, or any policy about when to sync (that is the WAL's contract).
 */
import { fdatasync, write as fsWrite } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { lockDir, type DirLock } from "./FileLock.js";

/** OpenFlags are the open modes the WAL uses, with node:fs's meaning ("wx": create, fail if it exists). */
export type OpenFlags = "r" | "r+" | "w" | "w+" | "wx";

/** WalFile is an open file. Positions are byte offsets from the start of the file. */
export interface WalFile {
  /**
   * write writes `length` bytes of `buffer` from `offset` at `position` and calls back with
   * how many were written (possibly fewer). The bytes are in the page cache, not yet durable.
   */
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: NodeJS.ErrnoException | null, bytesWritten: number) => void,
  ): void;
  /** fdatasync makes the file's content and size durable, then calls back. */
  fdatasync(callback: (error: NodeJS.ErrnoException | null) => void): void;
  /** read reads up to `length` bytes at `position` into `buffer` from `offset`; resolves to the count. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** size is the file's current length in bytes. */
  size(): Promise<number>;
  /** truncate sets the file's length (zeros when it grows); durable after the next sync. */
  truncate(length: number): Promise<void>;
  /** sync is fsync: the content and all of the file's metadata are durable (not its name). */
  sync(): Promise<void>;
  /** close releases the file; it syncs nothing. */
  close(): Promise<void>;
}

/**
 * WalFileSystem is every file-system call the WAL, its segment pipeline, its lock and the
 * snapshotter make. Errors carry node's `code` (ENOENT, EEXIST, ...) as node:fs's do.
 */
export interface WalFileSystem {
  /** open opens (or, for "w", "w+" and "wx", creates) a file. */
  open(path: string, flags: OpenFlags): Promise<WalFile>;
  /** readFile returns a file's whole content. */
  readFile(path: string): Promise<Uint8Array>;
  /** readdir lists the names in a directory (ENOENT if there is none). */
  readdir(path: string): Promise<string[]>;
  /** mkdir creates a directory and any missing parents; resolves to the first one it created, if any. */
  mkdir(path: string): Promise<string | undefined>;
  /** rename moves a file or directory, replacing a file or an empty directory at `to`. */
  rename(from: string, to: string): Promise<void>;
  /** remove deletes a file (or with `recursive`, a directory tree); a missing path is no error. */
  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void>;
  /** size is a file's length in bytes. */
  size(path: string): Promise<number>;
  /** fsyncDir makes the creations, renames and removals of names in a directory durable. */
  fsyncDir(path: string): Promise<void>;
  /** lock takes the exclusive lock of a directory for this process, or throws WalLockedError. */
  lock(dir: string): Promise<DirLock>;
}

/** NodeFile is a WalFile over a node FileHandle; the append path uses its descriptor directly. */
class NodeFile implements WalFile {
  constructor(private readonly handle: FileHandle) {}

  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: NodeJS.ErrnoException | null, bytesWritten: number) => void,
  ): void {
    fsWrite(this.handle.fd, buffer, offset, length, position, callback);
  }

  fdatasync(callback: (error: NodeJS.ErrnoException | null) => void): void {
    fdatasync(this.handle.fd, callback);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(buffer, offset, length, position)).bytesRead;
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** nodeFileSystem is the real file system (node:fs), the default of `Wal` and `Snapshotter`. */
export const nodeFileSystem: WalFileSystem = {
  async open(path, flags) {
    return new NodeFile(await open(path, flags));
  },
  readFile: (path) => readFile(path),
  readdir: (path) => readdir(path),
  mkdir: (path) => mkdir(path, { recursive: true }),
  rename: (from, to) => rename(from, to),
  remove: (path, options) => rm(path, { recursive: options?.recursive ?? false, force: true }),
  size: async (path) => (await stat(path)).size,
  async fsyncDir(path) {
    const handle = await open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  lock: (dir) => lockDir(dir),
};

/** writeFully writes all of `bytes` at `position`, however many calls that takes. */
export function writeFully(file: WalFile, bytes: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const writeFrom = (done: number): void => {
      file.write(bytes, done, bytes.length - done, position + done, (error, written) => {
        if (error) return reject(error);
        if (done + written < bytes.length) return writeFrom(done + written);
        resolve();
      });
    };
    writeFrom(0);
  });
}

/** datasync is `file.fdatasync` as a promise (for the paths that are not the append path). */
export function datasync(file: WalFile): Promise<void> {
  return new Promise((resolve, reject) => file.fdatasync((error) => (error ? reject(error) : resolve())));
}

/**
 * mkdirDurable creates `dir` and any missing parents, then syncs the parent of each directory
 * it created, so that none of them can vanish in a power cut. A directory that already existed
 * is left alone: making an existing name durable is the job of whoever created it.
 */
export async function mkdirDurable(fs: WalFileSystem, dir: string): Promise<void> {
  const first = await fs.mkdir(dir);
  if (first === undefined) return;
  // Every directory from `first` down to `dir` is new, and its name lives in its parent.
  const parents: string[] = [];
  for (let path = resolve(dir); dirname(path) !== path; path = dirname(path)) {
    parents.push(dirname(path));
    if (path === resolve(first)) break;
  }
  for (const parent of parents.reverse()) await fs.fsyncDir(parent);
}
