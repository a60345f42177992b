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

// Decode errors carry the text etcd 3.4's gogo/protobuf decoder gives for the same bytes
// (etcd's clients read it after "grpc: error unmarshalling request: "); each expectation here
// is what the real etcd 3.4.23 answered (packages/server/test/hardening-grpc.test.ts asks it).
test("malformed requests fail with gogo/protobuf's error texts", async () => {
  const { etcdserverpb } = await import("../src/index.js");
  const cases: [string, number[], string][] = [
    ["a bytes field cut short", [0x0a, 0x05, 0x61], "unexpected EOF"],
    ["a known field, wrong wire type", [0x08, 0x01], "proto: wrong wireType = 0 for field Key"],
    ["wire type 7 on a known field", [0x0f], "proto: wrong wireType = 7 for field Key"],
    ["wire type 6 on an unknown field", [0x7e], "proto: illegal wireType 6"],
    ["an absurd length", [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], "unexpected EOF"],
    ["a negative length", [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "proto: negative length found during unmarshaling"],
    ["field number 0", [0x00, 0x01], "proto: RangeRequest: illegal tag 0 (wire type 0)"],
    ["field number 0, wire type 2", [0x02, 0x00], "proto: RangeRequest: illegal tag 0 (wire type 2)"],
    ["an end-group tag", [0x0c], "proto: RangeRequest: wiretype end group for non-group"],
    ["an 11-byte varint", [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "proto: integer overflow"],
    ["a varint cut short", [0x18, 0xff], "unexpected EOF"],
    ["an unterminated group", [0x7b, 0x08, 0x01], "unexpected EOF"],
    ["a stray end of group inside a group", [0x7b, 0x7c, 0x7c], "proto: RangeRequest: wiretype end group for non-group"],
  ];
  for (const [what, bytes, text] of cases) {
    assert.throws(() => etcdserverpb.RangeRequest.decode(Uint8Array.from(bytes)), (e: unknown) => e instanceof ProtoDecodeError && e.message === text, what);
  }
  // A sub-message's fields cannot run past its end (gogo decodes it from its own slice).
  const put = etcdserverpb.RequestOp.encode({ request: { $case: "requestPut", requestPut: { key: Uint8Array.of(1, 2, 3) } } });
  const cut = Uint8Array.from(put);
  cut[1] = cut[1]! - 1; // the RequestOp's length now ends inside the key
  assert.throws(() => etcdserverpb.RequestOp.decode(Buffer.concat([cut, Uint8Array.of(0x08, 0x00)])), (e: unknown) => e instanceof ProtoDecodeError && e.message === "unexpected EOF");
  // Unknown fields of every kind, groups included, are skipped.
  assert.deepEqual([...etcdserverpb.RangeRequest.decode(Uint8Array.of(0x7b, 0x08, 0x01, 0x7b, 0x7c, 0x7c, 0x0a, 0x01, 0x61)).key], [0x61]);
});

test("a tag whose field number only gogo's 64-bit reading sees is not taken for a known field", async () => {
  const { etcdserverpb } = await import("../src/index.js");
  // 0x8a 0x80 0x80 0x80 0x10: the low 32 bits say field 1 (key), bit 32 makes gogo's field
  // number 2^29+1: an unknown field, skipped.
  const decoded = etcdserverpb.RangeRequest.decode(Uint8Array.of(0x8a, 0x80, 0x80, 0x80, 0x10, 0x01, 0x62));
  assert.equal(decoded.key.length, 0);
  // A tag gogo reads as a negative field number is an illegal tag, printed as gogo prints it.
  assert.throws(
    () => etcdserverpb.RangeRequest.decode(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)),
    (e: unknown) => e instanceof ProtoDecodeError && e.message === "proto: RangeRequest: illegal tag 0 (wire type 9223372036854775808)",
  );
});

test("transactions nested deeper than MAX_MESSAGE_DEPTH are refused without exhausting the stack", async () => {
  const { etcdserverpb, MAX_MESSAGE_DEPTH } = await import("../src/index.js");
  // success: [RequestOp{request_txn: txn}], `depth` times. Written back to front into one
  // buffer: wrapping copy by copy would cost O(depth²) bytes (minutes at 100,000 levels).
  const nested = (depth: number): Uint8Array => {
    const out = new Uint8Array(depth * 2 * 6);
    let start = out.length;
    const prepend = (byte: number): void => {
      out[--start] = byte;
    };
    const prependField = (tag: number): void => {
      const length = out.length - start;
      const varint: number[] = [];
      for (let n = length; ; n >>>= 7) {
        if (n < 0x80) {
          varint.push(n);
          break;
        }
        varint.push((n & 0x7f) | 0x80);
      }
      for (let i = varint.length - 1; i >= 0; i--) prepend(varint[i]!);
      prepend(tag);
    };
    for (let i = 0; i < depth; i++) {
      prependField(0x22);
      prependField(0x12);
    }
    return out.subarray(start);
  };
  assert.doesNotThrow(() => etcdserverpb.TxnRequest.decode(nested(MAX_MESSAGE_DEPTH / 2 - 1)));
  for (const depth of [MAX_MESSAGE_DEPTH / 2 + 1, 100_000]) {
    assert.throws(() => etcdserverpb.TxnRequest.decode(nested(depth)), (e: unknown) => e instanceof ProtoDecodeError && e.message === "proto: exceeded maximum recursion depth");
  }
});

test("64-bit numbers beyond their range are written saturated, so what was read survives being written again", () => {
  const int64 = (n: number): bigint => new ProtoReader(Uint8Array.from(written((w) => w.int64Number(n)))).int64Bigint();
  assert.equal(int64(2 ** 63), 2n ** 63n - 1n); // what int64 max reads as, as a double
  assert.equal(int64(2 ** 70), 2n ** 63n - 1n);
  assert.equal(int64(-(2 ** 63)), -(2n ** 63n));
  assert.equal(int64(-(2 ** 70)), -(2n ** 63n));
  assert.equal(int64(-5), -5n);
  const uint64 = (n: number): bigint => new ProtoReader(Uint8Array.from(written((w) => w.uint64Number(n)))).uint64Bigint();
  assert.equal(uint64(2 ** 64), 2n ** 64n - 1n);
  assert.equal(uint64(2 ** 63), 2n ** 63n);
  assert.equal(uint64(7), 7n);
  const max = written((w) => w.int64Bigint(2n ** 63n - 1n));
  assert.equal(new ProtoReader(Uint8Array.from(written((w) => w.int64Number(new ProtoReader(Uint8Array.from(max)).int64Number())))).int64Bigint(), 2n ** 63n - 1n);
});
