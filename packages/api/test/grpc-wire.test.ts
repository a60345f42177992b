// gRPC's wire rules (src/grpc/): frames byte for byte, the deframer against a dumb model under
// arbitrary chunking (its one policy for oversized, compressed and truncated frames included),
// and the grpc-message, grpc-timeout and RST_STREAM codecs.
import assert from "node:assert/strict";
import { constants as h2 } from "node:http2";
import { test } from "node:test";
import fc from "fast-check";
import {
  GRPC_FRAME_HEADER_SIZE,
  GrpcDeframer,
  GrpcStatus,
  Http2ErrorCode,
  decodeGrpcMessage,
  encodeFrame,
  encodeGrpcMessage,
  etcdserverpb as pb,
  formatGrpcTimeout,
  frameMessage,
  framePrefix,
  grpcStatusFromRstCode,
  http2ErrorCodeName,
  parseGrpcTimeout,
  type GrpcWireStatus,
} from "../src/index.js";

/** What a deframer produced: the messages handed out, and the status it ended with. */
interface Outcome {
  readonly messages: number[][];
  readonly end: GrpcWireStatus | undefined;
}

/** deframe feeds `chunks` to a fresh deframer and reports what came out. */
function deframe(chunks: readonly Uint8Array[], maxMessageSize = 2 ** 32): Outcome {
  const messages: number[][] = [];
  const deframer = new GrpcDeframer((message) => messages.push([...message]), maxMessageSize);
  for (const chunk of chunks) deframer.push(chunk);
  return { messages, end: deframer.end() };
}

/**
 * dumbDeframe is the policy read straight off the module comment, on the whole stream at
 * once: frame after frame, stop at the first oversized length or non-zero flag.
 */
function dumbDeframe(stream: Uint8Array, maxMessageSize: number): Outcome {
  const view = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  const messages: number[][] = [];
  let pos = 0;
  while (pos < view.length) {
    if (view.length - pos < GRPC_FRAME_HEADER_SIZE) return { messages, end: { code: GrpcStatus.INTERNAL, message: "unexpected EOF" } };
    const flag = view[pos]!;
    const length = view.readUInt32BE(pos + 1);
    if (length > maxMessageSize) return { messages, end: { code: GrpcStatus.RESOURCE_EXHAUSTED, message: `grpc: received message larger than max (${length} vs. ${maxMessageSize})` } };
    if (view.length - pos - GRPC_FRAME_HEADER_SIZE < length) return { messages, end: { code: GrpcStatus.INTERNAL, message: "unexpected EOF" } };
    if (flag === 1) return { messages, end: { code: GrpcStatus.INTERNAL, message: "grpc: compressed flag set with identity or empty encoding" } };
    if (flag !== 0) return { messages, end: { code: GrpcStatus.INTERNAL, message: `grpc: received unexpected payload format ${flag}` } };
    messages.push([...view.subarray(pos + GRPC_FRAME_HEADER_SIZE, pos + GRPC_FRAME_HEADER_SIZE + length)]);
    pos += GRPC_FRAME_HEADER_SIZE + length;
  }
  return { messages, end: undefined };
}

/** chunked cuts `bytes` at the given points (any numbers; taken modulo the length, sorted). */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, at)); // empty chunks too: a deframer must take them
    from = at;
  }
  return chunks;
}

const message = fc.uint8Array({ maxLength: 300 });
/** Any well-formed text: ASCII mostly, any other code point too (fast-check's "binary" unit is slow to start). */
const text = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })), { maxLength: 200 })
  .map((codePoints) => String.fromCodePoint(...codePoints));
const cuts = fc.array(fc.nat(), { maxLength: 20 });

test("framePrefix, frameMessage and encodeFrame write the prefix gRPC specifies", () => {
  assert.deepEqual([...framePrefix(0)], [0, 0, 0, 0, 0]);
  assert.deepEqual([...framePrefix(0x01020304, 1)], [1, 1, 2, 3, 4]);
  assert.deepEqual([...framePrefix(0xffff_ffff)], [0, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => framePrefix(2 ** 32), RangeError);
  assert.throws(() => framePrefix(-1), RangeError);
  assert.throws(() => framePrefix(1, 256), RangeError);
  assert.deepEqual([...frameMessage(new Uint8Array([7, 8, 9]))], [0, 0, 0, 0, 3, 7, 8, 9]);
  assert.deepEqual([...frameMessage(new Uint8Array(0))], [0, 0, 0, 0, 0]);
  const request = { key: new Uint8Array([1, 2]), limit: 5 };
  assert.deepEqual([...encodeFrame(pb.RangeRequest, request)], [...frameMessage(pb.RangeRequest.encode(request))]);
});

test("encodeFrame equals frameMessage of encode for any message", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 70_000 }), fc.nat(), (key, value, lease) => {
      const put = { key, value, lease: BigInt(lease) };
      assert.deepEqual(encodeFrame(pb.PutRequest, put), frameMessage(pb.PutRequest.encode(put)));
    }),
    { numRuns: 50 },
  );
});

test("framed messages come out whole and in order however the bytes are chunked", () => {
  fc.assert(
    fc.property(fc.array(message, { maxLength: 8 }), cuts, (messages, at) => {
      const stream = Buffer.concat(messages.map((m) => frameMessage(m)));
      const outcome = deframe(chunked(stream, at));
      assert.deepEqual(outcome, { messages: messages.map((m) => [...m]), end: undefined });
    }),
  );
});

test("the deframer agrees with the dumb model on any byte stream, however chunked", () => {
  // Frames with honest, short or long lengths and any flag, plus a tail of loose bytes.
  const frame = fc.record({ flag: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 255 })), body: message, lie: fc.integer({ min: -3, max: 3 }) });
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 6 }), fc.uint8Array({ maxLength: 7 }), fc.integer({ min: 0, max: 320 }), cuts, (frames, tail, max, at) => {
      const parts = frames.map(({ flag, body, lie }) => Buffer.concat([framePrefix(Math.max(0, body.length + (flag === 0 ? 0 : lie)), flag), body]));
      const stream = Buffer.concat([...parts, tail]);
      assert.deepEqual(deframe(chunked(stream, at), max), dumbDeframe(stream, max));
    }),
    { numRuns: 500 },
  );
});

test("an oversized length is refused as soon as its prefix is in, after the messages before it", () => {
  const before = frameMessage(new Uint8Array([1, 2, 3]));
  const seen: number[][] = [];
  const deframer = new GrpcDeframer((m) => seen.push([...m]), 10);
  // Only the prefix of a 4 GiB message: the verdict cannot wait for its body.
  const status = deframer.push(Buffer.concat([before, framePrefix(0xffff_ffff), frameMessage(new Uint8Array([4]))]));
  const expected = { code: GrpcStatus.RESOURCE_EXHAUSTED, message: "grpc: received message larger than max (4294967295 vs. 10)" };
  assert.deepEqual(status, expected);
  assert.deepEqual(seen, [[1, 2, 3]]);
  // Stopped: later bytes are ignored, the verdict stays.
  assert.deepEqual(deframer.push(frameMessage(new Uint8Array([5]))), expected);
  assert.deepEqual(seen, [[1, 2, 3]]);
  assert.deepEqual(deframer.end(), expected);
  // A message of exactly the limit is taken.
  assert.deepEqual(deframe([frameMessage(new Uint8Array(10))], 10).messages, [Array(10).fill(0)]);
});

test("a compressed or unknown flag is INTERNAL once its message is complete; cut short it is a truncation", () => {
  const compressed = Buffer.concat([framePrefix(2, 1), Buffer.from([1, 2])]);
  assert.deepEqual(deframe([compressed]).end, { code: GrpcStatus.INTERNAL, message: "grpc: compressed flag set with identity or empty encoding" });
  assert.deepEqual(deframe([Buffer.concat([framePrefix(0, 2)])]).end, { code: GrpcStatus.INTERNAL, message: "grpc: received unexpected payload format 2" });
  assert.deepEqual(deframe([compressed.subarray(0, 6)]).end, { code: GrpcStatus.INTERNAL, message: "unexpected EOF" });
});

test("a stream cut inside a frame is partial and ends with INTERNAL unexpected EOF", () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.nat(), cuts, (messages, cut, at) => {
      const stream = Buffer.concat(messages.map((m) => frameMessage(m)));
      const boundaries = new Set<number>([0]);
      let end = 0;
      for (const m of messages) boundaries.add((end += GRPC_FRAME_HEADER_SIZE + m.length));
      const length = cut % stream.length;
      const seen: number[][] = [];
      const deframer = new GrpcDeframer((m) => seen.push([...m]), 2 ** 32);
      for (const chunk of chunked(stream.subarray(0, length), at)) deframer.push(chunk);
      assert.equal(deframer.partial, !boundaries.has(length));
      assert.deepEqual(deframer.end(), boundaries.has(length) ? undefined : { code: GrpcStatus.INTERNAL, message: "unexpected EOF" });
      assert.equal(deframer.error, undefined);
    }),
  );
});

test("a message within one chunk is a view of it; one across chunks is assembled", () => {
  const stream = frameMessage(new Uint8Array([1, 2, 3]));
  let seen: Uint8Array | undefined;
  new GrpcDeframer((m) => (seen = m), 100).push(stream);
  assert.equal(seen?.buffer, stream.buffer);
  const deframer = new GrpcDeframer((m) => (seen = m), 100);
  deframer.push(stream.subarray(0, 6));
  deframer.push(stream.subarray(6));
  assert.notEqual(seen?.buffer, stream.buffer);
  assert.deepEqual([...seen], [1, 2, 3]);
});

test("grpc-message is percent-encoded as gRPC specifies and decoded leniently", () => {
  assert.equal(encodeGrpcMessage("etcdserver: key not found"), "etcdserver: key not found");
  assert.equal(encodeGrpcMessage("100% sure"), "100%25 sure");
  assert.equal(encodeGrpcMessage("line\nbreak\t€"), "line%0Abreak%09%E2%82%AC");
  assert.equal(encodeGrpcMessage("\u007f"), "%7F");
  assert.equal(decodeGrpcMessage("etcdserver: key not found"), "etcdserver: key not found");
  assert.equal(decodeGrpcMessage("a%20b%25c"), "a b%c");
  assert.equal(decodeGrpcMessage("%E2%82%AC and %e2%82%ac"), "€ and €");
  assert.equal(decodeGrpcMessage("100%"), "100%");
  assert.equal(decodeGrpcMessage("100%4"), "100%4");
  assert.equal(decodeGrpcMessage("50%zz off"), "50%zz off");
  assert.equal(decodeGrpcMessage("%FF"), "\uFFFD");
  assert.equal(decodeGrpcMessage("raw € and %41"), "raw € and A");
});

test("grpc-message: any text survives encoding and decoding; the encoding is printable ASCII", () => {
  fc.assert(
    fc.property(text, (status) => {
      const encoded = encodeGrpcMessage(status);
      assert.match(encoded, /^(?:[\x20-\x24\x26-\x7e]|%[0-9A-F]{2})*$/);
      assert.equal(decodeGrpcMessage(encoded), status);
    }),
  );
  // Decoding anything at all never throws and is the identity on text without `%`.
  fc.assert(
    fc.property(fc.oneof(text, fc.string()), (value) => {
      const decoded = decodeGrpcMessage(value);
      if (!value.includes("%")) assert.equal(decoded, value);
    }),
  );
});

test("grpc-timeout: exact parse of 1 to 8 digits and a unit; anything else is refused", () => {
  assert.equal(parseGrpcTimeout("1500m"), 1500);
  assert.equal(parseGrpcTimeout("2S"), 2000);
  assert.equal(parseGrpcTimeout("3M"), 180_000);
  assert.equal(parseGrpcTimeout("99999999H"), 99_999_999 * 3_600_000);
  assert.equal(parseGrpcTimeout("5000u"), 5);
  assert.equal(parseGrpcTimeout("7000000n"), 7);
  assert.equal(parseGrpcTimeout("0m"), 0);
  for (const bad of ["", "xyz", "123456789S", "10", "m", "1.5S", "-1S", "1s", " 1S", "1S ", "1h"]) assert.equal(parseGrpcTimeout(bad), undefined, bad);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.constantFrom("H", "M", "S", "m", "u", "n"), (amount, unit) => {
      const ms = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 }[unit];
      assert.equal(parseGrpcTimeout(`${amount}${unit}`), amount * ms);
    }),
  );
});

test("grpc-timeout: formatting has at most 8 digits and never gives up before the caller", () => {
  assert.equal(formatGrpcTimeout(0.2), "1m");
  assert.equal(formatGrpcTimeout(1500), "1500m");
  assert.equal(formatGrpcTimeout(99_999_999), "99999999m");
  assert.equal(formatGrpcTimeout(100_000_000), "100000S");
  assert.equal(formatGrpcTimeout(1e12), "277778H");
  assert.equal(formatGrpcTimeout(1e15), "99999999H");
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e15, noNaN: true }), (remaining) => {
      const header = formatGrpcTimeout(remaining);
      const parsed = parseGrpcTimeout(header);
      assert.ok(parsed !== undefined, header);
      assert.ok(parsed >= remaining || header === "99999999H", `${header} < ${remaining}`);
      // Rounded up by less than one unit of the coarsest precision that fits.
      const unit = header.endsWith("m") ? 1 : header.endsWith("S") ? 1000 : 3_600_000;
      assert.ok(parsed - remaining < unit || remaining < 1, `${header} for ${remaining}`);
    }),
  );
  // Whole milliseconds that fit in 8 digits round-trip exactly.
  fc.assert(fc.property(fc.integer({ min: 1, max: 99_999_999 }), (ms) => assert.equal(parseGrpcTimeout(formatGrpcTimeout(ms)), ms)));
});

test("RST_STREAM codes map to gRPC statuses as gRPC specifies", () => {
  const expected: Record<string, number> = {
    NO_ERROR: GrpcStatus.INTERNAL,
    PROTOCOL_ERROR: GrpcStatus.INTERNAL,
    INTERNAL_ERROR: GrpcStatus.INTERNAL,
    FLOW_CONTROL_ERROR: GrpcStatus.INTERNAL,
    SETTINGS_TIMEOUT: GrpcStatus.INTERNAL,
    STREAM_CLOSED: GrpcStatus.INTERNAL,
    FRAME_SIZE_ERROR: GrpcStatus.INTERNAL,
    REFUSED_STREAM: GrpcStatus.UNAVAILABLE,
    CANCEL: GrpcStatus.CANCELLED,
    COMPRESSION_ERROR: GrpcStatus.INTERNAL,
    CONNECT_ERROR: GrpcStatus.INTERNAL,
    ENHANCE_YOUR_CALM: GrpcStatus.RESOURCE_EXHAUSTED,
    INADEQUATE_SECURITY: GrpcStatus.PERMISSION_DENIED,
    HTTP_1_1_REQUIRED: GrpcStatus.INTERNAL,
  };
  for (const [name, code] of Object.entries(Http2ErrorCode)) {
    assert.equal(grpcStatusFromRstCode(code), expected[name], name);
    assert.equal(http2ErrorCodeName(code), name);
    // The numbers are node's (RFC 9113's).
    assert.equal(code, (h2 as unknown as Record<string, number>)[`NGHTTP2_${name}`], name);
  }
  assert.equal(grpcStatusFromRstCode(0xff), GrpcStatus.INTERNAL);
  assert.equal(http2ErrorCodeName(0xff), undefined);
});
