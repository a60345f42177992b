/**
 * sideBySide: runs the matrix against the real etcd and etcd-ts on this machine, rows in
 * order, each row interleaved A B A B (etcd, etcd-ts, etcd, etcd-ts by default), every
 * round on a freshly started server (so peak RSS belongs to that row), and writes the
 * markdown table with ratios — to stdout, or as RESULTS.md with the machine, the date and
 * the exact commands (`--out`).
 *
 * usage: etcd-ts-side-by-side [--rounds 2] [--rows id,id] [--cluster] [--out FILE]
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { runCommand } from "../commands.js";
import { FlagError, Getter, parseArgs } from "../flags.js";
import { clusterRows, singleMemberRows, type Row } from "./matrix.js";
import { assertDaemonBuilt, DaemonNotBuiltError } from "@etcd-ts/testkit";
import { NotAvailableError, startServer, type ServerKind } from "./servers.js";
import { average, renderTable, type Measurement, type RowResult } from "./table.js";

/** SideBySideOptions configure {@link runSideBySide}. */
export interface SideBySideOptions {
  readonly rounds: number;
  readonly rows: readonly Row[];
  readonly log?: (line: string) => void;
}

/** RowRun is a row's result plus the commands that produced it. */
export interface RowRun extends RowResult {
  readonly row: Row;
  readonly commands: Partial<Record<ServerKind, { server: readonly string[]; benchmark: readonly string[] }>>;
}

/** runSideBySide measures every row on both servers; see the module comment. */
export async function runSideBySide(options: SideBySideOptions): Promise<RowRun[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out: RowRun[] = [];
  for (const row of options.rows) {
    const rounds: Record<ServerKind, Measurement[]> = { etcd: [], "etcd-ts": [] };
    const failures: Partial<Record<ServerKind, string>> = {};
    const commands: RowRun["commands"] = {};
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of ["etcd", "etcd-ts"] as const) {
        if (failures[kind] !== undefined) continue;
        let server;
        try {
          server = await startServer(kind, row.members);
        } catch (error) {
          failures[kind] = error instanceof NotAvailableError ? error.message : `failed to start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
          log(`${row.id} ${kind}: ${failures[kind]}`);
          continue;
        }
        try {
          await row.setup?.(server.endpoints[0]!);
          const argv = ["--endpoints", server.endpoints.join(","), "--progress", "off", ...row.argv];
          const cpuBefore = server.cpuSeconds();
          const started = performance.now();
          const result = await runCommand(argv);
          const wallSeconds = (performance.now() - started) / 1000;
          const cpuAfter = server.cpuSeconds();
          const report = result.primary;
          const measurement: Measurement = {
            qps: report.qps,
            p99Us: report.latencyUs.p99,
            peakRssKb: server.peakRssKb(),
            clientCpu: report.clientCpu,
            serverCpu: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / wallSeconds,
            errors: Object.values(report.errors).reduce((a, b) => a + b, 0),
          };
          rounds[kind].push(measurement);
          commands[kind] = { server: server.members[0]!.command, benchmark: ["etcd-ts-benchmark", ...argv] };
          log(`${row.id} ${kind} round ${round + 1}: ${report.qps.toFixed(0)} qps, p99 ${(report.latencyUs.p99 / 1000).toFixed(2)} ms, rss ${((measurement.peakRssKb ?? 0) / 1024).toFixed(0)} MiB, errors ${measurement.errors}${measurement.errors > 0 ? ` ${JSON.stringify(report.errors)}` : ""}`);
        } catch (error) {
          failures[kind] = `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
          log(`${row.id} ${kind}: ${failures[kind]}`);
        } finally {
          await server.stop();
        }
      }
    }
    const result = (kind: ServerKind): Measurement | string => failures[kind] ?? (rounds[kind].length > 0 ? average(rounds[kind]) : "not run");
    out.push({ row, title: row.title, rateLimited: row.rateLimited, etcd: result("etcd"), etcdTs: result("etcd-ts"), commands });
  }
  return out;
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", timeout: 10_000 }).split("\n")[0]!.trim();
  } catch {
    return "unknown";
  }
}

/** renderResults renders RESULTS.md: machine, date, commands, the table, notes. */
export function renderResults(runs: readonly RowRun[], meta: { rounds: number; startedAt: Date; seconds: number; loadBefore: readonly number[] }): string {
  const cpu = cpus();
  const lines = [
    "# Benchmark results: etcd-ts vs the real etcd",
    "",
    "Generated by `pnpm --filter @etcd-ts/benchmarks results` — do not edit by hand.",
    "",
    `- Date: ${meta.startedAt.toISOString()} (matrix took ${meta.seconds.toFixed(0)} s; load average before: ${meta.loadBefore.map((l) => l.toFixed(2)).join(", ")})`,
    `- Machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}`,
    `- etcd: ${firstLine(process.env["ETCD_BINARY"] ?? "etcd", ["--version"])} (single member, started per round with the flags below)`,
    "- etcd-ts: `node apps/etcd/bin/etcd.js` (the daemon), same flags",
    `- Rounds: ${meta.rounds} per server per row, interleaved (etcd, etcd-ts, etcd, etcd-ts, ...), each on a fresh server and data dir; numbers are the mean of the rounds, RSS the max.`,
    "- Load generator: this package, in the same machine, unary calls over node:http2 with @etcd-ts/api codecs, worker threads = min(cores, conns, clients).",
    "",
    "Targets: etcd-ts throughput >= 1.0x etcd's, p99 latency <= 1.2x. Ratios are etcd-ts / etcd.",
    "RSS is the server process's peak resident set (VmHWM). Load gen CPU and server CPU are in cores (2 = both cores busy):",
    "when load gen + server CPU is near the core count, the machine, not one server, is the limit.",
    "",
    renderTable(runs),
    "",
    "## Scale",
    "",
    "Totals are scaled down from etcd's published table (10,000 and 100,000 requests) to fit the whole",
    "matrix in a few minutes on a 2-core machine shared by the load generator and the server:",
    "put 2,000 (1/1) and 20,000 (100/1000); range 5,000 (1/1) and 30,000 (100/1000); txn-put 10,000;",
    "watch latency 300 puts × 1,000 watchers; lease keepalive 30,000 renewals over 10,000 leases; range of",
    "100k keys 20 requests. Rates compare across servers; short runs are noisier than etcd's.",
    "",
    "## Commands",
    "",
  ];
  for (const run of runs) {
    lines.push(`### ${run.title}`, "");
    if (run.row.prefill) lines.push(`Prefill (not measured): ${run.row.prefill}.`, "");
    lines.push("```");
    for (const kind of ["etcd", "etcd-ts"] as const) {
      const c = run.commands[kind];
      if (!c) {
        const why = kind === "etcd" ? run.etcd : run.etcdTs;
        lines.push(`# ${kind}: ${typeof why === "string" ? why : "not run"}`);
        continue;
      }
      lines.push(`# ${kind} server`, c.server.join(" "), `# benchmark`, c.benchmark.join(" "));
    }
    lines.push("```", "");
  }
  return `${lines.join("\n")}\n`;
}

const FLAGS = [
  { name: "rounds", type: "int", default: 2, usage: "Rounds per server per row" },
  { name: "rows", type: "list", default: [], usage: "Row ids to run (default: all)" },
  { name: "cluster", type: "bool", default: false, usage: "Also run the 3-member rows" },
  { name: "out", type: "string", default: "", usage: "Write RESULTS.md here instead of printing the table" },
] as const;

/** main is the `etcd-ts-side-by-side` CLI. */
export async function main(argv: readonly string[]): Promise<number> {
  let get: Getter;
  try {
    get = new Getter(parseArgs(argv[0] === "--" ? argv.slice(1) : argv, FLAGS));
  } catch (error) {
    if (error instanceof FlagError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    assertDaemonBuilt();
  } catch (error) {
    if (!(error instanceof DaemonNotBuiltError)) throw error;
    process.stderr.write(`Error: ${error.message}\n`);
    return 1;
  }
  const all = [...singleMemberRows, ...(get.bool("cluster") ? clusterRows : [])];
  const wanted = get.list("rows");
  const rows = wanted.length === 0 ? all : all.filter((r) => wanted.includes(r.id));
  const startedAt = new Date();
  const loadBefore = loadavg();
  const t0 = performance.now();
  const runs = await runSideBySide({ rounds: get.number("rounds"), rows });
  const seconds = (performance.now() - t0) / 1000;
  const out = get.string("out");
  if (out === "") process.stdout.write(`${renderTable(runs)}\n`);
  else {
    writeFileSync(out, renderResults(runs, { rounds: get.number("rounds"), startedAt, seconds, loadBefore }));
    process.stdout.write(`${renderTable(runs)}\n\nwrote ${out}\n`);
  }
  return 0;
}
