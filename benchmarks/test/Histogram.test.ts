// Histogram: percentiles within 1% of the exact ones (a sort of the samples), merging across
// "workers", and the edge cases (empty, one value, all equal).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Histogram } from "../src/Histogram.js";

/** exact is the dumb model: the value of rank ceil(p/100 * n) of the sorted samples. */
function exact(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

function near(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.011 + 1e-9, `${label}: ${actual} vs exact ${expected}`);
}

test("percentiles are within 1% of the exact ones on a skewed distribution", () => {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const samples = Array.from({ length: 20_000 }, () => Math.exp(random() * 10) * 10); // 10 µs .. 220 ms
  const h = new Histogram();
  for (const s of samples) h.record(s);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const p of [10, 50, 90, 99, 99.9, 100]) near(h.percentile(p), exact(sorted, p), `p${p}`);
  assert.equal(h.count, samples.length);
  assert.equal(h.min, sorted[0]);
  assert.equal(h.max, sorted.at(-1));
  near(h.mean, samples.reduce((a, b) => a + b, 0) / samples.length, "mean");
});

test("merging worker snapshots equals recording everything in one histogram", () => {
  const one = new Histogram();
  const parts = [new Histogram(), new Histogram(), new Histogram()];
  for (let i = 1; i <= 3000; i++) {
    one.record(i * 7);
    parts[i % 3]!.record(i * 7);
  }
  const merged = new Histogram();
  for (const part of parts) merged.merge(part.snapshot());
  for (const p of [50, 90, 99, 99.9]) assert.equal(merged.percentile(p), one.percentile(p));
  assert.equal(merged.count, one.count);
  assert.equal(merged.min, one.min);
  assert.equal(merged.max, one.max);
  assert.equal(Histogram.fromSnapshot(one.snapshot()).percentile(99), one.percentile(99));
});

test("edge cases: empty, one value, all equal, zero", () => {
  const empty = new Histogram();
  assert.equal(empty.percentile(99), 0);
  assert.equal(empty.mean, 0);
  assert.deepEqual(empty.bins(10), []);

  const one = new Histogram();
  one.record(1234);
  for (const p of [0, 50, 99.9, 100]) assert.equal(one.percentile(p), 1234);

  const same = new Histogram();
  for (let i = 0; i < 100; i++) same.record(500);
  assert.equal(same.percentile(99), 500);
  assert.equal(same.stddev, 0);
  assert.equal(same.bins(10).reduce((a, b) => a + b.count, 0), 100);

  const zero = new Histogram();
  zero.record(0);
  zero.record(-3); // a clock step backwards counts as 0
  assert.equal(zero.max, 0);
  assert.equal(zero.percentile(50), 0);
});
