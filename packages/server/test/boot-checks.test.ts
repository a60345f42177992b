// A member refuses to start when its backend has applied raft entries the WAL does not hold
// (issue 15, item 3). The WAL is the source of truth: the backend commits a Ready's entries
// while their WAL fdatasync is still in flight, so a system crash can leave the backend's
// pages on disk and the WAL's tail not. Booting would then take new entries at those
// indexes for "already applied" and skip them. This test puts a backend in that state
// directly (its consistent index moved past the WAL's last index) and expects a clear error
// naming both indexes, as etcd 3.5 refuses a consistent index behind its snapshot.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { etcdserverpb as pb, GrpcStatus } from "@etcd-ts/api";
import { openEngine } from "@etcd-ts/mvcc";
import { call, DataDirs, startMember } from "./support/member.js";

const dirs = new DataDirs();
after(() => dirs.removeAll());

test("a backend ahead of the durable WAL is refused at boot, naming both indexes", { timeout: 60_000 }, async () => {
  const dir = await dirs.make();
  const etcd = await startMember(dir);
  for (let i = 0; i < 5; i++) {
    const put = await call(etcd, pb.KVService.put, { key: Buffer.from(`k${i}`), value: Buffer.from("v") });
    assert.equal(put.status, GrpcStatus.OK, put.message);
  }
  await etcd.close();

  const engine = await openEngine(join(dir, "member", "snap", "db"), { inProcess: true });
  const { consistentIndex, term } = await engine.status();
  await engine.apply({ index: consistentIndex + 3, term, ops: [] });
  await engine.close();

  await assert.rejects(startMember(dir), (error: Error) => {
    assert.match(error.message, new RegExp(`applied raft index ${consistentIndex + 3}.*last index in the WAL is ${consistentIndex}\\b`));
    return true;
  });
});

test("a backend that applied entries of a WAL that is gone is refused at boot (the new log's first entries would be skipped)", { timeout: 60_000 }, async () => {
  const dir = await dirs.make();
  const etcd = await startMember(dir);
  assert.equal((await call(etcd, pb.KVService.put, { key: Buffer.from("k"), value: Buffer.from("v") })).status, GrpcStatus.OK);
  await etcd.close();
  await rm(join(dir, "member", "wal"), { recursive: true });
  await assert.rejects(startMember(dir), /the backend has applied raft index \d+, but the WAL is empty or missing/);
});

test("a backend level with the WAL boots and keeps its data", async () => {
  const dir = await dirs.make();
  let etcd = await startMember(dir);
  assert.equal((await call(etcd, pb.KVService.put, { key: Buffer.from("kept"), value: Buffer.from("v") })).status, GrpcStatus.OK);
  await etcd.close();
  etcd = await startMember(dir);
  try {
    const get = await call(etcd, pb.KVService.range, { key: Buffer.from("kept") });
    assert.equal(get.response!.kvs.length, 1);
  } finally {
    await etcd.close();
  }
});
