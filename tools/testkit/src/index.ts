/**
 * @etcd-ts/testkit — starting etcd members for the workspace's tests and benchmarks: the
 * real etcd 3.4 or etcd-ts's daemon as a child process on reserved ports (`startMember`,
 * `startCluster`), free ports below the ephemeral range reserved across processes, a SIGSTOP
 * that waits until the process is stopped, TLS certificates made with the openssl CLI.
 *
 * It imports nothing of ours (etcd-ts's daemon is run by path), so every package's tests may
 * use it as a devDependency, and the benchmarks at run time (a dependency): it is built to
 * dist like the other packages.
 */
export { startCluster } from "./cluster.js";
export type { Cluster, ClusterOptions } from "./cluster.js";
export { freeze, isStopped } from "./freeze.js";
export { assertDaemonBuilt, DaemonNotBuiltError, etcdTsDaemonPath, startMember } from "./member.js";
export type { Member, MemberBinary, MemberOptions, MemberPorts, MemberTls } from "./member.js";
export { checkServedBy, exitedError, freePort, listensOn, PortTakenError } from "./ports.js";
export { makeTlsFixtures, opensslAvailable, readPem } from "./tlsFixtures.js";
export type { CertPair, TlsFixtures } from "./tlsFixtures.js";
