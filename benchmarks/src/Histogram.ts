/**
 * Histogram: a latency histogram with bounded relative error, mergeable across worker
 * threads (its counts travel as one typed array).
 *
 * Values are recorded in microseconds into log-spaced buckets: bucket `i` holds values in
 * `[MIN_US * GROWTH^i, MIN_US * GROWTH^(i+1))`, so a percentile read back is within
 * `GROWTH - 1` (1%) of the exact one. Minimum, maximum and sum are kept exactly. It does
 * not keep the samples themselves (etcd's `--sample` time series is not built).
 */

/** MIN_US is the lower edge of the first bucket: values below it land in bucket 0. */
const MIN_US = 1;
/** GROWTH is the ratio between neighbouring bucket edges (1% relative error). */
const GROWTH = 1.01;
/** BUCKETS covers 1 µs to about 10^9 µs (16 minutes); larger values land in the last one. */
const BUCKETS = Math.ceil(Math.log(1e9 / MIN_US) / Math.log(GROWTH));
const LOG_GROWTH = Math.log(GROWTH);

/** HistogramSnapshot is a histogram as plain data, to post between threads. */
export interface HistogramSnapshot {
  readonly counts: Float64Array;
  readonly count: number;
  readonly sumUs: number;
  readonly sumSquaresUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}

/** Histogram records latencies (µs) and answers percentiles; see the module comment. */
export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  /** count is the number of recorded values. */
  count = 0;
  private sumUs = 0;
  private sumSquaresUs = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;

  /** record adds one latency in microseconds. */
  record(us: number): void {
    const value = us > 0 ? us : 0;
    this.counts[bucketOf(value)]! += 1;
    this.count += 1;
    this.sumUs += value;
    this.sumSquaresUs += value * value;
    if (value < this.minUs) this.minUs = value;
    if (value > this.maxUs) this.maxUs = value;
  }

  /** merge adds another histogram's values (e.g. a worker's snapshot). */
  merge(other: HistogramSnapshot | Histogram): void {
    const snap = other instanceof Histogram ? other.snapshot() : other;
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += snap.counts[i] ?? 0;
    this.count += snap.count;
    this.sumUs += snap.sumUs;
    this.sumSquaresUs += snap.sumSquaresUs;
    if (snap.count > 0) {
      this.minUs = Math.min(this.minUs, snap.minUs);
      this.maxUs = Math.max(this.maxUs, snap.maxUs);
    }
  }

  /** snapshot copies the state out as plain data. */
  snapshot(): HistogramSnapshot {
    return {
      counts: this.counts.slice(),
      count: this.count,
      sumUs: this.sumUs,
      sumSquaresUs: this.sumSquaresUs,
      minUs: this.minUs,
      maxUs: this.maxUs,
    };
  }

  /** fromSnapshot rebuilds a histogram from {@link Histogram.snapshot}'s data. */
  static fromSnapshot(snap: HistogramSnapshot): Histogram {
    const h = new Histogram();
    h.merge(snap);
    return h;
  }

  /** min is the smallest value recorded (0 when empty). */
  get min(): number {
    return this.count === 0 ? 0 : this.minUs;
  }

  /** max is the largest value recorded (0 when empty). */
  get max(): number {
    return this.maxUs;
  }

  /** mean is the average value (0 when empty). */
  get mean(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count;
  }

  /** stddev is the population standard deviation (0 when empty). */
  get stddev(): number {
    if (this.count === 0) return 0;
    const mean = this.mean;
    return Math.sqrt(Math.max(0, this.sumSquaresUs / this.count - mean * mean));
  }

  /**
   * percentile returns the value at or below which `p` percent (0–100) of the values lie:
   * the smallest recorded value whose rank is >= ceil(p/100 * count), approximated by its
   * bucket's geometric midpoint and clamped to [min, max]. 0 when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxUs, Math.max(this.minUs, bucketMidpoint(i)));
    }
    return this.maxUs;
  }

  /**
   * buckets groups the values into `n` equal-width bins between min and max (etcd's
   * "Response time histogram"): each bin's upper edge (µs) and count.
   */
  bins(n: number): { upperUs: number; count: number }[] {
    if (this.count === 0 || n <= 0) return [];
    const width = (this.maxUs - this.min) / n;
    const out = Array.from({ length: n }, (_, i) => ({ upperUs: this.min + width * (i + 1), count: 0 }));
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const v = Math.min(this.maxUs, Math.max(this.min, bucketMidpoint(i)));
      const bin = width === 0 ? n - 1 : Math.min(n - 1, Math.floor((v - this.min) / width));
      out[bin]!.count += c;
    }
    return out;
  }
}

function bucketOf(us: number): number {
  if (us < MIN_US) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(us / MIN_US) / LOG_GROWTH));
}

function bucketMidpoint(i: number): number {
  return MIN_US * Math.pow(GROWTH, i + 0.5);
}
