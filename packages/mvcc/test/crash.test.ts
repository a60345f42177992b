// Crash test: a process applying batches is killed with SIGKILL at a random moment; the
// reopened store is exactly at its last committed batch, and the consistent index says which.
import { after, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { etcdserverpb } from "@etcd-ts/api";
import { EngineCore } from "../src/EngineCore.js";
import { tempDir } from "./support/util.js";

const tmp = tempDir();
after(() => tmp.cleanup());

async function runAndKill(dir: string, afterBatches: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/crashWriter.ts", import.meta.url)), dir], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => {
    let seen = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line !== "") seen = Number(line);
      if (seen >= afterBatches) {
        child.kill("SIGKILL");
        resolve();
      }
    });
  });
  await new Promise((resolve) => child.once("exit", resolve));
}

for (const [round, afterBatches] of [[0, 40], [1, 200]] as const) {
  it(`killed mid-write (round ${round}), the store reopens at its last committed batch`, async () => {
    const dir = `${tmp.dir}/${round}`;
    await runAndKill(dir, afterBatches);
    const engine = EngineCore.open(dir);
    const status = engine.statusSync();
    const last = status.consistentIndex;
    assert.ok(last >= afterBatches, `consistent index ${last} >= ${afterBatches}`);
    assert.equal(status.revision, 1 + 10 * last, "one revision per put of every committed batch, nothing more");
    const all = await engine.range(etcdserverpb.RangeRequest.create({ key: Buffer.from("b"), rangeEnd: Buffer.from("c"), countOnly: true }));
    assert.equal(all.count, 10 * last);
    const next = await engine.range(etcdserverpb.RangeRequest.create({ key: Buffer.from(`b${last + 1}-`), rangeEnd: Buffer.from(`b${last + 1}.`) }));
    assert.equal(next.kvs.length, 0, "nothing of the batch after the consistent index");
    await engine.close();
  });
}
