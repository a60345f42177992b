/**
 * @etcd-ts/client — A typed etcd v3 client: KV, Watch, Lease, Auth, Cluster and Maintenance, with failover.
 *
 * Not built yet: issue #9 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
