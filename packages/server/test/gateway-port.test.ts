// The JSON gateway is served on the member's client port, beside gRPC, /health and /version.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEtcd, type Etcd } from "../src/index.js";

let etcd: Etcd;
before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
});
after(() => etcd.close());

const b64 = (s: string): string => Buffer.from(s).toString("base64");

test("put and range through /v3/kv on the client port, with etcd's JSON mapping", async () => {
  const url = etcd.clientUrls[0]!;
  const put = await fetch(`${url}/v3/kv/put`, { method: "POST", body: JSON.stringify({ key: b64("gw"), value: b64("hello") }) });
  assert.equal(put.status, 200);
  const putBody = (await put.json()) as { header: { revision: string; member_id: string } };
  assert.match(putBody.header.revision, /^\d+$/, "int64 as a string");
  const range = await fetch(`${url}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: b64("gw") }) });
  const body = (await range.json()) as { kvs: { key: string; value: string; create_revision: string }[]; count: string };
  assert.equal(body.count, "1");
  assert.equal(Buffer.from(body.kvs[0]!.value, "base64").toString(), "hello");
  assert.equal(body.kvs[0]!.create_revision, putBody.header.revision);
  const missing = await fetch(`${url}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: "" }) });
  assert.equal(missing.status, 400);
  assert.deepEqual(await missing.json(), { error: "etcdserver: key is not provided", message: "etcdserver: key is not provided", code: 3 });
  assert.deepEqual(await (await fetch(`${url}/version`)).json(), { etcdserver: "3.4.23", etcdcluster: "3.4.0" });
});
