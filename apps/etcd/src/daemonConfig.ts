/**
 * daemonConfig: the settings gathered from the command line, environment or config file,
 * checked as etcd 3.4 checks them (`embed.Config.Validate` and the start-up checks around
 * it) and turned into the server's typed config, {@link DaemonConfig}.
 *
 * `DaemonConfig` is @etcd-ts/server's `EtcdConfig` (client TLS included) plus the daemon
 * settings the server does not take yet (logging, metrics URLs, peer TLS, raft and gRPC
 * tuning, ...); fields move into `EtcdConfig` as the server grows behaviour for them.
 */
import { defaultConfig, type EtcdConfig } from "@etcd-ts/server";
import { lookupFlag, type FlagValue } from "./flags.js";
import { checkBindUrl, checkHostUrl, parseGoDuration } from "./goValues.js";
import { checkBootstrap } from "./initialCluster.js";
import type { LogNote } from "./log.js";

/** LogLevelName is a `--log-level` value. */
export type LogLevelName = "debug" | "info" | "warn" | "error" | "panic" | "fatal";

/** TlsSettings are the peer side's TLS flags (the client side is `EtcdConfig.clientTls`). */
export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertAuth: boolean;
  readonly trustedCaFile: string;
  readonly autoTls: boolean;
  readonly crlFile: string;
  readonly allowedHostname: string;
  /** allowedCn: `--peer-cert-allowed-cn`. */
  readonly allowedCn: string;
}

/**
 * DaemonSettings are the daemon's settings beyond `EtcdConfig`. Durations are in
 * milliseconds.
 */
export interface DaemonSettings {
  /** listenMetricsUrls (`--listen-metrics-urls`): extra listeners for /metrics and /health. */
  readonly listenMetricsUrls: readonly string[];
  /** logger (`--logger`): `zap` (JSON) or `capnslog` (etcd 3.4's default line format). */
  readonly logger: "zap" | "capnslog";
  /** logLevel (`--log-level`, `debug` when `--debug` is set). */
  readonly logLevel: LogLevelName;
  /** logOutputs (`--log-outputs`): `default`, `stderr`, `stdout` or (zap) file paths. */
  readonly logOutputs: readonly string[];
  /** enablePprof (`--enable-pprof`): profiling endpoints under /debug/pprof/. */
  readonly enablePprof: boolean;
  /** metrics (`--metrics`): `basic` or `extensive`. */
  readonly metrics: string;
  readonly experimentalCompactionBatchLimit: number;
  readonly experimentalWatchProgressNotifyInterval: number;
  readonly experimentalWarningApplyDuration: number;
  readonly experimentalInitialCorruptCheck: boolean;
  readonly experimentalCorruptCheckTime: number;
  /** maxSnapshots (`--max-snapshots`): snapshot files kept, 0 = all. */
  readonly maxSnapshots: number;
  /** maxWals (`--max-wals`): WAL files kept, 0 = all. */
  readonly maxWals: number;
  readonly initialElectionTickAdvance: boolean;
  readonly preVote: boolean;
  readonly strictReconfigCheck: boolean;
  readonly grpcKeepAliveMinTime: number;
  readonly grpcKeepAliveInterval: number;
  readonly grpcKeepAliveTimeout: number;
  readonly maxConcurrentStreams: number;
  readonly backendBatchInterval: number;
  readonly backendBatchLimit: number;
  readonly forceNewCluster: boolean;
  readonly unsafeNoFsync: boolean;
  readonly enableGrpcGateway: boolean;
  readonly peerTls: TlsSettings;
  /** cipherSuites (`--cipher-suites`): the client side's are in `clientTls.cipherSuites` too. */
  readonly cipherSuites: readonly string[];
  readonly cors: readonly string[];
  readonly hostWhitelist: readonly string[];
  /** configFile: the `--config-file` the settings came from, if any. */
  readonly configFile?: string;
}

/** DaemonConfig is what the daemon starts the server with. */
export type DaemonConfig = EtcdConfig & DaemonSettings;

/** Settings are the gathered values: a value per flag name, and whether it was given. */
export interface Settings {
  get(name: string): FlagValue;
  /** isSet: given on the command line or by the environment (not for config files). */
  isSet(name: string): boolean;
  /** source: where the values came from. */
  readonly source: "flags" | "file";
  readonly configFile?: string;
}

/**
 * BuildResult is the config, or the error etcd reports: `verify` errors are printed as
 * "error verifying flags, ..." (exit 1); `fatal` ones as a critical log line (exit 1).
 */
export type BuildResult =
  | { readonly ok: true; readonly config: DaemonConfig; readonly notes: readonly LogNote[] }
  | { readonly ok: false; readonly kind: "verify" | "fatal"; readonly message: string; readonly exitCode: number; readonly extra?: string; readonly notes: readonly LogNote[] };

/** BuildOptions tune the checks that depend on the data dir. */
export interface BuildOptions {
  /**
   * isInitialized says whether a data dir already holds a member; etcd checks the initial
   * cluster only when it does not. Absent: the checks always run.
   */
  readonly isInitialized?: (dataDir: string) => boolean;
}

const DEFAULT_NAME = "default";
const MAX_ELECTION_MS = 50_000;
const LOG_LEVELS: readonly string[] = ["debug", "info", "warn", "error", "panic", "fatal"];
/** NO_EFFECT are flags etcd-ts accepts but has nothing behind (logged at debug level when set). */
const NO_EFFECT = ["enable-v2", "experimental-enable-v2v3", "experimental-backend-bbolt-freelist-type", "log-package-levels", "log-output", "experimental-peer-skip-client-san-verification"];

/** buildDaemonConfig validates the settings and returns the daemon's config. */
export function buildDaemonConfig(settings: Settings, options: BuildOptions = {}): BuildResult {
  const notes: LogNote[] = [];
  const str = (name: string): string => String(settings.get(name));
  const num = (name: string): number => Number(settings.get(name));
  const bool = (name: string): boolean => settings.get(name) === true;
  const list = (name: string): readonly string[] => {
    const value = settings.get(name);
    // A list is FlagValue's one object member (Array.isArray would widen it to any[]).
    return typeof value === "object" ? value : [String(value)];
  };
  const verify = (message: string, extra?: string): BuildResult => ({ ok: false, kind: "verify", message, exitCode: 1, notes, ...(extra === undefined ? {} : { extra }) });
  const fatal = (message: string): BuildResult => ({ ok: false, kind: "fatal", message, exitCode: 1, notes });

  // Logging (etcd sets it up first, so its errors come first).
  const logger = str("logger");
  if (logger !== "zap" && logger !== "capnslog") return verify(`unknown logger option ${JSON.stringify(logger)}`);
  const logOutputs = list("log-outputs");
  if (logger === "capnslog") {
    if (logOutputs.length > 1) return verify(`--logger=capnslog supports only 1 value in '--log-outputs', got [${logOutputs.map((o) => JSON.stringify(o)).join(" ")}]`);
    const output = logOutputs[0] ?? "default";
    if (!["default", "stderr", "stdout"].includes(output)) return verify(`unknown log-output ${JSON.stringify(output)} (only supports "default", "stderr", "stdout")`);
  } else if (logOutputs.length > 1 && logOutputs.includes("default")) {
    return verify(`multi logoutput for "default" is not supported yet`);
  }
  const logLevel = bool("debug") ? "debug" : str("log-level");
  if (!LOG_LEVELS.includes(logLevel)) return { ok: false, kind: "verify", message: `unknown level ${JSON.stringify(logLevel)}`, exitCode: 2, notes };

  // URLs.
  const listenPeerUrls = list("listen-peer-urls");
  const listenClientUrls = list("listen-client-urls");
  const listenMetricsUrls = list("listen-metrics-urls");
  for (const url of [...listenPeerUrls, ...listenClientUrls, ...listenMetricsUrls]) {
    const error = checkBindUrl(url);
    if (error !== undefined) return verify(error);
  }
  const advertisePeerUrls = list("initial-advertise-peer-urls");
  for (const url of advertisePeerUrls) {
    const error = checkHostUrl(url);
    if (error !== undefined) return verify(`--initial-advertise-peer-urls ${JSON.stringify(advertisePeerUrls.join(","))} must be "host:port" (${error})`);
  }
  const advertiseClientUrls = list("advertise-client-urls");
  for (const url of advertiseClientUrls) {
    const error = checkHostUrl(url);
    if (error !== undefined) return verify(`--advertise-client-urls ${JSON.stringify(advertiseClientUrls.join(","))} must be "host:port" (${error})`);
  }

  // Cluster bootstrap.
  const name = str("name");
  const discovery = str("discovery") !== "" || str("discovery-srv") !== "";
  const initialClusterGiven = settings.source === "flags" ? settings.isSet("initial-cluster") : str("initial-cluster") !== "";
  let initialCluster = str("initial-cluster");
  if (!initialClusterGiven) {
    initialCluster = discovery ? "" : advertisePeerUrls.map((url) => `${name === "" ? DEFAULT_NAME : name}=${url}`).join(",");
  }
  const clusterState = str("initial-cluster-state");
  if (clusterState !== "new" && clusterState !== "existing") return verify(`unexpected clusterState ${JSON.stringify(clusterState)}`);
  if ([str("discovery") !== "", initialCluster !== "", str("discovery-srv") !== ""].filter(Boolean).length > 1) {
    return verify(`multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"`);
  }

  // Raft timing.
  const heartbeatInterval = num("heartbeat-interval");
  const electionTimeout = num("election-timeout");
  if (heartbeatInterval <= 0) return verify(`--heartbeat-interval must be >0 (set to ${heartbeatInterval}ms)`);
  if (electionTimeout <= 0) return verify(`--election-timeout must be >0 (set to ${electionTimeout}ms)`);
  if (5 * heartbeatInterval > electionTimeout) {
    return verify(`--election-timeout[${electionTimeout}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatInterval}ms]`);
  }
  if (electionTimeout > MAX_ELECTION_MS) return verify(`--election-timeout[${electionTimeout}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`);

  if (settings.source === "flags" && settings.isSet("listen-client-urls") && !settings.isSet("advertise-client-urls") && str("proxy") === "off") {
    return verify("--advertise-client-urls is required when --listen-client-urls is set explicitly",
      "When listening on specific address(es), this etcd process must advertise accessible url(s) to each connected client.");
  }

  // Compaction.
  const mode = str("auto-compaction-mode") === "" ? "periodic" : str("auto-compaction-mode");
  if (mode !== "periodic" && mode !== "revision") return verify(`unknown auto-compaction-mode ${JSON.stringify(mode)}`);
  const retention = str("auto-compaction-retention");
  if (!/^\d+$/.test(retention) && !parseGoDuration(retention).ok) {
    return verify(`error parsing CompactionRetention: time: invalid duration ${JSON.stringify(retention)}`);
  }

  // Leases.
  const checkpoint = bool("experimental-enable-lease-checkpoint");
  const checkpointPersist = bool("experimental-enable-lease-checkpoint-persist");
  if (checkpointPersist && !checkpoint) return verify("setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint");
  if (checkpoint && !checkpointPersist) {
    notes.push({ level: "warn", pkg: "embed", text: "Detected that checkpointing is enabled without persistence. Consider enabling experimental-enable-lease-checkpoint-persist" });
  }

  // What etcd-ts does not do.
  if (discovery) return fatal("etcd-ts does not support discovery (--discovery, --discovery-srv): list the members with --initial-cluster");
  if (str("proxy") !== "off") return fatal(`etcd-ts does not support the v2 proxy (--proxy=${str("proxy")})`);
  for (const flagName of NO_EFFECT) {
    const def = lookupFlag(flagName);
    if (def && JSON.stringify(settings.get(flagName)) !== JSON.stringify(def.defaultValue)) {
      notes.push({ level: "debug", pkg: "etcdmain", text: `--${flagName} is accepted for compatibility and has no effect in etcd-ts` });
    }
  }

  // Auth.
  let bcryptCost = num("bcrypt-cost");
  if (bcryptCost < 4 || bcryptCost > 31) {
    notes.push({ level: "warn", pkg: "auth", text: `Use default bcrypt-cost 10 instead of the invalid value ${bcryptCost}` });
    bcryptCost = 10;
  }

  const dataDir = str("data-dir") === "" ? `${name}.etcd` : str("data-dir");
  if (str("data-dir") === "") notes.push({ level: "warn", pkg: "etcdmain", text: `no data-dir provided, using default data-dir ./${dataDir}`, msg: "'data-dir' was empty; using default", fields: { "data-dir": dataDir } });
  const isNew = options.isInitialized ? !options.isInitialized(dataDir) : true;
  if (isNew && !discovery) {
    const error = checkBootstrap(name, initialCluster, advertisePeerUrls);
    if (error !== undefined) return fatal(error);
  }

  const walDir = str("wal-dir");
  const peerTls: TlsSettings = {
    certFile: str("peer-cert-file"),
    keyFile: str("peer-key-file"),
    clientCertAuth: bool("peer-client-cert-auth"),
    trustedCaFile: str("peer-trusted-ca-file"),
    autoTls: bool("peer-auto-tls"),
    crlFile: str("peer-crl-file"),
    allowedHostname: str("peer-cert-allowed-hostname"),
    allowedCn: str("peer-cert-allowed-cn"),
  };
  // Client TLS. Checked at start (startEtcd), as etcd checks it when it starts serving:
  // cipher suite names, and a certificate and key for every https:// listen URL.
  const cipherSuites = list("cipher-suites");
  const clientTls = {
    certFile: str("cert-file"),
    keyFile: str("key-file"),
    trustedCaFile: str("trusted-ca-file"),
    clientCertAuth: bool("client-cert-auth"),
    autoTls: bool("auto-tls"),
    cipherSuites,
    crlFile: str("client-crl-file"),
    allowedHostname: str("client-cert-allowed-hostname"),
  };
  const certsGiven = clientTls.certFile !== "" || clientTls.keyFile !== "";
  if (clientTls.autoTls && certsGiven) notes.push({ level: "warn", pkg: "embed", text: "ignoring client auto TLS since certs given" });
  for (const url of listenClientUrls.filter((u) => u.startsWith("http://"))) {
    if (certsGiven || clientTls.autoTls) {
      notes.push({ level: "warn", pkg: "embed", text: `The scheme of client url ${url} is HTTP while peer key/cert files are presented. Ignored key/cert files.`, msg: "scheme is HTTP while key and cert files are present; ignoring key and cert files", fields: { "client-url": url } });
    }
    if (clientTls.clientCertAuth) {
      notes.push({ level: "warn", pkg: "embed", text: `The scheme of client url ${url} is HTTP while client cert auth (--client-cert-auth) is enabled. Ignored client cert auth for this url.`, msg: "scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL", fields: { "client-url": url } });
    }
  }
  const base = defaultConfig({
    name,
    dataDir,
    ...(walDir === "" ? {} : { walDir }),
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls: advertisePeerUrls,
    initialCluster,
    initialClusterState: clusterState,
    initialClusterToken: str("initial-cluster-token"),
    snapshotCount: num("snapshot-count"),
    heartbeatInterval,
    electionTimeout,
    quotaBackendBytes: num("quota-backend-bytes"),
    maxRequestBytes: num("max-request-bytes"),
    maxTxnOps: num("max-txn-ops"),
    autoCompactionMode: mode,
    autoCompactionRetention: retention,
    authToken: str("auth-token"),
    bcryptCost,
    authTokenTtl: num("auth-token-ttl"),
    experimentalEnableLeaseCheckpoint: checkpoint,
    experimentalEnableLeaseCheckpointPersist: checkpointPersist,
    clientTls,
  });
  const config: DaemonConfig = {
    ...base,
    listenMetricsUrls,
    logger,
    logLevel: logLevel as LogLevelName,
    logOutputs,
    enablePprof: bool("enable-pprof"),
    metrics: str("metrics"),
    experimentalCompactionBatchLimit: num("experimental-compaction-batch-limit"),
    experimentalWatchProgressNotifyInterval: num("experimental-watch-progress-notify-interval"),
    experimentalWarningApplyDuration: num("experimental-warning-apply-duration"),
    experimentalInitialCorruptCheck: bool("experimental-initial-corrupt-check"),
    experimentalCorruptCheckTime: num("experimental-corrupt-check-time"),
    maxSnapshots: num("max-snapshots"),
    maxWals: num("max-wals"),
    initialElectionTickAdvance: bool("initial-election-tick-advance"),
    preVote: bool("pre-vote"),
    strictReconfigCheck: bool("strict-reconfig-check"),
    grpcKeepAliveMinTime: num("grpc-keepalive-min-time"),
    grpcKeepAliveInterval: num("grpc-keepalive-interval"),
    grpcKeepAliveTimeout: num("grpc-keepalive-timeout"),
    maxConcurrentStreams: num("max-concurrent-streams"),
    backendBatchInterval: num("backend-batch-interval"),
    backendBatchLimit: num("backend-batch-limit"),
    forceNewCluster: bool("force-new-cluster"),
    unsafeNoFsync: bool("unsafe-no-fsync"),
    enableGrpcGateway: bool("enable-grpc-gateway"),
    peerTls,
    cipherSuites,
    cors: list("cors"),
    hostWhitelist: list("host-whitelist"),
    ...(settings.configFile === undefined ? {} : { configFile: settings.configFile }),
  };
  return { ok: true, config, notes };
}
