import { GrpcDeframer, Http2ErrorCode, decodeGrpcMessage, encodeFrame, encodeGrpcMessage, etcdserverpb, formatGrpcTimeout, grpcStatusFromRstCode, parseGrpcTimeout } from "../src/index.js";

const utf8 = new TextEncoder();

// Sending: each message encoded straight into its frame (5-byte prefix + body), ready to
// write to an HTTP/2 stream.
const put = encodeFrame(etcdserverpb.PutRequest, { key: utf8.encode("greeting"), value: utf8.encode("hello") });
const range = encodeFrame(etcdserverpb.RangeRequest, { key: utf8.encode("greeting") });

// Receiving: DATA chunks split anywhere; whole messages come out, in order.
const received: Uint8Array[] = [];
const deframer = new GrpcDeframer((message) => received.push(message), 4 * 1024 * 1024);
const wire = Buffer.concat([put, range]);
for (let at = 0; at < wire.length; at += 7) deframer.push(wire.subarray(at, at + 7));
const first = etcdserverpb.PutRequest.decode(received[0]!);
console.log(received.length, new TextDecoder().decode(first.value), deframer.end()); // 2 hello undefined

// The one policy: a message over the limit is refused from its prefix alone.
const strict = new GrpcDeframer(() => {}, 16);
console.log(strict.push(put)); // { code: 8, message: 'grpc: received message larger than max (17 vs. 16)' }

// Headers: a status text, a deadline, and the status of a stream reset without one.
const text = encodeGrpcMessage("100% done ✓");
console.log(text, decodeGrpcMessage(text)); // 100%25 done %E2%9C%93 100% done ✓
console.log(formatGrpcTimeout(1500.2), parseGrpcTimeout("2S")); // 1501m 2000
console.log(grpcStatusFromRstCode(Http2ErrorCode.REFUSED_STREAM)); // 14 (UNAVAILABLE: safe to retry)

export const result = { received: received.length, value: new TextDecoder().decode(first.value), end: deframer.end(), refused: strict.error, text, timeout: formatGrpcTimeout(1500.2) };
