// Auth cannot be bypassed: with auth enabled, every RPC of every service (KV, Watch, Lease,
// Cluster, Maintenance, Auth, Lock, Election) is called by a caller that should not get
// through — no token, an expired token, the token of a user deleted a moment ago, the token
// of a user whose role lost the permission a moment ago — and by callers that should (the
// permitted user, root), and key ranges that straddle the edge of a permission. The real
// etcd 3.4.23 gets exactly the same calls in the same order; every answer (status code and
// message, and for a watch whether it was created or cancelled and why) must be the same.
//
// Where we differ, it is listed in KNOWN with the reason, and the test checks our answer is
// the one listed: two etcd 3.4.23 auth bypasses we do not copy (the operations of a nested
// transaction are not checked; a `>= key` watch is checked on its first key only), MoveLeader
// checked for admin (as etcd 3.5; 3.4 checks nothing), LeaseTimeToLive with keys checked as the
// etcd with the CVE-2023-32082 fix (3.4.26, 3.5.9) checks it (3.4.23 lists the keys to anyone),
// and the membership RPCs we do not serve.
import assert from "node:assert/strict";
import { connect, type ClientHttp2Session } from "node:http2";
import { after, before, describe, test } from "node:test";
import { etcdserverpb as pb, GrpcStatus, v3electionpb, v3lockpb, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { startMember, type Member } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";
import { grpcCall, grpcFrame } from "./support/grpcProbe.js";

/** A server under test and a connection to it. */
interface Target {
  readonly name: string;
  readonly address: string;
  readonly session: ClientHttp2Session;
}

const TOKEN_TTL_SECONDS = 4;
let real: Member;
let ours: Etcd;
let targets: Target[];

before(async () => {
  [real, ours] = await Promise.all([
    startMember({ binary: "etcd", flags: ["--auth-token", "simple", "--auth-token-ttl", String(TOKEN_TTL_SECONDS), "--bcrypt-cost", "4"] }),
    startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], authTokenTtl: TOKEN_TTL_SECONDS, bcryptCost: 4 }),
  ]);
  targets = [
    { name: "etcd", address: real.clientAddress, session: connect(`http://${real.clientAddress}`) },
    { name: "ours", address: new URL(ours.clientUrls[0]!).host, session: connect(`http://${new URL(ours.clientUrls[0]!).host}`) },
  ];
  for (const t of targets) t.session.setMaxListeners(0);
});

after(async () => {
  for (const t of targets ?? []) t.session.close();
  await Promise.all([real?.stop(), ours?.close()]);
});

const enc = (s: string): Buffer => Buffer.from(s);
/** An answer as compared: the status, and a few fields of a response that say what was allowed. */
type Answer = string;

/** How to call one RPC and summarize its first response. */
interface Rpc {
  readonly name: string;
  readonly method: MethodDefinition<unknown, unknown>;
  readonly request: PartialMessage<unknown>;
  /** For streams: keep the request side open (a watch). */
  readonly stream?: boolean;
  /** summarize the first response message beyond "OK" (what the caller got to see). */
  readonly summary?: (response: unknown) => string;
  /** Calls that must not run as root (they would change what later calls see on both servers alike, but not harmlessly). */
  readonly notAsRoot?: boolean;
}

async function call(target: Target, rpc: Rpc, token: string | undefined): Promise<Answer> {
  const streaming = rpc.method.requestStream || rpc.method.responseStream;
  const outcome = await grpcCall(target.address, rpc.method.path, [grpcFrame(rpc.method.requestType.encode(rpc.request))], {
    session: target.session,
    headers: token === undefined ? {} : { token },
    end: !rpc.stream,
    firstMessage: streaming,
    waitMs: streaming ? 3000 : 15_000,
  });
  const first = outcome.messages[0];
  if (first !== undefined) return `OK${rpc.summary ? ` ${rpc.summary(rpc.method.responseType.decode(first))}` : ""}`;
  if (outcome.status === undefined) return outcome.open ? "open" : `reset ${outcome.rstCode ?? "?"}`;
  return outcome.status === GrpcStatus.OK ? "OK" : `${outcome.status} ${outcome.message}`;
}

/** both runs a call on both servers; returns [etcd's answer, ours]. */
async function both(rpc: Rpc, token: (t: Target) => string | undefined): Promise<[Answer, Answer]> {
  const [theirs, mine] = await Promise.all(targets.map((t) => call(t, rpc, token(t))));
  return [theirs!, mine!];
}

/** admin runs a setup step as `token` on both servers; it must succeed on both. */
async function admin(rpc: Rpc, tokens?: Map<Target, string>): Promise<void> {
  const [theirs, mine] = await both(rpc, (t) => tokens?.get(t));
  assert.ok(theirs.startsWith("OK") && mine.startsWith("OK"), `${rpc.name}: etcd ${theirs} / ours ${mine}`);
}

/** authenticate gets a fresh token for `name` on each server. */
async function authenticate(name: string, password: string): Promise<Map<Target, string>> {
  const tokens = new Map<Target, string>();
  for (const target of targets) {
    const outcome = await grpcCall(target.address, pb.AuthService.authenticate.path, [grpcFrame(pb.AuthenticateRequest.encode({ name, password }))], { session: target.session });
    assert.equal(outcome.status, GrpcStatus.OK, `${target.name} authenticate ${name}: ${outcome.message}`);
    tokens.set(target, pb.AuthenticateResponse.decode(outcome.messages[0]!).token);
  }
  return tokens;
}

const S = { kv: pb.KVService, watch: pb.WatchService, lease: pb.LeaseService, cluster: pb.ClusterService, maint: pb.MaintenanceService, auth: pb.AuthService, lock: v3lockpb.LockService, election: v3electionpb.ElectionService };
const LEASE = 1000n;
/** LEASE_C holds key c, outside alice's [a, c). */
const LEASE_C = 2000n;
const rpc = <Req, Res>(name: string, method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, more: Partial<Rpc> = {}): Rpc => ({
  name,
  method,
  request,
  ...more,
});
const watchSummary = (r: unknown): string => {
  const w = r as pb.WatchResponse;
  return `watch=${w.watchId} created=${w.created} canceled=${w.canceled} reason=${w.cancelReason}`;
};
const keysSummary = (r: unknown): string => (r as pb.RangeResponse).kvs.map((kv) => Buffer.from(kv.key).toString()).join(",");
// Sorted: etcd lists a lease's keys in Go map order (random); we list them in key order.
const leaseKeysSummary = (r: unknown): string => `keys=${(r as pb.LeaseTimeToLiveResponse).keys.map((k) => Buffer.from(k).toString()).sort().join(",")}`;

/** Every RPC, with a request inside the permitted range [a, c) where it has keys. */
const EVERY_RPC: readonly Rpc[] = [
  rpc("Range a", S.kv.range, { key: enc("a") }, { summary: keysSummary }),
  rpc("Range [a, c)", S.kv.range, { key: enc("a"), rangeEnd: enc("c") }, { summary: keysSummary }),
  rpc("Put b", S.kv.put, { key: enc("b"), value: enc("v") }),
  rpc("DeleteRange b", S.kv.deleteRange, { key: enc("b/none") }),
  rpc("Txn on b", S.kv.txn, { compare: [{ key: enc("b"), target: pb.Compare_CompareTarget.VERSION, result: pb.Compare_CompareResult.GREATER, targetUnion: { $case: "version", version: 0 } }], success: [{ request: { $case: "requestRange", requestRange: { key: enc("b") } } }] }),
  rpc("Compact", S.kv.compact, { revision: 1 }),
  rpc("Watch a", S.watch.watch, { requestUnion: { $case: "createRequest", createRequest: { key: enc("a") } } }, { stream: true, summary: watchSummary }),
  rpc("LeaseGrant", S.lease.leaseGrant, { TTL: 600 }),
  rpc("LeaseRevoke (unknown lease)", S.lease.leaseRevoke, { ID: 999_999n }),
  rpc("LeaseKeepAlive", S.lease.leaseKeepAlive, { ID: LEASE }, { summary: (r) => `ttl>0=${(r as pb.LeaseKeepAliveResponse).TTL > 0}` }),
  rpc("LeaseTimeToLive", S.lease.leaseTimeToLive, { ID: LEASE }),
  rpc("LeaseTimeToLive with keys", S.lease.leaseTimeToLive, { ID: LEASE, keys: true }, { summary: leaseKeysSummary }),
  rpc("LeaseLeases", S.lease.leaseLeases, {}),
  rpc("MemberList", S.cluster.memberList, {}),
  rpc("Alarm GET", S.maint.alarm, { action: pb.AlarmRequest_AlarmAction.GET }),
  rpc("Status", S.maint.status, {}),
  rpc("Defragment", S.maint.defragment, {}),
  rpc("Hash", S.maint.hash, {}),
  rpc("HashKV", S.maint.hashKV, {}),
  rpc("Snapshot", S.maint.snapshot, {}),
  rpc("MoveLeader (unknown member)", S.maint.moveLeader, { targetID: 12345n }),
  rpc("AuthEnable", S.auth.authEnable, {}),
  rpc("Authenticate (wrong password)", S.auth.authenticate, { name: "alice", password: "wrong" }),
  rpc("UserAdd", S.auth.userAdd, { name: "carol", password: "c" }, { notAsRoot: true }),
  rpc("UserGet alice", S.auth.userGet, { name: "alice" }, { summary: (r) => (r as pb.AuthUserGetResponse).roles.join(",") }),
  rpc("UserList", S.auth.userList, {}),
  rpc("UserDelete (no such user)", S.auth.userDelete, { name: "nobody" }),
  rpc("UserChangePassword (no such user)", S.auth.userChangePassword, { name: "nobody", password: "x" }),
  rpc("UserGrantRole (no such user)", S.auth.userGrantRole, { user: "nobody", role: "rw" }),
  rpc("UserRevokeRole (no such user)", S.auth.userRevokeRole, { name: "nobody", role: "rw" }),
  rpc("RoleAdd", S.auth.roleAdd, { name: "newrole" }, { notAsRoot: true }),
  rpc("RoleGet rw", S.auth.roleGet, { role: "rw" }),
  rpc("RoleList", S.auth.roleList, {}),
  rpc("RoleDelete (no such role)", S.auth.roleDelete, { role: "norole" }),
  rpc("RoleGrantPermission (no such role)", S.auth.roleGrantPermission, { name: "norole", perm: { permType: 2, key: enc("x") } }),
  rpc("RoleRevokePermission (no such role)", S.auth.roleRevokePermission, { role: "norole", key: enc("x") }),
  rpc("Lock a/lock", S.lock.lock, { name: enc("a/lock"), lease: LEASE }, { summary: (r) => Buffer.from((r as v3lockpb.LockResponse).key).toString().replace(/[0-9a-f]+$/, "<lease>") }),
  rpc("Unlock a/lock/none", S.lock.unlock, { key: enc("a/lock/none") }),
  rpc("Campaign a/elect", S.election.campaign, { name: enc("a/elect"), lease: LEASE, value: enc("me") }),
  rpc("Leader a/elect", S.election.leader, { name: enc("a/elect") }),
  rpc("Proclaim (not leader)", S.election.proclaim, { leader: { name: enc("a/elect"), key: enc("a/elect/none"), rev: 1, lease: LEASE }, value: enc("x") }),
  rpc("Resign (not leader)", S.election.resign, { leader: { name: enc("a/elect"), key: enc("a/elect/none"), rev: 1, lease: LEASE } }),
  rpc("Observe a/elect", S.election.observe, { name: enc("a/elect") }),
  // Last: if any of these went through, every later answer would show it.
  rpc("AuthDisable", S.auth.authDisable, {}, { notAsRoot: true }),
];

/** Where our answer differs from etcd 3.4.23's on purpose (or by a known bug): what ours is, and why. */
interface Known {
  readonly ours: RegExp;
  readonly why: string;
}
const NOT_SERVED: Known = { ours: /^12 unknown method Member\w+ for service etcdserverpb\.Cluster$/, why: "membership changes are not served yet (README): refused whoever asks" };
const KNOWN: Readonly<Record<string, Known>> = {
  MemberAdd: NOT_SERVED,
  MemberRemove: NOT_SERVED,
  MemberUpdate: NOT_SERVED,
  MemberPromote: NOT_SERVED,
  "MoveLeader (unknown member)": {
    ours: /^2 auth: (user name is empty|invalid auth token|permission denied)$/,
    why: "etcd 3.4 checks no auth on MoveLeader (anyone may move the leader); we check admin first, as etcd 3.5",
  },
  "LeaseTimeToLive with keys": {
    ours: /^(3 etcdserver: user name is empty|16 etcdserver: invalid auth token)$/,
    why: "etcd 3.4.23 lists a lease's keys to anyone (CVE-2023-32082); the fixed etcd (3.4.26, 3.5.9) and we resolve the caller first: a login is needed",
  },
  "LeaseTimeToLive with keys: a lease holding c": {
    ours: /^7 etcdserver: permission denied$/,
    why: "etcd 3.4.23 lists a lease's keys to anyone (CVE-2023-32082); the fixed etcd (3.4.26, 3.5.9) and we need READ on every key listed (alice may not read c)",
  },
  "Txn: nested txn deletes c": {
    ours: /^7 etcdserver: permission denied$/,
    why: "etcd 3.4.23 does not check the operations of a nested transaction (alice deletes c, outside her [a, c)): an auth bypass we do not copy",
  },
  "Watch from a on": {
    ours: /^OK watch=-1 created=true canceled=true reason=rpc error: code = PermissionDenied desc = etcdserver: permission denied$/,
    why: "etcd 3.4.23 checks a `>= key` watch (range_end \\0) on its first key only (alice watches everything from a on): an auth bypass we do not copy",
  },
};
const MEMBERSHIP: readonly Rpc[] = [
  rpc("MemberAdd", S.cluster.memberAdd, { peerURLs: ["http://127.0.0.1:1"] }),
  rpc("MemberRemove", S.cluster.memberRemove, { ID: 12345n }),
  rpc("MemberUpdate", S.cluster.memberUpdate, { ID: 12345n, peerURLs: ["http://127.0.0.1:1"] }),
  rpc("MemberPromote", S.cluster.memberPromote, { ID: 12345n }),
];

const rw = (grant: boolean, role = "rw"): Rpc =>
  grant
    ? rpc(`grant ${role}`, S.auth.roleGrantPermission, { name: role, perm: { permType: 2, key: enc("a"), rangeEnd: enc("c") } })
    : rpc(`revoke ${role}`, S.auth.roleRevokePermission, { role, key: enc("a"), rangeEnd: enc("c") });

let rootTokens: () => Promise<Map<Target, string>>;
/** Every answer of both servers, for the report: [column, rpc, etcd, ours]. */
const table: [string, string, Answer, Answer][] = [];

describe("with auth enabled", () => {
  before(async () => {
    // Users, roles, keys and a lease, then auth on: the same steps on both servers.
    for (const step of [
      rpc("root", S.auth.userAdd, { name: "root", password: "rootpw" }),
      rpc("role root", S.auth.roleAdd, { name: "root" }),
      rpc("root is root", S.auth.userGrantRole, { user: "root", role: "root" }),
      rpc("role rw", S.auth.roleAdd, { name: "rw" }),
      rw(true),
      rpc("alice", S.auth.userAdd, { name: "alice", password: "alicepw" }),
      rpc("alice is rw", S.auth.userGrantRole, { user: "alice", role: "rw" }),
      rpc("put a", S.kv.put, { key: enc("a"), value: enc("1") }),
      rpc("put b", S.kv.put, { key: enc("b"), value: enc("2") }),
      rpc("lease", S.lease.leaseGrant, { ID: LEASE, TTL: 3600 }),
      rpc("lease for c", S.lease.leaseGrant, { ID: LEASE_C, TTL: 3600 }),
      rpc("put c", S.kv.put, { key: enc("c"), value: enc("3"), lease: LEASE_C }),
      rpc("auth on", S.auth.authEnable, {}),
    ]) {
      await admin(step);
    }
    rootTokens = () => authenticate("root", "rootpw");
  });

  /** Runs every RPC in one column: `prepare` gives the token(s) to use, just before each call. */
  async function column(name: string, rpcs: readonly Rpc[], prepare: () => Promise<Map<Target, string> | undefined>): Promise<void> {
    const mismatches: string[] = [];
    for (const r of rpcs) {
      const tokens = await prepare();
      const [theirs, mine] = await both(r, (t) => tokens?.get(t));
      table.push([name, r.name, theirs, mine]);
      if (mine === theirs) continue;
      const known = KNOWN[r.name];
      if (known === undefined || !known.ours.test(mine)) mismatches.push(`${r.name}: etcd ${theirs} / ours ${mine}`);
    }
    if (process.env["AUTH_TABLE"]) for (const [c, n, a, b] of table.filter(([c]) => c === name)) console.log(`${c} | ${n} | ${a} | ${b}`);
    assert.deepEqual(mismatches, [], `${name}`);
  }

  test("no token: every RPC answers as etcd's does", async () => {
    await column("no token", [...EVERY_RPC, ...MEMBERSHIP], () => Promise.resolve(undefined));
  });

  test("the token of a user deleted a moment ago: every RPC answers as etcd's does", async () => {
    let n = 0;
    await column("deleted user", [...EVERY_RPC, ...MEMBERSHIP], async () => {
      const name = `ghost${n++}`;
      const root = await rootTokens();
      await admin(rpc("ghost", S.auth.userAdd, { name, password: "g" }), root);
      await admin(rpc("ghost is rw", S.auth.userGrantRole, { user: name, role: "rw" }), root);
      const ghost = await authenticate(name, "g");
      await admin(rpc("delete ghost", S.auth.userDelete, { name }), root);
      return ghost;
    });
  });

  test("a user whose role lost the permission a moment ago: every RPC answers as etcd's does", async () => {
    try {
      await column("permission revoked", [...EVERY_RPC, ...MEMBERSHIP], async () => {
        const root = await rootTokens();
        await admin(rw(true), root);
        const alice = await authenticate("alice", "alicepw");
        await admin(rw(false), root);
        return alice;
      });
    } finally {
      await admin(rw(true), await rootTokens());
    }
  });

  test("the permitted user (read-write on [a, c)): every RPC answers as etcd's does", async () => {
    await column("alice", [...EVERY_RPC, ...MEMBERSHIP], () => authenticate("alice", "alicepw"));
  });

  test("key ranges across the edge of a permission on [a, c): allowed inside, refused across, as etcd", async () => {
    const straddle: Rpc[] = [
      rpc("Range b", S.kv.range, { key: enc("b") }, { summary: keysSummary }),
      rpc("Range [b, c)", S.kv.range, { key: enc("b"), rangeEnd: enc("c") }, { summary: keysSummary }),
      rpc("Range [b, d)", S.kv.range, { key: enc("b"), rangeEnd: enc("d") }, { summary: keysSummary }),
      rpc("Range [0, b)", S.kv.range, { key: enc("0"), rangeEnd: enc("b") }, { summary: keysSummary }),
      rpc("Range c", S.kv.range, { key: enc("c") }, { summary: keysSummary }),
      // Before the nested txn below: on etcd 3.4.23, that txn deletes c (its bypass).
      rpc("LeaseTimeToLive with keys: a lease holding c", S.lease.leaseTimeToLive, { ID: LEASE_C, keys: true }, { summary: leaseKeysSummary }),
      rpc("Range from b on (range_end \\0)", S.kv.range, { key: enc("b"), rangeEnd: Buffer.from([0]) }, { summary: keysSummary }),
      rpc("Range prefix b (range_end c)", S.kv.range, { key: enc("b"), rangeEnd: enc("c") }, { summary: keysSummary }),
      rpc("Put c", S.kv.put, { key: enc("c"), value: enc("x") }),
      rpc("Put bzzz", S.kv.put, { key: enc("bzzz"), value: enc("x") }),
      rpc("DeleteRange [b, d)", S.kv.deleteRange, { key: enc("b/none"), rangeEnd: enc("d") }),
      rpc("DeleteRange [b, c)", S.kv.deleteRange, { key: enc("b/none"), rangeEnd: enc("c") }),
      rpc("Txn: compare on d", S.kv.txn, { compare: [{ key: enc("d"), target: pb.Compare_CompareTarget.VERSION, result: pb.Compare_CompareResult.EQUAL, targetUnion: { $case: "version", version: 0 } }] }),
      rpc("Txn: success puts c", S.kv.txn, { success: [{ request: { $case: "requestPut", requestPut: { key: enc("c"), value: enc("x") } } }] }),
      rpc("Txn: failure reads [b, d)", S.kv.txn, { failure: [{ request: { $case: "requestRange", requestRange: { key: enc("b"), rangeEnd: enc("d") } } }] }),
      rpc("Txn: nested txn deletes c", S.kv.txn, { success: [{ request: { $case: "requestTxn", requestTxn: { success: [{ request: { $case: "requestDeleteRange", requestDeleteRange: { key: enc("c") } } }] } } }] }),
      rpc("Txn: all inside", S.kv.txn, { success: [{ request: { $case: "requestPut", requestPut: { key: enc("b"), value: enc("y") } } }, { request: { $case: "requestRange", requestRange: { key: enc("a"), rangeEnd: enc("c") } } }] }),
      rpc("Watch [b, d)", S.watch.watch, { requestUnion: { $case: "createRequest", createRequest: { key: enc("b"), rangeEnd: enc("d") } } }, { stream: true, summary: watchSummary }),
      rpc("Watch [a, c)", S.watch.watch, { requestUnion: { $case: "createRequest", createRequest: { key: enc("a"), rangeEnd: enc("c") } } }, { stream: true, summary: watchSummary }),
      rpc("Watch from a on", S.watch.watch, { requestUnion: { $case: "createRequest", createRequest: { key: enc("a"), rangeEnd: Buffer.from([0]) } } }, { stream: true, summary: watchSummary }),
      rpc("Lock c/lock", S.lock.lock, { name: enc("c/lock"), lease: LEASE }),
      rpc("Campaign c/elect", S.election.campaign, { name: enc("c/elect"), lease: LEASE, value: enc("me") }),
    ];
    await column("straddle", straddle, () => authenticate("alice", "alicepw"));
  });

  test("root: every RPC answers as etcd's does (but those that would change the setup)", async () => {
    await column("root", EVERY_RPC.filter((r) => !r.notAsRoot), rootTokens);
  });

  test("an expired token (unused for longer than --auth-token-ttl): every RPC answers as etcd's does", async () => {
    const stale = await authenticate("alice", "alicepw");
    // etcd's simple tokens expire TTL after their last use; its sweep runs every second.
    await new Promise((r) => setTimeout(r, (TOKEN_TTL_SECONDS + 3) * 1000));
    await column("expired", [...EVERY_RPC, ...MEMBERSHIP], () => Promise.resolve(stale));
  });

  test("the answers that differ from etcd's are only the known ones, for the reasons listed", () => {
    const differing = new Map<string, string[]>();
    for (const [column, name, theirs, mine] of table) {
      if (theirs !== mine) differing.set(name, [...(differing.get(name) ?? []), `${column}: etcd ${theirs} / ours ${mine}`]);
    }
    for (const name of differing.keys()) assert.ok(KNOWN[name], name);
    assert.ok(differing.has("Txn: nested txn deletes c") && differing.has("Watch from a on"), "etcd 3.4.23's bypasses are still there to be refused");
    assert.ok(differing.has("LeaseTimeToLive with keys: a lease holding c"), "etcd 3.4.23 still lists the keys of a lease (CVE-2023-32082), which we refuse");
  });

  test("denials were not vacuous: each refusing column refused most RPCs on etcd, and the allowed ones got through", () => {
    const refused = (column: string): number => table.filter(([c, , theirs]) => c === column && !theirs.startsWith("OK")).length;
    for (const column of ["no token", "deleted user", "permission revoked", "expired"]) assert.ok(refused(column) >= 25, `${column}: ${refused(column)}`);
    const allowed = (column: string, name: string): Answer | undefined => table.find(([c, n]) => c === column && n === name)?.[2];
    assert.match(allowed("alice", "Put b") ?? "", /^OK/);
    assert.match(allowed("root", "UserList") ?? "", /^OK/);
    assert.match(allowed("straddle", "Range [b, d)") ?? "", /^7 etcdserver: permission denied/);
  });
});
