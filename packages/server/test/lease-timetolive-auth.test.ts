// LeaseTimeToLive with keys=true lists the names of the keys attached to a lease, so with auth
// enabled it is answered only to a caller who may READ every one of them: etcd's fix for
// CVE-2023-32082 (3.4.26, 3.5.9). Without keys=true nothing is checked, as in etcd.
//
// Not compared with the oracle: the etcd 3.4.23 installed here predates the fix and answers
// every caller with the keys (including one without a token). We follow the fixed etcd.
import assert from "node:assert/strict";
import { connect, type ClientHttp2Session } from "node:http2";
import { after, before, test } from "node:test";
import { authpb, etcdserverpb as pb, GrpcStatus, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { startEtcd, type Etcd } from "../src/index.js";
import { okResponse, unary, type Answer } from "./support/member.js";

let etcd: Etcd;
let address: string;
let session: ClientHttp2Session;

/** MIXED has a key alice may read and one she may not; READABLE only keys she may read. */
const MIXED = 100n;
const READABLE = 200n;
const UNKNOWN = 300n;

/** call makes a unary call on the test's connection, waiting up to 15 s for its answer. */
const call = <Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, token?: string): Promise<Answer<Res>> =>
  unary(address, method, request, { session, token, waitMs: 15_000 });

const ok = async <Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, token?: string): Promise<Res> =>
  okResponse(await call(method, request, token), method.path);

const login = async (name: string, password: string): Promise<string> => (await ok(pb.AuthService.authenticate, { name, password })).token;

/** timeToLive summarizes a LeaseTimeToLive answer: the error, or the keys listed (and whether the lease was found). */
async function timeToLive(ID: bigint, keys: boolean, token?: string): Promise<string> {
  const result = await call(pb.LeaseService.leaseTimeToLive, { ID, keys }, token);
  if (result.status !== GrpcStatus.OK) return `${result.status} ${result.message}`;
  const response = result.response!;
  if (response.TTL === -1) return "not found";
  return `keys [${response.keys.map((k) => Buffer.from(k).toString()).join(",")}]`;
}

before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], bcryptCost: 4 });
  address = new URL(etcd.clientUrls[0]!).host;
  session = connect(`http://${address}`);
  session.setMaxListeners(0);
  const enc = (s: string): Buffer => Buffer.from(s);
  await ok(pb.AuthService.userAdd, { name: "root", password: "rootpw" });
  await ok(pb.AuthService.roleAdd, { name: "root" });
  await ok(pb.AuthService.userGrantRole, { user: "root", role: "root" });
  // alice reads [a, c) and writes [w, x): she may not read w/1.
  await ok(pb.AuthService.roleAdd, { name: "reader" });
  await ok(pb.AuthService.roleGrantPermission, { name: "reader", perm: { permType: authpb.Permission_Type.READ, key: enc("a"), rangeEnd: enc("c") } });
  await ok(pb.AuthService.roleGrantPermission, { name: "reader", perm: { permType: authpb.Permission_Type.WRITE, key: enc("w"), rangeEnd: enc("x") } });
  await ok(pb.AuthService.userAdd, { name: "alice", password: "alicepw" });
  await ok(pb.AuthService.userGrantRole, { user: "alice", role: "reader" });
  for (const ID of [MIXED, READABLE]) await ok(pb.LeaseService.leaseGrant, { ID, TTL: 600 });
  await ok(pb.KVService.put, { key: enc("a/1"), value: enc("v"), lease: MIXED });
  await ok(pb.KVService.put, { key: enc("w/1"), value: enc("secret name"), lease: MIXED });
  await ok(pb.KVService.put, { key: enc("b/1"), value: enc("v"), lease: READABLE });
  await ok(pb.AuthService.authEnable, {});
});

after(async () => {
  session?.close();
  await etcd?.close();
});

test("keys=true: refused with permission denied when one key of the lease may not be read", async () => {
  const alice = await login("alice", "alicepw");
  assert.equal(await timeToLive(MIXED, true, alice), "7 etcdserver: permission denied");
});

test("keys=true: answered to a caller who may read every key, and to root", async () => {
  assert.equal(await timeToLive(READABLE, true, await login("alice", "alicepw")), "keys [b/1]");
  assert.equal(await timeToLive(MIXED, true, await login("root", "rootpw")), "keys [a/1,w/1]");
});

test("keys=true: a caller without a token is refused, even for an unknown lease; a bad token too", async () => {
  assert.equal(await timeToLive(MIXED, true), "3 etcdserver: user name is empty");
  assert.equal(await timeToLive(UNKNOWN, true), "3 etcdserver: user name is empty");
  assert.equal(await timeToLive(MIXED, true, "bogus.1"), "16 etcdserver: invalid auth token");
  assert.equal(await timeToLive(UNKNOWN, true, await login("alice", "alicepw")), "not found");
});

test("without keys: no permission is checked, as in etcd", async () => {
  assert.equal(await timeToLive(MIXED, false), "keys []");
  assert.equal(await timeToLive(MIXED, false, await login("alice", "alicepw")), "keys []");
  assert.equal(await timeToLive(UNKNOWN, false), "not found");
});
