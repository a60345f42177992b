// A full disk: the save that runs into it fails, every later save is refused (what reached
// the disk is unknown), and reopening — once there is room — returns everything acknowledged.
// The disk is a real 1 MiB tmpfs (the tests run as root, as CI does).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Wal, WalError } from "../src/index.js";
import { entries, META, summary } from "./helpers.js";

test("ENOSPC fails the save, refuses the next, and loses nothing acknowledged", async () => {
  const mountPoint = await mkdtemp(join(tmpdir(), "wal-full-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
  try {
    const dir = join(mountPoint, "wal");
    const options = { segmentSize: 128 * 1024 };
    const wal = await Wal.create(dir, META, options);
    let acked = 0;
    let failure: unknown;
    for (let i = 1; i < 10_000; i += 10) {
      try {
        await wal.save({ term: 1, vote: 1n, commit: i - 1 }, entries(i, i + 9, 1, 1000));
        acked = i + 9;
      } catch (error) {
        failure = error;
        break;
      }
    }
    assert.ok(failure, "the disk filled up");
    assert.equal((failure as NodeJS.ErrnoException).code, "ENOSPC");
    assert.ok(acked > 100, `acknowledged ${acked} entries before the disk was full`);
    await assert.rejects(wal.save(undefined, entries(acked + 1, acked + 1)), (e: unknown) => e instanceof WalError && /refused after an earlier failure/.test(e.message));
    await wal.close();

    // Room again (a bigger disk), then replay.
    execFileSync("mount", ["-o", "remount,size=8m", mountPoint]);
    const reopened = await Wal.open(dir, undefined, options);
    const { entries: read } = await reopened.readAll();
    assert.ok(read.length >= acked, `acked ${acked}, recovered ${read.length}`);
    assert.deepEqual(summary(read), summary(entries(1, read.length, 1, 1000)));
    await reopened.save(undefined, entries(read.length + 1, read.length + 5, 1, 1000));
    await reopened.close();
  } finally {
    execFileSync("umount", [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  }
});
