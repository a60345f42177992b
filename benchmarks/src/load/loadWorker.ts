/**
 * loadWorker: the entry of one load thread. It opens its connections, sets up its share of
 * the clients (see Workload), reports "ready", and on "go" runs every client in a closed
 * loop — claim the next operation number from the shared counter, run it, record its
 * latency — until the total is reached or the driver sets Stop. Then it posts its
 * histogram and error counts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Histogram } from "../Histogram.js";
import { Connection, errorMessage } from "./Connection.js";
import { Slot, type FromWorker, type ToWorker, type WorkerInit } from "./protocol.js";
import { setupWorkload } from "./Workload.js";

const init = workerData as WorkerInit;
const port = parentPort!;
const shared = new Int32Array(init.shared);
const post = (message: FromWorker): void => port.postMessage(message);

async function main(): Promise<void> {
  const connections = init.endpoints.map((endpoint) => new Connection(endpoint, { grpcJs: init.grpcJs }));
  await Promise.all(connections.map((c) => c.ready()));
  const workload = await setupWorkload(init.spec, {
    connections,
    clients: init.clients,
    firstClient: init.firstClient,
    totalClients: init.totalClients,
  });
  const histogram = new Histogram();
  const errors: Record<string, number> = {};
  const interval = init.rate > 0 ? 1000 / init.rate : 0;
  let nextAt = 0;

  const go = new Promise<void>((resolve) => port.once("message", (m: ToWorker) => m.type === "go" && resolve()));
  post({ type: "ready" });
  await go;

  await Promise.all(
    workload.loops.map(async (loop) => {
      for (;;) {
        if (Atomics.load(shared, Slot.Stop) !== 0) return;
        const n = Atomics.add(shared, Slot.Claimed, 1);
        if (init.total > 0 && n >= init.total) return;
        if (interval > 0) {
          const now = performance.now();
          const at = Math.max(now, nextAt);
          nextAt = at + interval;
          if (at > now) await new Promise((r) => setTimeout(r, at - now));
        }
        const start = performance.now();
        try {
          await loop.op(n);
          histogram.record((performance.now() - start) * 1000);
        } catch (error) {
          const message = errorMessage(error);
          errors[message] = (errors[message] ?? 0) + 1;
        }
        Atomics.add(shared, Slot.Completed, 1);
      }
    }),
  );
  await workload.close();
  for (const c of connections) c.close();
  post({ type: "done", histogram: histogram.snapshot(), errors });
}

main().catch((error: unknown) => post({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
