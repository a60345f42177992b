// Broken and hostile gRPC requests, side by side: every case is sent as raw bytes to the real
// etcd 3.4.23 and to ours, and what the client sees (status code and message, whether the
// stream was reset or left open) must be the same — etcd is the oracle, its answer is what
// each case expects. The few places where we differ on purpose are asserted as such, with
// etcd's answer beside ours. After all of it both servers still serve a put and a get.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { etcdserverpb as pb, GrpcStatus } from "@etcd-ts/api";
import { startMember, type Member } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";
import { grpcCall, grpcFrame, type CallOptions, type CallOutcome } from "./support/grpcProbe.js";

let real: Member;
let ours: Etcd;
let oursAddress: string;

before(async () => {
  [real, ours] = await Promise.all([startMember({ binary: "etcd" }), startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] })]);
  oursAddress = new URL(ours.clientUrls[0]!).host;
});

after(async () => {
  await Promise.all([real?.stop(), ours?.close()]);
});

const RANGE = pb.KVService.range.path;
const WATCH = pb.WatchService.watch.path;
const KEEPALIVE = pb.LeaseService.leaseKeepAlive.path;
const bytes = (...b: number[]): Buffer => Buffer.from(b);
/** A valid RangeRequest for key "a". */
const RANGE_A = bytes(0x0a, 0x01, 0x61);
/** A valid WatchRequest creating a watcher on "a". */
const WATCH_CREATE = grpcFrame(bytes(0x0a, 0x03, 0x0a, 0x01, 0x61));

/** What is compared: the status, its message, and how the stream ended. */
function view(outcome: CallOutcome): Record<string, unknown> {
  return { status: outcome.status, message: outcome.message, reset: outcome.rstCode !== 0 ? outcome.rstCode : undefined, open: outcome.open, sessionError: outcome.sessionError };
}

async function both(path: string, chunks: readonly Uint8Array[], options: CallOptions = {}): Promise<{ theirs: CallOutcome; mine: CallOutcome }> {
  const [theirs, mine] = await Promise.all([grpcCall(real.clientAddress, path, chunks, options), grpcCall(oursAddress, path, chunks, options)]);
  return { theirs, mine };
}

/** Each case: the request, and what etcd 3.4.23 answered (asserted on both servers). */
interface Case {
  readonly name: string;
  readonly path?: string;
  readonly chunks: readonly Uint8Array[];
  readonly options?: CallOptions;
  readonly expected: Partial<Record<"status" | "message" | "reset" | "open", unknown>>;
}

const UNARY_BODIES: readonly Case[] = [
  // Protobuf bodies that do not decode: Internal, grpc-go's prefix, then gogo's text.
  { name: "a bytes field cut short", chunks: [grpcFrame(bytes(0x0a, 0x05, 0x61))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: unexpected EOF" } },
  { name: "a known field with the wrong wire type", chunks: [grpcFrame(bytes(0x08, 0x01))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: wrong wireType = 0 for field Key" } },
  { name: "wire type 7 on a known field", chunks: [grpcFrame(bytes(0x0f))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: wrong wireType = 7 for field Key" } },
  { name: "wire type 6 on an unknown field", chunks: [grpcFrame(bytes(0x7e))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: illegal wireType 6" } },
  { name: "an absurd length (2^32-1)", chunks: [grpcFrame(bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: unexpected EOF" } },
  {
    name: "a negative length (10-byte varint)",
    chunks: [grpcFrame(bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))],
    expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: negative length found during unmarshaling" },
  },
  { name: "field number 0", chunks: [grpcFrame(bytes(0x00, 0x01))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: RangeRequest: illegal tag 0 (wire type 0)" } },
  { name: "an end-group tag", chunks: [grpcFrame(bytes(0x0c))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: RangeRequest: wiretype end group for non-group" } },
  { name: "an end-group tag of an unknown field", chunks: [grpcFrame(bytes(0x7c))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: RangeRequest: wiretype end group for non-group" } },
  {
    name: "a varint of 11 bytes",
    chunks: [grpcFrame(bytes(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))],
    expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: integer overflow" },
  },
  { name: "a varint cut short", chunks: [grpcFrame(bytes(0x18, 0xff))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: unexpected EOF" } },
  { name: "a tag cut short", chunks: [grpcFrame(bytes(0xff))], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: unexpected EOF" } },
  // Unknown fields are skipped, whatever their wire type (groups included); enums are open.
  { name: "an unknown varint field", chunks: [grpcFrame(bytes(0xf8, 0x07, 0x01, ...RANGE_A))], expected: { status: GrpcStatus.OK } },
  { name: "an unknown length-delimited field", chunks: [grpcFrame(bytes(0xfa, 0x07, 0x02, 0x01, 0x02, ...RANGE_A))], expected: { status: GrpcStatus.OK } },
  { name: "an unknown group", chunks: [grpcFrame(bytes(0x7b, 0x08, 0x01, 0x7c, ...RANGE_A))], expected: { status: GrpcStatus.OK } },
  { name: "an enum value no one declared", chunks: [grpcFrame(bytes(...RANGE_A, 0x38, 0x09))], expected: { status: GrpcStatus.OK } },
  // Frames.
  { name: "the compressed flag without an encoding", chunks: [grpcFrame(RANGE_A, 3, 1)], expected: { status: GrpcStatus.INTERNAL, message: "grpc: compressed flag set with identity or empty encoding" } },
  { name: "a flag byte of 2", chunks: [grpcFrame(RANGE_A, 3, 2)], expected: { status: GrpcStatus.INTERNAL, message: "grpc: received unexpected payload format 2" } },
  { name: "no message at all", chunks: [Buffer.alloc(0)], expected: { status: GrpcStatus.UNKNOWN, message: "EOF" } },
  { name: "a message prefix cut short", chunks: [bytes(0, 0, 0)], expected: { status: GrpcStatus.UNKNOWN, message: "unexpected EOF" } },
  { name: "a message body cut short", chunks: [grpcFrame(bytes(0x08), 100)], expected: { status: GrpcStatus.UNKNOWN, message: "unexpected EOF" } },
  { name: "two messages: the first is served", chunks: [grpcFrame(Buffer.alloc(0)), grpcFrame(Buffer.alloc(0))], expected: { status: GrpcStatus.INVALID_ARGUMENT, message: "etcdserver: key is not provided" } },
  { name: "a good message then a bad one: the first is served", chunks: [grpcFrame(RANGE_A), grpcFrame(bytes(0x0f))], expected: { status: GrpcStatus.OK } },
  { name: "a bad message then a good one", chunks: [grpcFrame(bytes(0x0f)), grpcFrame(RANGE_A)], expected: { status: GrpcStatus.INTERNAL, message: "grpc: error unmarshalling request: proto: wrong wireType = 7 for field Key" } },
  // A client that never half-closes still gets its answer, and the stream is not left open.
  { name: "a message without the end of the stream", chunks: [grpcFrame(RANGE_A)], options: { end: false }, expected: { status: GrpcStatus.OK, open: false } },
  {
    name: "a good message, then an announced 3 MB one never sent",
    chunks: [grpcFrame(RANGE_A), grpcFrame(Buffer.alloc(0), 3_000_000)],
    options: { end: false },
    expected: { status: GrpcStatus.OK, open: false },
  },
];

const OVERSIZED: readonly Case[] = [
  // The 5-byte prefix alone announces the size: the answer comes without the body being sent,
  // and the stream is closed by the server (no body will ever be read).
  {
    name: "2 GiB announced, no body sent",
    chunks: [grpcFrame(Buffer.alloc(0), 0x7fffffff)],
    options: { end: false },
    expected: { status: GrpcStatus.RESOURCE_EXHAUSTED, message: "grpc: received message larger than max (2147483647 vs. 2097152)", open: false },
  },
  {
    name: "one byte over --max-request-bytes + 512 KiB, no body sent",
    chunks: [grpcFrame(Buffer.alloc(0), 2 * 1024 * 1024 + 1)],
    options: { end: false },
    expected: { status: GrpcStatus.RESOURCE_EXHAUSTED, message: "grpc: received message larger than max (2097153 vs. 2097152)", open: false },
  },
];

const STREAMS: readonly Case[] = [
  // On a stream, grpc-go's text differs ("failed to unmarshal the received message", no colon).
  {
    name: "Watch: a create, then a request that does not decode",
    path: WATCH,
    chunks: [WATCH_CREATE, grpcFrame(bytes(0x0f))],
    options: { end: false },
    expected: { status: GrpcStatus.INTERNAL, message: "grpc: failed to unmarshal the received message proto: wrong wireType = 7 for field CreateRequest", open: false },
  },
  { name: "Watch: a message prefix cut by the end of the stream", path: WATCH, chunks: [WATCH_CREATE, bytes(0, 0)], expected: { status: GrpcStatus.INTERNAL, message: "unexpected EOF" } },
  {
    name: "Watch: an announced 3 MB request",
    path: WATCH,
    chunks: [WATCH_CREATE, grpcFrame(Buffer.alloc(0), 3_000_000)],
    options: { end: false },
    expected: { status: GrpcStatus.RESOURCE_EXHAUSTED, message: "grpc: received message larger than max (3000000 vs. 2097152)", open: false },
  },
  {
    name: "LeaseKeepAlive: a request that does not decode",
    path: KEEPALIVE,
    chunks: [grpcFrame(bytes(0x0f))],
    options: { end: false },
    expected: { status: GrpcStatus.INTERNAL, message: "grpc: failed to unmarshal the received message proto: wrong wireType = 7 for field ID", open: false },
  },
  { name: "LeaseKeepAlive: a cut prefix, then the end", path: KEEPALIVE, chunks: [bytes(0, 0)], expected: { status: GrpcStatus.INTERNAL, message: "unexpected EOF" } },
  { name: "LeaseKeepAlive: no request, then the end", path: KEEPALIVE, chunks: [], expected: { status: GrpcStatus.OK } },
];

const HEADERS: readonly Case[] = [
  { name: "content-type text/plain: reset", chunks: [grpcFrame(RANGE_A)], options: { headers: { "content-type": "text/plain" } }, expected: { status: undefined, reset: 1 } },
  { name: "content-type application/grpcx: reset", chunks: [grpcFrame(RANGE_A)], options: { headers: { "content-type": "application/grpcx" } }, expected: { status: undefined, reset: 1 } },
  { name: "content-type application/grpc+json: served", chunks: [grpcFrame(RANGE_A)], options: { headers: { "content-type": "application/grpc+json" } }, expected: { status: GrpcStatus.OK } },
  { name: "grpc-timeout that does not parse: reset", chunks: [grpcFrame(RANGE_A)], options: { headers: { "grpc-timeout": "xyz" } }, expected: { status: undefined, reset: 1 } },
  { name: "grpc-timeout of 9 digits: reset", chunks: [grpcFrame(RANGE_A)], options: { headers: { "grpc-timeout": "123456789S" } }, expected: { status: undefined, reset: 1 } },
  { name: "grpc-timeout of 99999999 hours: served", chunks: [grpcFrame(RANGE_A)], options: { headers: { "grpc-timeout": "99999999H" } }, expected: { status: GrpcStatus.OK } },
  {
    name: "grpc-encoding gzip (etcd installs no decompressor)",
    chunks: [grpcFrame(RANGE_A, 3, 1)],
    options: { headers: { "grpc-encoding": "gzip" } },
    expected: { status: GrpcStatus.UNIMPLEMENTED, message: 'grpc: Decompressor is not installed for grpc-encoding "gzip"' },
  },
  {
    name: "grpc-encoding snappy",
    chunks: [grpcFrame(RANGE_A)],
    options: { headers: { "grpc-encoding": "snappy" } },
    expected: { status: GrpcStatus.UNIMPLEMENTED, message: 'grpc: Decompressor is not installed for grpc-encoding "snappy"' },
  },
  { name: "path /", path: "/", chunks: [grpcFrame(RANGE_A)], expected: { status: GrpcStatus.RESOURCE_EXHAUSTED, message: 'malformed method name: "/"' } },
  { name: "path without a service", path: "/Range", chunks: [grpcFrame(RANGE_A)], expected: { status: GrpcStatus.RESOURCE_EXHAUSTED, message: 'malformed method name: "/Range"' } },
  { name: "an unknown method", path: "/etcdserverpb.KV/Nope", chunks: [grpcFrame(RANGE_A)], expected: { status: GrpcStatus.UNIMPLEMENTED, message: "unknown method Nope for service etcdserverpb.KV" } },
  { name: "a path with one slash too many", path: "/a/etcdserverpb.KV/Range", chunks: [grpcFrame(RANGE_A)], expected: { status: GrpcStatus.UNIMPLEMENTED, message: "unknown service a/etcdserverpb.KV" } },
];

function runCases(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      test(c.name, async () => {
        const { theirs, mine } = await both(c.path ?? RANGE, c.chunks, c.options);
        const expected = { ...c.expected };
        // What etcd did is what the case says...
        const etcdView = view(theirs);
        for (const [key, value] of Object.entries(expected)) assert.deepEqual(etcdView[key], value, `etcd's ${key}`);
        // ...and ours does the same.
        assert.deepEqual(view(mine), etcdView, c.name);
      });
    }
  });
}

runCases("protobuf bodies and gRPC frames of unary calls", UNARY_BODIES);
runCases("a message over --max-request-bytes", OVERSIZED);
runCases("streaming calls", STREAMS);
runCases("headers and paths", HEADERS);

/** A length-delimited field: tag byte, varint length, body. */
function field(tag: number, body: Uint8Array): Buffer {
  const length: number[] = [];
  let n = body.length;
  while (n >= 0x80) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

/** A TxnRequest whose success branch nests `depth` transactions, a Range at the bottom (built as bytes). */
function nestedTxn(depth: number): Uint8Array {
  let txn: Uint8Array = pb.TxnRequest.encode({ success: [{ request: { $case: "requestRange", requestRange: { key: Buffer.from("a") } } }] });
  // TxnRequest.success (2) holds a RequestOp whose request_txn (4) holds the inner TxnRequest.
  for (let i = 0; i < depth; i++) txn = field(0x12, field(0x22, txn));
  return txn;
}

describe("where we differ on purpose", () => {
  test("invalid UTF-8 in a string field: etcd (gogo) keeps the bytes, we refuse it (Internal)", async () => {
    // AuthUserGet{name: "\xff"}: etcd looks the user up, we cannot hold the name in a JS string
    // without making it collide with another (U+FFFD), so we refuse it at decode time.
    const { theirs, mine } = await both(pb.AuthService.userGet.path, [grpcFrame(bytes(0x0a, 0x01, 0xff))]);
    assert.deepEqual([theirs.status, theirs.message], [GrpcStatus.FAILED_PRECONDITION, "etcdserver: user name not found"]);
    assert.deepEqual([mine.status, mine.message], [GrpcStatus.INTERNAL, "grpc: error unmarshalling request: proto: string field contains invalid UTF-8"]);
  });

  test("a transaction nested 100 deep is served by both; 300 deep: etcd refuses it after decoding (too many ops), we while decoding", async () => {
    const shallow = await both(pb.KVService.txn.path, [grpcFrame(nestedTxn(100))]);
    assert.equal(shallow.theirs.status, GrpcStatus.OK);
    assert.equal(shallow.mine.status, GrpcStatus.OK);
    const deep = await both(pb.KVService.txn.path, [grpcFrame(nestedTxn(300))]);
    assert.deepEqual([deep.theirs.status, deep.theirs.message], [GrpcStatus.INVALID_ARGUMENT, "etcdserver: too many operations in txn request"]);
    assert.deepEqual([deep.mine.status, deep.mine.message], [GrpcStatus.INTERNAL, "grpc: error unmarshalling request: proto: exceeded maximum recursion depth"]);
  });

  test("with --max-txn-ops raised, the deepest transaction we decode (255 inner) is applied and the member lives on", async () => {
    const deep = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], maxTxnOps: 100_000 });
    try {
      const address = new URL(deep.clientUrls[0]!).host;
      const served = await grpcCall(address, pb.KVService.txn.path, [grpcFrame(nestedTxn(255))]);
      assert.equal(served.status, GrpcStatus.OK, served.message);
      const refused = await grpcCall(address, pb.KVService.txn.path, [grpcFrame(nestedTxn(256))]);
      assert.equal(refused.status, GrpcStatus.INTERNAL);
      const put = await grpcCall(address, pb.KVService.put.path, [grpcFrame(pb.PutRequest.encode({ key: Buffer.from("after"), value: Buffer.from("deep") }))]);
      assert.equal(put.status, GrpcStatus.OK);
    } finally {
      await deep.close();
    }
  });
});

describe("requests that make etcd 3.4.23 panic: ours answers them and serves on", () => {
  // Each takes a real etcd down (its process exits on the panic), so each gets its own.
  const crashes: [string, string, Uint8Array, number, string][] = [
    // v3_server.go Range: a sort target outside the enum leaves the sorter nil, and sort.Sort(nil) panics.
    ["a Range with sort_target 17", pb.KVService.range.path, bytes(0x0a, 0x01, 0x61, 0x30, 0x11), GrpcStatus.OK, ""],
    ["a Range with sort_target -1", pb.KVService.range.path, bytes(0x0a, 0x01, 0x61, 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), GrpcStatus.OK, ""],
    // The auth store dereferences the missing permission while applying the entry.
    ["a RoleGrantPermission without a permission", pb.AuthService.roleGrantPermission.path, bytes(0x0a, 0x04, ...Buffer.from("root")), GrpcStatus.INVALID_ARGUMENT, "etcdserver: permission not given"],
  ];
  for (const [name, path, body, status, message] of crashes) {
    test(name, async () => {
      const victim = await startMember({ binary: "etcd" });
      try {
        if (path === pb.AuthService.roleGrantPermission.path) {
          for (const address of [victim.clientAddress, oursAddress]) await grpcCall(address, pb.AuthService.roleAdd.path, [grpcFrame(pb.AuthRoleAddRequest.encode({ name: "root" }))]);
        }
        const theirs = await grpcCall(victim.clientAddress, path, [grpcFrame(body)], { waitMs: 5000 });
        assert.equal(theirs.status, undefined, "etcd answered");
        const after = await grpcCall(victim.clientAddress, RANGE, [grpcFrame(RANGE_A)], { waitMs: 5000 });
        assert.equal(after.status, undefined, `etcd still serves: ${JSON.stringify(after)}`);
        await assert.rejects(fetch(`${victim.clientUrl}/health`), "etcd's process is gone");
      } finally {
        await victim.stop();
      }
      const mine = await grpcCall(oursAddress, path, [grpcFrame(body)]);
      assert.deepEqual([mine.status, mine.message], [status, message]);
    });
  }
});

test("after all of it, both servers still take a put and answer a get", async () => {
  for (const address of [real.clientAddress, oursAddress]) {
    const put = await grpcCall(address, pb.KVService.put.path, [grpcFrame(pb.PutRequest.encode({ key: Buffer.from("still"), value: Buffer.from("here") }))]);
    assert.equal(put.status, GrpcStatus.OK, `${address}: ${put.message}`);
    const get = await grpcCall(address, RANGE, [grpcFrame(pb.RangeRequest.encode({ key: Buffer.from("still") }))]);
    assert.equal(get.status, GrpcStatus.OK);
    assert.ok(get.responseData);
  }
});
