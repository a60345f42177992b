/**
 * flags: the table of etcd 3.4's command-line flags — name, value type, default, help
 * section and text, and what etcd-ts does with each.
 *
 * One row per flag etcd 3.4.23 defines (`etcdmain/config.go`), so that any command line a
 * real deployment passes is either understood or refused the way etcd refuses it. The
 * table drives the argv parser, the `ETCD_*` environment, the config-file keys and `--help`.
 * It holds no behaviour: what a value means is decided in daemonConfig.ts.
 */
import { parseEtcdUrls, parseGoBool, parseGoDuration, parseGoInteger, formatGoDuration, type IntegerType, type ParseResult } from "./goValues.js";

/** FlagKind is how a flag's text is read (Go's flag value types as etcd uses them). */
export type FlagKind = "string" | "bool" | IntegerType | "duration" | "urls" | "strings" | "choice" | "ignored";

/** FlagValue is a parsed flag value: durations are milliseconds, lists are arrays. */
export type FlagValue = string | number | boolean | readonly string[];

/** HELP_SECTIONS are the groups of `etcd --help`, in etcd's order. */
export const HELP_SECTIONS = [
  "Member",
  "Clustering",
  "Security",
  "Auth",
  "Profiling and Monitoring",
  "Logging",
  "v2 Proxy (to be deprecated in v4)",
  "Experimental feature",
  "Unsafe feature",
  "TO BE DEPRECATED",
] as const;

/** HelpSection is one group of `etcd --help`. */
export type HelpSection = (typeof HELP_SECTIONS)[number];

/**
 * FlagSupport says what etcd-ts does with a flag:
 * - `used`: the value reaches the daemon's config;
 * - `accepted`: parsed and validated as etcd does, kept in the config, but etcd-ts has no
 *   behaviour behind it yet (the daemon logs a note when it is set);
 * - `unsupported`: parsed as etcd does, but a non-default value stops the start with a
 *   clear message (discovery, v2 proxy), because silently running without it would be wrong;
 * - `ignored`: etcd's own list of retired flags, accepted with a warning and no value.
 */
export type FlagSupport = "used" | "accepted" | "unsupported" | "ignored";

/** FlagDef is one row of the table. */
export interface FlagDef {
  /** name is the flag without dashes, e.g. `data-dir`. */
  readonly name: string;
  readonly kind: FlagKind;
  /** defaultValue is the value when the flag is not given. */
  readonly defaultValue: FlagValue;
  /** shown is the default as `--help` writes it, when it differs from the value's text. */
  readonly shown?: string;
  /** choices are the values a `choice` flag accepts. */
  readonly choices?: readonly string[];
  /** section is the `--help` group; absent for flags help does not list. */
  readonly section?: HelpSection;
  /** usage is the help text (our wording), possibly several lines. */
  readonly usage: string;
  readonly support: FlagSupport;
  /**
   * fileKey is the config-file key when it is not the flag's name; null when etcd's
   * config file has no key for the flag.
   */
  readonly fileKey?: string | null;
}

type Extra = Partial<Pick<FlagDef, "shown" | "choices" | "fileKey" | "section">>;

function flag(name: string, kind: FlagKind, defaultValue: FlagValue, support: FlagSupport, section: HelpSection | undefined, usage: string, extra: Extra = {}): FlagDef {
  return { name, kind, defaultValue, support, usage, ...(section === undefined ? {} : { section }), ...extra };
}

const MEMBER = "Member";
const CLUSTERING = "Clustering";
const SECURITY = "Security";
const AUTH = "Auth";
const MONITORING = "Profiling and Monitoring";
const LOGGING = "Logging";
const PROXY = "v2 Proxy (to be deprecated in v4)";
const EXPERIMENTAL = "Experimental feature";
const UNSAFE = "Unsafe feature";
const DEPRECATED = "TO BE DEPRECATED";

/** RETIRED_FLAGS are the flags etcd 3.4 still accepts only to warn that they do nothing. */
export const RETIRED_FLAGS = [
  "cluster-active-size", "cluster-remove-delay", "cluster-sync-interval", "config", "force",
  "max-result-buffer", "max-retry-attempts", "peer-heartbeat-interval", "peer-election-timeout",
  "retry-interval", "snapshot", "v", "vv", "test.coverprofile", "test.outputdir",
] as const;

/** FLAGS is every flag etcd 3.4.23 defines, in `--help` order within each section. */
export const FLAGS: readonly FlagDef[] = [
  flag("config-file", "string", "", "used", undefined, "Path to a YAML configuration file; when given, all other flags and ETCD_* variables are ignored.", { fileKey: null }),
  flag("version", "bool", false, "used", undefined, "Print the version and exit.", { fileKey: null }),

  // Member
  flag("name", "string", "default", "used", MEMBER, "Human-readable name of this member."),
  flag("data-dir", "string", "", "used", MEMBER, "Directory that holds the member's data.", { shown: "${name}.etcd" }),
  flag("wal-dir", "string", "", "used", MEMBER, "Dedicated directory for the write-ahead log (default: inside the data dir)."),
  flag("snapshot-count", "uint64", 100_000, "used", MEMBER, "Number of committed entries that triggers a snapshot to disk."),
  flag("heartbeat-interval", "uint", 100, "used", MEMBER, "Heartbeat interval, in milliseconds."),
  flag("election-timeout", "uint", 1000, "used", MEMBER, "Election timeout, in milliseconds; at least 5 heartbeat intervals, at most 50000."),
  flag("initial-election-tick-advance", "bool", true, "accepted", MEMBER, "Fast-forward the initial election ticks on boot, for a faster first election."),
  flag("listen-peer-urls", "urls", ["http://localhost:2380"], "used", MEMBER, "URLs to listen on for peer traffic."),
  flag("listen-client-urls", "urls", ["http://localhost:2379"], "used", MEMBER, "URLs to listen on for client traffic."),
  flag("max-snapshots", "uint", 5, "accepted", MEMBER, "Number of snapshot files to keep (0 keeps all)."),
  flag("max-wals", "uint", 5, "accepted", MEMBER, "Number of WAL files to keep (0 keeps all)."),
  flag("quota-backend-bytes", "int64", 0, "used", MEMBER, "Raise the NOSPACE alarm when the backend grows past this size (0: the default quota, 2 GiB)."),
  flag("backend-batch-interval", "duration", 0, "accepted", MEMBER, "Longest time before the backend transaction is committed.", { shown: "" }),
  flag("backend-batch-limit", "int", 0, "accepted", MEMBER, "Most operations before the backend transaction is committed."),
  flag("max-txn-ops", "uint", 128, "used", MEMBER, "Most operations allowed in one transaction."),
  flag("max-request-bytes", "uint", 1_572_864, "used", MEMBER, "Largest client request, in bytes, the server accepts."),
  flag("max-concurrent-streams", "uint32", 4_294_967_295, "used", MEMBER, "Most concurrent streams one client may open.", { shown: "math.MaxUint32" }),
  flag("grpc-keepalive-min-time", "duration", 5000, "accepted", MEMBER, "Shortest interval a client should wait between pings to the server."),
  flag("grpc-keepalive-interval", "duration", 7_200_000, "accepted", MEMBER, "How often the server pings a client to check the connection (0 disables)."),
  flag("grpc-keepalive-timeout", "duration", 20_000, "accepted", MEMBER, "How long to wait for a ping answer before closing the connection (0 disables)."),

  // Clustering
  flag("initial-advertise-peer-urls", "urls", ["http://localhost:2380"], "used", CLUSTERING, "This member's peer URLs, as advertised to the rest of the cluster."),
  flag("initial-cluster", "string", "", "used", CLUSTERING, "Initial cluster for bootstrapping: name=peerURL,... (default: this member alone).", { shown: "default=http://localhost:2380" }),
  flag("initial-cluster-state", "choice", "new", "used", CLUSTERING, "Initial cluster state: 'new' or 'existing'.", { choices: ["new", "existing"] }),
  flag("initial-cluster-token", "string", "etcd-cluster", "used", CLUSTERING, "Token of the cluster being bootstrapped.\nA distinct token per cluster keeps members of different clusters apart."),
  flag("advertise-client-urls", "urls", ["http://localhost:2379"], "used", CLUSTERING, "This member's client URLs, as advertised to clients.\nThey must be reachable by clients: client libraries connect to them."),
  flag("discovery", "string", "", "unsupported", CLUSTERING, "Discovery URL to bootstrap the cluster with (not supported by etcd-ts)."),
  flag("discovery-fallback", "choice", "proxy", "unsupported", CLUSTERING, "What to do when the discovery service fails: 'exit' or 'proxy'.", { choices: ["proxy", "exit"] }),
  flag("discovery-proxy", "string", "", "unsupported", CLUSTERING, "HTTP proxy for traffic to the discovery service."),
  flag("discovery-srv", "string", "", "unsupported", CLUSTERING, "DNS SRV domain to bootstrap the cluster with (not supported by etcd-ts)."),
  flag("discovery-srv-name", "string", "", "unsupported", CLUSTERING, "Suffix of the DNS SRV name queried when bootstrapping."),
  flag("strict-reconfig-check", "bool", true, "accepted", CLUSTERING, "Reject membership changes that would lose quorum."),
  flag("pre-vote", "bool", false, "accepted", CLUSTERING, "Run Raft's pre-vote phase before an election."),
  flag("auto-compaction-retention", "string", "0", "used", CLUSTERING, "Auto-compaction retention (0 disables auto-compaction)."),
  flag("auto-compaction-mode", "string", "periodic", "used", CLUSTERING, "How to read --auto-compaction-retention: 'periodic' (a duration, hours if no unit, e.g. '5m')\nor 'revision' (a number of revisions to keep)."),
  flag("enable-v2", "bool", false, "accepted", CLUSTERING, "Serve the etcd v2 API (not supported by etcd-ts)."),

  // Security
  flag("cert-file", "string", "", "used", SECURITY, "TLS certificate file for client traffic.", { fileKey: "client-transport-security.cert-file" }),
  flag("key-file", "string", "", "used", SECURITY, "TLS key file for client traffic.", { fileKey: "client-transport-security.key-file" }),
  flag("client-cert-auth", "bool", false, "used", SECURITY, "Require and check client certificates.", { fileKey: "client-transport-security.client-cert-auth" }),
  flag("client-crl-file", "string", "", "used", SECURITY, "Certificate revocation list for client certificates.", { fileKey: null }),
  flag("client-cert-allowed-hostname", "string", "", "accepted", SECURITY, "Hostname a client certificate must carry.", { fileKey: null }),
  flag("trusted-ca-file", "string", "", "used", SECURITY, "CA file that client certificates are checked against.", { fileKey: "client-transport-security.trusted-ca-file" }),
  flag("auto-tls", "bool", false, "used", SECURITY, "Client TLS with a generated self-signed certificate when no cert and key are given.", { fileKey: "client-transport-security.auto-tls" }),
  flag("peer-cert-file", "string", "", "accepted", SECURITY, "TLS certificate file for peer traffic.", { fileKey: "peer-transport-security.cert-file" }),
  flag("peer-key-file", "string", "", "accepted", SECURITY, "TLS key file for peer traffic.", { fileKey: "peer-transport-security.key-file" }),
  flag("peer-client-cert-auth", "bool", false, "accepted", SECURITY, "Require and check peer certificates.", { fileKey: "peer-transport-security.client-cert-auth" }),
  flag("peer-trusted-ca-file", "string", "", "accepted", SECURITY, "CA file that peer certificates are checked against.", { fileKey: "peer-transport-security.trusted-ca-file" }),
  flag("peer-cert-allowed-cn", "string", "", "accepted", SECURITY, "Common name a peer certificate must carry.", { fileKey: null }),
  flag("peer-cert-allowed-hostname", "string", "", "accepted", SECURITY, "Hostname a peer certificate must carry.", { fileKey: null }),
  flag("peer-auto-tls", "bool", false, "accepted", SECURITY, "Peer TLS with generated certificates when no peer cert and key are given.", { fileKey: "peer-transport-security.auto-tls" }),
  flag("peer-crl-file", "string", "", "accepted", SECURITY, "Certificate revocation list for peer certificates.", { fileKey: null }),
  flag("cipher-suites", "strings", [], "used", SECURITY, "Comma-separated TLS 1.2 cipher suites for client and peer traffic, Go's names (empty: the defaults).", { shown: "" }),
  flag("cors", "strings", ["*"], "accepted", SECURITY, "Comma-separated origins allowed for CORS (empty or * allows all)."),
  flag("host-whitelist", "strings", ["*"], "accepted", SECURITY, "Host names accepted in HTTP requests when not serving TLS (empty or * allows all)."),

  // Auth
  flag("auth-token", "string", "simple", "used", AUTH, "Auth token type and options: 'simple' or 'jwt,pub-key=...,priv-key=...,sign-method=...'."),
  flag("bcrypt-cost", "uint", 10, "used", AUTH, "bcrypt cost for hashing passwords, 4 to 31."),
  flag("auth-token-ttl", "uint", 300, "used", AUTH, "Lifetime of a simple auth token, in seconds."),

  // Profiling and Monitoring
  flag("enable-pprof", "bool", false, "accepted", MONITORING, "Serve profiling data over HTTP at client URL + \"/debug/pprof/\"."),
  flag("metrics", "string", "basic", "accepted", MONITORING, "Detail of exported metrics: 'basic', or 'extensive' to add histograms."),
  flag("listen-metrics-urls", "urls", [], "used", MONITORING, "Extra URLs to listen on for the /metrics and /health endpoints.", { shown: "" }),
  flag("enable-grpc-gateway", "bool", true, "accepted", undefined, "Serve the JSON gateway on the client port."),

  // Logging
  flag("logger", "string", "capnslog", "used", LOGGING, "'zap' for structured logging or 'capnslog'."),
  flag("log-outputs", "strings", ["default"], "used", LOGGING, "Where logs go: 'default', 'stdout', 'stderr', or a comma-separated list of targets."),
  flag("log-level", "string", "info", "used", LOGGING, "Log level: debug, info, warn, error, panic or fatal."),

  // v2 proxy
  flag("proxy", "choice", "off", "unsupported", PROXY, "v2 proxy mode: 'off', 'readonly' or 'on' (etcd-ts supports only 'off').", { choices: ["off", "readonly", "on"] }),
  flag("proxy-failure-wait", "uint", 5000, "unsupported", PROXY, "Time (ms) an endpoint is held in a failed state."),
  flag("proxy-refresh-interval", "uint", 30000, "unsupported", PROXY, "Time (ms) between endpoint refreshes."),
  flag("proxy-dial-timeout", "uint", 1000, "unsupported", PROXY, "Time (ms) before a dial times out."),
  flag("proxy-write-timeout", "uint", 5000, "unsupported", PROXY, "Time (ms) before a write times out."),
  flag("proxy-read-timeout", "uint", 0, "unsupported", PROXY, "Time (ms) before a read times out."),

  // Experimental
  flag("experimental-initial-corrupt-check", "bool", false, "accepted", EXPERIMENTAL, "Check data for corruption before serving client or peer traffic."),
  flag("experimental-corrupt-check-time", "duration", 0, "accepted", EXPERIMENTAL, "Time between cluster corruption checks."),
  flag("experimental-enable-v2v3", "string", "", "accepted", EXPERIMENTAL, "Serve v2 requests from the v3 store under this prefix (not supported by etcd-ts)."),
  flag("experimental-backend-bbolt-freelist-type", "string", "", "accepted", EXPERIMENTAL, "bbolt freelist type, 'array' or 'map' (no effect: etcd-ts stores in LMDB).", { shown: "array" }),
  flag("experimental-enable-lease-checkpoint", "bool", false, "used", EXPERIMENTAL, "Let the leader checkpoint leases' remaining TTL, so a leader change does not reset it."),
  flag("experimental-enable-lease-checkpoint-persist", "bool", false, "used", undefined, "Persist leases' remaining TTL (needs --experimental-enable-lease-checkpoint)."),
  flag("experimental-compaction-batch-limit", "int", 1000, "accepted", EXPERIMENTAL, "Most revisions deleted in one compaction batch."),
  flag("experimental-peer-skip-client-san-verification", "bool", false, "accepted", EXPERIMENTAL, "Skip the SAN check of client certificates on peer connections."),
  flag("experimental-watch-progress-notify-interval", "duration", 600_000, "accepted", EXPERIMENTAL, "Interval of periodic watch progress notifications."),
  flag("experimental-warning-apply-duration", "duration", 100, "accepted", EXPERIMENTAL, "Log a warning when applying a request takes longer than this."),

  // Unsafe
  flag("force-new-cluster", "bool", false, "accepted", UNSAFE, "Force a new one-member cluster from this member's data."),
  flag("unsafe-no-fsync", "bool", false, "accepted", undefined, "Disable fsync: unsafe, loses data on a crash."),

  // To be deprecated
  flag("debug", "bool", false, "accepted", DEPRECATED, "Debug-level logging. Deprecated: use '--log-level=debug'."),
  flag("log-package-levels", "string", "", "accepted", DEPRECATED, "Log level per etcd package (e.g. 'etcdmain=CRITICAL,etcdserver=DEBUG')."),
  flag("log-output", "strings", ["default"], "accepted", undefined, "Deprecated: use '--log-outputs'."),

  ...RETIRED_FLAGS.map((name) => flag(name, "ignored", false, "ignored", undefined, "", { fileKey: null })),
];

const BY_NAME = new Map(FLAGS.map((def) => [def.name, def]));

/** lookupFlag returns the definition of a flag name (without dashes), or undefined. */
export function lookupFlag(name: string): FlagDef | undefined {
  return BY_NAME.get(name);
}

/** isBoolFlag says whether a flag takes no argument (`--flag` means true), as Go's bool flags. */
export function isBoolFlag(def: FlagDef): boolean {
  return def.kind === "bool" || def.kind === "ignored";
}

/**
 * parseFlagValue reads a flag's text as etcd's flag value of that type does; `previous` is
 * the flag's current value, kept when a URL list flag is set to "" (etcd's exception).
 * The error is the text etcd prints after `invalid value "<text>" for flag -<name>: `.
 */
export function parseFlagValue(def: FlagDef, text: string, previous: FlagValue): ParseResult<FlagValue> {
  switch (def.kind) {
    case "string":
      return { ok: true, value: text };
    case "bool":
      return parseGoBool(text);
    case "ignored":
      return { ok: true, value: false };
    case "duration":
      return parseGoDuration(text);
    case "choice":
      return def.choices?.includes(text) ? { ok: true, value: text } : { ok: false, error: "invalid value" };
    case "urls":
      return text === "" ? { ok: true, value: previous } : parseEtcdUrls(text);
    case "strings":
      // etcd reads --cipher-suites with a plain split (no trimming: " TLS_X" is an unknown suite).
      if (def.name === "cipher-suites") return { ok: true, value: text.split(",") };
      return { ok: true, value: [...new Set(text.split(",").map((part) => part.trim()))] };
    default:
      return parseGoInteger(text, def.kind);
  }
}

/** formatFlagValue writes a value as `--help` shows defaults. */
export function formatFlagValue(def: FlagDef, value: FlagValue): string {
  if (Array.isArray(value)) return value.join(",");
  if (def.kind === "duration" && typeof value === "number") return formatGoDuration(value);
  return String(value);
}
