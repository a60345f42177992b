// The gateway's routing, metadata and streaming adapter over a GrpcServer with stand-in
// handlers (no member needed): route table vs rpc.proto, Unimplemented for routes whose
// service is not registered, errors before and after a stream's first response, and a
// client that goes away cancelling the gRPC call.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { etcdserverpb as pb, GrpcStatus } from "@etcd-ts/api";
import { gatewayRoutes, isGatewayPath } from "../src/gateway/index.js";
import { GrpcServer, type CallContext } from "../src/grpc/GrpcServer.js";
import { StatusError } from "../src/grpc/StatusError.js";
import { openStream, send, serveGateway } from "./support/gatewayMember.js";

const grpc = new GrpcServer({ maxReceiveMessageSize: 2 * 1024 * 1024 });
const seen: { lastCall?: CallContext; watchRequests: pb.WatchRequest[]; watchAborted: boolean } = { watchRequests: [], watchAborted: false };
grpc.addUnary(pb.KVService.range, (request, call) => {
  seen.lastCall = call;
  if (request.key.length === 0) throw new StatusError(GrpcStatus.INVALID_ARGUMENT, "etcdserver: key is not provided");
  return { header: { revision: 7 }, kvs: [{ key: request.key, value: Buffer.from("<&>") }], count: 1 };
});
grpc.addStream(pb.WatchService.watch, async (call) => {
  seen.watchAborted = false;
  call.signal.addEventListener("abort", () => (seen.watchAborted = true));
  for await (const request of call) {
    seen.watchRequests.push(request);
    const create = request.requestUnion?.$case === "createRequest" ? request.requestUnion.createRequest : undefined;
    if (create?.key.toString() === "fail-now") throw new StatusError(GrpcStatus.PERMISSION_DENIED, "etcdserver: permission denied");
    call.send({ header: { revision: 1 }, watchId: 0, created: true });
    if (create?.key.toString() === "fail-later") throw new StatusError(GrpcStatus.UNAVAILABLE, "etcdserver: no leader");
  }
});
const served = await serveGateway(grpc);
after(() => {
  served.server.closeAllConnections();
  served.server.close();
});

test("the route table is rpc.proto's etcd 3.4 HTTP lines, Hash winning /v3/maintenance/hash", () => {
  const proto = readFileSync(fileURLToPath(new URL("../../api/proto/etcdserverpb/rpc.proto", import.meta.url)), "utf8");
  const routes = gatewayRoutes();
  for (const [, path] of proto.matchAll(/HTTP: POST (\/v3\/[\w/-]+)/g)) {
    if (path === "/v3/auth/status" || path === "/v3/maintenance/downgrade") assert.equal(routes.has(path), false, `${path} is etcd 3.5 only`);
    else assert.ok(routes.has(path!), path);
  }
  assert.equal(routes.get("/v3/maintenance/hash")?.grpc, "/etcdserverpb.Maintenance/Hash");
  assert.equal(routes.get("/v3/maintenance/hashkv"), undefined);
  assert.equal(routes.get("/v3/kv/lease/revoke")?.grpc, "/etcdserverpb.Lease/LeaseRevoke");
  for (const path of ["/v3/auth/user/add", "/v3/lock/lock", "/v3/election/observe"]) assert.ok(routes.has(path), path);
  assert.equal(routes.size, 48);
  assert.ok(isGatewayPath("/v3/kv/range") && isGatewayPath("/v3beta/watch") && isGatewayPath("/v3") && !isGatewayPath("/v3alpha/kv") && !isGatewayPath("/health"));
});

test("routes of services not registered answer 501 with grpc-go's texts", async () => {
  const auth = await send(served.url, "/v3/auth/user/add", '{"name":"x"}');
  assert.equal(auth.status, 501);
  assert.equal(auth.body, '{"error":"unknown service etcdserverpb.Auth","message":"unknown service etcdserverpb.Auth","code":12}');
  assert.equal(auth.trailers["grpc-trailer-content-type"], "application/grpc");
  const put = await send(served.url, "/v3/kv/put", '{"key":"eA=="}');
  assert.equal(put.status, 501);
  assert.match(put.body, /"unknown method Put for service etcdserverpb.KV"/);
  const observe = await send(served.url, "/v3/election/observe", "{}");
  assert.equal(observe.status, 501);
  assert.equal(observe.body, '{"error":"unknown service v3electionpb.Election","message":"unknown service v3electionpb.Election","code":12}');
  const keepalive = await send(served.url, "/v3/lease/keepalive", '{"ID":"1"}');
  assert.equal(keepalive.status, 501);
  // a bad body is reported before the call is tried
  assert.equal((await send(served.url, "/v3/auth/user/add", "{bad")).status, 400);
});

test("headers become metadata as grpc-gateway forwards them; Grpc-Timeout a deadline", async () => {
  const result = await send(served.url, "/v3/kv/range", '{"key":"eA=="}', "POST", { Authorization: "tok", "Grpc-Metadata-Token": "t2", "User-Agent": "ua", "X-Other": "no", "Grpc-Timeout": "5S" });
  assert.equal(result.status, 200);
  assert.equal(result.body, '{"header":{"revision":"7"},"kvs":[{"key":"eA==","value":"PCY+"}],"count":"1"}');
  const metadata = seen.lastCall!.metadata;
  assert.equal(metadata["authorization"], "tok");
  assert.equal(metadata["token"], "t2");
  assert.equal(metadata["grpcgateway-user-agent"], "ua");
  assert.equal(metadata["x-other"], undefined);
  assert.ok(metadata["x-forwarded-for"]);
  assert.ok(seen.lastCall!.deadline! > Date.now());
});

test("a stream failing before its first response answers like a unary error", async () => {
  const result = await send(served.url, "/v3/watch", '{"create_request":{"key":"ZmFpbC1ub3c="}}');
  assert.equal(result.status, 403);
  assert.equal(result.body, '{"error":"etcdserver: permission denied","message":"etcdserver: permission denied","code":7}');
});

test("a stream failing after a response ends with grpc-gateway's stream error chunk", async () => {
  const result = await send(served.url, "/v3/watch", '{"create_request":{"key":"ZmFpbC1sYXRlcg=="}}');
  assert.equal(result.status, 200);
  assert.equal(
    result.body,
    '{"result":{"header":{"revision":"1"},"created":true}}\n{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}',
  );
});

test("requests stream in as the body arrives; a client going away cancels the call", async () => {
  seen.watchRequests.length = 0;
  const stream = openStream(served.url, "/v3/watch", '{"create_request":{"key":"YQ=="}} {"cancel_request":{"watch_id":"3"}}\n{"progress_request":{}} {garbage');
  await stream.lines(3);
  assert.deepEqual(
    seen.watchRequests.map((r) => r.requestUnion?.$case),
    ["createRequest", "cancelRequest", "progressRequest"],
  );
  assert.equal(seen.watchAborted, false);
  stream.close();
  for (let i = 0; i < 50 && !seen.watchAborted; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(seen.watchAborted, true);
});
