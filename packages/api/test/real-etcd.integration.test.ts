// Proof against the real thing: the real etcd 3.4.23 (Debian etcd-server) on 127.0.0.1,
// driven only through this package's codecs and service definitions over @grpc/grpc-js.
// Every answer is decoded and checked field by field; error statuses decode to typed errors.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  AuthNotEnabledError,
  CompactedError,
  type EtcdError,
  GrpcStatus,
  LeaseNotFoundError,
  NoSpaceError,
  SERVER_VERSION,
  errorFromStatus,
  etcdserverpb as pb,
  mvccpb,
} from "../src/index.js";
import type { MethodDefinition, PartialMessage } from "../src/index.js";
import { startMember, type Member } from "@etcd-ts/testkit";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

let etcd: Member;
let client: grpc.Client;

/** One unary call through our codecs. */
function unary<Req, Res>(method: MethodDefinition<Req, Res>, request: PartialMessage<Req>): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, (err, res) => {
      if (err) reject(err);
      else resolve(res as Res);
    });
  });
}

/** The typed etcd error a failing call ends with. */
async function callError(call: Promise<unknown>): Promise<EtcdError> {
  try {
    await call;
  } catch (err) {
    return errorFromStatus(err as grpc.ServiceError);
  }
  assert.fail("the call was expected to fail");
}

/** A bidi stream that hands out responses in arrival order. */
function bidi<Req, Res>(method: MethodDefinition<Req, Res>) {
  const stream = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
  const queue: Res[] = [];
  const waiters: ((r: Res) => void)[] = [];
  stream.on("data", (res: Res) => {
    const waiter = waiters.shift();
    if (waiter) waiter(res);
    else queue.push(res);
  });
  stream.on("error", () => {}); // ended by cancel() at the end of a test
  return {
    send: (req: PartialMessage<Req>) => stream.write(req),
    next: (): Promise<Res> => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response on ${method.path} within 10 s`)), 10_000);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    close: () => stream.cancel(),
  };
}

const { KVService, WatchService, LeaseService, ClusterService, MaintenanceService, AuthService } = pb;

before(async () => {
  etcd = await startMember({ binary: "etcd", name: "oracle" });
  client = new grpc.Client(etcd.clientAddress, grpc.credentials.createInsecure());
});

after(async () => {
  client?.close();
  await etcd?.stop();
});

describe("KV against the real etcd 3.4", () => {
  test("Put returns a header and the previous value", async () => {
    const first = await unary(KVService.put, { key: bytes("kv/a"), value: bytes("1") });
    assert.ok(first.header);
    assert.notEqual(first.header.clusterId, 0n);
    assert.notEqual(first.header.memberId, 0n);
    assert.ok(first.header.revision >= 2);
    assert.ok(first.header.raftTerm >= 1);
    assert.equal(first.prevKv, undefined);

    const second = await unary(KVService.put, { key: bytes("kv/a"), value: bytes("2"), prevKv: true });
    assert.equal(second.header?.revision, first.header.revision + 1);
    assert.equal(text(second.prevKv?.key), "kv/a");
    assert.equal(text(second.prevKv?.value), "1");
    assert.equal(second.prevKv?.version, 1);
    assert.equal(second.prevKv?.createRevision, first.header.revision);
    assert.equal(second.prevKv?.modRevision, first.header.revision);
    assert.equal(second.prevKv?.lease, 0n);
  });

  test("Range with a prefix, a limit and a sort order", async () => {
    for (const k of ["b", "c", "d"]) await unary(KVService.put, { key: bytes(`kv/${k}`), value: bytes(k.toUpperCase()) });
    const all = await unary(KVService.range, { key: bytes("kv/"), rangeEnd: bytes("kv0") });
    assert.deepEqual(all.kvs.map((kv) => text(kv.key)), ["kv/a", "kv/b", "kv/c", "kv/d"]);
    assert.equal(all.count, 4);
    assert.equal(all.more, false);
    const a = all.kvs[0]!;
    assert.equal(text(a.value), "2");
    assert.equal(a.version, 2);
    assert.equal(a.modRevision, a.createRevision + 1);

    const page = await unary(KVService.range, {
      key: bytes("kv/"),
      rangeEnd: bytes("kv0"),
      limit: 2,
      sortOrder: pb.RangeRequest_SortOrder.DESCEND,
      sortTarget: pb.RangeRequest_SortTarget.KEY,
    });
    assert.deepEqual(page.kvs.map((kv) => text(kv.key)), ["kv/d", "kv/c"]);
    assert.equal(page.more, true);
    assert.equal(page.count, 4);

    const counted = await unary(KVService.range, { key: bytes("kv/"), rangeEnd: bytes("kv0"), countOnly: true });
    assert.equal(counted.kvs.length, 0);
    assert.equal(counted.count, 4);

    const keysOnly = await unary(KVService.range, { key: bytes("kv/b"), keysOnly: true });
    assert.equal(text(keysOnly.kvs[0]?.key), "kv/b");
    assert.equal(keysOnly.kvs[0]?.value.length, 0);
  });

  test("DeleteRange deletes a prefix and returns the deleted pairs", async () => {
    await unary(KVService.put, { key: bytes("del/1"), value: bytes("x") });
    await unary(KVService.put, { key: bytes("del/2"), value: bytes("y") });
    const res = await unary(KVService.deleteRange, { key: bytes("del/"), rangeEnd: bytes("del0"), prevKv: true });
    assert.equal(res.deleted, 2);
    assert.deepEqual(res.prevKvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`), ["del/1=x", "del/2=y"]);
    const after = await unary(KVService.range, { key: bytes("del/"), rangeEnd: bytes("del0") });
    assert.equal(after.count, 0);
  });

  test("Txn takes the success branch when the compare holds and the failure branch otherwise", async () => {
    await unary(KVService.put, { key: bytes("txn/k"), value: bytes("v1") });
    const compare = (version: number): PartialMessage<pb.Compare> => ({
      key: bytes("txn/k"),
      target: pb.Compare_CompareTarget.VERSION,
      result: pb.Compare_CompareResult.EQUAL,
      targetUnion: { $case: "version", version },
    });
    const ok = await unary(KVService.txn, {
      compare: [compare(1)],
      success: [
        { request: { $case: "requestPut", requestPut: { key: bytes("txn/k"), value: bytes("v2") } } },
        { request: { $case: "requestRange", requestRange: { key: bytes("txn/k") } } },
      ],
      failure: [{ request: { $case: "requestRange", requestRange: { key: bytes("nothing") } } }],
    });
    assert.equal(ok.succeeded, true);
    assert.equal(ok.responses.length, 2);
    const [put, range] = ok.responses;
    assert.equal(put?.response?.$case, "responsePut");
    assert.ok(range?.response?.$case === "responseRange");
    assert.equal(text(range.response.responseRange.kvs[0]?.value), "v2");
    assert.equal(range.response.responseRange.kvs[0]?.version, 2);

    const failed = await unary(KVService.txn, {
      compare: [compare(1)],
      success: [{ request: { $case: "requestDeleteRange", requestDeleteRange: { key: bytes("txn/k") } } }],
      failure: [{ request: { $case: "requestRange", requestRange: { key: bytes("txn/k") } } }],
    });
    assert.equal(failed.succeeded, false);
    assert.ok(failed.responses[0]?.response?.$case === "responseRange");
    assert.equal(failed.responses[0].response.responseRange.kvs[0]?.version, 2);
    assert.equal(failed.header?.revision, ok.header?.revision, "a read-only txn does not advance the revision");
  });

  test("Compact, then a read below the compacted revision is a CompactedError", async () => {
    const put = await unary(KVService.put, { key: bytes("compact/k"), value: bytes("1") });
    const rev = put.header!.revision;
    await unary(KVService.put, { key: bytes("compact/k"), value: bytes("2") });
    const res = await unary(KVService.compact, { revision: rev + 1, physical: true });
    assert.ok(res.header);
    const error = await callError(unary(KVService.range, { key: bytes("compact/k"), revision: rev }));
    assert.ok(error instanceof CompactedError);
    assert.equal(error.code, GrpcStatus.OUT_OF_RANGE);
    assert.equal(error.message, "etcdserver: mvcc: required revision has been compacted");
  });
});

describe("Watch against the real etcd 3.4", () => {
  test("create, receive put and delete events, cancel", async () => {
    const watch = bidi(WatchService.watch);
    try {
      watch.send({ requestUnion: { $case: "createRequest", createRequest: { key: bytes("w/k"), prevKv: true } } });
      const created = await watch.next();
      assert.equal(created.created, true);
      assert.equal(created.canceled, false);
      const watchId = created.watchId;

      const put = await unary(KVService.put, { key: bytes("w/k"), value: bytes("hello") });
      const putEvent = await watch.next();
      assert.equal(putEvent.watchId, watchId);
      assert.equal(putEvent.events.length, 1);
      assert.equal(putEvent.events[0]?.type, mvccpb.Event_EventType.PUT);
      assert.equal(text(putEvent.events[0]?.kv?.key), "w/k");
      assert.equal(text(putEvent.events[0]?.kv?.value), "hello");
      assert.equal(putEvent.events[0]?.kv?.modRevision, put.header?.revision);
      assert.equal(putEvent.header?.revision, put.header?.revision);

      await unary(KVService.deleteRange, { key: bytes("w/k") });
      const deleteEvent = await watch.next();
      assert.equal(deleteEvent.events[0]?.type, mvccpb.Event_EventType.DELETE);
      assert.equal(text(deleteEvent.events[0]?.prevKv?.value), "hello");

      watch.send({ requestUnion: { $case: "cancelRequest", cancelRequest: { watchId } } });
      const canceled = await watch.next();
      assert.equal(canceled.canceled, true);
      assert.equal(canceled.watchId, watchId);
    } finally {
      watch.close();
    }
  });
});

describe("Lease against the real etcd 3.4", () => {
  test("grant, keep alive, time to live with keys, revoke", async () => {
    const grant = await unary(LeaseService.leaseGrant, { TTL: 60 });
    assert.equal(grant.error, "");
    assert.equal(grant.TTL, 60);
    assert.ok(grant.ID > 0n);
    const ID = grant.ID;

    await unary(KVService.put, { key: bytes("lease/k"), value: bytes("v"), lease: ID });
    const kv = await unary(KVService.range, { key: bytes("lease/k") });
    assert.equal(kv.kvs[0]?.lease, ID);

    const keepAlive = bidi(LeaseService.leaseKeepAlive);
    try {
      keepAlive.send({ ID });
      const renewed = await keepAlive.next();
      assert.equal(renewed.ID, ID);
      assert.equal(renewed.TTL, 60);
    } finally {
      keepAlive.close();
    }

    const ttl = await unary(LeaseService.leaseTimeToLive, { ID, keys: true });
    assert.equal(ttl.ID, ID);
    assert.equal(ttl.grantedTTL, 60);
    assert.ok(ttl.TTL > 0 && ttl.TTL <= 60);
    assert.deepEqual(ttl.keys.map(text), ["lease/k"]);

    const leases = await unary(LeaseService.leaseLeases, {});
    assert.ok(leases.leases.some((l) => l.ID === ID));

    await unary(LeaseService.leaseRevoke, { ID });
    const gone = await unary(KVService.range, { key: bytes("lease/k") });
    assert.equal(gone.count, 0, "revoking a lease deletes its keys");
    const expired = await unary(LeaseService.leaseTimeToLive, { ID });
    assert.equal(expired.TTL, -1);

    const error = await callError(unary(LeaseService.leaseRevoke, { ID }));
    assert.ok(error instanceof LeaseNotFoundError);
    assert.equal(error.code, GrpcStatus.NOT_FOUND);
    assert.equal(error.message, "etcdserver: requested lease not found");
  });

  test("a client-chosen lease ID above 2^53 survives the round trip exactly", async () => {
    const ID = 0x7edc_ba98_7654_3210n;
    const grant = await unary(LeaseService.leaseGrant, { TTL: 30, ID });
    assert.equal(grant.ID, ID);
    await unary(LeaseService.leaseRevoke, { ID });
  });
});

describe("Cluster and Maintenance against the real etcd 3.4", () => {
  test("MemberList lists the one member with its URLs", async () => {
    const res = await unary(ClusterService.memberList, {});
    assert.equal(res.members.length, 1);
    const member = res.members[0]!;
    assert.equal(member.name, "oracle");
    assert.equal(member.ID, res.header?.memberId);
    assert.deepEqual(member.clientURLs, [etcd.clientUrl]);
    assert.equal(member.peerURLs.length, 1);
    assert.match(member.peerURLs[0]!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(member.isLearner, false);
  });

  test("Status reports the version, the leader and the db size", async () => {
    const res = await unary(MaintenanceService.status, {});
    assert.equal(res.version, SERVER_VERSION);
    assert.equal(res.leader, res.header?.memberId);
    assert.ok(res.dbSize > 0);
    assert.ok(res.dbSizeInUse > 0);
    assert.ok(res.raftIndex > 0);
    assert.ok(res.raftTerm >= 1);
    assert.equal(res.isLearner, false);
    assert.deepEqual(res.errors, []);
  });

  test("Alarm: NOSPACE activated blocks writes with NoSpaceError, deactivated lets them through", async () => {
    const memberID = (await unary(MaintenanceService.status, {})).header!.memberId;
    const none = await unary(MaintenanceService.alarm, { action: pb.AlarmRequest_AlarmAction.GET });
    assert.deepEqual(none.alarms, []);

    const activated = await unary(MaintenanceService.alarm, {
      action: pb.AlarmRequest_AlarmAction.ACTIVATE,
      memberID,
      alarm: pb.AlarmType.NOSPACE,
    });
    assert.deepEqual(activated.alarms.map((a) => [a.memberID, a.alarm]), [[memberID, pb.AlarmType.NOSPACE]]);
    const listed = await unary(MaintenanceService.alarm, { action: pb.AlarmRequest_AlarmAction.GET });
    assert.deepEqual(listed.alarms.map((a) => a.alarm), [pb.AlarmType.NOSPACE]);

    const error = await callError(unary(KVService.put, { key: bytes("alarm/k"), value: bytes("v") }));
    assert.ok(error instanceof NoSpaceError);
    assert.equal(error.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.equal(error.message, "etcdserver: mvcc: database space exceeded");

    await unary(MaintenanceService.alarm, { action: pb.AlarmRequest_AlarmAction.DEACTIVATE, memberID, alarm: pb.AlarmType.NOSPACE });
    const cleared = await unary(MaintenanceService.alarm, { action: pb.AlarmRequest_AlarmAction.GET });
    assert.deepEqual(cleared.alarms, []);
    await unary(KVService.put, { key: bytes("alarm/k"), value: bytes("v") });
  });

  test("HashKV hashes the keyspace; the same state hashes the same", async () => {
    const first = await unary(MaintenanceService.hashKV, { revision: 0 });
    const second = await unary(MaintenanceService.hashKV, { revision: 0 });
    assert.notEqual(first.hash, 0);
    assert.equal(first.hash, second.hash);
    assert.ok(first.compactRevision > 0, "an earlier test compacted");
    await unary(KVService.put, { key: bytes("hash/k"), value: bytes("v") });
    const changed = await unary(MaintenanceService.hashKV, { revision: 0 });
    assert.notEqual(changed.hash, first.hash);
  });
});

describe("Auth against the real etcd 3.4", () => {
  test("Authenticate while auth is disabled is an AuthNotEnabledError", async () => {
    const error = await callError(unary(AuthService.authenticate, { name: "root", password: "secret" }));
    assert.ok(error instanceof AuthNotEnabledError, `${error.name}: ${error.message}`);
    assert.equal(error.code, GrpcStatus.FAILED_PRECONDITION);
    assert.equal(error.message, "etcdserver: authentication is not enabled");
  });
});
