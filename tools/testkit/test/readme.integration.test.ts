/**
 * The README's example is examples/both-servers.ts verbatim (except the import path), and it
 * runs: both servers start, answer /version, one restarts, both stop.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const haveEtcd = ((): boolean => {
  try {
    execFileSync(process.env["ETCD_BINARY"] ?? "etcd", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("README example matches examples/both-servers.ts and runs", { skip: !haveEtcd && "needs etcd", timeout: 60_000 }, async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/both-servers.ts", import.meta.url), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Example")))?.[1];
  assert.ok(block !== undefined, "README has a ts block under ## Example");
  assert.equal(block, example.replace('"../src/index.js"', '"@etcd-ts/testkit"'));
  const log = console.log;
  const lines: string[] = [];
  console.log = (line: string) => lines.push(line);
  try {
    const { result } = (await import("../examples/both-servers.js")) as { result: { addresses: string[]; running: boolean[] } };
    assert.notEqual(result.addresses[0], result.addresses[1]);
    assert.deepEqual(result.running, [false, false]);
    assert.match(lines.join("\n"), /etcd-ts restarted: pid \d+, healthy true/);
  } finally {
    console.log = log;
  }
});
