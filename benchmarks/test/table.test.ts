// Table rendering: ratios, target marks, unavailable rows, and the averaging of rounds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { average, ratio, renderTable, type Measurement } from "../src/side/table.js";

const m = (qps: number, p99Us: number, peakRssKb: number, errors = 0): Measurement => ({ qps, p99Us, peakRssKb, clientCpu: 0.5, serverCpu: 1.25, errors });

test("a row shows both servers, the etcd-ts / etcd ratios and the targets", () => {
  const table = renderTable([
    { title: "put", etcd: m(10_000, 2000, 51_200), etcdTs: m(12_000, 2200, 102_400) },
    { title: "range", etcd: m(10_000, 2000, 51_200), etcdTs: m(5_000, 4000, 51_200, 3) },
  ]).split("\n");
  assert.equal(table.length, 4);
  assert.match(table[0]!, /^\| Row \| etcd QPS \| etcd-ts QPS \| QPS ratio \| etcd p99 \| etcd-ts p99 \| p99 ratio \|/);
  assert.equal(table[2], "| put | 10,000 | 12,000 | 1.20x | 2.0 ms | 2.2 ms | 1.10x | 50 MiB | 100 MiB | 2.00x | ok | 0.50 / 0.50 | 1.25 / 1.25 |");
  assert.match(table[3]!, /^\| range \(errors: 0 \/ 3\) \| 10,000 \| 5,000 \| 0\.50x \| .* \| 2\.00x \| .* \| QPS \*\*below\*\*, p99 \*\*below\*\* \|/);
});

test("an unavailable server and a rate-limited row", () => {
  const table = renderTable([
    { title: "3 members: put", etcd: m(9000, 3000, 60_000), etcdTs: "not available: clustering not built" },
    { title: "watch", rateLimited: true, etcd: m(100, 3000, 60_000), etcdTs: m(90, 3000, 60_000) },
  ]).split("\n");
  assert.equal(table[2], "| 3 members: put | 9,000 | not available: clustering not built | — | 3.0 ms | not available: clustering not built | — | 59 MiB | not available: clustering not built | — | — | — | — |");
  assert.match(table[3]!, /\| ok \|/, "throughput is not a target at a fixed rate");
});

test("ratio and average", () => {
  assert.equal(ratio(2, 3), "1.50x");
  assert.equal(ratio(0, 3), "—");
  assert.equal(ratio(undefined, 3), "—");
  const avg = average([m(100, 1000, 10), m(300, 3000, 30, 1)]);
  assert.equal(avg.qps, 200);
  assert.equal(avg.p99Us, 2000);
  assert.equal(avg.peakRssKb, 30, "peak RSS is the max of the rounds");
  assert.equal(avg.errors, 1);
});
