/**
 * @etcd-ts/benchmarks — etcd's benchmark tool for etcd and etcd-ts, and the side-by-side
 * runs against the real etcd.
 *
 * The CLIs are `etcd-ts-benchmark` (etcd's `benchmark`: put, range, txn-put, watch,
 * watch-latency, lease-keepalive, stm, mvcc) and `etcd-ts-side-by-side` (the matrix,
 * RESULTS.md). The same pieces are exported for scripts: {@link runCommand} runs a
 * benchmark command line and returns its {@link Report}s.
 *
 * @packageDocumentation
 */
export { Histogram } from "./Histogram.js";
export type { HistogramSnapshot } from "./Histogram.js";
export { formatReport, summarize } from "./Report.js";
export type { LatencySummary, Report } from "./Report.js";
export { Progress } from "./Progress.js";
export type { ProgressOptions } from "./Progress.js";
export { FlagError, Getter, formatUsage, parseArgs, parseDuration } from "./flags.js";
export type { FlagSpec, FlagType, FlagValue, ParsedArgs } from "./flags.js";
export { COMMAND_FLAGS, GLOBAL_FLAGS, parseCommand, runCommand, usage } from "./commands.js";
export type { CommandResult } from "./commands.js";
export { main } from "./cli.js";
export { runLoad } from "./load/runLoad.js";
export type { LoadOptions } from "./load/runLoad.js";
export { runWatch } from "./load/runWatch.js";
export type { WatchLoadOptions, WatchReports } from "./load/runWatch.js";
export { runMvcc } from "./load/runMvcc.js";
export type { MvccLoadOptions } from "./load/runMvcc.js";
export type { WorkloadSpec } from "./load/Workload.js";
export { renderTable, average, ratio, TARGET_P99, TARGET_THROUGHPUT } from "./side/table.js";
export type { Measurement, RowResult } from "./side/table.js";
export { runSideBySide, renderResults } from "./side/sideBySide.js";
export type { RowRun, SideBySideOptions } from "./side/sideBySide.js";
export { singleMemberRows, clusterRows } from "./side/matrix.js";
export type { Row } from "./side/matrix.js";
export { startServer, NotAvailableError } from "./side/servers.js";
export type { Member, ServerCluster, ServerKind } from "./side/servers.js";
