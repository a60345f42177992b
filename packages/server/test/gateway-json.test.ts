// The gateway's JSON mapping, case by case: each expectation below was first observed on the
// real etcd 3.4.23's gateway (curl against `etcd` started by testkit's startMember) or is Go's
// documented behaviour (encoding/json, encoding/base64, golang/protobuf jsonpb).
import assert from "node:assert/strict";
import { test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { decodeNext, goString, unmarshalText, type JsonValue } from "../src/gateway/goJson.js";
import { decodeBase64, messageFromJson, messageToJson } from "../src/gateway/JsonMapping.js";

function parse(text: string): JsonValue {
  const result = decodeNext(Buffer.from(text), 0, true);
  return result.kind === "value" ? result.value : { kind: "null" };
}

function fromJson(typeName: string, text: string): unknown {
  return messageFromJson(typeName, parse(text));
}

test("Go's syntax error texts", () => {
  const cases: [string, string][] = [
    ["{bad", "invalid character 'b' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b"}', "invalid character '\"' after object key:value pair"],
    ["[1 2]", "invalid character '2' after array element"],
    ["key=Zm9v", "invalid character 'k' looking for beginning of value"],
    ["tru e", "invalid character ' ' in literal true (expecting 'e')"],
    ['{"a":-x}', "invalid character 'x' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ['{"a":"\n"}', "invalid character '\\n' in string literal"],
    ['{"a":', "unexpected EOF"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
  ];
  for (const [text, message] of cases) assert.throws(() => decodeNext(Buffer.from(text), 0, true), { message }, text);
  assert.throws(() => unmarshalText(""), { message: "unexpected end of JSON input" });
  assert.throws(() => unmarshalText("1 2"), { message: "invalid character '2' after top-level value" });
  assert.throws(() => unmarshalText("-"), { message: "unexpected end of JSON input" });
  assert.throws(() => unmarshalText("- "), { message: "invalid character ' ' in numeric literal" });
});

test("a decoder reads one value at a time and waits for the rest of a cut one", () => {
  const bytes = Buffer.from('{"a":1}\n{"b":');
  const first = decodeNext(bytes, 0, false);
  assert.equal(first.kind, "value");
  assert.equal(decodeNext(bytes, (first as { end: number }).end, false).kind, "incomplete");
  assert.equal(decodeNext(Buffer.from("  \n"), 0, true).kind, "eof");
  assert.equal(decodeNext(Buffer.from("12"), 0, false).kind, "incomplete");
  assert.equal(decodeNext(Buffer.from("12"), 0, true).kind, "value");
});

test("Go's string escaping: HTML-safe, U+2028, control characters", () => {
  assert.equal(goString('<a&b>\u2028é\u0001"\\\n'), '"\\u003ca\\u0026b\\u003e\\u2028é\\u0001\\"\\\\\\n"');
});

test("field names: proto names and lowerCamelCase both read; case matters", () => {
  assert.deepEqual(fromJson("etcdserverpb.RangeRequest", '{"range_end":"YQ==","keysOnly":true,"KEY":"eA=="}'), { rangeEnd: Uint8Array.from([0x61]), keysOnly: true });
  assert.deepEqual(fromJson("etcdserverpb.LeaseGrantRequest", '{"TTL":"5","id":"7"}'), { TTL: 5 });
  assert.deepEqual(fromJson("etcdserverpb.MemberRemoveRequest", '{"ID":"18446744073709551615"}'), { ID: 18446744073709551615n });
  assert.throws(() => fromJson("etcdserverpb.LeaseGrantRequest", '{"ID":"18446744073709551615"}'), { message: "json: cannot unmarshal number 18446744073709551615 into Go value of type int64" });
});

test("typed request errors carry jsonpb's texts", () => {
  const cases: [string, string][] = [
    ['{"limit":"abc"}', "invalid character 'a' looking for beginning of value"],
    ['{"limit":1.5}', "json: cannot unmarshal number 1.5 into Go value of type int64"],
    ['{"limit":"1e2"}', "json: cannot unmarshal number 1e2 into Go value of type int64"],
    ['{"limit":""}', "unexpected end of JSON input"],
    ['{"limit":true}', "json: cannot unmarshal bool into Go value of type int64"],
    ['{"key":123}', "json: cannot unmarshal number into Go value of type []uint8"],
    ['{"keys_only":"true"}', "json: cannot unmarshal string into Go value of type bool"],
    ['{"sort_order":"BOGUS"}', 'unknown value "BOGUS" for enum etcdserverpb.RangeRequest_SortOrder'],
    ['{"sort_order":"\\u00e9x"}', 'unknown value "\\\\u00e9x" for enum etcdserverpb.RangeRequest_SortOrder'],
    ['{"sort_order":true}', "json: cannot unmarshal bool into Go value of type etcdserverpb.RangeRequest_SortOrder"],
    ['{"sort_order":1.5}', "json: cannot unmarshal number 1.5 into Go value of type etcdserverpb.RangeRequest_SortOrder"],
    ["[]", "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"],
  ];
  for (const [text, message] of cases) assert.throws(() => fromJson("etcdserverpb.RangeRequest", text), { message }, text);
  assert.throws(() => fromJson("etcdserverpb.TxnRequest", '{"compare":{}}'), { message: "json: cannot unmarshal object into Go value of type []json.RawMessage" });
  assert.throws(() => fromJson("etcdserverpb.MemberListRequest", '{"linearizable":1}'), { message: "json: cannot unmarshal number into Go value of type bool" });
});

test("base64 as Go's StdEncoding: padding required, newlines skipped, error offsets", () => {
  const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text));
  assert.deepEqual(decodeBase64("Zm9v"), bytes("foo"));
  assert.deepEqual(decodeBase64("Zm8="), bytes("fo"));
  assert.deepEqual(decodeBase64("Zg==\n"), bytes("f"));
  assert.deepEqual(decodeBase64("Zm\r\n9v"), bytes("foo"));
  const errors: [string, number][] = [["Zm9v!", 4], ["Zm9", 0], ["Zm9v_-", 4], ["Zg=", 3], ["Z===", 1], ["Zg==x", 4], ["Zm8=Zm8=", 4], ["é", 0]];
  for (const [text, offset] of errors) assert.throws(() => decodeBase64(text), { message: `illegal base64 data at input byte ${offset}` }, text);
});

test("enums read as names or numbers, also inside lists; oneofs by member name", () => {
  assert.deepEqual(fromJson("etcdserverpb.RangeRequest", '{"sort_order":"DESCEND","sortTarget":3}'), { sortOrder: 2, sortTarget: 3 });
  assert.deepEqual(fromJson("etcdserverpb.WatchRequest", '{"create_request":{"filters":["NODELETE",0]}}'), {
    requestUnion: { $case: "createRequest", createRequest: { filters: [1, 0] } },
  });
  assert.deepEqual(fromJson("etcdserverpb.Compare", '{"target":"VERSION","version":"0","key":null}'), { target: 0, targetUnion: { $case: "version", version: 0 } });
  assert.deepEqual(fromJson("etcdserverpb.RequestOp", '{"requestPut":{"key":"YQ=="}}'), { request: { $case: "requestPut", requestPut: { key: Uint8Array.from([0x61]) } } });
  assert.deepEqual(fromJson("etcdserverpb.RangeRequest", "null"), {});
});

test("output: proto names, zero values left out, int64 as strings, enum names, present empty messages kept", () => {
  const response = pb.TxnResponse.decode(
    pb.TxnResponse.encode({
      header: { clusterId: 18446744073709551615n, revision: 5, raftTerm: 2 },
      succeeded: false,
      responses: [
        { response: { $case: "responsePut", responsePut: { header: { revision: 5 } } } },
        { response: { $case: "responseTxn", responseTxn: { header: {}, succeeded: true } } },
        { response: { $case: "responseRange", responseRange: { kvs: [{ key: Uint8Array.from([1]), createRevision: 1, lease: -1n }], count: 0 } } },
      ],
    }),
  );
  assert.equal(
    messageToJson("etcdserverpb.TxnResponse", response as unknown as Record<string, unknown>),
    '{"header":{"cluster_id":"18446744073709551615","revision":"5","raft_term":"2"},"responses":[{"response_put":{"header":{"revision":"5"}}},' +
      '{"response_txn":{"header":{},"succeeded":true}},{"response_range":{"kvs":[{"key":"AQ==","create_revision":"1","lease":"-1"}]}}]}',
  );
  assert.equal(messageToJson("mvccpb.Event", { type: 1, kv: { key: Uint8Array.from([0x61]), modRevision: 4 } }), '{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"4"}}');
  assert.equal(messageToJson("etcdserverpb.HashResponse", { hash: 2834548882 }), '{"hash":2834548882}');
  assert.equal(messageToJson("etcdserverpb.WatchResponse", { watchId: -1 }), '{"watch_id":"-1"}');
  assert.equal(messageToJson("etcdserverpb.RangeRequest", { sortOrder: 7 }), '{"sort_order":7}');
  assert.equal(messageToJson("etcdserverpb.StatusResponse", { dbSizeInUse: 16384, isLearner: false, errors: [] }), '{"dbSizeInUse":"16384"}');
});
