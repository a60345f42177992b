/**
 * etcdutl's command line: `snapshot status FILE [-w simple|table|json]` and
 * `snapshot restore FILE [--data-dir ...] [--name ...] [--initial-cluster ...]
 * [--initial-cluster-token ...] [--initial-advertise-peer-urls ...] [--skip-hash-check]`,
 * with etcdctl 3.4's flag names and defaults.
 */
import { restoreSnapshot } from "./restore.js";
import { formatStatus, snapshotStatus } from "./status.js";

/** runEtcdutl runs one command; it returns the exit code and writes to the given streams. */
export async function runEtcdutl(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-")) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    if (name === "skip-hash-check") flags.set(name, inline ?? "true");
    else flags.set(name === "w" ? "write-out" : name, inline ?? argv[++i] ?? "");
  }
  const [group, command, file] = positional;
  if (group !== "snapshot" || (command !== "status" && command !== "restore") || file === undefined) {
    err("Usage:\n  etcdutl snapshot status <filename> [-w simple|table|json]\n  etcdutl snapshot restore <filename> [flags]\n");
    return group === undefined ? 0 : 1;
  }
  try {
    if (command === "status") {
      out(formatStatus(await snapshotStatus(file), flags.get("write-out") ?? "simple"));
      return 0;
    }
    const name = flags.get("name") ?? "default";
    const peerUrls = (flags.get("initial-advertise-peer-urls") ?? "http://localhost:2380").split(",");
    const result = await restoreSnapshot(file, {
      name,
      dataDir: flags.get("data-dir") ?? `${name}.etcd`,
      walDir: flags.get("wal-dir"),
      initialCluster: flags.get("initial-cluster") ?? `${name}=${peerUrls.join(`,${name}=`)}`,
      initialClusterToken: flags.get("initial-cluster-token") ?? "etcd-cluster",
      initialAdvertisePeerUrls: peerUrls,
      skipHashCheck: flags.get("skip-hash-check") === "true",
    });
    err(`restored snapshot: member ${result.memberId.toString(16)} of cluster ${result.clusterId.toString(16)} (${result.members} member${result.members === 1 ? "" : "s"})\n`);
    return 0;
  } catch (error) {
    err(`Error: ${(error as Error).message}\n`);
    return 1;
  }
}
