// The gRPC transport on its own, against fake servers (real local node:http2 servers that
// answer as a test needs): framing, statuses (trailers, trailers-only, HTTP status, resets,
// a lost connection), grpc-message decoding, deadlines, aborts, streams, keepalive against a
// silent peer, and the Client's retry rules and typed errors on top of it.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as net from "node:net";
import { after, describe, test } from "node:test";
import {
  GRPC_FRAME_HEADER_SIZE as FRAME_HEADER_SIZE,
  GrpcDeframer,
  GrpcStatus,
  decodeGrpcMessage,
  encodeFrame,
  etcdserverpb as pb,
  formatGrpcTimeout as grpcTimeout,
  frameMessage,
  framePrefix,
} from "@etcd-ts/api";
import { Client, CompactedError, UnknownOutcomeError } from "../src/index.js";
import { CallError } from "../src/internal/CallStatus.js";
import { Connection } from "../src/internal/Connection.js";
import type { ConnectionOptions } from "../src/internal/ConnectionOptions.js";
import { parseEndpoint } from "../src/internal/Endpoints.js";
import { MAX_RECEIVE_MESSAGE_SIZE } from "../src/internal/GrpcCall.js";

const { KVService, WatchService } = pb;

/** Collector is the client's deframer (its receive limit unless told) keeping what it cuts out. */
class Collector {
  readonly messages: { bytes: number[]; compressed: boolean }[] = [];
  private readonly deframer: GrpcDeframer;
  constructor(maxMessageSize = MAX_RECEIVE_MESSAGE_SIZE) {
    this.deframer = new GrpcDeframer((message) => this.messages.push({ bytes: [...message], compressed: false }), maxMessageSize);
  }
  push(chunk: Uint8Array): ReturnType<GrpcDeframer["push"]> {
    return this.deframer.push(chunk);
  }
  get partial(): boolean {
    return this.deframer.partial;
  }
  get error(): ReturnType<GrpcDeframer["push"]> {
    return this.deframer.error;
  }
}

const frame = (bytes: Uint8Array, compressed = false): Buffer => Buffer.concat([framePrefix(bytes.length, compressed ? 1 : 0), bytes]);
const COMPRESSED = { code: GrpcStatus.INTERNAL, message: "grpc: compressed flag set with identity or empty encoding" };

const rangeResponse = (revision: number): Buffer => frame(pb.RangeResponse.encode({ header: { revision }, count: revision }));

interface FakeServer {
  readonly url: string;
  readonly port: number;
  /** sessions accepted so far. */
  readonly sessions: http2.ServerHttp2Session[];
  close(): Promise<void>;
}

const servers: FakeServer[] = [];
const connections: Connection[] = [];
after(async () => {
  for (const c of connections) c.close();
  await Promise.all(servers.map((s) => s.close()));
});

/** fakeServer serves every stream with `handler` (its request bytes collected first unless `eager`). */
async function fakeServer(
  handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, request: Buffer) => void,
  eager = false,
): Promise<FakeServer> {
  const server = http2.createServer();
  const sessions: http2.ServerHttp2Session[] = [];
  server.on("session", (s) => {
    sessions.push(s);
    s.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    if (eager) return handler(stream, headers, Buffer.alloc(0));
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => handler(stream, headers, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

function connect(url: string, options: Partial<ConnectionOptions> = {}): Connection {
  const connection = new Connection({ endpoint: parseEndpoint(url), dialTimeoutMs: 2000, keepAliveTimeMs: 0, keepAliveTimeoutMs: 1000, ...options });
  connections.push(connection);
  return connection;
}

async function ready(url: string, options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const connection = connect(url, options);
  assert.equal(await connection.connect(Date.now() + 2000), true);
  return connection;
}

const okHeaders = { ":status": 200, "content-type": "application/grpc" };

/** callError awaits a call that must fail and returns its CallError. */
async function callError(promise: Promise<unknown>): Promise<CallError> {
  const err = await promise.then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CallError, String(err));
  return err;
}

describe("framing", () => {
  const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7), new Uint8Array([9])];
  const stream = Buffer.concat([...messages.map((m) => frame(m)), frame(new Uint8Array([5]), true)]);
  // A compressed message (none was negotiated) ends the stream after the messages before it.
  const expected = messages.map((m) => ({ bytes: [...m], compressed: false }));

  test("messages come out whole however the bytes are split", () => {
    for (let size = 1; size <= stream.length; size++) {
      const collector = new Collector();
      for (let at = 0; at < stream.length; at += size) collector.push(stream.subarray(at, at + size));
      assert.deepEqual(collector.messages, expected, `chunks of ${size} bytes`);
      assert.deepEqual(collector.error, COMPRESSED, `chunks of ${size} bytes`);
      assert.equal(collector.partial, false);
    }
    for (let a = 1; a < stream.length; a += 7) {
      for (let b = a; b < stream.length; b += 11) {
        const collector = new Collector();
        collector.push(stream.subarray(0, a));
        collector.push(stream.subarray(a, b));
        collector.push(stream.subarray(b));
        assert.deepEqual(collector.messages, expected, `split at ${a} and ${b}`);
        assert.deepEqual(collector.error, COMPRESSED, `split at ${a} and ${b}`);
      }
    }
  });

  test("a frame above the size limit is refused before anything is allocated for it", () => {
    const small = new Collector(10);
    assert.equal(small.push(frame(new Uint8Array(10))), undefined);
    assert.deepEqual(small.push(frame(new Uint8Array(11))), { code: GrpcStatus.RESOURCE_EXHAUSTED, message: "grpc: received message larger than max (11 vs. 10)" });
  });

  test("a message cut short is partial", () => {
    const collector = new Collector();
    collector.push(stream.subarray(0, 6));
    assert.equal(collector.partial, true);
    assert.equal(collector.messages.length, 0);
  });

  test("encodeFrame prefixes the encoded message", () => {
    const request = { key: new Uint8Array([1, 2]), limit: 5 };
    const framed = encodeFrame(pb.RangeRequest, request);
    assert.equal(framed[0], 0);
    assert.equal(framed.readUInt32BE(1), framed.length - FRAME_HEADER_SIZE);
    assert.deepEqual([...framed.subarray(FRAME_HEADER_SIZE)], [...pb.RangeRequest.encode(request)]);
  });
});

describe("status text and timeouts", () => {
  test("grpc-message is percent-decoded as UTF-8, leniently", () => {
    assert.equal(decodeGrpcMessage("etcdserver: key not found"), "etcdserver: key not found");
    assert.equal(decodeGrpcMessage("a%20b%25c"), "a b%c");
    assert.equal(decodeGrpcMessage("%E2%82%AC and %e2%82%ac"), "€ and €");
    assert.equal(decodeGrpcMessage("100%"), "100%");
    assert.equal(decodeGrpcMessage("50%zz off"), "50%zz off");
    assert.equal(decodeGrpcMessage("%FF"), "\uFFFD");
  });

  test("grpc-timeout has at most 8 digits and rounds up", () => {
    assert.equal(grpcTimeout(0.2), "1m");
    assert.equal(grpcTimeout(1500), "1500m");
    assert.equal(grpcTimeout(99_999_999), "99999999m");
    assert.equal(grpcTimeout(100_000_000), "100000S");
    assert.equal(grpcTimeout(1e12), "277778H");
    assert.equal(grpcTimeout(1e15), "99999999H");
  });
});

describe("unary calls", () => {
  test("request headers, metadata and message reach the server; the response is decoded from any chunking", async () => {
    let seen: { headers: http2.IncomingHttpHeaders; request: pb.RangeRequest } | undefined;
    const server = await fakeServer((stream, headers, request) => {
      seen = { headers, request: pb.RangeRequest.decode(request.subarray(FRAME_HEADER_SIZE)) };
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const body = rangeResponse(42);
      // One byte per DATA frame: the client must reassemble the message.
      for (let i = 0; i < body.length; i++) stream.write(body.subarray(i, i + 1));
      stream.end();
    });
    const connection = await ready(server.url);
    const res = await connection.unary(KVService.range, { key: new Uint8Array([0x6b]), limit: 3 }, { token: "secret" }, Date.now() + 5000);
    assert.equal(res.header?.revision, 42);
    assert.equal(res.count, 42);
    assert.ok(seen !== undefined);
    assert.equal(seen.headers[":path"], "/etcdserverpb.KV/Range");
    assert.equal(seen.headers["content-type"], "application/grpc");
    assert.equal(seen.headers["te"], "trailers");
    assert.equal(seen.headers["token"], "secret");
    assert.match(String(seen.headers["grpc-timeout"]), /^\d{1,4}m$/);
    assert.ok(Number.parseInt(String(seen.headers["grpc-timeout"])) <= 5000);
    assert.deepEqual([...seen.request.key], [0x6b]);
    assert.equal(seen.request.limit, 3);
  });

  test("a trailers-only error carries its code and decoded message", async () => {
    const server = await fakeServer((stream) => {
      stream.respond({ ...okHeaders, "grpc-status": "11", "grpc-message": "etcdserver: mvcc: required revision has been compacted" }, { endStream: true });
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.OUT_OF_RANGE);
    assert.equal(err.details, "etcdserver: mvcc: required revision has been compacted");
    assert.equal(err.notSent, false);
  });

  test("a status in the trailers after headers: code and percent-decoded UTF-8 message", async () => {
    const server = await fakeServer((stream) => {
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "3", "grpc-message": "cl%C3%A9 invalide: 100%25" }));
      stream.end();
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT);
    assert.equal(err.details, "clé invalide: 100%");
  });

  test("an HTTP error status without grpc-status maps to a gRPC code", async () => {
    const server = await fakeServer((stream) => {
      stream.respond({ ":status": 404, "content-type": "text/plain" }, { endStream: true });
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.UNIMPLEMENTED);
  });

  test("a response announcing 3 GB is RESOURCE_EXHAUSTED, not a crash", async () => {
    const server = await fakeServer((stream) => {
      stream.respond(okHeaders);
      stream.write(framePrefix(3 * 2 ** 30));
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(err.details, `grpc: received message larger than max (${3 * 2 ** 30} vs. ${MAX_RECEIVE_MESSAGE_SIZE})`);
  });

  test("a compressed response (none was negotiated) is INTERNAL, as grpc-go says it", async () => {
    const server = await fakeServer((stream) => {
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(pb.RangeResponse.encode({ count: 1 }), true));
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.INTERNAL);
    assert.equal(err.details, "grpc: compressed flag set with identity or empty encoding");
  });

  test("status OK after a response cut in the middle is INTERNAL unexpected EOF", async () => {
    const server = await fakeServer((stream) => {
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const whole = frameMessage(pb.RangeResponse.encode({ count: 1 }));
      stream.end(whole.subarray(0, whole.length - 1));
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.INTERNAL);
    assert.equal(err.details, "unexpected EOF");
  });

  test("status OK without a response message is an error", async () => {
    const server = await fakeServer((stream) => {
      stream.respond({ ...okHeaders, "grpc-status": "0" }, { endStream: true });
    });
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.INTERNAL);
  });

  test("the deadline ends the call with DEADLINE_EXCEEDED and cancels the stream", async () => {
    let serverSaw: Promise<number> | undefined;
    const server = await fakeServer((stream) => {
      serverSaw = new Promise((resolve) => stream.on("close", () => resolve(stream.rstCode)));
    }, true);
    const connection = await ready(server.url);
    const started = Date.now();
    const err = await callError(connection.unary(KVService.range, {}, undefined, Date.now() + 150));
    assert.equal(err.code, GrpcStatus.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started >= 140, `ended after ${Date.now() - started} ms`);
    assert.equal(await serverSaw, http2.constants.NGHTTP2_CANCEL);
  });

  test("an abort ends the call with CANCELLED and resets the stream (RST_STREAM CANCEL)", async () => {
    let serverSaw: Promise<number> | undefined;
    const server = await fakeServer((stream) => {
      serverSaw = new Promise((resolve) => stream.on("close", () => resolve(stream.rstCode)));
    }, true);
    const connection = await ready(server.url);
    const controller = new AbortController();
    const call = connection.unary(KVService.range, {}, undefined, Infinity, controller.signal);
    setTimeout(() => controller.abort(), 50);
    const err = await callError(call);
    assert.equal(err.code, GrpcStatus.CANCELLED);
    assert.equal(await serverSaw, http2.constants.NGHTTP2_CANCEL);
  });

  test("a server that dies mid-call: UNAVAILABLE, and the request counts as sent", async () => {
    const server = await fakeServer((stream) => stream.session?.destroy(), true);
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.put, { key: new Uint8Array([1]) }, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.UNAVAILABLE);
    assert.equal(err.notSent, false);
    assert.equal(connection.isReady, false, "the lost session is not used again");
    // The next call dials again.
    assert.equal(await connection.connect(Date.now() + 2000), true);
  });

  test("a refused stream: UNAVAILABLE and not sent (safe to send anywhere)", async () => {
    const server = await fakeServer((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM), true);
    const connection = await ready(server.url);
    const err = await callError(connection.unary(KVService.put, { key: new Uint8Array([1]) }, undefined, Infinity));
    assert.equal(err.code, GrpcStatus.UNAVAILABLE);
    assert.equal(err.notSent, true);
  });

  test("a stream reset with another code is INTERNAL; a reset with CANCEL is CANCELLED", async () => {
    let code: number = http2.constants.NGHTTP2_PROTOCOL_ERROR;
    const server = await fakeServer((stream) => stream.close(code), true);
    const connection = await ready(server.url);
    assert.equal((await callError(connection.unary(KVService.range, {}, undefined, Infinity))).code, GrpcStatus.INTERNAL);
    code = http2.constants.NGHTTP2_CANCEL;
    assert.equal((await callError(connection.unary(KVService.range, {}, undefined, Infinity))).code, GrpcStatus.CANCELLED);
  });

  test("nothing listening: connect answers false quickly; a call is UNAVAILABLE, not sent", async () => {
    const server = await fakeServer(() => {});
    const url = server.url;
    await server.close();
    const connection = connect(url);
    const started = Date.now();
    assert.equal(await connection.connect(Date.now() + 5000), false);
    assert.ok(Date.now() - started < 2000);
    const err = await callError(connection.unary(KVService.range, {}, undefined, Infinity));
    assert.equal(err.notSent, true);
  });

  test("a peer that accepts the socket but never speaks HTTP/2 is not connected: the dial gives up", async () => {
    const sockets: net.Socket[] = [];
    const mute = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    try {
      const connection = connect(`http://127.0.0.1:${(mute.address() as net.AddressInfo).port}`, { dialTimeoutMs: 200 });
      const started = Date.now();
      assert.equal(await connection.connect(Date.now() + 5000), false);
      assert.ok(Date.now() - started < 1000, `gave up after ${Date.now() - started} ms`);
      assert.equal((await callError(connection.unary(KVService.put, {}, undefined, Infinity))).notSent, true);
    } finally {
      for (const socket of sockets) socket.destroy();
      mute.close();
    }
  });

  test("close() fails the calls in flight", async () => {
    const server = await fakeServer(() => {}, true);
    const connection = await ready(server.url);
    const call = connection.unary(KVService.range, {}, undefined, Infinity);
    setTimeout(() => connection.close(), 20);
    assert.equal((await callError(call)).code, GrpcStatus.UNAVAILABLE);
    assert.equal(await connection.connect(Date.now() + 100), false);
  });
});

describe("streams", () => {
  test("a bidi stream: requests in order, responses as they come, OK at the end", async () => {
    const server = await fakeServer((stream) => {
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const reader = new GrpcDeframer((bytes) => {
        const req = pb.WatchRequest.decode(bytes);
        const id = req.requestUnion?.$case === "createRequest" ? req.requestUnion.createRequest.key[0]! : -1;
        // Answer each request with two responses in one write.
        stream.write(Buffer.concat([frame(pb.WatchResponse.encode({ watchId: id, created: true })), frame(pb.WatchResponse.encode({ watchId: id }))]));
      }, MAX_RECEIVE_MESSAGE_SIZE);
      stream.on("data", (c: Buffer) => reader.push(c));
      stream.on("end", () => stream.end());
    }, true);
    const connection = await ready(server.url);
    const responses: number[] = [];
    const ended = new Promise<CallError | undefined>((resolve) => {
      const call = connection.stream(WatchService.watch, undefined, {
        onMessage: (res) => {
          responses.push(res.watchId);
          if (responses.length === 6) call.end();
        },
        onEnd: resolve,
      });
      for (const id of [1, 2, 3]) call.write({ requestUnion: { $case: "createRequest", createRequest: { key: new Uint8Array([id]) } } });
    });
    assert.equal(await ended, undefined);
    assert.deepEqual(responses, [1, 1, 2, 2, 3, 3]);
  });

  test("cancel() resets the stream and reports nothing more", async () => {
    let serverSaw: Promise<number> | undefined;
    const server = await fakeServer((stream) => {
      serverSaw = new Promise((resolve) => stream.on("close", () => resolve(stream.rstCode)));
    }, true);
    const connection = await ready(server.url);
    let ends = 0;
    const call = connection.stream(WatchService.watch, undefined, { onMessage: () => {}, onEnd: () => ends++ });
    await new Promise((r) => setTimeout(r, 30));
    call.cancel();
    assert.equal(await serverSaw, http2.constants.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(ends, 0);
  });

  test("keepalive: a peer that goes silent is detected and the stream ends with UNAVAILABLE", async () => {
    const server = await fakeServer(() => {}, true);
    const proxy = await freezableProxy(server.port);
    const connection = await ready(`http://127.0.0.1:${proxy.port}`, { keepAliveTimeMs: 100, keepAliveTimeoutMs: 200 });
    const ended = new Promise<CallError | undefined>((resolve) => {
      connection.stream(WatchService.watch, undefined, { onMessage: () => {}, onEnd: resolve });
    });
    // While the peer answers, pings keep an idle stream open.
    await new Promise((r) => setTimeout(r, 500));
    const early = await Promise.race([ended, new Promise((r) => setTimeout(() => r("open"), 0))]);
    assert.equal(early, "open");
    proxy.freeze();
    const frozenAt = Date.now();
    const err = await ended;
    assert.ok(err instanceof CallError);
    assert.equal(err.code, GrpcStatus.UNAVAILABLE);
    assert.match(err.details, /keepalive/);
    assert.ok(Date.now() - frozenAt < 1500, `noticed after ${Date.now() - frozenAt} ms`);
    proxy.close();
  });
});

/** freezableProxy forwards TCP to a port until frozen; then it drops everything but keeps the sockets open. */
async function freezableProxy(port: number): Promise<{ port: number; freeze(): void; close(): void }> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
    }
    client.on("data", (d) => !frozen && upstream.write(d));
    upstream.on("data", (d) => !frozen && client.write(d));
    client.on("close", () => !frozen && upstream.destroy());
    upstream.on("close", () => !frozen && client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    freeze: () => {
      frozen = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

describe("the client on this transport", () => {
  test("a trailers-only etcd error becomes its typed error", async () => {
    const server = await fakeServer((stream) => {
      stream.respond({ ...okHeaders, "grpc-status": "11", "grpc-message": "etcdserver: mvcc: required revision has been compacted" }, { endStream: true });
    });
    const client = new Client({ endpoints: [server.url] });
    try {
      await assert.rejects(client.get("k", { revision: 1 }), CompactedError);
    } finally {
      await client.close();
    }
  });

  test("a write refused before processing is sent to the next endpoint; one cut off after sending is UnknownOutcomeError", async () => {
    const refusing = await fakeServer((stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM), true);
    let puts = 0;
    const answering = await fakeServer((stream) => {
      puts++;
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(pb.PutResponse.encode({ header: { revision: 7 } })));
    });
    const client = new Client({ endpoints: [refusing.url, answering.url] });
    try {
      const res = await client.put("k", "v");
      assert.equal(res.header.revision, 7);
      assert.equal(puts, 1);
    } finally {
      await client.close();
    }
    const dying = await fakeServer((stream) => stream.session?.destroy(), true);
    const cut = new Client({ endpoints: [dying.url, answering.url] });
    try {
      const err = await cut.put("k", "v").catch((e: unknown) => e);
      assert.ok(err instanceof UnknownOutcomeError, String(err));
      assert.equal(puts, 1, "the write was not re-sent");
    } finally {
      await cut.close();
    }
  });

  test("snapshot: a consumer that falls behind holds the server back (flow control); every byte arrives in order", async () => {
    const chunkSize = 256 * 1024;
    const chunks = 64; // 16 MiB: more than the client's stream and connection windows allow ahead
    let flushed = 0;
    const server = await fakeServer((stream) => {
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      for (let i = 0; i < chunks; i++) {
        stream.write(frame(pb.SnapshotResponse.encode({ blob: new Uint8Array(chunkSize).fill(i), remainingBytes: (chunks - i - 1) * chunkSize })), () => flushed++);
      }
      stream.end();
    });
    const client = new Client({ endpoints: [server.url] });
    try {
      const iterator = client.maintenance.snapshot()[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(first.done, false);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(flushed < chunks, `the server sent all ${flushed} chunks to a stalled consumer`);
      let received = 1;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        assert.equal(next.value.length, chunkSize);
        assert.equal(next.value[0], received, "in order");
        received++;
      }
      assert.equal(received, chunks);
    } finally {
      await client.close();
    }
  });

  test("the auth token goes with every call as `token` metadata", async () => {
    const tokens: unknown[] = [];
    const server = await fakeServer((stream, headers) => {
      stream.respond(okHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      if (headers[":path"] === "/etcdserverpb.Auth/Authenticate") {
        stream.end(frame(pb.AuthenticateResponse.encode({ token: "tok-1" })));
      } else {
        tokens.push(headers["token"]);
        stream.end(rangeResponse(1));
      }
    });
    const client = new Client({ endpoints: [server.url], username: "u", password: "p" });
    try {
      await client.get("a");
      await client.get("b");
      assert.deepEqual(tokens, ["tok-1", "tok-1"]);
    } finally {
      await client.close();
    }
  });
});
