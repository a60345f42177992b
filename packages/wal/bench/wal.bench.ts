/**
 * WAL benchmark: appends of 256-byte entries in batches of 1, 16, 256 and 4096 per save
 * (one fdatasync each), beside the disk's raw rate of a 4 KiB write + fdatasync from this
 * process — the physical limit a batch of 1 can approach.
 *
 * usage: pnpm --filter @etcd-ts/wal bench [--seconds=N] [--dir=PATH]
 * The directory defaults to a temporary one on the same filesystem as os.tmpdir().
 */
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "@etcd-ts/raft";
import { Wal } from "../src/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seconds = Number(args.get("seconds") ?? 3);
const root = args.get("dir") ?? (await mkdtemp(join(tmpdir(), "wal-bench-")));

interface Row {
  name: string;
  opsPerSec: number;
  entriesPerSec: number;
  mbPerSec: number;
  fsyncsPerSec: number;
}

async function rawFdatasync(blockSize: number): Promise<Row> {
  const handle = await open(join(root, "raw.bin"), "w+");
  await handle.truncate(64 * 1024 * 1024);
  const block = new Uint8Array(blockSize).fill(7);
  let ops = 0;
  let offset = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await handle.write(block, 0, block.length, offset);
    await handle.datasync();
    offset = (offset + block.length) % (64 * 1024 * 1024 - blockSize);
    ops++;
  }
  const elapsed = (performance.now() - start) / 1000;
  await handle.close();
  const label = blockSize >= 1 << 20 ? `${blockSize >> 20} MiB` : `${blockSize >> 10} KiB`;
  return { name: `raw ${label} write + fdatasync`, opsPerSec: ops / elapsed, entriesPerSec: 0, mbPerSec: (ops * blockSize) / elapsed / 1e6, fsyncsPerSec: ops / elapsed };
}

async function walBatches(batch: number): Promise<Row> {
  const dir = join(root, `wal-${batch}`);
  const wal = await Wal.create(dir, { nodeId: 1n, clusterId: 2n });
  const data = new Uint8Array(256).fill(1);
  let index = 1;
  let saves = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const entries: Entry[] = [];
    for (let i = 0; i < batch; i++) entries.push({ term: 1, index: index++, type: 0, data });
    await wal.save({ term: 1, vote: 1n, commit: index - 1 }, entries);
    saves++;
  }
  const elapsed = (performance.now() - start) / 1000;
  await wal.close();
  await rm(dir, { recursive: true, force: true });
  const entriesPerSec = (saves * batch) / elapsed;
  return { name: `WAL save, batch of ${batch}`, opsPerSec: saves / elapsed, entriesPerSec, mbPerSec: (entriesPerSec * 256) / 1e6, fsyncsPerSec: saves / elapsed };
}

const rows: Row[] = [];
const raw = await rawFdatasync(4096);
rows.push(raw);
// The physical limit for big batches: a batch of 4096 × 256-byte entries is ~1.1 MiB a save.
rows.push(await rawFdatasync(1 << 20));
for (const batch of [1, 16, 256, 4096]) {
  process.stderr.write(`running batch of ${batch}...\n`);
  rows.push(await walBatches(batch));
}
if (!args.has("dir")) await rm(root, { recursive: true, force: true });

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));
console.log(`\nWAL benchmark — node ${process.version}, ${seconds} s per row, dir ${root}\n`);
console.log("| row | saves/s | entries/s | MB/s (payload) | fdatasyncs/s | vs raw fdatasync |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.name} | ${fmt(r.opsPerSec)} | ${r.entriesPerSec ? fmt(r.entriesPerSec) : "-"} | ${r.mbPerSec.toFixed(1)} | ${fmt(r.fsyncsPerSec)} | ${(r.fsyncsPerSec / raw.fsyncsPerSec).toFixed(2)}x |`);
}
