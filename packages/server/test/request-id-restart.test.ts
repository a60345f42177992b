// Request IDs across a member restart, in-process: every proposal a member wrote to its WAL
// carries its own request ID, before and after a restart (a per-process counter would start
// over and repeat them, so an old entry could answer a new request once proposals are
// forwarded between members). Lease IDs the member picks come from the same generator, as
// etcd's: the member's low bits on top, positive 63-bit.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { EntryType } from "@etcd-ts/raft";
import { Wal } from "@etcd-ts/wal";
import { decodeInternalRequest } from "../src/etcdserver/InternalRequest.js";
import { startEtcd } from "../src/index.js";

test("request IDs are never repeated across a restart, and lease IDs carry the member's bits", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "etcd-ts-reqid-"));
  try {
    let memberId = 0n;
    for (let run = 0; run < 2; run++) {
      const etcd = await startEtcd({ dataDir, listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
      try {
        memberId = etcd.server.memberId;
        for (let i = 0; i < 20; i++) await etcd.server.propose("put", pb.PutRequest.create({ key: Buffer.from(`k${i}`), value: Buffer.from(`run ${run}`) }));
        const leaseId = etcd.server.newLeaseId();
        assert.equal(leaseId >> 48n, memberId & 0x7fffn, "the member's low 15 bits on top (16, less the sign bit)");
        assert.ok(leaseId > 0n);
      } finally {
        await etcd.close();
      }
    }
    const wal = await Wal.open(join(dataDir, "member", "wal"));
    const { entries } = await wal.readAll();
    await wal.close();
    const ids = entries.filter((e) => e.type === EntryType.EntryNormal && e.data.length > 0).map((e) => decodeInternalRequest(e.data).id);
    assert.ok(ids.length >= 40, `${ids.length} proposals in the WAL`);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(repeated.map((id) => id.toString(16)), [], "request IDs used twice");
    for (const id of ids) assert.equal(id >> 48n, memberId & 0xffffn);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
