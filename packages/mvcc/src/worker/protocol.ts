/**
 * The messages between the main thread and the storage worker.
 *
 * The main thread sends arrays of {@link EngineRequest}s (every call made in one tick goes
 * in one message) and the worker answers with arrays of {@link EngineReply}s (every answer
 * ready in one turn of its loop goes in one message). Payloads are structured-cloned:
 * requests and responses are plain objects of numbers, bigints, booleans and Uint8Arrays.
 * Errors travel as their {@link MvccErrorKind} (or a message for unexpected ones).
 */
import type { MvccErrorKind } from "../errors.js";
import type { EngineOptions } from "../EngineCore.js";

/** EngineMethod names the calls the worker serves. */
export type EngineMethod =
  | "apply"
  | "range"
  | "rangeEncoded"
  | "readBucket"
  | "sync"
  | "eventsSince"
  | "hashKV"
  | "hash"
  | "status"
  | "defrag"
  | "snapshot"
  | "restore"
  | "compacted"
  | "close";

/** EngineRequest is one call. */
export interface EngineRequest {
  readonly id: number;
  readonly method: EngineMethod;
  readonly args: readonly unknown[];
}

/** EngineReply answers one call. */
export type EngineReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly kind: MvccErrorKind | undefined; readonly message: string };

/** WorkerInit is the worker's `workerData`. */
export interface WorkerInit {
  readonly dir: string;
  readonly options: EngineOptions;
}

/** WireOpResult is an op result as it crosses the thread boundary. */
export type WireOpResult = { readonly ok: true; readonly response: unknown } | { readonly ok: false; readonly kind: MvccErrorKind };
