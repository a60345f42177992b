/**
 * runWatch: the watch benchmarks (`watch`, `watch-latency`). Watch streams are spread over
 * worker threads (one connection per stream); the main thread then puts `--put-total` keys
 * at `--put-rate` (open loop: a slow put does not delay the next), each value carrying its
 * send time, and the workers time every event delivered to every watcher.
 *
 * Watcher i watches key `i % keySpaceSize`; put n writes key `n % keySpaceSize`, so the
 * number of events expected is known. Events still missing 10 s after the last put are
 * counted as an error. Reports: watcher creation, put, and event delivery latency.
 */
import { Worker } from "node:worker_threads";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { Histogram } from "../Histogram.js";
import { Progress } from "../Progress.js";
import { summarize, type Report } from "../Report.js";
import { nowMicros } from "./clock.js";
import { Connection, errorMessage } from "./Connection.js";
import { keyBytes } from "./keys.js";
import { SHARED_SLOTS, Slot } from "./protocol.js";
import { split } from "./runLoad.js";
import type { WatchWorkerInit, WatchWorkerMessage } from "./watchWorker.js";

/** WatchLoadOptions describe one watch run. */
export interface WatchLoadOptions {
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly streams: number;
  readonly watchersPerStream: number;
  readonly putTotal: number;
  /** putRate in puts per second; 0: as fast as one connection goes. */
  readonly putRate: number;
  readonly keySize: number;
  readonly valSize: number;
  readonly keySpaceSize: number;
  readonly workers: number;
  readonly progress?: boolean | undefined;
}

/** WatchReports are the three phases of a watch run. */
export interface WatchReports {
  readonly create: Report;
  readonly put: Report;
  readonly events: Report;
}

function startWorker(init: WatchWorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./watchWorker.js", here), { workerData: init });
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./watchWorker.ts", here).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init, execArgv: [] });
}

/** expectedEvents is how many events `putTotal` puts deliver to `watchers` watchers. */
export function expectedEvents(watchers: number, keySpaceSize: number, putTotal: number): number {
  const space = Math.max(1, keySpaceSize);
  let total = 0;
  for (let n = 0; n < putTotal; n++) {
    const key = n % space;
    total += Math.floor(watchers / space) + (key < watchers % space ? 1 : 0);
  }
  return total;
}

/** runWatch runs one watch benchmark; see the module comment. */
export async function runWatch(options: WatchLoadOptions): Promise<WatchReports> {
  const streams = Math.max(1, options.streams);
  const workerCount = Math.max(1, Math.min(options.workers, streams));
  const shared = new SharedArrayBuffer(SHARED_SLOTS * 4);
  const counters = new Int32Array(shared);
  const shares = split(streams, workerCount);
  const workers: Worker[] = [];
  const waits: { ready: Promise<void>; done: Promise<Extract<WatchWorkerMessage, { type: "done" }>> }[] = [];
  let stream = 0;
  const createStart = performance.now();
  for (let w = 0; w < workerCount; w++) {
    const endpoints = Array.from({ length: shares[w]! }, (_, i) => options.endpoints[(stream + i) % options.endpoints.length]!);
    const worker = startWorker({
      endpoints,
      watchersPerStream: options.watchersPerStream,
      firstWatcher: stream * options.watchersPerStream,
      keySpaceSize: options.keySpaceSize,
      keySize: options.keySize,
      shared,
    });
    stream += shares[w]!;
    workers.push(worker);
    let onReady!: () => void;
    let onDone!: (m: Extract<WatchWorkerMessage, { type: "done" }>) => void;
    let onFail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => (onFail = reject));
    failed.catch(() => {});
    waits.push({
      ready: Promise.race([new Promise<void>((r) => (onReady = r)), failed]),
      done: Promise.race([new Promise<Extract<WatchWorkerMessage, { type: "done" }>>((r) => (onDone = r)), failed]),
    });
    worker.on("message", (m: WatchWorkerMessage) => {
      if (m.type === "ready") onReady();
      else if (m.type === "done") onDone(m);
      else onFail(new Error(`watch worker failed: ${m.message}`));
    });
    worker.on("error", (e) => onFail(e));
    worker.on("exit", (code) => onFail(new Error(`watch worker exited with ${code}`)));
  }
  const putter = new Connection(options.endpoints[0]!);
  try {
    await Promise.all(waits.map((w) => w.ready));
    const createMs = performance.now() - createStart;
    await putter.ready();
    const watchers = streams * options.watchersPerStream;
    const expected = expectedEvents(watchers, options.keySpaceSize, options.putTotal);
    const progress = new Progress({ total: expected, label: `${options.name} events`, ...(options.progress === undefined ? {} : { enabled: options.progress }) });
    const putHistogram = new Histogram();
    const putErrors: Record<string, number> = {};
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const interval = options.putRate > 0 ? 1000 / options.putRate : 0;
    const inflight: Promise<void>[] = [];
    for (let n = 0; n < options.putTotal; n++) {
      if (interval > 0) {
        const wait = start + n * interval - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      progress.update(Atomics.load(counters, Slot.Completed));
      const key = keyBytes(n % Math.max(1, options.keySpaceSize), options.keySize, "w");
      const sent = performance.now();
      const value = Buffer.from(nowMicros().toFixed(1).padStart(Math.max(options.valSize, 1), " "));
      const put = putter.unary(pb.KVService.put, { key, value }).then(
        () => putHistogram.record((performance.now() - sent) * 1000),
        (error: unknown) => {
          const message = errorMessage(error);
          putErrors[message] = (putErrors[message] ?? 0) + 1;
        },
      );
      inflight.push(put);
      if (interval === 0 && inflight.length >= 100) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const putMs = performance.now() - start;
    const deadline = performance.now() + 10_000;
    while (Atomics.load(counters, Slot.Completed) < expected && performance.now() < deadline) {
      progress.update(Atomics.load(counters, Slot.Completed));
      await new Promise((r) => setTimeout(r, 10));
    }
    const eventsMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const delivered = Atomics.load(counters, Slot.Completed);
    progress.finish(delivered);
    for (const w of workers) w.postMessage({ type: "stop" });
    const results = await Promise.all(waits.map((w) => w.done));
    const create = new Histogram();
    const events = new Histogram();
    const eventErrors: Record<string, number> = {};
    for (const r of results) {
      create.merge(r.create);
      events.merge(r.events);
      for (const [m, c] of Object.entries(r.errors)) eventErrors[m] = (eventErrors[m] ?? 0) + c;
    }
    if (delivered < expected) eventErrors["events not delivered within 10 s"] = expected - delivered;
    const clientCpuMs = (cpu.user + cpu.system) / 1000;
    return {
      create: summarize({ name: `${options.name}: watcher creation`, histogram: create, errors: {}, elapsedMs: createMs, clientCpuMs: 0, workers: workerCount }),
      put: summarize({ name: `${options.name}: put`, histogram: putHistogram, errors: putErrors, elapsedMs: putMs, clientCpuMs, workers: 1 }),
      events: summarize({ name: `${options.name}: event delivery`, histogram: events, errors: eventErrors, elapsedMs: eventsMs, clientCpuMs, workers: workerCount }),
    };
  } finally {
    putter.close();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
