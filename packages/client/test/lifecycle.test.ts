// The client's lifecycle and per-call controls: close() releases everything (the process
// exits), calls after close, timeouts, abort signals, a dead endpoint in the list.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { CallTimeoutError, Client, ClientClosedError, NoEndpointAvailableError, UnknownOutcomeError } from "../src/index.js";
import { deadEndpoint, startServer, type TestCluster } from "./support/servers.js";

let server: TestCluster;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe("close", () => {
  for (const mode of ["full", "race"]) {
  test(`a process whose client is closed exits on its own (${mode})`, async () => {
    const fixture = fileURLToPath(new URL("./fixtures/close-exits.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture, server.endpoints[0]!, await deadEndpoint(), mode], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once("exit", (c, s) => resolve([c, s])));
    clearTimeout(timer);
    assert.equal(signal, null, `the child did not exit on its own:\n${output}`);
    assert.equal(code, 0, output);
    assert.match(output, /closed: keep-alive done=undefined/);
  });
  }

  test("calls after close reject with ClientClosedError; close is idempotent", async () => {
    const client = new Client({ endpoints: server.endpoints });
    await client.put("lc/k", "v");
    await client.close();
    await client.close();
    assert.equal(client.closed, true);
    await assert.rejects(client.get("lc/k"), ClientClosedError);
    const watcher = client.watch("lc/k");
    await assert.rejects(watcher.ready, ClientClosedError);
  });
});

describe("per-call controls", () => {
  test("an aborted call rejects with the signal's reason", async () => {
    const client = new Client({ endpoints: server.endpoints });
    try {
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await assert.rejects(client.get("k", { signal: controller.signal }), /stop/);
      const later = new AbortController();
      const watcher = client.watch("never");
      await watcher.ready;
      const call = client.get("k", { signal: later.signal });
      later.abort(new Error("late stop"));
      await assert.rejects(call, /late stop/);
      await watcher.cancel();
    } finally {
      await client.close();
    }
  });

  test("a timeout on a frozen server is a CallTimeoutError; a write's outcome is flagged unknown", async () => {
    const frozen = await startServer();
    const client = new Client({ endpoints: frozen.endpoints });
    try {
      await client.put("t/k", "v");
      await frozen.members[0]!.pause();
      const read = await client.get("t/k", { timeout: 300 }).catch((e: unknown) => e);
      assert.ok(read instanceof CallTimeoutError, String(read));
      assert.equal(read.outcomeUnknown, false);
      const write = await client.put("t/k", "w", { timeout: 300 }).catch((e: unknown) => e);
      assert.ok(write instanceof CallTimeoutError, String(write));
      assert.equal(write.outcomeUnknown, true);
    } finally {
      await client.close();
      await frozen.stop();
    }
  });
});

describe("endpoints", () => {
  test("a dead endpoint first in the list is skipped, and avoided afterwards", async () => {
    const dead = await deadEndpoint();
    const client = new Client({ endpoints: [dead, ...server.endpoints] });
    try {
      const started = Date.now();
      await client.put("ep/k", "v");
      for (let i = 0; i < 20; i++) assert.equal(await client.getString("ep/k"), "v");
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      await client.close();
    }
  });

  test("with every endpoint dead, a read gives up with NoEndpointAvailableError", async () => {
    const client = new Client({ endpoints: [await deadEndpoint(), await deadEndpoint()], maxAttempts: 4, retryBackoffMs: 10 });
    try {
      await assert.rejects(client.get("k"), NoEndpointAvailableError);
      // A write that was never sent is just as unavailable: never an unknown outcome.
      const err = await client.put("k", "v").catch((e: unknown) => e);
      assert.ok(err instanceof NoEndpointAvailableError && !(err instanceof UnknownOutcomeError));
    } finally {
      await client.close();
    }
  });

  test("a write cut off by a crash is an UnknownOutcomeError; a read is retried until the server is back", async () => {
    const crashing = await startServer();
    const client = new Client({ endpoints: crashing.endpoints });
    const member = crashing.members[0]!;
    try {
      await client.put("crash/k", "v");
      await member.pause();
      const write = client.put("crash/k", "w").catch((e: unknown) => e);
      const read = client.get("crash/k");
      await new Promise((r) => setTimeout(r, 200));
      await member.kill();
      const writeError = await write;
      assert.ok(writeError instanceof UnknownOutcomeError, String(writeError));
      await member.start();
      const res = await read;
      assert.equal(res.kvs.length, 1);
    } finally {
      await client.close();
      await crashing.stop();
    }
  });
});
