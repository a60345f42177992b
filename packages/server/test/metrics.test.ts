// /metrics speaks Prometheus with etcd's metric names, and the counters follow what happens.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { startMember } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";

let etcd: Etcd;
before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
});
after(() => etcd.close());

async function scrape(url = etcd.clientUrls[0]!): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`);
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
  let requestBytes = 0;
  let responseBytes = 0;
  for (let i = 0; i < 5; i++) {
    const request = { key: Buffer.from(`m${i}`), value: Buffer.from("v") };
    const response = await new Promise<pb.PutResponse>((resolve, reject) => client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, (e, r) => (e ? reject(e) : resolve(r!))));
    requestBytes += m.requestSerialize(request).length;
    responseBytes += m.responseSerialize(response).length;
  }
  await new Promise((resolve) => client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, { key: Buffer.alloc(0) }, resolve));
  client.close();

  const after = await scrape();
  const put = 'grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put"';
  assert.equal(after.get(`grpc_server_started_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 6);
  assert.equal(after.get(`grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 5);
  assert.equal(after.get(`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 1, put);
  assert.equal(after.get(`grpc_server_msg_received_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 6);
  assert.equal(after.get(`grpc_server_msg_sent_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}`), 5);
  assert.equal(after.get('etcd_server_client_requests_total{client_api_version="unknown",type="unary"}'), 6, "grpc-js sends no client-api-version");
  // Bytes as etcd counts them: each message's protobuf encoding (the empty request is 0 bytes; the failed call sends none).
  assert.equal(after.get("etcd_network_client_grpc_received_bytes_total")! - before.get("etcd_network_client_grpc_received_bytes_total")!, requestBytes);
  assert.equal(after.get("etcd_network_client_grpc_sent_bytes_total")! - before.get("etcd_network_client_grpc_sent_bytes_total")!, responseBytes);
  assert.equal(after.get("etcd_debugging_mvcc_current_revision"), before.get("etcd_debugging_mvcc_current_revision")! + 5);
  assert.ok(after.get("etcd_server_proposals_applied_total")! >= before.get("etcd_server_proposals_applied_total")! + 5);
  assert.ok(after.get("etcd_disk_wal_fsync_duration_seconds_count")! >= before.get("etcd_disk_wal_fsync_duration_seconds_count")! + 5);
});

/** Families of the real etcd 3.4.23's /metrics we do not serve, and why. */
const NOT_SERVED: readonly RegExp[] = [
  /^go_/, // the Go runtime's own
  /^promhttp_/, // Go's Prometheus handler
  /^etcd_server_go_version$/,
  /^etcd_debugging_store_/, // the v2 store (v2 API not served)
  /^etcd_grpc_proxy_/, // the gRPC proxy (not built)
  /^etcd_debugging_disk_backend_commit_(rebalance|spill|write)_duration_seconds$/, // bbolt internals
  /^etcd_debugging_snap_save_/, // v2 snapshots
  /^etcd_snap_db_/, // a snapshot received from a leader: no peers yet
  /^etcd_server_learner_promote_successes$/, // learners come with clustering
  /^etcd_debugging_mvcc_(events_total|pending_events_total|total_put_size_in_bytes)$/, // not counted yet
  /^etcd_debugging_mvcc_(db_compaction_keys_total|db_compaction_(pause|total)_duration_milliseconds|index_compaction_pause_duration_milliseconds)$/, // inside the storage worker: not reported yet
  /^etcd_mvcc_db_open_read_transactions$/, // LMDB readers are not tracked
];

function families(series: Map<string, number>): Set<string> {
  return new Set([...series.keys()].map((name) => name.replace(/\{.*$/, "").replace(/_(bucket|sum|count)$/, "")));
}

test("every metric family of the real etcd 3.4.23 is served, but for the listed ones, with the same label values where fixed", async () => {
  const real = await startMember({ binary: "etcd" });
  try {
    const counted = ["etcd_mvcc_put_total", "etcd_debugging_mvcc_put_total", "etcd_mvcc_range_total", "etcd_server_health_success", "etcd_server_health_failures", "etcd_server_proposals_failed_total"];
    const theirsBefore = await scrape(real.clientUrl);
    const oursBefore = await scrape();
    // Same traffic on both: a put, a get, a health check.
    for (const url of [real.clientUrl, etcd.clientUrls[0]!]) {
      await fetch(`${url}/v3/kv/put`, { method: "POST", body: JSON.stringify({ key: Buffer.from("f").toString("base64"), value: "dg==" }) });
      await fetch(`${url}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("f").toString("base64") }) });
      await fetch(`${url}/health`);
    }
    const theirs = await scrape(real.clientUrl);
    const ours = await scrape();
    const missing = [...families(theirs)].filter((name) => !families(ours).has(name) && !NOT_SERVED.some((re) => re.test(name)));
    assert.deepEqual(missing, []);
    for (const fixed of ['etcd_cluster_version{cluster_version="3.4"}', 'etcd_server_version{server_version="3.4.23"}']) {
      assert.equal(theirs.get(fixed), 1, fixed);
      assert.equal(ours.get(fixed), 1, fixed);
    }
    // The same traffic moved the counters by as much on both.
    for (const name of counted) {
      assert.equal(ours.get(name)! - oursBefore.get(name)!, theirs.get(name)! - theirsBefore.get(name)!, name);
    }
    // etcd's gateway is a gRPC client of its own server: its calls count as gRPC calls, and
    // their bytes as the requests' encodings (the same requests: the same bytes).
    const grpcSeries = (method: string, counter: string, extra = ""): string => `grpc_server_${counter}_total{${extra}grpc_method="${method}",grpc_service="etcdserverpb.KV",grpc_type="unary"}`;
    for (const method of ["Put", "Range"]) {
      for (const name of [grpcSeries(method, "started"), grpcSeries(method, "msg_received"), grpcSeries(method, "msg_sent"), grpcSeries(method, "handled", 'grpc_code="OK",')]) {
        assert.equal((ours.get(name) ?? 0) - (oursBefore.get(name) ?? 0), (theirs.get(name) ?? 0) - (theirsBefore.get(name) ?? 0), name);
      }
    }
    const received = "etcd_network_client_grpc_received_bytes_total";
    assert.equal(ours.get(received)! - oursBefore.get(received)!, theirs.get(received)! - theirsBefore.get(received)!, received);
    // The gateway's calls carry no client API version, on both.
    const unknownUnary = 'etcd_server_client_requests_total{client_api_version="unknown",type="unary"}';
    assert.equal(ours.get(unknownUnary)! - (oursBefore.get(unknownUnary) ?? 0), theirs.get(unknownUnary)! - (theirsBefore.get(unknownUnary) ?? 0), unknownUnary);
    assert.ok(ours.get(`etcd_server_id{server_id="${etcd.server.memberId.toString(16)}"}`) === 1);
    assert.ok(ours.get("etcd_disk_wal_write_bytes_total")! > 0);
    assert.ok(ours.get("process_open_fds")! > 0);
  } finally {
    await real.stop();
  }
});
