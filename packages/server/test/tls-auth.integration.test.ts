// Auth by client certificate, side by side with the real etcd 3.4.23: both run with
// --client-cert-auth and the same CA; the real etcdctl presents certificates with CN root, alice
// or bob (no such user). With auth enabled and no token, the CN is the user; a token (etcdctl
// --user) wins over the CN; the JSON gateway refuses CN-bearing certificates, as etcd does.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { makeTlsFixtures, opensslAvailable, startMember, type Member, type TlsFixtures } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";
import { etcdctl, normalize } from "./support/etcdctl.js";
import { https, tlsFlags } from "./support/tlsClient.js";

const skip = opensslAvailable() ? false : "no openssl CLI";
let fixtures: TlsFixtures;
let real: Member;
let ours: Etcd;
let endpoints: { real: string; ours: string };

before(async () => {
  if (skip) return;
  fixtures = makeTlsFixtures();
  const root = fixtures.client("root");
  [real, ours] = await Promise.all([
    startMember({ binary: "etcd", tls: { ca: fixtures.ca, cert: fixtures.server.cert, key: fixtures.server.key, clientCertAuth: true, client: root } }),
    startEtcd({
      listenClientUrls: ["https://127.0.0.1:0"],
      advertiseClientUrls: ["https://127.0.0.1:0"],
      clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key, trustedCaFile: fixtures.ca, clientCertAuth: true },
    }),
  ]);
  endpoints = { real: real.clientAddress, ours: ours.clientUrls[0]!.replace("https://", "") };
});

after(async () => {
  await Promise.all([real?.stop(), ours?.close()]);
  fixtures?.remove();
});

interface Step {
  /** as: the CN of the certificate etcdctl presents. */
  readonly as: "root" | "alice" | "bob";
  readonly args: readonly string[];
  /** fails: etcd itself fails this step. */
  readonly fails?: boolean;
}

const steps: Step[] = [
  { as: "root", args: ["user", "add", "root:rootpw"] },
  { as: "root", args: ["role", "add", "root"] },
  { as: "root", args: ["user", "grant-role", "root", "root"] },
  { as: "root", args: ["user", "add", "alice:alicepw"] },
  { as: "root", args: ["role", "add", "reader"] },
  { as: "root", args: ["role", "grant-permission", "reader", "read", "pub/", "--prefix=true"] },
  { as: "root", args: ["user", "grant-role", "alice", "reader"] },
  { as: "alice", args: ["put", "pub/x", "0"] }, // auth is off: anyone may write
  { as: "root", args: ["auth", "enable"] },
  { as: "root", args: ["put", "pub/x", "1"] }, // CN root, no token
  { as: "alice", args: ["get", "pub/x"] },
  { as: "alice", args: ["put", "pub/x", "2"], fails: true },
  { as: "alice", args: ["user", "list"], fails: true },
  { as: "root", args: ["user", "list"] },
  { as: "bob", args: ["get", "pub/x"], fails: true }, // a CN that names no user
  { as: "bob", args: ["user", "list"], fails: true },
  // A token wins over the CN, both ways.
  { as: "alice", args: ["--user", "root:rootpw", "put", "pub/x", "3"] },
  { as: "root", args: ["--user", "alice:alicepw", "put", "pub/x", "4"], fails: true },
  { as: "root", args: ["--user", "alice:wrong", "get", "pub/x"], fails: true },
  { as: "alice", args: ["get", "pub/x", "--print-value-only"] },
  { as: "root", args: ["auth", "disable"] },
  { as: "bob", args: ["put", "pub/x", "5"] },
];

test("auth by client certificate CN: etcd 3.4.23 and etcd-ts agree step by step", { skip, timeout: 180_000 }, async () => {
  const differences: string[] = [];
  for (const step of steps) {
    const flags = tlsFlags(fixtures.ca, fixtures.client(step.as));
    const [fromReal, fromOurs] = await Promise.all([etcdctl(endpoints.real, [...flags, ...step.args]), etcdctl(endpoints.ours, [...flags, ...step.args])]);
    const label = `[${step.as}] etcdctl ${step.args.join(" ")}`;
    if ((fromReal.code !== 0) !== (step.fails === true)) differences.push(`${label}: etcd itself ${fromReal.code === 0 ? "succeeded" : "failed"}, the step says otherwise\n  ${fromReal.stderr}`);
    const a = { code: fromReal.code, stdout: normalize(fromReal.stdout, endpoints.real), stderr: normalize(fromReal.stderr, endpoints.real) };
    const b = { code: fromOurs.code, stdout: normalize(fromOurs.stdout, endpoints.ours), stderr: normalize(fromOurs.stderr, endpoints.ours) };
    try {
      assert.deepEqual(b, a);
    } catch {
      differences.push(`${label}\n  etcd:    ${JSON.stringify(a)}\n  etcd-ts: ${JSON.stringify(b)}`);
    }
  }
  assert.equal(differences.length, 0, `\n${differences.join("\n")}`);
});

test("the JSON gateway refuses a CN-bearing certificate once auth is on, as etcd does", { skip, timeout: 120_000 }, async () => {
  const root = fixtures.client("root");
  const flags = tlsFlags(fixtures.ca, root);
  const call = async (endpoint: string, path: string): Promise<{ status: number; type: string; body: string }> => {
    const result = await https(`https://${endpoint}${path}`, { ca: fixtures.ca, client: root, method: "POST", body: JSON.stringify({ key: Buffer.from("pub/x").toString("base64") }) });
    return { status: result.status, type: String(result.headers["content-type"]), body: result.body };
  };
  const setup = [["user", "add", "root:rootpw"], ["role", "add", "root"], ["user", "grant-role", "root", "root"], ["auth", "enable"]];
  for (const endpoint of [endpoints.real, endpoints.ours]) {
    // Users may exist from the first test; what matters is that auth is on.
    for (const args of setup) await etcdctl(endpoint, [...flags, ...args]);
  }
  try {
    for (const path of ["/v3/kv/range", "/v3beta/kv/range"]) {
      const [fromReal, fromOurs] = await Promise.all([call(endpoints.real, path), call(endpoints.ours, path)]);
      assert.equal(fromReal.status, 400);
      assert.deepEqual(fromOurs, fromReal, path);
    }
    // /health is not the gateway: served.
    const health = await https(`https://${endpoints.ours}/health`, { ca: fixtures.ca, client: root });
    assert.equal(health.status, 200);
  } finally {
    for (const endpoint of [endpoints.real, endpoints.ours]) await etcdctl(endpoint, [...flags, "auth", "disable"]);
  }
});
