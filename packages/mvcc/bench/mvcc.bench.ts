// The mvcc benchmark (issue #6): everything through the worker API as the server uses it.
// Run: pnpm --filter @etcd-ts/mvcc bench   (MVCC_BENCH_KEYS=200000 for a quicker run)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { etcdserverpb } from "@etcd-ts/api";
import { openEngine } from "../src/MvccEngine.js";
import type { ApplyOp, MvccEngine } from "../src/index.js";
import { TreeIndex } from "../src/TreeIndex.js";
import { WatchableStore } from "../src/WatchableStore.js";

const BIG = Number(process.env.MVCC_BENCH_KEYS ?? 1_000_000);
const VALUE = Buffer.alloc(256, 0x61);
const root = mkdtempSync(join(tmpdir(), "mvcc-bench-"));
let dirs = 0;
const dir = (): string => join(root, String(dirs++));
const results: [string, string, string][] = [];
function report(name: string, value: string, target = ""): void {
  results.push([name, value, target]);
  console.log(`${name.padEnd(52)} ${value.padEnd(26)} ${target}`);
}
const key = (i: number): Buffer => Buffer.from(`key/${String(i).padStart(8, "0")}`);
const put = (k: Buffer): ApplyOp => ({ op: "put", request: etcdserverpb.PutRequest.create({ key: k, value: VALUE }) });
function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
let index = 0;
async function load(engine: MvccEngine, count: number, batch = 1000, inFlight = 4): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i += batch) {
    const ops: ApplyOp[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++) ops.push(put(key(j)));
    pending.push(engine.apply({ index: ++index, term: 1, ops }));
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
}

async function putThroughput(): Promise<void> {
  for (const [batch, total, inFlight] of [[1, 5_000, 1], [1, 20_000, 64], [100, 100_000, 4], [1000, 300_000, 4]] as const) {
    const engine = await openEngine(dir());
    const t0 = performance.now();
    await load(engine, total, batch, inFlight);
    const seconds = (performance.now() - t0) / 1000;
    report(`puts/s, batches of ${batch}${inFlight > 1 ? ` (${inFlight} in flight)` : " (one at a time)"}`, `${Math.round(total / seconds).toLocaleString("en")}`, batch === 1000 ? "target >= 150,000" : "");
    await engine.close();
  }
}

async function rangeLatency(engine: MvccEngine, keys: number, label: string): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const k = key(Math.floor(Math.random() * keys));
    const t0 = performance.now();
    await engine.range(etcdserverpb.RangeRequest.create({ key: k }));
    samples.push(performance.now() - t0);
  }
  report(`single-key range, ${label} keys: p50 / p99 (round trip)`, `${pct(samples, 50).toFixed(3)} / ${pct(samples, 99).toFixed(3)} ms`, "target p99 < 0.2 ms");
}

async function main(): Promise<void> {
  console.log(`mvcc benchmark (node ${process.version}, ${BIG.toLocaleString("en")} keys for the big runs)\n`);
  await putThroughput();

  // ranges with 100k keys
  {
    const engine = await openEngine(dir());
    await load(engine, 100_000);
    await rangeLatency(engine, 100_000, "100k");
    await engine.close();
  }
  // the big store: ranges, prefix range, compaction, reopen
  const bigDir = dir();
  let engine = await openEngine(bigDir, { compactionPauseMs: 10 });
  await load(engine, BIG);
  await rangeLatency(engine, BIG, BIG >= 1_000_000 ? "1M" : String(BIG));
  {
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = Math.floor(Math.random() * (BIG - 10_000));
      const t0 = performance.now();
      const r = await engine.range(etcdserverpb.RangeRequest.create({ key: key(start), rangeEnd: key(start + 10_000) }));
      samples.push(performance.now() - t0);
      if (r.kvs.length !== 10_000) throw new Error("prefix range size");
    }
    report("range of 10k keys (256 B values): p50 / p99", `${pct(samples, 50).toFixed(1)} / ${pct(samples, 99).toFixed(1)} ms`);
  }
  // compaction of BIG revisions: overwrite every key once more, compact below, time it and write p99 meanwhile
  {
    await load(engine, BIG);
    const status = await engine.status();
    const t0 = performance.now();
    const c = await engine.apply({ index: ++index, term: 1, ops: [{ op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: status.revision }) }] });
    if (!c.results[0]!.ok) throw new Error("compact failed");
    let done = false;
    const finished = engine.compacted(status.revision).then(() => (done = true));
    const writes: number[] = [];
    let i = 0;
    while (!done) {
      const w0 = performance.now();
      await engine.apply({ index: ++index, term: 1, ops: [put(key(BIG + i++))] });
      writes.push(performance.now() - w0);
    }
    await finished;
    report(`compaction of ${BIG.toLocaleString("en")} revisions`, `${((performance.now() - t0) / 1000).toFixed(2)} s`);
    report("  write latency during it: p50 / p99", `${pct(writes, 50).toFixed(2)} / ${pct(writes, 99).toFixed(2)} ms (${writes.length} writes)`);
  }
  await engine.close();
  {
    const t0 = performance.now();
    engine = await openEngine(bigDir);
    const status = await engine.status();
    report(`reopen with ${status.keys.toLocaleString("en")} keys (index rebuild)`, `${((performance.now() - t0) / 1000).toFixed(2)} s`, "target < 3 s");
    await engine.close();
  }

  // watch fan-out: 1,000 watchers on distinct keys plus 1 prefix watcher per 100, events delivered/s
  {
    const eng = await openEngine(dir());
    const status = await eng.status();
    const watchable = new WatchableStore(eng, { revision: status.revision, compactRevision: status.compactRevision, bufferSize: 100_000 });
    const stream = watchable.newStream();
    for (let w = 0; w < 1000; w++) stream.watch(Buffer.from("fan/"), Buffer.from("fan0"));
    let delivered = 0;
    const consumer = (async () => {
      for await (const r of stream) delivered += r.events.length;
    })();
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let b = 0; b < 100; b++) {
      const ops: ApplyOp[] = [];
      for (let j = 0; j < 100; j++) ops.push(put(Buffer.from(`fan/${b * 100 + j}`)));
      pending.push(eng.apply({ index: ++index, term: 1, ops }).then((r) => watchable.notify(r.revision, r.events)));
    }
    await Promise.all(pending);
    while (delivered < 1000 * 10_000) await new Promise((resolve) => setImmediate(resolve));
    const seconds = (performance.now() - t0) / 1000;
    report("watch fan-out: 1,000 prefix watchers, events/s delivered", `${Math.round(delivered / seconds).toLocaleString("en")}`);
    stream.close();
    await consumer;
    await eng.close();
  }

  // key index memory per key (in-process, heap measured around building it)
  {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) {
      report("key index memory per key", "run with --expose-gc");
    } else {
      const keys = Array.from({ length: BIG }, (_, i) => `key/${String(i).padStart(8, "0")}`);
      gc();
      const before = process.memoryUsage().heapUsed;
      const idx = new TreeIndex();
      for (let i = 0; i < BIG; i++) idx.put(keys[i]!, i + 2, 0);
      gc();
      const after = process.memoryUsage().heapUsed;
      report(`key index overhead per key (${BIG.toLocaleString("en")} keys, key strings excluded)`, `${((after - before) / BIG).toFixed(0)} bytes`, "target <= 150 bytes");
      if (idx.size !== BIG) throw new Error("index size");
    }
  }
  rmSync(root, { recursive: true, force: true });
}

await main();
