/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (0.0.4). Enough for etcd's metric names; no dependency.
 */

/** Labels are a series' label names and values. */
export type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");
}

/** Metric is what the registry renders. */
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  render(): string[];
}

/** CounterSeries is one labelled series of a counter, resolved once for hot paths. */
export interface CounterSeries {
  inc(by?: number): void;
}

/** Counter only goes up. */
export class Counter implements Metric {
  readonly type = "counter";
  private readonly values = new Map<string, number>();
  /**
   * `vector`: a family with labels, shown once a series exists (a Go CounterVec); a plain
   * counter shows 0 from the start, as the Go client does.
   */
  constructor(readonly name: string, readonly help: string, private readonly vector = false) {}
  /** inc adds `by` (default 1) to the series with these labels. */
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  /** series returns the series with these labels: its `inc` skips building the label key per call. */
  series(labels: Labels): CounterSeries {
    const key = labelKey(labels);
    if (!this.values.has(key)) this.values.set(key, 0);
    return { inc: (by = 1) => this.values.set(key, this.values.get(key)! + by) };
  }
  /** get reads one series (tests). */
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    if (!this.vector && this.values.size === 0) return [`${this.name} 0`];
    return [...this.values].map(([key, value]) => `${this.name}${key ? `{${key}}` : ""} ${value}`);
  }
}

/** CounterFunc is a counter whose total is read when scraped (bytes written, CPU seconds). */
export class CounterFunc implements Metric {
  readonly type = "counter";
  constructor(readonly name: string, readonly help: string, private readonly read: () => number) {}
  render(): string[] {
    return [`${this.name} ${this.read()}`];
  }
}

/** Gauge is a value read when scraped. */
export class Gauge implements Metric {
  readonly type = "gauge";
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, private readonly read?: () => number) {}
  /** set sets the series with these labels. */
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }
  render(): string[] {
    if (this.read) return [`${this.name} ${this.read()}`];
    return [...this.values].map(([key, value]) => `${this.name}${key ? `{${key}}` : ""} ${value}`);
  }
}

/** Histogram counts observations into cumulative buckets (seconds, as etcd's). */
export class Histogram implements Metric {
  readonly type = "histogram";
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  /** observe records one value. */
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }
  render(): string[] {
    const lines = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

/** exponentialBuckets is Prometheus's ExponentialBuckets(start, factor, count). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** Registry holds metrics and renders them. */
export class Registry {
  private readonly metrics: Metric[] = [];
  /** register adds a metric and returns it. */
  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  /** render is the text exposition of every metric. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return `${out.join("\n")}\n`;
  }
}
