/**
 * @etcd-ts/mvcc — The revisioned key-value store on LMDB, run in worker threads.
 *
 * Not built yet: issue #6 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
