// End to end: a tiny `put` (200 requests, 2 workers) against the real etcd 3.4 through the
// same path as the CLI, and the keys are really there afterwards.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { startMember, type Member } from "@etcd-ts/testkit";
import { runCommand } from "../src/commands.js";
import { Connection } from "../src/load/Connection.js";

let etcd: Member;
before(async () => {
  etcd = await startMember({ binary: "etcd" });
});
after(async () => {
  await etcd?.stop();
});

test("put 200 requests with 4 clients on 2 connections", async () => {
  const result = await runCommand([
    "--endpoints", etcd.clientAddress, "--conns", "2", "--clients", "4", "--progress", "off",
    "put", "--total", "200", "--key-size", "8", "--val-size", "16", "--sequential-keys", "--key-space-size", "1000",
  ]);
  const report = result.primary;
  assert.equal(report.count, 200);
  assert.deepEqual(report.errors, {});
  assert.equal(report.workers, 2);
  assert.ok(report.qps > 0);
  assert.ok(report.latencyUs.p50 > 0 && report.latencyUs.p50 <= report.latencyUs.p99 && report.latencyUs.p99 <= report.latencyUs.max);
  const connection = new Connection(etcd.clientAddress);
  try {
    const range = await connection.unary(pb.KVService.range, { key: Buffer.from("00000000"), rangeEnd: Buffer.from("00000200"), countOnly: true });
    assert.equal(range.count, 200, "sequential keys 0..199 were written");
  } finally {
    connection.close();
  }
});
