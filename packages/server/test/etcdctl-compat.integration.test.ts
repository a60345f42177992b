// The real etcdctl cannot tell our server from etcd: the same commands, in the same order,
// against the real etcd 3.4.23 and against ours, give the same output and exit codes (after
// normalizing what legitimately differs: IDs, terms, raft indexes, sizes, endpoints).
//
// Three passes: cleartext; server TLS (etcdctl --cacert); mutual TLS (--client-cert-auth on both
// servers, etcdctl --cacert --cert --key with a certificate whose CN names no user, so that the
// auth steps keep their meaning). Both servers get the same TLS flags, so etcd stays the oracle.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeTlsFixtures, opensslAvailable, startMember, type Member, type TlsFixtures } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";
import { etcdctl, normalize, type EtcdctlResult } from "./support/etcdctl.js";
import { tlsFlags } from "./support/tlsClient.js";

type Mode = "cleartext" | "server TLS" | "mutual TLS";
const MODES: readonly Mode[] = opensslAvailable() ? ["cleartext", "server TLS", "mutual TLS"] : ["cleartext"];

let fixtures: TlsFixtures | undefined;
before(() => {
  if (MODES.length > 1) fixtures = makeTlsFixtures();
});
after(() => fixtures?.remove());

/** Servers is one pass's pair of members and the etcdctl flags that reach them. */
interface Servers {
  readonly real: Member;
  readonly ours: Etcd;
  readonly realEndpoint: string;
  readonly ourEndpoint: string;
  readonly flags: readonly string[];
  readonly captured: Record<"real" | "ours", Record<string, string>>;
}

/** The name the real etcd is started with; ours takes the same, so `member list` compares whole. */
const REAL_NAME = "oracle";

/** Where each server's `snapshot save` goes (removed with the process's temporary files). */
function snapshotFiles(): Servers["captured"] {
  const dir = mkdtempSync(join(tmpdir(), "etcdctl-compat-"));
  snapshotDirs.push(dir);
  return { real: { snapshotFile: join(dir, "real.db") }, ours: { snapshotFile: join(dir, "ours.db") } };
}
const snapshotDirs: string[] = [];
after(() => {
  for (const dir of snapshotDirs) rmSync(dir, { recursive: true, force: true });
});

async function startServers(mode: Mode): Promise<Servers> {
  if (mode === "cleartext" || !fixtures) {
    const [real, ours] = await Promise.all([startMember({ binary: "etcd", name: REAL_NAME }), startEtcd({ name: REAL_NAME, listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] })]);
    return { real, ours, realEndpoint: real.clientAddress, ourEndpoint: ours.clientUrls[0]!.replace("http://", ""), flags: [], captured: snapshotFiles() };
  }
  const mutual = mode === "mutual TLS";
  const client = fixtures.client("etcdctl-compat");
  const [real, ours] = await Promise.all([
    startMember({ binary: "etcd", name: REAL_NAME, tls: { ca: fixtures.ca, cert: fixtures.server.cert, key: fixtures.server.key, clientCertAuth: mutual, client } }),
    startEtcd({
      name: REAL_NAME,
      listenClientUrls: ["https://127.0.0.1:0"],
      advertiseClientUrls: ["https://127.0.0.1:0"],
      clientTls: { certFile: fixtures.server.cert, keyFile: fixtures.server.key, ...(mutual ? { trustedCaFile: fixtures.ca, clientCertAuth: true } : {}) },
    }),
  ]);
  const flags = tlsFlags(fixtures.ca, mutual ? client : undefined);
  return { real, ours, realEndpoint: real.clientAddress, ourEndpoint: ours.clientUrls[0]!.replace("https://", ""), flags, captured: snapshotFiles() };
}

interface Step {
  readonly args: readonly string[];
  readonly stdin?: string;
  readonly timeoutMs?: number;
  /** fails: etcd itself fails this step (its error output is what is compared). */
  readonly fails?: boolean;
  /** capture: remember the first word matching this regex group under a name for later `{name}`. */
  readonly capture?: [string, RegExp];
  /** resigns: stopped by the timeout, the command leaves cleanly (elect resigns) and exits 0. */
  readonly resigns?: true;
  /** json: false leaves out the step's `-w json` twin (see `withJsonTwins`). */
  readonly json?: false;
  /** twin: this step is the `-w json` rerun of the one before it (its failure is not asserted). */
  readonly twin?: true;
}

async function runBoth(servers: Servers, step: Step): Promise<[EtcdctlResult, EtcdctlResult]> {
  const { captured } = servers;
  const fill = (who: "real" | "ours"): string[] => [...servers.flags, ...step.args.map((a) => a.replace(/\{(\w+)\}/g, (_m, name: string) => captured[who][name] ?? ""))];
  const options = { ...(step.stdin !== undefined ? { stdin: step.stdin } : {}), ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}) };
  const results = await Promise.all([etcdctl(servers.realEndpoint, fill("real"), options), etcdctl(servers.ourEndpoint, fill("ours"), options)]);
  // Each server's snapshot has its own file: the outputs name it the same way.
  for (const [i, who] of [[0, "real"], [1, "ours"]] as const) {
    const file = captured[who]["snapshotFile"]!;
    results[i] = { ...results[i], stdout: results[i].stdout.replaceAll(file, "<SNAPSHOT>"), stderr: results[i].stderr.replaceAll(file, "<SNAPSHOT>") };
  }
  if (step.capture) {
    const [name, pattern] = step.capture;
    for (const [who, result] of [["real", results[0]], ["ours", results[1]]] as const) {
      const match = pattern.exec(result.stdout);
      if (match) captured[who][name] = match[1]!;
    }
  }
  return results;
}

const steps: Step[] = [
  { args: ["put", "foo", "bar"] },
  { args: ["get", "foo"] },
  { args: ["get", "foo", "-w", "json"] },
  { args: ["put", "foo", "baz", "--prev-kv"] },
  { args: ["get", "foo", "--print-value-only"] },
  { args: ["put", "a", "1"] },
  { args: ["put", "b", "2"] },
  { args: ["put", "c", "3"] },
  { args: ["get", "a", "d"] },
  { args: ["get", "a", "--from-key", "--limit", "2"] },
  { args: ["get", "a", "z", "--sort-by=MODIFY", "--order=DESCEND"] },
  { args: ["get", "a", "z", "--keys-only"] },
  { args: ["get", "a", "z", "--limit", "1", "-w", "json"] },
  { args: ["get", "", "--prefix", "-w", "fields"] },
  { args: ["get", "foo", "--rev", "2"] },
  { args: ["del", "b", "--prev-kv"] },
  { args: ["del", "nothing"] },
  { args: ["txn", "-w", "json"], stdin: 'value("foo") = "baz"\n\nput foo qux\nget foo\n\nput foo nope\n\n' },
  { args: ["txn"], stdin: 'version("foo") = "99"\n\nput x y\n\nget foo\n\n' },
  { args: ["put", "", "v"], fails: true },
  { args: ["put", "foo", "--ignore-value"] },
  { args: ["put", "newkey", "--ignore-value"], fails: true },
  { args: ["lease", "grant", "100"], capture: ["lease", /lease ([0-9a-f]+) granted/] },
  { args: ["put", "leased", "v", "--lease={lease}"] },
  { args: ["lease", "timetolive", "{lease}", "--keys"] },
  { args: ["lease", "keep-alive", "--once", "{lease}"] },
  { args: ["lease", "revoke", "{lease}"] },
  { args: ["get", "leased"] },
  { args: ["lease", "revoke", "{lease}"], fails: true },
  { args: ["lease", "timetolive", "{lease}"] },
  { args: ["put", "k", "v", "--lease=123abc"], fails: true },
  { args: ["watch", "foo", "--rev", "1"], timeoutMs: 1500 },
  { args: ["lease", "list"] },
  { args: ["lock", "mylock", "echo", "locked"] },
  // The leader's key names its lease; in json its base64 cannot be normalized, so no twin.
  { args: ["elect", "myelection", "proposal"], timeoutMs: 1500, json: false, resigns: true },
  { args: ["endpoint", "hashkv"] },
  { args: ["compaction", "5"] },
  { args: ["get", "foo", "--rev", "3"], fails: true },
  { args: ["get", "foo", "--rev", "1000"], fails: true },
  { args: ["compaction", "3"], fails: true },
  { args: ["alarm", "list"] },
  { args: ["alarm", "disarm"] },
  { args: ["defrag"] },
  { args: ["snapshot", "save", "{snapshotFile}"] },
  { args: ["endpoint", "health"] },
  { args: ["endpoint", "status", "-w", "json"] },
  { args: ["member", "list"] },
  { args: ["endpoint", "status"] },
  // Auth, last: once enabled, every command needs a user.
  { args: ["user", "add", "root:rootpw"] },
  { args: ["user", "add", "alice:alicepw"] },
  { args: ["user", "add", "alice:again"], fails: true },
  { args: ["role", "add", "root"] },
  { args: ["role", "add", "reader"] },
  { args: ["role", "grant-permission", "reader", "read", "pub/", "--prefix=true"] },
  { args: ["role", "grant-permission", "reader", "readwrite", "alice/", "--prefix=true"] },
  { args: ["user", "grant-role", "root", "root"] },
  { args: ["user", "grant-role", "alice", "reader"] },
  { args: ["user", "grant-role", "alice", "nosuchrole"], fails: true },
  { args: ["role", "get", "reader"] },
  { args: ["user", "get", "alice"] },
  { args: ["user", "list"] },
  { args: ["role", "list"] },
  { args: ["auth", "enable"] },
  { args: ["put", "pub/x", "1"], fails: true },
  { args: ["--user", "root:rootpw", "put", "pub/x", "1"] },
  { args: ["--user", "alice:alicepw", "get", "pub/x"] },
  { args: ["--user", "alice:alicepw", "put", "pub/x", "2"], fails: true },
  { args: ["--user", "alice:alicepw", "put", "alice/y", "3"] },
  { args: ["--user", "alice:alicepw", "get", "alice/y", "--print-value-only"] },
  { args: ["--user", "alice:wrong", "get", "pub/x"], fails: true },
  { args: ["--user", "nobody:pw", "get", "pub/x"], fails: true },
  { args: ["--user", "alice:alicepw", "user", "list"], fails: true },
  { args: ["--user", "alice:alicepw", "defrag"], fails: true },
  { args: ["--user", "root:rootpw", "role", "revoke-permission", "reader", "pub/", "--prefix=true"] },
  { args: ["--user", "alice:alicepw", "get", "pub/x"], fails: true },
  { args: ["--user", "root:rootpw", "user", "delete", "root"], fails: true },
  { args: ["--user", "root:rootpw", "auth", "disable"] },
  { args: ["get", "pub/x", "--print-value-only"] },
];

test("HashKV is etcd's, bit for bit, before and after a compaction (no leases: their IDs differ)", async () => {
  const servers = await startServers("cleartext");
  try {
    const hashes: Record<"real" | "ours", string[]> = { real: [], ours: [] };
    for (const [who, endpoint] of [["real", servers.realEndpoint], ["ours", servers.ourEndpoint]] as const) {
      for (const args of [["put", "a", "1"], ["put", "b", "2"], ["del", "a"], ["put", "c", "3"], ["txn"]]) {
        const result = await etcdctl(endpoint, args, args[0] === "txn" ? { stdin: '\nput d 4\nput e 5\n\n\n' } : {});
        assert.equal(result.code, 0, result.stderr);
      }
      hashes[who].push((await etcdctl(endpoint, ["endpoint", "hashkv", "-w", "json"])).stdout);
      assert.equal((await etcdctl(endpoint, ["compaction", "4"])).code, 0);
      hashes[who].push((await etcdctl(endpoint, ["endpoint", "hashkv", "-w", "json"])).stdout);
    }
    const hashOf = (json: string): number => (JSON.parse(json) as [{ HashKV: { hash: number } }])[0].HashKV.hash;
    assert.deepEqual(hashes.ours.map(hashOf), hashes.real.map(hashOf));
  } finally {
    await Promise.all([servers.real.stop(), servers.ours.close()]);
  }
});

/**
 * withJsonTwins follows every step (but those with their own `-w`) with the same command in
 * `-w json`: both servers run the same sequence, so the reruns stay comparable even where they
 * change the state (a second put, a second revoke that fails on both).
 */
function withJsonTwins(list: readonly Step[]): Step[] {
  return list.flatMap((step) => {
    if (step.json === false || step.args.includes("-w")) return [step];
    const { capture: _capture, fails: _fails, ...rest } = step;
    return [step, { ...rest, args: [...step.args, "-w", "json"], twin: true }];
  });
}

for (const mode of MODES) {
  describe(mode, { timeout: 300_000 }, () => {
    let servers: Servers | undefined;
    before(async () => {
      servers = await startServers(mode);
    });
    after(async () => {
      await Promise.all([servers?.real.stop(), servers?.ours.close()]);
    });

    test("the real etcdctl sees the same answers from etcd 3.4.23 and from etcd-ts", async () => {
      const pair = servers!;
      const differences: string[] = [];
      // The json pass runs once, in cleartext: output formats do not depend on the transport.
      for (const step of mode === "cleartext" ? withJsonTwins(steps) : steps) {
        const [fromReal, fromOurs] = await runBoth(pair, step);
        // Guard against vacuous steps (say, a flag etcdctl 3.4 does not have, failing alike on both).
        const expectFailure = step.fails === true || (step.timeoutMs !== undefined && step.resigns !== true);
        if (step.twin !== true && (fromReal.code !== 0) !== expectFailure) differences.push(`etcdctl ${step.args.join(" ")}: etcd itself ${fromReal.code === 0 ? "succeeded" : "failed"}, the step says otherwise\n  ${fromReal.stderr}`);
        const a = { code: fromReal.code, stdout: normalize(fromReal.stdout, pair.realEndpoint), stderr: normalize(fromReal.stderr, pair.realEndpoint) };
        const b = { code: fromOurs.code, stdout: normalize(fromOurs.stdout, pair.ourEndpoint), stderr: normalize(fromOurs.stderr, pair.ourEndpoint) };
        try {
          assert.deepEqual(b, a);
        } catch {
          differences.push(`etcdctl ${step.args.join(" ")}\n  etcd:    ${JSON.stringify(a)}\n  etcd-ts: ${JSON.stringify(b)}`);
        }
      }
      assert.equal(differences.length, 0, `\n${differences.join("\n")}`);
    });
  });
}
