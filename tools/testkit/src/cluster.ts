/**
 * startCluster: `size` members of one server on 127.0.0.1, started at once with one
 * `--initial-cluster`, each by {@link startMember} on ports reserved up front. It resolves
 * once every member serves and the first one reports health (the cluster has a leader).
 *
 * Members are started with `ready: "version"` when size > 1: a lone member of a bigger
 * cluster is never healthy before its peers run. A start that loses a port is retried on new
 * ports, the whole cluster at once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, PortTakenError } from "./ports.js";
import { startMember, type Member, type MemberOptions } from "./member.js";

/** ClusterOptions are startMember's options for every member, without those the cluster sets. */
export interface ClusterOptions extends Omit<MemberOptions, "name" | "dataDir" | "ports" | "initialCluster" | "ready"> {
  /** size: how many members; default 1. */
  readonly size?: number;
}

/** Cluster is a running cluster of one or more members. */
export interface Cluster {
  readonly members: readonly Member[];
  /** endpoints are the members' client URLs. */
  readonly endpoints: readonly string[];
  /** stop ends every member (see Member.stop) and removes the data. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function startClusterOnce(options: ClusterOptions, size: number): Promise<Cluster> {
  const label = typeof options.binary === "string" && (options.binary === "etcd" || options.binary === "etcd-ts") ? options.binary : "etcd";
  const root = await mkdtemp(join(tmpdir(), `cluster-${label}-`));
  const specs: { name: string; ports: { client: number; peer: number } }[] = [];
  for (let i = 0; i < size; i++) specs.push({ name: `m${i}`, ports: { client: await freePort(), peer: await freePort() } });
  const initialCluster = specs.map((spec) => `${spec.name}=http://127.0.0.1:${spec.ports.peer}`).join(",");
  const started = await Promise.allSettled(
    specs.map((spec) =>
      startMember({ ...options, name: spec.name, ports: spec.ports, dataDir: join(root, spec.name), initialCluster, ready: size === 1 ? "health" : "version" }),
    ),
  );
  const members = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const stop = async (signal?: NodeJS.Signals): Promise<void> => {
    await Promise.all(members.map((member) => member.stop(signal)));
    await rm(root, { recursive: true, force: true });
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  if (size > 1) {
    try {
      await waitHealthy(members[0]!, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return { members, endpoints: members.map((member) => member.clientUrl), stop };
}

async function waitHealthy(member: Member, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await member.healthy())) {
    if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** startCluster starts the cluster; see the module comment. The caller stops it with `stop()`. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const size = options.size ?? 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(options, size);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}
