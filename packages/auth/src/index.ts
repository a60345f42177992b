/**
 * @etcd-ts/auth — Users, roles, permissions and tokens (simple and JWT).
 *
 * Not built yet: issue #7 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
