/**
 * Client benchmark: our client against the npm `etcd3` client, same server (the real etcd
 * 3.4, started here), same operations, interleaved A B A B: puts/s and gets/s with 1 and 100
 * requests in flight, and watch events/s received (one watcher; events written by a third
 * connection in txns of 100 puts). Prints a markdown table with ratios (ours / etcd3).
 *
 * usage: pnpm --filter @etcd-ts/client bench [--seconds=3] [--rounds=2]
 */
import { startRealEtcd } from "@etcd-ts/testkit";
import { Etcd3 } from "etcd3";
import { Client, Op } from "../src/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seconds = Number(args.get("seconds") ?? 3);
const rounds = Number(args.get("rounds") ?? 2);

interface Driver {
  put(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  watchCount(prefix: string, total: number, writer: () => Promise<void>): Promise<number>;
  close(): Promise<void> | void;
}

function ours(endpoint: string): Driver {
  const client = new Client({ endpoints: [endpoint] });
  return {
    put: (k, v) => client.put(k, v),
    get: (k) => client.get(k),
    async watchCount(prefix, total, writer) {
      const watcher = client.watch(prefix, { prefix: true });
      await watcher.ready;
      const start = performance.now();
      const writing = writer();
      let seen = 0;
      for await (const { events } of watcher) {
        seen += events.length;
        if (seen >= total) break;
      }
      await writing;
      return seen / ((performance.now() - start) / 1000);
    },
    close: () => client.close(),
  };
}

function theirs(endpoint: string): Driver {
  const client = new Etcd3({ hosts: endpoint });
  return {
    put: (k, v) => client.put(k).value(v).exec(),
    get: (k) => client.get(k).string(),
    async watchCount(prefix, total, writer) {
      const watcher = await client.watch().prefix(prefix).create();
      const start = performance.now();
      let seen = 0;
      const done = new Promise<void>((resolve) =>
        watcher.on("data", (res: { events: unknown[] }) => {
          seen += res.events.length;
          if (seen >= total) resolve();
        }),
      );
      await writer();
      await done;
      const rate = seen / ((performance.now() - start) / 1000);
      await watcher.cancel();
      return rate;
    },
    close: () => client.close(),
  };
}

/** Runs `op` with `inFlight` concurrent loops for `seconds`; returns ops/s. */
async function throughput(inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(w * 1_000_000 + i);
        done++;
      }
    }),
  );
  return done / seconds;
}

const etcd = await startRealEtcd();
const endpoint = etcd.clientUrl;
const writerClient = new Client({ endpoints: [endpoint] });
const value = "v".repeat(256);
await writerClient.put("bench/get", value);
const results = new Map<string, { ours: number[]; etcd3: number[] }>();
const record = (row: string, who: "ours" | "etcd3", v: number): void => {
  const r = results.get(row) ?? { ours: [], etcd3: [] };
  r[who].push(v);
  results.set(row, r);
};

let watchRound = 0;
for (let round = 0; round < rounds; round++) {
  for (const who of ["ours", "etcd3"] as const) {
    const driver = who === "ours" ? ours(endpoint) : theirs(endpoint);
    await driver.get("bench/get"); // connect first
    for (const inFlight of [1, 100]) {
      record(`put, ${inFlight} in flight`, who, await throughput(inFlight, (i) => driver.put(`bench/${who}/${i % 10000}`, value)));
      record(`get, ${inFlight} in flight`, who, await throughput(inFlight, () => driver.get("bench/get")));
    }
    const prefix = `watch/${watchRound++}/`;
    const total = 20_000;
    const writer = async (): Promise<void> => {
      for (let i = 0; i < total; i += 100) {
        const txn = writerClient.txn();
        await txn.then(...Array.from({ length: 100 }, (_, j) => Op.put(`${prefix}${i + j}`, "x"))).commit();
      }
    };
    record("watch events received", who, await driver.watchCount(prefix, total, writer));
    await driver.close();
    process.stderr.write(`round ${round + 1} ${who} done\n`);
  }
}
await writerClient.close();
await etcd.stop();

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log(`\nour client vs npm etcd3 1.1.2 — real etcd 3.4.23, node ${process.version}, ${seconds} s per cell, mean of ${rounds} interleaved rounds\n`);
console.log("| operation | @etcd-ts/client (ops/s) | etcd3 (ops/s) | ratio |");
console.log("| --- | ---: | ---: | ---: |");
for (const [row, r] of results) console.log(`| ${row} | ${fmt(mean(r.ours))} | ${fmt(mean(r.etcd3))} | ${(mean(r.ours) / mean(r.etcd3)).toFixed(2)}x |`);
