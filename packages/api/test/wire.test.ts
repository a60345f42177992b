// The protobuf runtime under the generated codecs: exact bytes for known values, round
// trips for random ones, and clean errors (never a crash or a hang) for malformed input.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ProtoDecodeError, ProtoReader } from "../src/wire/ProtoReader.js";
import { ProtoWriter } from "../src/wire/ProtoWriter.js";

function written(fn: (w: ProtoWriter) => void): number[] {
  const w = new ProtoWriter(4);
  fn(w);
  return [...w.finish()];
}

test("varints are encoded as protobuf specifies", () => {
  assert.deepEqual(written((w) => w.uint32(0)), [0]);
  assert.deepEqual(written((w) => w.uint32(300)), [0xac, 0x02]);
  assert.deepEqual(written((w) => w.uint32(0xffffffff)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  // Negative int32 takes ten bytes (sign-extended to 64 bits).
  assert.deepEqual(written((w) => w.int32(-1)), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.deepEqual(written((w) => w.int64Number(-1)), written((w) => w.int64Bigint(-1n)));
  assert.deepEqual(written((w) => w.int64Number(2 ** 40 + 5)), written((w) => w.int64Bigint(2n ** 40n + 5n)));
  assert.deepEqual(written((w) => w.int64Bigint(2n ** 63n - 1n)), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
});

test("int64 as number round-trips every safe integer", () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (value) => {
      const w = new ProtoWriter(1);
      w.int64Number(value);
      const r = new ProtoReader(w.finish());
      assert.equal(r.int64Number(), value);
    }),
  );
});

test("int64 and uint64 as bigint round-trip the whole 64-bit range", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
      const w = new ProtoWriter(1);
      w.int64Bigint(value);
      w.int64Bigint(BigInt.asUintN(64, value));
      const r = new ProtoReader(w.finish());
      assert.equal(r.int64Bigint(), value);
      assert.equal(r.uint64Bigint(), BigInt.asUintN(64, value));
    }),
  );
});

test("strings round-trip through both the ASCII fast path and UTF-8", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 200 }), (a, b) => {
      const w = new ProtoWriter(2);
      w.string(a);
      w.string(b);
      const r = new ProtoReader(w.finish());
      // Lone surrogates become U+FFFD when encoded as UTF-8, as everywhere else.
      assert.equal(r.string(), Buffer.from(a, "utf8").toString("utf8"));
      assert.equal(r.string(), b);
    }),
  );
});

test("a length-delimited body of any size gets the right length prefix", () => {
  for (const size of [0, 1, 127, 128, 129, 16_383, 16_384, 70_000]) {
    const w = new ProtoWriter(8);
    w.uint32(1);
    const mark = w.fork();
    for (let i = 0; i < size; i++) w.bool(true);
    w.join(mark);
    w.uint32(2);
    const r = new ProtoReader(w.finish());
    assert.equal(r.uint32(), 1);
    const end = r.sub();
    assert.equal(end - r.pos, size);
    r.pos = end;
    assert.equal(r.uint32(), 2);
    assert.equal(r.pos, r.end);
  }
});

test("bytes are returned as views into the input, without a copy", () => {
  const w = new ProtoWriter();
  w.bytes(new Uint8Array([7, 8, 9]));
  const input = w.finish();
  const value = new ProtoReader(input).bytes();
  assert.deepEqual([...value], [7, 8, 9]);
  assert.equal(value.buffer, input.buffer);
});

test("malformed input is a ProtoDecodeError, never a crash or a hang", () => {
  const cases: [string, number[], (r: ProtoReader) => unknown][] = [
    ["truncated varint", [0x80, 0x80], (r) => r.uint32()],
    ["over-long varint", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], (r) => r.int64Bigint()],
    ["length past the end", [0x05, 0x61], (r) => r.bytes()],
    ["absurd length", [0xff, 0xff, 0xff, 0xff, 0x0f], (r) => r.string()],
    ["invalid UTF-8", [0x02, 0xc3, 0x28], (r) => r.string()],
    ["invalid wire type", [], (r) => r.skip(7)],
    ["unterminated group", [], (r) => r.skip(3)],
    ["truncated fixed32", [1, 2], (r) => r.fixed32()],
  ];
  for (const [what, bytes, read] of cases) {
    assert.throws(() => read(new ProtoReader(new Uint8Array(bytes))), ProtoDecodeError, what);
  }
});

test("skip passes over every wire type", () => {
  const w = new ProtoWriter();
  w.uint32(300); // varint
  w.double(1.5); // fixed64
  w.bytes(new Uint8Array(200)); // length-delimited
  w.fixed32(7); // fixed32
  w.uint32(99);
  const r = new ProtoReader(w.finish());
  for (const wire of [0, 1, 2, 5]) r.skip(wire);
  assert.equal(r.uint32(), 99);
});
