/**
 * @etcd-ts/server — etcdserver: one etcd member in-process — the raft node loop over the WAL
 * and snapshots, the apply of committed entries to mvcc, leases and auth, etcd's v3 gRPC
 * services (KV, Watch, Lease, Cluster, Maintenance, Auth, Lock, Election, Health) on a gRPC
 * server over node:http2, and on the same client port the JSON gateway (`/v3/...`),
 * `/health`, `/version` and `/metrics`; client TLS as etcd does it (auto TLS, client
 * certificates, CRLs) (DESIGN §3–§5).
 *
 * `startEtcd` is the entry point, as Go's `embed` package: a member from a typed config
 * (etcd's defaults), serving on its client URLs until `close()`. The other exports are its
 * parts, for the daemon (`apps/etcd`) and for tests.
 *
 * Limits today: a single member. There is no peer transport yet, so a member whose initial
 * cluster names other members, or that is asked to join an existing cluster, refuses to
 * start; the peer URLs are checked and recorded in the membership, not served.
 *
 * @packageDocumentation
 */
export { GrpcServer } from "./grpc/GrpcServer.js";
export type { CallContext, GrpcServerOptions, Metadata, StreamCall, StreamHandler, UnaryHandler } from "./grpc/GrpcServer.js";
export { StatusError, toGrpcStatus } from "./grpc/StatusError.js";
export { ClientListener } from "./transport/ClientListener.js";
export type { ClientListenerOptions, Http1Handler } from "./transport/ClientListener.js";
export { defaultConfig, parseInitialCluster, DEFAULT_CLIENT_TLS, DEFAULT_QUOTA_BYTES } from "./config/EtcdConfig.js";
export type { ClientTlsConfig, EtcdConfig, EtcdConfigOptions } from "./config/EtcdConfig.js";
export { ServerTls } from "./tls/ServerTls.js";
export type { ServerTlsOptions, TlsContextOptions } from "./tls/ServerTls.js";
export { GO_CIPHER_SUITES, opensslCiphers } from "./tls/cipherSuites.js";
export { ensureSelfCert, selfSignedCert } from "./tls/selfCert.js";
export type { SelfCert, SelfCertFiles, SelfCertOptions } from "./tls/selfCert.js";
export { startEtcd } from "./embed/startEtcd.js";
export type { Etcd, EtcdEvents } from "./embed/startEtcd.js";
export { EtcdServer } from "./etcdserver/EtcdServer.js";
export type { ServerIo } from "./etcdserver/EtcdServer.js";
export { AlarmStore, ALARM_BUCKET } from "./etcdserver/AlarmStore.js";
export type { RaftKV, EncodedRangeResponse } from "./etcdserver/RaftKV.js";
export type { RaftLessor } from "./etcdserver/RaftLessor.js";
export type { Authenticator } from "./etcdserver/Authenticator.js";
export type { Cluster } from "./etcdserver/Cluster.js";
export type { Watchable } from "./etcdserver/Watchable.js";
export type { Maintenance } from "./etcdserver/Maintenance.js";
export type { AuthRequestKind, RequestKind, ResponseOf } from "./etcdserver/InternalRequest.js";
export type { AlarmChange } from "./etcdserver/AlarmStore.js";
export { computeClusterId, computeMemberId, idHex } from "./membership/ids.js";
export type { Member } from "./membership/Member.js";
export { gatewayHandler, isGatewayPath } from "./gateway/index.js";
export type { GatewayHandler, GatewayOptions } from "./gateway/index.js";
export { ServerMetrics } from "./metrics/ServerMetrics.js";
export type { MemberProbe } from "./metrics/ServerMetrics.js";
export { Counter, Gauge, Histogram, Registry, exponentialBuckets } from "./metrics/Registry.js";
export type { CounterSeries, Labels, Metric } from "./metrics/Registry.js";
export type { CallObserver } from "./grpc/GrpcServer.js";
