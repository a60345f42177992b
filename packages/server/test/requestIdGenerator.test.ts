// Request IDs (etcd's pkg/idutil shape): the member's low 16 bits, then the start time in
// milliseconds (40 bits) and an 8-bit counter that carries into it. IDs stay unique across
// restarts as long as a run hands out fewer than 256 IDs per millisecond on average.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RequestIdGenerator } from "../src/etcdserver/RequestIdGenerator.js";

const MEMBER = 0x8e9e_05c5_2164_694dn;
const START = Date.UTC(2026, 11, 8);

const take = (generator: RequestIdGenerator, count: number): bigint[] => Array.from({ length: count }, () => generator.next());

test("the member's low 16 bits are the top 16 bits of every ID; the rest is start ms << 8 plus the count", () => {
  const generator = new RequestIdGenerator(MEMBER, () => START);
  const [first, second] = take(generator, 2);
  assert.equal(first! >> 48n, 0x694dn);
  assert.equal(second! >> 48n, 0x694dn);
  assert.equal(first! & 0xffff_ffff_ffffn, ((BigInt(START) & 0xff_ffff_ffffn) << 8n) + 1n);
  assert.equal(second, first! + 1n);
});

test("the counter carries into the time bits and wraps within the low 48 bits, never touching the member bits", () => {
  const last = 2 ** 40 - 1; // the last millisecond the 40 time bits hold
  const generator = new RequestIdGenerator(0xffffn, () => last);
  const ids = take(generator, 256);
  assert.equal(ids[254]! & 0xffff_ffff_ffffn, 0xffff_ffff_ffffn);
  assert.equal(ids[255], 0xffffn << 48n, "wrapped to a zero suffix");
  for (const id of ids) assert.equal(id >> 48n, 0xffffn);
});

test("a restart (a new generator at a later millisecond) never reproduces an ID handed out before", () => {
  const before = new RequestIdGenerator(MEMBER, () => START);
  const handedOut = new Set(take(before, 100_000));
  assert.equal(handedOut.size, 100_000);
  // 100,000 IDs is 391 ms of counter; the member restarts 391 ms after it started.
  const after = new RequestIdGenerator(MEMBER, () => START + 391);
  for (const id of take(after, 100_000)) assert.equal(handedOut.has(id), false, `ID ${id.toString(16)} handed out twice`);
});

test("two generators of one member started at different milliseconds never collide while each hands out < 256 IDs per ms between the starts", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 5000 }), (start, gap, extra) => {
      const first = new RequestIdGenerator(MEMBER, () => start);
      const second = new RequestIdGenerator(MEMBER, () => start + gap);
      // The first run hands out as many as fit before the second's start; the second runs on.
      const a = new Set(take(first, gap * 256));
      return take(second, extra).every((id) => !a.has(id));
    }),
    { numRuns: 30 },
  );
});

test("different members never share an ID, whatever their clocks", () => {
  const a = new RequestIdGenerator(0x0001n, () => START);
  const b = new RequestIdGenerator(0x0002n, () => START);
  const seen = new Set(take(a, 1000));
  for (const id of take(b, 1000)) assert.equal(seen.has(id), false);
});
