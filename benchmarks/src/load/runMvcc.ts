/**
 * runMvcc: the `mvcc put` benchmark — the storage engine alone, no network, no raft, no
 * WAL (etcd's `benchmark mvcc put` does the same against its own mvcc package). Puts go to
 * an @etcd-ts/mvcc engine opened on a temporary directory, `--batch` puts per apply (one
 * apply is one LMDB write transaction), `--clients` applies in flight. The engine runs in
 * its worker thread unless `--in-process`. Latency is per apply; QPS counts puts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { openEngine } from "@etcd-ts/mvcc";
import { Histogram } from "../Histogram.js";
import { Progress } from "../Progress.js";
import { summarize, type Report } from "../Report.js";
import { errorMessage } from "./Connection.js";
import { keyBytes, keyNumber, randomValue } from "./keys.js";

/** MvccLoadOptions describe one `mvcc put` run. */
export interface MvccLoadOptions {
  readonly total: number;
  readonly keySize: number;
  readonly valSize: number;
  readonly keySpaceSize: number;
  readonly sequentialKeys: boolean;
  /** batch is puts per apply (one LMDB transaction). */
  readonly batch: number;
  /** clients is applies in flight at once. */
  readonly clients: number;
  readonly inProcess: boolean;
  readonly progress?: boolean | undefined;
}

/** runMvcc runs `mvcc put`; see the module comment. */
export async function runMvcc(options: MvccLoadOptions): Promise<Report> {
  const dir = await mkdtemp(join(tmpdir(), "etcd-ts-bench-mvcc-"));
  const engine = await openEngine(dir, { inProcess: options.inProcess });
  const value = randomValue(options.valSize);
  const histogram = new Histogram();
  const errors: Record<string, number> = {};
  const batch = Math.max(1, options.batch);
  const progress = new Progress({ total: options.total, label: "mvcc put", ...(options.progress === undefined ? {} : { enabled: options.progress }) });
  let next = 0;
  let index = 0;
  let done = 0;
  try {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: Math.max(1, options.clients) }, async () => {
        while (next < options.total) {
          const count = Math.min(batch, options.total - next);
          const ops = Array.from({ length: count }, () => ({
            op: "put" as const,
            request: pb.PutRequest.create({ key: keyBytes(keyNumber(next++, options.keySpaceSize, options.sequentialKeys), options.keySize), value }),
          }));
          const t = performance.now();
          try {
            await engine.apply({ index: ++index, term: 1, ops });
            for (let i = 0; i < count; i++) histogram.record((performance.now() - t) * 1000);
          } catch (error) {
            const message = errorMessage(error);
            errors[message] = (errors[message] ?? 0) + count;
          }
          done += count;
          progress.update(done);
        }
      }),
    );
    const elapsedMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    progress.finish(done);
    return summarize({ name: "mvcc put", histogram, errors, elapsedMs, clientCpuMs: (cpu.user + cpu.system) / 1000, workers: options.inProcess ? 0 : 1 });
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}
