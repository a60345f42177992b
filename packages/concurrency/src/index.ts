/**
 * @etcd-ts/concurrency — Session, Mutex, Election and STM recipes on top of @etcd-ts/client.
 *
 * Not built yet: issue #9 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
