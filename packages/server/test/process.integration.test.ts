// Process-level behaviour: kill -9 mid-writes loses nothing acknowledged; an embedded member
// leaves no handles behind (the process exits) and removes its temporary data dir.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { etcdserverpb as pb, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { freePort } from "@etcd-ts/testkit";

const fixture = (name: string): string => join(import.meta.dirname, "fixtures", name);

async function startMember(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture("member.ts"), dataDir, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`member exited with ${code}`)));
  });
  return child;
}

function unary<Req, Res>(client: grpc.Client, method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<Res> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, (e, r) => (e ? reject(e) : resolve(r as Res))),
  );
}

test("kill -9 during writes: every acknowledged write is there after restart", { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "etcd-ts-kill-"));
  const port = await freePort();
  try {
    let member = await startMember(dataDir, port);
    let client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const acked: number[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const n = w * 1_000_000 + i;
        try {
          await unary(client, pb.KVService.put, { key: Buffer.from(`k/${n}`), value: Buffer.from(String(n)) });
          acked.push(n);
        } catch {
          return; // the member is gone
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    member.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    client.close();
    assert.ok(acked.length > 50, `only ${acked.length} writes were acknowledged before the kill`);

    member = await startMember(dataDir, port);
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const all = await unary(client, pb.KVService.range, { key: Buffer.from("k/"), rangeEnd: Buffer.from("k0") });
    const present = new Set(all.kvs.map((kv) => Buffer.from(kv.key).toString()));
    const missing = acked.filter((n) => !present.has(`k/${n}`));
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes lost`);
    // Writes go on after the restart.
    await unary(client, pb.KVService.put, { key: Buffer.from("after"), value: Buffer.from("restart") });
    client.close();
    member.kill("SIGTERM");
    await new Promise((r) => member.once("exit", r));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("an embedded member closes cleanly: the process exits by itself and the temporary data dir is gone", { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture("embed-exit.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, 30_000);
    child.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0, "the process did not exit on its own within 30 s");
  const dataDir = out.trim();
  assert.ok(dataDir.length > 0);
  assert.equal(existsSync(dataDir), false, `${dataDir} was left behind`);
});
