/**
 * table: the side-by-side results as a markdown table — per row, each server's throughput,
 * p99 latency and peak server RSS, the etcd-ts / etcd ratios, whether the targets hold
 * (throughput >= 1.0x, p99 <= 1.2x), and the CPU the load generator and the server used
 * (to tell a saturated generator from a saturated server). Pure: data in, text out.
 */

/** Measurement is one server's averaged result on one row. */
export interface Measurement {
  readonly qps: number;
  readonly p99Us: number;
  /** peakRssKb of the server process (largest member); undefined when unknown. */
  readonly peakRssKb: number | undefined;
  /** clientCpu: cores the load generator used. */
  readonly clientCpu: number;
  /** serverCpu: cores the server used over the measured run (undefined when unknown). */
  readonly serverCpu: number | undefined;
  readonly errors: number;
}

/** RowResult is one table line: either a measurement or why there is none. */
export interface RowResult {
  readonly title: string;
  readonly etcd: Measurement | string;
  readonly etcdTs: Measurement | string;
  /** rateLimited: fixed-rate load; throughput is not a target, only p99. */
  readonly rateLimited?: boolean | undefined;
}

/** TARGET_THROUGHPUT: etcd-ts must reach at least this fraction of etcd's throughput. */
export const TARGET_THROUGHPUT = 1.0;
/** TARGET_P99: etcd-ts's p99 latency must stay within this multiple of etcd's. */
export const TARGET_P99 = 1.2;

/** formatQps renders a rate with thousands separators. */
export function formatQps(qps: number): string {
  return Math.round(qps).toLocaleString("en-US");
}

/** formatLatency renders µs as ms (µs below 1 ms would hide in "0.0"). */
export function formatLatency(us: number): string {
  return us >= 100_000 ? `${(us / 1000).toFixed(0)} ms` : us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${(us / 1000).toFixed(2)} ms`;
}

/** formatRss renders KiB as MiB. */
export function formatRss(kb: number | undefined): string {
  return kb === undefined ? "?" : `${(kb / 1024).toFixed(0)} MiB`;
}

/** ratio renders b / a as "1.23x" ("—" when either is missing or a is 0). */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || a === 0) return "—";
  return `${(b / a).toFixed(2)}x`;
}

function mark(ok: boolean): string {
  return ok ? "ok" : "**below**";
}

/** renderTable renders the results; see the module comment. */
export function renderTable(rows: readonly RowResult[]): string {
  const header = [
    "| Row | etcd QPS | etcd-ts QPS | QPS ratio | etcd p99 | etcd-ts p99 | p99 ratio | etcd RSS | etcd-ts RSS | RSS ratio | Targets | Load gen CPU (etcd / etcd-ts run) | Server CPU (etcd / etcd-ts) |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|",
  ];
  const lines = rows.map((row) => {
    const a = row.etcd;
    const b = row.etcdTs;
    if (typeof a === "string" || typeof b === "string") {
      const cell = (m: Measurement | string, f: (m: Measurement) => string): string => (typeof m === "string" ? m : f(m));
      return `| ${row.title} | ${cell(a, (m) => formatQps(m.qps))} | ${cell(b, (m) => formatQps(m.qps))} | — | ${cell(a, (m) => formatLatency(m.p99Us))} | ${cell(b, (m) => formatLatency(m.p99Us))} | — | ${cell(a, (m) => formatRss(m.peakRssKb))} | ${cell(b, (m) => formatRss(m.peakRssKb))} | — | — | — | — |`;
    }
    const qpsOk = row.rateLimited === true || b.qps >= a.qps * TARGET_THROUGHPUT;
    const p99Ok = b.p99Us <= a.p99Us * TARGET_P99;
    const targets = qpsOk && p99Ok ? "ok" : [qpsOk ? "" : `QPS ${mark(false)}`, p99Ok ? "" : `p99 ${mark(false)}`].filter(Boolean).join(", ");
    const errors = a.errors + b.errors > 0 ? ` (errors: ${a.errors} / ${b.errors})` : "";
    const cpu = (m: Measurement): string => (m.serverCpu === undefined ? "?" : m.serverCpu.toFixed(2));
    return `| ${row.title}${errors} | ${formatQps(a.qps)} | ${formatQps(b.qps)} | ${ratio(a.qps, b.qps)} | ${formatLatency(a.p99Us)} | ${formatLatency(b.p99Us)} | ${ratio(a.p99Us, b.p99Us)} | ${formatRss(a.peakRssKb)} | ${formatRss(b.peakRssKb)} | ${ratio(a.peakRssKb, b.peakRssKb)} | ${targets} | ${a.clientCpu.toFixed(2)} / ${b.clientCpu.toFixed(2)} | ${cpu(a)} / ${cpu(b)} |`;
  });
  return [...header, ...lines].join("\n");
}

/** average combines the rounds of one server on one row (mean QPS, p99 and CPU; max RSS). */
export function average(rounds: readonly Measurement[]): Measurement {
  const n = rounds.length;
  const mean = (f: (m: Measurement) => number): number => rounds.reduce((s, m) => s + f(m), 0) / n;
  const rss = rounds.map((m) => m.peakRssKb).filter((v): v is number => v !== undefined);
  const cpu = rounds.map((m) => m.serverCpu).filter((v): v is number => v !== undefined);
  return {
    qps: mean((m) => m.qps),
    p99Us: mean((m) => m.p99Us),
    peakRssKb: rss.length === 0 ? undefined : Math.max(...rss),
    clientCpu: mean((m) => m.clientCpu),
    serverCpu: cpu.length === 0 ? undefined : cpu.reduce((a, b) => a + b, 0) / cpu.length,
    errors: rounds.reduce((s, m) => s + m.errors, 0),
  };
}
