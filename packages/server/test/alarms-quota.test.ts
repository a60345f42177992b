// Alarms and the space quota, as etcd 3.4/3.5 does them (issue 15, items 5 and 6), over real gRPC to a member in this process:
//  - alarms are raft-applied and persisted in the backend's `alarm` bucket: they survive a
//    restart (alarm list, /health, the capped applier) and a disarm survives one too;
//  - an over-quota Put / Txn / LeaseGrant is refused before raft (etcd's quotaKVServer and
//    quotaLeaseServer): nothing is applied, no watcher sees it, the revision stays;
//  - under NOSPACE, LeaseGrant is refused as etcd's capped applier does.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { etcdserverpb as pb, GrpcStatus } from "@etcd-ts/api";
import type { Etcd } from "../src/embed/startEtcd.js";
import { call, DataDirs, startMember } from "./support/member.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const dirs = new DataDirs();
after(() => dirs.removeAll());

const KV = pb.KVService;
const Lease = pb.LeaseService;
const M = pb.MaintenanceService;

async function alarms(etcd: Etcd): Promise<pb.AlarmMember[]> {
  const answer = await call(etcd, M.alarm, { action: pb.AlarmRequest_AlarmAction.GET });
  assert.equal(answer.status, GrpcStatus.OK, answer.message);
  return answer.response!.alarms;
}

async function health(etcd: Etcd): Promise<string> {
  const response = await fetch(`${etcd.clientUrls[0]}/health`);
  return ((await response.json()) as { health: string }).health;
}

/** fill puts big values until the quota refuses one; returns that refused key. */
async function fill(etcd: Etcd): Promise<string> {
  const value = new Uint8Array(16 * 1024).fill(7);
  for (let i = 0; i < 1000; i++) {
    const key = `fill/${i}`;
    const answer = await call(etcd, KV.put, { key: bytes(key), value });
    if (answer.status === GrpcStatus.RESOURCE_EXHAUSTED) {
      assert.equal(answer.message, "etcdserver: mvcc: database space exceeded");
      return key;
    }
    assert.equal(answer.status, GrpcStatus.OK, answer.message);
  }
  throw new Error("the quota never refused a put");
}

async function revision(etcd: Etcd): Promise<number> {
  const answer = await call(etcd, KV.range, { key: bytes("any") });
  return answer.response!.header!.revision;
}

test("an over-quota put is refused before raft: not applied, the revision stays (etcd's quotaKVServer)", async () => {
  const etcd = await startMember(await dirs.make(), { quotaBackendBytes: 256 * 1024 });
  try {
    const refused = await fill(etcd);
    const before = await revision(etcd);
    const get = await call(etcd, KV.range, { key: bytes(refused) });
    assert.equal(get.response!.kvs.length, 0, "the refused put must not be applied");
    // A second refused write: still not applied, and the revision did not move.
    const again = await call(etcd, KV.put, { key: bytes("fill/again"), value: new Uint8Array(16 * 1024) });
    assert.equal(again.status, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(await revision(etcd), before);
    const txn = await call(etcd, KV.txn, { success: [{ request: { $case: "requestPut", requestPut: pb.PutRequest.create({ key: bytes("fill/txn"), value: new Uint8Array(16 * 1024) }) } }] });
    assert.equal(txn.status, GrpcStatus.RESOURCE_EXHAUSTED, txn.message);
    assert.equal(await revision(etcd), before);
    assert.deepEqual((await alarms(etcd)).map((a) => a.alarm), [pb.AlarmType.NOSPACE]);
    // Reads, deletes and read-only txns still work under NOSPACE; lease grants do not.
    const del = await call(etcd, KV.deleteRange, { key: bytes("fill/0") });
    assert.equal(del.status, GrpcStatus.OK, del.message);
    const grant = await call(etcd, Lease.leaseGrant, { TTL: 60 });
    assert.equal(grant.status, GrpcStatus.RESOURCE_EXHAUSTED, grant.message);
    assert.equal(grant.message, "etcdserver: mvcc: database space exceeded");
  } finally {
    await etcd.close();
  }
});

test("under an active NOSPACE alarm the applier refuses lease grants and puts, whatever the size", async () => {
  const etcd = await startMember(await dirs.make());
  try {
    const activate = await call(etcd, M.alarm, { action: pb.AlarmRequest_AlarmAction.ACTIVATE, memberID: etcd.server.memberId, alarm: pb.AlarmType.NOSPACE });
    assert.equal(activate.status, GrpcStatus.OK, activate.message);
    const put = await call(etcd, KV.put, { key: bytes("small"), value: bytes("v") });
    assert.equal(put.status, GrpcStatus.RESOURCE_EXHAUSTED);
    const grant = await call(etcd, Lease.leaseGrant, { TTL: 60 });
    assert.equal(grant.status, GrpcStatus.RESOURCE_EXHAUSTED, grant.message);
    const readOnlyTxn = await call(etcd, KV.txn, { success: [{ request: { $case: "requestRange", requestRange: pb.RangeRequest.create({ key: bytes("small") }) } }] });
    assert.equal(readOnlyTxn.status, GrpcStatus.OK, readOnlyTxn.message);
  } finally {
    await etcd.close();
  }
});

test("alarms are persisted: a restart keeps NOSPACE (alarm list, /health, refused puts), and a disarm survives a restart too", async () => {
  const dir = await dirs.make();
  let etcd = await startMember(dir, { quotaBackendBytes: 256 * 1024 });
  try {
    await fill(etcd);
    assert.deepEqual((await alarms(etcd)).map((a) => [a.memberID, a.alarm]), [[etcd.server.memberId, pb.AlarmType.NOSPACE]]);
    await etcd.close();
    // Restarted with a quota that would fit: the alarm still holds until disarmed.
    etcd = await startMember(dir);
    assert.deepEqual((await alarms(etcd)).map((a) => [a.memberID, a.alarm]), [[etcd.server.memberId, pb.AlarmType.NOSPACE]]);
    assert.equal(await health(etcd), "false");
    const put = await call(etcd, KV.put, { key: bytes("after-restart"), value: bytes("v") });
    assert.equal(put.status, GrpcStatus.RESOURCE_EXHAUSTED, "the capped applier still refuses puts after a restart");
    const disarm = await call(etcd, M.alarm, { action: pb.AlarmRequest_AlarmAction.DEACTIVATE, memberID: etcd.server.memberId, alarm: pb.AlarmType.NOSPACE });
    assert.equal(disarm.status, GrpcStatus.OK, disarm.message);
    assert.deepEqual(await alarms(etcd), []);
    const afterDisarm = await call(etcd, KV.put, { key: bytes("after-disarm"), value: bytes("v") });
    assert.equal(afterDisarm.status, GrpcStatus.OK, afterDisarm.message);
    await etcd.close();
    etcd = await startMember(dir);
    assert.deepEqual(await alarms(etcd), []);
    assert.equal(await health(etcd), "true");
  } finally {
    await etcd.close();
  }
});

test("a CORRUPT alarm is persisted and refuses writes after a restart (etcd's corrupt applier)", async () => {
  const dir = await dirs.make();
  let etcd = await startMember(dir);
  try {
    const activate = await call(etcd, M.alarm, { action: pb.AlarmRequest_AlarmAction.ACTIVATE, memberID: etcd.server.memberId, alarm: pb.AlarmType.CORRUPT });
    assert.equal(activate.status, GrpcStatus.OK, activate.message);
    await etcd.close();
    etcd = await startMember(dir);
    assert.deepEqual((await alarms(etcd)).map((a) => a.alarm), [pb.AlarmType.CORRUPT]);
    const put = await call(etcd, KV.put, { key: bytes("k"), value: bytes("v") });
    assert.equal(put.status, GrpcStatus.DATA_LOSS, put.message);
    assert.equal(put.message, "etcdserver: corrupt cluster");
  } finally {
    await etcd.close();
  }
});
