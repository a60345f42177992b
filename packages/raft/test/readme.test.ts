/**
 * The README's example is examples/three-nodes.ts verbatim (except the import path), and it runs:
 * three in-memory nodes elect a leader and commit a proposal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

test("README example matches examples/three-nodes.ts and runs", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/three-nodes.ts", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Example")))?.[1];
  assert.ok(block !== undefined, "README has a ts block under ## Example");
  assert.equal(block, example.replace('"../src/index.js"', '"@etcd-ts/raft"'));
  const log = console.log;
  console.log = () => {};
  try {
    const { result } = (await import("../examples/three-nodes.js")) as { result: { leader: bigint; applied: string[][] } };
    assert.ok(result.leader !== undefined);
    assert.deepEqual(result.applied, [["hello, raft"], ["hello, raft"], ["hello, raft"]]);
  } finally {
    console.log = log;
  }
});
