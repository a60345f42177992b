// Unit tests of the store and applier against facts of etcd 3.4's behaviour.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { etcdserverpb } from "@etcd-ts/api";
import { Applier } from "../src/Applier.js";
import { isMvccError } from "../src/errors.js";
import { b, delReq, openStore, putReq, rangeReq, tempDir } from "./support/util.js";

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
function fresh(): Applier {
  return new Applier(openStore(`${tmp.dir}/${n++}`));
}

describe("revisions", () => {
  it("a new store is at revision 1 and the first put gets revision 2", () => {
    const a = fresh();
    assert.equal(a.store.rev(), 1);
    const put = a.put(putReq({ key: b("foo"), value: b("bar") }));
    assert.equal(put.response.header?.revision, 2);
    const kv = a.range(rangeReq({ key: b("foo") })).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [2, 2, 1]);
    a.put(putReq({ key: b("foo"), value: b("baz") }));
    const kv2 = a.range(rangeReq({ key: b("foo") })).kvs[0]!;
    assert.deepEqual([kv2.createRevision, kv2.modRevision, kv2.version], [2, 3, 2]);
  });

  it("deleting nothing does not bump the revision; deleting a key does", () => {
    const a = fresh();
    a.put(putReq({ key: b("a"), value: b("1") }));
    const none = a.deleteRange(delReq({ key: b("zzz") }));
    assert.equal(none.response.deleted, 0);
    assert.equal(none.response.header?.revision, 2);
    assert.equal(a.store.rev(), 2);
    const del = a.deleteRange(delReq({ key: b("a"), prevKv: true }));
    assert.equal(del.response.deleted, 1);
    assert.equal(del.response.header?.revision, 3);
    assert.equal(Buffer.from(del.response.prevKvs[0]!.value).toString(), "1");
    assert.equal(del.events[0]?.type, 1);
    assert.equal(del.events[0]?.kv?.modRevision, 3);
  });

  it("re-creating a deleted key starts a new generation at version 1", () => {
    const a = fresh();
    a.put(putReq({ key: b("k"), value: b("1") }));
    a.deleteRange(delReq({ key: b("k") }));
    a.put(putReq({ key: b("k"), value: b("2") }));
    const kv = a.range(rangeReq({ key: b("k") })).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [4, 4, 1]);
    assert.equal(a.range(rangeReq({ key: b("k"), revision: 3 })).kvs.length, 0);
    assert.equal(Buffer.from(a.range(rangeReq({ key: b("k"), revision: 2 })).kvs[0]!.value).toString(), "1");
  });
});

describe("range", () => {
  const a = fresh();
  for (const [key, value] of [["a", "3"], ["b", "2"], ["c", "1"], ["d", "0"]]) a.put(putReq({ key: b(key!), value: b(value!) }));
  a.put(putReq({ key: b("a"), value: b("33") }));

  it("prefix range with limit reports more and the full count", () => {
    const r = a.range(rangeReq({ key: b("a"), rangeEnd: b("c"), limit: 1 }));
    assert.equal(r.kvs.length, 1);
    assert.equal(r.more, true);
    assert.equal(r.count, 2);
    assert.equal(r.header?.revision, 6);
  });

  it("\\0 as range end means every key from key on", () => {
    const r = a.range(rangeReq({ key: b("b"), rangeEnd: new Uint8Array([0]) }));
    assert.deepEqual(r.kvs.map((kv) => Buffer.from(kv.key).toString()), ["b", "c", "d"]);
  });

  it("sorts by value descending and by version ascending when only a target is given", () => {
    const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
    const byValue = a.range(rangeReq({ ...all, sortTarget: 4, sortOrder: 2 }));
    assert.deepEqual(byValue.kvs.map((kv) => Buffer.from(kv.value).toString()), ["33", "2", "1", "0"]);
    const byVersion = a.range(rangeReq({ ...all, sortTarget: 1 }));
    assert.deepEqual(byVersion.kvs.map((kv) => Buffer.from(kv.key).toString()), ["b", "c", "d", "a"]);
  });

  it("count only, keys only and mod revision filters", () => {
    const all = { key: b("a"), rangeEnd: new Uint8Array([0]) };
    const count = a.range(rangeReq({ ...all, countOnly: true }));
    assert.deepEqual([count.kvs.length, count.count], [0, 4]);
    const keys = a.range(rangeReq({ ...all, keysOnly: true }));
    assert.equal(keys.kvs[0]!.value.length, 0);
    const filtered = a.range(rangeReq({ ...all, minModRevision: 4, maxModRevision: 5 }));
    assert.deepEqual(filtered.kvs.map((kv) => Buffer.from(kv.key).toString()), ["c", "d"]);
    assert.equal(filtered.count, 4, "count is taken before the filters, as in etcd 3.4");
  });

  it("future and compacted revisions fail with etcd's errors", () => {
    assert.throws(() => a.range(rangeReq({ key: b("a"), revision: 100 })), (e) => isMvccError(e, "futureRev") && e.message === "mvcc: required revision is a future revision");
    a.compact(etcdserverpb.CompactionRequest.create({ revision: 3 })).job.runToEnd();
    assert.throws(() => a.range(rangeReq({ key: b("a"), revision: 2 })), (e) => isMvccError(e, "compacted") && e.toApiError().message === "etcdserver: mvcc: required revision has been compacted");
    assert.equal(a.range(rangeReq({ key: b("a"), revision: 3 })).kvs.length, 1);
  });
});

describe("txn", () => {
  it("compares pick the branch; ranges inside see earlier writes; header is the new revision", () => {
    const a = fresh();
    a.put(putReq({ key: b("x"), value: b("1") }));
    const txn = a.txn(etcdserverpb.TxnRequest.create({
      compare: [{ result: 0, target: 3, key: b("x"), targetUnion: { $case: "value", value: b("1") }, rangeEnd: new Uint8Array() }],
      success: [
        { request: { $case: "requestPut", requestPut: putReq({ key: b("y"), value: b("2") }) } },
        { request: { $case: "requestRange", requestRange: rangeReq({ key: b("y") }) } },
        { request: { $case: "requestDeleteRange", requestDeleteRange: delReq({ key: b("x") }) } },
      ],
    }));
    const r = txn.response;
    assert.equal(r.succeeded, true);
    assert.equal(r.header?.revision, 3);
    const range = r.responses[1]?.response;
    assert.equal(range?.$case, "responseRange");
    if (range?.$case === "responseRange") {
      assert.equal(range.responseRange.kvs.length, 1);
      assert.equal(range.responseRange.header?.revision, 3);
    }
    assert.deepEqual(txn.events.map((e) => [e.type, e.kv?.modRevision]), [[0, 3], [1, 3]]);
    const y = a.range(rangeReq({ key: b("y") })).kvs[0]!;
    assert.equal(y.modRevision, 3);
  });

  it("value compare on a missing key fails; version compare treats it as 0", () => {
    const a = fresh();
    const missingValue = a.txn(etcdserverpb.TxnRequest.create({
      compare: [{ result: 1, target: 3, key: b("nope"), targetUnion: { $case: "value", value: b("") }, rangeEnd: new Uint8Array() }],
    }));
    assert.equal(missingValue.response.succeeded, false);
    const version = a.txn(etcdserverpb.TxnRequest.create({
      compare: [{ result: 0, target: 0, key: b("nope"), targetUnion: { $case: "version", version: 0 }, rangeEnd: new Uint8Array() }],
    }));
    assert.equal(version.response.succeeded, true);
    assert.equal(version.response.header?.revision, 1);
  });

  it("ignore_value on a missing key fails before anything is written", () => {
    const a = fresh();
    assert.throws(
      () => a.txn(etcdserverpb.TxnRequest.create({
        success: [
          { request: { $case: "requestPut", requestPut: putReq({ key: b("a"), value: b("1") }) } },
          { request: { $case: "requestPut", requestPut: putReq({ key: b("b"), ignoreValue: true }) } },
        ],
      })),
      (e) => isMvccError(e, "keyNotFound"),
    );
    assert.equal(a.store.rev(), 1);
  });
});
