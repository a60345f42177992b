import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freePort, listensOn } from "../src/index.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "take-ports.ts");
const lockFile = (port: number): string => join(tmpdir(), `etcd-ts-ports-${process.getuid?.() ?? "user"}`, String(port));

/** holder runs a process that reserves `count` ports and keeps them until `release`. */
async function holder(count: number): Promise<{ ports: number[]; release: () => Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, String(count)], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  while (!out.includes("\n")) {
    const [code] = await Promise.race([once(child.stdout, "data").then(() => [undefined]), once(child, "exit")]);
    if (code !== undefined) throw new Error(`port holder exited with ${String(code)}`);
  }
  return {
    ports: JSON.parse(out) as number[],
    release: async () => {
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}

test("processes reserving ports at once never get the same one, and release them on exit", { timeout: 60_000 }, async () => {
  // 3 x 1500 of the 12,000 ports: without the reservation, a collision is all but certain
  // (birthday bound ~ 1 - e^(-3 * 1500^2 / 12000) ≈ 1).
  const holders = await Promise.all([holder(1500), holder(1500), holder(1500)]);
  let mine: number[];
  try {
    mine = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    const all = [...holders.flatMap((h) => h.ports), ...mine];
    assert.equal(new Set(all).size, all.length, "a port was handed out twice");
    for (const port of holders[0].ports.slice(0, 20)) assert.ok(existsSync(lockFile(port)));
  } finally {
    await Promise.all(holders.map((h) => h.release()));
  }
  for (const port of holders[0].ports) assert.equal(existsSync(lockFile(port)), false, `lock of ${port} left behind`);
  for (const port of mine) assert.ok(existsSync(lockFile(port)), "this process still holds its ports");
});

test("listensOn tells the process that listens on a port from one that does not", { skip: process.platform !== "linux" && "reads /proc" }, async () => {
  const server = createServer();
  const port = await freePort();
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  try {
    assert.equal(listensOn(process.pid, port), true);
    assert.equal(listensOn(process.pid, await freePort()), false);
    assert.equal(listensOn(process.ppid, port), false);
  } finally {
    server.close();
  }
});
