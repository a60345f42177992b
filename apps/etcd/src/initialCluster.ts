/**
 * initialCluster: `--initial-cluster` (`name=peerURL,...`) read and checked as etcd 3.4
 * checks it when bootstrapping a member: every URL valid, this member's name present,
 * and its URLs there equal to `--initial-advertise-peer-urls`.
 *
 * etcd runs these checks only when the data dir holds no member yet (a restarted member
 * ignores the initial-cluster flags); the caller decides whether to call them.
 * Unlike `parseInitialCluster` of @etcd-ts/server, this reports etcd's error texts.
 */
import { parseEtcdUrls } from "./goValues.js";

/** InitialClusterResult is the cluster as name → sorted peer URLs, or etcd's error text. */
export type InitialClusterResult =
  | { readonly ok: true; readonly members: ReadonlyMap<string, readonly string[]> }
  | { readonly ok: false; readonly error: string };

/** readInitialCluster parses `name=url,name=url2,...` as etcd's `types.NewURLsMap`. */
export function readInitialCluster(text: string): InitialClusterResult {
  const byName = new Map<string, string[]>();
  for (const part of text.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const url = eq < 0 ? "" : part.slice(eq + 1);
    byName.set(name, [...(byName.get(name) ?? []), url]);
  }
  const members = new Map<string, readonly string[]>();
  for (const [name, urls] of byName) {
    const parsed = parseEtcdUrls(urls.join(","));
    if (!parsed.ok) return { ok: false, error: `error setting up initial cluster: ${parsed.error}` };
    members.set(name, parsed.value);
  }
  return { ok: true, members };
}

/**
 * checkBootstrap runs etcd's bootstrap checks of the initial cluster against this member
 * (`VerifyBootstrap`/`VerifyJoinExisting`): returns etcd's (fatal) error text, or undefined.
 */
export function checkBootstrap(name: string, initialCluster: string, advertisePeerUrls: readonly string[]): string | undefined {
  const cluster = readInitialCluster(initialCluster);
  if (!cluster.ok) return cluster.error;
  if (cluster.members.size === 0) return "initial cluster unset and no discovery URL found";
  const own = cluster.members.get(name);
  if (!own) return `couldn't find local name ${JSON.stringify(name)} in the initial cluster configuration`;
  const seen = new Map<string, string>();
  for (const [member, urls] of cluster.members) {
    for (const url of urls) {
      if (seen.has(url)) return `initial cluster ${initialCluster} has duplicate url ${url}`;
      seen.set(url, member);
    }
  }
  const advertised = [...advertisePeerUrls].sort();
  const mismatch = urlListMismatch(advertised, [...own]);
  if (mismatch !== undefined) {
    return `--initial-cluster has ${name}=${own.join(",")} but missing from --initial-advertise-peer-urls=${advertised.join(",")} (${mismatch})`;
  }
  return undefined;
}

/** urlListMismatch compares two sorted URL lists as etcd's `netutil.URLStringsEqual` reports. */
function urlListMismatch(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length !== b.length) return `len(${goList(a)}) != len(${goList(b)})`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return `resolved urls: ${JSON.stringify(a[i])} != ${JSON.stringify(b[i])}`;
  }
  return undefined;
}

const goList = (items: readonly string[]): string => `[${items.map((item) => JSON.stringify(item)).join(" ")}]`;
