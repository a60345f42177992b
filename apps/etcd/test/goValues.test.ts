// Go's value syntax as etcd's flags read it: integers (strconv base 0), booleans, durations, URLs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkBindUrl, checkHostUrl, formatGoDuration, parseEtcdUrls, parseGoBool, parseGoDuration, parseGoInteger } from "../src/goValues.js";

describe("parseGoInteger", () => {
  const cases: [string, Parameters<typeof parseGoInteger>[1], number | string][] = [
    ["100000", "uint64", 100000],
    ["0x10", "uint", 16],
    ["010", "uint", 8],
    ["0b101", "uint", 5],
    ["0x_ff", "uint", 255],
    ["1_000", "uint", "parse error"],
    ["abc", "uint64", "parse error"],
    ["", "uint", "parse error"],
    ["-1", "uint", "parse error"],
    ["-1", "int64", -1],
    ["+7", "int", 7],
    ["4294967296", "uint32", "value out of range"],
    ["99999999999999999999999", "uint64", "value out of range"],
    ["1.5", "uint", "parse error"],
  ];
  for (const [text, type, expected] of cases) {
    it(`${JSON.stringify(text)} as ${type} → ${expected}`, () => {
      const result = parseGoInteger(text, type);
      assert.deepEqual(result, typeof expected === "number" ? { ok: true, value: expected } : { ok: false, error: expected });
    });
  }
});

describe("parseGoBool", () => {
  it("accepts strconv.ParseBool's spellings only", () => {
    for (const text of ["1", "t", "T", "TRUE", "true", "True"]) assert.deepEqual(parseGoBool(text), { ok: true, value: true });
    for (const text of ["0", "f", "F", "FALSE", "false", "False"]) assert.deepEqual(parseGoBool(text), { ok: true, value: false });
    for (const text of ["yes", "on", "maybe", ""]) assert.deepEqual(parseGoBool(text), { ok: false, error: "parse error" });
  });
});

describe("parseGoDuration", () => {
  it("reads Go durations into milliseconds", () => {
    assert.deepEqual(parseGoDuration("100ms"), { ok: true, value: 100 });
    assert.deepEqual(parseGoDuration("1h30m"), { ok: true, value: 5_400_000 });
    assert.deepEqual(parseGoDuration("1.5s"), { ok: true, value: 1500 });
    assert.deepEqual(parseGoDuration("-2s"), { ok: true, value: -2000 });
    assert.deepEqual(parseGoDuration("0"), { ok: true, value: 0 });
    assert.deepEqual(parseGoDuration("5"), { ok: false, error: "parse error" });
    assert.deepEqual(parseGoDuration("abc"), { ok: false, error: "parse error" });
  });
  it("writes durations as Go's Duration.String for help defaults", () => {
    assert.equal(formatGoDuration(5000), "5s");
    assert.equal(formatGoDuration(7_200_000), "2h0m0s");
    assert.equal(formatGoDuration(600_000), "10m0s");
    assert.equal(formatGoDuration(100), "100ms");
    assert.equal(formatGoDuration(0), "0s");
  });
});

describe("parseEtcdUrls", () => {
  it("sorts and de-duplicates a comma list", () => {
    assert.deepEqual(parseEtcdUrls("http://b:2,http://a:1,http://b:2"), { ok: true, value: ["http://a:1", "http://b:2"] });
  });
  it("refuses what types.NewURLs refuses, with its texts", () => {
    assert.deepEqual(parseEtcdUrls("foo"), { ok: false, error: "URL scheme must be http, https, unix, or unixs: foo" });
    assert.deepEqual(parseEtcdUrls("localhost:2379"), { ok: false, error: "URL scheme must be http, https, unix, or unixs: localhost:2379" });
    assert.deepEqual(parseEtcdUrls("127.0.0.1:2379"), { ok: false, error: 'parse "127.0.0.1:2379": first path segment in URL cannot contain colon' });
    assert.deepEqual(parseEtcdUrls("http://127.0.0.1"), { ok: false, error: 'URL address does not have the form "host:port": http://127.0.0.1' });
    assert.deepEqual(parseEtcdUrls("http://127.0.0.1:1/x"), { ok: false, error: "URL must not contain a path: http://127.0.0.1:1/x" });
    assert.deepEqual(parseEtcdUrls(""), { ok: false, error: "URL scheme must be http, https, unix, or unixs: " });
  });
  it("accepts IPv6 and unix sockets", () => {
    assert.equal(parseEtcdUrls("http://[::1]:2379").ok, true);
    assert.equal(parseEtcdUrls("unix://localhost:1234").ok, true);
  });
});

describe("bind and host checks", () => {
  it("listen URLs need an IP or localhost", () => {
    assert.equal(checkBindUrl("http://127.0.0.1:2379"), undefined);
    assert.equal(checkBindUrl("http://localhost:2379"), undefined);
    assert.equal(checkBindUrl("http://[::]:2379"), undefined);
    assert.equal(checkBindUrl("http://example.com:2379"), "expected IP in URL for binding (http://example.com:2379)");
  });
  it("advertised URLs need a host", () => {
    assert.equal(checkHostUrl("http://example.com:2379"), undefined);
    assert.equal(checkHostUrl("http://:2379"), "unexpected empty host (http://:2379)");
  });
});
