// A member's WAL and snapshot files on a disk that loses, at a power cut, every write that
// was not fdatasynced and every directory entry whose directory was not fsynced
// (`@etcd-ts/wal/testing`'s PowerCutDisk; issue 15, item 4). SIGKILL keeps the page cache
// and so cannot catch a missing fsync; this can.
//  - Every put the member acknowledged before the cut is there after it.
//  - The Ready loop makes exactly one WAL fdatasync per Ready that carries entries or a new
//    term or vote: the number of fdatasyncs on WAL segments equals the number of Readies
//    the loop timed as WAL syncs (etcd_disk_wal_fsync_duration_seconds_count), and a burst
//    of concurrent puts shares them (group commit).
// The backend (LMDB) stays on the real disk here: its own durability is LMDB's (see
// mvcc's durability test for the mode it runs in).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { PowerCutDisk } from "@etcd-ts/wal/testing";
import { defaultConfig, type EtcdConfig } from "../src/config/EtcdConfig.js";
import { EtcdServer } from "../src/etcdserver/EtcdServer.js";
import { DataDirs } from "./support/member.js";

const dirs = new DataDirs();
after(() => dirs.removeAll());

const put = (server: EtcdServer, key: string): Promise<unknown> =>
  server.propose("put", pb.PutRequest.create({ key: Buffer.from(key), value: Buffer.from(`value of ${key}`) }));

function walSyncs(disk: PowerCutDisk): number {
  return disk.syncs.filter((s) => s.kind === "fdatasync" && s.path.endsWith(".wal")).length;
}

/** lifeThenCut runs `life` on a member over the disk, then cuts the power and stops it. */
async function lifeThenCut(config: EtcdConfig, disk: PowerCutDisk, life: (server: EtcdServer) => Promise<void>): Promise<void> {
  const server = await EtcdServer.start(config, { walFs: disk.mount() });
  try {
    await server.readyNotify();
    await life(server);
  } finally {
    disk.powerCut();
    await server.close();
  }
}

/** afterRestart restarts the member on the disk's next life and lists its keys. */
async function afterRestart(config: EtcdConfig, disk: PowerCutDisk, check: (server: EtcdServer, keys: Set<string>) => void | Promise<void>): Promise<void> {
  const server = await EtcdServer.start(config, { walFs: disk.mount() });
  try {
    await server.readyNotify();
    const all = await server.range(pb.RangeRequest.create({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), serializable: true }), undefined);
    await check(server, new Set(all.kvs.map((kv) => Buffer.from(kv.key).toString())));
  } finally {
    await server.close();
  }
}

function timedWalSyncs(server: EtcdServer): number {
  const line = server.metrics.walFsync.render().find((l) => l.startsWith("etcd_disk_wal_fsync_duration_seconds_count"));
  return Number(line!.split(" ")[1]);
}

test("acknowledged puts survive a power cut of the WAL's disk; one fdatasync per Ready with entries", async () => {
  const dataDir = await dirs.make();
  const config = defaultConfig({ dataDir });
  const disk = new PowerCutDisk({ mode: "drop", seed: 7 });
  let acknowledged: string[] = [];
  await lifeThenCut(config, disk, async (server) => {
    const syncsBefore = walSyncs(disk);
    const timedBefore = timedWalSyncs(server);
    for (let i = 0; i < 20; i++) {
      await put(server, `one/${i}`);
      acknowledged.push(`one/${i}`);
    }
    const burst = Array.from({ length: 200 }, (_, i) => `burst/${i}`);
    await Promise.all(burst.map((key) => put(server, key)));
    acknowledged = [...acknowledged, ...burst];
    const syncs = walSyncs(disk) - syncsBefore;
    const readies = timedWalSyncs(server) - timedBefore;
    assert.equal(syncs, readies, "one WAL fdatasync per Ready that carries entries or a term/vote change");
    assert.ok(syncs >= 20 && syncs < 20 + burst.length, `the burst shared fdatasyncs (group commit): ${syncs} for ${20 + burst.length} puts`);
  });
  await afterRestart(config, disk, async (restarted, keys) => {
    const missing = acknowledged.filter((key) => !keys.has(key));
    assert.deepEqual(missing, [], "every acknowledged put is there after the power cut");
    // The member goes on: a new write after the cut is accepted and applied.
    await put(restarted, "after/cut");
    const after = await restarted.range(pb.RangeRequest.create({ key: Buffer.from("after/cut"), serializable: true }), undefined);
    assert.equal(after.kvs.length, 1);
  });
});

test("a member created on a fresh disk survives a power cut right after it first served", async () => {
  const dataDir = await dirs.make();
  const config = defaultConfig({ dataDir });
  const disk = new PowerCutDisk({ mode: "tear", seed: 11 });
  await lifeThenCut(config, disk, async (server) => {
    await put(server, "first");
  });
  await afterRestart(config, disk, (_restarted, keys) => {
    assert.ok(keys.has("first"), "the member's directories and its first put were durable");
  });
});
