/**
 * MvccEngine: the async, typed API the server uses — the seam between server and mvcc.
 *
 * {@link openEngine} starts the engine in a worker thread (default) or, with
 * `{ inProcess: true }`, on the calling thread (tests, tools). Either way:
 *
 * - `apply(batch)` applies one batch of committed entries (one message to the worker, one
 *   LMDB transaction storing the batch's consistent index, one message back with every
 *   result and all watch events). Results carry etcd's responses or {@link MvccError}s.
 *   The server then fills response headers and passes `events` (with the new revision) to
 *   its {@link WatchableStore} via `notify`.
 * - Reads (`range`, `eventsSince`, `hashKV`, `hash`, `status`) run in the worker, after the
 *   batches sent before them; the main thread never blocks on storage.
 * - The engine is a {@link WatchSource}: pass it to `new WatchableStore(engine, ...)`.
 * - `compact` is an op of a batch; `compacted(rev)` resolves when the backend work of
 *   the compaction is done (etcd's `physical` compaction).
 * - Maintenance: `defrag`, `snapshot(file)`, `restore(file)`.
 *
 * Calls made in the same tick travel in one message: batching is automatic.
 *
 * Worker entry resolution: built code (`dist/MvccEngine.js`) starts
 * `dist/worker/engineWorker.js`; source run through tsx (tests: `src/MvccEngine.ts`) starts
 * `src/worker/engineWorker.ts` through a bootstrap that registers tsx in the worker, so
 * tests need no build.
 */
import { Worker } from "node:worker_threads";
import { etcdserverpb } from "@etcd-ts/api";
import type { DefragResult } from "./Backend.js";
import { forPosting, type EncodedRange } from "./EncodedRange.js";
import { EngineCore } from "./EngineCore.js";
import type { ApplyBatch, ApplyResult, BucketEntry, EngineOptions, EngineStatus, OpResult } from "./EngineCore.js";
import { MvccError, mvccErrorFromKind } from "./errors.js";
import type { HashResult } from "./KVStore.js";
import type { EventsPage, WatchSource } from "./WatchableStore.js";
import type { EngineArgs, EngineMethod, EngineReply, EngineRequest, EngineResult, WorkerInit, WorkerReady } from "./worker/protocol.js";

/** MvccEngine is the storage engine as the server sees it; see the module comment. */
export interface MvccEngine extends WatchSource {
  /** apply applies a batch of committed requests (see {@link ApplyBatch}). */
  apply(batch: ApplyBatch): Promise<ApplyResult>;
  /** range serves a read at the applied revision. */
  range(request: etcdserverpb.RangeRequest): Promise<etcdserverpb.RangeResponse>;
  /** readTxn serves a txn of ranges only from a read view (no write transaction). */
  readTxn(request: etcdserverpb.TxnRequest): Promise<etcdserverpb.TxnResponse>;
  /** rangeEncoded serves a read like `range`, answering in wire format (see {@link EncodedRange}). */
  rangeEncoded(request: etcdserverpb.RangeRequest): Promise<EncodedRange>;
  /** readBucket lists another store's bucket (lease, auth, members, ...) in key order. */
  readBucket(bucket: string): Promise<BucketEntry[]>;
  /** sync makes every applied batch durable (fsync); the WAL may then drop what it covers. */
  sync(): Promise<void>;
  /** hashKV is etcd's HashKV at rev (0: current). */
  hashKV(rev: number): Promise<HashResult>;
  /** hash is etcd's Hash of the backend. */
  hash(): Promise<number>;
  /** status reports revisions, consistent index and sizes. */
  status(): Promise<EngineStatus>;
  /** compacted resolves when the backend part of compactions up to rev is done. */
  compacted(rev: number): Promise<void>;
  /** defrag rewrites the backend without free pages (writes wait meanwhile). */
  defrag(): Promise<DefragResult>;
  /** snapshot writes a consistent copy of the backend to the file toFile. */
  snapshot(toFile: string): Promise<void>;
  /** restore replaces the backend with a snapshot file and reloads. */
  restore(file: string): Promise<EngineStatus>;
  /** close finishes queued work, closes the backend and stops the worker. */
  close(): Promise<void>;
}

/** OpenEngineOptions configure {@link openEngine}. */
export interface OpenEngineOptions extends EngineOptions {
  /** inProcess runs the engine on this thread instead of a worker. */
  readonly inProcess?: boolean;
}

/** openEngine opens the engine on the backend directory dir; see the module comment. */
export async function openEngine(dir: string, options: OpenEngineOptions = {}): Promise<MvccEngine> {
  const { inProcess, ...engineOptions } = options;
  if (inProcess === true) return new LocalEngine(EngineCore.open(dir, engineOptions));
  // Functions cannot cross to the worker: a test's file layer needs an in-process engine.
  if (engineOptions.files !== undefined) throw new Error("mvcc: the `files` option needs `inProcess: true`");
  return WorkerEngine.start(dir, engineOptions);
}

/** LocalEngine runs an {@link EngineCore} on the calling thread. */
export class LocalEngine implements MvccEngine {
  /** Wraps an open core. */
  constructor(private readonly core: EngineCore) {}
  apply(batch: ApplyBatch): Promise<ApplyResult> {
    return this.core.apply(batch);
  }
  range(request: etcdserverpb.RangeRequest): Promise<etcdserverpb.RangeResponse> {
    return this.core.range(request);
  }
  readTxn(request: etcdserverpb.TxnRequest): Promise<etcdserverpb.TxnResponse> {
    return this.core.readTxn(request);
  }
  rangeEncoded(request: etcdserverpb.RangeRequest): Promise<EncodedRange> {
    return this.core.rangeEncoded(request);
  }
  readBucket(bucket: string): Promise<BucketEntry[]> {
    return this.core.readBucket(bucket);
  }
  sync(): Promise<void> {
    return this.core.sync();
  }
  eventsSince(fromRevision: number, maxEvents: number, prevKv: boolean): Promise<EventsPage> {
    return this.core.eventsSince(fromRevision, maxEvents, prevKv);
  }
  hashKV(rev: number): Promise<HashResult> {
    return this.core.hashKV(rev);
  }
  hash(): Promise<number> {
    return this.core.hash();
  }
  status(): Promise<EngineStatus> {
    return this.core.status();
  }
  compacted(rev: number): Promise<void> {
    return this.core.compacted(rev);
  }
  defrag(): Promise<DefragResult> {
    return this.core.defrag();
  }
  snapshot(toFile: string): Promise<void> {
    return this.core.snapshot(toFile);
  }
  restore(file: string): Promise<EngineStatus> {
    return this.core.restore(file);
  }
  close(): Promise<void> {
    return this.core.close();
  }
}

function spawnWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./worker/engineWorker.js", here), { workerData: init });
  // Running from source (tests under tsx): a worker does not inherit the main thread's
  // loader hooks, so a small bootstrap registers tsx in the worker, then loads the entry.
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker/engineWorker.ts", here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init, execArgv: [] });
}

/**
 * Pending is a call awaiting its reply. Calls of every method share one map, so `resolve`
 * takes any method's result; `call` stores it for one method only and the worker answers
 * that id with that method's result (see protocol.ts).
 */
interface Pending {
  resolve: (value: EngineResult<EngineMethod>) => void;
  reject: (error: Error) => void;
}

/** WorkerEngine runs the engine in a worker thread and talks to it by messages. */
export class WorkerEngine implements MvccEngine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private outbox: EngineRequest[] = [];
  /** Buffers moved (not copied) to the worker with the outbox's next message. */
  private transfers: ArrayBuffer[] = [];
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on("message", (replies: EngineReply[]) => {
      for (const r of replies) {
        const p = this.pending.get(r.id);
        if (p === undefined) continue;
        this.pending.delete(r.id);
        if (r.ok) p.resolve(r.value);
        else p.reject(r.kind !== undefined ? (mvccErrorFromKind(r.kind) ?? new Error(r.message)) : new Error(r.message));
      }
    });
    const fail = (error: Error): void => {
      this.failure = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", () => fail(new MvccError("closed")));
  }

  /** start spawns the worker and waits until it has opened the backend. */
  static async start(dir: string, options: EngineOptions): Promise<WorkerEngine> {
    const worker = spawnWorker({ dir, options });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReady): void => {
        worker.off("error", reject);
        if (m.ready) resolve();
        else reject(new Error(m.message));
      };
      worker.once("message", onMessage);
      worker.once("error", reject);
    });
    return new WorkerEngine(worker);
  }

  /** threadId is the worker's thread ID (tests kill it to simulate a crash). */
  get threadId(): number {
    return this.worker.threadId;
  }

  /** terminate kills the worker at once, as a crash would (tests). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  /** call sends one call of the protocol (`EngineCalls` in worker/protocol.ts) and resolves with its typed answer. */
  private call<M extends EngineMethod>(method: M, ...args: EngineArgs<M>): Promise<EngineResult<M>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<EngineResult<M>>((resolve, reject) => {
      // The one widening of the protocol: the reply to `id` carries EngineResult<M>, and the
      // pending table holds its resolver as one for any method's result.
      this.pending.set(id, { resolve, reject });
      // An idle engine gets the call at once (latency); a busy one collects the calls of the
      // whole event-loop turn into one message (throughput: a message costs more than a call).
      if (this.outbox.length === 0) {
        if (this.pending.size === 1) queueMicrotask(() => this.flush());
        else setImmediate(() => this.flush());
      }
      this.outbox.push({ id, method, args });
    });
  }

  private flush(): void {
    const transfers = this.transfers;
    this.transfers = [];
    this.worker.postMessage(this.outbox.splice(0), transfers);
  }

  async apply(batch: ApplyBatch): Promise<ApplyResult> {
    const wire = await this.call("apply", batch);
    const results: OpResult[] = wire.results.map((r) => (r.ok ? r : { ok: false, error: new MvccError(r.kind) }));
    return { ...wire, results };
  }
  range(request: etcdserverpb.RangeRequest): Promise<etcdserverpb.RangeResponse> {
    return this.call("range", request);
  }
  readTxn(request: etcdserverpb.TxnRequest): Promise<etcdserverpb.TxnResponse> {
    return this.call("readTxn", request);
  }
  rangeEncoded(request: etcdserverpb.RangeRequest): Promise<EncodedRange> {
    // The request goes as its encoding: its key views may share a large network buffer,
    // which a structured clone would copy whole.
    return this.call("rangeEncoded", forPosting(etcdserverpb.RangeRequest.encode(request), this.transfers));
  }
  readBucket(bucket: string): Promise<BucketEntry[]> {
    return this.call("readBucket", bucket);
  }
  sync(): Promise<void> {
    return this.call("sync");
  }
  eventsSince(fromRevision: number, maxEvents: number, prevKv: boolean): Promise<EventsPage> {
    return this.call("eventsSince", fromRevision, maxEvents, prevKv);
  }
  hashKV(rev: number): Promise<HashResult> {
    return this.call("hashKV", rev);
  }
  hash(): Promise<number> {
    return this.call("hash");
  }
  status(): Promise<EngineStatus> {
    return this.call("status");
  }
  compacted(rev: number): Promise<void> {
    return this.call("compacted", rev);
  }
  defrag(): Promise<DefragResult> {
    return this.call("defrag");
  }
  snapshot(toFile: string): Promise<void> {
    return this.call("snapshot", toFile);
  }
  restore(file: string): Promise<EngineStatus> {
    return this.call("restore", file);
  }
  async close(): Promise<void> {
    if (this.failure !== undefined) return;
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    await this.call("close");
    await exited;
  }
}
