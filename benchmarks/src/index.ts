/**
 * @etcd-ts/benchmarks — The load generator and the side-by-side runs against the real etcd.
 *
 * Not built yet: issue #10 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
