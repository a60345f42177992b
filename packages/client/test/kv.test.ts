// KV against a live server: get with every range option, put options, delete, the txn
// builder with every compare target, compact, typed errors, namespaces.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Client } from "../src/index.js";
import {
  Compare,
  CompactedError,
  EmptyKeyError,
  KeyNotFoundError,
  LeaseNotFoundError,
  Op,
  DuplicateKeyError,
  text,
} from "../src/index.js";
import { useServerAndClient } from "./support/servers.js";

let client: Client;

useServerAndClient((_server, connected) => {
  client = connected;
});

const keys = (kvs: { key: Uint8Array }[]): string[] => kvs.map((kv) => text(kv.key));

describe("get", () => {
  before(async () => {
    for (const [k, v] of [["g/a", "3"], ["g/b", "1"], ["g/c", "2"], ["g0", "x"], ["h", "y"]]) await client.put(k!, v!);
    await client.put("g/b", "11");
  });

  test("one key, missing key, string and JSON helpers", async () => {
    const res = await client.get("g/a");
    assert.equal(res.count, 1);
    assert.equal(text(res.kvs[0]!.value), "3");
    assert.ok(res.header.revision > 0);
    assert.notEqual(res.header.clusterId, 0n);
    assert.equal((await client.get("g/nope")).kvs.length, 0);
    assert.equal(await client.getString("g/b"), "11");
    assert.equal(await client.getString("g/nope"), undefined);
    await client.putJSON("g-json", { a: [1, 2] });
    assert.deepEqual(await client.getJSON("g-json"), { a: [1, 2] });
  });

  test("prefix, fromKey, rangeEnd", async () => {
    assert.deepEqual(keys((await client.get("g/", { prefix: true })).kvs), ["g/a", "g/b", "g/c"]);
    assert.deepEqual(keys((await client.get("g0", { fromKey: true })).kvs), ["g0", "h"]);
    assert.deepEqual(keys((await client.get("g/b", { rangeEnd: "g0" })).kvs), ["g/b", "g/c"]);
  });

  test("limit, sort, keysOnly, countOnly", async () => {
    const limited = await client.get("g/", { prefix: true, limit: 2 });
    assert.deepEqual(keys(limited.kvs), ["g/a", "g/b"]);
    assert.equal(limited.more, true);
    assert.equal(limited.count, 3);
    const byValue = await client.get("g/", { prefix: true, sort: { target: "value", order: "descend" } });
    assert.deepEqual(byValue.kvs.map((kv) => text(kv.value)), ["3", "2", "11"]);
    const byVersion = await client.get("g/", { prefix: true, sort: { target: "version", order: "descend" }, limit: 1 });
    assert.deepEqual(keys(byVersion.kvs), ["g/b"]);
    const byMod = await client.get("g/", { prefix: true, sort: { target: "modRevision", order: "ascend" } });
    assert.deepEqual(keys(byMod.kvs), ["g/a", "g/c", "g/b"]);
    const byCreate = await client.get("g/", { prefix: true, sort: { target: "createRevision", order: "descend" } });
    assert.deepEqual(keys(byCreate.kvs), ["g/c", "g/b", "g/a"]);
    const keysOnly = await client.get("g/a", { keysOnly: true });
    assert.equal(keysOnly.kvs[0]!.value.length, 0);
    const counted = await client.get("g/", { prefix: true, countOnly: true });
    assert.equal(counted.kvs.length, 0);
    assert.equal(counted.count, 3);
  });

  test("revision and serializable reads, min/max revision filters", async () => {
    const first = await client.put("g/rev", "1");
    await client.put("g/rev", "2");
    const old = await client.get("g/rev", { revision: first.header.revision });
    assert.equal(text(old.kvs[0]!.value), "1");
    const serializable = await client.get("g/rev", { serializable: true });
    assert.equal(text(serializable.kvs[0]!.value), "2");
    const recent = await client.get("g/", { prefix: true, minModRevision: first.header.revision });
    assert.deepEqual(keys(recent.kvs), ["g/rev"]);
    const early = await client.get("g/", { prefix: true, maxCreateRevision: first.header.revision - 1 });
    assert.deepEqual(keys(early.kvs), ["g/a", "g/b", "g/c"]);
  });

  test("Uint8Array keys and values round-trip bytes that are not UTF-8", async () => {
    const key = new Uint8Array([0x62, 0xff, 0x00, 0x01]);
    const value = new Uint8Array([0xfe, 0x00, 0x80]);
    await client.put(key, value);
    const res = await client.get(key);
    assert.deepEqual([...res.kvs[0]!.value], [...value]);
    assert.deepEqual([...res.kvs[0]!.key], [...key]);
  });
});

describe("put and delete", () => {
  test("prevKv, lease, ignoreValue, ignoreLease", async () => {
    await client.put("p/k", "v1");
    const res = await client.put("p/k", "v2", { prevKv: true });
    assert.equal(text(res.prevKv?.value), "v1");
    const lease = await client.lease.grant(60);
    await client.put("p/k", "", { ignoreValue: true, lease: lease.id });
    const kv = (await client.get("p/k")).kvs[0]!;
    assert.equal(text(kv.value), "v2");
    assert.equal(kv.lease, lease.id);
    await client.put("p/k", "v3", { ignoreLease: true });
    assert.equal((await client.get("p/k")).kvs[0]!.lease, lease.id);
    await client.lease.revoke(lease.id);
    assert.equal((await client.get("p/k")).count, 0);
  });

  test("typed errors: empty key, ignoreValue on a missing key, unknown lease", async () => {
    await assert.rejects(client.put("", "v"), EmptyKeyError);
    await assert.rejects(client.put("p/missing", "", { ignoreValue: true }), KeyNotFoundError);
    await assert.rejects(client.put("p/x", "v", { lease: 0x1234n }), LeaseNotFoundError);
  });

  test("delete one key, a prefix with prevKv, from a key", async () => {
    for (const k of ["d/1", "d/2", "d/3", "e"]) await client.put(k, k);
    assert.equal((await client.delete("d/1")).deleted, 1);
    const res = await client.delete("d/", { prefix: true, prevKv: true });
    assert.equal(res.deleted, 2);
    assert.deepEqual(res.prevKvs.map((kv) => text(kv.value)), ["d/2", "d/3"]);
    assert.equal((await client.delete("nothing-here")).deleted, 0);
  });
});

describe("txn", () => {
  test("compare on value, version, createRevision, modRevision, lease; then and else", async () => {
    const put = await client.put("t/k", "v1");
    const rev = put.header.revision;
    const ok = await client
      .txn()
      .if(
        Compare.value("t/k", "=", "v1"),
        Compare.version("t/k", "=", 1),
        Compare.createRevision("t/k", "=", rev),
        Compare.modRevision("t/k", "<", rev + 1),
        Compare.lease("t/k", "=", 0n),
      )
      .then(Op.put("t/k", "v2", { prevKv: true }), Op.get("t/k"), Op.delete("t/other"))
      .else(Op.get("t/k"))
      .commit();
    assert.equal(ok.succeeded, true);
    assert.deepEqual(ok.responses.map((r) => r.type), ["put", "get", "delete"]);
    const [p, g] = ok.responses;
    assert.ok(p?.type === "put" && g?.type === "get");
    assert.equal(text(p.response.prevKv?.value), "v1");
    assert.equal(text(g.response.kvs[0]?.value), "v2");

    const failed = await client.txn().if(Compare.value("t/k", "!=", "v2")).then(Op.delete("t/k")).else(Op.get("t/k")).commit();
    assert.equal(failed.succeeded, false);
    assert.ok(failed.responses[0]?.type === "get");
    assert.equal(failed.responses[0].response.kvs[0]?.version, 2);
    assert.equal(await client.getString("t/k"), "v2");
  });

  test("compare over a range, nested txn, empty txn", async () => {
    await client.put("tr/a", "1");
    await client.put("tr/b", "1");
    const res = await client
      .txn()
      .if(Compare.value("tr/", "=", "1", { prefix: true }))
      .then(Op.txn([Compare.version("tr/a", ">", 0)], [Op.put("tr/c", "nested")], []))
      .commit();
    assert.equal(res.succeeded, true);
    assert.ok(res.responses[0]?.type === "txn");
    assert.equal(res.responses[0].response.succeeded, true);
    assert.equal(await client.getString("tr/c"), "nested");
    const empty = await client.txn().commit();
    assert.equal(empty.succeeded, true);
  });

  test("a key written twice in one branch is a DuplicateKeyError", async () => {
    await assert.rejects(client.txn().then(Op.put("dup", "1"), Op.put("dup", "2")).commit(), DuplicateKeyError);
  });

  test("the builder enforces if/then/else order", () => {
    assert.throws(() => client.txn().then().if());
    assert.throws(() => client.txn().else().then());
  });
});

describe("compact", () => {
  test("reads below the compacted revision are CompactedError", async () => {
    const first = await client.put("c/k", "1");
    await client.put("c/k", "2");
    await client.compact(first.header.revision + 1, { physical: true });
    await assert.rejects(client.get("c/k", { revision: first.header.revision }), CompactedError);
    assert.equal(await client.getString("c/k"), "2");
  });
});

describe("namespace", () => {
  test("keys are prefixed on the way out and stripped on the way back", async () => {
    const ns = client.namespace("ns1/");
    await ns.put("a", "1");
    await ns.put("b", "2");
    await client.put("ns1", "outside");
    await client.put("ns2/a", "outside");
    assert.equal(await client.getString("ns1/a"), "1");
    assert.deepEqual(keys((await ns.get("", { prefix: true })).kvs), ["a", "b"]);
    assert.deepEqual(keys((await ns.get("a", { fromKey: true })).kvs), ["a", "b"]);
    const txn = await ns.txn().if(Compare.value("a", "=", "1")).then(Op.get("b"), Op.put("c", "3", { prevKv: true })).commit();
    assert.equal(txn.succeeded, true);
    assert.ok(txn.responses[0]?.type === "get");
    assert.equal(text(txn.responses[0].response.kvs[0]?.key), "b");
    const nested = ns.namespace("x/");
    await nested.put("k", "deep");
    assert.equal(await client.getString("ns1/x/k"), "deep");
    assert.deepEqual(keys((await nested.get("", { fromKey: true })).kvs), ["k"]);
    const deleted = await ns.delete("", { prefix: true, prevKv: true });
    assert.deepEqual(keys(deleted.prevKvs), ["a", "b", "c", "x/k"]);
    assert.equal(await client.getString("ns1"), "outside");
    assert.equal(await client.getString("ns2/a"), "outside");
  });
});
