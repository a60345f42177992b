/** Per-RPC checks (etcd's auth applier): Txn, Put with leases and prev_kv, DeleteRange, UserGet/RoleGet, JWT revisions. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { AuthOldRevisionError, PermissionDeniedError, UserEmptyError, UserNotFoundError, authpb, etcdserverpb } from "@etcd-ts/api";
import { ADMIN_REQUESTS, checkDeleteRange, checkLeaseRevoke, checkLeaseTimeToLive, checkPut, checkRange, checkRoleGet, checkTxn, checkUserGet } from "../src/RequestChecks.js";
import { JwtTokenProvider } from "../src/JwtTokens.js";
import { ManualClock } from "../src/Clock.js";
import { b, enableAuth, login, makeStore } from "./support/fixtures.js";

const { READ, WRITE } = authpb.Permission_Type;

function setup() {
  const f = makeStore();
  const { store } = f;
  enableAuth(store);
  store.userAdd({ name: "u", password: "pw", hashedPassword: "" });
  store.roleAdd({ name: "reader" });
  store.roleAdd({ name: "writer" });
  store.roleGrantPermission({ name: "reader", perm: { permType: READ, key: b("r/"), rangeEnd: b("r0") } });
  store.roleGrantPermission({ name: "writer", perm: { permType: WRITE, key: b("w/"), rangeEnd: b("w0") } });
  store.userGrantRole({ user: "u", role: "reader" });
  store.userGrantRole({ user: "u", role: "writer" });
  return { ...f, ai: { username: "u", revision: store.revision } };
}

const put = (key: string, prevKv = false) => etcdserverpb.PutRequest.create({ key: b(key), prevKv });
const range = (key: string, rangeEnd = "") => etcdserverpb.RangeRequest.create({ key: b(key), rangeEnd: b(rangeEnd) });

test("Range, Put (prev_kv needs READ), DeleteRange (prev_kv needs READ)", () => {
  const { store, ai } = setup();
  checkRange(store, ai, range("r/a", "r/z"));
  assert.throws(() => checkRange(store, ai, range("w/a")), PermissionDeniedError);
  checkPut(store, ai, put("w/a"));
  assert.throws(() => checkPut(store, ai, put("w/a", true)), PermissionDeniedError);
  checkDeleteRange(store, ai, etcdserverpb.DeleteRangeRequest.create({ key: b("w/"), rangeEnd: b("w0") }));
  assert.throws(() => checkDeleteRange(store, ai, etcdserverpb.DeleteRangeRequest.create({ key: b("w/"), rangeEnd: b("w0"), prevKv: true })), PermissionDeniedError);
});

test("Put onto a lease needs WRITE on the lease's keys; LeaseRevoke too", () => {
  const { store, ai } = setup();
  checkPut(store, ai, put("w/new"), [b("w/old")]);
  assert.throws(() => checkPut(store, ai, put("w/new"), [b("w/old"), b("other")]), PermissionDeniedError);
  checkLeaseRevoke(store, ai, [b("w/1"), b("w/2")]);
  assert.throws(() => checkLeaseRevoke(store, ai, [b("r/1")]), PermissionDeniedError);
});

// The fixed etcd (3.4.26 / 3.5.9, CVE-2023-32082); etcd 3.4.23 lists the keys to anyone.
test("LeaseTimeToLive with keys needs READ on every key of the lease, and a login even for a lease without keys", () => {
  const { store, ai } = setup();
  checkLeaseTimeToLive(store, ai, [b("r/1"), b("r/2")]);
  checkLeaseTimeToLive(store, ai, []);
  assert.throws(() => checkLeaseTimeToLive(store, ai, [b("r/1"), b("w/1")]), PermissionDeniedError, "WRITE alone does not let one read the key's name");
  assert.throws(() => checkLeaseTimeToLive(store, undefined, []), UserEmptyError);
  assert.throws(() => checkLeaseTimeToLive(store, { username: "u", revision: ai.revision - 1 }, [b("r/1")]), AuthOldRevisionError);
  checkLeaseTimeToLive(store, { username: "root", revision: store.revision }, [b("w/1"), b("elsewhere")]);
  store.authDisable();
  checkLeaseTimeToLive(store, undefined, [b("elsewhere")]);
});

test("Txn: compares need READ, both branches are checked, nested txns too", () => {
  const { store, ai } = setup();
  const txn = (init: Partial<etcdserverpb.TxnRequest>) => etcdserverpb.TxnRequest.create(init);
  const op = (request: etcdserverpb.RequestOp["request"]) => etcdserverpb.RequestOp.create(request === undefined ? {} : { request });
  const ok = txn({
    compare: [etcdserverpb.Compare.create({ key: b("r/x") })],
    success: [op({ $case: "requestPut", requestPut: put("w/x") }), op({ $case: "requestRange", requestRange: range("r/a", "r0") }), op(undefined)],
    failure: [op({ $case: "requestDeleteRange", requestDeleteRange: etcdserverpb.DeleteRangeRequest.create({ key: b("w/y") }) })],
  });
  checkTxn(store, ai, ok);
  assert.throws(() => checkTxn(store, ai, txn({ compare: [etcdserverpb.Compare.create({ key: b("w/x") })] })), PermissionDeniedError);
  assert.throws(() => checkTxn(store, ai, txn({ failure: [op({ $case: "requestPut", requestPut: put("r/x") })] })), PermissionDeniedError, "failure branch checked too");
  assert.throws(() => checkTxn(store, ai, txn({ success: [op({ $case: "requestPut", requestPut: put("w/x", true) })] })), PermissionDeniedError);
  const nested = txn({ success: [op({ $case: "requestTxn", requestTxn: txn({ success: [op({ $case: "requestPut", requestPut: put("r/x") })] }) })] });
  assert.throws(() => checkTxn(store, ai, nested), PermissionDeniedError);
});

test("UserGet: self or root; RoleGet: held roles or root (as etcd 3.4.23)", () => {
  const { store, ai } = setup();
  const root = { username: "root", revision: store.revision };
  checkUserGet(store, ai, { name: "u" });
  checkUserGet(store, root, { name: "u" });
  assert.throws(() => checkUserGet(store, ai, { name: "root" }), PermissionDeniedError);
  checkRoleGet(store, ai, { role: "reader" });
  assert.throws(() => checkRoleGet(store, ai, { role: "root" }), PermissionDeniedError);
  assert.throws(() => checkRoleGet(store, undefined, { role: "root" }), UserEmptyError);
  assert.throws(() => checkRoleGet(store, { username: "ghost", revision: 9 }, { role: "x" }), UserNotFoundError);
  assert.equal(ADMIN_REQUESTS.has("authUserAdd"), true);
  assert.equal(ADMIN_REQUESTS.has("authUserGet"), false);
});

test("JWT tokens carry their revision: a token older than an auth change is refused until re-authentication", async () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const clock = new ManualClock(1_000_000);
  const f = makeStore({ tokens: new JwtTokenProvider({ signMethod: "ES256", privateKey, clock }), clock });
  enableAuth(f.store);
  const token = await login(f, "root", "rootpw");
  const info = f.store.authInfoFromToken(token);
  f.store.isPutPermitted(info, b("k"));
  f.store.roleAdd({ name: "another" });
  assert.throws(() => f.store.isPutPermitted(f.store.authInfoFromToken(token), b("k")), AuthOldRevisionError);
  const fresh = await login(f, "root", "rootpw");
  f.store.isPutPermitted(f.store.authInfoFromToken(fresh), b("k"));
});

test("simple tokens resolve at the current revision; the header revision catches changes between proposal and apply", async () => {
  const f = setup();
  const token = await login(f, "u", "pw");
  const atProposal = f.store.authInfoFromToken(token);
  checkPut(f.store, atProposal, put("w/a"));
  f.store.userRevokeRole({ name: "u", role: "writer" });
  // applying the proposal made before the revoke: refused by revision, not by permissions
  assert.throws(() => checkPut(f.store, atProposal, put("w/a")), AuthOldRevisionError);
  // a new request resolves at the new revision and is denied
  assert.throws(() => checkPut(f.store, f.store.authInfoFromToken(token), put("w/a")), PermissionDeniedError);
});
