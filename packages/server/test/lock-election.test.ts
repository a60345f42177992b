// The Lock and Election services, and the real etcdctl's `lock` and `elect`, against our
// server and against the real etcd 3.4.23 side by side.
//
// How expectations were derived: the same script runs against both servers from a fresh
// start, and the two transcripts must be equal once what legitimately differs is replaced
// (cluster/member IDs and terms are dropped; lease IDs, in `lease` fields and in the hex
// tail of lock/election keys, become L1, L2, ... in order of first appearance). Revisions
// are compared as they are. Before writing these tests the scripts were run by hand against
// etcd 3.4.23 and the transcripts read: every service error is status Unknown (2) with
// etcd's text; Campaign answers with its Txn's header even after waiting; Proclaim and
// Resign with lease 0 grant a 60 s lease; Observe with no leader reports the first PUT.
//
// Note: etcdctl 3.4's `lock` and `elect` run the concurrency recipes client-side over KV,
// Lease and Watch; they do not call the Lock and Election services. Both paths are tested.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { etcdserverpb as pb, v3electionpb, v3lockpb, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { startMember, type Member } from "@etcd-ts/testkit";
import { startEtcd } from "../src/embed/startEtcd.js";
import { GrpcServer } from "../src/grpc/GrpcServer.js";
import { ClientListener } from "../src/transport/ClientListener.js";
import { registerCluster } from "../src/v3rpc/cluster.js";
import { registerElection } from "../src/v3rpc/election.js";
import { registerKV } from "../src/v3rpc/kv.js";
import { registerLease } from "../src/v3rpc/lease.js";
import { registerLock } from "../src/v3rpc/lock.js";
import { registerMaintenance } from "../src/v3rpc/maintenance.js";
import { registerWatch } from "../src/v3rpc/watch.js";

const te = new TextEncoder();
const td = new TextDecoder();
const bytes = (s: string): Uint8Array => te.encode(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const L = v3lockpb.LockService;
const E = v3electionpb.ElectionService;

/** A server under test: its gRPC address and how to stop it. */
interface Target {
  readonly name: "ours" | "etcd";
  readonly address: string;
  close(): Promise<void>;
}

/** Our member, with its services (these included) on a gRPC server of the test's own. */
async function startOurs(): Promise<Target> {
  const etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
  const server = new GrpcServer({ maxReceiveMessageSize: etcd.config.maxRequestBytes + 512 * 1024 });
  for (const register of [registerKV, registerWatch, registerLease, registerCluster, registerMaintenance, registerLock, registerElection]) register(server, etcd.server);
  const listener = new ClientListener({
    host: "127.0.0.1",
    port: 0,
    grpc: server,
    http1: (_request, response) => {
      response.writeHead(404);
      response.end();
    },
  });
  await listener.listen();
  return {
    name: "ours",
    address: `127.0.0.1:${listener.address().port}`,
    async close() {
      server.abortAll();
      await listener.close();
      await etcd.close();
    },
  };
}

async function startReal(): Promise<Target> {
  const real: Member = await startMember({ binary: "etcd" });
  return { name: "etcd", address: real.clientAddress, close: () => real.stop() };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; code: number; details: string };

/** Rpc is a grpc-js client for one target. */
class Rpc {
  readonly client: grpc.Client;
  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure());
  }

  call<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, deadlineMs?: number): Promise<Outcome<Res>> {
    const options: grpc.CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    return new Promise((resolve) =>
      this.client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), options, (error, value) =>
        resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true, value: value as Res }),
      ),
    );
  }

  async must<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<Res> {
    const outcome = await this.call(method, request);
    if (!outcome.ok) assert.fail(`${method.path}: ${outcome.code} ${outcome.details}`);
    return outcome.value;
  }

  /** observe opens an Observe stream; `responses` fills as they come. */
  observe(name: string): { responses: v3electionpb.LeaderResponse[]; status: Promise<grpc.StatusObject>; cancel(): void } {
    const m = E.observe;
    const stream = this.client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, { name: bytes(name) });
    const responses: v3electionpb.LeaderResponse[] = [];
    stream.on("data", (r: v3electionpb.LeaderResponse) => responses.push(r));
    stream.on("error", () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
    return { responses, status, cancel: () => stream.cancel() };
  }

  async keys(prefix: string): Promise<string[]> {
    const response = await this.must(pb.KVService.range, { key: bytes(prefix), rangeEnd: prefixEnd(prefix) });
    return response.kvs.map((kv) => td.decode(kv.key));
  }

  close(): void {
    this.client.close();
  }
}

function prefixEnd(prefix: string): Uint8Array {
  const end = bytes(prefix);
  end[end.length - 1]! += 1;
  return end;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Transcript turns responses into comparable text: IDs and terms dropped, lease IDs (as
 * `lease`/`ID` fields and as the hex tail of keys) named L1, L2, ... by first appearance.
 */
class Transcript {
  readonly lines: string[] = [];
  private readonly leases = new Map<string, string>();

  lease(id: bigint): string {
    const hex = id.toString(16);
    let label = this.leases.get(hex);
    if (label === undefined) {
      label = `L${this.leases.size + 1}`;
      this.leases.set(hex, label);
    }
    return label;
  }

  key(raw: Uint8Array): string {
    return td.decode(raw).replace(/\/([0-9a-f]{6,16})$/, (_m, hex: string) => `/${this.lease(BigInt(`0x${hex}`))}`);
  }

  text(value: unknown): string {
    const lease = (id: bigint): string => this.lease(id);
    const key = (raw: Uint8Array): string => this.key(raw);
    return JSON.stringify(value, function (this: Record<string, unknown>, field: string, json: unknown) {
      // The original value: Buffers have already been through their toJSON here.
      const v = this[field] ?? json;
      if (field === "clusterId" || field === "memberId" || field === "raftTerm") return undefined;
      if (typeof v === "bigint") return field === "lease" || field === "ID" ? (v === 0n ? "0" : lease(v)) : v.toString();
      if (v instanceof Uint8Array) return field === "key" ? key(v) : td.decode(v);
      return v;
    });
  }

  add(label: string, outcome: unknown): void {
    const value = (outcome as { ok?: boolean; value?: unknown }).ok === true ? (outcome as { value: unknown }).value : outcome;
    this.lines.push(`${label} ${this.text(value)}`);
  }
}

let ours: Target;
let real: Target;

before(async () => {
  [ours, real] = await Promise.all([startOurs(), startReal()]);
});

after(async () => {
  await Promise.all([ours?.close(), real?.close()]);
});

/** Runs `script` against both servers at once and returns the two transcripts. */
async function onBoth(script: (rpc: Rpc, t: Transcript) => Promise<void>): Promise<[string[], string[]]> {
  const run = async (target: Target): Promise<string[]> => {
    const rpc = new Rpc(target.address);
    const t = new Transcript();
    try {
      await script(rpc, t);
    } finally {
      rpc.close();
    }
    return t.lines;
  };
  const [a, b] = await Promise.all([run(real), run(ours)]);
  return [a, b];
}

describe("the Lock service, as etcd's", () => {
  test("lock, reentrant lock, contention, a waiter giving up, unlock and the errors", async () => {
    const [expected, actual] = await onBoth(async (rpc, t) => {
      t.add("lock without lease", await rpc.call(L.lock, { name: bytes("l1") }));
      t.add("lock, unknown lease", await rpc.call(L.lock, { name: bytes("l1"), lease: 12345n }));
      t.add("lock, empty name", await rpc.call(L.lock, { name: new Uint8Array() }));
      t.add("unlock, empty key", await rpc.call(L.unlock, { key: new Uint8Array() }));
      t.add("unlock, no such key", await rpc.call(L.unlock, { key: bytes("nokey") }));
      const g1 = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 30 });
      const g2 = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 30 });
      t.add("grants", [g1.ID, g2.ID].map((id) => t.lease(id)));
      const held = await rpc.must(L.lock, { name: bytes("l2"), lease: g1.ID });
      t.add("lock", held);
      t.add("lock again, same lease", await rpc.call(L.lock, { name: bytes("l2"), lease: g1.ID }));

      const waiting = rpc.call(L.lock, { name: bytes("l2"), lease: g2.ID });
      await until("the waiter's key", async () => (await rpc.keys("l2/")).length === 2);
      await sleep(100);
      t.add("put while waiting", await rpc.call(pb.KVService.put, { key: bytes("unrelated"), value: bytes("x") }));
      t.add("unlock", await rpc.call(L.unlock, { key: held.key }));
      const granted = await waiting;
      t.add("the waiter gets the lock", granted);

      // A waiter whose deadline passes leaves the queue: its key is deleted.
      const late = await rpc.call(L.lock, { name: bytes("l2"), lease: g1.ID }, 1000);
      t.add("waiter past its deadline", late.ok ? late : late.code);
      await until("the late waiter's key to go", async () => (await rpc.keys("l2/")).length === 1);
      t.add("keys after", await rpc.call(pb.KVService.range, { key: bytes("l2/"), rangeEnd: prefixEnd("l2/") }));
      if (granted.ok) t.add("unlock", await rpc.call(L.unlock, { key: granted.value.key }));
    });
    assert.deepEqual(actual, expected);
  });
});

describe("the Election service, as etcd's", () => {
  test("campaign, proclaim, leader, resign and the errors", async () => {
    const [expected, actual] = await onBoth(async (rpc, t) => {
      t.add("leader of an empty election", await rpc.call(E.leader, { name: bytes("e1") }));
      t.add("campaign without lease", await rpc.call(E.campaign, { name: bytes("e1"), value: bytes("v1") }));
      const g1 = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 30 });
      const g2 = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 30 });
      t.add("grants", [g1.ID, g2.ID].map((id) => t.lease(id)));
      const c1 = await rpc.must(E.campaign, { name: bytes("e2"), value: bytes("v1"), lease: g1.ID });
      t.add("campaign", c1);
      t.add("campaign again, new value", await rpc.call(E.campaign, { name: bytes("e2"), value: bytes("v2"), lease: g1.ID }));
      t.add("leader", await rpc.call(E.leader, { name: bytes("e2") }));
      t.add("proclaim without leader", await rpc.call(E.proclaim, { value: bytes("x") }));
      t.add("proclaim, wrong rev", await rpc.call(E.proclaim, { leader: { ...c1.leader, rev: 1 }, value: bytes("x") }));
      t.add("proclaim", await rpc.call(E.proclaim, { leader: c1.leader, value: bytes("v3") }));
      t.add("proclaim with lease 0", await rpc.call(E.proclaim, { leader: { ...c1.leader, lease: 0n }, value: bytes("v4") }));
      t.add("keys", await rpc.call(pb.KVService.range, { key: bytes("e2/"), rangeEnd: prefixEnd("e2/") }));
      t.add("resign without leader", await rpc.call(E.resign, {}));
      t.add("resign, wrong rev", await rpc.call(E.resign, { leader: { ...c1.leader, rev: 1 } }));
      t.add("campaign, unknown lease", await rpc.call(E.campaign, { name: bytes("e3"), value: bytes("v1"), lease: 999n }));

      // A campaign given up while waiting resigns: its key is deleted.
      const late = await rpc.call(E.campaign, { name: bytes("e2"), value: bytes("w"), lease: g2.ID }, 1000);
      t.add("campaign past its deadline", late.ok ? late : late.code);
      await until("the late candidate's key to go", async () => (await rpc.keys("e2/")).length === 1);
      t.add("resign", await rpc.call(E.resign, { leader: c1.leader }));
      t.add("leader after resigning", await rpc.call(E.leader, { name: bytes("e2") }));
      t.add("proclaim, key absent and rev 0", await rpc.call(E.proclaim, { leader: { name: bytes("zz"), key: bytes("zz/1"), rev: 0, lease: g1.ID }, value: bytes("x") }));
      t.add("resign, empty leader key", await rpc.call(E.resign, { leader: {} }));
      t.add("leader, empty name", await rpc.call(E.leader, { name: new Uint8Array() }));
      const leases = await rpc.must(pb.LeaseService.leaseLeases, {});
      t.add("leases", leases.leases.map((l) => t.lease(l.ID)).sort());
    });
    assert.deepEqual(actual, expected);
  });

  test("observe: no leader, a first put, new values, resignation, revocation", async () => {
    const [expected, actual] = await onBoth(async (rpc, t) => {
      const g1 = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 30 });
      const g2 = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 30 });
      t.add("grants", [g1.ID, g2.ID].map((id) => t.lease(id)));
      const observer = rpc.observe("oe");
      const seen = (n: number): Promise<void> => until(`${n} observed`, () => observer.responses.length >= n);
      await sleep(300);
      await rpc.must(pb.KVService.put, { key: bytes("oe/zz"), value: bytes("direct") });
      await seen(1);
      await rpc.must(pb.KVService.deleteRange, { key: bytes("oe/zz") });
      const c1 = await rpc.must(E.campaign, { name: bytes("oe"), value: bytes("a"), lease: g1.ID });
      t.add("c1", c1);
      await seen(2);
      const second = rpc.call(E.campaign, { name: bytes("oe"), value: bytes("b"), lease: g2.ID });
      await until("the second candidate's key", async () => (await rpc.keys("oe/")).length === 2);
      t.add("proclaim", await rpc.call(E.proclaim, { leader: c1.leader, value: bytes("a2") }));
      await seen(3);
      t.add("resign", await rpc.call(E.resign, { leader: c1.leader }));
      t.add("c2", await second);
      await seen(4);
      t.add("revoke", await rpc.call(pb.LeaseService.leaseRevoke, { ID: g2.ID }));
      // Two keys in one revision. The observer's re-read after the revocation races this txn:
      // before it, Observe reports the txn's first put; after it, the first key by create
      // revision then key. Putting oe/a first makes both answers oe/a, on both servers.
      const put = (key: string, value: string): PartialMessage<pb.RequestOp> => ({ request: { $case: "requestPut", requestPut: { key: bytes(key), value: bytes(value) } } });
      await rpc.must(pb.KVService.txn, { success: [put("oe/a", "ta"), put("oe/b", "tb")] });
      await seen(5);
      t.add("leader", await rpc.call(E.leader, { name: bytes("oe") }));
      observer.cancel();
      t.add("observer ended", (await observer.status).code);
      for (const [i, r] of observer.responses.entries()) t.add(`observed ${i}`, r);

      const again = rpc.observe("oe");
      await until("the current leader observed", () => again.responses.length >= 1);
      await sleep(200);
      again.cancel();
      await again.status;
      for (const [i, r] of again.responses.entries()) t.add(`observed again ${i}`, r);
    });
    assert.deepEqual(actual, expected);
  });
});

describe("our services beyond the side-by-side scripts", () => {
  test("a lease that expires hands the lock and the leadership on; observers follow", async () => {
    const rpc = new Rpc(ours.address);
    try {
      const short = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 2 });
      const long = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 60 });
      const first = await rpc.must(E.campaign, { name: bytes("fail"), value: bytes("one"), lease: short.ID });
      const observer = rpc.observe("fail");
      await until("the first leader observed", () => observer.responses.length >= 1);
      const started = Date.now();
      const second = await rpc.must(E.campaign, { name: bytes("fail"), value: bytes("two"), lease: long.ID });
      assert.ok(Date.now() - started >= 1000, "the second candidate waited for the first lease to expire");
      assert.notDeepEqual(second.leader?.key, first.leader?.key);
      await until("the new leader observed", () => observer.responses.length >= 2);
      assert.deepEqual(observer.responses.map((r) => td.decode(r.kv?.value)), ["one", "two"]);
      observer.cancel();

      const holder = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 2 });
      await rpc.must(L.lock, { name: bytes("expiring"), lease: holder.ID });
      const next = await rpc.must(L.lock, { name: bytes("expiring"), lease: long.ID });
      assert.deepEqual(await rpc.keys("expiring/"), [td.decode(next.key)]);
    } finally {
      rpc.close();
    }
  });

  test("a waiter whose own lease expired is refused, as etcd 3.5 does (3.4 would grant it)", async () => {
    const rpc = new Rpc(ours.address);
    try {
      const long = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 60 });
      const short = await rpc.must(pb.LeaseService.leaseGrant, { TTL: 2 });
      const held = await rpc.must(L.lock, { name: bytes("lost"), lease: long.ID });
      const waiting = rpc.call(L.lock, { name: bytes("lost"), lease: short.ID });
      await until("the waiter's key", async () => (await rpc.keys("lost/")).length === 2);
      await until("the waiter's lease to expire", async () => (await rpc.keys("lost/")).length === 1);
      await rpc.must(L.unlock, { key: held.key });
      assert.deepEqual(await waiting, { ok: false, code: grpc.status.UNKNOWN, details: "mutex: session is expired" });
    } finally {
      rpc.close();
    }
  });

  test("a cancelled Observe ends its watches; the stream stops with the member's client", async () => {
    const rpc = new Rpc(ours.address);
    try {
      const observer = rpc.observe("nobody");
      await sleep(200);
      observer.cancel();
      assert.equal((await observer.status).code, grpc.status.CANCELLED);
      // The server still serves the election afterwards.
      const outcome = await rpc.call(E.leader, { name: bytes("nobody") });
      assert.deepEqual(outcome, { ok: false, code: grpc.status.UNKNOWN, details: "election: no leader" });
    } finally {
      rpc.close();
    }
  });
});

// ---- the real etcdctl ---------------------------------------------------------------------

/** A running etcdctl: its output so far, and ways to wait on it. */
interface Etcdctl {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

after(() => {
  for (const child of running) child.kill("SIGKILL");
});

function etcdctl(target: Target, args: readonly string[]): Etcdctl {
  const child = spawn("etcdctl", ["--endpoints", target.address, "--dial-timeout", "5s", ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.stdin.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 15_000) {
      let match: RegExpExecArray | null = null;
      await until(`etcdctl ${args.join(" ")} to print ${pattern} (stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)})`, () => (match = pattern.exec(out)) !== null, timeoutMs);
      return match!;
    },
  };
}

/** Replaces lease hex in keys by L1, L2... in order of appearance, for comparing outputs. */
function normalizeKeys(text: string): string {
  const labels = new Map<string, string>();
  return text.replace(/\/([0-9a-f]{6,16})$/gm, (_m, hex: string) => {
    if (!labels.has(hex)) labels.set(hex, `L${labels.size + 1}`);
    return `/${labels.get(hex)!}`;
  });
}

async function bothWith(scenario: (target: Target) => Promise<string>): Promise<void> {
  const [expected, actual] = await Promise.all([scenario(real), scenario(ours)]);
  assert.equal(normalizeKeys(actual), normalizeKeys(expected));
}

describe("etcdctl lock and elect against our server, as against etcd", () => {
  test("etcdctl lock: a second locker waits until the first lets go (SIGTERM)", async () => {
    await bothWith(async (target) => {
      const first = etcdctl(target, ["lock", "mylock"]);
      const [firstKey] = await first.waitFor(/^mylock\/[0-9a-f]+$/m);
      const second = etcdctl(target, ["lock", "mylock"]);
      await sleep(1500);
      assert.equal(second.stdout(), "", `${target.name}: the second locker must wait`);
      first.child.kill("SIGTERM");
      assert.deepEqual(await first.exited, { code: 0, signal: null });
      const [secondKey] = await second.waitFor(/^mylock\/[0-9a-f]+$/m);
      assert.notEqual(secondKey, firstKey);
      second.child.kill("SIGTERM");
      await second.exited;
      const left = etcdctl(target, ["get", "mylock/", "--prefix", "--keys-only"]);
      await left.exited;
      return `${first.stdout()}--\n${second.stdout()}--\n${left.stdout()}`;
    });
  });

  test("etcdctl lock <name> <command> runs the command while holding the lock, then unlocks", async () => {
    await bothWith(async (target) => {
      const run = etcdctl(target, ["lock", "cmdlock", "--", "sh", "-c", 'echo hi; echo "$ETCD_LOCK_KEY"; test -n "$ETCD_LOCK_REV"']);
      assert.deepEqual(await run.exited, { code: 0, signal: null }, `${target.name}: ${run.stderr()}`);
      const left = etcdctl(target, ["get", "cmdlock/", "--prefix"]);
      await left.exited;
      return `${run.stdout()}--\n${left.stdout()}`;
    });
  });

  test("etcdctl lock --ttl: a killed holder's lock passes on when its lease expires", async () => {
    await bothWith(async (target) => {
      const first = etcdctl(target, ["lock", "--ttl", "2", "ttllock"]);
      await first.waitFor(/^ttllock\/[0-9a-f]+$/m);
      const second = etcdctl(target, ["lock", "ttllock"]);
      await sleep(500);
      first.child.kill("SIGKILL");
      await first.exited;
      await second.waitFor(/^ttllock\/[0-9a-f]+$/m);
      second.child.kill("SIGTERM");
      await second.exited;
      return `${first.stdout()}--\n${second.stdout()}`;
    });
  });

  test("etcdctl elect: a candidate leads, observers see it, SIGTERM resigns and the next one leads", async () => {
    await bothWith(async (target) => {
      const observer = etcdctl(target, ["elect", "-l", "myelection"]);
      const first = etcdctl(target, ["elect", "myelection", "candidate1"]);
      await first.waitFor(/^candidate1$/m);
      await observer.waitFor(/^candidate1$/m);
      const second = etcdctl(target, ["elect", "myelection", "candidate2"]);
      await sleep(1500);
      assert.equal(second.stdout(), "", `${target.name}: the second candidate must wait`);
      first.child.kill("SIGTERM");
      assert.deepEqual(await first.exited, { code: 0, signal: null });
      await second.waitFor(/^candidate2$/m);
      await observer.waitFor(/^candidate2$/m);
      second.child.kill("SIGTERM");
      observer.child.kill("SIGTERM");
      assert.deepEqual(await observer.exited, { code: 0, signal: null });
      await second.exited;
      return `${first.stdout()}--\n${second.stdout()}--\n${observer.stdout()}`;
    });
  });

  test("etcdctl elect: leadership fails over once a killed candidate's session lease is gone", async () => {
    await bothWith(async (target) => {
      const observer = etcdctl(target, ["elect", "-l", "failover"]);
      const first = etcdctl(target, ["elect", "failover", "candidate1"]);
      const [, lease] = await first.waitFor(/^failover\/([0-9a-f]+)$/m);
      const second = etcdctl(target, ["elect", "failover", "candidate2"]);
      await observer.waitFor(/^candidate1$/m);
      await sleep(500);
      first.child.kill("SIGKILL");
      await first.exited;
      // etcdctl elect's session lease lives 60 s (it has no --ttl); end it as its expiry would.
      const revoke = etcdctl(target, ["lease", "revoke", lease!]);
      assert.equal((await revoke.exited).code, 0);
      await second.waitFor(/^candidate2$/m);
      await observer.waitFor(/^candidate2$/m);
      second.child.kill("SIGTERM");
      observer.child.kill("SIGTERM");
      await Promise.all([second.exited, observer.exited]);
      return `${first.stdout()}--\n${second.stdout()}--\n${observer.stdout()}`;
    });
  });
});
