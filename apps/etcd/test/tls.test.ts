// Client TLS through the daemon's front end: etcd's security flags, ETCD_* variables and the
// config file's client-transport-security into `clientTls`; etcd's warnings; the start-up
// errors side by side with the real etcd 3.4 (same exit code and critical line); and
// bin/etcd.js serving the real etcdctl over mutual TLS and over auto TLS.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, makeTlsFixtures, opensslAvailable, type TlsFixtures } from "@etcd-ts/testkit";
import { parseDaemonArgs, type DaemonArgsResult, type DaemonConfig } from "../src/index.js";

const BIN = join(import.meta.dirname, "..", "bin", "etcd.js");
const ETCD = process.env["ETCD_BINARY"] ?? "etcd";
const etcdInstalled = spawnSync(ETCD, ["--version"], { encoding: "utf8" }).stdout?.startsWith("etcd Version: 3.4") ?? false;
const hasOpenssl = opensslAvailable();
const work = mkdtempSync(join(tmpdir(), "etcd-ts-tls-"));
let fixtures: TlsFixtures;
before(() => {
  if (hasOpenssl) fixtures = makeTlsFixtures();
});
after(() => {
  fixtures?.remove();
  rmSync(work, { recursive: true, force: true });
});

function parse(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): Extract<DaemonArgsResult, { kind: "run" }> {
  const result = parseDaemonArgs(argv, env, { readFile: (path) => files[path] ?? "", now: () => new Date(2024, 0, 2) });
  assert.equal(result.kind, "run", result.kind === "error" ? result.message : result.kind);
  return result;
}
const configOf = (argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): DaemonConfig => parse(argv, env, files).config;

describe("client TLS settings", () => {
  it("come from etcd's flags", () => {
    const c = configOf(["--cert-file", "/s.pem", "--key-file=/s-key.pem", "--trusted-ca-file", "/ca.pem", "--client-cert-auth", "--client-crl-file", "/crl.pem",
      "--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "--client-cert-allowed-hostname", "a.example.com"]);
    assert.deepEqual(c.clientTls, {
      certFile: "/s.pem", keyFile: "/s-key.pem", trustedCaFile: "/ca.pem", clientCertAuth: true, autoTls: false,
      cipherSuites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"], crlFile: "/crl.pem", allowedHostname: "a.example.com",
    });
    assert.deepEqual(configOf([]).clientTls, { certFile: "", keyFile: "", trustedCaFile: "", clientCertAuth: false, autoTls: false, cipherSuites: [], crlFile: "", allowedHostname: "" });
  });

  it("come from ETCD_* variables and the config file's client-transport-security", () => {
    const fromEnv = configOf([], { ETCD_CERT_FILE: "/e.pem", ETCD_KEY_FILE: "/e-key.pem", ETCD_AUTO_TLS: "true", ETCD_CIPHER_SUITES: "TLS_AES_128_GCM_SHA256" });
    assert.equal(fromEnv.clientTls.certFile, "/e.pem");
    assert.equal(fromEnv.clientTls.autoTls, true);
    assert.deepEqual(fromEnv.clientTls.cipherSuites, ["TLS_AES_128_GCM_SHA256"]);
    const yaml = ["client-transport-security:", "  cert-file: /f.pem", "  key-file: /f-key.pem", "  trusted-ca-file: /fca.pem", "  client-cert-auth: true", "  auto-tls: false", "cipher-suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]"].join("\n");
    const fromFile = configOf(["--config-file", "/etcd.yml"], {}, { "/etcd.yml": yaml });
    assert.deepEqual(fromFile.clientTls, { certFile: "/f.pem", keyFile: "/f-key.pem", trustedCaFile: "/fca.pem", clientCertAuth: true, autoTls: false, cipherSuites: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"], crlFile: "", allowedHostname: "" });
  });

  it("keep --cipher-suites as etcd splits it (no trimming, an empty flag is one empty name)", () => {
    assert.deepEqual(configOf(["--cipher-suites", "A, B"]).clientTls.cipherSuites, ["A", " B"]);
    assert.deepEqual(configOf(["--cipher-suites", ""]).clientTls.cipherSuites, [""]);
  });

  it("draw etcd's warnings for http:// URLs with TLS flags, and for auto TLS with certificates", () => {
    const url = "http://127.0.0.1:2379";
    const { notes } = parse(["--listen-client-urls", url, "--advertise-client-urls", url, "--cert-file", "/s.pem", "--key-file", "/k.pem", "--client-cert-auth", "--auto-tls"]);
    const texts = notes.filter((n) => n.level === "warn" && n.pkg === "embed").map((n) => n.text);
    assert.deepEqual(texts, [
      "ignoring client auto TLS since certs given",
      `The scheme of client url ${url} is HTTP while peer key/cert files are presented. Ignored key/cert files.`,
      `The scheme of client url ${url} is HTTP while client cert auth (--client-cert-auth) is enabled. Ignored client cert auth for this url.`,
    ]);
  });
});

/** criticalLine is etcd's `C | etcdmain: ...` line, without its timestamp and ports. */
function criticalLine(stderr: string): string {
  const line = stderr.split("\n").find((text) => / C \| /.test(text)) ?? "";
  return line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /, "").replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT");
}

describe("start-up errors: etcd 3.4 and etcd-ts agree", { skip: etcdInstalled && hasOpenssl ? false : "needs etcd 3.4 and openssl", timeout: 180_000 }, () => {
  const cases: readonly { title: string; flags: () => string[] }[] = [
    { title: "unknown cipher suite", flags: () => ["--cipher-suites", "TLS_FOO"] },
    { title: "cipher suite with a space after the comma", flags: () => ["--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"] },
    { title: "https URL without certificate", flags: () => ["--listen-client-urls", "https://127.0.0.1:CLIENT", "--advertise-client-urls", "https://127.0.0.1:CLIENT"] },
    { title: "https URL with a certificate but no key", flags: () => ["--listen-client-urls", "https://127.0.0.1:CLIENT", "--advertise-client-urls", "https://127.0.0.1:CLIENT", "--cert-file", fixtures.server.cert] },
    { title: "missing certificate file", flags: () => ["--listen-client-urls", "https://127.0.0.1:CLIENT", "--advertise-client-urls", "https://127.0.0.1:CLIENT", "--cert-file", join(work, "nope.pem"), "--key-file", fixtures.server.key] },
    { title: "key of another certificate", flags: () => ["--listen-client-urls", "https://127.0.0.1:CLIENT", "--advertise-client-urls", "https://127.0.0.1:CLIENT", "--cert-file", fixtures.server.cert, "--key-file", fixtures.client("root").key] },
  ];
  for (const testCase of cases) {
    it(testCase.title, async () => {
      const run = async (binary: string[]): Promise<{ status: number | null; stderr: string }> => {
        const client = await freePort();
        const peer = await freePort();
        const dir = mkdtempSync(join(work, "case-"));
        const argv = [
          "--data-dir", join(dir, "data"), "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
          "--initial-cluster", `default=http://127.0.0.1:${peer}`, "--listen-client-urls", `http://127.0.0.1:${client}`, "--advertise-client-urls", `http://127.0.0.1:${client}`,
          ...testCase.flags().map((flag) => flag.replace("CLIENT", String(client))),
        ];
        const [command, ...prefix] = binary;
        return new Promise((resolve) => {
          const child = spawn(command!, [...prefix, ...argv], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
          let stderr = "";
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
          child.on("exit", (status) => (clearTimeout(timer), resolve({ status, stderr })));
        });
      };
      const [real, ours] = await Promise.all([run([ETCD]), run([process.execPath, BIN])]);
      assert.equal(real.status, 1, `etcd should have failed:\n${real.stderr}`);
      assert.equal(ours.status, real.status, ours.stderr);
      assert.notEqual(criticalLine(real.stderr), "");
      assert.equal(criticalLine(ours.stderr), criticalLine(real.stderr));
    });
  }
});

/** startDaemon runs bin/etcd.js until it logs that it serves clients. */
async function startDaemon(args: string[]): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready within 30 s:\n${log}`));
    }, 30_000);
    child.stderr.on("data", () => /serving client requests on 127\.0\.0\.1:\d+/.test(log) && (clearTimeout(timer), resolve()));
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited with ${code}:\n${log}`))));
  });
  return { child, log: () => log };
}

async function stopDaemon(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}

function etcdctl(port: number, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("etcdctl", ["--endpoints", `127.0.0.1:${port}`, "--dial-timeout", "5s", "--command-timeout", "5s", ...args], { env: { ...process.env, ETCDCTL_API: "3" }, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("bin/etcd over TLS", { skip: hasOpenssl ? false : "no openssl CLI", timeout: 180_000 }, () => {
  it("serves etcdctl over mutual TLS, the CN as the user once auth is on", async () => {
    const dataDir = mkdtempSync(join(work, "mtls-"));
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const daemon = await startDaemon([
      "--data-dir", dataDir, "--listen-client-urls", url, "--advertise-client-urls", url,
      "--cert-file", fixtures.server.cert, "--key-file", fixtures.server.key, "--trusted-ca-file", fixtures.ca, "--client-cert-auth",
    ]);
    try {
      assert.match(daemon.log(), new RegExp(`I \\| embed: ClientTLS: cert = ${fixtures.server.cert}, key = ${fixtures.server.key}, trusted-ca = ${fixtures.ca}, client-cert-auth = true, crl-file = \\n`));
      assert.match(daemon.log(), /I \| embed: serving client requests on 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(daemon.log(), /serving insecure/);
      const root = ["--cacert", fixtures.ca, "--cert", fixtures.client("root").cert, "--key", fixtures.client("root").key];
      for (const args of [["user", "add", "root:pw"], ["role", "add", "root"], ["user", "grant-role", "root", "root"], ["auth", "enable"], ["put", "k", "v"]]) {
        const result = etcdctl(port, ...root, ...args);
        assert.equal(result.status, 0, `${args.join(" ")}: ${result.stderr}`);
      }
      const noCert = etcdctl(port, "--cacert", fixtures.ca, "--command-timeout", "2s", "get", "k");
      assert.notEqual(noCert.status, 0);
      // etcd's log line for the refused handshake (the daemon's output is read while we wait).
      const rejected = /I \| embed: rejected connection from "127\.0\.0\.1:\d+" \(error "tls: client didn't provide a certificate"\)/;
      for (let waited = 0; !rejected.test(daemon.log()) && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(daemon.log(), rejected);
      assert.equal(etcdctl(port, ...root, "get", "k", "--print-value-only").stdout, "v\n");
      assert.equal(await stopDaemon(daemon.child), 0);
    } finally {
      await stopDaemon(daemon.child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("serves etcdctl over auto TLS, the certificate kept in <data-dir>/fixtures/client", async () => {
    const dataDir = mkdtempSync(join(work, "autotls-"));
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const daemon = await startDaemon(["--data-dir", dataDir, "--listen-client-urls", url, "--advertise-client-urls", url, "--auto-tls"]);
    try {
      assert.ok(existsSync(join(dataDir, "fixtures", "client", "cert.pem")));
      assert.ok(existsSync(join(dataDir, "fixtures", "client", "key.pem")));
      const insecure = ["--insecure-transport=false", "--insecure-skip-tls-verify"];
      const put = etcdctl(port, ...insecure, "put", "auto", "tls");
      assert.equal(put.status, 0, put.stderr);
      assert.equal(etcdctl(port, ...insecure, "get", "auto", "--print-value-only").stdout, "tls\n");
    } finally {
      await stopDaemon(daemon.child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
