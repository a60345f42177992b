// The layer rule must reject imports that point up, into another package's src/, or out of
// the package by a relative path, through the workspace's real ESLint config (`pnpm lint`).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { ESLint } from "eslint";
import { allowedImport, LAYER_ORDER, APPS, TEST_KITS, TEST_KIT_RUNTIME_USERS } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const workspace = join(here, "..", "..", "..");
const fixtures = join(here, "..", "fixtures");

/**
 * Lints one fixture with the root config (fixtures are ignored there, so turn ignores off).
 * @param {string} fixture
 */
async function layerMessages(fixture) {
  const eslint = new ESLint({ cwd: workspace, ignore: false });
  const [result] = await eslint.lintFiles([join(fixtures, fixture, "src", "index.ts")]);
  return result.messages.filter((m) => m.ruleId === "layers/layers").map((m) => m.message);
}

test("raft importing api is rejected: raft is a leaf", async () => {
  assert.deepEqual(await layerMessages("raft-imports-api"), [
    "@etcd-ts/raft may not import @etcd-ts/api: imports point down the layer list (DESIGN §2).",
  ]);
});

test("mvcc re-exporting server and dynamically importing lease is rejected", async () => {
  assert.deepEqual(await layerMessages("mvcc-imports-server"), [
    "@etcd-ts/mvcc may not import @etcd-ts/server: imports point down the layer list (DESIGN §2).",
    "@etcd-ts/mvcc may not import @etcd-ts/lease: imports point down the layer list (DESIGN §2).",
  ]);
});

test("the client or the concurrency recipes importing the server is rejected: the server sits above them", async () => {
  assert.deepEqual(await layerMessages("client-imports-server"), [
    "@etcd-ts/client may not import @etcd-ts/server: imports point down the layer list (DESIGN §2).",
    "@etcd-ts/client may not import @etcd-ts/concurrency: imports point down the layer list (DESIGN §2).",
  ]);
});

test("reaching into another package's src/ is rejected even when the layer allows it", async () => {
  assert.deepEqual(await layerMessages("client-deep-src"), [
    "@etcd-ts/client may not reach into @etcd-ts/api's src/: import the package's public API.",
  ]);
});

test("a relative import leaving the package is rejected", async () => {
  assert.deepEqual(await layerMessages("wal-escapes"), [
    "@etcd-ts/wal may not import '../../raft-imports-api/src/index.js': a relative path may not leave the package.",
  ]);
});

test("imports pointing down and within the package are accepted", async () => {
  assert.deepEqual(await layerMessages("server-imports-down"), []);
});

test("allowedImport follows the list order, with leaves and apps as stated", () => {
  assert.equal(allowedImport("@etcd-ts/server", "@etcd-ts/mvcc"), true);
  assert.equal(allowedImport("@etcd-ts/mvcc", "@etcd-ts/server"), false);
  assert.equal(allowedImport("@etcd-ts/client", "@etcd-ts/api"), true);
  assert.equal(allowedImport("@etcd-ts/wal", "@etcd-ts/raft"), true);
  assert.equal(allowedImport("@etcd-ts/raft", "@etcd-ts/api"), false);
  assert.equal(allowedImport("@etcd-ts/api", "@etcd-ts/raft"), false);
  assert.equal(allowedImport("@etcd-ts/etcd", "@etcd-ts/server"), true);
  assert.equal(allowedImport("@etcd-ts/etcd", "@etcd-ts/benchmarks"), false);
  assert.equal(allowedImport("@etcd-ts/concurrency", "@etcd-ts/client"), true);
  assert.equal(allowedImport("@etcd-ts/server", "@etcd-ts/client"), true);
  assert.equal(allowedImport("@etcd-ts/server", "@etcd-ts/concurrency"), true);
  assert.equal(allowedImport("@etcd-ts/client", "@etcd-ts/server"), false);
  assert.equal(allowedImport("@etcd-ts/concurrency", "@etcd-ts/server"), false);
  assert.equal(allowedImport("@etcd-ts/client", "@etcd-ts/concurrency"), false);
  assert.equal(allowedImport("@etcd-ts/lease", "@etcd-ts/auth"), false);
  assert.equal(allowedImport("@etcd-ts/raft", "@etcd-ts/testkit"), true);
  assert.equal(allowedImport("@etcd-ts/testkit", "@etcd-ts/api"), false);
  assert.equal(allowedImport("@etcd-ts/benchmarks", "@etcd-ts/testkit"), true);
});

/**
 * The fields of a package.json this test reads.
 * @typedef {{ name: string, dependencies?: Record<string, string>, devDependencies?: Record<string, string>, peerDependencies?: Record<string, string> }} Manifest
 */

/**
 * Reads a package.json; the workspace's own manifests, so their shape is trusted.
 * @param {string} file
 * @returns {Manifest}
 */
function readManifest(file) {
  /** @type {unknown} */
  const parsed = JSON.parse(readFileSync(file, "utf8"));
  return /** @type {Manifest} */ (parsed);
}

test("every workspace package.json depends only on packages its layer may import", () => {
  const manifests = [
    ...readdirSync(join(workspace, "packages")).map((p) => join(workspace, "packages", p, "package.json")),
    join(workspace, "apps", "etcd", "package.json"),
    join(workspace, "benchmarks", "package.json"),
  ].filter(existsSync);
  assert.equal(manifests.length, LAYER_ORDER.length + APPS.length);
  for (const file of manifests) {
    /** @type {Manifest} */
    const manifest = readManifest(file);
    const deps = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies };
    for (const dep of Object.keys(deps).filter((d) => d.startsWith("@etcd-ts/"))) {
      assert.ok(allowedImport(manifest.name, dep), `${manifest.name} depends on ${dep}`);
    }
    if (TEST_KIT_RUNTIME_USERS.includes(manifest.name)) continue;
    for (const kit of TEST_KITS) {
      assert.ok(!(kit in { ...manifest.dependencies, ...manifest.peerDependencies }), `${manifest.name}: ${kit} only as a devDependency`);
    }
  }
});
