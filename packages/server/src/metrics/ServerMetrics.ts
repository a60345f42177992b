/**
 * The member's metrics under etcd's names (etcd's metrics docs): server, disk, mvcc, lease,
 * auth, snapshot, gRPC and process families. Live values are read through a {@link MemberProbe}
 * when scraped; events are counted where they happen. Left out: etcd's v2 store, bbolt's
 * internals (rebalance/spill), the gRPC proxy and the peer network (no peers yet).
 */
import { readdirSync, readFileSync } from "node:fs";
import { API_VERSION, SERVER_VERSION, type GrpcStatusCode, type MethodDefinition } from "@etcd-ts/api";
import { Counter, CounterFunc, Gauge, Histogram, Registry, exponentialBuckets, type CounterSeries, type Metric } from "./Registry.js";

/**
 * MemberProbe reads the member's live state for a scrape. Its readers are taken off the probe and
 * called detached (a gauge keeps `probe.pending` as its read function), so they are function
 * properties that must not depend on `this`, not methods.
 */
export interface MemberProbe {
  readonly hasLeader: () => boolean;
  readonly isLeader: () => boolean;
  readonly isLearner: () => boolean;
  readonly committed: () => number;
  readonly applied: () => number;
  readonly pending: () => number;
  readonly dbSize: () => number;
  readonly dbSizeInUse: () => number;
  readonly keys: () => number;
  readonly revision: () => number;
  readonly compactRevision: () => number;
  readonly quotaBytes: () => number;
  /** watchers counts watchers by state; streams the open watch streams. */
  readonly watchers: () => { synced: number; unsynced: number; victims: number };
  readonly watchStreams: () => number;
  readonly authRevision: () => number;
  readonly walBytesWritten: () => number;
  readonly memberIdHex: () => string;
}

const SECONDS = exponentialBuckets(0.001, 2, 14);

/** ServerMetrics is one member's registry with its metrics as fields. */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly r = this.registry;
  readonly proposalsFailed = this.counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.");
  readonly leaderChanges = this.counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.");
  readonly slowApply = this.counter("etcd_server_slow_apply_total", "The total number of slow apply requests (likely overloaded from slow disk).");
  readonly readIndexesFailed = this.counter("etcd_server_read_indexes_failed_total", "The total number of failed read indexes seen.");
  readonly slowReadIndexes = this.counter("etcd_server_slow_read_indexes_total", "The total number of pending read indexes not in sync with leader's or timed out read index requests.");
  readonly heartbeatSendFailures = this.counter("etcd_server_heartbeat_send_failures_total", "The total number of leader heartbeat send failures (likely overloaded from slow disk).");
  readonly healthSuccess = this.counter("etcd_server_health_success", "The total number of successful health checks");
  readonly healthFailures = this.counter("etcd_server_health_failures", "The total number of failed health checks");
  readonly walFsync = this.r.register(new Histogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.", SECONDS));
  readonly backendCommit = this.r.register(new Histogram("etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend.", SECONDS));
  readonly backendSnapshot = this.r.register(
    new Histogram("etcd_disk_backend_snapshot_duration_seconds", "The latency distribution of backend snapshots.", exponentialBuckets(0.01, 2, 17)),
  );
  readonly backendDefrag = this.r.register(
    new Histogram("etcd_disk_backend_defrag_duration_seconds", "The latency distribution of backend defragmentation.", exponentialBuckets(0.1, 2, 13)),
  );
  /** defragInflight is 1 while a defragmentation runs. */
  readonly defragInflight = this.r.register(new Gauge("etcd_disk_defrag_inflight", "Whether or not defrag is active."));
  readonly snapFsync = this.r.register(new Histogram("etcd_snap_fsync_duration_seconds", "The latency distributions of fsync called by snap.", SECONDS));
  readonly hashDuration = this.r.register(new Histogram("etcd_mvcc_hash_duration_seconds", "The latency distribution of storage hash operation.", exponentialBuckets(0.01, 2, 15)));
  readonly hashRevDuration = this.r.register(
    new Histogram("etcd_mvcc_hash_rev_duration_seconds", "The latency distribution of storage hash by revision operation.", exponentialBuckets(0.01, 2, 15)),
  );
  // Requests as the store sees them (etcd counts these in mvcc, once per request).
  private readonly puts = this.pair("put_total", "Total number of puts seen by this member.");
  private readonly deletes = this.pair("delete_total", "Total number of deletes seen by this member.");
  private readonly ranges = this.pair("range_total", "Total number of ranges seen by this member.");
  private readonly txns = this.pair("txn_total", "Total number of txns seen by this member.");
  readonly leaseGranted = this.counter("etcd_debugging_lease_granted_total", "The total number of granted leases.");
  readonly leaseRevoked = this.counter("etcd_debugging_lease_revoked_total", "The total number of revoked leases.");
  readonly leaseRenewed = this.counter("etcd_debugging_lease_renewed_total", "The number of renewed leases seen by the leader.");
  readonly leaseExpired = this.counter("etcd_debugging_server_lease_expired_total", "The total number of expired leases.");
  readonly leaseTtl = this.r.register(new Histogram("etcd_debugging_lease_ttl_total", "Bucketed histogram of lease TTLs.", exponentialBuckets(1, 2, 24)));
  readonly grpcStarted = this.r.register(new Counter("grpc_server_started_total", "Total number of RPCs started on the server.", true));
  readonly grpcHandled = this.r.register(new Counter("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.", true));
  readonly grpcReceived = this.r.register(new Counter("grpc_server_msg_received_total", "Total number of RPC stream messages received on the server.", true));
  readonly grpcSent = this.r.register(new Counter("grpc_server_msg_sent_total", "Total number of gRPC stream messages sent by the server.", true));
  readonly clientRequests = this.r.register(new Counter("etcd_server_client_requests_total", "The total number of client requests per client version.", true));
  private readonly receivedBytes = this.counter("etcd_network_client_grpc_received_bytes_total", "The total number of bytes received from grpc clients.").series({});
  private readonly sentBytes = this.counter("etcd_network_client_grpc_sent_bytes_total", "The total number of bytes sent to grpc clients.").series({});

  private counter(name: string, help: string): Counter {
    return this.r.register(new Counter(name, help));
  }

  /** etcd counts store requests twice, under etcd_mvcc_* and the older etcd_debugging_mvcc_*. */
  private pair(suffix: string, help: string): { inc(by?: number): void } {
    const current = this.counter(`etcd_mvcc_${suffix}`, help);
    const debugging = this.counter(`etcd_debugging_mvcc_${suffix}`, help);
    return {
      inc(by = 1) {
        current.inc({}, by);
        debugging.inc({}, by);
      },
    };
  }

  /** storeRequest counts a request the store served, by etcd's kinds. */
  storeRequest(kind: "put" | "delete" | "range" | "txn"): void {
    (kind === "put" ? this.puts : kind === "delete" ? this.deletes : kind === "range" ? this.ranges : this.txns).inc();
  }

  /** grpcLabels are go-grpc-prometheus's labels of a method. */
  static grpcLabels(method: MethodDefinition<unknown, unknown>): Record<string, string> {
    const [, service = "", name = ""] = method.path.split("/");
    const type = method.requestStream ? (method.responseStream ? "bidi_stream" : "client_stream") : method.responseStream ? "server_stream" : "unary";
    return { grpc_type: type, grpc_service: service, grpc_method: name };
  }

  /** Resolved series per method (started) and per method and code (handled): calls are the hot path. */
  private readonly startedSeries = new Map<MethodDefinition<unknown, unknown>, CounterSeries>();
  private readonly handledSeries = new Map<MethodDefinition<unknown, unknown>, Map<GrpcStatusCode, CounterSeries>>();

  private readonly receivedSeries = new Map<MethodDefinition<unknown, unknown>, CounterSeries>();
  private readonly sentSeries = new Map<MethodDefinition<unknown, unknown>, CounterSeries>();
  private readonly clientRequestSeries = { unary: new Map<string, CounterSeries>(), stream: new Map<string, CounterSeries>() };

  /** messageReceived / messageSent count one message of a call of `method`, and its bytes (protobuf, unframed, as etcd). */
  messageReceived(method: MethodDefinition<unknown, unknown>, bytes: number): void {
    ServerMetrics.methodSeries(this.receivedSeries, this.grpcReceived, method).inc();
    this.receivedBytes.inc(bytes);
  }
  messageSent(method: MethodDefinition<unknown, unknown>, bytes: number): void {
    ServerMetrics.methodSeries(this.sentSeries, this.grpcSent, method).inc();
    this.sentBytes.inc(bytes);
  }

  /** clientRequest counts a call by its type and the client's API version, as etcd's interceptors do. */
  clientRequest(type: "unary" | "stream", clientApiVersion: string): void {
    const byVersion = this.clientRequestSeries[type];
    let series = byVersion.get(clientApiVersion);
    if (series === undefined) byVersion.set(clientApiVersion, (series = this.clientRequests.series({ type, client_api_version: clientApiVersion })));
    series.inc();
  }

  private static methodSeries(cache: Map<MethodDefinition<unknown, unknown>, CounterSeries>, counter: Counter, method: MethodDefinition<unknown, unknown>): CounterSeries {
    let series = cache.get(method);
    if (series === undefined) cache.set(method, (series = counter.series(ServerMetrics.grpcLabels(method))));
    return series;
  }

  /** callStarted counts a started call. */
  callStarted(method: MethodDefinition<unknown, unknown>): void {
    ServerMetrics.methodSeries(this.startedSeries, this.grpcStarted, method).inc();
  }

  /** callHandled counts a finished call with its status code's name. */
  callHandled(method: MethodDefinition<unknown, unknown>, code: GrpcStatusCode): void {
    let byCode = this.handledSeries.get(method);
    if (byCode === undefined) this.handledSeries.set(method, (byCode = new Map<GrpcStatusCode, CounterSeries>()));
    let series = byCode.get(code);
    if (series === undefined) {
      series = this.grpcHandled.series({ ...ServerMetrics.grpcLabels(method), grpc_code: GO_CODE_NAMES[code] ?? String(code) });
      byCode.set(code, series);
    }
    series.inc();
  }

  constructor(probe: MemberProbe) {
    this.defragInflight.set(0);
    const gauge = (name: string, help: string, read?: () => number): Gauge => this.r.register(new Gauge(name, help, read));
    gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.", probe.pending);
    gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.", () => (probe.hasLeader() ? 1 : 0));
    gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.", () => (probe.isLeader() ? 1 : 0));
    gauge("etcd_server_is_learner", "Whether or not this member is a learner. 1 if is, 0 otherwise.", () => (probe.isLearner() ? 1 : 0));
    gauge("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.", probe.committed);
    gauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.", probe.applied);
    gauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.", probe.quotaBytes);
    gauge("etcd_server_snapshot_apply_in_progress_total", "1 if the server is applying the incoming snapshot. 0 if none.", () => 0);
    gauge("etcd_server_version", "Which version is running. 1 for 'server_version' label with current version.").set(1, { server_version: SERVER_VERSION });
    gauge("etcd_cluster_version", "Which version is running. 1 for 'cluster_version' label with current cluster version").set(1, { cluster_version: API_VERSION });
    this.r.register(lazyLabelled("etcd_server_id", "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", () => ({ server_id: probe.memberIdHex() })));
    gauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.", probe.dbSize);
    gauge("etcd_debugging_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.", probe.dbSize);
    gauge("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes.", probe.dbSizeInUse);
    gauge("etcd_debugging_mvcc_keys_total", "Total number of keys.", probe.keys);
    gauge("etcd_debugging_mvcc_current_revision", "The current revision of store.", probe.revision);
    gauge("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store.", probe.compactRevision);
    gauge("etcd_debugging_mvcc_watcher_total", "Total number of watchers.", () => sumWatchers(probe.watchers()));
    gauge("etcd_debugging_mvcc_slow_watcher_total", "Total number of unsynced slow watchers.", () => probe.watchers().unsynced + probe.watchers().victims);
    gauge("etcd_debugging_mvcc_watch_stream_total", "Total number of watch streams.", probe.watchStreams);
    gauge("etcd_debugging_auth_revision", "The current revision of auth store.", probe.authRevision);
    this.r.register(new CounterFunc("etcd_disk_wal_write_bytes_total", "Total number of bytes written in WAL.", probe.walBytesWritten));
    // process_* as Go's process collector, os_fd_* as etcd's own.
    const cpu = (): number => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    };
    this.r.register(new CounterFunc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", cpu));
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage().rss);
    const start = Date.now() / 1000 - process.uptime();
    gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => start);
    if (procAvailable()) {
      gauge("process_open_fds", "Number of open file descriptors.", openFds);
      gauge("process_max_fds", "Maximum number of open file descriptors.", maxFds);
      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", virtualMemory);
      gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", () => limit("Max address space", 2 ** 64));
      gauge("os_fd_used", "The number of used file descriptors.", openFds);
      gauge("os_fd_limit", "The file descriptor limit.", maxFds);
    }
  }
}

function sumWatchers(w: { synced: number; unsynced: number; victims: number }): number {
  return w.synced + w.unsynced + w.victims;
}

/** A gauge of value 1 whose labels are read at scrape time (etcd_server_id). */
function lazyLabelled(name: string, help: string, labels: () => Record<string, string>): Metric {
  return {
    name,
    help,
    type: "gauge",
    render: () => {
      const g = new Gauge(name, help);
      g.set(1, labels());
      return g.render();
    },
  };
}

function procAvailable(): boolean {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length - 1; // less the directory handle reading it
}

function maxFds(): number {
  return limit("Max open files", -1);
}

/** limit reads a soft limit of /proc/self/limits; `unlimited` is the value Go's collector reports for it. */
function limit(name: string, unlimited: number): number {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith(name));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === "unlimited" ? unlimited : Number(soft);
}

function virtualMemory(): number {
  // /proc/self/stat: fields after the command's closing parenthesis; vsize is field 23.
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[20]);
}

/** grpc-go's names of the status codes, as the grpc_code label carries them. */
const GO_CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
  "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
];
