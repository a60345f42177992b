/**
 * fallbackServer: a child-process etcd-ts member for the side-by-side runner when the
 * daemon (`apps/etcd/bin/etcd.js`) does not run. It takes the subset of etcd's flags the
 * runner passes (`--name`, `--data-dir`, `--listen-client-urls`, `--advertise-client-urls`,
 * `--listen-peer-urls`, `--initial-advertise-peer-urls`, `--initial-cluster`; others are
 * ignored), starts @etcd-ts/server's `startEtcd`, prints `ready` on stdout and stops on
 * SIGTERM/SIGINT.
 */
import { startEtcd, type EtcdConfig } from "@etcd-ts/server";

const names: Record<string, keyof EtcdConfig> = {
  "--name": "name",
  "--data-dir": "dataDir",
  "--listen-client-urls": "listenClientUrls",
  "--advertise-client-urls": "advertiseClientUrls",
  "--listen-peer-urls": "listenPeerUrls",
  "--initial-advertise-peer-urls": "initialAdvertisePeerUrls",
  "--initial-cluster": "initialCluster",
};
const lists = new Set<keyof EtcdConfig>(["listenClientUrls", "advertiseClientUrls", "listenPeerUrls", "initialAdvertisePeerUrls"]);

const config: Record<string, unknown> = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
  const field = names[flag];
  const value = inline ?? argv[i + 1];
  if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) i++;
  if (field === undefined || value === undefined) continue;
  config[field] = lists.has(field) ? value.split(",") : value;
}

const etcd = await startEtcd(config as Partial<EtcdConfig>);
process.stdout.write("ready\n");
const stop = (): void => void etcd.close().then(() => process.exit(0), () => process.exit(1));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
