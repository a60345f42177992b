/**
 * @etcd-ts/wal — The write-ahead log (segments of CRC-chained records) and raft snapshot files.
 *
 * Not built yet: issue #5 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
