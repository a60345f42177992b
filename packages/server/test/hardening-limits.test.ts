// Resource limits, scaled down for the normal suite (the full figures, 10,000 connections and
// watchers and 100,000 leases beside the real etcd's, come from `pnpm --filter
// @etcd-ts/benchmarks limits` and are written in benchmarks/README.md): a member in a child
// process gets 1,000 idle HTTP/2 connections, 1,000 watchers on one stream and 5,000 leases.
// After each, it must still serve a new client, and its resident memory must have grown by
// no more than a generous bound per connection, watcher or lease (about ten times what the
// benchmark measures: this catches a leak, not a regression of a few per cent).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { etcdserverpb as pb, frameMessage, GrpcDeframer, GrpcStatus } from "@etcd-ts/api";
import { freePort } from "@etcd-ts/testkit";
import { grpcCall, grpcFrame } from "./support/grpcProbe.js";
import { PREFACE } from "./support/rawHttp2.js";

let child: ChildProcess;
let dataDir: string;
let address: string;
const held: (() => void)[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "etcd-ts-limits-"));
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures", "member.ts"), dataDir, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`member exited with ${code}`)));
  });
});

after(async () => {
  for (const release of held) release();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** The member's resident set (KiB), once it has been left alone for a moment. */
async function settledRssKb(): Promise<number> {
  await new Promise((r) => setTimeout(r, 1500));
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
  return Number(match![1]);
}

async function serves(): Promise<void> {
  const put = await grpcCall(address, pb.KVService.put.path, [grpcFrame(pb.PutRequest.encode({ key: Buffer.from("limits"), value: Buffer.from("ok") }))]);
  assert.equal(put.status, GrpcStatus.OK, put.message);
  const get = await grpcCall(address, pb.KVService.range.path, [grpcFrame(pb.RangeRequest.encode({ key: Buffer.from("limits") }))]);
  assert.equal(Buffer.from(pb.RangeResponse.decode(get.messages[0]!).kvs[0]!.value).toString(), "ok");
}

/** Opens an HTTP/2 connection that sends the preface and SETTINGS, acknowledges the server's, and then stays idle. */
function idleConnection(): Promise<Socket> {
  const [host, port] = address.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port: Number(port) });
    socket.once("error", reject);
    socket.on("connect", () => socket.write(Buffer.concat([PREFACE, Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])));
    socket.once("data", () => {
      socket.write(Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]));
      socket.off("error", reject);
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

test("1,000 idle HTTP/2 connections: the member serves on, and each costs it under 256 KiB", async (t) => {
  const before = await settledRssKb();
  const sockets: Socket[] = [];
  for (let i = 0; i < 1000; i += 100) sockets.push(...(await Promise.all(Array.from({ length: 100 }, idleConnection))));
  held.push(() => sockets.forEach((s) => s.destroy()));
  const grown = (await settledRssKb()) - before;
  await serves();
  t.diagnostic(`${(grown / 1000).toFixed(1)} KiB per idle connection`);
  assert.ok(grown / 1000 < 256, `${(grown / 1000).toFixed(1)} KiB per idle connection`);
});

test("1,000 watchers on one stream: all created, the member serves on, and each costs it under 64 KiB", async (t) => {
  const before = await settledRssKb();
  const session: ClientHttp2Session = http2Connect(`http://${address}`);
  session.on("error", () => undefined);
  held.push(() => session.destroy());
  const stream = session.request({ ":method": "POST", ":path": pb.WatchService.watch.path, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  let created = 0;
  const all = new Promise<void>((resolve) => {
    const deframer = new GrpcDeframer((message) => {
      if (pb.WatchResponse.decode(message).created) created++;
      if (created === 1000) resolve();
    }, Infinity);
    stream.on("data", (chunk: Buffer) => deframer.push(chunk));
  });
  for (let i = 0; i < 1000; i++) {
    stream.write(frameMessage(pb.WatchRequest.encode({ requestUnion: { $case: "createRequest", createRequest: { key: Buffer.from(`limits/w/${i}`) } } })));
  }
  await all;
  const grown = (await settledRssKb()) - before;
  await serves();
  t.diagnostic(`${(grown / 1000).toFixed(1)} KiB per watcher`);
  assert.ok(grown / 1000 < 64, `${(grown / 1000).toFixed(1)} KiB per watcher`);
});

test("5,000 leases: the member serves on, and each costs it under 64 KiB", async (t) => {
  const before = await settledRssKb();
  const session = http2Connect(`http://${address}`);
  session.on("error", () => undefined);
  session.setMaxListeners(0);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < 5000) {
        next++;
        const grant = await grpcCall(address, pb.LeaseService.leaseGrant.path, [grpcFrame(pb.LeaseGrantRequest.encode({ TTL: 3600 }))], { session });
        assert.equal(grant.status, GrpcStatus.OK, grant.message);
      }
    }),
  );
  session.close();
  const grown = (await settledRssKb()) - before;
  await serves();
  t.diagnostic(`${(grown / 5000).toFixed(1)} KiB per lease`);
  assert.ok(grown / 5000 < 64, `${(grown / 5000).toFixed(1)} KiB per lease`);
});
