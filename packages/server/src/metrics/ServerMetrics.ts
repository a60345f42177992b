/**
 * The member's metrics under etcd's names (etcd's metrics docs): server, disk, mvcc, gRPC
 * and process families. Read live values through callbacks; count events where they happen.
 */
import { SERVER_VERSION, type GrpcStatusCode, type MethodDefinition } from "@etcd-ts/api";
import { Counter, Gauge, Histogram, Registry, exponentialBuckets, type CounterSeries } from "./Registry.js";

/** ServerMetrics is one member's registry with its metrics as fields. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly proposalsCommitted: Gauge;
  readonly proposalsApplied: Gauge;
  readonly proposalsFailed = this.registry.register(new Counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen."));
  readonly leaderChanges = this.registry.register(new Counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen."));
  readonly walFsync = this.registry.register(
    new Histogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.", exponentialBuckets(0.001, 2, 14)),
  );
  readonly backendCommit = this.registry.register(
    new Histogram("etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend.", exponentialBuckets(0.001, 2, 14)),
  );
  readonly grpcStarted = this.registry.register(new Counter("grpc_server_started_total", "Total number of RPCs started on the server."));
  readonly grpcHandled = this.registry.register(new Counter("grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure."));

  /** grpcLabels are go-grpc-prometheus's labels of a method. */
  static grpcLabels(method: MethodDefinition<unknown, unknown>): Record<string, string> {
    const [, service = "", name = ""] = method.path.split("/");
    const type = method.requestStream ? (method.responseStream ? "bidi_stream" : "client_stream") : method.responseStream ? "server_stream" : "unary";
    return { grpc_type: type, grpc_service: service, grpc_method: name };
  }

  /** Resolved series per method (started) and per method and code (handled): calls are the hot path. */
  private readonly startedSeries = new Map<MethodDefinition<unknown, unknown>, CounterSeries>();
  private readonly handledSeries = new Map<MethodDefinition<unknown, unknown>, Map<GrpcStatusCode, CounterSeries>>();

  /** callStarted counts a started call. */
  callStarted(method: MethodDefinition<unknown, unknown>): void {
    let series = this.startedSeries.get(method);
    if (series === undefined) this.startedSeries.set(method, (series = this.grpcStarted.series(ServerMetrics.grpcLabels(method))));
    series.inc();
  }

  /** callHandled counts a finished call with its status code's name. */
  callHandled(method: MethodDefinition<unknown, unknown>, code: GrpcStatusCode): void {
    let byCode = this.handledSeries.get(method);
    if (byCode === undefined) this.handledSeries.set(method, (byCode = new Map()));
    let series = byCode.get(code);
    if (series === undefined) {
      series = this.grpcHandled.series({ ...ServerMetrics.grpcLabels(method), grpc_code: GO_CODE_NAMES[code] ?? String(code) });
      byCode.set(code, series);
    }
    series.inc();
  }

  constructor(live: { hasLeader(): boolean; isLeader(): boolean; committed(): number; applied(): number; pending(): number; dbSize(): number; dbSizeInUse(): number; revision(): number; compactRevision(): number }) {
    const r = this.registry;
    r.register(new Gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.", live.pending));
    r.register(new Gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.", () => (live.hasLeader() ? 1 : 0)));
    r.register(new Gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.", () => (live.isLeader() ? 1 : 0)));
    this.proposalsCommitted = r.register(new Gauge("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.", live.committed));
    this.proposalsApplied = r.register(new Gauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.", live.applied));
    const version = r.register(new Gauge("etcd_server_version", "Which version is running. 1 for 'server_version' label with current version."));
    version.set(1, { server_version: SERVER_VERSION });
    r.register(new Gauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.", live.dbSize));
    r.register(new Gauge("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes.", live.dbSizeInUse));
    r.register(new Gauge("etcd_debugging_mvcc_current_revision", "The current revision of store.", live.revision));
    r.register(new Gauge("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store.", live.compactRevision));
    r.register(new Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage().rss));
    const start = Date.now() / 1000 - process.uptime();
    r.register(new Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => start));
  }
}

/** grpc-go's names of the status codes, as the grpc_code label carries them. */
const GO_CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
  "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
];
