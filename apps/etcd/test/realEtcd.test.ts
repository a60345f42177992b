// The oracle: the same bad command lines given to the real etcd 3.4 binary and to
// parseDaemonArgs — same exit code, and the same error line (timestamps aside).
// Skipped when no `etcd` is installed. Each real etcd runs in its own temp data dir, on
// 127.0.0.1 ports below 32768 where it could get as far as listening, and is killed if it
// is still running after 10 s (none of these cases should start).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "@etcd-ts/testkit";
import { parseDaemonArgs } from "../src/index.js";

const ETCD = process.env["ETCD_BINARY"] ?? "etcd";
const installed = spawnSync(ETCD, ["--version"], { encoding: "utf8" }).stdout?.startsWith("etcd Version: 3.4") ?? false;
const work = mkdtempSync(join(tmpdir(), "etcd-ts-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /;

/** errorLine is the first line that reports the failure, without its timestamp. */
function errorLine(stderr: string): string {
  const line = stderr.split("\n").find((text) => /^(flag |invalid |bad flag)/.test(text) || / [EC] \| /.test(text) || text.startsWith("{")) ?? "";
  return line.replace(TIMESTAMP, "");
}

interface Case {
  readonly title: string;
  /** argv; `PEER` and `CLIENT` are replaced by free 127.0.0.1 URLs. */
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** exact: the error lines must be equal (else only the exit codes). */
  readonly exact: boolean;
}

const CASES: readonly Case[] = [
  { title: "unknown flag", argv: ["--bogus-flag"], exact: true },
  { title: "unknown single-dash flag", argv: ["-bogus"], exact: true },
  { title: "non-numeric snapshot-count", argv: ["--snapshot-count=abc"], exact: true },
  { title: "out-of-range snapshot-count", argv: ["--snapshot-count=99999999999999999999999"], exact: true },
  { title: "negative max-txn-ops", argv: ["--max-txn-ops", "-1"], exact: true },
  { title: "bad initial-cluster-state", argv: ["--initial-cluster-state=foo"], exact: true },
  { title: "URL without scheme", argv: ["--listen-client-urls=foo"], exact: true },
  { title: "host:port without scheme", argv: ["--advertise-client-urls", "127.0.0.1:2379"], exact: true },
  { title: "missing flag value", argv: ["--name"], exact: true },
  { title: "bad boolean", argv: ["--debug=maybe"], exact: true },
  { title: "positional argument", argv: ["extra-arg"], exact: true },
  { title: "election timeout under 5 heartbeats", argv: ["--heartbeat-interval", "100", "--election-timeout", "499"], exact: true },
  { title: "election timeout too long", argv: ["--election-timeout", "60000"], exact: true },
  { title: "listen-client-urls without advertise-client-urls", argv: ["--listen-client-urls", "CLIENT"], exact: true },
  { title: "host name in a listen URL", argv: ["--listen-client-urls", "http://example.com:2379", "--advertise-client-urls", "http://127.0.0.1:2379"], exact: true },
  { title: "empty advertised host", argv: ["--advertise-client-urls", "http://:2379"], exact: true },
  { title: "unknown auto-compaction-mode", argv: ["--auto-compaction-mode", "foo"], exact: true },
  { title: "unknown logger", argv: ["--logger", "bogus"], exact: true },
  { title: "unknown log output", argv: ["--log-outputs", "foo"], exact: true },
  { title: "invalid value from the environment", argv: [], env: { ETCD_SNAPSHOT_COUNT: "abc" }, exact: true },
  { title: "environment contradicting a flag", argv: ["--name", "y"], env: { ETCD_NAME: "x" }, exact: true },
  { title: "invalid values from the environment, validated", argv: [], env: { ETCD_HEARTBEAT_INTERVAL: "100", ETCD_ELECTION_TIMEOUT: "200" }, exact: true },
  { title: "missing config file", argv: ["--config-file", "/nonexistent/etcd.yml"], exact: true },
  { title: "malformed initial cluster", argv: ["--initial-cluster", "garbage", "--listen-peer-urls", "PEER", "--listen-client-urls", "CLIENT", "--advertise-client-urls", "CLIENT"], exact: true },
  { title: "name not in initial cluster", argv: ["--name", "foo", "--initial-cluster", "bar=PEER", "--initial-advertise-peer-urls", "PEER", "--listen-peer-urls", "PEER", "--listen-client-urls", "CLIENT", "--advertise-client-urls", "CLIENT"], exact: true },
  { title: "log level etcd panics on", argv: ["--log-level", "bogus"], exact: false },
];

describe("bad command lines: etcd 3.4 and etcd-ts agree", { skip: installed ? false : "no etcd 3.4 installed" }, () => {
  for (const testCase of CASES) {
    it(testCase.title, async () => {
      const peer = `http://127.0.0.1:${await freePort()}`;
      const client = `http://127.0.0.1:${await freePort()}`;
      const dir = mkdtempSync(join(work, "case-"));
      const dataDir = join(dir, "data");
      const argv = ["--data-dir", dataDir, ...testCase.argv.map((arg) => arg.replaceAll("PEER", peer).replaceAll("CLIENT", client))];
      const env = { ...testCase.env };

      // Ours first: the real etcd may create the data dir before it fails.
      const ours = parseDaemonArgs(argv, env, { isInitialized: (data) => existsSync(join(data, "member")) });
      const real = spawnSync(ETCD, argv, {
        cwd: dir, encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL",
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: dir, ...env },
      });
      assert.notEqual(real.signal, "SIGKILL", `the real etcd started (it should have refused):\n${real.stderr}`);
      assert.equal(ours.kind, "error", `etcd-ts accepted what etcd refused: ${real.stderr}`);
      if (ours.kind !== "error") return;
      assert.equal(ours.exitCode, real.status, `exit codes differ; etcd said:\n${real.stderr}`);
      if (testCase.exact) assert.equal(errorLine(ours.message), errorLine(real.stderr));
    });
  }
});
