// The JSON gateway answers like the real etcd 3.4.23's: the same HTTP requests, in the same
// order, against the real etcd's client port and against our gateway, give the same status,
// the same JSON headers/trailers and the same body byte for byte, once what legitimately
// differs is normalized (cluster/member IDs, raft term and indexes, db sizes, hashes, URLs).
// How each expectation was derived: by running it against the real etcd in this same test.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startMember, type Member } from "@etcd-ts/testkit";
import { openStream, send, startGatewayMember, type GatewayMember, type HttpResult } from "./support/gatewayMember.js";

let real: Member;
let ours: GatewayMember;

before(async () => {
  [real, ours] = await Promise.all([startMember({ binary: "etcd" }), startGatewayMember()]);
});

after(async () => {
  await Promise.all([real?.stop(), ours?.close()]);
});

/** Values that differ between two healthy members for legitimate reasons. */
const VOLATILE = new Set(["cluster_id", "member_id", "raft_term", "leader", "raftIndex", "raftTerm", "raftAppliedIndex", "dbSize", "dbSizeInUse", "hash", "peerURLs", "clientURLs"]);

/** normalizeJson replaces volatile values, keeping key order and every other byte of meaning. */
function normalizeJson(text: string): string {
  if (text.trim() === "") return text;
  const walk = (value: unknown, key?: string): unknown => {
    if (key !== undefined && VOLATILE.has(key)) return "<volatile>";
    // etcd lists leases in Go map order: not an order to compare.
    if (Array.isArray(value) && key === "leases") return value.map((item) => walk(item)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (Array.isArray(value)) return value.map((item) => walk(item));
    if (value !== null && typeof value === "object") {
      const members = (value as Record<string, unknown>)["peerURLs"] !== undefined;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, members && (k === "ID" || k === "name") ? "<member>" : walk(v, k)]),
      );
    }
    return value;
  };
  return JSON.stringify(walk(JSON.parse(text)));
}

/** view is what the comparison looks at: status, JSON-relevant headers, trailers, body. */
function view(result: HttpResult): Record<string, unknown> {
  return {
    status: result.status,
    contentType: result.headers["content-type"],
    grpcMetadata: result.headers["grpc-metadata-content-type"],
    trailer: result.headers["trailer"],
    trailers: result.trailers,
    cors: result.headers["access-control-allow-origin"],
    body: result.headers["content-type"] === "application/json" ? normalizeJson(result.body) : result.body,
  };
}

async function both(path: string, body?: string, method = "POST", headers: Record<string, string> = {}): Promise<void> {
  const [theirs, mine] = await Promise.all([send(real.clientUrl, path, body, method, headers), send(ours.url, path, body, method, headers)]);
  assert.deepEqual(view(mine), view(theirs), `${method} ${path} ${body ?? ""}`);
}

// The steps run in order on both servers: later ones depend on the revisions of earlier ones.
const steps: [path: string, body?: string | undefined, method?: string][] = [
  ["/v3/kv/put", '{"key":"Zm9v","value":"YmFy"}'],
  ["/v3/kv/put", '{"key":"Zm9v","value":"YmF6","prev_kv":true}'],
  ["/v3/kv/put", '{"key":"YS8x","value":"MQ=="}'],
  ["/v3/kv/put", '{"key":"YS8y","value":"Mg==","prevKv":true}'],
  ["/v3/kv/put", '{"key":"YS8z","value":"Mw=="}'],
  ["/v3/kv/range", '{"key":"Zm9v"}'],
  // prefix a/ with limit and sort, both naming styles and enum forms
  ["/v3/kv/range", '{"key":"YS8=","range_end":"YTA=","limit":"2","sort_order":"DESCEND","sort_target":"KEY"}'],
  ["/v3/kv/range", '{"key":"YS8=","rangeEnd":"YTA=","limit":2,"sortOrder":2,"sortTarget":"MOD","keys_only":true}'],
  ["/v3/kv/range", '{"key":"YS8=","range_end":"YTA=","count_only":true}'],
  ["/v3/kv/range", '{"key":"AA==","range_end":"AA==","serializable":true}'],
  ["/v3/kv/deleterange", '{"key":"YS8x","prev_kv":true}'],
  ["/v3/kv/deleterange", '{"key":"bm9uZQ=="}'],
  [
    "/v3/kv/txn",
    '{"compare":[{"key":"Zm9v","target":"VALUE","result":"EQUAL","value":"YmF6"},{"key":"YS8y","target":"VERSION","result":"GREATER","version":"0"}],' +
      '"success":[{"request_put":{"key":"Zm9v","value":"cXV4","prev_kv":true}},{"requestRange":{"key":"Zm9v"}},{"request_delete_range":{"key":"YS8z","prev_kv":true}}],' +
      '"failure":[{"request_put":{"key":"bm9wZQ==","value":"eA=="}}]}',
  ],
  ["/v3/kv/txn", '{"compare":[{"key":"Zm9v","target":"MOD","result":"LESS","mod_revision":"2"}],"success":[{"request_put":{"key":"eA==","value":"eQ=="}}],"failure":[{"request_range":{"key":"Zm9v"}},{"request_txn":{}}]}'],
  ["/v3/kv/txn", '{"success":[{"request_put":{"key":"YQ=="}},{"request_put":{"key":"YQ=="}}]}'],
  ["/v3/kv/range", '{"key":"Zm9v","revision":"2"}'],
  ["/v3/kv/compaction", '{"revision":"3"}'],
  ["/v3/kv/compaction", '{"revision":"1"}'],
  ["/v3/kv/compaction", '{"revision":"1000"}'],
  ["/v3/kv/range", '{"key":"Zm9v","revision":"2"}'],
  ["/v3/lease/grant", '{"TTL":"100","ID":"1234"}'],
  ["/v3/lease/grant", '{"TTL":60,"ID":4321}'],
  ["/v3/kv/put", '{"key":"bGVhc2Vk","value":"dg==","lease":"1234"}'],
  ["/v3/lease/timetolive", '{"ID":"1234","keys":true}'],
  ["/v3/kv/lease/timetolive", '{"ID":"4321"}'],
  ["/v3/lease/leases", "{}"],
  ["/v3/lease/revoke", '{"ID":"1234"}'],
  ["/v3/kv/lease/revoke", '{"ID":"1234"}'],
  ["/v3/lease/timetolive", '{"ID":"1234"}'],
  ["/v3/kv/lease/leases", "{}"],
  ["/v3/kv/range", '{"key":"bGVhc2Vk"}'],
  ["/v3/kv/put", '{"key":"YQ==","value":"Yg==","lease":"99"}'],
  ["/v3/cluster/member/list", "{}"],
  ["/v3/maintenance/status", "{}"],
  ["/v3/maintenance/hash", "{}"],
  // errors the gateway itself answers, with Go's texts
  ["/v3/kv/range", ""],
  ["/v3/kv/range", "{bad"],
  ["/v3/kv/range", '{"key":"Zm9v","limit":"abc"}'],
  ["/v3/kv/range", '{"key":"Zm9v","limit":1.5}'],
  ["/v3/kv/range", '{"key":123}'],
  ["/v3/kv/range", '{"key":"Zm9v!"}'],
  ["/v3/kv/range", '{"key":"Zm9"}'],
  ["/v3/kv/range", '{"key":"Zm9v","sort_order":"BOGUS"}'],
  ["/v3/kv/range", '{"key":"Zm9v","keys_only":"true"}'],
  ["/v3/kv/range", "[]"],
  ["/v3/kv/range", '{"key":"Zm9v"} trailing'],
  ["/v3/kv/range", '{"key":"Zm9v","limit":"1 2"}'],
  ["/v3/kv/range", '{"key":"Zm9v"'],
  // routing
  ["/v3/kv/range", undefined, "GET"],
  ["/v3/kv/nothing", "{}"],
  ["/v3/kv/range/", "{}"],
  ["/v3/auth/status", "{}"],
  ["/v3/maintenance/downgrade", "{}"],
  ["/v3beta/kv/range", '{"key":"Zm9v"}'],
  ["/v3/kv/range", undefined, "OPTIONS"],
  ["/v3//kv/range?x=1", "{}"],
  ["/v3", "{}"],
];

test("unary routes answer as the real etcd 3.4.23's gateway", async () => {
  for (const [path, body, method] of steps) await both(path, body, method);
});

test("a watch stream reports a put and a delete as etcd does", async () => {
  const request = '{"create_request":{"key":"d2F0Y2hlZA==","prev_kv":true}}';
  const streams = [openStream(real.clientUrl, "/v3/watch", request), openStream(ours.url, "/v3/watch", request)] as const;
  try {
    await Promise.all(streams.map((s) => s.lines(1)));
    for (const url of [real.clientUrl, ours.url]) {
      await send(url, "/v3/kv/put", '{"key":"d2F0Y2hlZA==","value":"MQ=="}');
      await send(url, "/v3/kv/put", '{"key":"d2F0Y2hlZA==","value":"Mg=="}');
      await send(url, "/v3/kv/deleterange", '{"key":"d2F0Y2hlZA=="}');
    }
    const [theirs, mine] = await Promise.all([streams[0].lines(4), streams[1].lines(4)]);
    const [theirHead, myHead] = await Promise.all([streams[0].status, streams[1].status]);
    assert.equal(myHead.status, theirHead.status);
    assert.equal(myHead.headers["content-type"], theirHead.headers["content-type"]);
    assert.equal(myHead.headers["grpc-metadata-content-type"], theirHead.headers["grpc-metadata-content-type"]);
    assert.equal(myHead.headers["transfer-encoding"], theirHead.headers["transfer-encoding"]);
    assert.deepEqual(mine.map(normalizeJson), theirs.map(normalizeJson));
  } finally {
    for (const s of streams) s.close();
  }
});

test("a watch body may carry several requests; the stream stays open after the body", async () => {
  const request = '{"create_request":{"key":"eA==","filters":["NOPUT"]}}\n{"progress_request":{}}';
  const streams = [openStream(real.clientUrl, "/v3/watch", request), openStream(ours.url, "/v3/watch", request)] as const;
  try {
    const [theirs, mine] = await Promise.all([streams[0].lines(2), streams[1].lines(2)]);
    assert.deepEqual(mine.map(normalizeJson), theirs.map(normalizeJson));
    let ended = false;
    void streams[1].ended.then(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(ended, false, "our watch must stay open after the request body ended");
  } finally {
    for (const s of streams) s.close();
  }
});

test("a watch whose first request is malformed fails as etcd's: 500, code 2", async () => {
  await both("/v3/watch", "{bad");
});

test("lease keepalive answers each request and ends with the body, as etcd's", async () => {
  for (const url of [real.clientUrl, ours.url]) await send(url, "/v3/lease/grant", '{"TTL":"30","ID":"777"}');
  const [theirs, mine] = await Promise.all([send(real.clientUrl, "/v3/lease/keepalive", '{"ID":"777"}{"ID":"778"}'), send(ours.url, "/v3/lease/keepalive", '{"ID":"777"}{"ID":"778"}')]);
  assert.equal(mine.status, theirs.status);
  const lines = (r: HttpResult): string[] => r.body.split("\n").filter((l) => l !== "").map(normalizeJson);
  assert.deepEqual(lines(mine), lines(theirs));
  assert.equal(lines(mine).length, 2);
});
