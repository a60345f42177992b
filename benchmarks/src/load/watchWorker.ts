/**
 * watchWorker: the entry of one watch load thread. It opens its share of watch streams,
 * creates its watchers on them one by one (recording each creation's latency), reports
 * "ready", then records, for every event delivered, the time since the put that caused it
 * was sent — the put's value carries its send time (µs since the epoch, high resolution),
 * so no message is needed per event. On "stop" it posts both histograms.
 */
import { parentPort, workerData } from "node:worker_threads";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { Histogram, type HistogramSnapshot } from "../Histogram.js";
import { nowMicros } from "./clock.js";
import { Connection, errorMessage, type BidiStream } from "./Connection.js";
import { keyBytes } from "./keys.js";
import { Slot } from "./protocol.js";

/** WatchWorkerInit is a watch worker's `workerData`. */
export interface WatchWorkerInit {
  /** endpoints: one per stream of this worker (each stream on its own connection). */
  readonly endpoints: readonly string[];
  readonly watchersPerStream: number;
  /** firstWatcher is the global index of this worker's first watcher (key = index % keySpace). */
  readonly firstWatcher: number;
  readonly keySpaceSize: number;
  readonly keySize: number;
  readonly shared: SharedArrayBuffer;
}

/** WatchWorkerMessage is what a watch worker posts. */
export type WatchWorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "done"; readonly create: HistogramSnapshot; readonly events: HistogramSnapshot; readonly errors: Record<string, number> };

const init = workerData as WatchWorkerInit | null;

async function main(init: WatchWorkerInit): Promise<void> {
  const port = parentPort!;
  const shared = new Int32Array(init.shared);
  const create = new Histogram();
  const events = new Histogram();
  const errors: Record<string, number> = {};
  const connections = init.endpoints.map((e) => new Connection(e));
  await Promise.all(connections.map((c) => c.ready()));
  let watcher = init.firstWatcher;
  const streams: BidiStream<pb.WatchRequest, pb.WatchResponse>[] = [];
  for (const connection of connections) {
    const stream = connection.bidi(pb.WatchService.watch);
    streams.push(stream);
    for (let w = 0; w < init.watchersPerStream; w++, watcher++) {
      const key = keyBytes(watcher % init.keySpaceSize, init.keySize, "w");
      const start = performance.now();
      stream.send({ requestUnion: { $case: "createRequest", createRequest: { key } } });
      const res = await stream.next();
      if (!res.created || res.canceled) throw new Error(`watch not created: ${res.cancelReason}`);
      create.record((performance.now() - start) * 1000);
    }
    stream.onData((res) => {
      const arrived = nowMicros();
      for (const event of res.events) {
        const sent = Number(Buffer.from(event.kv?.value ?? []).toString("latin1").trim());
        if (Number.isFinite(sent) && sent > 0) events.record(arrived - sent);
        else errors["event without a send time"] = (errors["event without a send time"] ?? 0) + 1;
        Atomics.add(shared, Slot.Completed, 1);
      }
    });
  }
  port.once("message", () => {
    for (const s of streams) s.close();
    for (const c of connections) c.close();
    port.postMessage({ type: "done", create: create.snapshot(), events: events.snapshot(), errors } satisfies WatchWorkerMessage);
  });
  port.postMessage({ type: "ready" } satisfies WatchWorkerMessage);
}

if (init !== null && parentPort) {
  main(init).catch((error: unknown) => parentPort!.postMessage({ type: "failed", message: errorMessage(error) } satisfies WatchWorkerMessage));
}
