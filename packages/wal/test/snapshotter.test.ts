// Snapshot files: saved durably under term-index names, the newest valid one loaded, corrupt
// ones set aside and reported, old ones purged.
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Snapshot } from "@etcd-ts/raft";
import { SnapError, Snapshotter, snapFileName } from "../src/index.js";
import { withTempDir } from "./helpers.js";

function snapshot(term: number, index: number): Snapshot {
  return {
    data: Uint8Array.of(term, index),
    metadata: { term, index, confState: { voters: [1n, 2n, 3n], learners: [4n], votersOutgoing: [], learnersNext: [], autoLeave: false } },
  };
}

test("save then load returns the newest snapshot, intact", () =>
  withTempDir(async (dir) => {
    const snaps = new Snapshotter(join(dir, "snap"));
    await snaps.save(snapshot(1, 10));
    await snaps.save(snapshot(2, 20));
    await snaps.save(snapshot(2, 15));
    const loaded = await snaps.load();
    assert.equal(loaded.metadata.index, 20);
    assert.equal(loaded.metadata.term, 2);
    assert.deepEqual(loaded.metadata.confState.voters, [1n, 2n, 3n]);
    assert.deepEqual(loaded.metadata.confState.learners, [4n]);
    assert.deepEqual([...loaded.data], [2, 20]);
    assert.deepEqual(await snaps.snapNames(), [snapFileName(2, 20), snapFileName(2, 15), snapFileName(1, 10)]);
  }));

test("a corrupt newest snapshot is set aside as .broken and the next one is loaded", () =>
  withTempDir(async (dir) => {
    const snaps = new Snapshotter(dir);
    await snaps.save(snapshot(1, 10));
    const newest = await snaps.save(snapshot(1, 20));
    const bytes = await readFile(newest);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(newest, bytes);
    const loaded = await snaps.load();
    assert.equal(loaded.metadata.index, 10);
    assert.deepEqual(snaps.broken, [{ file: newest, reason: "checksum mismatch" }]);
    assert.ok((await readdir(dir)).includes(`${snapFileName(1, 20)}.broken`));
  }));

test("load honours a filter (snapshots the WAL knows), and says so when nothing is left", () =>
  withTempDir(async (dir) => {
    const snaps = new Snapshotter(dir);
    await snaps.save(snapshot(1, 10));
    await snaps.save(snapshot(1, 20));
    assert.equal((await snaps.load((_term, index) => index === 10)).metadata.index, 10);
    await assert.rejects(snaps.load(() => false), SnapError);
    await assert.rejects(new Snapshotter(join(dir, "none")).load(), SnapError);
  }));

test("purge keeps the newest N", () =>
  withTempDir(async (dir) => {
    const snaps = new Snapshotter(dir);
    for (let i = 1; i <= 5; i++) await snaps.save(snapshot(1, i * 10));
    const deleted = await snaps.purge(2);
    assert.equal(deleted.length, 3);
    assert.deepEqual(await snaps.snapNames(), [snapFileName(1, 50), snapFileName(1, 40)]);
  }));
