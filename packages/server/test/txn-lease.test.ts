// A txn checks the leases of its puts only on the branch its compares select, as etcd does
// (issue 15, item 7): a revoked lease on the untaken branch does not fail the txn.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { etcdserverpb as pb, GrpcStatus } from "@etcd-ts/api";
import { call, DataDirs, startMember } from "./support/member.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const dirs = new DataDirs();
after(() => dirs.removeAll());

const KV = pb.KVService;
const Lease = pb.LeaseService;

test("a txn checks leases only on the branch its compares select", async () => {
  const etcd = await startMember(await dirs.make());
  try {
    const grant = await call(etcd, Lease.leaseGrant, { TTL: 60 });
    const lease = grant.response!.ID;
    assert.equal((await call(etcd, Lease.leaseRevoke, { ID: lease })).status, GrpcStatus.OK);
    const falseCompare = pb.Compare.create({ key: bytes("absent"), target: pb.Compare_CompareTarget.VERSION, result: pb.Compare_CompareResult.GREATER, targetUnion: { $case: "version", version: 5 } });
    const withRevoked = { request: { $case: "requestPut" as const, requestPut: pb.PutRequest.create({ key: bytes("leased"), value: bytes("v"), lease }) } };
    const plain = { request: { $case: "requestPut" as const, requestPut: pb.PutRequest.create({ key: bytes("plain"), value: bytes("v") }) } };
    // The untaken (success) branch names the revoked lease: the txn must succeed.
    const untaken = await call(etcd, KV.txn, { compare: [falseCompare], success: [withRevoked], failure: [plain] });
    assert.equal(untaken.status, GrpcStatus.OK, untaken.message);
    assert.equal(untaken.response!.succeeded, false);
    assert.equal((await call(etcd, KV.range, { key: bytes("plain") })).response!.kvs.length, 1);
    // The taken branch names it: etcd's lease-not-found, nothing written.
    const taken = await call(etcd, KV.txn, { compare: [falseCompare], success: [plain], failure: [withRevoked] });
    assert.equal(taken.status, GrpcStatus.NOT_FOUND);
    assert.equal(taken.message, "etcdserver: requested lease not found");
    assert.equal((await call(etcd, KV.range, { key: bytes("leased") })).response!.kvs.length, 0);
    // Nested: the lease sits in a nested txn on the untaken side.
    const nested = { request: { $case: "requestTxn" as const, requestTxn: pb.TxnRequest.create({ success: [withRevoked] }) } };
    const nestedUntaken = await call(etcd, KV.txn, { compare: [falseCompare], success: [nested], failure: [plain] });
    assert.equal(nestedUntaken.status, GrpcStatus.OK, nestedUntaken.message);
  } finally {
    await etcd.close();
  }
});
