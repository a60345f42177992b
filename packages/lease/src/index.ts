/**
 * @etcd-ts/lease — The lessor: TTL leases, keepalive, expiry and checkpoints.
 *
 * Not built yet: issue #7 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
