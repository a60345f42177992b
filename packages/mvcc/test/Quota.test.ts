// The quota's arithmetic, etcd's (etcdserver/quota.go): 256 bytes of overhead per put, a
// txn costs its costlier branch's top-level puts, and a request fits while size + cost <
// quota — so once the backend has reached the quota even a cost-free txn does not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { DEFAULT_QUOTA_BYTES, Quota, costPut, costTxn } from "../src/Quota.js";

const put = (key: string, value: string): pb.RequestOp => ({ request: { $case: "requestPut", requestPut: pb.PutRequest.create({ key: Buffer.from(key), value: Buffer.from(value) }) } });

test("costs: a put is 256 + key + value; a txn its costlier branch, nested txns not counted", () => {
  assert.equal(costPut(pb.PutRequest.create({ key: Buffer.from("abc"), value: Buffer.from("12345") })), 264);
  const nested: pb.RequestOp = { request: { $case: "requestTxn", requestTxn: pb.TxnRequest.create({ success: [put("n", "x".repeat(1000))] }) } };
  assert.equal(costTxn(pb.TxnRequest.create({ success: [put("a", "1"), put("b", "2")], failure: [put("c", "333"), nested] })), 2 * 258);
  assert.equal(costTxn(pb.TxnRequest.create({ success: [] })), 0);
});

test("available: size + cost must stay below the quota; 0 means 2 GiB, negative none", () => {
  const quota = new Quota(1000);
  assert.equal(quota.available(700, 299), true);
  assert.equal(quota.available(700, 300), false);
  assert.equal(quota.available(1000, 0), false, "a full backend refuses even cost-free requests");
  assert.equal(new Quota(0).quotaBytes, DEFAULT_QUOTA_BYTES);
  assert.equal(new Quota(-1).available(Number.MAX_SAFE_INTEGER, 1), true);
});
