/**
 * startMember: one etcd member as a child process on 127.0.0.1 — the real etcd 3.4 (Debian's
 * `etcd`, or $ETCD_BINARY), etcd-ts's daemon (apps/etcd/bin/etcd.js of this monorepo), or any
 * program that takes etcd's flags — for tests and for the benchmarks' side-by-side runs.
 *
 * What it guarantees: the member serves on ports reserved by {@link freePort} (so parallel
 * test processes never share one), the process that answers the health probe is the child
 * itself ({@link checkServedBy}), and a start that lost its port to a process outside the
 * reservations is retried on new ports (when the ports were not given).
 *
 * What it does not do: it runs etcd-ts's daemon by path (`node apps/etcd/bin/etcd.js`), never
 * by importing it — this package imports nothing of ours — so the daemon must be built
 * (`pnpm build`); a missing build is an error that says so, there is no fallback server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freeze } from "./freeze.js";
import { checkServedBy, exitedError, freePort, PortTakenError } from "./ports.js";

/**
 * MemberBinary chooses the server: `"etcd"` is the real etcd ($ETCD_BINARY, else `etcd` on
 * PATH), `"etcd-ts"` is this monorepo's daemon run by node, any other string is a path
 * (a `.js`/`.mjs` file is run by node, anything else executed as is).
 */
export type MemberBinary = "etcd" | "etcd-ts" | (string & {});

/** MemberTls serves the client URL over TLS: the files of etcd's flags, and what the health probe presents. */
export interface MemberTls {
  /** ca: `--trusted-ca-file` (with `clientCertAuth`) and the CA the probe trusts. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** clientCertAuth adds `--client-cert-auth --trusted-ca-file <ca>`; the probe then presents `client`. */
  readonly clientCertAuth?: boolean;
  readonly client?: { readonly cert: string; readonly key: string };
}

/** MemberPorts are a member's client and peer ports (both on 127.0.0.1). */
export interface MemberPorts {
  readonly client: number;
  readonly peer: number;
}

/** MemberOptions configure {@link startMember}. */
export interface MemberOptions {
  /** binary: which server; default `"etcd"`. */
  readonly binary?: MemberBinary;
  /** flags are appended to the command line after the ones startMember writes. */
  readonly flags?: readonly string[];
  /** tls: the client URL is https:// and the server gets the certificate flags. */
  readonly tls?: MemberTls;
  /** restartable: the member keeps its data dir and ports after kill(), and restart() is allowed. */
  readonly restartable?: boolean;
  /** name: `--name`; default `m0`. */
  readonly name?: string;
  /** dataDir: `--data-dir`; default a new temporary directory, removed by stop(). A given one is left in place. */
  readonly dataDir?: string;
  /**
   * ports: use these (already reserved) ports instead of reserving new ones; then a start
   * that loses its port is not retried. A cluster's members are started this way.
   */
  readonly ports?: MemberPorts;
  /** initialCluster: `--initial-cluster`; default this member alone (`<name>=<peer URL>`). */
  readonly initialCluster?: string;
  /**
   * ready: what the first start waits for — `"health"` (`/health` says true: the member has
   * a leader) or `"version"` (`/version` answers: it serves, with or without quorum; for the
   * members of a cluster started at once). Restarts always wait for health. Default health.
   */
  readonly ready?: "health" | "version";
  /** nodeArgs: node flags for a server run by node (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** readyTimeoutMs: how long a start may take; default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** Member is a running (or, when restartable, stopped) member process. */
export interface Member {
  readonly name: string;
  /** clientAddress is `127.0.0.1:<client port>` (gRPC, etcdctl). */
  readonly clientAddress: string;
  /** clientUrl is `http(s)://127.0.0.1:<client port>`. */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly ports: MemberPorts;
  readonly dataDir: string;
  /** command is the command line of the last start (`node` for node's own path). */
  readonly command: readonly string[];
  /** pid of the current process. */
  readonly pid: number;
  /** running: the process has not exited. */
  readonly running: boolean;
  /**
   * stop ends the process with `signal` (default SIGKILL; SIGKILL follows after 5 s if it
   * is still running) and removes the data dir if startMember made it.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** kill sends `signal` (default SIGKILL) and waits for the exit; the data dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** restart kills the process if it runs, then starts it again on the same ports and data dir and waits for health (restartable members only). */
  restart(): Promise<void>;
  /** freeze stops the process (SIGSTOP) and resolves once every thread is stopped: connections stay open, nothing answers. */
  freeze(): Promise<void>;
  /** thaw resumes a frozen process (SIGCONT). */
  thaw(): void;
  /** healthy: `/health` answers true now (false when it does not answer). */
  healthy(): Promise<boolean>;
}

const here = fileURLToPath(new URL(".", import.meta.url));

/** etcdTsDaemonPath is apps/etcd/bin/etcd.js of this monorepo (from tools/testkit/src or dist). */
export const etcdTsDaemonPath: string = join(here, "..", "..", "..", "apps", "etcd", "bin", "etcd.js");

/**
 * DaemonNotBuiltError: etcd-ts's daemon cannot run from this checkout (its bin or its
 * compiled dist is missing); `pnpm build` makes both.
 */
export class DaemonNotBuiltError extends Error {
  override readonly name = "DaemonNotBuiltError";
}

/** assertDaemonBuilt throws DaemonNotBuiltError unless apps/etcd/bin/etcd.js and its dist exist. */
export function assertDaemonBuilt(): void {
  const dist = join(etcdTsDaemonPath, "..", "..", "dist", "index.js");
  if (!existsSync(etcdTsDaemonPath) || !existsSync(dist)) {
    throw new DaemonNotBuiltError(`etcd-ts's daemon is not built (${existsSync(etcdTsDaemonPath) ? dist : etcdTsDaemonPath} is missing): run \`pnpm build\` at the workspace root`);
  }
}

/** commandOf is the program and leading arguments that run `binary`. */
function commandOf(binary: MemberBinary, nodeArgs: readonly string[]): { program: string; args: readonly string[] } {
  if (binary === "etcd") return { program: process.env["ETCD_BINARY"] ?? "etcd", args: [] };
  if (binary === "etcd-ts") {
    assertDaemonBuilt();
    return { program: process.execPath, args: [...nodeArgs, etcdTsDaemonPath] };
  }
  if (/\.[cm]?js$/.test(binary)) return { program: process.execPath, args: [...nodeArgs, binary] };
  return { program: binary, args: [] };
}

function getText(url: string, tls: MemberTls | undefined): Promise<string> {
  if (tls === undefined) return fetch(url).then((response) => response.text());
  return new Promise((resolve, reject) => {
    const client = tls.client ? { cert: readFileSync(tls.client.cert), key: readFileSync(tls.client.key) } : {};
    const request = httpsGet(url, { ca: readFileSync(tls.ca), ...client }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(body));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

/** probe: whether the member at `clientUrl` answers `ready`. */
async function probe(clientUrl: string, ready: "health" | "version", tls: MemberTls | undefined): Promise<boolean> {
  const body = JSON.parse(await getText(`${clientUrl}/${ready}`, tls)) as { health?: string; etcdserver?: string };
  return ready === "health" ? body.health === "true" : body.etcdserver !== undefined;
}

/** waitReady resolves once `child` answers `ready` on its own port; it throws if the child exits or the time runs out. */
async function waitReady(child: ChildProcess, clientUrl: string, clientPort: number, ready: "health" | "version", tls: MemberTls | undefined, timeoutMs: number, log: () => string): Promise<void> {
  // A program that is missing or not executable never gets a pid (its "error" event follows).
  if (child.pid === undefined) throw new Error(`could not run ${child.spawnfile}: not installed, or not executable (ETCD_BINARY names another etcd)`);
  const exited = exitOf(child);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw exitedError(`${basename(String(child.spawnfile))} exited (${child.exitCode ?? child.signalCode})`, log());
    try {
      if (await probe(clientUrl, ready, tls)) {
        // It answers, but is it the child? Another process on the port would answer the same.
        checkServedBy(child.pid, clientPort, log());
        return;
      }
    } catch (error) {
      if (error instanceof PortTakenError) throw error;
      // not serving yet
    }
    // The next probe, or sooner if the child exits.
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), exited]);
  }
  throw new Error(`${clientUrl} did not answer /${ready} within ${timeoutMs} ms:\n${log()}`);
}

/** exitOf resolves when `child` exits (never rejects, unlike events.once on an "error"). */
function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  // A frozen process handles no signal but SIGKILL: wake it first.
  child.kill("SIGCONT");
  child.kill(signal);
  const timer = signal === "SIGKILL" ? undefined : setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** startOnce starts the member on `ports`; it throws PortTakenError when the ports are lost. */
async function startOnce(options: MemberOptions, ports: MemberPorts, dataDir: string, ownDataDir: boolean): Promise<Member> {
  const binary = options.binary ?? "etcd";
  const name = options.name ?? "m0";
  const tls = options.tls;
  const clientUrl = `${tls ? "https" : "http"}://127.0.0.1:${ports.client}`;
  const peerUrl = `http://127.0.0.1:${ports.peer}`;
  const tlsFlags = tls
    ? ["--cert-file", tls.cert, "--key-file", tls.key, ...(tls.clientCertAuth ? ["--client-cert-auth", "--trusted-ca-file", tls.ca] : [])]
    : [];
  const flags = [
    "--name", name,
    "--data-dir", dataDir,
    "--listen-client-urls", clientUrl,
    "--advertise-client-urls", clientUrl,
    "--listen-peer-urls", peerUrl,
    "--initial-advertise-peer-urls", peerUrl,
    "--initial-cluster", options.initialCluster ?? `${name}=${peerUrl}`,
    "--initial-cluster-state", "new",
    "--log-level", "error",
    ...tlsFlags,
    ...(options.flags ?? []),
  ];
  const { program, args } = commandOf(binary, options.nodeArgs ?? []);
  const command = [program === process.execPath ? "node" : program, ...args, ...flags];
  const timeoutMs = options.readyTimeoutMs ?? 30_000;

  let child!: ChildProcess;
  let stderr = "";
  const launch = async (ready: "health" | "version"): Promise<void> => {
    stderr = "";
    child = spawn(program, [...args, ...flags], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    // spawn errors (ENOENT) arrive as an event; waitReady reports them.
    child.once("error", () => {});
    await waitReady(child, clientUrl, ports.client, ready, tls, timeoutMs, () => stderr);
  };

  const member: Member = {
    name,
    clientAddress: `127.0.0.1:${ports.client}`,
    clientUrl,
    peerUrl,
    ports,
    dataDir,
    command,
    get pid() {
      return child.pid ?? -1;
    },
    get running() {
      return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async stop(signal = "SIGKILL") {
      await killChild(child, signal);
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
    kill: (signal = "SIGKILL") => killChild(child, signal),
    async restart() {
      if (options.restartable !== true) throw new Error(`member ${name} was not started restartable`);
      await killChild(child, "SIGKILL");
      try {
        await launch("health");
      } catch (error) {
        await killChild(child, "SIGKILL");
        throw error;
      }
    },
    async freeze() {
      if (member.running && child.pid !== undefined) await freeze(child.pid);
    },
    thaw() {
      if (member.running) child.kill("SIGCONT");
    },
    healthy: () => probe(clientUrl, "health", tls).catch(() => false),
  };
  try {
    await launch(options.ready ?? "health");
  } catch (error) {
    await killChild(child, "SIGKILL");
    throw error;
  }
  return member;
}

/**
 * startMember starts one member and resolves once it serves on its own port; see the module
 * comment. The caller stops it with `stop()`.
 *
 * @example
 * const etcd = await startMember({ binary: "etcd", flags: ["--auth-token", "simple"] });
 * // ... talk to etcd.clientAddress ...
 * await etcd.stop();
 */
export async function startMember(options: MemberOptions = {}): Promise<Member> {
  const binary = options.binary ?? "etcd";
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ownDataDir = options.dataDir === undefined;
    const label = binary === "etcd" || binary === "etcd-ts" ? binary : basename(binary).replace(/\.[cm]?js$/, "");
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `member-${label}-`)));
    const ports = options.ports ?? { client: await freePort(), peer: await freePort() };
    try {
      return await startOnce(options, ports, dataDir, ownDataDir);
    } catch (error) {
      lastError = error;
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
      if (!(error instanceof PortTakenError) || options.ports !== undefined) break;
    }
  }
  throw lastError;
}
