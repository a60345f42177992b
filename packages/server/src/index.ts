/**
 * @etcd-ts/server — etcdserver: raft node loop, WAL, apply, gRPC services, JSON gateway,
 * health and metrics (DESIGN §3–§5).
 *
 * Built so far: the client-facing transport — a gRPC server on node:http2 with our codecs,
 * and one listener that serves gRPC and HTTP/1.1 on the same port. The member itself
 * (`startEtcd`) is issue #8.
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
