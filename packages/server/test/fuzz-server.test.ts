// Fuzzing the server end to end: random, valid and mutated requests of every RPC, over real
// gRPC (node:http2, raw bodies) and over the JSON gateway (HTTP/1.1 POSTs to /v3/...), to an
// in-process member. Every request must get a valid answer — a gRPC status from 0 to 16 (or,
// for a stream or a call that waits by design, an open stream the client then cancels), an
// HTTP response with a JSON body — the connection must never be dropped, no promise may be
// rejected unhandled, and afterwards the member still takes a put and answers a get.
//
// Beside it, a differential run: the same mutated bodies to the real etcd 3.4.23 and to ours;
// when either refuses one as undecodable, both must refuse it with the same status and text.
//
// FUZZ_RUNS sets the number of requests per property (default: a short run for the normal
// suite); `pnpm --filter @etcd-ts/server fuzz` runs thousands.
import assert from "node:assert/strict";
import { Agent, request as httpRequest } from "node:http";
import { connect, type ClientHttp2Session } from "node:http2";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { etcdserverpb as pb, GrpcStatus, type MethodDefinition } from "@etcd-ts/api";
import { startMember, type Member } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";
import { gatewayRoutes } from "../src/gateway/index.js";
import { grpcCall, grpcFrame } from "./support/grpcProbe.js";
import { ALL_METHODS, messageArb, messageJson, mutatedEncoding, requestBody } from "./support/messageArbitraries.js";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 200);
/** FUZZ_SEED replays a run (fast-check prints the seed of a failure). */
const SEED = process.env["FUZZ_SEED"] === undefined ? {} : { seed: Number(process.env["FUZZ_SEED"]) };
const BATCH = 8;

/**
 * Left out, because a random request may legitimately put the member out of the fuzzer's
 * reach: an alarm (NOSPACE stops writes), enabling auth, moving the leader, membership.
 */
const UNSAFE = new Set([
  "/etcdserverpb.Maintenance/Alarm",
  "/etcdserverpb.Auth/AuthEnable",
  "/etcdserverpb.Maintenance/MoveLeader",
  "/etcdserverpb.Cluster/MemberAdd",
  "/etcdserverpb.Cluster/MemberRemove",
  "/etcdserverpb.Cluster/MemberUpdate",
  "/etcdserverpb.Cluster/MemberPromote",
]);
/** Unary calls that wait by design (a lock held by someone else, an election). */
const WAITING = new Set(["/v3lockpb.Lock/Lock", "/v3electionpb.Election/Campaign"]);

const methods = ALL_METHODS.filter((m) => !UNSAFE.has(m.path));
const byPath = new Map(methods.map((m) => [m.path, m]));
/** Requests as [path, bytes]: counterexamples print readably. */
const requestArb = (paths: readonly string[], body: (m: MethodDefinition<unknown, unknown>) => fc.Arbitrary<Uint8Array>): fc.Arbitrary<[string, Uint8Array]> =>
  fc.constantFrom(...paths).chain((path) => fc.tuple(fc.constant(path), body(byPath.get(path)!)));
let etcd: Etcd;
let address: string;
let session: ClientHttp2Session;
const agent = new Agent({ keepAlive: true, maxSockets: BATCH });
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
const counts = { grpc: 0, gateway: 0, differential: 0 };

before(async () => {
  process.on("unhandledRejection", onUnhandled);
  etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
  address = new URL(etcd.clientUrls[0]!).host;
  session = connect(`http://${address}`);
  session.setMaxListeners(0);
});

after(async () => {
  session?.close();
  agent.destroy();
  await etcd?.close();
  process.off("unhandledRejection", onUnhandled);
});

const isStreaming = (m: MethodDefinition<unknown, unknown>): boolean => m.requestStream || m.responseStream;

test("gRPC: random, valid and mutated requests of every RPC get a status (or a stream that stays open)", async () => {
  const caseArb = fc.tuple(requestArb([...byPath.keys()], requestBody), fc.boolean());
  await fc.assert(
    fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: BATCH }), async (batch) => {
      await Promise.all(
        batch.map(async ([[path, body], endStream]) => {
          counts.grpc++;
          const method = byPath.get(path)!;
          const waits = isStreaming(method) || WAITING.has(method.path);
          const outcome = await grpcCall(address, method.path, [grpcFrame(body)], { session, end: endStream || !waits, waitMs: waits ? 300 : 10_000 });
          const what = `${method.path} ${Buffer.from(body).toString("hex")}: ${JSON.stringify(outcome)}`;
          assert.equal(outcome.sessionError, undefined, what);
          if (outcome.open) assert.ok(waits, `a unary call got no answer: ${what}`);
          else assert.ok(outcome.status !== undefined && outcome.status >= 0 && outcome.status <= 16, what);
        }),
      );
    }),
    { numRuns: Math.ceil(RUNS / (BATCH / 2)), ...SEED },
  );
});

/** POSTs a body to a gateway path; resolves with the status and body (or "open" for a stream left open). */
function post(path: string, body: string, waitMs: number): Promise<{ status: number; body: string } | "open"> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: Number(new URL(etcd.clientUrls[0]!).port), path, method: "POST", agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: text });
      });
      res.on("error", () => undefined);
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve("open");
    }, waitMs);
    req.on("error", (error) => {
      clearTimeout(timer);
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" && req.destroyed) resolve("open");
      else reject(error);
    });
    req.end(body);
  });
}

/** Damages a JSON text: characters replaced, inserted or cut. */
const textMutation = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom("{", "}", "[", "]", '"', ",", ":", "\\", "0", "-", "e", "\u0000", "\u00ff", " ")).map(
    ([at, c]) =>
      (t: string): string => {
        const i = t.length === 0 ? 0 : at % t.length;
        return t.slice(0, i) + c + t.slice(i + 1);
      },
  ),
  fc.nat().map((at) => (t: string): string => t.slice(0, t.length === 0 ? 0 : at % t.length)),
);

test("gateway: random, valid and mutated JSON to every /v3 route gets an HTTP answer with a JSON body", async () => {
  const routes = [...gatewayRoutes().values()].filter((r) => !UNSAFE.has(r.grpc));
  const caseArb = fc.constantFrom(...routes).chain((route) =>
    fc.tuple(
      fc.constant(route),
      fc.oneof(
        messageArb(route.request).map((m) => JSON.stringify(messageJson(route.request, m))),
        fc.tuple(messageArb(route.request), fc.array(textMutation, { minLength: 1, maxLength: 3 })).map(([m, muts]) => muts.reduce((t, f) => f(t), JSON.stringify(messageJson(route.request, m)))),
        fc.json(),
        fc.string({ maxLength: 40 }),
      ),
    ),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: BATCH }), async (batch) => {
      await Promise.all(
        batch.map(async ([route, body]) => {
          counts.gateway++;
          const waits = route.clientStream || route.serverStream || WAITING.has(route.grpc);
          const answer = await post(route.http, body, waits ? 300 : 10_000);
          if (answer === "open") {
            assert.ok(waits, `${route.http} ${body}: no answer`);
            return;
          }
          const what = `${route.http} ${body}: ${answer.status} ${answer.body}`;
          assert.ok([200, 400, 401, 403, 404, 409, 412, 429, 500, 501, 503, 504].includes(answer.status), what);
          // A stream's body is a sequence of JSON lines; a unary one is one JSON document.
          for (const line of answer.body.split("\n").filter((l) => l.trim() !== "")) assert.doesNotThrow(() => JSON.parse(line), what);
        }),
      );
    }),
    { numRuns: Math.ceil(RUNS / (BATCH / 2)), ...SEED },
  );
});

test("the member is healthy afterwards: a put and a get work, /health is true, nothing was rejected unhandled", async () => {
  const put = await grpcCall(address, "/etcdserverpb.KV/Put", [grpcFrame(Buffer.from([0x0a, 0x05, ...Buffer.from("after"), 0x12, 0x02, 0x6f, 0x6b]))]);
  assert.equal(put.status, GrpcStatus.OK, put.message);
  const get = await post("/v3/kv/range", JSON.stringify({ key: Buffer.from("after").toString("base64") }), 10_000);
  assert.notEqual(get, "open");
  assert.match((get as { body: string }).body, /"value":"b2s="/);
  const health = await (await fetch(`${etcd.clientUrls[0]}/health`)).json();
  assert.deepEqual(health, { health: "true" });
  assert.deepEqual(unhandled, []);
});

// ---- differential: decode errors as the real etcd gives them ----

/** A sort target outside the enum: etcd 3.4.23 sorts with a nil sorter and the process dies. */
function sortsByNothing(range: pb.RangeRequest | undefined): boolean {
  return range !== undefined && ((range.sortTarget as number) < 0 || (range.sortTarget as number) > 4);
}

/**
 * crashesEtcd34: requests that make etcd 3.4.23 panic are not sent to it, since one would end
 * the run (see hardening-grpc.test.ts, where ours answers them and serves on): a Range, alone
 * or in a transaction, with a sort target it does not know (a nil sorter), and a
 * RoleGrantPermission without a permission (a nil pointer, in the apply loop).
 */
function crashesEtcd34(path: string, body: Uint8Array): boolean {
  try {
    if (path === pb.AuthService.roleGrantPermission.path) return pb.AuthRoleGrantPermissionRequest.decode(body).perm === undefined;
    if (path === pb.KVService.range.path) return sortsByNothing(pb.RangeRequest.decode(body));
    if (path !== pb.KVService.txn.path) return false;
    const ops = (txn: pb.TxnRequest): pb.RequestOp[] => [...txn.success, ...txn.failure];
    const walk = (op: pb.RequestOp): boolean =>
      op.request?.$case === "requestRange" ? sortsByNothing(op.request.requestRange) : op.request?.$case === "requestTxn" ? ops(op.request.requestTxn).some(walk) : false;
    return ops(pb.TxnRequest.decode(body)).some(walk);
  } catch {
    return false; // does not decode: nothing gets sorted
  }
}

let real: Member;
test("decode errors: the same mutated bodies to the real etcd and to ours are refused alike", async (t) => {
  real = await startMember({ binary: "etcd" });
  t.after(() => real.stop());
  // Unary RPCs that a random request cannot use to lock the fuzzer out of the real etcd;
  // not Health, whose decoder in etcd is golang/protobuf's, not gogo's (other error texts).
  const unary = methods.filter((m) => !isStreaming(m) && !WAITING.has(m.path) && !m.path.startsWith("/grpc.health")).map((m) => m.path);
  const realSession = connect(`http://${real.clientAddress}`);
  realSession.setMaxListeners(0);

  t.after(() => realSession.close());
  const prefix = "grpc: error unmarshalling request: ";
  await fc.assert(
    fc.asyncProperty(
      requestArb(unary, mutatedEncoding),
      async ([path, body]) => {
        counts.differential++;
        if (crashesEtcd34(path, body)) return;
        const method = byPath.get(path)!;
        const [theirs, mine] = await Promise.all([
          grpcCall(real.clientAddress, method.path, [grpcFrame(body)], { session: realSession, waitMs: 10_000 }),
          grpcCall(address, method.path, [grpcFrame(body)], { session, waitMs: 10_000 }),
        ]);
        const what = `${method.path} ${Buffer.from(body).toString("hex")}: etcd ${theirs.status} ${theirs.message} / ours ${mine.status} ${mine.message}`;
        // Where we differ on purpose: invalid UTF-8 in a string field (see ProtoReader); RPCs
        // and request fields etcd 3.4 does not have (AuthStatus, MemberListRequest.linearizable
        // and the hashedPassword fields are 3.5's: 3.4 skips them as unknown).
        if (mine.message === `${prefix}proto: string field contains invalid UTF-8` || theirs.status === GrpcStatus.UNIMPLEMENTED) return;
        if (/for field (Linearizable|HashedPassword)$/.test(mine.message)) return;
        const refused = (o: typeof mine): boolean => o.status === GrpcStatus.INTERNAL && o.message.startsWith(prefix);
        if (refused(theirs) || refused(mine)) assert.deepEqual([mine.status, mine.message], [theirs.status, theirs.message], what);
      },
    ),
    { numRuns: RUNS, ...SEED },
  );
});

test("cases run (reported)", (t) => {
  t.diagnostic(`server fuzz cases: gRPC ${counts.grpc}, gateway ${counts.gateway}, differential ${counts.differential}`);
  assert.ok(counts.grpc > 0 && counts.gateway > 0 && counts.differential > 0);
});
