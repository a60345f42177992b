// parseDaemonArgs: flags, ETCD_* variables and --config-file into the daemon's config,
// with etcd 3.4's defaults, precedence, error texts and exit codes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FLAGS, flagToEnv, parseDaemonArgs, type DaemonArgsResult, type DaemonConfig } from "../src/index.js";

const fixedNow = (): Date => new Date(2024, 0, 2, 3, 4, 5, 678);

function run(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): DaemonArgsResult {
  return parseDaemonArgs(argv, env, {
    now: fixedNow,
    runtime: { nodeVersion: "v20.0.0", platform: "linux", arch: "x64" },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    },
  });
}

function config(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): DaemonConfig {
  const result = run(argv, env, files);
  assert.equal(result.kind, "run", result.kind === "error" ? result.message : result.kind);
  return result.config;
}

function failure(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): { message: string; exitCode: number } {
  const result = run(argv, env, files);
  assert.equal(result.kind, "error", `expected an error, got ${result.kind}`);
  return result;
}

describe("defaults", () => {
  it("are etcd's", () => {
    const c = config([]);
    assert.equal(c.name, "default");
    assert.equal(c.dataDir, "default.etcd");
    assert.equal(c.walDir, undefined);
    assert.deepEqual(c.listenClientUrls, ["http://localhost:2379"]);
    assert.deepEqual(c.advertiseClientUrls, ["http://localhost:2379"]);
    assert.deepEqual(c.listenPeerUrls, ["http://localhost:2380"]);
    assert.deepEqual(c.initialAdvertisePeerUrls, ["http://localhost:2380"]);
    assert.equal(c.initialCluster, "default=http://localhost:2380");
    assert.equal(c.initialClusterState, "new");
    assert.equal(c.initialClusterToken, "etcd-cluster");
    assert.equal(c.snapshotCount, 100000);
    assert.equal(c.heartbeatInterval, 100);
    assert.equal(c.electionTimeout, 1000);
    assert.equal(c.quotaBackendBytes, 0);
    assert.equal(c.maxRequestBytes, 1572864);
    assert.equal(c.maxTxnOps, 128);
    assert.equal(c.autoCompactionMode, "periodic");
    assert.equal(c.autoCompactionRetention, "0");
    assert.equal(c.authToken, "simple");
    assert.equal(c.bcryptCost, 10);
    assert.equal(c.authTokenTtl, 300);
    assert.deepEqual(c.listenMetricsUrls, []);
    assert.equal(c.logger, "capnslog");
    assert.equal(c.logLevel, "info");
    assert.deepEqual(c.logOutputs, ["default"]);
    assert.equal(c.experimentalEnableLeaseCheckpoint, false);
    assert.equal(c.enablePprof, false);
    assert.equal(c.grpcKeepAliveMinTime, 5000);
    assert.equal(c.maxConcurrentStreams, 4294967295);
  });
  it("derive the data dir and initial cluster from the name", () => {
    const c = config(["--name", "infra1", "--initial-advertise-peer-urls", "http://10.0.0.1:2380,http://10.0.0.2:2380"]);
    assert.equal(c.dataDir, "infra1.etcd");
    assert.equal(c.initialCluster, "infra1=http://10.0.0.1:2380,infra1=http://10.0.0.2:2380");
  });
});

describe("flag syntax (Go's flag package)", () => {
  it("accepts -flag, --flag, =value and separate values", () => {
    const c = config(["-name=a", "--data-dir", "/d", "-snapshot-count", "5", "--heartbeat-interval=50", "--election-timeout=500"]);
    assert.deepEqual([c.name, c.dataDir, c.snapshotCount, c.heartbeatInterval, c.electionTimeout], ["a", "/d", 5, 50, 500]);
  });
  it("reads booleans as --flag and --flag=false", () => {
    assert.equal(config(["--experimental-enable-lease-checkpoint"]).experimentalEnableLeaseCheckpoint, true);
    assert.equal(config(["--enable-pprof=false"]).enablePprof, false);
    assert.equal(config(["--strict-reconfig-check=0"]).strictReconfigCheck, false);
  });
  it("keeps the last of repeated flags", () => {
    assert.equal(config(["--name", "a", "--name", "b"]).name, "b");
  });
  it("stops at --", () => {
    assert.equal(failure(["--name", "a", "--", "--data-dir", "x"]).message.includes("'--data-dir' is not a valid flag"), true);
  });
  it("refuses an unknown flag as etcd: Go's message, the usage, exit 2", () => {
    const { message, exitCode } = failure(["--bogus-flag"]);
    assert.equal(exitCode, 2);
    assert.match(message, /^flag provided but not defined: -bogus-flag\nUsage:\n\n {2}etcd \[flags\]/);
  });
  it("refuses a missing value, bad syntax and a bad boolean with exit 2", () => {
    assert.deepEqual(head(failure(["--name"])), ["flag needs an argument: -name", 2]);
    assert.deepEqual(head(failure(["---x"])), ["bad flag syntax: ---x", 2]);
    assert.deepEqual(head(failure(["--debug=maybe"])), ['invalid boolean value "maybe" for -debug: parse error', 2]);
  });
  it("refuses invalid values with Go's texts, exit 2", () => {
    assert.deepEqual(head(failure(["--snapshot-count=abc"])), ['invalid value "abc" for flag -snapshot-count: parse error', 2]);
    assert.deepEqual(head(failure(["--max-txn-ops=-1"])), ['invalid value "-1" for flag -max-txn-ops: parse error', 2]);
    assert.deepEqual(head(failure(["--initial-cluster-state=foo"])), ['invalid value "foo" for flag -initial-cluster-state: invalid value', 2]);
    assert.deepEqual(head(failure(["--listen-client-urls=foo"])), ['invalid value "foo" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: foo', 2]);
  });
  it("refuses positional arguments with exit 1", () => {
    const { message, exitCode } = failure(["extra-arg"]);
    assert.equal(exitCode, 1);
    assert.equal(message, "2024-01-02 03:04:05.678000 E | etcdmain: error verifying flags, 'extra-arg' is not a valid flag. See 'etcd --help'.\n");
  });
  it("accepts etcd's retired flags with a warning", () => {
    const result = run(["--snapshot", "-v"]);
    assert.equal(result.kind, "run");
    assert.ok(result.kind === "run" && result.notes.some((note) => note.text === 'flag "-snapshot" is no longer supported - ignoring.'));
  });
  it("accepts every flag etcd defines", () => {
    for (const def of FLAGS) {
      if (["version", "config-file", "name"].includes(def.name) || def.support === "unsupported") continue;
      const value = SAMPLES[def.name] ?? sample(def.kind, def.choices);
      const arg = def.kind === "bool" || def.kind === "ignored" ? `--${def.name}` : `--${def.name}=${value}`;
      const result = run([arg, ...(def.name === "listen-client-urls" ? ["--advertise-client-urls=http://127.0.0.1:1"] : []), ...(def.name === "experimental-enable-lease-checkpoint-persist" ? ["--experimental-enable-lease-checkpoint"] : [])]);
      assert.equal(result.kind, "run", `${arg}: ${result.kind === "error" ? result.message : ""}`);
    }
  });
});

const SAMPLES: Record<string, string> = {
  "election-timeout": "1000", "log-level": "debug", logger: "zap", "auto-compaction-retention": "1h", "log-outputs": "stderr", "log-output": "stderr",
  "initial-cluster": "default=http://localhost:2380",
};

function sample(kind: string, choices: readonly string[] | undefined): string {
  if (choices?.[0] !== undefined) return choices[0];
  switch (kind) {
    case "urls": return "http://127.0.0.1:1";
    case "duration": return "1s";
    case "string": case "strings": return "";
    default: return "100";
  }
}

function head(failed: { message: string; exitCode: number }): [string, number] {
  return [failed.message.split("\n")[0] ?? "", failed.exitCode];
}

describe("validation (exit 1, etcd's messages)", () => {
  const cases: [string[], string][] = [
    [["--heartbeat-interval", "100", "--election-timeout", "499"], "--election-timeout[499ms] should be at least as 5 times as --heartbeat-interval[100ms]"],
    [["--election-timeout", "60000"], "--election-timeout[60000ms] is too long, and should be set less than 50000ms"],
    [["--heartbeat-interval", "0"], "--heartbeat-interval must be >0 (set to 0ms)"],
    [["--listen-client-urls", "http://127.0.0.1:2379"], "--advertise-client-urls is required when --listen-client-urls is set explicitly"],
    [["--listen-client-urls", "http://example.com:2379", "--advertise-client-urls", "http://127.0.0.1:2379"], "expected IP in URL for binding (http://example.com:2379)"],
    [["--advertise-client-urls", "http://:2379"], '--advertise-client-urls "http://:2379" must be "host:port" (unexpected empty host (http://:2379))'],
    [["--auto-compaction-mode", "foo"], 'unknown auto-compaction-mode "foo"'],
    [["--auto-compaction-retention", "abc"], 'error parsing CompactionRetention: time: invalid duration "abc"'],
    [["--logger", "bogus"], 'unknown logger option "bogus"'],
    [["--log-outputs", "foo"], 'unknown log-output "foo" (only supports "default", "stderr", "stdout")'],
    [["--experimental-enable-lease-checkpoint-persist"], "setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint"],
  ];
  for (const [argv, reason] of cases) {
    it(`${argv.join(" ")} → ${reason}`, () => {
      const { message, exitCode } = failure(argv);
      assert.equal(exitCode, 1);
      assert.ok(message.startsWith(`2024-01-02 03:04:05.678000 E | etcdmain: error verifying flags, ${reason}. See 'etcd --help'.\n`), message);
    });
  }
  it("adds etcd's hint when advertise-client-urls is missing", () => {
    assert.match(failure(["--listen-client-urls", "http://127.0.0.1:2379"]).message, /\n.* E \| etcdmain: When listening on specific address\(es\), this etcd process must advertise accessible url\(s\) to each connected client\.\n$/);
  });
  it("writes zap JSON when --logger=zap", () => {
    const line = JSON.parse(failure(["--logger", "zap", "--election-timeout", "200"]).message) as Record<string, unknown>;
    assert.deepEqual({ level: line["level"], msg: line["msg"], error: line["error"] }, {
      level: "warn", msg: "failed to verify flags", error: "--election-timeout[200ms] should be at least as 5 times as --heartbeat-interval[100ms]",
    });
  });
  it("refuses an unknown log level with exit 2 (etcd panics)", () => {
    assert.equal(failure(["--log-level", "bogus"]).exitCode, 2);
  });
  it("falls back to bcrypt cost 10 with a warning, as etcd", () => {
    const result = run(["--bcrypt-cost", "2"]);
    assert.ok(result.kind === "run");
    assert.equal(result.config.bcryptCost, 10);
    assert.ok(result.notes.some((note) => note.level === "warn" && note.text.includes("bcrypt-cost")));
  });
});

describe("initial cluster checks (a new member)", () => {
  it("refuses a name missing from --initial-cluster", () => {
    const { message, exitCode } = failure(["--name", "foo", "--initial-cluster", "bar=http://localhost:2380"]);
    assert.equal(exitCode, 1);
    assert.equal(message, `2024-01-02 03:04:05.678000 C | etcdmain: couldn't find local name "foo" in the initial cluster configuration\n`);
  });
  it("refuses a malformed --initial-cluster", () => {
    assert.match(failure(["--initial-cluster", "garbage"]).message, /C \| etcdmain: error setting up initial cluster: URL scheme must be http, https, unix, or unixs: \n$/);
  });
  it("refuses own peer URLs that differ from --initial-advertise-peer-urls", () => {
    assert.match(failure(["--initial-cluster", "default=http://10.0.0.9:2380"]).message,
      /--initial-cluster has default=http:\/\/10.0.0.9:2380 but missing from --initial-advertise-peer-urls=http:\/\/localhost:2380 \(resolved urls: "http:\/\/localhost:2380" != "http:\/\/10.0.0.9:2380"\)/);
  });
  it("skips them for a data dir that already holds a member", () => {
    const result = parseDaemonArgs(["--name", "foo", "--initial-cluster", "bar=http://localhost:2380"], {}, { isInitialized: () => true });
    assert.equal(result.kind, "run");
  });
  it("accepts a three-member cluster", () => {
    const c = config(["--name", "b", "--initial-advertise-peer-urls", "http://10.0.0.2:2380", "--listen-peer-urls", "http://10.0.0.2:2380",
      "--initial-cluster", "a=http://10.0.0.1:2380,b=http://10.0.0.2:2380,c=http://10.0.0.3:2380", "--initial-cluster-state", "existing"]);
    assert.equal(c.initialClusterState, "existing");
    assert.equal(c.initialCluster, "a=http://10.0.0.1:2380,b=http://10.0.0.2:2380,c=http://10.0.0.3:2380");
  });
});

describe("ETCD_* environment", () => {
  it("maps names upper-cased with - to _", () => {
    assert.equal(flagToEnv("initial-cluster-token"), "ETCD_INITIAL_CLUSTER_TOKEN");
    const c = config([], { ETCD_NAME: "envname", ETCD_DATA_DIR: "/env", ETCD_SNAPSHOT_COUNT: "42", ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT: "true" });
    assert.deepEqual([c.name, c.dataDir, c.snapshotCount, c.experimentalEnableLeaseCheckpoint], ["envname", "/env", 42, true]);
    assert.equal(c.initialCluster, "envname=http://localhost:2380");
  });
  it("counts as set for the advertise-client-urls rule", () => {
    assert.match(failure([], { ETCD_LISTEN_CLIENT_URLS: "http://127.0.0.1:2379" }).message, /--advertise-client-urls is required/);
  });
  it("refuses a variable its flag shadows, as etcd (critical, exit 1)", () => {
    const { message, exitCode } = failure(["--name", "y"], { ETCD_NAME: "x" });
    assert.equal(exitCode, 1);
    assert.equal(message, `2024-01-02 03:04:05.678000 C | pkg/flags: conflicting environment variable "ETCD_NAME" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)\n`);
  });
  it("refuses the shadowed variable even when empty, as etcd", () => {
    assert.equal(failure(["--name", "y"], { ETCD_NAME: "" }).exitCode, 1);
  });
  it("warns about unrecognized ETCD_ variables, and ignores others", () => {
    const result = run([], { ETCD_FOO: "1", PATH: "/bin", ETCDCTL_API: "3" });
    assert.ok(result.kind === "run");
    assert.deepEqual(result.notes.filter((note) => note.level === "warn" && note.pkg === "pkg/flags").map((note) => note.text), ["unrecognized environment variable ETCD_FOO=1"]);
  });
  it("reports an invalid value with the variable's name", () => {
    const { message, exitCode } = failure([], { ETCD_SNAPSHOT_COUNT: "abc" });
    assert.equal(exitCode, 1);
    assert.match(message, /error verifying flags, invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error\. See 'etcd --help'\./);
  });
  it("validates the merged result", () => {
    assert.match(failure([], { ETCD_HEARTBEAT_INTERVAL: "100", ETCD_ELECTION_TIMEOUT: "200" }).message, /--election-timeout\[200ms\] should be at least as 5 times/);
  });
});

describe("--config-file", () => {
  const yaml = [
    "name: 'infra0'",
    "data-dir: /var/lib/etcd",
    "listen-client-urls: http://127.0.0.1:2379,http://10.0.0.1:2379",
    "advertise-client-urls: http://10.0.0.1:2379",
    "listen-peer-urls: http://10.0.0.1:2380",
    "initial-advertise-peer-urls: http://10.0.0.1:2380",
    "initial-cluster: infra0=http://10.0.0.1:2380",
    "initial-cluster-state: new",
    "snapshot-count: 5000",
    "heartbeat-interval: 50",
    "election-timeout: 500",
    "quota-backend-bytes: 8589934592",
    "auto-compaction-mode: revision",
    "auto-compaction-retention: '1000'",
    "log-outputs: [stderr]",
    "logger: zap",
    "grpc-keepalive-min-time: 3000000000",
    "experimental-enable-lease-checkpoint: true",
    "client-transport-security:",
    "  cert-file: /c.pem",
    "  client-cert-auth: true",
  ].join("\n");

  it("reads etcd's keys", () => {
    const c = config(["--config-file", "/etc/etcd.yml"], {}, { "/etc/etcd.yml": yaml });
    assert.equal(c.name, "infra0");
    assert.equal(c.dataDir, "/var/lib/etcd");
    assert.deepEqual(c.listenClientUrls, ["http://10.0.0.1:2379", "http://127.0.0.1:2379"]);
    assert.equal(c.snapshotCount, 5000);
    assert.equal(c.electionTimeout, 500);
    assert.equal(c.quotaBackendBytes, 8589934592);
    assert.equal(c.autoCompactionMode, "revision");
    assert.deepEqual(c.logOutputs, ["stderr"]);
    assert.equal(c.logger, "zap");
    assert.equal(c.grpcKeepAliveMinTime, 3000);
    assert.equal(c.experimentalEnableLeaseCheckpoint, true);
    assert.equal(c.clientTls.certFile, "/c.pem");
    assert.equal(c.clientTls.clientCertAuth, true);
    assert.equal(c.configFile, "/etc/etcd.yml");
  });
  it("ignores other flags and ETCD_* variables, as etcd", () => {
    const c = config(["--config-file", "/c.yml", "--name", "flagname"], { ETCD_NAME: "envname", ETCD_BOGUS: "1" }, { "/c.yml": "name: filename\n" });
    assert.equal(c.name, "filename");
    assert.equal(c.initialCluster, "filename=http://localhost:2380");
  });
  it("is found through ETCD_CONFIG_FILE", () => {
    assert.equal(config([], { ETCD_CONFIG_FILE: "/c.yml" }, { "/c.yml": "name: fromfile\n" }).name, "fromfile");
  });
  it("keeps etcd's defaults for keys it does not set", () => {
    const c = config(["--config-file", "/c.yml"], {}, { "/c.yml": "" });
    assert.equal(c.name, "default");
    assert.equal(c.dataDir, "default.etcd");
  });
  it("refuses values of the wrong type with Go's decoding message", () => {
    assert.match(failure(["--config-file", "/c.yml"], {}, { "/c.yml": "snapshot-count: abc\n" }).message,
      /error verifying flags, error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field configYAML\.snapshot-count of type uint64\. See 'etcd --help'\./);
  });
  it("refuses malformed YAML and a missing file", () => {
    assert.match(failure(["--config-file", "/c.yml"], {}, { "/c.yml": "name: [oops\n" }).message, /error verifying flags, error converting YAML to JSON: yaml: /);
    assert.match(failure(["--config-file", "/nope.yml"]).message, /error verifying flags, open \/nope\.yml: no such file or directory\. See 'etcd --help'\./);
  });
  it("validates as for flags", () => {
    assert.match(failure(["--config-file", "/c.yml"], {}, { "/c.yml": "heartbeat-interval: 100\nelection-timeout: 300\n" }).message, /--election-timeout\[300ms\]/);
    assert.match(failure(["--config-file", "/c.yml"], {}, { "/c.yml": "initial-cluster-state: foo\n" }).message, /unexpected clusterState "foo"/);
  });
  it("refuses a bad URL list without the verifying prefix, as etcd", () => {
    assert.equal(failure(["--config-file", "/c.yml"], {}, { "/c.yml": "listen-client-urls: foo\n" }).message,
      "unexpected error setting up listen-client-urls: URL scheme must be http, https, unix, or unixs: foo\n");
  });
  it("warns about keys etcd does not know", () => {
    const result = run(["--config-file", "/c.yml"], {}, { "/c.yml": "nmae: typo\n" });
    assert.ok(result.kind === "run" && result.notes.some((note) => note.level === "warn" && note.text.includes('"nmae"')));
  });
});

describe("--version and --help", () => {
  it("prints etcd's version line first, then ours", () => {
    const result = run(["--version"]);
    assert.deepEqual(result, { kind: "version", text: "etcd Version: 3.4.23\nAPI Version: 3.4\netcd-ts Version: 0.1.0\nNode Version: v20.0.0\nOS/Arch: linux/x64\n" });
  });
  it("--version wins over bad settings but not over bad flags", () => {
    assert.equal(run(["--election-timeout=1", "--version"]).kind, "version");
    assert.equal(run(["--version", "--bogus"]).kind, "error");
    assert.equal(run(["--version", "extra"]).kind, "error");
  });
  it("-h, -help and --help print the usage and every flag section", () => {
    for (const flag of ["-h", "-help", "--help", "--h"]) {
      const result = run(["--name", "x", flag]);
      assert.ok(result.kind === "help", flag);
      assert.match(result.usage, /^Usage:\n\n {2}etcd \[flags\]\n/);
      for (const section of ["Member:", "Clustering:", "Security:", "Auth:", "Profiling and Monitoring:", "Logging:", "Experimental feature:"]) {
        assert.ok(result.text.includes(`\n${section}\n`), section);
      }
      assert.ok(result.text.includes("  --name 'default'\n"));
      assert.ok(result.text.includes("  --data-dir '${name}.etcd'\n"));
      assert.ok(result.text.includes("  --initial-cluster 'default=http://localhost:2380'\n"));
      assert.ok(result.text.includes("  --grpc-keepalive-interval '2h0m0s'\n"));
    }
  });
});

describe("what etcd-ts does not do", () => {
  it("refuses discovery and the v2 proxy", () => {
    assert.match(failure(["--discovery", "https://discovery.etcd.io/x"]).message, /does not support discovery/);
    assert.match(failure(["--proxy", "on"]).message, /does not support the v2 proxy/);
  });
  it("refuses etcd's gateway and grpc-proxy commands", () => {
    assert.equal(failure(["gateway", "start"]).exitCode, 1);
  });
});
