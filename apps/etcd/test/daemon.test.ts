// The daemon as users run it: bin/etcd.js with etcd's flags, driven by the real etcdctl,
// stopped with SIGTERM (graceful: exit 0), restarted on the same data dir with its data.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freePort } from "@etcd-ts/testkit";

const BIN = join(import.meta.dirname, "..", "bin", "etcd.js");

async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; log: () => string }> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, "--data-dir", dataDir, "--listen-client-urls", url, "--advertise-client-urls", url], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready within 20 s:\n${log}`));
    }, 20_000);
    // The last line the daemon prints once it serves.
    child.stderr.on("data", () => /serving insecure client requests on 127\.0\.0\.1:\d+/.test(log) && (clearTimeout(timer), resolve()));
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited with ${code}:\n${log}`))));
  });
  return { child, log: () => log };
}

function etcdctl(port: number, ...args: string[]): string {
  const result = spawnSync("etcdctl", ["--endpoints", `127.0.0.1:${port}`, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test("bin/etcd serves etcdctl, stops gracefully on SIGTERM, and restarts with its data", { timeout: 90_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "etcd-daemon-"));
  const port = await freePort();
  const children: ChildProcess[] = [];
  try {
    const first = await start(dataDir, port);
    children.push(first.child);
    let child = first.child;
    const log = first.log;
    assert.match(log(), /serving insecure client requests on 127\.0\.0\.1:\d+/);
    assert.equal(etcdctl(port, "put", "greeting", "hello"), "OK\n");
    assert.equal(etcdctl(port, "get", "greeting", "--print-value-only"), "hello\n");
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(code, 0);

    child = (await start(dataDir, port)).child;
    children.push(child);
    assert.equal(etcdctl(port, "get", "greeting", "--print-value-only"), "hello\n");
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  }
});
