// Authenticate racing a password change (etcd's Authenticate loop, v3_server.go): the password
// is checked outside raft, at some auth revision, and the token is issued when the
// Authenticate entry applies. If the auth store changed in between, etcd throws the token away
// and starts again from the password check — so a login with a password that stopped being
// valid before its token was issued gets no token.
//
// The interleaving is forced, not left to timing: the member's AuthStore.checkPassword is
// wrapped (once per test) so that, right after the real check has passed, an auth change is
// proposed and applied before the check returns to the Authenticate handler.
import assert from "node:assert/strict";
import { connect, type ClientHttp2Session } from "node:http2";
import { after, before, test } from "node:test";
import { AuthFailedError, etcdserverpb as pb, GrpcStatus, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import type { AuthStore } from "@etcd-ts/auth";
import { startEtcd, type Etcd } from "../src/index.js";
import { okResponse, unary, type Answer } from "./support/member.js";

let etcd: Etcd;
let address: string;
let session: ClientHttp2Session;

/** call makes a unary call on the test's connection, waiting up to 15 s for its answer. */
const call = <Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, token?: string): Promise<Answer<Res>> =>
  unary(address, method, request, { session, token, waitMs: 15_000 });

/** ok makes a call that must succeed and returns its response. */
const ok = async <Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, token?: string): Promise<Res> =>
  okResponse(await call(method, request, token), method.path);

const rootToken = async (): Promise<string> => (await ok(pb.AuthService.authenticate, { name: "root", password: "rootpw" })).token;

/**
 * raceNextCheck wraps `auth.checkPassword` so that the next check runs `between` after it has
 * passed and before it returns (the check's revision is then stale); later checks are left
 * alone. `checks` lists the outcome of every check made; `restore` unwraps.
 */
function raceNextCheck(auth: AuthStore, between: () => Promise<void>): { readonly checks: string[]; restore(): void } {
  const real = auth.checkPassword.bind(auth);
  const checks: string[] = [];
  let raced = false;
  auth.checkPassword = async (name, password) => {
    try {
      const revision = await real(name, password);
      checks.push(`passed at ${revision}`);
      if (!raced) {
        raced = true;
        await between();
      }
      return revision;
    } catch (error) {
      checks.push(`failed: ${(error as Error).message}`);
      throw error;
    }
  };
  return { checks, restore: () => void Reflect.deleteProperty(auth, "checkPassword") };
}

before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], bcryptCost: 4 });
  address = new URL(etcd.clientUrls[0]!).host;
  session = connect(`http://${address}`);
  session.setMaxListeners(0);
  await ok(pb.AuthService.userAdd, { name: "root", password: "rootpw" });
  await ok(pb.AuthService.roleAdd, { name: "root" });
  await ok(pb.AuthService.userGrantRole, { user: "root", role: "root" });
  await ok(pb.AuthService.userAdd, { name: "alice", password: "old" });
  await ok(pb.AuthService.authEnable, {});
});

after(async () => {
  session?.close();
  await etcd?.close();
});

test("a login racing a password change gets no token for the old password", async () => {
  const root = await rootToken();
  const race = raceNextCheck(etcd.server.auth, async () => {
    await ok(pb.AuthService.userChangePassword, { name: "alice", password: "new" }, root);
  });
  let login;
  try {
    login = await call(pb.AuthService.authenticate, { name: "alice", password: "old" });
  } finally {
    race.restore();
  }
  const leaked = login.response?.token;
  const works = leaked === undefined ? "" : ` (and it works: UserGet alice → ${(await call(pb.AuthService.userGet, { name: "alice" }, leaked)).status})`;
  assert.deepEqual(
    { status: login.status, message: login.message },
    { status: AuthFailedError.code, message: AuthFailedError.message },
    `a token for the old password was issued after the change: ${leaked}${works}`,
  );
  // The first check passed at the revision before the change; the retry checked again and failed.
  assert.equal(race.checks.length, 2, race.checks.join("; "));
  assert.match(race.checks[0]!, /^passed at /);
  assert.equal(race.checks[1], `failed: ${AuthFailedError.message}`);
  // And once the race is over: the old password is refused, the new one works.
  const old = await call(pb.AuthService.authenticate, { name: "alice", password: "old" });
  assert.deepEqual({ status: old.status, message: old.message }, { status: GrpcStatus.INVALID_ARGUMENT, message: "etcdserver: authentication failed, invalid user ID or password" });
  await ok(pb.AuthService.userGet, { name: "alice" }, (await ok(pb.AuthService.authenticate, { name: "alice", password: "new" })).token);
});

test("a login whose check went stale by an unrelated auth change checks again and gets a current token", async () => {
  const root = await rootToken();
  const race = raceNextCheck(etcd.server.auth, async () => {
    await ok(pb.AuthService.roleAdd, { name: "unrelated" }, root);
  });
  let token: string;
  try {
    token = (await ok(pb.AuthService.authenticate, { name: "alice", password: "new" })).token;
  } finally {
    race.restore();
  }
  const revision = etcd.server.auth.revision;
  assert.deepEqual(race.checks, [`passed at ${revision - 1}`, `passed at ${revision}`]);
  // The token answers at the current revision: alice may read her own user.
  assert.deepEqual((await ok(pb.AuthService.userGet, { name: "alice" }, token)).roles, []);
});
