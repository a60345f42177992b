/**
 * @etcd-ts/raft — The Raft consensus state machine: pure, deterministic, no I/O, no timers.
 *
 * Not built yet: issue #4 builds this package. Until then it exports nothing, so
 * nothing can depend on it by accident.
 *
 * @packageDocumentation
 */
export {};
