// The engine through its async API, in a worker thread as the server uses it: batches,
// results, events, watch catch-up, compaction, sizes, defrag, snapshot/restore.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { etcdserverpb } from "@etcd-ts/api";
import { openEngine } from "../src/MvccEngine.js";
import type { ApplyOp } from "../src/EngineCore.js";
import { isMvccError } from "../src/errors.js";
import { WatchableStore } from "../src/WatchableStore.js";
import { b, tempDir } from "./support/util.js";

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const dir = (): string => `${tmp.dir}/${n++}`;
const put = (key: string, value: string): ApplyOp => ({ op: "put", request: etcdserverpb.PutRequest.create({ key: b(key), value: b(value) }) });
const del = (key: string, end = ""): ApplyOp => ({ op: "deleteRange", request: etcdserverpb.DeleteRangeRequest.create({ key: b(key), rangeEnd: b(end) }) });

describe("worker engine", () => {
  it("applies a batch in one message and returns results, events, revision and consistent index", async () => {
    const engine = await openEngine(dir());
    try {
      const result = await engine.apply({ index: 7, term: 2, ops: [put("a", "1"), put("b", "2"), del("a"), del("zz")] });
      assert.equal(result.revision, 4);
      assert.equal(result.consistentIndex, 7);
      assert.deepEqual(result.results.map((r) => r.ok), [true, true, true, true]);
      assert.deepEqual(result.events.map((e) => [e.type, Buffer.from(e.kv!.key).toString(), e.kv!.modRevision]), [[0, "a", 2], [0, "b", 3], [1, "a", 4]]);
      const range = await engine.range(etcdserverpb.RangeRequest.create({ key: b("a"), rangeEnd: new Uint8Array([0]) }));
      assert.deepEqual(range.kvs.map((kv) => Buffer.from(kv.key).toString()), ["b"]);
      const old = await engine.range(etcdserverpb.RangeRequest.create({ key: b("a"), revision: 2 }));
      assert.equal(Buffer.from(old.kvs[0]!.value).toString(), "1");
      const status = await engine.status();
      assert.deepEqual([status.revision, status.consistentIndex, status.term], [4, 7, 2]);
    } finally {
      await engine.close();
    }
  });

  for (const inProcess of [false, true]) {
    it(`rangeEncoded answers in wire format what range answers (${inProcess ? "in process" : "worker"}), errors included`, async () => {
      const engine = await openEngine(dir(), { inProcess });
      try {
        await engine.apply({ index: 1, term: 1, ops: [put("a", "1"), put("b", "2"), put("c", "3")] });
        await engine.apply({ index: 2, term: 1, ops: [{ op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: 2 }) }] });
        // A key that is a view into a larger buffer travels as its own bytes.
        const shared = Buffer.from("xxac");
        const request = etcdserverpb.RangeRequest.create({ key: shared.subarray(2, 3), rangeEnd: shared.subarray(3, 4), limit: 1 });
        const plain = await engine.range(request);
        const encoded = await engine.rangeEncoded(request);
        assert.equal(encoded.revision, plain.header!.revision);
        assert.equal(encoded.revision, 4);
        const decoded = etcdserverpb.RangeResponse.decode(encoded.body);
        assert.equal(decoded.header, undefined);
        assert.deepEqual({ ...decoded, header: plain.header }, plain);
        assert.equal(decoded.count, 2);
        assert.equal(decoded.more, true);
        await assert.rejects(engine.rangeEncoded(etcdserverpb.RangeRequest.create({ key: b("a"), revision: 1 })), (e) => isMvccError(e, "compacted"));
        await assert.rejects(engine.rangeEncoded(etcdserverpb.RangeRequest.create({ key: b("a"), revision: 99 })), (e) => isMvccError(e, "futureRev"));
        // Every kind of range, plain (stored bytes copied) or not (decoded, filtered, re-encoded),
        // answers exactly what `range` answers.
        await engine.apply({ index: 3, term: 1, ops: [put("b", "22"), del("c"), put("d", "4"), put("e", ""), put("bb", "v".repeat(100_000))] });
        const { SortOrder, SortTarget } = { SortOrder: etcdserverpb.RangeRequest_SortOrder, SortTarget: etcdserverpb.RangeRequest_SortTarget };
        const variants: Partial<etcdserverpb.RangeRequest>[] = [
          { key: b("a") }, { key: b("zz") }, { key: b("a"), rangeEnd: new Uint8Array([0]) }, { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) },
          { key: b("a"), rangeEnd: b("e"), limit: 2 }, { key: b("a"), rangeEnd: b("e"), limit: 3 }, { key: b("a"), rangeEnd: b("e"), limit: 10 },
          { key: b("a"), rangeEnd: b("f"), revision: 4 }, { key: b("a"), rangeEnd: b("f"), revision: 3, limit: 1 },
          { key: b("a"), rangeEnd: b("f"), sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.MOD, limit: 2 },
          { key: b("a"), rangeEnd: b("f"), keysOnly: true }, { key: b("a"), rangeEnd: b("f"), countOnly: true },
          { key: b("a"), rangeEnd: b("f"), minModRevision: 5 }, { key: b("a"), rangeEnd: b("f"), maxCreateRevision: 3 },
        ];
        for (const variant of variants) {
          const req = etcdserverpb.RangeRequest.create(variant);
          const expected = await engine.range(req);
          const got = await engine.rangeEncoded(req);
          assert.equal(got.revision, expected.header!.revision);
          assert.deepEqual({ ...etcdserverpb.RangeResponse.decode(got.body), header: expected.header }, expected, JSON.stringify(variant, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString() : v)));
        }
      } finally {
        await engine.close();
      }
    });
  }

  it("reopens at the last batch with its consistent index", async () => {
    const d = dir();
    let engine = await openEngine(d);
    await engine.apply({ index: 10, term: 1, ops: [put("x", "1")] });
    await engine.apply({ index: 11, term: 1, ops: [put("y", "1")] });
    await engine.close();
    engine = await openEngine(d);
    const status = await engine.status();
    assert.deepEqual([status.revision, status.consistentIndex], [3, 11]);
    await engine.close();
  });

  it("compaction errors and the compacted read error cross the thread boundary typed", async () => {
    const engine = await openEngine(dir(), { compactionPauseMs: 0 });
    try {
      await engine.apply({ index: 1, term: 1, ops: [put("k", "1"), put("k", "2"), put("k", "3")] });
      const c = await engine.apply({ index: 2, term: 1, ops: [{ op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: 3 }) }, { op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: 3 }) }] });
      assert.equal(c.results[0]!.ok, true);
      assert.ok(!c.results[1]!.ok && c.results[1]!.error.kind === "compacted");
      await engine.compacted(3);
      await assert.rejects(engine.range(etcdserverpb.RangeRequest.create({ key: b("k"), revision: 2 })), (e) => isMvccError(e, "compacted"));
      await assert.rejects(engine.hashKV(2), (e) => isMvccError(e, "compacted"));
      const h = await engine.hashKV(0);
      assert.equal(h.compactRev, 3);
    } finally {
      await engine.close();
    }
  });
});

describe("watch through the engine", () => {
  it("synced, unsynced catch-up, filters, prevKv, progress and compacted watchers", async () => {
    const engine = await openEngine(dir(), { compactionPauseMs: 0 });
    try {
      const first = await engine.apply({ index: 1, term: 1, ops: [put("a", "1"), put("b", "1"), put("a", "2")] });
      const watchable = new WatchableStore(engine, { revision: first.revision, compactRevision: first.compactRevision });
      const stream = watchable.newStream();
      const live = stream.watch(b("a"), undefined, { prevKv: true });
      const history = stream.watch(b("a"), b("c"), { startRevision: 2, filters: [1] });
      // catch-up of the history watcher: revisions 2..4
      const caught = await stream.next();
      assert.equal(caught?.watchId, history);
      assert.deepEqual(caught?.events.map((e) => e.kv!.modRevision), [2, 3, 4]);
      const second = await engine.apply({ index: 2, term: 1, ops: [put("a", "3"), del("b")], prevKv: watchable.needsPrevKv });
      watchable.notify(second.revision, second.events);
      const r1 = await stream.next();
      const r2 = await stream.next();
      const byId = new Map([r1, r2].map((r) => [r!.watchId, r!]));
      const liveResp = byId.get(live)!;
      assert.deepEqual(liveResp.events.map((e) => [e.type, e.kv!.modRevision, Buffer.from(e.prevKv!.value).toString()]), [[0, 5, "2"]]);
      const histResp = byId.get(history)!;
      assert.deepEqual(histResp.events.map((e) => e.type), [0], "the delete of b is filtered out");
      assert.equal(stream.requestProgress(live), true);
      assert.deepEqual(await stream.next(), { watchId: live, events: [], revision: 6, compactRevision: 0 });
      // compact, then a watcher from before the compaction learns the compact revision
      const c = await engine.apply({ index: 3, term: 1, ops: [{ op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: 5 }) }] });
      watchable.notify(c.revision, c.events, c.compactRevision);
      const old = stream.watch(b("a"), undefined, { startRevision: 2 });
      const compacted = await stream.next();
      assert.deepEqual([compacted?.watchId, compacted?.compactRevision], [old, 5]);
      stream.close();
    } finally {
      await engine.close();
    }
  });

  it("a slow consumer becomes a victim and then catches up without losing events", async () => {
    const engine = await openEngine(dir(), { inProcess: true });
    try {
      const watchable = new WatchableStore(engine, { revision: 1, compactRevision: -1, bufferSize: 2 });
      const stream = watchable.newStream();
      stream.watch(b("k"), undefined);
      for (let i = 0; i < 10; i++) {
        const r = await engine.apply({ index: i + 1, term: 1, ops: [put("k", String(i))] });
        watchable.notify(r.revision, r.events);
      }
      assert.equal(watchable.stats().victims, 1);
      const seen: number[] = [];
      while (seen.length < 10) {
        const resp = await stream.next();
        seen.push(...resp!.events.map((e) => e.kv!.modRevision));
      }
      assert.deepEqual(seen, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      stream.close();
    } finally {
      await engine.close();
    }
  });
});

describe("sizes, defrag, snapshot", () => {
  it("reports the backend size per batch (what the server's quota checks); compaction and defrag shrink it", async () => {
    const engine = await openEngine(dir(), { compactionPauseMs: 0 });
    try {
      const value = "v".repeat(4000);
      let index = 0;
      const first = await engine.apply({ index: ++index, term: 1, ops: [put("key0", value)] });
      let last = first;
      for (let i = 1; i < 100; i++) last = await engine.apply({ index: ++index, term: 1, ops: [put(`key${i}`, value)] });
      assert.ok(last.dbSize > first.dbSize + 100 * 3000, `the size grew with the writes: ${first.dbSize} -> ${last.dbSize}`);
      // Read while the batch is written, before its commit: at most the batch's own pages behind.
      const status = await engine.status();
      assert.ok(last.dbSize <= status.dbSize && last.dbSize > status.dbSize - 64 * 1024, `${last.dbSize} vs ${status.dbSize}`);
      const cleared = await engine.apply({ index: ++index, term: 1, ops: [del("key", "kez")] });
      assert.ok(cleared.results[0]!.ok);
      await engine.apply({ index: ++index, term: 1, ops: [{ op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: cleared.revision }) }] });
      await engine.compacted(cleared.revision);
      const defrag = await engine.defrag();
      assert.ok(defrag.after.size < defrag.before.size, `defrag shrinks: ${JSON.stringify(defrag)}`);
      const ok = await engine.apply({ index: ++index, term: 1, ops: [put("again", "x")] });
      assert.ok(ok.results[0]!.ok);
      assert.ok(ok.dbSize < last.dbSize);
    } finally {
      await engine.close();
    }
  });

  it("defrag and compaction under concurrent writes lose nothing", async () => {
    const engine = await openEngine(dir(), { compactionPauseMs: 0, compactionBatchLimit: 50 });
    try {
      let index = 0;
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) writes.push(engine.apply({ index: ++index, term: 1, ops: [put(`k${i % 20}`, String(i))] }));
      writes.push(engine.apply({ index: ++index, term: 1, ops: [{ op: "compact", request: etcdserverpb.CompactionRequest.create({ revision: 200 }) }] }));
      for (let i = 300; i < 400; i++) {
        writes.push(engine.apply({ index: ++index, term: 1, ops: [put(`k${i % 20}`, String(i))] }));
        if (i === 350) writes.push(engine.defrag());
      }
      await Promise.all(writes);
      await engine.compacted(200);
      const status = await engine.status();
      assert.equal(status.revision, 401);
      const all = await engine.range(etcdserverpb.RangeRequest.create({ key: b("k"), rangeEnd: b("l") }));
      assert.equal(all.count, 20);
      assert.deepEqual(all.kvs.map((kv) => Number(Buffer.from(kv.value).toString())).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => 380 + i));
    } finally {
      await engine.close();
    }
  });

  it("a snapshot restores into another engine with the same hash", async () => {
    const source = await openEngine(dir());
    const target = await openEngine(dir());
    try {
      await source.apply({ index: 5, term: 3, ops: [put("a", "1"), put("b", "2"), del("a")] });
      const file = `${tmp.dir}/snap-${n++}.mdb`;
      await source.snapshot(file);
      const restored = await target.restore(file);
      assert.deepEqual([restored.revision, restored.consistentIndex, restored.term], [4, 5, 3]);
      assert.deepEqual(await target.hashKV(0), await source.hashKV(0));
    } finally {
      await source.close();
      await target.close();
    }
  });
});

describe("read-only txns", () => {
  it("a txn of ranges is served from a read view: results as a batch would give, nothing written, a txn that writes refused", async () => {
    const engine = await openEngine(dir());
    try {
      await engine.apply({ index: 1, term: 1, ops: [put("a", "1"), put("b", "2")] });
      const before = await engine.status();
      const range = (key: string): etcdserverpb.RequestOp => ({ request: { $case: "requestRange", requestRange: etcdserverpb.RangeRequest.create({ key: b(key) }) } });
      const compare = etcdserverpb.Compare.create({ key: b("a"), target: etcdserverpb.Compare_CompareTarget.VALUE, result: etcdserverpb.Compare_CompareResult.EQUAL, targetUnion: { $case: "value", value: b("1") } });
      const request = etcdserverpb.TxnRequest.create({ compare: [compare], success: [range("b")], failure: [range("a")] });
      const response = await engine.readTxn(request);
      assert.equal(response.succeeded, true);
      const first = response.responses[0]!.response;
      assert.ok(first?.$case === "responseRange");
      assert.equal(Buffer.from(first.responseRange.kvs[0]!.value).toString(), "2");
      assert.equal(response.header!.revision, before.revision);
      const after = await engine.status();
      assert.equal(after.consistentIndex, before.consistentIndex);
      assert.equal(after.revision, before.revision);
      const writes = etcdserverpb.TxnRequest.create({ success: [{ request: { $case: "requestPut", requestPut: etcdserverpb.PutRequest.create({ key: b("c"), value: b("3") }) } }] });
      await assert.rejects(engine.readTxn(writes), /writes/);
      assert.equal((await engine.status()).revision, before.revision);
    } finally {
      await engine.close();
    }
  });
});

describe("other stores' buckets", () => {
  it("bucket writes commit with the batch and read back after reopening", async () => {
    const { dir, cleanup } = tempDir();
    after(cleanup);
    const engine = await openEngine(dir);
    const key = (s: string): Uint8Array => new TextEncoder().encode(s);
    await engine.apply({
      index: 1,
      term: 1,
      ops: [{ op: "put", request: etcdserverpb.PutRequest.create({ key: key("k"), value: key("v") }) }],
      writes: [
        { bucket: "lease", key: key("b"), value: key("2") },
        { bucket: "lease", key: key("a"), value: key("1") },
        { bucket: "members", key: key("m"), value: key("x") },
      ],
    });
    await engine.apply({ index: 2, term: 1, ops: [], writes: [{ bucket: "lease", key: key("b"), value: null }] });
    await assert.rejects(engine.apply({ index: 3, term: 1, ops: [], writes: [{ bucket: "key", key: key("z"), value: key("z") }] }));
    await engine.sync();
    await engine.close();
    const reopened = await openEngine(dir);
    const lease = await reopened.readBucket("lease");
    assert.deepEqual(lease.map((e) => [new TextDecoder().decode(e.key), new TextDecoder().decode(e.value)]), [["a", "1"]]);
    assert.equal((await reopened.readBucket("members")).length, 1);
    assert.equal((await reopened.status()).consistentIndex, 2);
    await reopened.close();
  });
});
