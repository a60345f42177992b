/**
 * The README's embedding example is examples/embed.ts verbatim (except the import path), and
 * it runs with the results its comments state: a write through the in-process client.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

test("README embedding example matches examples/embed.ts and runs", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/embed.ts", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Example")))?.[1];
  assert.ok(block !== undefined, "README has a ts block under ## Example");
  assert.equal(block, example.replace('"../src/index.js"', '"@etcd-ts/server"'));
  const lines: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args);
  try {
    const { result } = (await import("../examples/embed.js")) as { result: { revision: number; closed: boolean } };
    assert.deepEqual(result, { revision: 2, closed: true });
    assert.deepEqual(lines.slice(1), [[2], ["hello"]]);
  } finally {
    console.log = log;
  }
});
