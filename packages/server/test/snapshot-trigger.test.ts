// SnapshotTrigger (etcdserver/SnapshotTrigger.ts) on fakes whose backend sync the test
// completes by hand: when a snapshot is due, the order of its steps (backend synced before
// anything the WAL could drop, snapshot file before the WAL marker, compaction and purges
// last), one at a time, a failure stopping the member, and stop waiting for the one in flight;
// then once on a real member, which restarts from its snapshot with its data.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { emptyConfState, type Snapshot } from "@etcd-ts/raft";
import { SnapshotTrigger } from "../src/etcdserver/SnapshotTrigger.js";
import { DataDirs, startMember } from "./support/member.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class Rig {
  readonly log: string[] = [];
  readonly syncs: { resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly crashes: Error[] = [];
  readonly trigger: SnapshotTrigger;

  constructor(snapshotCount: number, catchUpEntries: number, snapshotIndex = 0) {
    const log = this.log;
    this.trigger = new SnapshotTrigger(
      {
        backend: {
          sync: () =>
            new Promise<void>((resolve, reject) => {
              log.push("backend.sync");
              this.syncs.push({ resolve, reject });
            }),
        },
        storage: {
          createSnapshot: (index): Snapshot => {
            log.push(`storage.createSnapshot ${index}`);
            return { data: new Uint8Array(0), metadata: { index, term: 3, confState: emptyConfState() } };
          },
          compact: (index) => void log.push(`storage.compact ${index}`),
        },
        snapshots: {
          save: (snapshot) => {
            log.push(`snap.save ${snapshot.metadata.index}`);
            return Promise.resolve("x.snap");
          },
          purge: (keep) => {
            log.push(`snap.purge ${keep}`);
            return Promise.resolve([]);
          },
        },
        wal: {
          saveSnapshot: (marker) => {
            log.push(`wal.snapshot ${marker.index}@${marker.term}`);
            return Promise.resolve();
          },
          releaseLockTo: (index) => void log.push(`wal.release ${index}`),
          purge: (max) => {
            log.push(`wal.purge ${max}`);
            return Promise.resolve();
          },
        },
        confState: () => emptyConfState(),
        snapSynced: () => undefined,
        crash: (error) => void this.crashes.push(error),
      },
      { snapshotCount, catchUpEntries, maxWals: 5, maxSnapshots: 4 },
      snapshotIndex,
    );
  }
}

test("no snapshot until more than snapshot-count entries were applied since the last one", () => {
  const rig = new Rig(10, 2, 100);
  rig.trigger.onApplied(105);
  rig.trigger.onApplied(110);
  assert.deepEqual(rig.log, []);
  rig.trigger.onApplied(111);
  assert.deepEqual(rig.log, ["backend.sync"]);
});

test("the backend is synced before the snapshot exists; the WAL marker follows the snapshot file; compaction and purges come last", async () => {
  const rig = new Rig(10, 5);
  rig.trigger.onApplied(20);
  await turn();
  assert.deepEqual(rig.log, ["backend.sync"], "nothing else before the backend is durable");
  rig.syncs[0]!.resolve();
  await rig.trigger.stop();
  assert.deepEqual(rig.log, ["backend.sync", "storage.createSnapshot 20", "snap.save 20", "wal.snapshot 20@3", "storage.compact 15", "wal.release 20", "wal.purge 5", "snap.purge 4"]);
  assert.equal(rig.trigger.snapshotIndex, 20);
});

test("one snapshot at a time: applies during one start none; the next is due from the new snapshot index", async () => {
  const rig = new Rig(10, 100);
  rig.trigger.onApplied(11);
  rig.trigger.onApplied(15);
  rig.trigger.onApplied(30);
  assert.equal(rig.syncs.length, 1);
  rig.syncs[0]!.resolve();
  await turn();
  assert.ok(!rig.log.includes("storage.compact 0"), "nothing compacted below the catch-up entries");
  rig.trigger.onApplied(21);
  assert.equal(rig.syncs.length, 1, "21 - 11 is not more than 10");
  rig.trigger.onApplied(22);
  assert.equal(rig.syncs.length, 2);
});

test("a failed backend sync stops the member and takes no snapshot; stop waits for the snapshot in flight", async () => {
  const rig = new Rig(1, 0);
  rig.trigger.onApplied(5);
  let stopped = false;
  const stopping = rig.trigger.stop().then(() => (stopped = true));
  await turn();
  assert.equal(stopped, false);
  rig.syncs[0]!.reject(new Error("EIO"));
  await stopping;
  assert.deepEqual(rig.log, ["backend.sync"]);
  assert.deepEqual(rig.crashes.map((e) => e.message), ["EIO"]);
  rig.trigger.onApplied(50);
  assert.deepEqual(rig.log, ["backend.sync"], "a stopped trigger takes no snapshot");
});

test("a member with a small snapshot count writes snapshot files and restarts from one with its data", async () => {
  const dirs = new DataDirs();
  const dataDir = await dirs.make();
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  try {
    const first = await startMember(dataDir, { snapshotCount: 10 });
    try {
      for (let i = 0; i < 30; i++) await first.server.put(pb.PutRequest.create({ key: bytes(`k${i}`), value: bytes(`v${i}`) }), undefined);
    } finally {
      await first.close();
    }
    const snaps = (await readdir(join(dataDir, "member", "snap"))).filter((name) => name.endsWith(".snap"));
    assert.ok(snaps.length >= 1, `snapshot files: ${snaps.join(", ")}`);
    const second = await startMember(dataDir, { snapshotCount: 10 });
    try {
      const all = await second.server.range(pb.RangeRequest.create({ key: bytes("k"), rangeEnd: bytes("l"), countOnly: true }), undefined);
      assert.equal(all.count, 30);
    } finally {
      await second.close();
    }
  } finally {
    await dirs.removeAll();
  }
});
