/**
 * @etcd-ts/etcd — The etcd daemon (bin/etcd) and etcdutl.
 *
 * Not built yet: issue #8 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
