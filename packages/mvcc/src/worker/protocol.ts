/**
 * The messages between the main thread and the storage worker.
 *
 * {@link EngineCalls} is the protocol: for each method, what the main thread sends and what
 * the worker answers. Both sides are written against it (`WorkerEngine.call` in
 * `MvccEngine.ts`, the handler table in `engineWorker.ts`), so a method whose arguments or
 * answer change fails to compile on the side that was not updated, instead of being cast.
 *
 * The main thread sends arrays of {@link EngineRequest}s (every call made in one tick goes
 * in one message) and the worker answers with arrays of {@link EngineReply}s (every answer
 * ready in one turn of its loop goes in one message). Payloads are structured-cloned:
 * requests and responses are plain objects of numbers, bigints, booleans and Uint8Arrays.
 * Errors travel as their {@link MvccErrorKind} (or a message for unexpected ones).
 *
 * Limit: the table is trusted, not checked, at run time. Both threads run the same build,
 * so a message is never validated on arrival.
 */
import type { etcdserverpb } from "@etcd-ts/api";
import type { DefragResult } from "../Backend.js";
import type { EncodedRange } from "../EncodedRange.js";
import type { ApplyBatch, ApplyResponse, ApplyResult, BucketEntry, EngineOptions, EngineStatus } from "../EngineCore.js";
import type { MvccErrorKind } from "../errors.js";
import type { HashResult } from "../KVStore.js";
import type { EventsPage } from "../WatchableStore.js";

/**
 * EngineCalls maps each method the worker serves to its arguments (`args`, as sent) and its
 * answer (`result`, as received). Where the wire form differs from `MvccEngine`'s, the
 * table has the wire form: `apply` answers errors as their kinds ({@link WireApplyResult}),
 * and `rangeEncoded` sends its request encoded.
 */
export interface EngineCalls {
  apply: { args: [batch: ApplyBatch]; result: WireApplyResult };
  range: { args: [request: etcdserverpb.RangeRequest]; result: etcdserverpb.RangeResponse };
  readTxn: { args: [request: etcdserverpb.TxnRequest]; result: etcdserverpb.TxnResponse };
  /** The request as `RangeRequest.encode` bytes: its key views may share a large network buffer, which a structured clone would copy whole. */
  rangeEncoded: { args: [encodedRequest: Uint8Array]; result: EncodedRange };
  readBucket: { args: [bucket: string]; result: BucketEntry[] };
  sync: { args: []; result: void };
  eventsSince: { args: [fromRevision: number, maxEvents: number, prevKv: boolean]; result: EventsPage };
  hashKV: { args: [rev: number]; result: HashResult };
  hash: { args: []; result: number };
  status: { args: []; result: EngineStatus };
  defrag: { args: []; result: DefragResult };
  snapshot: { args: [toFile: string]; result: void };
  restore: { args: [file: string]; result: EngineStatus };
  compacted: { args: [rev: number]; result: void };
  close: { args: []; result: void };
}

/** EngineMethod names the calls the worker serves. */
export type EngineMethod = keyof EngineCalls;

/** EngineArgs is the argument tuple of method M. */
export type EngineArgs<M extends EngineMethod> = EngineCalls[M]["args"];

/** EngineResult is what method M answers. */
export type EngineResult<M extends EngineMethod> = EngineCalls[M]["result"];

/**
 * EngineRequest is one call of method M. (Not a union distributed over the methods: a call
 * built in a function generic in M could not be assigned to that without a cast.)
 */
export interface EngineRequest<M extends EngineMethod = EngineMethod> {
  readonly id: number;
  readonly method: M;
  readonly args: EngineArgs<M>;
}

/**
 * EngineReply answers one call. The reply does not name its method: the main thread pairs
 * it with its call by `id`, and the call knows its result type.
 */
export type EngineReply =
  | { readonly id: number; readonly ok: true; readonly value: EngineResult<EngineMethod> }
  | { readonly id: number; readonly ok: false; readonly kind: MvccErrorKind | undefined; readonly message: string };

/** WorkerInit is the worker's `workerData`. */
export interface WorkerInit {
  readonly dir: string;
  readonly options: EngineOptions;
}

/** WorkerReady is the worker's first message: whether it opened the backend. */
export type WorkerReady = { readonly ready: true } | { readonly ready: false; readonly message: string };

/** WireOpResult is an op result as it crosses the thread boundary: an error as its kind. */
export type WireOpResult = { readonly ok: true; readonly response: ApplyResponse } | { readonly ok: false; readonly kind: MvccErrorKind };

/** WireApplyResult is an {@link ApplyResult} as it crosses the thread boundary. */
export interface WireApplyResult extends Omit<ApplyResult, "results"> {
  readonly results: WireOpResult[];
}
