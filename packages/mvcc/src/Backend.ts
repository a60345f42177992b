/**
 * Backend: the LMDB environment that holds all of a member's state.
 *
 * One environment (a directory with `data.mdb` and its lock file) with named databases,
 * etcd's buckets:
 *  - `key`: every revision of every key, keyed by revision key (see `Revision.ts`), values
 *    are encoded `mvccpb.KeyValue`s (a deletion stores a KeyValue with only the key);
 *  - `meta`: `consistent_index` and `term` (8 bytes big-endian each), written in the same
 *    LMDB transaction as the data they cover, and `scheduledCompactRev` /
 *    `finishedCompactRev` (revision keys);
 *  - room for the other stores: {@link Backend.bucket} opens `lease`, `auth`, `members`,
 *    `alarm`, ... in the same environment, so their writes can share a transaction.
 *
 * Durability: the environment is never opened in a mode a system crash can corrupt. By
 * default it runs with LMDB's NOMETASYNC: each commit fdatasyncs its data pages, and the
 * meta page that makes it current reaches the disk with the next commit or {@link
 * Backend.sync}. A power cut then leaves the environment intact at its last or
 * second-to-last commit, never torn (LMDB's NOSYNC, used before, could leave a meta page
 * pointing at pages that never reached the disk, which no WAL replay repairs). The WAL
 * replays what the lost commit held, from the stored consistent index on. `sync: true`
 * syncs the meta page too on every commit. Call {@link Backend.sync} before dropping
 * anything (WAL segments, snapshots) that covers the latest commits. Whole-file
 * replacements (defrag, an installed snapshot) fsync the new file and its directory.
 *
 * Sizes: {@link Backend.size} is the high-water mark of the data file (what the quota
 * checks, like bbolt's file size), {@link Backend.sizeInUse} the pages holding data.
 * LMDB reuses freed pages but never shrinks the file: {@link Backend.defrag} does.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { open } from "lmdb";
import type { Database, RootDatabase } from "lmdb";
import { nodeDurableFiles, replaceDurably, type DurableFiles } from "./DurableFiles.js";

/** BackendOptions configures {@link Backend.open}. */
export interface BackendOptions {
  /** sync makes every commit sync its meta page too (default false: see {@link BackendMode}). */
  readonly sync?: boolean;
  /** files are the file operations of whole-file replacements (default: node:fs). */
  readonly files?: DurableFiles;
  /** mapSize is the initial LMDB map size in bytes (it grows on demand). */
  readonly mapSize?: number;
}

/** BackendDatabase is a named LMDB database with binary keys and values. */
export type BackendDatabase = Database<Buffer, Buffer>;

/** DATA_FILE is the name of the LMDB data file inside a backend directory. */
export const DATA_FILE = "data.mdb";

/** Names of etcd's meta keys and buckets. */
export const MetaKey = {
  consistentIndex: Buffer.from("consistent_index"),
  term: Buffer.from("term"),
  scheduledCompactRev: Buffer.from("scheduledCompactRev"),
  finishedCompactRev: Buffer.from("finishedCompactRev"),
} as const;

/**
 * BackendMode is how commits reach the disk; both survive a system crash intact:
 *  - `meta-async` (the default): data pages fdatasynced per commit, the meta page with the
 *    next commit (LMDB NOMETASYNC) — a power cut may undo the last commit;
 *  - `sync`: data and meta synced per commit.
 */
export type BackendMode = "meta-async" | "sync";

/** lmdbEnvOptions are the LMDB flags for a mode (exported for the test that pins them). */
export function lmdbEnvOptions(mode: BackendMode): { noSync: false; noMetaSync: boolean; overlappingSync: false } {
  // overlappingSync is lmdb-js's default on Linux; it is turned off because its flush runs
  // inside the committing thread anyway, and it measured slower here than NOMETASYNC.
  return { noSync: false, noMetaSync: mode === "meta-async", overlappingSync: false };
}

/** Backend wraps one LMDB environment; see the module comment. */
export class Backend {
  /** dir is the environment's directory. */
  readonly dir: string;
  private env: RootDatabase<Buffer, Buffer>;
  private readonly options: BackendOptions;
  /** mode is how commits reach the disk. */
  readonly mode: BackendMode;
  private readonly files: DurableFiles;
  private readonly buckets = new Map<string, BackendDatabase>();
  private inTransaction = false;
  private closed = false;

  private constructor(dir: string, options: BackendOptions) {
    this.dir = dir;
    this.options = options;
    this.mode = options.sync === true ? "sync" : "meta-async";
    this.files = options.files ?? nodeDurableFiles;
    this.env = Backend.openEnv(dir, this.mode, options);
  }

  /** open opens (creating if needed) the backend in directory dir. */
  static open(dir: string, options: BackendOptions = {}): Backend {
    mkdirSync(dir, { recursive: true });
    return new Backend(dir, options);
  }

  private static openEnv(dir: string, mode: BackendMode, options: BackendOptions): RootDatabase<Buffer, Buffer> {
    return open<Buffer, Buffer>({
      path: join(dir, DATA_FILE),
      noSubdir: true,
      maxDbs: 32,
      ...lmdbEnvOptions(mode),
      keyEncoding: "binary",
      encoding: "binary",
      ...(options.mapSize !== undefined ? { mapSize: options.mapSize } : {}),
    });
  }

  /** revisions is the `key` bucket: revision key → encoded KeyValue. */
  get revisions(): BackendDatabase {
    return this.bucket("key");
  }

  /** meta is the `meta` bucket. */
  get meta(): BackendDatabase {
    return this.bucket("meta");
  }

  /** bucket opens (once) the named database in this environment. */
  bucket(name: string): BackendDatabase {
    let db = this.buckets.get(name);
    if (db === undefined) {
      db = this.env.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" });
      this.buckets.set(name, db);
    }
    return db;
  }

  /**
   * transact runs fn inside one LMDB write transaction and commits it when fn returns
   * (aborts if it throws). Reads inside fn see its writes. Nested calls join the outer
   * transaction.
   */
  transact<T>(fn: () => T): T {
    if (this.closed) throw new Error("mvcc: backend closed");
    if (this.inTransaction) return fn();
    this.inTransaction = true;
    try {
      return this.env.transactionSync(fn);
    } finally {
      this.inTransaction = false;
    }
  }

  /** get reads one value from a bucket (inside or outside a transaction). */
  get(db: BackendDatabase, key: Buffer): Buffer | undefined {
    return db.get(key);
  }

  /** put writes one value; call inside {@link transact} to share a commit. */
  put(db: BackendDatabase, key: Buffer, value: Uint8Array): void {
    db.putSync(key, value as Buffer);
  }

  /** sync makes every commit so far durable, meta page included, whatever the mode. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.env as unknown as { sync(cb: (error?: Error) => void): void }).sync((error) => (error ? reject(error) : resolve()));
    });
  }

  /** entries lists a bucket's key/value pairs in key order (copies, safe to keep). */
  entries(db: BackendDatabase): { key: Uint8Array; value: Uint8Array }[] {
    const out: { key: Uint8Array; value: Uint8Array }[] = [];
    for (const { key, value } of db.getRange({})) out.push({ key: Uint8Array.from(key), value: Uint8Array.from(value) });
    return out;
  }

  /** remove deletes one key; call inside {@link transact} to share a commit. */
  remove(db: BackendDatabase, key: Buffer): void {
    db.removeSync(key);
  }

  /** pageSize is the LMDB page size in bytes. */
  get pageSize(): number {
    return (this.env.getStats() as { pageSize: number }).pageSize;
  }

  /** size is the data file's high-water mark in bytes (what the quota checks). */
  size(): number {
    const stats = this.env.getStats() as { pageSize: number; lastPageNumber: number };
    return (stats.lastPageNumber + 1) * stats.pageSize;
  }

  /** sizeInUse is the bytes of pages holding data (size minus free pages, approximately). */
  sizeInUse(): number {
    const root = this.env.getStats() as PageStats & { pageSize: number };
    let pages = 2 + pagesOf(root); // two meta pages + the main DB (the catalogue)
    for (const db of this.buckets.values()) pages += pagesOf(db.getStats() as PageStats);
    return pages * root.pageSize;
  }

  /**
   * snapshot writes a consistent copy of the whole environment to the file `toFile` (a
   * data file that {@link Backend.open} can use when placed as `<dir>/data.mdb`), from a
   * read transaction: writes may continue meanwhile. `compact` drops free pages.
   */
  async snapshot(toFile: string, compact = true): Promise<void> {
    if (existsSync(toFile)) rmSync(toFile);
    await this.env.backup(toFile, compact);
  }

  /**
   * defrag rewrites the environment without free pages and swaps it in place. No write may
   * run meanwhile (the caller holds writes off); reads must not hold old values. Returns
   * the sizes before and after. A crash at any point leaves the old or the new file whole:
   * the copy is fsynced before it is renamed over the old one, the directory after.
   */
  async defrag(): Promise<DefragResult> {
    const before = { size: this.size(), sizeInUse: this.sizeInUse() };
    const file = join(this.dir, DATA_FILE);
    const tmp = join(this.dir, "defrag.mdb");
    await this.snapshot(tmp, true);
    await this.env.close();
    this.buckets.clear();
    replaceDurably(this.files, tmp, file);
    rmSync(`${tmp}-lock`, { force: true });
    this.env = Backend.openEnv(this.dir, this.mode, this.options);
    const after = { size: this.size(), sizeInUse: this.sizeInUse() };
    return { before, after };
  }

  /** close closes the environment; pending commits are flushed first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.close();
  }
}

interface PageStats {
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

function pagesOf(stats: PageStats): number {
  return stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
}

/** DefragResult reports backend sizes around a defragmentation. */
export interface DefragResult {
  /** before: size and size in use before. */
  readonly before: { readonly size: number; readonly sizeInUse: number };
  /** after: size and size in use after. */
  readonly after: { readonly size: number; readonly sizeInUse: number };
}
