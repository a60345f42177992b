/**
 * servers: starting the two servers of a side-by-side run as child processes on 127.0.0.1
 * with the same etcd flags — the real etcd (`etcd` on PATH, or $ETCD_BINARY) and etcd-ts
 * (`node apps/etcd/bin/etcd.js` when it answers `--version`, else this package's
 * fallbackServer) — each in a fresh temporary data dir removed on stop.
 *
 * `members > 1` starts a cluster on 127.0.0.1; for etcd-ts that is refused with
 * {@link NotAvailableError} until clustering lands (set ETCD_TS_CLUSTERING=1 to try).
 * $ETCD_TS_NODE_ARGS adds node flags to etcd-ts (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds, peakRssKb } from "./procStats.js";

/** ServerKind names the two servers compared. */
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
  /** stop kills every member (SIGKILL after SIGTERM) and removes the data dirs. */
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL(".", import.meta.url));
/** DAEMON is apps/etcd/bin/etcd.js of this monorepo (from src/side or dist/side). */
const DAEMON = join(here, "..", "..", "..", "apps", "etcd", "bin", "etcd.js");
const FALLBACK = join(here, `fallbackServer${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`);

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** freePort returns a free port in [20000, 32000), below the kernel's ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await portIsFree(port)) return port;
  }
  throw new Error("no free port in [20000, 32000)");
}

let daemonWorks: boolean | undefined;

/** etcdTsCommand is how etcd-ts is started: the daemon if it runs, else the fallback. */
export function etcdTsCommand(): { command: string; args: readonly string[]; daemon: boolean } {
  const nodeArgs = (process.env["ETCD_TS_NODE_ARGS"] ?? "").split(" ").filter((a) => a.length > 0);
  daemonWorks ??= existsSync(DAEMON) && spawnSync(process.execPath, [DAEMON, "--version"], { stdio: "ignore", timeout: 10_000 }).status === 0;
  if (daemonWorks) return { command: process.execPath, args: [...nodeArgs, DAEMON], daemon: true };
  const loader = FALLBACK.endsWith(".ts") ? ["--import", "tsx"] : [];
  return { command: process.execPath, args: [...nodeArgs, ...loader, FALLBACK], daemon: false };
}

async function waitHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log()}`);
    try {
      const body = (await (await fetch(`${url}/health`)).json()) as { health?: string };
      if (body.health === "true") return;
    } catch {
      // not serving yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not healthy within 30 s:\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** startServer starts `kind` with `members` members (1: single member); see the module comment. */
export async function startServer(kind: ServerKind, members = 1): Promise<ServerCluster> {
  if (kind === "etcd-ts" && members > 1 && process.env["ETCD_TS_CLUSTERING"] !== "1") {
    throw new NotAvailableError("not available: clustering not built");
  }
  const names = Array.from({ length: members }, (_, i) => `m${i}`);
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < members; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(",");
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const started: Member[] = [];
  try {
    await Promise.all(
      names.map(async (name, i) => {
        const dir = await mkdtemp(join(tmpdir(), `bench-${kind}-`));
        dirs.push(dir);
        const client = `http://127.0.0.1:${ports[i]!.client}`;
        const peer = `http://127.0.0.1:${ports[i]!.peer}`;
        const flags = [
          "--name", name,
          "--data-dir", dir,
          "--listen-client-urls", client,
          "--advertise-client-urls", client,
          "--listen-peer-urls", peer,
          "--initial-advertise-peer-urls", peer,
          "--initial-cluster", initialCluster,
          "--initial-cluster-state", "new",
          "--log-level", "error",
        ];
        const base = kind === "etcd" ? { command: process.env["ETCD_BINARY"] ?? "etcd", args: [] as readonly string[] } : etcdTsCommand();
        const daemonFlags = kind === "etcd-ts" && !etcdTsCommand().daemon ? flags.slice(0, 14) : flags;
        const child = spawn(base.command, [...base.args, ...daemonFlags], { stdio: ["ignore", "ignore", "pipe"] });
        children.push(child);
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
        await waitHealthy(client, child, () => stderr);
        started[i] = { pid: child.pid!, endpoint: `127.0.0.1:${ports[i]!.client}`, command: [base.command === process.execPath ? "node" : base.command, ...base.args, ...daemonFlags] };
      }),
    );
  } catch (error) {
    await Promise.all(children.map(stopChild));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    throw error;
  }
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
    stop: async () => {
      await Promise.all(children.map(stopChild));
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
