// Applier (etcdserver/Applier.ts) against fake ports: a store that records its batches and
// answers each op, a real lessor and auth store in memory. Pins what the Ready loop relies
// on: one batch per call, replayed entries skipped, a gated batch written only once its WAL
// records are written and answered only once they are durable, revokes flushing first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { etcdserverpb as pb, NoSpaceError } from "@etcd-ts/api";
import { AuthStore, createTokenProvider, MemoryAuthBackend } from "@etcd-ts/auth";
import { Lessor } from "@etcd-ts/lease";
import type { ApplyBatch, ApplyResult } from "@etcd-ts/mvcc";
import { EntryType, type Entry } from "@etcd-ts/raft";
import { AlarmStore } from "../src/etcdserver/AlarmStore.js";
import { Applier, type ApplierPorts } from "../src/etcdserver/Applier.js";
import type { ApplyOutcome } from "../src/etcdserver/ApplyOutcome.js";
import { encodeInternalRequest, type InternalRequest } from "../src/etcdserver/InternalRequest.js";
import type { Member } from "../src/membership/Member.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const MEMBER = 1n;

/** Rig is an applier on fake ports, with a log of what reached each port. */
class Rig {
  readonly log: string[] = [];
  readonly batches: ApplyBatch[] = [];
  readonly outcomes = new Map<bigint, ApplyOutcome>();
  applied = 0;
  revision = 1;
  readonly lessor = new Lessor({ minLeaseTTL: 1, now: () => 0 });
  readonly alarms = new AlarmStore();
  readonly applier: Applier;

  constructor(consistentIndex = 0) {
    const auth = new AuthStore({ backend: new MemoryAuthBackend(), tokenProvider: createTokenProvider("simple"), bcryptCost: 4 });
    const ports: ApplierPorts = {
      store: {
        apply: (batch) => Promise.resolve(this.storeApply(batch)),
        notify: (revision) => this.log.push(`notify ${revision}`),
      },
      leases: this.lessor,
      auth: { store: auth, drainWrites: () => [] },
      cluster: { members: new Map<bigint, Member>(), alarms: this.alarms },
      results: {
        header: (revision) => pb.ResponseHeader.create({ memberId: MEMBER, revision }),
        respond: (id, outcome) => {
          this.log.push(`respond ${id}`);
          this.outcomes.set(id, outcome);
        },
        applied: (index) => {
          this.log.push(`applied ${index}`);
          this.applied = index;
        },
        batchCommitted: () => undefined,
        storeRequest: () => undefined,
        leaseGranted: () => undefined,
        leaseRevoked: () => undefined,
      },
    };
    this.applier = new Applier(ports, consistentIndex);
  }

  private storeApply(batch: ApplyBatch): ApplyResult {
    this.batches.push(batch);
    this.log.push(`store ${batch.ops.map((op) => op.op).join(",") || "-"} @${batch.index}`);
    const results = batch.ops.map((op) => {
      if (op.op === "put" || op.op === "deleteRange") this.revision++;
      return { ok: true as const, response: pb.PutResponse.create({ header: { revision: this.revision } }) };
    });
    return { results, events: [], revision: this.revision, compactRevision: -1, consistentIndex: batch.index, dbSize: 0 };
  }
}

let nextId = 100n;
function entry(index: number, request: Omit<InternalRequest, "id" | "user" | "authRevision">, id = nextId++): Entry {
  const data = encodeInternalRequest({ ...request, id, user: "", authRevision: 0 } as InternalRequest);
  return { term: 2, index, type: EntryType.EntryNormal, data };
}
const put = (key: string): Omit<InternalRequest, "id" | "user" | "authRevision"> => ({ kind: "put", request: pb.PutRequest.create({ key: bytes(key), value: bytes("v") }) });

/** A promise with its resolver, for gating. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("one call applies its KV requests as one batch with the last index, then answers, then reports the applied index", async () => {
  const rig = new Rig();
  await rig.applier.apply([entry(1, put("a"), 1n), entry(2, put("b"), 2n), { term: 2, index: 3, type: EntryType.EntryNormal, data: new Uint8Array(0) }]);
  assert.deepEqual(rig.log, ["store put,put @3", "notify 3", "respond 1", "respond 2", "applied 3"]);
  const outcome = rig.outcomes.get(2n);
  assert.ok(outcome?.ok);
  assert.equal((outcome.response as pb.PutResponse).header?.memberId, MEMBER, "the header comes from the results port");
  assert.equal(rig.applier.consistentIndex, 3);
});

test("entries at or below the consistent index are replayed entries: not applied again, no applied index reported", async () => {
  const rig = new Rig(5);
  await rig.applier.apply([entry(4, put("a")), entry(5, put("b"))]);
  assert.deepEqual(rig.log, []);
  await rig.applier.apply([entry(6, put("c"), 7n)]);
  assert.deepEqual(rig.log, ["store put @6", "notify 2", "respond 7", "applied 6"]);
});

test("a gated batch reaches the store only once its WAL records are written, and is answered only once they are durable", async () => {
  const rig = new Rig();
  const written = deferred();
  const durable = deferred();
  const applying = rig.applier.apply([entry(1, put("a"), 11n)], { written: written.promise, durable: durable.promise });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(rig.log, [], "nothing reaches the store before the WAL has the records");
  written.resolve();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(rig.log, ["store put @1"], "the store applies while the sync runs; nothing is answered");
  assert.equal(rig.applied, 0);
  durable.resolve();
  await applying;
  assert.deepEqual(rig.log, ["store put @1", "notify 2", "respond 11", "applied 1"]);
});

test("a lease revoke flushes the ops before it, then deletes its keys in a batch of its own", async () => {
  const rig = new Rig();
  rig.lessor.grant(9n, 60);
  rig.lessor.attach(9n, [bytes("held")]);
  await rig.applier.apply([entry(1, put("a"), 21n), entry(2, { kind: "leaseRevoke", request: pb.LeaseRevokeRequest.create({ ID: 9n }) }, 22n)]);
  assert.deepEqual(
    rig.batches.map((batch) => [batch.index, batch.ops.map((op) => op.op)]),
    [
      [1, ["put"]],
      [2, ["txn"]],
    ],
  );
  assert.ok(rig.outcomes.get(22n)?.ok);
  assert.equal(rig.lessor.has(9n), false);
});

test("an active NOSPACE alarm refuses puts when applied, and still lets deletes through", async () => {
  const rig = new Rig();
  rig.alarms.activate(MEMBER, pb.AlarmType.NOSPACE);
  await rig.applier.apply([entry(1, put("a"), 31n), entry(2, { kind: "deleteRange", request: pb.DeleteRangeRequest.create({ key: bytes("a") }) }, 32n)]);
  const refused = rig.outcomes.get(31n);
  assert.ok(refused && !refused.ok && refused.error instanceof NoSpaceError);
  assert.ok(rig.outcomes.get(32n)?.ok);
  assert.deepEqual(rig.batches[0]?.ops.map((op) => op.op), ["deleteRange"]);
});
