/**
 * @etcd-ts/etcd — the etcd daemon (`bin/etcd.js`): etcd 3.4's flags, `ETCD_*` environment
 * variables and `--config-file`, turned into the server's typed config.
 *
 * `parseDaemonArgs` is the whole front end as a pure function; `bin/etcd.js` prints its notes
 * and starts the member with @etcd-ts/server's `startEtcd` (SIGTERM and SIGINT stop it
 * gracefully). The member is single-member only for now: the server refuses an initial
 * cluster that names other members.
 *
 * `bin/etcdutl.js` is etcdutl for a member's files (`runEtcdutl`): `snapshot status` and
 * `snapshot restore`, with etcdctl 3.4's flag names and defaults.
 *
 * @packageDocumentation
 */
export { parseDaemonArgs } from "./cli.js";
export type { DaemonArgsOptions, DaemonArgsResult } from "./cli.js";
export { buildDaemonConfig } from "./daemonConfig.js";
export type { BuildOptions, BuildResult, DaemonConfig, DaemonSettings, LogLevelName, Settings, TlsSettings } from "./daemonConfig.js";
export { FLAGS, HELP_SECTIONS, RETIRED_FLAGS, lookupFlag } from "./flags.js";
export type { FlagDef, FlagKind, FlagSupport, FlagValue, HelpSection } from "./flags.js";
export { ENV_PREFIX, flagToEnv } from "./env.js";
export type { Environment } from "./env.js";
export { parseConfigFile } from "./configFile.js";
export type { ConfigFileResult } from "./configFile.js";
export { USAGE, flagsHelp } from "./help.js";
export { versionText } from "./version.js";
export type { RuntimeInfo } from "./version.js";
export { formatNote, formatCapnslog, formatZap } from "./log.js";
export type { LogLevel, LogNote } from "./log.js";
export type { IntegerType } from "./goValues.js";
export { runEtcdutl } from "./etcdutl/cli.js";
export { restoreSnapshot } from "./etcdutl/restore.js";
export type { RestoreOptions, RestoreResult } from "./etcdutl/restore.js";
export { snapshotStatus, formatStatus, humanSize } from "./etcdutl/status.js";
export type { SnapshotStatus } from "./etcdutl/status.js";
export { extractSnapshotFile } from "./etcdutl/snapshotFile.js";
export type { ExtractOptions, SnapshotFileInfo } from "./etcdutl/snapshotFile.js";
export { ByteProgress } from "./etcdutl/progress.js";
export type { ProgressSink } from "./etcdutl/progress.js";
