// The backend is never in a mode a system crash can corrupt, and its whole-file
// replacements (defrag, an installed snapshot) are durable: the new file is fsynced before
// it is renamed over the old one, and the directory after (issue 15, items 1, 2 and 4).
// A power cut cannot be caused from a test, so the order of those steps is observed
// through the injectable file layer, each step still done for real.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { etcdserverpb } from "@etcd-ts/api";
import { Backend, DATA_FILE, lmdbEnvOptions } from "../src/Backend.js";
import { nodeDurableFiles, type DurableFiles } from "../src/DurableFiles.js";
import { EngineCore } from "../src/EngineCore.js";
import { openEngine } from "../src/MvccEngine.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "etcd-ts-durable-"));
  dirs.push(d);
  return d;
}

/** Records each step (with the file's base name), doing it for real. */
function recording(): { files: DurableFiles; steps: string[] } {
  const steps: string[] = [];
  const base = (p: string): string => p.split("/").slice(-1)[0]!;
  return {
    steps,
    files: {
      syncFile: (p) => (steps.push(`syncFile ${base(p)}`), nodeDurableFiles.syncFile(p)),
      rename: (a, b) => (steps.push(`rename ${base(a)} ${base(b)}`), nodeDurableFiles.rename(a, b)),
      syncDir: (p) => (steps.push(`syncDir ${p}`), nodeDurableFiles.syncDir(p)),
    },
  };
}

const put = (key: string, value: string): { op: "put"; request: etcdserverpb.PutRequest } => ({
  op: "put",
  request: etcdserverpb.PutRequest.create({ key: Buffer.from(key), value: Buffer.from(value) }),
});

test("LMDB never runs with NOSYNC: the default syncs data per commit (NOMETASYNC), `sync` syncs meta too", () => {
  assert.deepEqual(lmdbEnvOptions("meta-async"), { noSync: false, noMetaSync: true, overlappingSync: false });
  assert.deepEqual(lmdbEnvOptions("sync"), { noSync: false, noMetaSync: false, overlappingSync: false });
  const d = dir();
  const backend = Backend.open(d);
  assert.equal(backend.mode, "meta-async");
  void backend.close();
  const synced = Backend.open(dir(), { sync: true });
  assert.equal(synced.mode, "sync");
  void synced.close();
});

test("defrag fsyncs the compacted copy, renames it over data.mdb, then fsyncs the directory", async () => {
  const d = dir();
  const { files, steps } = recording();
  const engine = await openEngine(d, { inProcess: true, files, compactionPauseMs: 0 });
  try {
    let index = 0;
    for (let i = 0; i < 50; i++) await engine.apply({ index: ++index, term: 1, ops: [put(`k${i}`, "v".repeat(2000))] });
    await engine.defrag();
    assert.deepEqual(steps, ["syncFile defrag.mdb", `rename defrag.mdb ${DATA_FILE}`, `syncDir ${d}`]);
    const status = await engine.status();
    assert.equal(status.keys, 50);
  } finally {
    await engine.close();
  }
});

test("a snapshot installed as the backend (restore) is fsynced, renamed in, and its directory fsynced", async () => {
  const source = await openEngine(dir(), { inProcess: true });
  const file = join(dir(), "snapshot.db");
  try {
    await source.apply({ index: 1, term: 1, ops: [put("a", "1")] });
    await source.snapshot(file);
  } finally {
    await source.close();
  }
  const target = dir();
  const { files, steps } = recording();
  EngineCore.installSnapshot(target, file, files);
  assert.deepEqual(steps, ["syncFile snapshot.db", `rename snapshot.db ${DATA_FILE}`, `syncDir ${target}`]);
  assert.ok(existsSync(join(target, DATA_FILE)));
  const engine = await openEngine(target, { inProcess: true });
  try {
    assert.equal((await engine.status()).keys, 1);
  } finally {
    await engine.close();
  }
});

test("the file layer of a worker engine is refused (functions cannot cross to the worker)", async () => {
  await assert.rejects(openEngine(dir(), { files: nodeDurableFiles }), /inProcess/);
});
