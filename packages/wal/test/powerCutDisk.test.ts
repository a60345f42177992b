// The power-cut double itself: it must lose exactly what its model says a power cut loses —
// unsynced content, names never made durable by a directory sync — and keep the rest, or the
// WAL's power-cut tests would prove nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WalFile, WalFileSystem } from "../src/index.js";
import { PowerCutDisk, PowerCutError } from "../src/testing/index.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = async (fs: WalFileSystem, path: string): Promise<string> => new TextDecoder().decode(await fs.readFile(path));

function write(file: WalFile, bytes: Uint8Array, position = 0): Promise<void> {
  return new Promise((resolve, reject) => file.write(bytes, 0, bytes.length, position, (error) => (error ? reject(error) : resolve())));
}
function fdatasync(file: WalFile): Promise<void> {
  return new Promise((resolve, reject) => file.fdatasync((error) => (error ? reject(error) : resolve())));
}

/** A disk with /data created and made durable. */
async function diskWithData(options: ConstructorParameters<typeof PowerCutDisk>[0] = {}): Promise<{ disk: PowerCutDisk; fs: WalFileSystem }> {
  const disk = new PowerCutDisk(options);
  const fs = disk.mount();
  await fs.mkdir("/data");
  await fs.fsyncDir("/");
  return { disk, fs };
}

describe("drop mode", () => {
  test("a write not yet synced is lost; a synced one is kept", async () => {
    const { disk, fs } = await diskWithData();
    const file = await fs.open("/data/f", "w+");
    await fs.fsyncDir("/data");
    await write(file, text("synced"));
    await fdatasync(file);
    await write(file, text("SYNCED and more"));
    assert.equal(await read(fs, "/data/f"), "SYNCED and more", "reads see the page cache");
    disk.powerCut();
    assert.equal(await read(disk.mount(), "/data/f"), "synced");
  });

  test("a synced file whose directory was never synced vanishes; after fsyncDir it stays", async () => {
    const { disk, fs } = await diskWithData();
    for (const name of ["kept", "lost"]) {
      const file = await fs.open(`/data/${name}`, "w");
      await write(file, text(name));
      await file.sync();
      await file.close();
      if (name === "kept") await fs.fsyncDir("/data");
    }
    disk.powerCut();
    assert.deepEqual(await disk.mount().readdir("/data"), ["kept"]);
  });

  test("a rename is undone unless its directory is synced; a new directory needs its parent synced", async () => {
    const { disk, fs } = await diskWithData();
    const file = await fs.open("/data/a.tmp", "w");
    await write(file, text("x"));
    await file.sync();
    await fs.fsyncDir("/data");
    await fs.rename("/data/a.tmp", "/data/a");
    await fs.mkdir("/data/sub/deeper");
    await fs.fsyncDir("/data/sub");
    disk.powerCut();
    assert.deepEqual(await disk.mount().readdir("/data"), ["a.tmp"], "neither the rename nor /data/sub survived");
  });

  test("a truncation is pending like a write", async () => {
    const { disk, fs } = await diskWithData();
    const file = await fs.open("/data/f", "w+");
    await fs.fsyncDir("/data");
    await write(file, text("0123456789"));
    await fdatasync(file);
    await file.truncate(4);
    assert.equal(await file.size(), 4);
    disk.powerCut();
    assert.equal(await read(disk.mount(), "/data/f"), "0123456789");
  });

  test("the previous life's calls fail, change nothing, and its callbacks in flight report the cut", async () => {
    const { disk, fs } = await diskWithData();
    const file = await fs.open("/data/f", "w+");
    await fs.fsyncDir("/data");
    const inFlight = write(file, text("late"));
    disk.powerCut();
    await assert.rejects(inFlight, PowerCutError);
    await assert.rejects(write(file, text("later")), PowerCutError);
    await assert.rejects(fs.mkdir("/data/x"), PowerCutError);
    const next = disk.mount();
    assert.deepEqual(await next.readdir("/data"), ["f"]);
    assert.equal(await read(next, "/data/f"), "");
  });

  test("cutAfter cuts at the n-th changing call, which does not happen", async () => {
    const { disk, fs } = await diskWithData();
    const file = await fs.open("/data/f", "w+");
    await fs.fsyncDir("/data");
    disk.cutAfter(2);
    await write(file, text("one"));
    await fdatasync(file);
    await assert.rejects(write(file, text("two"), 3), PowerCutError);
    assert.equal(disk.powerCuts, 1);
    assert.equal(await read(disk.mount(), "/data/f"), "one");
  });

  test("locks die with the power", async () => {
    const { disk, fs } = await diskWithData();
    await fs.lock("/data");
    await assert.rejects(fs.lock("/data"), /locked/);
    disk.powerCut();
    const lock = await disk.mount().lock("/data");
    await lock.release();
  });

  test("sync calls are logged with the path synced", async () => {
    const { disk, fs } = await diskWithData();
    const file = await fs.open("/data/f.tmp", "w");
    await fdatasync(file);
    await fs.rename("/data/f.tmp", "/data/f");
    await file.sync();
    await fs.fsyncDir("/data");
    assert.deepEqual(disk.syncs, [
      { kind: "fsyncDir", path: "/" },
      { kind: "fdatasync", path: "/data/f.tmp" },
      { kind: "fsync", path: "/data/f" },
      { kind: "fsyncDir", path: "/data" },
    ]);
  });
});

describe("tear mode", () => {
  test("the last unsynced write survives as a prefix, cut at a seeded random byte", async () => {
    const lengths = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const { disk, fs } = await diskWithData({ mode: "tear", seed });
      const file = await fs.open("/data/f", "w+");
      await fs.fsyncDir("/data");
      await write(file, text("base:"));
      await fdatasync(file);
      await write(file, text("0123456789"), 5);
      disk.powerCut();
      const after = await read(disk.mount(), "/data/f");
      assert.ok("base:0123456789".startsWith(after) && after.length >= 5, `seed ${seed}: ${after}`);
      lengths.add(after.length);
    }
    assert.ok(lengths.size > 5, `tears vary with the seed: ${[...lengths].join(", ")}`);
  });
});
