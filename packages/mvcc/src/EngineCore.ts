/**
 * EngineCore: the storage engine as it runs in its thread — the one owner of the backend's
 * write transactions and of the key index.
 *
 * - {@link EngineCore.apply} applies a batch of committed requests in ONE LMDB
 *   transaction that also stores the batch's consistent index and term; it returns every
 *   request's result and all the batch's watch events.
 * - Work is serialised: batches, reads, paced compaction steps, defrag and restore run one
 *   after another, so a defrag or restore never races a write. Compaction steps run
 *   between other work, `compactionPauseMs` apart.
 * - The space quota and the alarms are the server's (etcd checks the quota before
 *   proposing and keeps alarms in its own store); each batch reports the backend size the
 *   quota is checked against.
 *
 * The main thread talks to it through `MvccEngine` (in a worker) or directly (tests).
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { etcdserverpb, mvccpb } from "@etcd-ts/api";
import { Applier, isTxnReadonly } from "./Applier.js";
import { Backend, DATA_FILE } from "./Backend.js";
import { nodeDurableFiles, replaceDurably, type DurableFiles } from "./DurableFiles.js";
import type { BackendOptions, DefragResult } from "./Backend.js";
import type { Compaction } from "./Compactor.js";
import { MvccError } from "./errors.js";
import { KVStore } from "./KVStore.js";
import type { HashResult } from "./KVStore.js";
import type { EventsPage } from "./WatchableStore.js";
import type { EncodedRange } from "./EncodedRange.js";

/** ApplyOp is one committed request of a batch. */
export type ApplyOp =
  | { readonly op: "put"; readonly request: etcdserverpb.PutRequest }
  | { readonly op: "deleteRange"; readonly request: etcdserverpb.DeleteRangeRequest }
  | {
      readonly op: "txn";
      readonly request: etcdserverpb.TxnRequest;
      /**
       * unknownLeases: leases the txn names (on either branch) that do not exist. The engine
       * has no lessor; etcd checks leases only on the branch the compares select, so the
       * caller names the missing ones and the engine fails the txn only if its taken path
       * puts with one of them.
       */
      readonly unknownLeases?: readonly bigint[];
    }
  | { readonly op: "range"; readonly request: etcdserverpb.RangeRequest }
  | { readonly op: "compact"; readonly request: etcdserverpb.CompactionRequest };

/** ApplyBatch is what the server applies at once: the committed entries of one Ready. */
export interface ApplyBatch {
  /** index is the raft index of the batch's last entry (stored as consistent index); 0: none. */
  readonly index: number;
  /** term is the raft term of that entry. */
  readonly term: number;
  /** ops are the requests in commit order. */
  readonly ops: readonly ApplyOp[];
  /** prevKv asks for prevKv in the returned events (some watcher wants it). */
  readonly prevKv?: boolean;
  /**
   * writes are other stores' changes (lease, auth, members, ...) committed in the same LMDB
   * transaction as the ops and the consistent index, after the ops.
   */
  readonly writes?: readonly BucketWrite[];
}

/** BucketWrite sets (`value`) or deletes (`value: null`) one key of a named bucket. */
export interface BucketWrite {
  readonly bucket: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/** BucketEntry is one key/value pair read from a bucket. */
export interface BucketEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Buckets the engine owns; other stores may not write them through {@link BucketWrite}. */
const ENGINE_BUCKETS = new Set(["key", "meta"]);

/** OpResult is one request's outcome: a response, or the error etcd would return. */
export type OpResult =
  | { readonly ok: true; readonly response: ApplyResponse }
  | { readonly ok: false; readonly error: MvccError };

/** ApplyResponse is the response of an {@link ApplyOp}, by kind. */
export type ApplyResponse =
  | etcdserverpb.PutResponse
  | etcdserverpb.DeleteRangeResponse
  | etcdserverpb.TxnResponse
  | etcdserverpb.RangeResponse
  | etcdserverpb.CompactionResponse;

/** ApplyResult is the answer to a batch. */
export interface ApplyResult {
  /** results, one per op, in order. */
  readonly results: OpResult[];
  /** events of every write of the batch, in revision order. */
  readonly events: mvccpb.Event[];
  /** revision is the store revision after the batch. */
  readonly revision: number;
  /** compactRevision is the compact revision after the batch (-1: none). */
  readonly compactRevision: number;
  /** consistentIndex is the stored consistent index after the batch. */
  readonly consistentIndex: number;
  /**
   * dbSize is the backend size in bytes (what the quota checks), read as the batch is
   * written: as of the commit before it (etcd's quota is as approximate).
   */
  readonly dbSize: number;
}

/** EngineStatus describes the engine (maintenance status, metrics). */
export interface EngineStatus {
  /** revision is the current store revision. */
  readonly revision: number;
  /** compactRevision is the last compaction's revision (-1: none). */
  readonly compactRevision: number;
  /** consistentIndex and term are the last applied raft index and its term. */
  readonly consistentIndex: number;
  /** term of the consistent index. */
  readonly term: number;
  /** dbSize is the backend size in bytes (what the quota checks). */
  readonly dbSize: number;
  /** dbSizeInUse is the bytes the backend's data occupies. */
  readonly dbSizeInUse: number;
  /** keys is the number of keys in the index. */
  readonly keys: number;
}

/** EngineOptions configure an engine. */
export interface EngineOptions extends BackendOptions {
  /** compactionBatchLimit is revisions per compaction step (1000). */
  readonly compactionBatchLimit?: number;
  /** compactionPauseMs is the pause between compaction steps (10). */
  readonly compactionPauseMs?: number;
}


/** EngineCore is the engine; see the module comment. */
export class EngineCore {
  private backend: Backend;
  private store: KVStore;
  private applier: Applier;
  private readonly options: EngineOptions;
  private queue: Promise<unknown> = Promise.resolve();
  private compaction: Compaction | undefined;
  private compactionTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly compactionWaiters: { rev: number; resolve: () => void }[] = [];
  private closed = false;

  private constructor(readonly dir: string, options: EngineOptions) {
    this.options = options;
    this.backend = Backend.open(dir, options);
    this.store = KVStore.open(this.backend, options.compactionBatchLimit !== undefined ? { compactionBatchLimit: options.compactionBatchLimit } : {});
    this.applier = new Applier(this.store);
    this.startCompaction(this.store.pendingCompaction);
  }

  /** open opens the engine on the backend in dir (created if missing). */
  static open(dir: string, options: EngineOptions = {}): EngineCore {
    return new EngineCore(dir, options);
  }

  /**
   * installSnapshot replaces the backend in dir with the data file `file` (a
   * {@link EngineCore.snapshot} copy received from a peer); call before opening.
   */
  static installSnapshot(dir: string, file: string, files: DurableFiles = nodeDurableFiles): void {
    rmSync(join(dir, `${DATA_FILE}-lock`), { force: true });
    replaceDurably(files, file, join(dir, DATA_FILE));
  }

  private serial<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.closed) throw new MvccError("closed");
      return work();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** apply applies a batch in one LMDB transaction; see {@link ApplyBatch}. */
  apply(batch: ApplyBatch, beforeCommit?: (result: ApplyResult) => void): Promise<ApplyResult> {
    return this.serial(() => this.applySync(batch, beforeCommit));
  }

  /** sync makes every applied batch durable: call before dropping WAL entries it covers. */
  sync(): Promise<void> {
    return this.serial(() => this.backend.sync());
  }

  /** readBucket returns every key/value of another store's bucket, in key order (for restores on open). */
  readBucket(bucket: string): Promise<BucketEntry[]> {
    return this.serial(() => this.backend.entries(this.backend.bucket(bucket)));
  }

  /**
   * applySync is {@link apply} without queueing (only when nothing else is in flight).
   * `beforeCommit` hears the result once the batch is written, before the commit and its
   * fdatasync: the worker answers then, so that the backend's sync overlaps the server's
   * work instead of adding to a request's latency (as etcd answers before bbolt's batch
   * commit). Safe because the WAL already holds the batch; a commit that then fails kills
   * the engine, and the member replays from the WAL.
   */
  applySync(batch: ApplyBatch, beforeCommit?: (result: ApplyResult) => void): ApplyResult {
    const results: OpResult[] = [];
    const events: mvccpb.Event[] = [];
    this.applier.eventsWithPrevKv = batch.prevKv === true;
    let compactions: Compaction[] = [];
    let result: ApplyResult | undefined;
    this.backend.transact(() => {
      for (const op of batch.ops) {
        try {
          results.push(this.applyOp(op, events, compactions));
        } catch (error) {
          if (!(error instanceof MvccError)) throw error;
          results.push({ ok: false, error });
        }
      }
      for (const write of batch.writes ?? []) {
        if (ENGINE_BUCKETS.has(write.bucket)) throw new Error(`mvcc: bucket ${write.bucket} belongs to the engine`);
        const db = this.backend.bucket(write.bucket);
        const key = Buffer.from(write.key.buffer, write.key.byteOffset, write.key.byteLength);
        if (write.value === null) this.backend.remove(db, key);
        else this.backend.put(db, key, write.value);
      }
      if (batch.index > 0) this.store.saveConsistentIndex(batch.index, batch.term);
      result = {
        results,
        events,
        revision: this.store.rev(),
        compactRevision: this.store.compactRevision(),
        consistentIndex: this.store.consistentIndex(),
        dbSize: this.backend.size(),
      };
      beforeCommit?.(result);
    });
    for (const job of compactions) this.startCompaction(job);
    compactions = [];
    return result!;
  }

  private applyOp(op: ApplyOp, events: mvccpb.Event[], compactions: Compaction[]): OpResult {
    switch (op.op) {
      case "range":
        return { ok: true, response: this.applier.range(op.request) };
      case "put": {
        const { response, events: evs } = this.applier.put(op.request);
        events.push(...evs);
        return { ok: true, response };
      }
      case "deleteRange": {
        const { response, events: evs } = this.applier.deleteRange(op.request);
        events.push(...evs);
        return { ok: true, response };
      }
      case "txn": {
        const unknown = op.unknownLeases;
        const leases = unknown !== undefined && unknown.length > 0 ? { exists: (id: bigint) => !unknown.includes(id) } : undefined;
        const { response, events: evs } = this.applier.txn(op.request, leases);
        events.push(...evs);
        return { ok: true, response };
      }
      case "compact": {
        const { response, job } = this.applier.compact(op.request);
        compactions.push(job);
        return { ok: true, response };
      }
    }
  }

  private startCompaction(job: Compaction | undefined): void {
    if (job === undefined) return;
    this.compaction = job; // a newer compaction covers everything an older one would delete
    if (this.compactionTimer === undefined) this.scheduleCompactionStep(0);
  }

  private scheduleCompactionStep(delay: number): void {
    this.compactionTimer = setTimeout(() => {
      this.compactionTimer = undefined;
      void this.serial(() => {
        const job = this.compaction;
        if (job === undefined) return;
        if (job.step()) {
          this.compaction = undefined;
          this.resolveCompactionWaiters();
        } else {
          this.scheduleCompactionStep(this.options.compactionPauseMs ?? 10);
        }
      });
    }, delay);
  }

  private resolveCompactionWaiters(): void {
    const finished = this.compaction === undefined ? Infinity : this.compaction.revision - 1;
    for (let i = this.compactionWaiters.length - 1; i >= 0; i--) {
      const waiter = this.compactionWaiters[i]!;
      if (waiter.rev <= finished || this.compaction === undefined) {
        this.compactionWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** compacted resolves when no compaction at or below rev is still running (etcd's physical compaction). */
  compacted(rev: number): Promise<void> {
    if (this.compaction === undefined) return Promise.resolve();
    return new Promise((resolve) => this.compactionWaiters.push({ rev, resolve }));
  }

  /**
   * readTxn serves a txn of ranges only (etcd's isTxnReadonly) from a read view: no LMDB
   * write transaction, no consistent index written, no events. A txn that would write is
   * refused (it must go through raft and {@link apply}).
   */
  readTxn(request: etcdserverpb.TxnRequest): Promise<etcdserverpb.TxnResponse> {
    return this.serial(() => {
      if (!isTxnReadonly(request)) throw new Error("mvcc: readTxn was given a txn that writes");
      return this.applier.txn(request).response;
    });
  }

  /** range serves a range read at the applied revision (serializable read). */
  range(request: etcdserverpb.RangeRequest): Promise<etcdserverpb.RangeResponse> {
    return this.serial(() => this.applier.range(request));
  }

  /** rangeEncoded serves a range read straight into wire format (see {@link EncodedRange}). */
  rangeEncoded(request: etcdserverpb.RangeRequest): Promise<EncodedRange> {
    return this.serial(() => this.applier.rangeEncoded(request));
  }

  /** eventsSince reads history for watch catch-up (see {@link KVStore.eventsSince}). */
  eventsSince(fromRev: number, maxEvents: number, prevKv: boolean): Promise<EventsPage> {
    return this.serial(() => this.store.eventsSince(fromRev, maxEvents, prevKv));
  }

  /** hashKV is etcd's HashKV at rev (0: current). */
  hashKV(rev: number): Promise<HashResult> {
    return this.serial(() => this.store.hashByRev(rev));
  }

  /** hash is etcd's Hash of the whole backend. */
  hash(): Promise<number> {
    return this.serial(() => this.store.hash());
  }

  /** status describes the engine. */
  status(): Promise<EngineStatus> {
    return this.serial(() => this.statusSync());
  }

  /** statusSync is {@link status} without queueing. */
  statusSync(): EngineStatus {
    return {
      revision: this.store.rev(),
      compactRevision: this.store.compactRevision(),
      consistentIndex: this.store.consistentIndex(),
      term: this.store.term(),
      dbSize: this.backend.size(),
      dbSizeInUse: this.backend.sizeInUse(),
      keys: this.store.index.size,
    };
  }

  /** defrag rewrites the backend without free pages, holding every other work off meanwhile. */
  defrag(): Promise<DefragResult> {
    return this.serial(async () => {
      const result = await this.backend.defrag();
      this.store.rebindBackend(); // the environment was reopened; the index is unchanged
      return result;
    });
  }

  /** snapshot writes a consistent copy of the backend to the file `toFile`. */
  snapshot(toFile: string): Promise<void> {
    return this.serial(() => this.backend.snapshot(toFile, true));
  }

  /**
   * restore replaces the backend with the data file `file` (a snapshot from a peer) and
   * reloads the store from it.
   */
  restore(file: string): Promise<EngineStatus> {
    return this.serial(async () => {
      if (!existsSync(file)) throw new Error(`mvcc: snapshot file ${file} not found`);
      if (this.compactionTimer !== undefined) clearTimeout(this.compactionTimer);
      this.compactionTimer = undefined;
      this.compaction = undefined;
      await this.backend.close();
      EngineCore.installSnapshot(this.dir, file, this.options.files);
      this.backend = Backend.open(this.dir, this.options);
      this.store = KVStore.open(this.backend, this.options.compactionBatchLimit !== undefined ? { compactionBatchLimit: this.options.compactionBatchLimit } : {});
      this.applier = new Applier(this.store);
        this.startCompaction(this.store.pendingCompaction);
      return this.statusSync();
    });
  }

  /** close finishes queued work and closes the backend. */
  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.compactionTimer !== undefined) clearTimeout(this.compactionTimer);
      this.compactionTimer = undefined;
      this.closed = true;
      await this.backend.close();
    });
  }
}
