// Auth end to end against a dumb model (fast-check): random sequences of permission grants
// and revocations, role grants and revocations, role and user deletions and re-creations,
// interleaved with Range / Put / DeleteRange requests by those users over gRPC, each with the
// token it got earlier (so tokens outlive the changes made after them). After every request,
// the member's allow/deny must be the model's: a stale token (its user deleted since) is
// refused as an invalid token, otherwise a request passes exactly when the user's roles'
// permissions of the right kind cover every key it touches.
//
// FUZZ_RUNS scales the number of sequences (the long run: `pnpm --filter @etcd-ts/server fuzz`).
import assert from "node:assert/strict";
import { connect, type ClientHttp2Session } from "node:http2";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { authpb, etcdserverpb as pb, GrpcStatus, type MethodDefinition, type PartialMessage } from "@etcd-ts/api";
import { startEtcd, type Etcd } from "../src/index.js";
import { grpcCall, grpcFrame } from "./support/grpcProbe.js";

const RUNS = Math.max(5, Math.ceil(Number(process.env["FUZZ_RUNS"] ?? 300) / 20));
const USERS = ["u0", "u1", "u2"] as const;
const ROLES = ["r0", "r1", "r2"] as const;
const KEYS = ["a", "b", "c", "d"] as const;

let etcd: Etcd;
let address: string;
let session: ClientHttp2Session;
let steps = 0;

/** Result of a call: the status and the first response, decoded. */
async function call<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>, token?: string): Promise<{ status: number; message: string; response?: Res }> {
  const outcome = await grpcCall(address, method.path, [grpcFrame(method.requestType.encode(request))], { session, headers: token === undefined ? {} : { token }, waitMs: 15_000 });
  const first = outcome.messages[0];
  return { status: outcome.status ?? -1, message: outcome.message, ...(first ? { response: method.responseType.decode(first) } : {}) };
}

async function token(name: string, password: string): Promise<string | undefined> {
  const result = await call(pb.AuthService.authenticate, { name, password });
  return result.status === GrpcStatus.OK ? result.response!.token : undefined;
}

before(async () => {
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], bcryptCost: 4 });
  address = new URL(etcd.clientUrls[0]!).host;
  session = connect(`http://${address}`);
  session.setMaxListeners(0);
  for (const [method, request] of [
    [pb.AuthService.userAdd, { name: "root", password: "root" }],
    [pb.AuthService.roleAdd, { name: "root" }],
    [pb.AuthService.userGrantRole, { user: "root", role: "root" }],
    [pb.AuthService.authEnable, {}],
  ] as const) {
    assert.equal((await call(method as MethodDefinition<unknown, unknown>, request)).status, GrpcStatus.OK);
  }
});

after(async () => {
  session?.close();
  await etcd?.close();
});

// ---- the model ----

/** An interval of keys [start, end); end undefined: no end (range_end "\0"). */
type Interval = readonly [string, string | undefined];

/** A permission as granted: its type and the keys it names (etcd's key / range_end encoding). */
interface Perm {
  readonly type: authpb.Permission_Type;
  readonly key: string;
  readonly rangeEnd: string;
}

/** The keys a key / range_end pair names: one key, [key, end), or every key from `key` on. */
function interval(key: string, rangeEnd: string): Interval {
  if (rangeEnd === "") return [key, `${key}\u0000`];
  if (rangeEnd === "\u0000") return [key, undefined];
  return [key, rangeEnd];
}

/** covers: is every key of `wanted` inside the union of `granted`? (Walks from the start, jumping to the furthest end that covers the current key.) */
function covers(granted: readonly Interval[], wanted: Interval): boolean {
  let at = wanted[0];
  for (;;) {
    if (wanted[1] !== undefined && at >= wanted[1]) return true;
    let furthest: string | undefined | null = null; // null: nothing covers `at`
    for (const [start, end] of granted) {
      if (start > at || (end !== undefined && end <= at)) continue;
      if (end === undefined) return true;
      if (furthest === null || (furthest !== undefined && end > furthest)) furthest = end;
    }
    if (furthest === null || furthest === undefined) return false;
    at = furthest;
  }
}

interface Model {
  readonly users: Map<string, Set<string>>; // user → roles
  readonly roles: Map<string, Perm[]>;
  /** Tokens as the client holds them, and whether the user was deleted since. */
  readonly tokens: Map<string, { token: string; stale: boolean }>;
}

function allowed(model: Model, user: string, kind: "range" | "put" | "delete", key: string, rangeEnd: string): boolean {
  const roles = model.users.get(user);
  if (roles === undefined) return false;
  const need = kind === "range" ? authpb.Permission_Type.READ : authpb.Permission_Type.WRITE;
  const granted = [...roles]
    .flatMap((r) => model.roles.get(r) ?? [])
    .filter((p) => p.type === need || p.type === authpb.Permission_Type.READWRITE)
    .map((p) => interval(p.key, p.rangeEnd));
  return covers(granted, interval(key, kind === "put" ? "" : rangeEnd));
}

// ---- the steps ----

const keyArb = fc.constantFrom(...KEYS);
/** range_end: one key, from the key on, or a later key (built from the start key). */
const rangeEndArb = fc.constantFrom("", "\u0000", "+1", "+2", "z");
const endFor = (key: string, end: string): string => (end === "+1" || end === "+2" ? String.fromCharCode(key.charCodeAt(0) + Number(end.slice(1))) : end);

type Step =
  | { readonly op: "grantPerm"; readonly role: string; readonly type: authpb.Permission_Type; readonly key: string; readonly end: string }
  | { readonly op: "revokePerm"; readonly role: string; readonly index: number }
  | { readonly op: "grantRole" | "revokeRole"; readonly user: string; readonly role: string }
  | { readonly op: "deleteRole" | "addRole"; readonly role: string }
  | { readonly op: "deleteUser" | "addUser"; readonly user: string }
  | { readonly op: "request"; readonly user: string; readonly kind: "range" | "put" | "delete"; readonly key: string; readonly end: string };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("grantPerm" as const), role: fc.constantFrom(...ROLES), type: fc.constantFrom(0, 1, 2), key: keyArb, end: rangeEndArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("revokePerm" as const), role: fc.constantFrom(...ROLES), index: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom("grantRole" as const, "revokeRole" as const), user: fc.constantFrom(...USERS), role: fc.constantFrom(...ROLES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("deleteRole" as const, "addRole" as const), role: fc.constantFrom(...ROLES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("deleteUser" as const, "addUser" as const), user: fc.constantFrom(...USERS) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("request" as const), user: fc.constantFrom(...USERS), kind: fc.constantFrom("range" as const, "put" as const, "delete" as const), key: keyArb, end: rangeEndArb }) },
);

let rootToken: string | undefined;

async function admin<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<boolean> {
  rootToken ??= await token("root", "root");
  const result = await call(method, request, rootToken);
  // Changes refused for a reason of state (no such user or role, not granted) change nothing.
  if (result.status !== GrpcStatus.OK) assert.equal(result.status, GrpcStatus.FAILED_PRECONDITION, `${method.path}: ${result.message}`);
  return result.status === GrpcStatus.OK;
}

async function run(steps_: readonly Step[]): Promise<void> {
  const model: Model = { users: new Map(), roles: new Map(), tokens: new Map() };
  // Fresh users and roles for this sequence.
  for (const role of ROLES) await admin(pb.AuthService.roleDelete, { role });
  for (const user of USERS) await admin(pb.AuthService.userDelete, { name: user });
  for (const role of ROLES) {
    assert.ok(await admin(pb.AuthService.roleAdd, { name: role }));
    model.roles.set(role, []);
  }
  for (const user of USERS) {
    assert.ok(await admin(pb.AuthService.userAdd, { name: user, password: "pw" }));
    model.users.set(user, new Set());
  }
  for (const step of steps_) {
    steps++;
    switch (step.op) {
      case "grantPerm": {
        const perm: Perm = { type: step.type, key: step.key, rangeEnd: endFor(step.key, step.end) };
        if (await admin(pb.AuthService.roleGrantPermission, { name: step.role, perm: { permType: perm.type, key: Buffer.from(perm.key), rangeEnd: Buffer.from(perm.rangeEnd) } })) {
          const others = (model.roles.get(step.role) ?? []).filter((p) => p.key !== perm.key || p.rangeEnd !== perm.rangeEnd);
          model.roles.set(step.role, [...others, perm]);
        }
        break;
      }
      case "revokePerm": {
        const perm = model.roles.get(step.role)?.[step.index] ?? { type: 0, key: "a", rangeEnd: "" };
        if (await admin(pb.AuthService.roleRevokePermission, { role: step.role, key: Buffer.from(perm.key), rangeEnd: Buffer.from(perm.rangeEnd) })) {
          model.roles.set(step.role, (model.roles.get(step.role) ?? []).filter((p) => p !== perm && (p.key !== perm.key || p.rangeEnd !== perm.rangeEnd)));
        }
        break;
      }
      case "grantRole":
        if (await admin(pb.AuthService.userGrantRole, { user: step.user, role: step.role })) model.users.get(step.user)?.add(step.role);
        break;
      case "revokeRole":
        if (await admin(pb.AuthService.userRevokeRole, { name: step.user, role: step.role })) model.users.get(step.user)?.delete(step.role);
        break;
      case "deleteRole":
        if (await admin(pb.AuthService.roleDelete, { role: step.role })) {
          model.roles.delete(step.role);
          for (const roles of model.users.values()) roles.delete(step.role);
        }
        break;
      case "addRole":
        if (await admin(pb.AuthService.roleAdd, { name: step.role })) model.roles.set(step.role, []);
        break;
      case "deleteUser":
        if (await admin(pb.AuthService.userDelete, { name: step.user })) {
          model.users.delete(step.user);
          const held = model.tokens.get(step.user);
          if (held) model.tokens.set(step.user, { ...held, stale: true });
        }
        break;
      case "addUser":
        if (await admin(pb.AuthService.userAdd, { name: step.user, password: "pw" })) model.users.set(step.user, new Set());
        break;
      case "request": {
        let held = model.tokens.get(step.user);
        if (held === undefined) {
          const fresh = await token(step.user, "pw");
          assert.equal(fresh !== undefined, model.users.has(step.user), `authenticate ${step.user}`);
          if (fresh === undefined) break;
          held = { token: fresh, stale: false };
          model.tokens.set(step.user, held);
        }
        const key = Buffer.from(step.key);
        const rangeEnd = Buffer.from(endFor(step.key, step.end));
        const result =
          step.kind === "range"
            ? await call(pb.KVService.range, { key, rangeEnd }, held.token)
            : step.kind === "put"
              ? await call(pb.KVService.put, { key, value: Buffer.from("v") }, held.token)
              : await call(pb.KVService.deleteRange, { key, rangeEnd }, held.token);
        const what = `${step.user} ${step.kind} [${step.key}, ${JSON.stringify(endFor(step.key, step.end))}) with roles ${JSON.stringify([...(model.users.get(step.user) ?? [])].map((r) => [r, model.roles.get(r)]))}: ${result.status} ${result.message}`;
        if (held.stale) {
          assert.deepEqual([result.status, result.message], [GrpcStatus.UNAUTHENTICATED, "etcdserver: invalid auth token"], what);
          model.tokens.delete(step.user); // the client would authenticate again
          break;
        }
        const expected = allowed(model, step.user, step.kind, step.key, endFor(step.key, step.end));
        if (expected) assert.equal(result.status, GrpcStatus.OK, what);
        else assert.deepEqual([result.status, result.message], [GrpcStatus.PERMISSION_DENIED, "etcdserver: permission denied"], what);
        break;
      }
    }
  }
}

test("the member's allow/deny follows the model through random auth changes", async () => {
  await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 30 }), run), { numRuns: RUNS });
});

test("steps run (reported)", (t) => {
  t.diagnostic(`auth model steps: ${steps}`);
  assert.ok(steps > 0);
});
