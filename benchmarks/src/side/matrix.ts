/**
 * matrix: the rows of the side-by-side run — etcd's published performance table (put with
 * 1 conn/1 client and 100 conns/1000 clients; range linearizable and serializable at both
 * sizes), txn-put, watch latency with 1k watchers, lease keep-alive with 10k leases, and a
 * range of 100k keys — each as the exact benchmark command line plus the data it needs
 * first (prefill, not measured).
 *
 * Totals are scaled down from etcd's (10,000 / 100,000 requests) so that the whole matrix,
 * both servers, two rounds each, runs in a few minutes on a 2-core machine; throughput
 * and percentiles are rates, so they compare, but short runs are noisier.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import { Connection } from "../load/Connection.js";
import { keyBytes, randomValue } from "../load/keys.js";

/** Row is one line of the results table. */
export interface Row {
  readonly id: string;
  readonly title: string;
  /** argv of the benchmark, without --endpoints (the runner adds it). */
  readonly argv: readonly string[];
  /** prefill describes the data put before the measured run, for RESULTS.md. */
  readonly prefill?: string;
  /** setup writes the prefill through the endpoint (not measured). */
  readonly setup?: (endpoint: string) => Promise<void>;
  /** members: 3 for the cluster rows (behind `--cluster`). */
  readonly members: number;
  /** rateLimited: the load runs at a fixed rate, so only latency is a target. */
  readonly rateLimited?: boolean;
}

/** putMany writes keys [0, count) as `prefix` + number (keySize bytes) in 128-op txns. */
async function putMany(endpoint: string, count: number, keySize: number, valSize: number, prefix: string): Promise<void> {
  const connection = new Connection(endpoint);
  const value = randomValue(valSize);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) {
          const from = next;
          const to = Math.min(count, from + 128);
          next = to;
          const success = [];
          for (let n = from; n < to; n++) success.push({ request: { $case: "requestPut" as const, requestPut: { key: keyBytes(n, keySize, prefix), value } } });
          await connection.unary(pb.KVService.txn, { success });
        }
      }),
    );
  } finally {
    connection.close();
  }
}

/** rangeKey puts the key `foo` with a 256-byte value, as etcd's range rows read. */
async function rangeKey(endpoint: string): Promise<void> {
  const connection = new Connection(endpoint);
  try {
    await connection.unary(pb.KVService.put, { key: Buffer.from("foo"), value: randomValue(256) });
  } finally {
    connection.close();
  }
}

/** singleMemberRows is the default matrix. */
export const singleMemberRows: readonly Row[] = [
  { id: "put-1x1", title: "put, 1 conn / 1 client", members: 1,
    argv: ["--target-leader", "--conns", "1", "--clients", "1", "put", "--key-size", "8", "--sequential-keys", "--key-space-size", "100000", "--total", "2000", "--val-size", "256"] },
  { id: "put-100x1000", title: "put, 100 conns / 1000 clients", members: 1,
    argv: ["--target-leader", "--conns", "100", "--clients", "1000", "put", "--key-size", "8", "--sequential-keys", "--key-space-size", "100000", "--total", "20000", "--val-size", "256"] },
  { id: "range-l-1x1", title: "range (linearizable), 1 conn / 1 client", members: 1, prefill: "key foo, 256-byte value", setup: rangeKey,
    argv: ["--conns", "1", "--clients", "1", "range", "foo", "--consistency", "l", "--total", "5000"] },
  { id: "range-s-1x1", title: "range (serializable), 1 conn / 1 client", members: 1, prefill: "key foo, 256-byte value", setup: rangeKey,
    argv: ["--conns", "1", "--clients", "1", "range", "foo", "--consistency", "s", "--total", "5000"] },
  { id: "range-l-100x1000", title: "range (linearizable), 100 conns / 1000 clients", members: 1, prefill: "key foo, 256-byte value", setup: rangeKey,
    argv: ["--conns", "100", "--clients", "1000", "range", "foo", "--consistency", "l", "--total", "30000"] },
  { id: "range-s-100x1000", title: "range (serializable), 100 conns / 1000 clients", members: 1, prefill: "key foo, 256-byte value", setup: rangeKey,
    argv: ["--conns", "100", "--clients", "1000", "range", "foo", "--consistency", "s", "--total", "30000"] },
  { id: "txn-put", title: "txn-put (compare mod revision + put), 10 conns / 100 clients", members: 1,
    argv: ["--conns", "10", "--clients", "100", "txn-put", "--key-size", "8", "--val-size", "256", "--total", "10000"] },
  { id: "watch-latency-1k", title: "watch latency, 1k watchers (10 streams x 100), 100 puts/s (events/s)", members: 1, rateLimited: true,
    argv: ["watch-latency", "--streams", "10", "--watchers-per-stream", "100", "--put-total", "300", "--put-rate", "100", "--key-size", "32", "--val-size", "32"] },
  { id: "lease-keepalive-10k", title: "lease keepalive, 10k leases, 10 conns / 100 clients", members: 1, prefill: "10,000 leases granted (TTL 100 s) before timing",
    argv: ["--conns", "10", "--clients", "100", "lease-keepalive", "--leases", "10000", "--total", "30000"] },
  { id: "range-100k", title: "range of 100k keys (linearizable), 1 conn / 1 client", members: 1, prefill: "100,000 keys r0000000..r0099999, 32-byte values",
    setup: (endpoint) => putMany(endpoint, 100_000, 8, 32, "r"),
    argv: ["--conns", "1", "--clients", "1", "range", "r", "s", "--consistency", "l", "--total", "20"] },
];

/** clusterRows run against 3 members (`--cluster`): etcd's table's leader-only put and range. */
export const clusterRows: readonly Row[] = [
  { id: "3m-put-100x1000", title: "3 members: put, 100 conns / 1000 clients, leader only", members: 3,
    argv: ["--target-leader", "--conns", "100", "--clients", "1000", "put", "--key-size", "8", "--sequential-keys", "--key-space-size", "100000", "--total", "20000", "--val-size", "256"] },
  { id: "3m-range-l-100x1000", title: "3 members: range (linearizable), 100 conns / 1000 clients", members: 3, prefill: "key foo, 256-byte value", setup: rangeKey,
    argv: ["--conns", "100", "--clients", "1000", "range", "foo", "--consistency", "l", "--total", "30000"] },
];
