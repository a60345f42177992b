// inspectWal: a read-only dump and verify that names every record and every problem.
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { inspectWal, Wal, type InspectedRecord } from "../src/index.js";
import { entries, META, withTempDir } from "./helpers.js";

test("a healthy WAL: every record listed, no problems", () =>
  withTempDir(async (root) => {
    const dir = join(root, "wal");
    const wal = await Wal.create(dir, META, { segmentSize: 4096 });
    await wal.save({ term: 3, vote: 2n, commit: 10 }, entries(1, 40, 3, 200));
    await wal.saveSnapshot({ index: 20, term: 3 });
    await wal.close();
    const seen: InspectedRecord[] = [];
    const report = await inspectWal(dir, (r) => seen.push(r));
    assert.deepEqual(report.problems, []);
    assert.equal(report.entries, 40);
    assert.equal(report.firstIndex, 1);
    assert.equal(report.lastIndex, 40);
    assert.deepEqual(report.hardState, { term: 3, vote: 2n, commit: 10 });
    assert.deepEqual(report.metadata, META);
    assert.deepEqual(report.snapshots, [{ index: 0, term: 0 }, { index: 20, term: 3 }]);
    assert.equal(seen.length, report.records);
    assert.ok(report.segments.length > 1);
    assert.equal(seen.filter((r) => r.type === "ENTRY").length, 40);
    assert.match(seen.find((r) => r.type === "ENTRY")!.detail, /^index 1 term 3/);
  }));

test("a corrupt record is reported with file and offset, and the WAL is left untouched", () =>
  withTempDir(async (root) => {
    const dir = join(root, "wal");
    const wal = await Wal.create(dir, META);
    await wal.save({ term: 1, vote: 1n, commit: 0 }, entries(1, 10, 1, 100));
    await wal.close();
    const [segment] = (await readdir(dir)).filter((f) => f.endsWith(".wal"));
    const path = join(dir, segment!);
    const bytes = await readFile(path);
    bytes[200] = bytes[200]! ^ 8;
    await writeFile(path, bytes);
    const report = await inspectWal(dir);
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0]!.file, path);
    assert.ok(report.problems[0]!.offset <= 200);
    assert.equal(report.problems[0]!.tornTail, false);
    assert.deepEqual(await readFile(path), bytes, "inspect repairs nothing");
  }));
