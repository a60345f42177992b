/**
 * The README's gRPC wire example is examples/grpc-wire.ts verbatim (except the import path),
 * and it runs with the results its comments state.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { GrpcStatus } from "../src/index.js";

test("README gRPC wire example matches examples/grpc-wire.ts and runs", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/grpc-wire.ts", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## gRPC over HTTP/2")))?.[1];
  assert.ok(block !== undefined, "README has a ts block under ## gRPC over HTTP/2");
  assert.equal(block, example.replace('"../src/index.js"', '"@etcd-ts/api"'));
  const log = console.log;
  console.log = () => {};
  try {
    const { result } = (await import("../examples/grpc-wire.js")) as { result: Record<string, unknown> };
    assert.deepEqual(result, {
      received: 2,
      value: "hello",
      end: undefined,
      refused: { code: GrpcStatus.RESOURCE_EXHAUSTED, message: "grpc: received message larger than max (17 vs. 16)" },
      text: "100%25 done %E2%9C%93",
      timeout: "1501m",
    });
  } finally {
    console.log = log;
  }
});
