// /metrics speaks Prometheus with etcd's metric names, and the counters follow what happens.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { startEtcd, type Etcd } from "../src/index.js";

let etcd: Etcd;
before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
});
after(() => etcd.close());

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${etcd.clientUrls[0]}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const series = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

test("etcd's metric names are there, and puts move the counters", async () => {
  const before = await scrape();
  for (const name of [
    "etcd_server_has_leader",
    "etcd_server_is_leader",
    "etcd_server_proposals_committed_total",
    "etcd_server_proposals_applied_total",
    "etcd_server_proposals_pending",
    "etcd_mvcc_db_total_size_in_bytes",
    "etcd_debugging_mvcc_current_revision",
    'etcd_server_version{server_version="3.4.23"}',
    "etcd_disk_wal_fsync_duration_seconds_count",
    "etcd_disk_backend_commit_duration_seconds_count",
    "process_resident_memory_bytes",
  ]) {
    assert.ok(before.has(name), `missing ${name}`);
  }
  assert.equal(before.get("etcd_server_has_leader"), 1);
  assert.ok(before.get("etcd_mvcc_db_total_size_in_bytes")! > 0);

  const client = new grpc.Client(etcd.clientUrls[0]!.replace("http://", ""), grpc.credentials.createInsecure());
  const m = pb.KVService.put;
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve, reject) => client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, { key: Buffer.from(`m${i}`), value: Buffer.from("v") }, (e, r) => (e ? reject(e) : resolve(r))));
  }
  await new Promise((resolve) => client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, { key: Buffer.alloc(0) }, resolve));
  client.close();

  const after = await scrape();
  const put = 'grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put"';
  assert.equal(after.get(`grpc_server_started_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 6);
  assert.equal(after.get(`grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 5);
  assert.equal(after.get(`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 1, put);
  assert.equal(after.get("etcd_debugging_mvcc_current_revision"), before.get("etcd_debugging_mvcc_current_revision")! + 5);
  assert.ok(after.get("etcd_server_proposals_applied_total")! >= before.get("etcd_server_proposals_applied_total")! + 5);
  assert.ok(after.get("etcd_disk_wal_fsync_duration_seconds_count")! >= before.get("etcd_disk_wal_fsync_duration_seconds_count")! + 5);
});
