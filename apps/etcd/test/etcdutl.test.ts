// etcdutl end to end: etcdctl saves a snapshot from our daemon; `etcdutl snapshot status`
// reads it; `etcdutl snapshot restore` makes a new data dir from it, a daemon started there
// serves the old keys under a new cluster; a tampered file is refused.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freePort } from "@etcd-ts/testkit";
import { extractSnapshotFile } from "../src/index.js";

const BIN = join(import.meta.dirname, "..", "bin");

async function startDaemon(dataDir: string, port: number, children: ChildProcess[]): Promise<void> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(BIN, "etcd.js"), "--data-dir", dataDir, "--listen-client-urls", url, "--advertise-client-urls", url], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${log}`)), 20_000);
    child.stderr.on("data", (d: Buffer) => {
      log += d.toString();
      if (/serving insecure client requests/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited ${code}:\n${log}`))));
  });
}

const etcdctl = (port: number, ...args: string[]) =>
  spawnSync("etcdctl", ["--endpoints", `127.0.0.1:${port}`, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, encoding: "utf8" });
const etcdutl = (...args: string[]) => spawnSync(process.execPath, [join(BIN, "etcdutl.js"), ...args], { encoding: "utf8" });

test("save with etcdctl, status and restore with etcdutl, and a restored member serves the data", { timeout: 120_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), "etcdutl-"));
  const children: ChildProcess[] = [];
  try {
    const port = await freePort();
    await startDaemon(join(root, "a.etcd"), port, children);
    for (let i = 0; i < 20; i++) assert.equal(etcdctl(port, "put", `k${i}`, `v${i}`).status, 0);
    const file = join(root, "snap.db");
    const save = etcdctl(port, "snapshot", "save", file);
    assert.equal(save.status, 0, save.stderr);
    assert.match(save.stdout, /Snapshot saved at/);

    const status = etcdutl("snapshot", "status", file, "-w", "json");
    assert.equal(status.status, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
    assert.equal(parsed.revision, 21);
    assert.ok(parsed.totalKey >= 20);
    assert.ok(parsed.hash > 0);
    assert.match(etcdutl("snapshot", "status", file).stdout, /^[0-9a-f]+, 21, \d+, [\d.]+ [kM]?B\n$/);

    const restoredDir = join(root, "b.etcd");
    const restore = etcdutl("snapshot", "restore", file, "--data-dir", restoredDir, "--name", "b", "--initial-cluster", "b=http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster-token", "restored");
    assert.equal(restore.status, 0, restore.stderr);
    assert.equal(etcdutl("snapshot", "restore", file, "--data-dir", restoredDir).status, 1, "an existing data dir is refused");

    const port2 = await freePort();
    // The restored member has its own name in its data dir; the daemon's --name must match it.
    const url = `http://127.0.0.1:${port2}`;
    const child = spawn(process.execPath, [join(BIN, "etcd.js"), "--name", "b", "--data-dir", restoredDir, "--listen-client-urls", url, "--advertise-client-urls", url], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready:\n${log}`)), 20_000);
      child.stderr.on("data", (d: Buffer) => ((log += d.toString()), /serving insecure client requests/.test(log) && (clearTimeout(timer), resolve())));
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited ${code}:\n${log}`))));
    });
    assert.equal(etcdctl(port2, "get", "k7", "--print-value-only").stdout, "v7\n");
    const members = etcdctl(port2, "member", "list", "-w", "json");
    assert.match(members.stdout, /"name":"b"/);
    const after = etcdctl(port2, "put", "after", "restore");
    assert.equal(after.status, 0, after.stderr);
    assert.equal(etcdctl(port2, "get", "k", "--prefix", "--keys-only").stdout.split("\n").filter(Boolean).length, 20);

    const tampered = join(root, "tampered.db");
    const bytes = await readFile(file);
    bytes[100] = bytes[100]! ^ 1;
    await writeFile(tampered, bytes);
    const refused = etcdutl("snapshot", "restore", tampered, "--data-dir", join(root, "c.etcd"));
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /expected sha256/);
    assert.equal(existsSync(join(root, "c.etcd")), false, "a refused snapshot leaves no data dir behind");
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await rm(root, { recursive: true, force: true });
  }
});

test("a large snapshot file is streamed, checksum checked, with a progress bar on a terminal only", async () => {
  const root = await mkdtemp(join(tmpdir(), "etcdutl-big-"));
  try {
    // 24 MiB of data + its SHA-256: 24 MiB is a multiple of 512, so the file carries the hash.
    const data = randomBytes(24 * 1024 * 1024);
    const file = join(root, "big.db");
    await writeFile(file, Buffer.concat([data, createHash("sha256").update(data).digest()]));
    const drawn: string[] = [];
    const terminal = { isTTY: true, write: (text: string) => drawn.push(text) };
    const out = join(root, "out.db");
    const info = await extractSnapshotFile(file, out, { verify: true, progress: terminal });
    assert.deepEqual(info, { hasHash: true, size: data.length + 32 });
    assert.ok((await readFile(out)).equals(data));
    assert.ok(drawn.length >= 2, "the bar was drawn and finished");
    const last = drawn.at(-1)!;
    assert.ok(last.startsWith("\r") && last.endsWith("\u001b[K\n"), JSON.stringify(last));
    assert.match(last.slice(1, -4), /^reading .*big\.db 24\.0 MiB \/ 24\.0 MiB \[#{30}\] 100% [\d.]+ MiB\/s$/);

    // Not a terminal: nothing drawn.
    const quiet: string[] = [];
    await extractSnapshotFile(file, out, { verify: true, progress: { isTTY: false, write: (text: string) => quiet.push(text) } });
    assert.deepEqual(quiet, []);

    // A flipped byte deep in the file fails the check; --skip-hash-check takes it as it is.
    const bytes = await readFile(file);
    bytes[20 * 1024 * 1024] = bytes[20 * 1024 * 1024]! ^ 0xff;
    await writeFile(file, bytes);
    await assert.rejects(extractSnapshotFile(file, out, { verify: true }), /expected sha256/);
    assert.equal((await extractSnapshotFile(file, out, { verify: false })).hasHash, true);

    // No checksum at all: refused unless skipped.
    await writeFile(file, data.subarray(0, 1000));
    await assert.rejects(extractSnapshotFile(file, out, { verify: true }), /snapshot missing hash but --skip-hash-check=false/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
