/**
 * The servers the client's tests run against, behind one factory so the same suite runs
 * against the real etcd 3.4 now and against our own server once it exists:
 * `ETCD_TEST_SERVER=real` (default) starts Debian's `etcd`; `ETCD_TEST_SERVER=ours` starts
 * etcd-ts's daemon (apps/etcd/bin/etcd.js) with the same flags — single members only until
 * clustering exists.
 *
 * Unlike @etcd-ts/testkit's `startRealEtcd`, a server here can be restarted on the same
 * port and data dir (for resume-after-restart tests) and clusters of several members can be
 * started.
 */
import { after, before } from "node:test";
import { Client } from "../../src/index.js";
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServedBy, exitedError, freePort, freeze, PortTakenError } from "@etcd-ts/testkit";

/** TestMember is one member process. */
export interface TestMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly clientAddress: string;
  /** kill stops the process with SIGKILL (its data stays). */
  kill(): Promise<void>;
  /** start (re)starts the process on the same ports and data dir. */
  start(): Promise<void>;
  /** pause freezes the process (SIGSTOP) and resolves once it is stopped: connections stay open, nothing answers. */
  pause(): Promise<void>;
}

/** TestCluster is a running cluster of one or more members. */
export interface TestCluster {
  readonly members: readonly TestMember[];
  /** endpoints are the members' client URLs. */
  readonly endpoints: string[];
  /** stop kills every member and removes the data. */
  stop(): Promise<void>;
}

const KIND = process.env["ETCD_TEST_SERVER"] ?? "real";
/** ours: etcd-ts's daemon (apps/etcd/bin/etcd.js, built), started with the same flags as etcd. */
const OUR_DAEMON = new URL("../../../../apps/etcd/bin/etcd.js", import.meta.url).pathname;
const ETCD_BINARY = process.env["ETCD_BINARY"] ?? (KIND === "ours" ? OUR_DAEMON : "etcd");

/** ServerTls: the PEM files a TLS server is started with (and a test client needs). */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** clientCertFile / clientKeyFile: a client certificate signed by the CA (for the health check). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** getJson fetches a JSON document over http, or over https with the test CA and client certificate. */
async function getJson(url: string, tls: ServerTls | undefined): Promise<unknown> {
  if (tls === undefined) return (await fetch(url)).json();
  const [ca, cert, key] = await Promise.all([readFile(tls.caFile), readFile(tls.clientCertFile), readFile(tls.clientKeyFile)]);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, cert, key }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitHealthy(clientUrl: string, clientPort: number, child: ChildProcess, log: () => string, quorum: boolean, tls: ServerTls | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw exitedError(`etcd exited (${child.exitCode ?? child.signalCode})`, log());
    try {
      const body = (await getJson(`${clientUrl}/${quorum ? "health" : "version"}`, tls)) as { health?: string; etcdserver?: string };
      if (quorum ? body.health === "true" : body.etcdserver !== undefined) {
        checkServedBy(child.pid!, clientPort, log());
        return;
      }
    } catch (error) {
      if (error instanceof PortTakenError) throw error;
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${clientUrl} not healthy within 30 s:\n${log()}`);
}

/**
 * startCluster starts `size` members of the real etcd (a one-member cluster by default).
 * With `tls`, client URLs are `https://` and clients must present a certificate of the CA.
 */
export async function startCluster(size = 1, extraFlags: readonly string[] = [], tls?: ServerTls): Promise<TestCluster> {
  if (KIND !== "real" && KIND !== "ours") throw new Error(`ETCD_TEST_SERVER=${KIND}: expected "real" or "ours"`);
  if (KIND === "ours" && size > 1) throw new Error("ETCD_TEST_SERVER=ours: etcd-ts serves single members only (no peer transport yet)");
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(size, extraFlags, tls);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}

async function startClusterOnce(size: number, extraFlags: readonly string[], tls: ServerTls | undefined): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), "client-test-etcd-"));
  const specs: { name: string; clientPort: number; peerPort: number; dataDir: string }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(root, `m${i}`) });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(",");
  const members = specs.map((spec): TestMember & { firstStart: boolean } => {
    const clientUrl = `${tls === undefined ? "http" : "https"}://127.0.0.1:${spec.clientPort}`;
    const tlsFlags = tls === undefined ? [] : ["--cert-file", tls.certFile, "--key-file", tls.keyFile, "--trusted-ca-file", tls.caFile, "--client-cert-auth"];
    let child: ChildProcess | undefined;
    let stderr = "";
    const member = {
      name: spec.name,
      clientUrl,
      clientAddress: `127.0.0.1:${spec.clientPort}`,
      firstStart: true,
      async start(): Promise<void> {
        if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
        const peerUrl = `http://127.0.0.1:${spec.peerPort}`;
        child = spawn(
          ETCD_BINARY,
          [
            "--name", spec.name,
            "--data-dir", spec.dataDir,
            "--listen-client-urls", clientUrl,
            "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", initialCluster,
            "--initial-cluster-state", "new",
            "--heartbeat-interval", "50",
            "--election-timeout", "500",
            "--log-level", "error",
            ...tlsFlags,
            ...extraFlags,
          ],
          { stdio: ["ignore", "ignore", "pipe"] },
        );
        stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          stderr = (stderr + chunk.toString()).slice(-8000);
        });
        const c = child;
        // A lone member of a bigger cluster is never "healthy" before its peers start.
        await waitHealthy(clientUrl, spec.clientPort, c, () => stderr, size === 1 || !member.firstStart, tls);
        member.firstStart = false;
      },
      async pause(): Promise<void> {
        if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) await freeze(child.pid);
      },
      async kill(): Promise<void> {
        const c = child;
        if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGKILL");
        await exited;
      },
    };
    return member;
  });
  try {
    await Promise.all(members.map((m) => m.start()));
  } catch (error) {
    await Promise.all(members.map((m) => m.kill()));
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  if (size > 1) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const healthy = await getJson(`${members[0]!.clientUrl}/health`, tls).then(
        (b) => (b as { health?: string }).health === "true",
        () => false,
      );
      if (healthy) break;
      if (Date.now() > deadline) throw new Error("cluster not healthy within 30 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async stop(): Promise<void> {
      await Promise.all(members.map((m) => m.kill()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** startServer starts a one-member cluster. */
export function startServer(extraFlags: readonly string[] = [], tls?: ServerTls): Promise<TestCluster> {
  return startCluster(1, extraFlags, tls);
}

/** deadEndpoint returns the URL of a port where nothing listens. */
export async function deadEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * useServerAndClient registers the usual hooks of a test file: a one-member server and a
 * client of it before the tests, both closed after. `onReady` receives them.
 */
export function useServerAndClient(onReady: (server: TestCluster, client: Client) => void): void {
  let server: TestCluster | undefined;
  let client: Client | undefined;
  before(async () => {
    server = await startServer();
    client = new Client({ endpoints: server.endpoints });
    onReady(server, client);
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });
}
