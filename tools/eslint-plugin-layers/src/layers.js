// The layer graph of DESIGN §2, written down once for the linter.
//
// Imports point down the list only: a package may import the packages ranked below it,
// never one above it or beside it. `raft` and `api` import nothing of ours.
// The server sits above the client and the concurrency recipes: as etcd's v3lock/v3election
// run clientv3/concurrency over an in-process client, the server uses @etcd-ts/client and
// @etcd-ts/concurrency (over a channel, no socket); neither of them may import the server.
// The test kit is importable by every package's tests and imports nothing of ours; the benchmarks
// also use it at run time (to start the servers they measure). The apps at the top (the daemon,
// the benchmarks) may import every package but not each other.

/** Package names from the top of the stack to the bottom (DESIGN §2). */
export const LAYER_ORDER = Object.freeze([
  "@etcd-ts/server",
  "@etcd-ts/concurrency",
  "@etcd-ts/client",
  "@etcd-ts/auth",
  "@etcd-ts/lease",
  "@etcd-ts/mvcc",
  "@etcd-ts/wal",
  "@etcd-ts/raft",
  "@etcd-ts/api",
]);

/** Top-level consumers: they may use every package of LAYER_ORDER. */
export const APPS = Object.freeze(["@etcd-ts/etcd", "@etcd-ts/benchmarks"]);

/** Packages that must stay leaves: they import nothing of ours. */
export const LEAVES = Object.freeze(["@etcd-ts/raft", "@etcd-ts/api"]);

/** Test helpers every package's tests may use (as a devDependency only); they import nothing of ours. */
export const TEST_KITS = Object.freeze(["@etcd-ts/testkit"]);

/** Packages that may depend on a test kit at run time (a dependency, not only a devDependency). */
export const TEST_KIT_RUNTIME_USERS = Object.freeze(["@etcd-ts/benchmarks"]);

const SCOPE = "@etcd-ts/";

/**
 * allowedImport tells whether package `from` may import package `to` (both full names).
 * @param {string} from
 * @param {string} to
 * @returns {boolean}
 */
export function allowedImport(from, to) {
  if (from === to) return true;
  if (TEST_KITS.includes(to)) return !TEST_KITS.includes(from);
  if (LEAVES.includes(from) || TEST_KITS.includes(from)) return false;
  const target = LAYER_ORDER.indexOf(to);
  if (target < 0) return false; // an app, a tool, or an unknown name of ours
  if (APPS.includes(from)) return true;
  const source = LAYER_ORDER.indexOf(from);
  return source >= 0 && source < target;
}

/**
 * ownPackageOf splits a bare specifier into the package name (if it is ours) and the subpath.
 * @param {string} specifier
 * @returns {{ name: string, subpath: string } | undefined}
 */
export function ownPackageOf(specifier) {
  if (!specifier.startsWith(SCOPE)) return undefined;
  const [scope, name, ...rest] = specifier.split("/");
  return { name: `${scope}/${name}`, subpath: rest.join("/") };
}
