// The real etcdctl cannot tell our server from etcd: the same commands, in the same order,
// against the real etcd 3.4.23 and against ours, give the same output and exit codes (after
// normalizing what legitimately differs: IDs, terms, raft indexes, sizes, endpoints).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startRealEtcd, type RealEtcd } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";
import { etcdctl, normalize, type EtcdctlResult } from "./support/etcdctl.js";

let real: RealEtcd;
let ours: Etcd;
let realEndpoint: string;
let ourEndpoint: string;
const captured: Record<"real" | "ours", Record<string, string>> = { real: {}, ours: {} };

before(async () => {
  [real, ours] = await Promise.all([startRealEtcd(), startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] })]);
  realEndpoint = real.clientAddress;
  ourEndpoint = ours.clientUrls[0]!.replace("http://", "");
});

after(async () => {
  await Promise.all([real?.stop(), ours?.close()]);
});

interface Step {
  readonly args: readonly string[];
  readonly stdin?: string;
  readonly timeoutMs?: number;
  /** fails: etcd itself fails this step (its error output is what is compared). */
  readonly fails?: boolean;
  /** capture: remember the first word matching this regex group under a name for later `{name}`. */
  readonly capture?: [string, RegExp];
}

async function runBoth(step: Step): Promise<[EtcdctlResult, EtcdctlResult]> {
  const fill = (who: "real" | "ours"): string[] => step.args.map((a) => a.replace(/\{(\w+)\}/g, (_m, name: string) => captured[who][name] ?? ""));
  const options = { ...(step.stdin !== undefined ? { stdin: step.stdin } : {}), ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}) };
  const results = await Promise.all([etcdctl(realEndpoint, fill("real"), options), etcdctl(ourEndpoint, fill("ours"), options)]);
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
  { args: ["compaction", "5"] },
  { args: ["get", "foo", "--rev", "3"], fails: true },
  { args: ["get", "foo", "--rev", "1000"], fails: true },
  { args: ["compaction", "3"], fails: true },
  { args: ["alarm", "list"] },
  { args: ["endpoint", "health"] },
  { args: ["endpoint", "status", "-w", "json"] },
  { args: ["member", "list", "-w", "json"] },
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

test("the real etcdctl sees the same answers from etcd 3.4.23 and from etcd-ts", async () => {
  const differences: string[] = [];
  for (const step of steps) {
    const [fromReal, fromOurs] = await runBoth(step);
    // Guard against vacuous steps (say, a flag etcdctl 3.4 does not have, failing alike on both).
    const expectFailure = step.fails === true || step.timeoutMs !== undefined;
    if ((fromReal.code !== 0) !== expectFailure) differences.push(`etcdctl ${step.args.join(" ")}: etcd itself ${fromReal.code === 0 ? "succeeded" : "failed"}, the step says otherwise\n  ${fromReal.stderr}`);
    const a = { code: fromReal.code, stdout: normalize(fromReal.stdout, realEndpoint), stderr: normalize(fromReal.stderr, realEndpoint) };
    const b = { code: fromOurs.code, stdout: normalize(fromOurs.stdout, ourEndpoint), stderr: normalize(fromOurs.stderr, ourEndpoint) };
    try {
      assert.deepEqual(b, a);
    } catch {
      differences.push(`etcdctl ${step.args.join(" ")}\n  etcd:    ${JSON.stringify(a)}\n  etcd-ts: ${JSON.stringify(b)}`);
    }
  }
  assert.equal(differences.length, 0, `\n${differences.join("\n")}`);
});
