/**
 * runLoad: the closed-loop load driver. It spreads `--conns` connections and `--clients`
 * clients over worker threads (so the client side is not one event loop), waits until
 * every worker is connected and set up, starts them together, draws the progress bar from
 * the shared counters, and merges the workers' histograms into one {@link Report}.
 *
 * Timing starts at "go" (after connections and any setup such as lease grants) and ends
 * when the last worker finishes. Client CPU is the whole process's CPU time over the same
 * span (all threads), so a report shows whether the generator was near its limit.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { Histogram } from "../Histogram.js";
import { Progress } from "../Progress.js";
import { summarize, type Report } from "../Report.js";
import { SHARED_SLOTS, Slot, type FromWorker, type WorkerInit } from "./protocol.js";
import type { WorkloadSpec } from "./Workload.js";

/** LoadOptions describe one closed-loop run. */
export interface LoadOptions {
  readonly name: string;
  readonly spec: WorkloadSpec;
  readonly endpoints: readonly string[];
  readonly conns: number;
  readonly clients: number;
  /** total operations; ignored when durationMs > 0. */
  readonly total: number;
  /** durationMs runs for a time instead of a total (etcd-ts extension of etcd's flags). */
  readonly durationMs: number;
  /** rate limits operations per second across all clients; 0: unlimited. */
  readonly rate: number;
  /** workers is the number of load threads; 0: min(cores, conns, clients). */
  readonly workers: number;
  /** progress forces the progress bar on or off (default: on a terminal). */
  readonly progress?: boolean | undefined;
  /** grpcJs: unary calls through grpc-js instead of node:http2. */
  readonly grpcJs?: boolean | undefined;
}

/** defaultWorkers is the worker count used when `--workers` is 0. */
export function defaultWorkers(conns: number, clients: number): number {
  return Math.max(1, Math.min(availableParallelism(), conns, clients));
}

/** split divides n into k near-equal parts (the first parts get the remainder). */
export function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

function startWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./loadWorker.js", here), { workerData: init });
  // From source (tests under tsx): register tsx in the worker, then load the entry.
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./loadWorker.ts", here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init, execArgv: [] });
}

/** runLoad runs one closed-loop benchmark; see the module comment. */
export async function runLoad(options: LoadOptions): Promise<Report> {
  const conns = Math.max(1, options.conns);
  const clients = Math.max(1, options.clients);
  const workerCount = Math.min(options.workers > 0 ? options.workers : defaultWorkers(conns, clients), conns, clients);
  const shared = new SharedArrayBuffer(SHARED_SLOTS * 4);
  const counters = new Int32Array(shared);
  const total = options.durationMs > 0 ? 0 : options.total;
  const connShares = split(conns, workerCount);
  const clientShares = split(clients, workerCount);
  const rateShares = options.rate > 0 ? split(options.rate, workerCount) : connShares.map(() => 0);

  let connIndex = 0;
  let firstClient = 0;
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<Extract<FromWorker, { type: "done" }>>[] = [];
  for (let w = 0; w < workerCount; w++) {
    const endpoints = Array.from({ length: connShares[w]! }, () => options.endpoints[connIndex++ % options.endpoints.length]!);
    const worker = startWorker({
      spec: options.spec,
      endpoints,
      clients: clientShares[w]!,
      firstClient,
      totalClients: clients,
      total,
      rate: rateShares[w]!,
      shared,
      grpcJs: options.grpcJs === true,
    });
    firstClient += clientShares[w]!;
    workers.push(worker);
    let onReady!: () => void;
    let onDone!: (m: Extract<FromWorker, { type: "done" }>) => void;
    let onFail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => (onFail = reject));
    failed.catch(() => {});
    ready.push(Promise.race([new Promise<void>((r) => (onReady = r)), failed]));
    done.push(Promise.race([new Promise<Extract<FromWorker, { type: "done" }>>((r) => (onDone = r)), failed]));
    worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") onReady();
      else if (m.type === "done") onDone(m);
      else onFail(new Error(`load worker failed: ${m.message}`));
    });
    worker.on("error", (e) => onFail(e));
    worker.on("exit", (code) => onFail(new Error(`load worker exited with ${code}`)));
  }

  try {
    await Promise.all(ready);
    const progress = new Progress({
      total: options.durationMs > 0 ? options.durationMs : total,
      byTime: options.durationMs > 0,
      label: options.name,
      ...(options.progress === undefined ? {} : { enabled: options.progress }),
    });
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (const worker of workers) worker.postMessage({ type: "go" });
    const ticker = setInterval(() => {
      progress.update(Atomics.load(counters, Slot.Completed));
      if (options.durationMs > 0 && performance.now() - start >= options.durationMs) Atomics.store(counters, Slot.Stop, 1);
    }, 50);
    let results: Extract<FromWorker, { type: "done" }>[];
    try {
      results = await Promise.all(done);
    } finally {
      clearInterval(ticker);
    }
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    progress.finish(Atomics.load(counters, Slot.Completed));
    const histogram = new Histogram();
    const errors: Record<string, number> = {};
    for (const r of results) {
      histogram.merge(r.histogram);
      for (const [message, count] of Object.entries(r.errors)) errors[message] = (errors[message] ?? 0) + count;
    }
    return summarize({ name: options.name, histogram, errors, elapsedMs, clientCpuMs: (cpu.user + cpu.system) / 1000, workers: workerCount });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
