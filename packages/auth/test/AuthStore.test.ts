/**
 * AuthStore: the apply side (users, roles, permissions, enable/disable), its errors with
 * etcd's exact messages (as observed on etcd 3.4.23), root semantics, the auth revision,
 * persistence round trips and the request-side checks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AuthFailedError,
  AuthNotEnabledError,
  AuthOldRevisionError,
  EtcdError,
  InvalidAuthMgmtError,
  InvalidAuthTokenError,
  PermissionDeniedError,
  PermissionNotGivenError,
  PermissionNotGrantedError,
  RoleAlreadyExistError,
  RoleEmptyError,
  RoleNotFoundError,
  RoleNotGrantedError,
  RootRoleNotExistError,
  RootUserNotExistError,
  UserAlreadyExistError,
  UserEmptyError,
  UserNotFoundError,
  authpb,
} from "@etcd-ts/api";
import { AuthStore } from "../src/AuthStore.js";
import { NoPasswordUserError } from "../src/errors.js";
import { b, enableAuth, login, makeStore } from "./support/fixtures.js";

const { READ, WRITE, READWRITE } = authpb.Permission_Type;
const E = new Uint8Array(0);

/** throwsEtcd asserts `fn` throws an EtcdError with exactly this gRPC code and message. */
function throwsEtcd(fn: () => unknown, code: number, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EtcdError, `expected an EtcdError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return true;
  });
}

async function rejectsEtcd(promise: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof EtcdError);
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return true;
  });
}

test("every apply error carries etcd's exact message and code", () => {
  const { store } = makeStore();
  // gRPC codes: 3 INVALID_ARGUMENT, 9 FAILED_PRECONDITION, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED
  throwsEtcd(() => store.authEnable(), 9, "etcdserver: root user does not exist");
  store.userAdd({ name: "root", password: "pw", hashedPassword: "" });
  throwsEtcd(() => store.authEnable(), 9, "etcdserver: root user does not have root role");
  throwsEtcd(() => store.userAdd({ name: "", password: "x", hashedPassword: "" }), 3, "etcdserver: user name is empty");
  throwsEtcd(() => store.userAdd({ name: "root", password: "x", hashedPassword: "" }), 9, "etcdserver: user name already exists");
  throwsEtcd(() => store.roleAdd({ name: "" }), 3, "etcdserver: role name is empty");
  store.roleAdd({ name: "r1" });
  throwsEtcd(() => store.roleAdd({ name: "r1" }), 9, "etcdserver: role name already exists");
  throwsEtcd(() => store.roleGrantPermission({ name: "nope", perm: { permType: READ, key: b("foo"), rangeEnd: E } }), 9, "etcdserver: role name not found");
  throwsEtcd(() => store.roleGrantPermission({ name: "r1" }), 3, "etcdserver: permission not given");
  throwsEtcd(() => store.roleRevokePermission({ role: "r1", key: b("nothere"), rangeEnd: E }), 9, "etcdserver: permission is not granted to the role");
  throwsEtcd(() => store.roleRevokePermission({ role: "ghost", key: b("foo"), rangeEnd: E }), 9, "etcdserver: role name not found");
  throwsEtcd(() => store.userGrantRole({ user: "root", role: "nope" }), 9, "etcdserver: role name not found");
  throwsEtcd(() => store.userGrantRole({ user: "bob", role: "r1" }), 9, "etcdserver: user name not found");
  throwsEtcd(() => store.userRevokeRole({ name: "root", role: "r2" }), 9, "etcdserver: role is not granted to the user");
  throwsEtcd(() => store.userRevokeRole({ name: "bob", role: "r2" }), 9, "etcdserver: user name not found");
  throwsEtcd(() => store.userDelete({ name: "ghost" }), 9, "etcdserver: user name not found");
  throwsEtcd(() => store.roleDelete({ role: "ghost" }), 9, "etcdserver: role name not found");
  throwsEtcd(() => store.userChangePassword({ name: "ghost", password: "x", hashedPassword: "" }), 9, "etcdserver: user name not found");
  throwsEtcd(() => store.roleGet({ role: "ghost" }), 9, "etcdserver: role name not found");
  throwsEtcd(() => store.userGet({ name: "ghost" }), 9, "etcdserver: user name not found");
  throwsEtcd(() => store.authenticate("root", { index: 1, simpleTokenPrefix: "x" }), 9, "etcdserver: authentication is not enabled");
  store.userGrantRole({ user: "root", role: "root" });
  store.authEnable();
  throwsEtcd(() => store.userRevokeRole({ name: "root", role: "root" }), 3, "etcdserver: invalid auth management");
  throwsEtcd(() => store.userDelete({ name: "root" }), 3, "etcdserver: invalid auth management");
  throwsEtcd(() => store.roleDelete({ role: "root" }), 3, "etcdserver: invalid auth management");
  throwsEtcd(() => store.authenticate("ghost", { index: 1, simpleTokenPrefix: "x" }), 3, "etcdserver: authentication failed, invalid user ID or password");
  throwsEtcd(() => store.authInfoFromToken("bogus.1"), 16, "etcdserver: invalid auth token");
  throwsEtcd(() => store.isRangePermitted(undefined, b("foo")), 3, "etcdserver: user name is empty");
  throwsEtcd(() => store.isRangePermitted({ username: "ghost", revision: store.revision }, b("foo")), 7, "etcdserver: permission denied");
  throwsEtcd(() => store.isRangePermitted({ username: "root", revision: store.revision - 1 }, b("foo")), 3, "etcdserver: revision of auth store is old");
  throwsEtcd(() => store.isAdminPermitted({ username: "ghost", revision: store.revision }), 9, "etcdserver: user name not found");
  assert.ok(new AuthOldRevisionError() instanceof EtcdError);
});

test("failed requests change nothing: no backend write, no revision bump", () => {
  const { store, backend } = makeStore();
  enableAuth(store);
  const writes = backend.writes;
  const revision = store.revision;
  const attempts: (() => unknown)[] = [
    () => store.userAdd({ name: "root", password: "x", hashedPassword: "" }),
    () => store.userDelete({ name: "root" }),
    () => store.roleDelete({ role: "ghost" }),
    () => store.userGrantRole({ user: "root", role: "ghost" }),
    () => store.roleRevokePermission({ role: "ghost", key: b("a"), rangeEnd: E }),
    () => store.userRevokeRole({ name: "root", role: "root" }),
  ];
  for (const attempt of attempts) assert.throws(attempt, EtcdError);
  assert.equal(backend.writes, writes);
  assert.equal(store.revision, revision);
});

test("auth revision: starts at 1, +1 per change, unchanged by enable and by no-op grants", () => {
  const { store } = makeStore();
  assert.equal(store.revision, 1);
  store.userAdd({ name: "root", password: "pw", hashedPassword: "" });
  assert.equal(store.revision, 2);
  store.userGrantRole({ user: "root", role: "root" });
  assert.equal(store.revision, 3);
  store.userGrantRole({ user: "root", role: "root" });
  assert.equal(store.revision, 3, "granting a held role is a no-op");
  store.authEnable();
  assert.equal(store.revision, 3, "enable does not bump (etcd 3.4)");
  store.authEnable();
  store.roleAdd({ name: "r" });
  store.roleGrantPermission({ name: "r", perm: { permType: READ, key: b("a"), rangeEnd: E } });
  store.roleRevokePermission({ role: "r", key: b("a"), rangeEnd: E });
  store.roleDelete({ role: "r" });
  assert.equal(store.revision, 7);
  store.authDisable();
  assert.equal(store.revision, 8, "disable bumps");
  store.authDisable();
  assert.equal(store.revision, 8);
  assert.deepEqual(store.authStatus(), { enabled: false, authRevision: 8 });
});

test("users and roles: get, list (byte order), grant keeps roles sorted, role delete revokes from users", () => {
  const { store } = makeStore();
  store.userAdd({ name: "zed", password: "pw", hashedPassword: "" });
  store.userAdd({ name: "alice", password: "pw", hashedPassword: "" });
  store.userAdd({ name: "Bob", password: "pw", hashedPassword: "" });
  for (const r of ["w", "b", "a"]) store.roleAdd({ name: r });
  for (const r of ["w", "b", "a"]) store.userGrantRole({ user: "alice", role: r });
  store.userGrantRole({ user: "zed", role: "b" });
  assert.deepEqual(store.userList({}).users, ["Bob", "alice", "zed"]);
  assert.deepEqual(store.roleList({}).roles, ["a", "b", "w"]);
  assert.deepEqual(store.userGet({ name: "alice" }).roles, ["a", "b", "w"]);
  store.roleDelete({ role: "b" });
  assert.deepEqual(store.userGet({ name: "alice" }).roles, ["a", "w"]);
  assert.deepEqual(store.userGet({ name: "zed" }).roles, []);
  store.userRevokeRole({ name: "alice", role: "w" });
  assert.deepEqual(store.userGet({ name: "alice" }).roles, ["a"]);
  // root may be granted before a role named root exists
  store.userGrantRole({ user: "zed", role: "root" });
  assert.equal(store.hasRole("zed", "root"), true);
  assert.equal(store.hasRole("ghost", "root"), false);
});

test("role permissions: kept in key order, same key+range end updates the type, revoke matches exactly", () => {
  const { store } = makeStore();
  store.roleAdd({ name: "r1" });
  const grant = (permType: authpb.Permission_Type, key: string, rangeEnd = "") =>
    store.roleGrantPermission({ name: "r1", perm: { permType, key: b(key), rangeEnd: b(rangeEnd) } });
  grant(READ, "foo");
  grant(WRITE, "a", "z");
  grant(READWRITE, "p", "q");
  grant(READ, "k", "\0");
  grant(READ, "z", "a");
  grant(WRITE, "foo");
  const perms = store.roleGet({ role: "r1" }).perm.map((p) => [new TextDecoder().decode(p.key), new TextDecoder().decode(p.rangeEnd), p.permType]);
  assert.deepEqual(perms, [
    ["a", "z", WRITE],
    ["foo", "", WRITE],
    ["k", "\0", READ],
    ["p", "q", READWRITE],
    ["z", "a", READ],
  ]);
  assert.throws(() => store.roleRevokePermission({ role: "r1", key: b("a"), rangeEnd: E }), PermissionNotGrantedError);
  store.roleRevokePermission({ role: "r1", key: b("a"), rangeEnd: b("z") });
  assert.equal(store.roleGet({ role: "r1" }).perm.length, 4);
});

test("root semantics: enabling needs root with root role; root may do everything; only root administers", () => {
  const { store } = makeStore();
  assert.throws(() => store.authEnable(), RootUserNotExistError);
  store.userAdd({ name: "root", password: "pw", hashedPassword: "" });
  assert.throws(() => store.authEnable(), RootRoleNotExistError);
  store.userGrantRole({ user: "root", role: "root" });
  store.userAdd({ name: "alice", password: "pw", hashedPassword: "" });
  // disabled: everything is allowed, even without credentials
  store.isAdminPermitted(undefined);
  store.isPutPermitted(undefined, b("x"));
  store.authEnable();
  const rev = store.revision;
  const root = { username: "root", revision: rev };
  const alice = { username: "alice", revision: rev };
  store.isAdminPermitted(root);
  store.isPutPermitted(root, b("any"));
  store.isRangePermitted(root, b("a"), Uint8Array.of(0));
  store.isDeleteRangePermitted(root, b("\0"), Uint8Array.of(0));
  assert.throws(() => store.isAdminPermitted(alice), PermissionDeniedError);
  assert.throws(() => store.isAdminPermitted(undefined), UserEmptyError);
  assert.throws(() => store.isAdminPermitted({ username: "", revision: rev }), UserEmptyError);
  assert.throws(() => store.isAdminPermitted({ username: "ghost", revision: rev }), UserNotFoundError);
  assert.throws(() => store.isPutPermitted(alice, b("x")), PermissionDeniedError);
  // a second root-role user is admin too
  store.userGrantRole({ user: "alice", role: "root" });
  store.isAdminPermitted({ username: "alice", revision: store.revision });
  store.isPutPermitted({ username: "alice", revision: store.revision }, b("x"));
  // while disabled, root and its role may be removed
  store.authDisable();
  store.userRevokeRole({ name: "root", role: "root" });
  store.userDelete({ name: "root" });
  assert.throws(() => store.roleDelete({ role: "root" }), RoleNotFoundError);
});

test("permission checks follow grants and revocations at once (cache invalidated by every change)", () => {
  const { store } = makeStore();
  enableAuth(store);
  store.userAdd({ name: "u", password: "pw", hashedPassword: "" });
  store.roleAdd({ name: "r" });
  store.userGrantRole({ user: "u", role: "r" });
  const ai = () => ({ username: "u", revision: store.revision });
  assert.throws(() => store.isRangePermitted(ai(), b("foo")), PermissionDeniedError);
  store.roleGrantPermission({ name: "r", perm: { permType: READ, key: b("foo"), rangeEnd: E } });
  store.isRangePermitted(ai(), b("foo"));
  assert.throws(() => store.isPutPermitted(ai(), b("foo")), PermissionDeniedError);
  assert.throws(() => store.isRangePermitted(ai(), b("foo2")), PermissionDeniedError);
  store.roleGrantPermission({ name: "r", perm: { permType: READWRITE, key: b("foo"), rangeEnd: E } });
  store.isPutPermitted(ai(), b("foo"));
  store.roleGrantPermission({ name: "r", perm: { permType: WRITE, key: b("a"), rangeEnd: b("z") } });
  store.isDeleteRangePermitted(ai(), b("b"), b("c"));
  assert.throws(() => store.isDeleteRangePermitted(ai(), b("b"), Uint8Array.of(0)), PermissionDeniedError);
  store.userRevokeRole({ name: "u", role: "r" });
  assert.throws(() => store.isPutPermitted(ai(), b("foo")), PermissionDeniedError);
  store.userGrantRole({ user: "u", role: "r" });
  store.isPutPermitted(ai(), b("foo"));
  store.roleDelete({ role: "r" });
  assert.throws(() => store.isPutPermitted(ai(), b("foo")), PermissionDeniedError);
});

test("a request checked at an older auth revision fails with AuthOldRevisionError", () => {
  const { store } = makeStore();
  enableAuth(store);
  const before = { username: "root", revision: store.revision };
  store.isPutPermitted(before, b("k"));
  store.roleAdd({ name: "unrelated" });
  assert.throws(() => store.isPutPermitted(before, b("k")), AuthOldRevisionError);
  assert.throws(() => store.isRangePermitted({ username: "root", revision: 0 }, b("k")), UserEmptyError);
  store.isPutPermitted({ username: "root", revision: store.revision + 5 }, b("k"));
});

test("authentication: password check, tokens, no-password users", async () => {
  const f = makeStore();
  const { store } = f;
  await rejectsEtcd(store.checkPassword("root", "x"), 9, "etcdserver: authentication is not enabled");
  enableAuth(store);
  store.userAdd({ name: "cn", password: "", hashedPassword: "", options: { noPassword: true } });
  await rejectsEtcd(store.checkPassword("root", "wrong"), 3, "etcdserver: authentication failed, invalid user ID or password");
  await rejectsEtcd(store.checkPassword("nobody", "wrong"), 3, "etcdserver: authentication failed, invalid user ID or password");
  await rejectsEtcd(store.checkPassword("cn", "x"), 2, "auth: authentication failed, password was given for no password user");
  await assert.rejects(store.checkPassword("cn", "x"), NoPasswordUserError);
  assert.throws(() => store.authenticate("cn", { index: 1, simpleTokenPrefix: "x" }), AuthFailedError);
  assert.equal(await store.checkPassword("root", "rootpw"), store.revision);
  const token = await login(f, "root", "rootpw");
  assert.match(token, /^[a-zA-Z]{16}\.100$/);
  assert.deepEqual(store.authInfoFromToken(token), { username: "root", revision: store.revision });
  // password change drops the user's tokens and the old password
  store.userChangePassword({ name: "root", password: "new", hashedPassword: "" });
  assert.throws(() => store.authInfoFromToken(token), InvalidAuthTokenError);
  await assert.rejects(store.checkPassword("root", "rootpw"), AuthFailedError);
  await store.checkPassword("root", "new");
  // user delete drops the user's tokens
  store.userAdd({ name: "bob", password: "bobpw", hashedPassword: "" });
  const bobToken = await login(f, "bob", "bobpw");
  store.authInfoFromToken(bobToken);
  store.userDelete({ name: "bob" });
  assert.throws(() => store.authInfoFromToken(bobToken), InvalidAuthTokenError);
  // disabling auth drops every token
  const rootToken = await login(f, "root", "new");
  store.authDisable();
  assert.throws(() => store.authInfoFromToken(rootToken), InvalidAuthTokenError);
  assert.throws(() => store.authenticate("root", { index: 1, simpleTokenPrefix: "x" }), AuthNotEnabledError);
});

test("hashed passwords in proposals (etcd 3.5 style) are stored as given", async () => {
  const { store } = makeStore();
  const hashedPassword = await store.hashPassword("s3cret");
  assert.match(Buffer.from(hashedPassword, "base64").toString(), /^\$2b\$04\$/);
  store.userAdd({ name: "root", password: "", hashedPassword });
  store.userGrantRole({ user: "root", role: "root" });
  store.authEnable();
  await store.checkPassword("root", "s3cret");
  store.userChangePassword({ name: "root", password: "", hashedPassword: await store.hashPassword("other") });
  await store.checkPassword("root", "other");
  // a Go-made hash (golang.org/x/crypto/bcrypt test vector) works as a stored password
  const goHash = "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga";
  store.userChangePassword({ name: "root", password: "", hashedPassword: Buffer.from(goHash).toString("base64") });
  await store.checkPassword("root", "allmine");
});

test("persistence: reopening over the same backend restores users, roles, perms, flag and revision", async () => {
  const first = makeStore();
  enableAuth(first.store);
  first.store.userAdd({ name: "alice", password: "pw", hashedPassword: "" });
  first.store.roleAdd({ name: "reader" });
  first.store.roleGrantPermission({ name: "reader", perm: { permType: READ, key: b("app/"), rangeEnd: b("app0") } });
  first.store.userGrantRole({ user: "alice", role: "reader" });
  const reopened = makeStore({ backend: first.backend });
  const s = reopened.store;
  assert.equal(s.isAuthEnabled(), true);
  assert.equal(s.revision, first.store.revision);
  assert.deepEqual(s.userList({}).users, ["alice", "root"]);
  const encodePerms = (perms: authpb.Permission[]) => perms.map((p) => Buffer.from(authpb.Permission.encode(p)).toString("hex"));
  assert.deepEqual(encodePerms(s.roleGet({ role: "reader" }).perm), encodePerms(first.store.roleGet({ role: "reader" }).perm));
  s.isRangePermitted({ username: "alice", revision: s.revision }, b("app/x"));
  assert.throws(() => s.isPutPermitted({ username: "alice", revision: s.revision }, b("app/x")), PermissionDeniedError);
  await s.checkPassword("alice", "pw");
  // tokens are issued after reopening since the provider was enabled
  const token = await login(reopened, "alice", "pw");
  assert.equal(s.authInfoFromToken(token).username, "alice");
  // recover() follows the backend (e.g. after a snapshot) including the enabled flag
  first.store.authDisable();
  s.recover();
  assert.equal(s.isAuthEnabled(), false);
  assert.throws(() => s.authInfoFromToken(token), InvalidAuthTokenError);
});

test("opPermissionFault names the error without throwing", () => {
  const { store } = makeStore();
  assert.equal(store.opPermissionFault(undefined, b("k"), E, WRITE), undefined, "auth disabled");
  enableAuth(store);
  store.userAdd({ name: "u", password: "", hashedPassword: "" });
  const rev = store.revision;
  assert.equal(store.opPermissionFault(undefined, b("k"), E, WRITE), UserEmptyError);
  assert.equal(store.opPermissionFault({ username: "u", revision: rev - 1 }, b("k"), E, WRITE), AuthOldRevisionError);
  assert.equal(store.opPermissionFault({ username: "u", revision: rev }, b("k"), E, WRITE), PermissionDeniedError);
  assert.equal(store.opPermissionFault({ username: "root", revision: rev }, b("k"), E, WRITE), undefined);
});

test("out-of-range bcrypt cost falls back to 10", () => {
  const { backend, tokens } = makeStore();
  assert.equal(new AuthStore({ backend, tokenProvider: tokens, bcryptCost: 3 }).bcryptCost, 10);
  assert.equal(new AuthStore({ backend, tokenProvider: tokens, bcryptCost: 32 }).bcryptCost, 10);
  assert.equal(new AuthStore({ backend, tokenProvider: tokens, bcryptCost: 12 }).bcryptCost, 12);
  assert.equal(new AuthStore({ backend, tokenProvider: tokens }).bcryptCost, 10);
});

test("error classes are the api catalogue's", () => {
  for (const cls of [UserAlreadyExistError, RoleEmptyError, RoleNotGrantedError, PermissionNotGivenError, RoleAlreadyExistError, InvalidAuthMgmtError]) {
    assert.ok(new cls() instanceof EtcdError);
  }
});
