// Pure parts, no server: range arithmetic, namespace key mapping, endpoint health and backoff.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { prefixEnd, text, toBytes } from "../src/index.js";
import { Endpoints, parseEndpoint } from "../src/internal/Endpoints.js";
import { KeySpace } from "../src/internal/KeySpace.js";

const bytes = (b: Uint8Array): number[] => [...b];

describe("prefixEnd", () => {
  test("increments the last byte below 0xff and drops what follows", () => {
    assert.equal(text(prefixEnd("abc")), "abd");
    assert.deepEqual(bytes(prefixEnd(new Uint8Array([0x61, 0xff]))), [0x62]);
    assert.deepEqual(bytes(prefixEnd(new Uint8Array([0xff, 0xff]))), [0]);
    assert.deepEqual(bytes(prefixEnd("")), [0]);
  });
});

describe("KeySpace (namespace)", () => {
  const space = KeySpace.ROOT.child("app/");
  test("keys and ranges are prefixed as etcd's namespace package does", () => {
    assert.equal(text(space.key("k")), "app/k");
    const one = space.range("k", undefined);
    assert.equal(text(one.key), "app/k");
    assert.equal(one.rangeEnd.length, 0);
    const prefix = space.range("a", { prefix: true });
    assert.equal(text(prefix.rangeEnd), "app/b");
    const fromKey = space.range("k", { fromKey: true });
    assert.equal(text(fromKey.rangeEnd), "app0");
    const all = space.range("", { prefix: true });
    assert.equal(text(all.key), "app/");
    assert.equal(text(all.rangeEnd), "app0");
    assert.equal(text(space.range("a", { rangeEnd: "c" }).rangeEnd), "app/c");
    assert.equal(text(space.strip(toBytes("app/x"))), "x");
  });
  test("the root key space passes keys through", () => {
    const r = KeySpace.ROOT.range("a", { fromKey: true });
    assert.equal(text(r.key), "a");
    assert.deepEqual(bytes(r.rangeEnd), [0]);
  });
});

describe("Endpoints", () => {
  test("parses URLs and host:port; rejects garbage", () => {
    assert.deepEqual(parseEndpoint("http://127.0.0.1:2379"), { raw: "http://127.0.0.1:2379", address: "127.0.0.1:2379", secure: false });
    assert.equal(parseEndpoint("https://etcd:2379").secure, true);
    assert.equal(parseEndpoint("etcd-0:2379").address, "etcd-0:2379");
    assert.throws(() => parseEndpoint("etcd"));
    assert.throws(() => new Endpoints([]));
  });

  test("a failed endpoint is avoided for a doubling backoff, then tried again", () => {
    const endpoints = new Endpoints(["a:1", "b:2", "c:3"], { baseMs: 100, maxMs: 1000 });
    assert.equal(endpoints.pick(0).address, "a:1");
    endpoints.markFailed("a:1", 0);
    assert.equal(endpoints.pick(0).address, "b:2");
    assert.equal(endpoints.pick(50).address, "b:2", "the pin stays on the live endpoint");
    endpoints.markFailed("b:2", 50);
    endpoints.markFailed("c:3", 50);
    assert.equal(endpoints.pick(60).address, "a:1", "all dead: the one whose backoff ends first");
    endpoints.markFailed("a:1", 100);
    assert.equal(endpoints.isAlive("a:1", 299), false, "second failure: 200 ms");
    assert.equal(endpoints.isAlive("a:1", 300), true);
    endpoints.markHealthy("a:1");
    endpoints.markFailed("a:1", 1000);
    assert.equal(endpoints.isAlive("a:1", 1100), true, "a success resets the backoff");
  });

  test("set keeps the pinned endpoint when it stays in the list", () => {
    const endpoints = new Endpoints(["a:1", "b:2"]);
    endpoints.markFailed("a:1", 0);
    assert.equal(endpoints.pick(1).address, "b:2");
    endpoints.set(["c:3", "b:2"]);
    assert.equal(endpoints.pick(1).address, "b:2");
  });
});
