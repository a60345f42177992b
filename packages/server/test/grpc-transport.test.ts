// Our gRPC server transport against real clients over real sockets: grpc-js for the happy
// paths and etcd-style errors, raw node:http2 for hostile frames. One port also serves HTTP/1.
import assert from "node:assert/strict";
import { connect, constants, type IncomingHttpHeaders } from "node:http2";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { decodeGrpcMessage, errorFromStatus, etcdserverpb as pb, framePrefix, GrpcStatus, LeaseNotFoundError, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { GrpcServer } from "../src/grpc/GrpcServer.js";
import { ClientListener } from "../src/transport/ClientListener.js";

const MAX = 64 * 1024;
let listener: ClientListener;
let client: grpc.Client;
let address: string;
const aborted: string[] = [];

function unary<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, options: grpc.CallOptions = {}, metadata = new grpc.Metadata()): Promise<Res> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, options, (err, res) => (err ? reject(err) : resolve(res as Res))),
  );
}

before(async () => {
  const server = new GrpcServer({ maxReceiveMessageSize: MAX });
  server.addUnary(pb.KVService.range, (req, call) => ({ header: { revision: 7 }, count: req.limit, more: call.metadata["token"] === "secret" }));
  server.addUnary(pb.KVService.put, async (req, call) => {
    if (new TextDecoder().decode(req.key) === "slow") {
      await new Promise((resolve) => call.signal.addEventListener("abort", resolve, { once: true }));
      aborted.push(String((call.signal.reason as Error).message));
      return {};
    }
    throw new LeaseNotFoundError();
  });
  server.addStream(pb.WatchService.watch, async (call) => {
    for await (const request of call) {
      if (request.requestUnion?.$case === "createRequest") call.send({ created: true, watchId: 1 });
      if (request.requestUnion?.$case === "cancelRequest") call.send({ canceled: true, watchId: request.requestUnion.cancelRequest.watchId });
    }
    call.send({ cancelReason: "client closed its side" });
  });
  listener = new ClientListener({
    host: "127.0.0.1",
    port: 0,
    grpc: server,
    http1: (req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ path: req.url }));
    },
  });
  await listener.listen();
  address = `127.0.0.1:${listener.address().port}`;
  client = new grpc.Client(address, grpc.credentials.createInsecure());
});

after(async () => {
  client.close();
  await listener.close();
});

describe("unary calls", () => {
  test("a request is decoded, handled and answered; metadata reaches the handler", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("token", "secret");
    const res = await unary(pb.KVService.range, { key: Uint8Array.of(1), limit: 3 }, {}, metadata);
    assert.equal(res.header?.revision, 7);
    assert.equal(res.count, 3);
    assert.equal(res.more, true);
  });

  test("an etcd error thrown by a handler reaches the client with its code and message", async () => {
    const error = await unary(pb.KVService.put, { key: Uint8Array.of(1) }).then(() => assert.fail("expected an error"), (e: grpc.ServiceError) => e);
    assert.equal(error.code, GrpcStatus.NOT_FOUND);
    assert.equal(error.details, "etcdserver: requested lease not found");
    assert.ok(errorFromStatus(error) instanceof LeaseNotFoundError);
  });

  test("unknown methods and services are Unimplemented with grpc-go's texts", async () => {
    const fake = { ...pb.KVService.range, path: "/etcdserverpb.KV/Nope" };
    const e1 = await unary(fake, {}).catch((e: grpc.ServiceError) => e);
    assert.equal((e1 as grpc.ServiceError).code, GrpcStatus.UNIMPLEMENTED);
    assert.equal((e1 as grpc.ServiceError).details, "unknown method Nope for service etcdserverpb.KV");
    const e2 = await unary({ ...pb.KVService.range, path: "/nowhere.Svc/X" }, {}).catch((e: grpc.ServiceError) => e);
    assert.equal((e2 as grpc.ServiceError).details, "unknown service nowhere.Svc");
  });

  test("a request over the limit is ResourceExhausted, and the server keeps serving", async () => {
    const error = await unary(pb.KVService.range, { key: new Uint8Array(MAX + 10) }).catch((e: grpc.ServiceError) => e);
    assert.equal((error as grpc.ServiceError).code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.match((error as grpc.ServiceError).details, /^grpc: received message larger than max \(\d+ vs\. 65536\)$/);
    assert.equal((await unary(pb.KVService.range, { limit: 1 })).count, 1);
  });

  test("the deadline aborts the handler's signal and ends the call with DeadlineExceeded", async () => {
    const error = await unary(pb.KVService.put, { key: new TextEncoder().encode("slow") }, { deadline: Date.now() + 200 }).catch((e: grpc.ServiceError) => e);
    assert.equal((error as grpc.ServiceError).code, GrpcStatus.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(aborted.length >= 1, "the handler saw its signal abort");
  });
});

describe("bidi streams", () => {
  test("requests arrive in order, responses flow back, and the client's half-close ends the iteration", async () => {
    const method = pb.WatchService.watch;
    const stream = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    const responses: pb.WatchResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on("data", (r: pb.WatchResponse) => responses.push(r));
      stream.on("status", (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : reject(new Error(s.details))));
      stream.on("error", reject);
    });
    stream.write({ requestUnion: { $case: "createRequest", createRequest: { key: Uint8Array.of(1) } } });
    stream.write({ requestUnion: { $case: "cancelRequest", cancelRequest: { watchId: 1 } } });
    stream.end();
    await done;
    assert.deepEqual(
      responses.map((r) => [r.created, r.canceled, r.watchId, r.cancelReason]),
      [
        [true, false, 1, ""],
        [false, true, 1, ""],
        [false, false, 0, "client closed its side"],
      ],
    );
  });
});

/** Sends raw DATA on a fresh HTTP/2 stream and returns the gRPC status from the trailers. */
function rawCall(path: string, body: Buffer, endStream = true): Promise<{ status: string | undefined; message: string | undefined }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let status: string | undefined;
    let message: string | undefined;
    req.on("response", (headers) => {
      status ??= headers["grpc-status"] as string | undefined;
      message ??= headers["grpc-message"] as string | undefined;
    });
    // ClientHttp2Stream's own `on` overloads hide Http2Stream's "trailers" one: typed here.
    req.on("trailers", (trailers: IncomingHttpHeaders) => {
      status = trailers["grpc-status"] as string | undefined;
      message = trailers["grpc-message"] as string | undefined;
    });
    req.on("data", () => undefined);
    req.on("close", () => {
      session.close();
      resolve({ status, message: message && decodeGrpcMessage(message) });
    });
    req.end(body);
    if (!endStream) req.close(constants.NGHTTP2_CANCEL);
  });
}

function frame(body: Buffer, declaredLength = body.length): Buffer {
  return Buffer.concat([framePrefix(declaredLength), body]);
}

describe("hostile frames", () => {
  test("a body that is not protobuf is Internal, naming the unmarshalling failure", async () => {
    const { status, message } = await rawCall(pb.KVService.range.path, frame(Buffer.from([0x0a, 0xff, 0x01])));
    assert.equal(status, String(GrpcStatus.INTERNAL));
    assert.match(message!, /^grpc: error unmarshalling request: /);
  });

  test("a message cut short before the stream ends is Unknown \"unexpected EOF\" (etcd 3.4.23: the same)", async () => {
    const { status, message } = await rawCall(pb.KVService.range.path, frame(Buffer.from([0x08]), 100));
    assert.equal(status, String(GrpcStatus.UNKNOWN));
    assert.equal(message, "unexpected EOF");
  });

  test("an absurd declared length is refused before any body is buffered", async () => {
    const { status, message } = await rawCall(pb.KVService.range.path, frame(Buffer.alloc(0), 0xfffffff0));
    assert.equal(status, String(GrpcStatus.RESOURCE_EXHAUSTED));
    assert.match(message!, /received message larger than max \(4294967280 vs\. 65536\)/);
  });

  test("a compressed flag without an encoding is Internal", async () => {
    const compressed = frame(Buffer.from([0x08, 0x01]));
    compressed[0] = 1;
    const { status } = await rawCall(pb.KVService.range.path, compressed);
    assert.equal(status, String(GrpcStatus.INTERNAL));
  });

  test("a unary call with two messages is served from the first (etcd 3.4.23: the same); the server still answers the next call", async () => {
    const { status } = await rawCall(pb.KVService.range.path, Buffer.concat([frame(Buffer.from([0x18, 0x05])), frame(Buffer.from([0xff]))]));
    assert.equal(status, String(GrpcStatus.OK));
    assert.equal((await unary(pb.KVService.range, { limit: 2 })).count, 2);
  });
});

describe("one port, two protocols", () => {
  test("HTTP/1.1 requests are served on the gRPC port", async () => {
    const res = await fetch(`http://${address}/health`);
    assert.deepEqual(await res.json(), { path: "/health" });
  });
});
