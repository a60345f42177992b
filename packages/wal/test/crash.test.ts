// kill -9 in the middle of writing: every save() that resolved before the kill is on disk
// after reopening, the log is a contiguous prefix, and the WAL takes appends again.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { Wal } from "../src/index.js";
import { summary, withTempDir, entries } from "./helpers.js";

const SEGMENT = 64 * 1024;

async function runAndKill(dir: string, afterAcks: number): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures", "writer.ts"), dir, String(SEGMENT)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let acked = 0;
  let seen = 0;
  let buffered = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^acked (\d+)$/.exec(line);
        if (!match) continue;
        acked = Number(match[1]);
        if (++seen === afterAcks) child.kill("SIGKILL");
      }
    });
    child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited on its own: ${signal}`))));
  });
  return acked;
}

test("kill -9 mid-write loses nothing acknowledged, and the WAL appends again", { timeout: 120_000 }, () =>
  withTempDir(async (root) => {
    const dir = join(root, "wal");
    let lastAcked = 0;
    for (const afterAcks of [40, 150, 90]) {
      const acked = await runAndKill(dir, afterAcks);
      assert.ok(acked > lastAcked, "the writer made progress");
      lastAcked = acked;
      const wal = await Wal.open(dir, undefined, { segmentSize: SEGMENT });
      const { entries: read } = await wal.readAll();
      await wal.close();
      assert.ok(read.length >= acked, `acked ${acked}, recovered ${read.length}`);
      assert.deepEqual(summary(read), summary(entries(1, read.length, 1, 300)), "a contiguous, intact prefix");
    }
  }));
