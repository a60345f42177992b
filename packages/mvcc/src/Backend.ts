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
 * Durability: by default commits are not fsynced (`sync: false`). The server's WAL is the
 * source of truth; after a crash, entries after the stored consistent index are replayed.
 * A commit is atomic either way: after any crash the environment is at some committed
 * transaction, with its consistent index.
 *
 * Sizes: {@link Backend.size} is the high-water mark of the data file (what the quota
 * checks, like bbolt's file size), {@link Backend.sizeInUse} the pages holding data.
 * LMDB reuses freed pages but never shrinks the file: {@link Backend.defrag} does.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { open } from "lmdb";
import type { Database, RootDatabase } from "lmdb";

/** BackendOptions configures {@link Backend.open}. */
export interface BackendOptions {
  /** sync makes every commit fsync before returning (default false: the WAL is the truth). */
  readonly sync?: boolean;
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

/** Backend wraps one LMDB environment; see the module comment. */
export class Backend {
  /** dir is the environment's directory. */
  readonly dir: string;
  private env: RootDatabase<Buffer, Buffer>;
  private readonly options: BackendOptions;
  private readonly buckets = new Map<string, BackendDatabase>();
  private inTransaction = false;
  private closed = false;

  private constructor(dir: string, options: BackendOptions) {
    this.dir = dir;
    this.options = options;
    this.env = Backend.openEnv(dir, options);
  }

  /** open opens (creating if needed) the backend in directory dir. */
  static open(dir: string, options: BackendOptions = {}): Backend {
    mkdirSync(dir, { recursive: true });
    return new Backend(dir, options);
  }

  private static openEnv(dir: string, options: BackendOptions): RootDatabase<Buffer, Buffer> {
    return open<Buffer, Buffer>({
      path: join(dir, DATA_FILE),
      noSubdir: true,
      maxDbs: 32,
      noSync: options.sync !== true,
      overlappingSync: false,
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

  /** sync makes every commit so far durable (fsync), whatever the `sync` option. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.env as unknown as { sync(cb: (error?: Error) => void): void }).sync((error) => (error ? reject(error) : resolve()));
    });
  }

  /** entries lists a bucket's key/value pairs in key order (copies, safe to keep). */
  entries(db: BackendDatabase): { key: Uint8Array; value: Uint8Array }[] {
    const out: { key: Uint8Array; value: Uint8Array }[] = [];
    for (const { key, value } of db.getRange({})) out.push({ key: Uint8Array.from(key as Buffer), value: Uint8Array.from(value as Buffer) });
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
   * the sizes before and after.
   */
  async defrag(): Promise<DefragResult> {
    const before = { size: this.size(), sizeInUse: this.sizeInUse() };
    const file = join(this.dir, DATA_FILE);
    const tmp = join(this.dir, "defrag.mdb");
    await this.snapshot(tmp, true);
    await this.env.close();
    this.buckets.clear();
    renameSync(tmp, file);
    rmSync(`${tmp}-lock`, { force: true });
    this.env = Backend.openEnv(this.dir, this.options);
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
