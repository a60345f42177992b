/**
 * @etcd-ts/server — etcdserver: raft node loop, WAL, apply, gRPC services, JSON gateway, health and metrics.
 *
 * Not built yet: issue #8 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
