// Broken and hostile requests to the JSON gateway, side by side with the real etcd 3.4.23:
// JSON nested past Go's limit, numbers out of range, bad base64, invalid UTF-8, truncated and
// trailing documents, bodies over the size limit. Both must give the same HTTP status and
// the same error body; and a client that streams watch requests without reading the answers
// is held back (the server stops reading its body) instead of being buffered without end.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { startMember, type Member } from "@etcd-ts/testkit";
import { startEtcd, type Etcd } from "../src/index.js";

let real: Member;
let ours: Etcd;

before(async () => {
  [real, ours] = await Promise.all([startMember({ binary: "etcd" }), startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] })]);
});

after(async () => {
  await Promise.all([real?.stop(), ours?.close()]);
});

function post(url: string, path: string, body: string | Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: "POST", headers: { "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const RANGE = "/v3/kv/range";
/** [name, path, body, what etcd answered (status, body start)] */
const CASES: [string, string, string | Buffer, number, string][] = [
  ["arrays nested 100,000 deep", RANGE, "[".repeat(100_000) + "]".repeat(100_000), 400, `{"error":"invalid character '[' exceeded max depth"`],
  ["objects nested 50,000 deep", RANGE, '{"a":'.repeat(50_000) + "1" + "}".repeat(50_000), 400, `{"error":"invalid character '{' exceeded max depth"`],
  ["arrays nested 10,000 deep (Go's limit) in an unknown field", RANGE, `{"key":"YQ==","x":${"[".repeat(9_999)}${"]".repeat(9_999)}}`, 200, `{"header":`],
  ["a number out of int64", RANGE, '{"key":"YQ==","limit":1e400}', 400, `{"error":"json: cannot unmarshal number 1e400 into Go value of type int64"`],
  ["a quoted number out of int64", RANGE, '{"key":"YQ==","limit":"99999999999999999999999"}', 400, `{"error":"json: cannot unmarshal number 99999999999999999999999 into Go value of type int64"`],
  ["bad base64", RANGE, '{"key":"!!!"}', 400, `{"error":"illegal base64 data at input byte 0"`],
  ["invalid UTF-8 in a string", RANGE, Buffer.from([0x7b, 0x22, 0x6b, 0x65, 0x79, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 400, `{"error":"illegal base64 data at input byte 0"`],
  ["a truncated document", RANGE, '{"key":"YQ==', 400, `{"error":"unexpected EOF"`],
  ["not JSON", RANGE, "hello", 400, `{"error":"invalid character 'h' looking for beginning of value"`],
  ["a NUL in a string", RANGE, '{"key":"YQ==\u0000"}', 400, `{"error":"invalid character '\\\\x00' in string literal"`],
  ["a number where bytes are expected", RANGE, '{"key":5}', 400, `{"error":"json: cannot unmarshal number into Go value of type []uint8"`],
  ["an enum name no one declared", RANGE, '{"key":"YQ==","sort_order":"NOPE"}', 400, `{"error":"unknown value \\"NOPE\\" for enum etcdserverpb.RangeRequest_SortOrder"`],
  ["garbage on a watch stream", "/v3/watch", "garbage", 500, `{"error":"invalid character 'g' looking for beginning of value"`],
  ["a value over --max-request-bytes", "/v3/kv/put", JSON.stringify({ key: "YQ==", value: Buffer.alloc(3 * 1024 * 1024).toString("base64") }), 429, `{"error":"grpc: received message larger than max (3145736 vs. 2097152)"`],
];

describe("hostile JSON", () => {
  for (const [name, path, body, status, start] of CASES) {
    test(`${name}: ${status}, as etcd`, async () => {
      const [theirs, mine] = await Promise.all([post(real.clientUrl, path, body), post(ours.clientUrls[0]!, path, body)]);
      assert.equal(theirs.status, status, `etcd: ${theirs.body.slice(0, 200)}`);
      assert.ok(theirs.body.startsWith(start), `etcd: ${theirs.body.slice(0, 200)}`);
      assert.equal(mine.status, theirs.status, mine.body.slice(0, 200));
      if (status !== 200) assert.equal(mine.body, theirs.body);
    });
  }

  test("a transaction nested 3000 deep: etcd decodes it and refuses it (too many ops); we refuse it while decoding", async () => {
    const body = '{"success":[{"request_txn":'.repeat(3000) + "{}" + "}]}".repeat(3000);
    const [theirs, mine] = await Promise.all([post(real.clientUrl, "/v3/kv/txn", body), post(ours.clientUrls[0]!, "/v3/kv/txn", body)]);
    assert.equal(theirs.status, 400);
    assert.match(theirs.body, /etcdserver: too many operations in txn request/);
    assert.equal(mine.status, 500);
    assert.match(mine.body, /grpc: error unmarshalling request: proto: exceeded maximum recursion depth/);
  });

  test("both servers still answer a put and a range", async () => {
    for (const url of [real.clientUrl, ours.clientUrls[0]!]) {
      assert.equal((await post(url, "/v3/kv/put", '{"key":"Z3c=","value":"b2s="}')).status, 200);
      assert.match((await post(url, RANGE, '{"key":"Z3c="}')).body, /"value":"b2s="/);
    }
  });
});

test("a watch client that sends requests and never reads the answers is held back: the server stops reading its body", async () => {
  const { hostname, port } = new URL(ours.clientUrls[0]!);
  const socket = tcpConnect({ host: hostname, port: Number(port) });
  socket.on("error", () => undefined);
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.pause(); // never reads: the answers pile up in the server's socket, then it waits
  socket.write("POST /v3/watch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  const progress = '{"progress_request":{}}'.repeat(1000);
  const chunk = `${Buffer.byteLength(progress).toString(16)}\r\n${progress}\r\n`;
  let written = 0;
  for (let i = 0; i < 2000; i++) {
    socket.write(chunk); // 2 million progress requests, 46 MB
    written += chunk.length;
  }
  await new Promise((r) => setTimeout(r, 3000));
  // Most of the body is still in this process: the server read a little and stopped.
  assert.ok(socket.writableLength > written / 2, `client backlog ${socket.writableLength} of ${written}`);
  socket.destroy();
  assert.equal((await post(ours.clientUrls[0]!, RANGE, '{"key":"YQ=="}')).status, 200);
});
