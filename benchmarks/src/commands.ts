/**
 * commands: etcd's benchmark commands and their flags (names and defaults as in etcd
 * 3.4's `tools/benchmark`, with the extensions marked), and {@link runCommand}, which
 * parses a command line and runs it. The CLI and the side-by-side runner both go through
 * here, so the commands RESULTS.md prints are the commands that ran.
 *
 * Not built: TLS and auth flags (`--cacert`, `--user`, ...), `--sample`, `txn-mixed`,
 * `mvcc txn-put`.
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { Isolation } from "@etcd-ts/concurrency";
import { FlagError, Getter, formatUsage, parseArgs, type FlagSpec } from "./flags.js";
import { Connection } from "./load/Connection.js";
import { runLoad } from "./load/runLoad.js";
import { runMvcc } from "./load/runMvcc.js";
import { runWatch } from "./load/runWatch.js";
import type { WorkloadSpec } from "./load/Workload.js";
import type { Report } from "./Report.js";

/** GLOBAL_FLAGS are the flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "endpoints", type: "list", default: ["127.0.0.1:2379"], usage: "gRPC endpoints" },
  { name: "conns", type: "int", default: 1, usage: "Total number of gRPC connections" },
  { name: "clients", type: "int", default: 1, usage: "Total number of gRPC clients" },
  { name: "total", type: "int", default: 10000, usage: "Total number of requests" },
  { name: "duration", type: "duration", default: 0, usage: "Run for this long instead of --total (etcd-ts extension)" },
  { name: "target-leader", type: "bool", default: false, usage: "Connect only to the leader node" },
  { name: "precise", type: "bool", default: false, usage: "Use full-precision latencies (always on here: µs, 1% buckets)" },
  { name: "workers", type: "int", default: 0, usage: "Load generator threads; 0: min(cores, conns, clients) (etcd-ts extension)" },
  { name: "grpc-js", type: "bool", default: false, usage: "Unary calls through grpc-js instead of node:http2 (etcd-ts extension)" },
  { name: "json", type: "bool", default: false, usage: "Print the reports as JSON (etcd-ts extension)" },
  { name: "progress", type: "string", default: "auto", usage: "Progress bar on stderr: auto (on a terminal), on, off" },
  { name: "help", type: "bool", default: false, usage: "help for benchmark" },
];

const rate: FlagSpec = { name: "rate", type: "int", default: 0, usage: "Maximum requests per second (0 is no limit)" };

/** COMMAND_FLAGS are each command's own flags. */
export const COMMAND_FLAGS: Readonly<Record<string, readonly FlagSpec[]>> = {
  put: [
    { name: "key-size", type: "int", default: 8, usage: "Key size of put request" },
    { name: "val-size", type: "int", default: 8, usage: "Value size of put request" },
    { name: "key-space-size", type: "int", default: 1, usage: "Maximum possible keys" },
    { name: "sequential-keys", type: "bool", default: false, usage: "Use sequential keys" },
    rate,
  ],
  range: [
    { name: "consistency", type: "string", default: "l", usage: "Linearizable(l) or Serializable(s)" },
    { name: "limit", type: "int", default: 0, usage: "Maximum number of results" },
    { name: "count-only", type: "bool", default: false, usage: "Only returns the count of keys" },
    rate,
  ],
  "txn-put": [
    { name: "key-size", type: "int", default: 8, usage: "Key size of txn put" },
    { name: "val-size", type: "int", default: 8, usage: "Value size of txn put" },
    { name: "txn-ops", type: "int", default: 1, usage: "Number of keys per txn (each compared on mod revision, then put)" },
    rate,
  ],
  watch: [
    { name: "streams", type: "int", default: 10, usage: "Total watch streams" },
    { name: "watch-per-stream", type: "int", default: 100, usage: "Total watchers per stream" },
    { name: "put-total", type: "int", default: 1000, usage: "Number of puts on watched keys" },
    { name: "put-rate", type: "int", default: 100, usage: "Puts per second (0 is no limit)" },
    { name: "key-size", type: "int", default: 32, usage: "Key size of watch request" },
    { name: "val-size", type: "int", default: 32, usage: "Value size of put request" },
    { name: "key-space-size", type: "int", default: 100, usage: "Watched keys (watcher i watches key i mod this)" },
  ],
  "watch-latency": [
    { name: "streams", type: "int", default: 10, usage: "Total watch streams" },
    { name: "watchers-per-stream", type: "int", default: 10, usage: "Total watchers per stream" },
    { name: "put-total", type: "int", default: 1000, usage: "Total number of put requests" },
    { name: "put-rate", type: "int", default: 100, usage: "Number of keys to put per second" },
    { name: "key-size", type: "int", default: 32, usage: "Key size of watch request" },
    { name: "val-size", type: "int", default: 32, usage: "Value size of put request" },
  ],
  "lease-keepalive": [
    { name: "leases", type: "int", default: 0, usage: "Leases kept alive, spread over the clients; 0: one per client (etcd-ts extension)" },
    { name: "ttl", type: "int", default: 100, usage: "TTL of the granted leases (s)" },
    rate,
  ],
  stm: [
    { name: "keys", type: "int", default: 1000, usage: "Total unique keys accessible by the benchmark" },
    { name: "keys-per-txn", type: "int", default: 2, usage: "Number of keys to access per transaction" },
    { name: "isolation", type: "string", default: "r", usage: "Read Committed (c), Repeatable Reads (r), Serializable (s), or Snapshot (ss)" },
    { name: "stm-locker", type: "string", default: "stm", usage: "Wrap STM transaction with a custom locking mechanism (stm only)" },
    { name: "val-size", type: "int", default: 8, usage: "Value size of each STM put request" },
    rate,
  ],
  mvcc: [
    { name: "key-size", type: "int", default: 64, usage: "Key size of put request" },
    { name: "val-size", type: "int", default: 128, usage: "Value size of put request" },
    { name: "key-space-size", type: "int", default: 0, usage: "Maximum possible keys; 0: --total" },
    { name: "sequential-keys", type: "bool", default: false, usage: "Use sequential keys" },
    { name: "batch", type: "int", default: 1, usage: "Puts per apply (one LMDB transaction)" },
    { name: "in-process", type: "bool", default: false, usage: "Run the engine on the main thread instead of its worker" },
  ],
};

/** COMMAND_SUMMARIES describe the commands for `--help`. */
export const COMMAND_SUMMARIES: Readonly<Record<string, string>> = {
  put: "Benchmark put",
  range: "Benchmark range: range KEY [END]",
  "txn-put": "Benchmark txn-put: compare mod revision, then put (a Kubernetes-style update)",
  watch: "Benchmark watch: watchers x streams, puts at a rate, event latency",
  "watch-latency": "Benchmark watch latency: every watcher on one key",
  "lease-keepalive": "Benchmark lease keepalive",
  stm: "Benchmark STM (@etcd-ts/concurrency)",
  mvcc: "Benchmark mvcc put: the storage engine in-process (mvcc put)",
};

/** CommandResult is what a command produced. */
export interface CommandResult {
  readonly command: string;
  readonly argv: readonly string[];
  /** endpoints actually used (after --target-leader). */
  readonly endpoints: readonly string[];
  /** reports: every measured phase; `primary` is the one a summary table shows. */
  readonly reports: readonly Report[];
  readonly primary: Report;
}

/** usage returns the help text, for one command or all. */
export function usage(command?: string): string {
  const lines = ["A low-level benchmark tool for etcd (etcd-ts)", "", "Usage:", "  etcd-ts-benchmark [flags] <command> [command flags]", ""];
  if (command !== undefined && COMMAND_FLAGS[command]) {
    lines.push(`${command}: ${COMMAND_SUMMARIES[command]}`, "", "Flags:", formatUsage(COMMAND_FLAGS[command]), "");
  } else {
    lines.push("Available Commands:");
    for (const [name, summary] of Object.entries(COMMAND_SUMMARIES)) lines.push(`  ${name.padEnd(16)}${summary}`);
    lines.push("");
  }
  lines.push("Global Flags:", formatUsage(GLOBAL_FLAGS), "");
  return lines.join("\n");
}

const ISOLATIONS: Readonly<Record<string, Isolation>> = {
  c: "readCommitted",
  r: "repeatableReads",
  s: "serializable",
  ss: "serializableSnapshot",
};

/** findCommand returns the command name of argv (the first positional that is a command). */
export function findCommand(argv: readonly string[]): string | undefined {
  return argv.find((a) => Object.hasOwn(COMMAND_FLAGS, a));
}

/** leaderEndpoint asks each endpoint for its status and returns the leader's. */
export async function leaderEndpoint(endpoints: readonly string[]): Promise<string> {
  for (const endpoint of endpoints) {
    const connection = new Connection(endpoint);
    try {
      const status = await connection.unary(pb.MaintenanceService.status, {});
      if (status.leader !== 0n && status.leader === status.header?.memberId) return endpoint;
    } catch {
      // unreachable member: try the next
    } finally {
      connection.close();
    }
  }
  throw new Error(`--target-leader: no leader among ${endpoints.join(",")}`);
}

/** parseCommand parses argv into a command, its getter and positionals (throws FlagError). */
export function parseCommand(argv: readonly string[]): { command: string; get: Getter; positionals: readonly string[] } {
  const command = findCommand(argv);
  if (command === undefined) throw new FlagError(`no command given: one of ${Object.keys(COMMAND_FLAGS).join(", ")}`);
  const parsed = parseArgs(argv, [...GLOBAL_FLAGS, ...COMMAND_FLAGS[command]!]);
  const positionals = parsed.positionals.filter((p, i) => !(p === command && parsed.positionals.indexOf(command) === i));
  return { command, get: new Getter(parsed), positionals };
}

/** runCommand parses argv and runs the command; see the module comment. */
export async function runCommand(argv: readonly string[]): Promise<CommandResult> {
  const { command, get, positionals } = parseCommand(argv);
  let endpoints = get.list("endpoints");
  if (endpoints.length === 0) throw new FlagError("--endpoints is empty");
  if (get.bool("target-leader")) endpoints = [await leaderEndpoint(endpoints)];
  const progressFlag = get.string("progress");
  const progress = progressFlag === "on" ? true : progressFlag === "off" ? false : undefined;
  const base = {
    endpoints,
    conns: get.number("conns"),
    clients: get.number("clients"),
    total: get.number("total"),
    durationMs: get.number("duration"),
    workers: get.number("workers"),
    progress,
    grpcJs: get.bool("grpc-js"),
  };
  const closedLoop = async (name: string, spec: WorkloadSpec): Promise<CommandResult> => {
    const report = await runLoad({ ...base, name, spec, rate: get.number("rate") });
    return { command, argv, endpoints, reports: [report], primary: report };
  };
  switch (command) {
    case "put":
      return closedLoop("put", {
        kind: "put",
        keySize: get.number("key-size"),
        valSize: get.number("val-size"),
        keySpaceSize: get.number("key-space-size"),
        sequentialKeys: get.bool("sequential-keys"),
      });
    case "range": {
      const [key, end = ""] = positionals;
      if (key === undefined) throw new FlagError("range: missing KEY (usage: range KEY [END])");
      const consistency = get.string("consistency");
      if (consistency !== "l" && consistency !== "s") throw new FlagError(`range: --consistency must be l or s, not ${JSON.stringify(consistency)}`);
      return closedLoop("range", { kind: "range", key, end, serializable: consistency === "s", limit: get.number("limit"), countOnly: get.bool("count-only") });
    }
    case "txn-put":
      return closedLoop("txn-put", { kind: "txn-put", keySize: get.number("key-size"), valSize: get.number("val-size"), txnOps: Math.max(1, get.number("txn-ops")) });
    case "lease-keepalive": {
      const leases = get.number("leases");
      return closedLoop("lease-keepalive", { kind: "lease-keepalive", leases: leases > 0 ? leases : base.clients, ttl: get.number("ttl") });
    }
    case "stm": {
      const isolation = ISOLATIONS[get.string("isolation")];
      if (isolation === undefined) throw new FlagError(`stm: --isolation must be c, r, s or ss`);
      if (get.string("stm-locker") !== "stm") throw new FlagError(`stm: only --stm-locker stm is built`);
      return closedLoop("stm", { kind: "stm", keys: get.number("keys"), keysPerTxn: get.number("keys-per-txn"), isolation, valSize: get.number("val-size") });
    }
    case "watch":
    case "watch-latency": {
      const latency = command === "watch-latency";
      const reports = await runWatch({
        name: command,
        endpoints,
        streams: get.number("streams"),
        watchersPerStream: get.number(latency ? "watchers-per-stream" : "watch-per-stream"),
        putTotal: get.number("put-total"),
        putRate: get.number("put-rate"),
        keySize: get.number("key-size"),
        valSize: get.number("val-size"),
        keySpaceSize: latency ? 1 : get.number("key-space-size"),
        workers: base.workers > 0 ? base.workers : 2,
        progress,
      });
      return { command, argv, endpoints, reports: [reports.create, reports.put, reports.events], primary: reports.events };
    }
    case "mvcc": {
      if (positionals[0] !== "put") throw new FlagError("mvcc: only `mvcc put` is built");
      const keySpace = get.number("key-space-size");
      const report = await runMvcc({
        total: base.total,
        keySize: get.number("key-size"),
        valSize: get.number("val-size"),
        keySpaceSize: keySpace > 0 ? keySpace : base.total,
        sequentialKeys: get.bool("sequential-keys"),
        batch: get.number("batch"),
        clients: base.clients,
        inProcess: get.bool("in-process"),
        progress,
      });
      return { command, argv, endpoints: [], reports: [report], primary: report };
    }
    default:
      throw new FlagError(`unknown command ${command}`);
  }
}
