// Watch features beyond the basics, through a real gRPC stream to our member: client-chosen
// watch IDs (and a duplicate refused on that create only), fragmentation of large
// responses, progress notifications (and that none runs ahead of the events), and
// compaction cancelling a watcher.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect as http2Connect } from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { etcdserverpb as pb, frameMessage, GrpcDeframer, type PartialMessage } from "@etcd-ts/api";
import { startEtcd, type Etcd } from "../src/index.js";

let etcd: Etcd;
let client: grpc.Client;

before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], maxRequestBytes: 64 * 1024 });
  client = new grpc.Client(etcd.clientUrls[0]!.replace("http://", ""), grpc.credentials.createInsecure());
});
after(async () => {
  client.close();
  await etcd.close();
});

function watchStream() {
  const m = pb.WatchService.watch;
  const stream = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
  const queue: pb.WatchResponse[] = [];
  const waiters: ((r: pb.WatchResponse) => void)[] = [];
  stream.on("data", (r: pb.WatchResponse) => (waiters.length ? waiters.shift()!(r) : queue.push(r)));
  stream.on("error", () => undefined);
  return {
    send: (r: PartialMessage<pb.WatchRequest>) => stream.write(r),
    next: (): Promise<pb.WatchResponse> =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : new Promise((resolve, reject) => {
            const t = setTimeout(() => reject(new Error("no watch response within 5 s")), 5000);
            waiters.push((r) => (clearTimeout(t), resolve(r)));
          }),
    close: () => stream.cancel(),
  };
}

const put = (key: string, value: Uint8Array | string) =>
  etcd.server.propose("put", pb.PutRequest.create({ key: Buffer.from(key), value: typeof value === "string" ? Buffer.from(value) : value }));

test("a client-chosen watch ID is used, and a duplicate is refused on that create only", async () => {
  const w = watchStream();
  try {
    w.send({ requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from("id/k"), watchId: 7 } } });
    const created = await w.next();
    assert.equal(created.created, true);
    assert.equal(created.watchId, 7);
    w.send({ requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from("id/other"), watchId: 7 } } });
    const refused = await w.next();
    assert.equal(refused.canceled, true);
    assert.equal(refused.cancelReason, "mvcc: duplicate watch ID provided on the WatchStream");
    await put("id/k", "v");
    const event = await w.next();
    assert.equal(event.watchId, 7);
    assert.equal(event.events.length, 1);
  } finally {
    w.close();
  }
});

test("a watcher with fragment gets large responses in pieces, the last one unflagged", async () => {
  const w = watchStream();
  try {
    // Two txns of 8 × 7 KiB puts (each under the 64 KiB request limit); the second one's
    // events with prev_kv carry both values: one revision, ~112 KiB of events.
    const big = new Uint8Array(7 * 1024).fill(1);
    const txn = pb.TxnRequest.create({ success: Array.from({ length: 8 }, (_, i) => ({ request: { $case: "requestPut" as const, requestPut: { key: Buffer.from(`frag/${i}`), value: big } } })) });
    await etcd.server.propose("txn", txn);
    const second = await etcd.server.propose("txn", txn);
    w.send({
      requestUnion: {
        $case: "createRequest",
        createRequest: { key: Buffer.from("frag/0"), rangeEnd: Buffer.from("frag/9"), fragment: true, prevKv: true, startRevision: second.header!.revision },
      },
    });
    assert.equal((await w.next()).created, true);
    const parts: pb.WatchResponse[] = [];
    do parts.push(await w.next());
    while (parts.at(-1)!.fragment);
    assert.ok(parts.length > 1, `expected fragments, got ${parts.length} response`);
    assert.equal(parts.reduce((n, p) => n + p.events.length, 0), 8);
    assert.ok(parts.slice(0, -1).every((p) => p.fragment));
  } finally {
    w.close();
  }
});

test("progress_notify: a quiet watcher hears the current revision", async () => {
  etcd.server.watchProgressNotifyIntervalMs = 100;
  const w = watchStream();
  try {
    w.send({ requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from("quiet"), progressNotify: true } } });
    const created = await w.next();
    const progress = await w.next();
    assert.equal(progress.watchId, created.watchId);
    assert.equal(progress.events.length, 0);
    assert.equal(progress.header?.revision, etcd.server.watchable.revision);
  } finally {
    w.close();
  }
});

test("a progress request waits for the events at or below its revision: a watcher still catching up gets them first", async () => {
  // etcd 3.4.23 (the oracle here) answers at once, ahead of the catch-up: on this machine it
  // sent the progress at revision 51 before the events 2..51 of a watcher from revision 2.
  // etcd 3.5.8+ (and this test) send it only once every watcher on the stream is synced,
  // behind their events; both put it on watch ID -1.
  const first = await put("pr/k", "0");
  let last = first;
  for (let i = 1; i < 50; i++) last = await put("pr/k", String(i));
  // The create and the progress request arrive in one DATA frame, so the server reads the
  // progress request while the watcher's catch-up read is still in the storage worker.
  const session = http2Connect(etcd.clientUrls[0]!);
  session.on("error", () => undefined);
  try {
    const call = session.request({ ":method": "POST", ":path": pb.WatchService.watch.path, "content-type": "application/grpc", te: "trailers" });
    call.on("error", () => undefined);
    const responses: pb.WatchResponse[] = [];
    const progress = new Promise<pb.WatchResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress notification within 5 s; got ${responses.length} responses`)), 5000);
      const deframer = new GrpcDeframer((message) => {
        const response = pb.WatchResponse.decode(message);
        responses.push(response);
        if (response.watchId === -1) {
          clearTimeout(timer);
          resolve(response);
        }
      }, Infinity);
      call.on("data", (chunk: Buffer) => deframer.push(chunk));
    });
    call.write(
      Buffer.concat([
        frameMessage(pb.WatchRequest.encode({ requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from("pr/k"), startRevision: first.header!.revision } } })),
        frameMessage(pb.WatchRequest.encode({ requestUnion: { $case: "progressRequest", progressRequest: {} } })),
      ]),
    );
    const notification = await progress;
    assert.equal(notification.events.length, 0);
    assert.ok(notification.header!.revision >= last.header!.revision, `progress at ${notification.header!.revision}, last put at ${last.header!.revision}`);
    assert.equal(responses[0]!.created, true);
    const before = responses.slice(1, -1).flatMap((r) => r.events.map((e) => e.kv!.modRevision));
    const expected = Array.from({ length: 50 }, (_, i) => first.header!.revision + i);
    assert.deepEqual(before, expected, "every event at or below the progress revision came before it");
  } finally {
    session.destroy();
  }
});

test("a watcher starting at a compacted revision is cancelled with the compact revision", async () => {
  await put("c/k", "1");
  const second = await put("c/k", "2");
  await etcd.server.propose("compact", pb.CompactionRequest.create({ revision: second.header!.revision }));
  const w = watchStream();
  try {
    w.send({ requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from("c/k"), startRevision: 1 } } });
    const created = await w.next();
    assert.equal(created.created, true);
    const cancelled = await w.next();
    assert.equal(cancelled.canceled, true);
    assert.equal(cancelled.compactRevision, second.header!.revision);
  } finally {
    w.close();
  }
});
