/**
 * protocol: the messages between the load driver (main thread) and its load workers, and
 * the layout of the shared counters they use to split the work without messages.
 */
import type { HistogramSnapshot } from "../Histogram.js";
import type { WorkloadSpec } from "./Workload.js";

/** Shared counter slots (Int32Array over a SharedArrayBuffer). */
export const enum Slot {
  /** Claimed: operation numbers handed out so far (Atomics.add claims the next one). */
  Claimed = 0,
  /** Completed: operations finished (successes and errors), for the progress bar. */
  Completed = 1,
  /** Stop: non-zero once a `--duration` run is over. */
  Stop = 2,
}

/** SHARED_SLOTS is the number of Int32 slots of the shared buffer. */
export const SHARED_SLOTS = 3;

/** WorkerInit is a load worker's `workerData`. */
export interface WorkerInit {
  readonly spec: WorkloadSpec;
  /** endpoints: one per connection this worker opens. */
  readonly endpoints: readonly string[];
  readonly clients: number;
  readonly firstClient: number;
  readonly totalClients: number;
  /** total operations across all workers; 0: until Stop is set. */
  readonly total: number;
  /** rate is this worker's share of `--rate` in operations per second; 0: unlimited. */
  readonly rate: number;
  readonly shared: SharedArrayBuffer;
  /** grpcJs: unary calls through grpc-js instead of node:http2 (`--grpc-js`). */
  readonly grpcJs: boolean;
}

/** FromWorker is what a worker posts. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "done"; readonly histogram: HistogramSnapshot; readonly errors: Record<string, number> };

/** ToWorker is what the driver posts. */
export type ToWorker = { readonly type: "go" };
