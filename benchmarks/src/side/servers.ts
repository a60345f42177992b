/**
 * servers: starting the two servers of a side-by-side run with the same etcd flags — the real
 * etcd (`etcd` on PATH, or $ETCD_BINARY) and etcd-ts (`node apps/etcd/bin/etcd.js`, the
 * daemon `pnpm build` makes) — through @etcd-ts/testkit's startCluster / startMember: ports
 * reserved across processes, the child checked to own its port, a fresh temporary data dir
 * per start, removed on stop. There is no fallback: a daemon that is not built is an error
 * that says to run `pnpm build`.
 *
 * `members > 1` starts a cluster on 127.0.0.1; for etcd-ts that is refused with
 * {@link NotAvailableError} until clustering lands (set ETCD_TS_CLUSTERING=1 to try).
 * $ETCD_TS_NODE_ARGS adds node flags to etcd-ts (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { startCluster } from "@etcd-ts/testkit";
import { cpuSeconds, peakRssKb } from "./procStats.js";

/** ServerKind names the two servers compared; they are also testkit's binary names. */
export type ServerKind = "etcd" | "etcd-ts";

/** NotAvailableError: this server cannot run this configuration (yet). */
export class NotAvailableError extends Error {
  override readonly name = "NotAvailableError";
}

/** Member is one running member process. */
export interface Member {
  readonly pid: number;
  /** endpoint is `127.0.0.1:<client port>`. */
  readonly endpoint: string;
  /** command is the exact command line it was started with. */
  readonly command: readonly string[];
}

/** ServerCluster is a running server: one or more members. */
export interface ServerCluster {
  readonly kind: ServerKind;
  readonly members: readonly Member[];
  /** endpoints of all members, for --endpoints. */
  readonly endpoints: readonly string[];
  /** peakRssKb is the largest VmHWM over the members so far (KiB). */
  peakRssKb(): number | undefined;
  /** cpuSeconds is the members' total CPU time so far. */
  cpuSeconds(): number | undefined;
  /** stop ends every member (SIGTERM, SIGKILL after 5 s) and removes the data dirs. */
  stop(): Promise<void>;
}

/** startServer starts `kind` with `members` members (1: single member); see the module comment. */
export async function startServer(kind: ServerKind, members = 1): Promise<ServerCluster> {
  if (kind === "etcd-ts" && members > 1 && process.env["ETCD_TS_CLUSTERING"] !== "1") {
    throw new NotAvailableError("not available: clustering not built");
  }
  const nodeArgs = (process.env["ETCD_TS_NODE_ARGS"] ?? "").split(" ").filter((a) => a.length > 0);
  const cluster = await startCluster({ binary: kind, size: members, nodeArgs });
  const started: Member[] = cluster.members.map((m) => ({ pid: m.pid, endpoint: m.clientAddress, command: m.command }));
  const pids = started.map((m) => m.pid);
  return {
    kind,
    members: started,
    endpoints: started.map((m) => m.endpoint),
    peakRssKb: () => {
      const values = pids.map(peakRssKb).filter((v): v is number => v !== undefined);
      return values.length === 0 ? undefined : Math.max(...values);
    },
    cpuSeconds: () => {
      const values = pids.map(cpuSeconds).filter((v): v is number => v !== undefined);
      return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
    },
    stop: () => cluster.stop("SIGTERM"),
  };
}
