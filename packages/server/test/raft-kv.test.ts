// RaftKV (etcdserver/RaftKV.ts): the member's one read path and its txn split, as etcd's
// EtcdServer.Txn makes it — a txn of ranges only is served as a read (no raft entry), any
// other txn (a nested txn of ranges included, as in etcd's isTxnReadonly) goes through raft.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { isTxnReadonly, isTxnSerializable } from "../src/etcdserver/EtcdServer.js";
import { DataDirs, startMember } from "./support/member.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const dirs = new DataDirs();
after(() => dirs.removeAll());

const range = (key: string, serializable = false): pb.RequestOp =>
  pb.RequestOp.create({ request: { $case: "requestRange", requestRange: pb.RangeRequest.create({ key: bytes(key), serializable }) } });
const nested = (txn: pb.TxnRequest): pb.RequestOp => pb.RequestOp.create({ request: { $case: "requestTxn", requestTxn: txn } });

test("isTxnReadonly / isTxnSerializable are etcd's: ranges only, on both branches; serializable when every range is", () => {
  assert.equal(isTxnReadonly(pb.TxnRequest.create({ success: [range("a")], failure: [range("b")] })), true);
  assert.equal(isTxnReadonly(pb.TxnRequest.create({})), true);
  assert.equal(isTxnReadonly(pb.TxnRequest.create({ success: [nested(pb.TxnRequest.create({ success: [range("a")] }))] })), false);
  assert.equal(isTxnReadonly(pb.TxnRequest.create({ failure: [pb.RequestOp.create({})] })), false);
  assert.equal(isTxnSerializable(pb.TxnRequest.create({ success: [range("a", true)], failure: [range("b", true)] })), true);
  assert.equal(isTxnSerializable(pb.TxnRequest.create({ success: [range("a", true)], failure: [range("b")] })), false);
});

test("a read-only txn is served as a read: no raft entry, the store's answer at the applied revision", async () => {
  const etcd = await startMember(await dirs.make());
  try {
    const { server } = etcd;
    const put = await server.put(pb.PutRequest.create({ key: bytes("k"), value: bytes("v") }), undefined);
    const committed = server.committedRaftIndex;
    for (const serializable of [false, true]) {
      const response = await server.txn(pb.TxnRequest.create({ success: [range("k", serializable)] }), undefined);
      assert.equal(response.succeeded, true);
      assert.equal(response.header?.revision, put.header?.revision);
      assert.equal(response.header?.memberId, server.memberId);
      const op = response.responses[0]?.response;
      assert.equal(op?.$case, "responseRange");
      if (op?.$case === "responseRange") assert.deepEqual(op.responseRange.kvs.map((kv) => new TextDecoder().decode(kv.value)), ["v"]);
    }
    assert.equal(server.committedRaftIndex, committed, "no entry was proposed for the read-only txns");
    // A nested txn of ranges is not read-only for etcd: it takes a raft entry.
    await server.txn(pb.TxnRequest.create({ success: [nested(pb.TxnRequest.create({ success: [range("k")] }))] }), undefined);
    assert.equal(server.committedRaftIndex, committed + 1);
  } finally {
    await etcd.close();
  }
});

test("range and rangeEncoded share one path: the same answer, each counted as a range", async () => {
  const etcd = await startMember(await dirs.make());
  try {
    const { server } = etcd;
    await server.put(pb.PutRequest.create({ key: bytes("a"), value: bytes("1") }), undefined);
    const count = (): number => Number(/etcd_mvcc_range_total (\d+)/.exec(server.metrics.registry.render())?.[1] ?? "0");
    const before = count();
    const request = pb.RangeRequest.create({ key: bytes("a") });
    const plain = await server.range(request, undefined);
    const encoded = await server.rangeEncoded(request, undefined);
    assert.deepEqual(pb.RangeResponse.decode(encoded.body).kvs, plain.kvs);
    assert.deepEqual(encoded.header, plain.header);
    assert.equal(count(), before + 2);
  } finally {
    await etcd.close();
  }
});
