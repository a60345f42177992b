/**
 * Codec round trips (fast-check) and rejection of malformed input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CodecError,
  decodeConfChange,
  decodeConfChangeV2,
  decodeConfState,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  decodeSnapshotMetadata,
  encodeConfChange,
  encodeConfChangeV2,
  encodeConfState,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
  encodeSnapshotMetadata,
  entrySize,
  type ConfState,
  type Entry,
  type Message,
  type Snapshot,
} from "../src/index.js";

const RUNS = Number(process.env["RAFT_PROPERTY_RUNS"] ?? 300);

const u53 = fc.oneof(fc.nat(200), fc.nat(), fc.maxSafeNat());
const id = fc.oneof(fc.bigInt({ min: 0n, max: 10n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const bytes = fc.uint8Array({ maxLength: 64 });
const entry: fc.Arbitrary<Entry> = fc.record({
  term: u53,
  index: u53,
  type: fc.constantFrom(0 as const, 1 as const, 2 as const),
  data: bytes,
});
const ids = fc.array(id, { maxLength: 5 });
const confState: fc.Arbitrary<ConfState> = fc.record({
  voters: ids,
  learners: ids,
  votersOutgoing: ids,
  learnersNext: ids,
  autoLeave: fc.boolean(),
});
const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  data: bytes,
  metadata: fc.record({ confState, index: u53, term: u53 }),
});
const message: fc.Arbitrary<Message> = fc
  .record({
    type: fc.integer({ min: 0, max: 18 }) as fc.Arbitrary<Message["type"]>,
    to: id,
    from: id,
    term: u53,
    logTerm: u53,
    index: u53,
    entries: fc.array(entry, { maxLength: 4 }),
    commit: u53,
    reject: fc.boolean(),
    rejectHint: u53,
    context: bytes,
    snapshot: fc.option(snapshot, { nil: undefined }),
  })
  .map((m) => {
    const { snapshot: s, ...rest } = m;
    return s === undefined ? rest : { ...rest, snapshot: s };
  });

// Decoded byte fields are subarrays: compare as plain arrays.
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

test("entry round trip and entrySize", () => {
  fc.assert(
    fc.property(entry, (e) => {
      const b = encodeEntry(e);
      assert.equal(b.length, entrySize(e));
      assert.deepEqual(plain(decodeEntry(b)), plain(e));
    }),
    { numRuns: RUNS },
  );
});

test("message round trip", () => {
  fc.assert(
    fc.property(message, (m) => {
      assert.deepEqual(plain(decodeMessage(encodeMessage(m))), plain(m));
    }),
    { numRuns: RUNS },
  );
});

test("hard state, conf state, snapshot and metadata round trip", () => {
  fc.assert(
    fc.property(u53, id, u53, confState, snapshot, (term, vote, commit, cs, s) => {
      assert.deepEqual(decodeHardState(encodeHardState({ term, vote, commit })), { term, vote, commit });
      assert.deepEqual(plain(decodeConfState(encodeConfState(cs))), plain(cs));
      assert.deepEqual(plain(decodeSnapshot(encodeSnapshot(s))), plain(s));
      assert.deepEqual(plain(decodeSnapshotMetadata(encodeSnapshotMetadata(s.metadata))), plain(s.metadata));
    }),
    { numRuns: RUNS },
  );
});

test("conf change V1 and V2 round trip", () => {
  const ccType = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const);
  fc.assert(
    fc.property(ccType, id, id, bytes, (type, nodeId, reqId, context) => {
      const cc = { type, nodeId, context, id: reqId };
      assert.deepEqual(plain(decodeConfChange(encodeConfChange(cc))), plain(cc));
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(0 as const, 1 as const, 2 as const),
      fc.array(fc.record({ type: ccType, nodeId: id }), { maxLength: 5 }),
      bytes,
      (transition, changes, context) => {
        const cc = { transition, changes, context };
        assert.deepEqual(plain(decodeConfChangeV2(encodeConfChangeV2(cc))), plain(cc));
      },
    ),
    { numRuns: RUNS },
  );
});

test("empty bytes decode to the leave-joint conf change", () => {
  assert.deepEqual(plain(decodeConfChangeV2(new Uint8Array(0))), { transition: 0, changes: [], context: [] });
});

test("truncated input is rejected at every length", () => {
  fc.assert(
    fc.property(message, (m) => {
      const b = encodeMessage(m);
      for (let len = 0; len < b.length; len++) {
        assert.throws(() => decodeMessage(b.subarray(0, len)), CodecError);
      }
    }),
    { numRuns: Math.min(RUNS, 100) },
  );
});

test("trailing bytes, bad enums and oversized integers are rejected", () => {
  const e = encodeEntry({ term: 1, index: 2, type: 0, data: new Uint8Array([7]) });
  const withTrailer = new Uint8Array(e.length + 1);
  withTrailer.set(e);
  assert.throws(() => decodeEntry(withTrailer), /trailing/);
  const badType = e.slice();
  badType[0] = 9;
  assert.throws(() => decodeEntry(badType), /unknown entry type/);
  // term = 2^56 (beyond 2^53): 8 continuation bytes then 0x01.
  const big = new Uint8Array([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0]);
  assert.throws(() => decodeEntry(big), /2\^53/);
  assert.throws(() => encodeEntry({ term: -1, index: 0, type: 0, data: new Uint8Array() }), CodecError);
  assert.throws(() => encodeHardState({ term: 1, vote: 1n << 64n, commit: 0 }), CodecError);
});

test("decoded data is a view into the input (zero copy)", () => {
  const b = encodeEntry({ term: 1, index: 1, type: 0, data: new Uint8Array([1, 2, 3]) });
  const e = decodeEntry(b);
  assert.equal(e.data.buffer, b.buffer);
});
