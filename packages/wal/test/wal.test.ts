// The WAL's contract: what save() acknowledged is what readAll() returns, across segment
// rollover, snapshots, overwrites by a new leader, torn tails and concurrent callers; and
// corruption anywhere a torn write cannot explain is refused with the file and offset.
import assert from "node:assert/strict";
import { readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { RECORD_HEADER_SIZE, SnapshotNotFoundError, Wal, WalCorruptError, WalExistsError, WalLockedError, inspectWal, parseSegmentName } from "../src/index.js";
import { PowerCutDisk } from "../src/testing/index.js";
import { entries, META, summary, withTempDir } from "./helpers.js";

const SMALL = { segmentSize: 4096 };

describe("write and read back", () => {
  test("entries, hard state and metadata survive a close and reopen", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META);
      await wal.save({ term: 1, vote: 7n, commit: 0 }, entries(1, 3));
      await wal.save({ term: 2, vote: 9n, commit: 3 }, entries(4, 5, 2));
      await wal.close();

      const reopened = await Wal.open(dir);
      const contents = await reopened.readAll();
      assert.deepEqual(contents.metadata, META);
      assert.deepEqual(contents.hardState, { term: 2, vote: 9n, commit: 3 });
      assert.deepEqual(summary(contents.entries), ["1@1", "2@1", "3@1", "4@2", "5@2"]);
      assert.equal(contents.repaired, undefined);
      await reopened.close();
    }));

  test("a commit-only hard state waits in memory for the next synced save, or for close", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META);
      await wal.save({ term: 1, vote: 7n, commit: 0 }, entries(1, 3));
      await wal.save({ term: 1, vote: 7n, commit: 3 }, []);
      // Not on disk yet: a crash now would come back at commit 0, which raft relearns.
      assert.deepEqual((await inspectWal(dir)).hardState, { term: 1, vote: 7n, commit: 0 });
      await wal.save({ term: 1, vote: 7n, commit: 3 }, entries(4, 4));
      assert.deepEqual((await inspectWal(dir)).hardState, { term: 1, vote: 7n, commit: 3 });
      await wal.save({ term: 1, vote: 7n, commit: 4 }, []);
      await wal.close();
      const reopened = await Wal.open(dir);
      const contents = await reopened.readAll();
      assert.deepEqual(contents.hardState, { term: 1, vote: 7n, commit: 4 });
      assert.deepEqual(summary(contents.entries), ["1@1", "2@1", "3@1", "4@1"]);
      // ...and a snapshot marker is written after it, in order.
      await reopened.save({ term: 1, vote: 7n, commit: 4 }, entries(5, 5));
      await reopened.save({ term: 1, vote: 7n, commit: 5 }, []);
      await reopened.saveSnapshot({ index: 5, term: 1 });
      assert.deepEqual((await inspectWal(dir)).hardState, { term: 1, vote: 7n, commit: 5 });
      await reopened.close();
    }));

  test("onWritten runs once the records are written, before the sync resolves the save", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META);
      const order: string[] = [];
      const saved = wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 2), () => order.push("written"));
      await saved.then(() => order.push("saved"));
      await wal.save({ term: 1, vote: 1n, commit: 2 }, [], () => order.push("commit-only written"));
      await wal.save({ term: 1, vote: 1n, commit: 2 }, [], () => order.push("unchanged"));
      assert.deepEqual(order, ["written", "saved", "commit-only written", "unchanged"]);
      await wal.close();
    }));

  test("create refuses a directory that already holds a WAL", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      await (await Wal.create(dir, META)).close();
      await assert.rejects(Wal.create(dir, META), WalExistsError);
    }));

  test("segments roll over at the segment size, named seq-index, and read back in order", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META, SMALL);
      for (let i = 1; i <= 300; i += 10) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, entries(i, i + 9, 1, 100));
      await wal.close();
      const names = (await readdir(dir)).map(parseSegmentName).filter((s) => s !== undefined);
      assert.ok(names.length > 5, `expected many segments, got ${names.length}`);
      names.forEach((s, i) => assert.equal(s.seq, i));
      for (let i = 1; i < names.length; i++) assert.ok(names[i]!.index > names[i - 1]!.index);

      const reopened = await Wal.open(dir, undefined, SMALL);
      const { entries: read } = await reopened.readAll();
      assert.deepEqual(summary(read), summary(entries(1, 300, 1, 100)));
      // Appending after reopen continues the chain in the last segment.
      await reopened.save(undefined, entries(301, 310, 1, 100));
      await reopened.close();
      const again = await Wal.open(dir, undefined, SMALL);
      assert.equal((await again.readAll()).entries.length, 310);
      await again.close();
    }));

  test("a later write of an index (a new leader's entry) replaces the old suffix", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META);
      await wal.save({ term: 1, vote: 1n, commit: 2 }, entries(1, 5, 1));
      await wal.save({ term: 2, vote: 2n, commit: 2 }, entries(4, 6, 2));
      await wal.close();
      const reopened = await Wal.open(dir);
      assert.deepEqual(summary((await reopened.readAll()).entries), ["1@1", "2@1", "3@1", "4@2", "5@2", "6@2"]);
      await reopened.close();
    }));

  test("concurrent saves are serialized in call order", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META, SMALL);
      await Promise.all(Array.from({ length: 50 }, (_, i) => wal.save({ term: 1, vote: 1n, commit: i }, entries(i * 4 + 1, i * 4 + 4, 1, 64))));
      await wal.close();
      const reopened = await Wal.open(dir, undefined, SMALL);
      const contents = await reopened.readAll();
      assert.deepEqual(summary(contents.entries), summary(entries(1, 200, 1, 64)));
      assert.equal(contents.hardState.commit, 49);
      await reopened.close();
    }));
});

describe("snapshots", () => {
  test("opening at a snapshot marker replays only the entries after it", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META, SMALL);
      await wal.save({ term: 1, vote: 1n, commit: 10 }, entries(1, 10, 1, 200));
      await wal.saveSnapshot({ index: 5, term: 1 });
      await wal.save({ term: 1, vote: 1n, commit: 15 }, entries(11, 15, 1, 200));
      await wal.close();

      const fromSnap = await Wal.open(dir, { index: 5, term: 1 }, SMALL);
      assert.deepEqual(summary((await fromSnap.readAll()).entries), summary(entries(6, 15, 1, 200)));
      await fromSnap.close();

      const missing = await Wal.open(dir, { index: 7, term: 1 }, SMALL);
      await assert.rejects(missing.readAll(), SnapshotNotFoundError);
      await missing.close();
    }));

  test("purge deletes released segments only, and the WAL still opens at the snapshot", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META, SMALL);
      for (let i = 1; i <= 200; i += 10) await wal.save({ term: 1, vote: 1n, commit: i + 9 }, entries(i, i + 9, 1, 100));
      const before = wal.segmentFiles().length;
      assert.ok(before > 4);
      assert.deepEqual(await wal.purge(1), [], "nothing is released yet");
      await wal.saveSnapshot({ index: 150, term: 1 });
      wal.releaseLockTo(150);
      const deleted = await wal.purge(1);
      assert.ok(deleted.length > 0);
      const left = (await readdir(dir)).filter((f) => f.endsWith(".wal")).sort();
      assert.equal(left.length, before - deleted.length);
      assert.ok(parseSegmentName(left[0]!)!.index < 150, "the segment holding index 150's predecessor is kept");
      await wal.close();

      const reopened = await Wal.open(dir, { index: 150, term: 1 }, SMALL);
      assert.deepEqual(summary((await reopened.readAll()).entries), summary(entries(151, 200, 1, 100)));
      await reopened.close();
    }));
});

describe("torn tails and corruption", () => {
  async function writeSample(dir: string): Promise<{ lastSegment: string; lastRecordStart: number; lastRecordEnd: number }> {
    const wal = await Wal.create(dir, META, SMALL);
    await wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 20, 1, 100));
    await wal.save(undefined, entries(21, 21, 1, 100));
    await wal.close();
    const segments = (await readdir(dir)).filter((f) => f.endsWith(".wal")).sort();
    const lastSegment = join(dir, segments[segments.length - 1]!);
    // Find the last record's frame by scanning the headers.
    const buf = await readFile(lastSegment);
    let offset = 0;
    let lastRecordStart = 0;
    while (offset + RECORD_HEADER_SIZE <= buf.length && buf.readUInt32LE(offset) + buf[offset + 8]! !== 0) {
      lastRecordStart = offset;
      offset += RECORD_HEADER_SIZE + buf.readUInt32LE(offset);
    }
    return { lastSegment, lastRecordStart, lastRecordEnd: offset };
  }

  test("truncating the last segment at every byte of its last record repairs to the record before", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const { lastSegment, lastRecordStart, lastRecordEnd } = await writeSample(dir);
      const original = await readFile(lastSegment);
      for (let cut = lastRecordStart; cut < lastRecordEnd; cut++) {
        await writeFile(lastSegment, original);
        await truncate(lastSegment, cut);
        const wal = await Wal.open(dir, undefined, SMALL);
        const contents = await wal.readAll();
        assert.deepEqual(summary(contents.entries), summary(entries(1, 20, 1, 100)), `cut at ${cut}`);
        if (cut > lastRecordStart) assert.deepEqual(contents.repaired, { file: lastSegment, offset: lastRecordStart });
        // The repaired WAL takes appends and reads them back.
        await wal.save(undefined, entries(21, 21, 2, 100));
        await wal.close();
        const again = await Wal.open(dir, undefined, SMALL);
        assert.equal(summary((await again.readAll()).entries).at(-1), "21@2", `cut at ${cut}`);
        await again.close();
      }
    }));

  test("a last record torn into zeros (preallocated space) is cut off", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const { lastSegment, lastRecordStart, lastRecordEnd } = await writeSample(dir);
      const buf = await readFile(lastSegment);
      buf.fill(0, lastRecordStart + 20, lastRecordEnd);
      await writeFile(lastSegment, buf);
      const wal = await Wal.open(dir, undefined, SMALL);
      const contents = await wal.readAll();
      assert.deepEqual(summary(contents.entries), summary(entries(1, 20, 1, 100)));
      assert.equal(contents.repaired?.offset, lastRecordStart);
      await wal.close();
    }));

  test("a last record whose final bytes are zeros is read whole, wherever it ends (no false torn tail)", async () => {
    // readAll reads a segment only up to its last non-zero sector, so a record ending in zeros
    // just past a sector boundary must not be taken for a torn one. In memory, for speed.
    for (let size = 1; size <= 600; size++) {
      const fs = new PowerCutDisk().mount();
      const wal = await Wal.create("/wal", META, { ...SMALL, fs });
      const data = new Uint8Array(size);
      data[0] = 1;
      await wal.save({ term: 1, vote: 1n, commit: 0 }, [{ term: 1, index: 1, type: 0, data }]);
      await wal.save(undefined, [{ term: 1, index: 2, type: 0, data }]);
      await wal.close();
      const reopened = await Wal.open("/wal", undefined, { ...SMALL, fs });
      const contents = await reopened.readAll();
      assert.equal(contents.repaired, undefined, `entry of ${size} bytes`);
      assert.equal(contents.entries.length, 2, `entry of ${size} bytes`);
      await reopened.close();
    }
  });

  test("a flipped byte in a middle segment is refused, naming the file and offset", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META, SMALL);
      for (let i = 1; i <= 200; i += 10) await wal.save({ term: 1, vote: 1n, commit: i }, entries(i, i + 9, 1, 100));
      await wal.close();
      const segments = (await readdir(dir)).filter((f) => f.endsWith(".wal")).sort();
      assert.ok(segments.length >= 3);
      const middle = join(dir, segments[1]!);
      const buf = await readFile(middle);
      const victim = 700; // inside some record's data
      buf[victim] = buf[victim]! ^ 0x40;
      await writeFile(middle, buf);
      const reopened = await Wal.open(dir, undefined, SMALL);
      const error = await reopened.readAll().then(
        () => assert.fail("corruption went unnoticed"),
        (e: unknown) => e,
      );
      await reopened.close();
      assert.ok(error instanceof WalCorruptError);
      assert.equal(error.file, middle);
      assert.ok(error.offset <= victim && error.offset > 0, `offset ${error.offset}`);
      assert.match(error.message, new RegExp(`${segments[1]} at offset ${error.offset}`));
    }));

  test("a flipped byte in the last segment with records after it is corruption, not a torn tail", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META);
      await wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 20, 1, 100));
      await wal.close();
      const [segment] = (await readdir(dir)).filter((f) => f.endsWith(".wal"));
      const path = join(dir, segment!);
      const buf = await readFile(path);
      buf[300] = buf[300]! ^ 1;
      await writeFile(path, buf);
      const reopened = await Wal.open(dir);
      await assert.rejects(reopened.readAll(), (e: unknown) => e instanceof WalCorruptError && e.file === path);
      await reopened.close();
    }));
});

describe("locking", () => {
  test("a second open of the same WAL is refused until the first closes", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      const wal = await Wal.create(dir, META);
      await assert.rejects(Wal.open(dir), WalLockedError);
      await wal.close();
      const again = await Wal.open(dir);
      await again.readAll();
      await again.close();
    }));

  test("another process holding the WAL makes open fail with its PID; a dead holder's lock is taken over", () =>
    withTempDir(async (root) => {
      const dir = join(root, "wal");
      await (await Wal.create(dir, META)).close();
      // A live process: this test's parent (never us, and alive for the duration).
      await writeFile(join(dir, ".lock"), `${process.ppid}\n`);
      await assert.rejects(Wal.open(dir), (e: unknown) => e instanceof WalLockedError && e.holderPid === process.ppid);
      // A dead process: a PID far above pid_max's default.
      await writeFile(join(dir, ".lock"), "4194303\n");
      const wal = await Wal.open(dir);
      await wal.readAll();
      await wal.close();
    }));
});
