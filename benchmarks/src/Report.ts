/**
 * Report: what one measured phase of a benchmark produced — throughput, the latency
 * distribution (p50/p90/p99/p99.9 and more), errors by message, and the CPU the load
 * generator itself used — plus its text rendering (modelled on etcd's benchmark output)
 * and its JSON form (`--json`).
 */
import type { Histogram } from "./Histogram.js";

/** LatencySummary is a latency distribution in microseconds. */
export interface LatencySummary {
  readonly min: number;
  readonly mean: number;
  readonly stddev: number;
  readonly max: number;
  readonly p10: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

/** Report is one measured phase; see the module comment. */
export interface Report {
  /** name of the phase, e.g. "put" or "watch: event delivery". */
  readonly name: string;
  /** count of completed operations (successes and errors). */
  readonly count: number;
  /** errors maps an error message to how often it happened. */
  readonly errors: Readonly<Record<string, number>>;
  /** elapsedMs is the wall time of the phase. */
  readonly elapsedMs: number;
  /** qps is successful operations per second of wall time. */
  readonly qps: number;
  /** latencyUs summarises the successful operations' latencies. */
  readonly latencyUs: LatencySummary;
  /** bins is etcd's "Response time histogram": 10 equal-width bins (µs upper edge, count). */
  readonly bins: readonly { readonly upperUs: number; readonly count: number }[];
  /**
   * clientCpu is the CPU the benchmark process used during the phase, in cores (1.0 = one
   * core busy the whole time); near the number of available cores means the load
   * generator, not the server, was the limit.
   */
  readonly clientCpu: number;
  /** workers is the number of load threads used. */
  readonly workers: number;
}

/** summarize builds a {@link Report} from a phase's histogram, errors and timings. */
export function summarize(input: {
  name: string;
  histogram: Histogram;
  errors: Readonly<Record<string, number>>;
  elapsedMs: number;
  clientCpuMs: number;
  workers: number;
}): Report {
  const h = input.histogram;
  const errorCount = Object.values(input.errors).reduce((a, b) => a + b, 0);
  const seconds = input.elapsedMs / 1000;
  return {
    name: input.name,
    count: h.count + errorCount,
    errors: { ...input.errors },
    elapsedMs: input.elapsedMs,
    qps: seconds > 0 ? h.count / seconds : 0,
    latencyUs: {
      min: h.min,
      mean: h.mean,
      stddev: h.stddev,
      max: h.max,
      p10: h.percentile(10),
      p25: h.percentile(25),
      p50: h.percentile(50),
      p75: h.percentile(75),
      p90: h.percentile(90),
      p95: h.percentile(95),
      p99: h.percentile(99),
      p999: h.percentile(99.9),
    },
    bins: h.bins(10),
    clientCpu: input.elapsedMs > 0 ? input.clientCpuMs / input.elapsedMs : 0,
    workers: input.workers,
  };
}

const secs = (us: number): string => (us / 1e6).toFixed(4);

/** formatReport renders a report as text, in the layout of etcd's benchmark. */
export function formatReport(report: Report): string {
  const l = report.latencyUs;
  const lines = [
    `${report.name}`,
    "Summary:",
    `  Total:\t${(report.elapsedMs / 1000).toFixed(4)} secs.`,
    `  Slowest:\t${secs(l.max)} secs.`,
    `  Fastest:\t${secs(l.min)} secs.`,
    `  Average:\t${secs(l.mean)} secs.`,
    `  Stddev:\t${secs(l.stddev)} secs.`,
    `  Requests/sec:\t${report.qps.toFixed(4)}`,
    `  Load generator CPU:\t${report.clientCpu.toFixed(2)} cores (${report.workers} worker${report.workers === 1 ? "" : "s"})`,
    "",
    "Response time histogram:",
  ];
  const most = Math.max(1, ...report.bins.map((b) => b.count));
  for (const bin of report.bins) lines.push(`  ${secs(bin.upperUs)} [${bin.count}]\t|${"∎".repeat(Math.round((bin.count / most) * 40))}`);
  lines.push("", "Latency distribution:");
  const points: [string, number][] = [
    ["10%", l.p10], ["25%", l.p25], ["50%", l.p50], ["75%", l.p75],
    ["90%", l.p90], ["95%", l.p95], ["99%", l.p99], ["99.9%", l.p999],
  ];
  for (const [label, us] of points) lines.push(`  ${label} in ${secs(us)} secs.`);
  const errors = Object.entries(report.errors);
  if (errors.length > 0) {
    lines.push("", "Error distribution:");
    for (const [message, count] of errors) lines.push(`  [${count}]\t${message}`);
  }
  return `${lines.join("\n")}\n`;
}
