// Model-based tests: random sequences of put / delete / txn / range / compact applied to
// the real store (LMDB + index) and to the dumb model in support/model.ts must give equal
// responses, equal errors and equal event streams; a reopened store must read the same.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { etcdserverpb } from "@etcd-ts/api";
import { Applier, checkTxnRequest } from "../src/Applier.js";
import { MvccError } from "../src/errors.js";
import { Model, ModelError } from "./support/model.js";
import { b, norm, openStore, tempDir } from "./support/util.js";

const RUNS = Number(process.env.MVCC_MODEL_RUNS ?? 60);
const tmp = tempDir();
after(() => tmp.cleanup());

const key = fc.constantFrom("a", "ab", "b", "ba", "c", "d").map(b);
const rangeEnd = fc.oneof(
  { weight: 3, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array([0])) },
  { weight: 2, arbitrary: fc.constantFrom("b", "c", "e", "a").map(b) },
);
const value = fc.constantFrom("", "x", "y", "zz").map(b);
const lease = fc.constantFrom(0n, 7n);
const rev = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 30 }) });

const rangeArb = fc.record({
  key, rangeEnd, revision: rev,
  limit: fc.constantFrom(0, 0, 1, 2),
  sortOrder: fc.constantFrom(0, 0, 1, 2),
  sortTarget: fc.constantFrom(0, 0, 1, 2, 3, 4),
  keysOnly: fc.boolean(), countOnly: fc.boolean(),
  minModRevision: fc.constantFrom(0, 0, 3), maxModRevision: fc.constantFrom(0, 0, 8),
  minCreateRevision: fc.constantFrom(0, 0, 2), maxCreateRevision: fc.constantFrom(0, 0, 6),
}).map((r) => etcdserverpb.RangeRequest.create(r));
const putArb = fc.record({ key, value, lease, prevKv: fc.boolean(), ignoreValue: fc.boolean(), ignoreLease: fc.boolean() })
  .map((p) => etcdserverpb.PutRequest.create({ ...p, value: p.ignoreValue ? new Uint8Array(0) : p.value, lease: p.ignoreLease ? 0n : p.lease }));
const delArb = fc.record({ key, rangeEnd, prevKv: fc.boolean() }).map((d) => etcdserverpb.DeleteRangeRequest.create(d));
const compareArb = fc.record({
  result: fc.constantFrom(0, 1, 2, 3), target: fc.constantFrom(0, 1, 2, 3, 4), key, rangeEnd,
  n: fc.integer({ min: 0, max: 6 }), value,
}).map((c): etcdserverpb.Compare => ({
  result: c.result, target: c.target, key: c.key, rangeEnd: c.rangeEnd,
  targetUnion: [
    { $case: "version" as const, version: c.n }, { $case: "createRevision" as const, createRevision: c.n },
    { $case: "modRevision" as const, modRevision: c.n }, { $case: "value" as const, value: c.value }, { $case: "lease" as const, lease: BigInt(c.n) },
  ][c.target],
}));
const { op: opArb } = fc.letrec<{ op: etcdserverpb.RequestOp; txn: etcdserverpb.TxnRequest }>((tie) => ({
  op: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    rangeArb.map((r) => ({ request: { $case: "requestRange" as const, requestRange: r } })),
    putArb.map((r) => ({ request: { $case: "requestPut" as const, requestPut: r } })),
    delArb.map((r) => ({ request: { $case: "requestDeleteRange" as const, requestDeleteRange: r } })),
    tie("txn").map((r) => ({ request: { $case: "requestTxn" as const, requestTxn: r } })),
  ),
  txn: fc.record({
    compare: fc.array(compareArb, { maxLength: 2 }),
    success: fc.array(tie("op"), { maxLength: 3 }),
    failure: fc.array(tie("op"), { maxLength: 2 }),
  }),
}));
const txnArb = fc.record({
  compare: fc.array(compareArb, { maxLength: 3 }),
  success: fc.array(opArb, { maxLength: 4 }),
  failure: fc.array(opArb, { maxLength: 3 }),
}).filter((t) => {
  try { checkTxnRequest(t); return true; } catch { return false; }
});

type Command =
  | { kind: "range"; req: etcdserverpb.RangeRequest }
  | { kind: "put"; req: etcdserverpb.PutRequest }
  | { kind: "delete"; req: etcdserverpb.DeleteRangeRequest }
  | { kind: "txn"; req: etcdserverpb.TxnRequest }
  | { kind: "compact"; rev: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: rangeArb.map((req) => ({ kind: "range" as const, req })) },
  { weight: 5, arbitrary: putArb.map((req) => ({ kind: "put" as const, req })) },
  { weight: 2, arbitrary: delArb.map((req) => ({ kind: "delete" as const, req })) },
  { weight: 3, arbitrary: txnArb.map((req) => ({ kind: "txn" as const, req })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 25 }).map((rev) => ({ kind: "compact" as const, rev })) },
);

function outcome(run: () => unknown): unknown {
  try {
    return { ok: norm(run()) };
  } catch (error) {
    if (error instanceof MvccError || error instanceof ModelError) return { error: error.kind };
    throw error;
  }
}

let dirs = 0;

describe("model-based", () => {
  it("store and model agree on responses, errors and events; a reopened store reads the same", () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 40 }), fc.boolean(), (commands, stepCompaction) => {
        const dir = `${tmp.dir}/${dirs++}`;
        const store = openStore(dir, { compactionBatchLimit: 3 });
        const applier = new Applier(store, { eventsWithPrevKv: true });
        const model = new Model();
        const events: unknown[] = [];
        for (const command of commands) {
          let real: unknown;
          let expected: unknown;
          switch (command.kind) {
            case "range":
              real = outcome(() => applier.range(command.req));
              expected = outcome(() => model.range(command.req));
              break;
            case "put":
              real = outcome(() => store.backend.transact(() => { const r = applier.put(command.req); events.push(...r.events); return r.response; }));
              expected = outcome(() => model.put(command.req));
              break;
            case "delete":
              real = outcome(() => store.backend.transact(() => { const r = applier.deleteRange(command.req); events.push(...r.events); return r.response; }));
              expected = outcome(() => model.deleteRange(command.req));
              break;
            case "txn":
              real = outcome(() => store.backend.transact(() => { const r = applier.txn(command.req); events.push(...r.events); return r.response; }));
              expected = outcome(() => model.txn(command.req));
              break;
            case "compact":
              real = outcome(() => {
                const { job } = applier.compact(etcdserverpb.CompactionRequest.create({ revision: command.rev }));
                if (stepCompaction) job.step(); else job.runToEnd();
                return null;
              });
              expected = outcome(() => { model.compact(command.rev); return null; });
              break;
          }
          assert.deepStrictEqual(real, expected, `command ${JSON.stringify(norm(command), (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`);
          assert.equal(store.rev(), model.rev);
        }
        assert.deepStrictEqual(norm(events), norm(model.events));
        store.pendingCompaction?.runToEnd();
        // every readable revision reads the same from a reopened store, and hashes agree
        const reopened = openStore(dir);
        reopened.pendingCompaction?.runToEnd();
        assert.equal(reopened.rev(), store.rev());
        assert.equal(reopened.compactRevision(), store.compactRevision());
        const all = etcdserverpb.RangeRequest.create({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
        for (let r = Math.max(1, store.compactRevision()); r <= store.rev(); r++) {
          const req = { ...all, revision: r };
          assert.deepStrictEqual(norm(new Applier(reopened).range(req)), norm(model.range(req)), `reopened at ${r}`);
        }
        assert.deepStrictEqual(reopened.hashByRev(0), store.hashByRev(0));
        void store.backend.close();
        void reopened.backend.close();
      }),
      { numRuns: RUNS },
    );
  });
});
