/**
 * Client benchmark: our client against the npm `etcd3` client, same server (the real etcd
 * 3.4, started here), same operations, interleaved A B A B: puts/s and gets/s with 1 and 100
 * requests in flight, and watch events/s received (events written by a third connection, the
 * same for both, in txns of 100 puts; one watcher, then 10 watchers of the same prefix, whose
 * events all come over the client's one watch stream, so that receiving weighs more than
 * writing). Prints a markdown table: the mean
 * rates, their ratio (ours / etcd3) and the range of the per-round ratios, and the client
 * process's CPU time per operation (for the watch row it includes the writer's, which is the
 * same for both clients).
 *
 * usage: pnpm --filter @etcd-ts/client bench [--seconds=3] [--rounds=3]
 */
import { startMember } from "@etcd-ts/testkit";
import { Etcd3 } from "etcd3";
import { Client, Op } from "../src/index.js";

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const seconds = Number(args.get("seconds") ?? 3);
const rounds = Number(args.get("rounds") ?? 3);

interface Driver {
  put(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  /** watchCount: events per second received by `watchers` watchers of `prefix`, `total` each. */
  watchCount(prefix: string, total: number, watchers: number, writer: () => Promise<void>): Promise<number>;
  close(): Promise<void> | void;
}

function ours(endpoint: string): Driver {
  const client = new Client({ endpoints: [endpoint] });
  return {
    put: (k, v) => client.put(k, v),
    get: (k) => client.get(k),
    async watchCount(prefix, total, watchers, writer) {
      const all = Array.from({ length: watchers }, () => client.watch(prefix, { prefix: true }));
      await Promise.all(all.map((w) => w.ready));
      const start = performance.now();
      const writing = writer();
      let seen = 0;
      await Promise.all(
        all.map(async (watcher) => {
          let mine = 0;
          for await (const { events } of watcher) {
            mine += events.length;
            if (mine >= total) break;
          }
          seen += mine;
        }),
      );
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
    async watchCount(prefix, total, watchers, writer) {
      const all = await Promise.all(Array.from({ length: watchers }, () => client.watch().prefix(prefix).create()));
      const start = performance.now();
      let seen = 0;
      const done = Promise.all(
        all.map(
          (watcher) =>
            new Promise<void>((resolve) => {
              let mine = 0;
              watcher.on("data", (res: { events: unknown[] }) => {
                mine += res.events.length;
                seen += res.events.length;
                if (mine >= total) resolve();
              });
            }),
        ),
      );
      await writer();
      await done;
      const rate = seen / ((performance.now() - start) / 1000);
      await Promise.all(all.map((w) => w.cancel()));
      return rate;
    },
    close: () => client.close(),
  };
}

/** A measured cell: operations per second and client CPU µs per operation. */
interface Measure {
  readonly rate: number;
  readonly cpuPerOp: number;
}

/** Runs `op` with `inFlight` concurrent loops for `seconds`. */
async function throughput(inFlight: number, op: (i: number) => Promise<unknown>): Promise<Measure> {
  let done = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(w * 1_000_000 + i);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: done / ((performance.now() - start) / 1000), cpuPerOp: (used.user + used.system) / done };
}

const etcd = await startMember({ binary: "etcd" });
const endpoint = etcd.clientUrl;
const writerClient = new Client({ endpoints: [endpoint] });
const value = "v".repeat(256);
await writerClient.put("bench/get", value);
const results = new Map<string, { ours: Measure[]; etcd3: Measure[] }>();
const record = (row: string, who: "ours" | "etcd3", v: Measure): void => {
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
    for (const watchers of [1, 10]) {
      const prefix = `watch/${watchRound++}/`;
      const total = 20_000;
      const writer = async (): Promise<void> => {
        for (let i = 0; i < total; i += 100) {
          const txn = writerClient.txn();
          await txn.then(...Array.from({ length: 100 }, (_, j) => Op.put(`${prefix}${i + j}`, "x"))).commit();
        }
      };
      const cpu = process.cpuUsage();
      const rate = await driver.watchCount(prefix, total, watchers, writer);
      const used = process.cpuUsage(cpu);
      const row = watchers === 1 ? "watch events received, 1 watcher" : `watch events received, ${watchers} watchers`;
      record(row, who, { rate, cpuPerOp: (used.user + used.system) / (total * watchers) });
    }
    await driver.close();
    process.stderr.write(`round ${round + 1} ${who} done\n`);
  }
}
await writerClient.close();
await etcd.stop();

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log(`\nour client vs npm etcd3 1.1.2 — real etcd 3.4.23, node ${process.version}, ${seconds} s per cell, mean of ${rounds} interleaved rounds\n`);
console.log("| operation | @etcd-ts/client (ops/s) | etcd3 (ops/s) | ratio | per-round ratios | client CPU µs/op (ours / etcd3) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [row, r] of results) {
  const ours = mean(r.ours.map((m) => m.rate));
  const theirs = mean(r.etcd3.map((m) => m.rate));
  const perRound = r.ours.map((m, i) => m.rate / r.etcd3[i]!.rate);
  const spread = `${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}x`;
  const cpu = `${mean(r.ours.map((m) => m.cpuPerOp)).toFixed(1)} / ${mean(r.etcd3.map((m) => m.cpuPerOp)).toFixed(1)}`;
  console.log(`| ${row} | ${fmt(ours)} | ${fmt(theirs)} | ${(ours / theirs).toFixed(2)}x | ${spread} | ${cpu} |`);
}
