/**
 * @etcd-ts/testkit — shared helpers for the workspace's tests (never a runtime dependency):
 * the real etcd 3.4 as a process, free ports below the ephemeral range (reserved across
 * processes), a SIGSTOP that waits until the process is stopped, TLS certificates
 * made with the openssl CLI.
 *
 * It imports nothing of ours, so every package's tests may use it (devDependencies only).
 */
export { freeze, isStopped } from "./freeze.js";
export { checkServedBy, exitedError, freePort, listensOn, PortTakenError } from "./ports.js";
export { startRealEtcd } from "./realEtcd.js";
export type { RealEtcd, RealEtcdTls } from "./realEtcd.js";
export { makeTlsFixtures, opensslAvailable, readPem } from "./tlsFixtures.js";
export type { CertPair, TlsFixtures } from "./tlsFixtures.js";
