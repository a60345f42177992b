/**
 * The versions etcd-ts reports to clients.
 *
 * Clients and tools read these through Maintenance.Status (`version`), the `/version`
 * endpoint (`etcdserver`, `etcdcluster`) and the cluster's stored version; they gate
 * features on them, so we report the etcd release whose API we implement. Our own
 * release number is kept apart in {@link ETCD_TS_VERSION}.
 */

/** SERVER_VERSION is the etcd server version we report: the etcd 3.4 release we match. */
export const SERVER_VERSION = "3.4.23";

/** MIN_CLUSTER_VERSION is the lowest cluster version a member of ours can join, as etcd 3.4. */
export const MIN_CLUSTER_VERSION = "3.0.0";

/** API_VERSION is the major.minor of {@link SERVER_VERSION}: etcd's API version. */
export const API_VERSION = "3.4";

/** CLUSTER_VERSION is the cluster version a cluster of ours settles on: major.minor.0. */
export const CLUSTER_VERSION = "3.4.0";

/** ETCD_TS_VERSION is the version of the etcd-ts packages themselves. */
export const ETCD_TS_VERSION = "0.1.0";

/** Versions is the body of etcd's `GET /version`. */
export interface Versions {
  readonly etcdserver: string;
  readonly etcdcluster: string;
}

/**
 * versions returns the `/version` body; `clusterVersion` is the cluster's decided version,
 * or undefined before the cluster has decided one (etcd reports "not_decided" then).
 */
export function versions(clusterVersion: string | undefined): Versions {
  return { etcdserver: SERVER_VERSION, etcdcluster: clusterVersion ?? "not_decided" };
}

/** SemVer is a parsed major.minor.patch version. */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** parseVersion parses "major.minor.patch" (pre-release and build suffixes ignored). */
export function parseVersion(text: string): SemVer | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** toClusterVersion turns a server version into the cluster version it implies: major.minor.0. */
export function toClusterVersion(serverVersion: string): string | undefined {
  const parsed = parseVersion(serverVersion);
  return parsed && `${parsed.major}.${parsed.minor}.0`;
}
