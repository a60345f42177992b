/**
 * Starts the real etcd 3.4 (Debian's `etcd` binary) as a single member on 127.0.0.1 for
 * integration tests, in a temporary data dir removed on stop.
 *
 * Ports come from `freePort` (reserved across the test processes); a start that still loses
 * its port to a process outside the reservations is retried on new ports.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServedBy, exitedError, freePort, PortTakenError } from "./ports.js";

/** RealEtcd is a running etcd process. */
export interface RealEtcd {
  /** clientAddress is `127.0.0.1:<port>` for gRPC. */
  readonly clientAddress: string;
  readonly clientUrl: string;
  readonly dataDir: string;
  /** stop kills the process and removes its data dir. */
  stop(): Promise<void>;
}

const ETCD_BINARY = process.env["ETCD_BINARY"] ?? "etcd";


/** RealEtcdTls serves the client URL over TLS: the files of etcd's flags, and what the health probe presents. */
export interface RealEtcdTls {
  /** ca: `--trusted-ca-file` (with `clientCertAuth`) and the CA the probe trusts. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** clientCertAuth adds `--client-cert-auth`; the probe then presents `client`. */
  readonly clientCertAuth?: boolean;
  readonly client?: { readonly cert: string; readonly key: string };
}

function httpsHealth(url: string, tls: RealEtcdTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = tls.client ? { cert: readFileSync(tls.client.cert), key: readFileSync(tls.client.key) } : {};
    const request = httpsGet(url, { ca: readFileSync(tls.ca), ...client }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(body));
    });
    request.on("error", reject);
  });
}

async function waitHealthy(clientUrl: string, clientPort: number, child: ChildProcess, log: () => string, tls?: RealEtcdTls): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw exitedError(`etcd exited with ${child.exitCode}`, log());
    try {
      const text = tls ? await httpsHealth(`${clientUrl}/health`, tls) : await (await fetch(`${clientUrl}/health`)).text();
      const body = JSON.parse(text) as { health?: string };
      if (body.health === "true") {
        // Healthy, but is it ours? Another process on the port would answer just the same.
        checkServedBy(child.pid!, clientPort, log());
        return;
      }
    } catch (error) {
      if (error instanceof PortTakenError) throw error;
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd did not become healthy within 20 s:\n${log()}`);
}

/**
 * startRealEtcd starts one etcd member; extra flags are appended to the command line.
 * `binary` may name another daemon taking etcd's flags (etcd-ts's apps/etcd/bin/etcd.js).
 * With `tls`, the client URL is https:// and etcd gets the certificate flags.
 */
export async function startRealEtcd(extraFlags: readonly string[] = [], binary: string = ETCD_BINARY, tls?: RealEtcdTls): Promise<RealEtcd> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), "real-etcd-"));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const clientUrl = `${tls ? "https" : "http"}://127.0.0.1:${clientPort}`;
    const tlsFlags = tls
      ? ["--cert-file", tls.cert, "--key-file", tls.key, ...(tls.clientCertAuth ? ["--client-cert-auth", "--trusted-ca-file", tls.ca] : [])]
      : [];
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const child = spawn(
      binary,
      [
        "--name", "oracle",
        "--data-dir", dataDir,
        "--listen-client-urls", clientUrl,
        "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl,
        "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", `oracle=${peerUrl}`,
        "--log-level", "error",
        ...tlsFlags,
        ...extraFlags,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    };
    try {
      await waitHealthy(clientUrl, clientPort, child, () => stderr, tls);
      return { clientAddress: `127.0.0.1:${clientPort}`, clientUrl, dataDir, stop };
    } catch (error) {
      lastError = error;
      await stop();
      if (!(error instanceof PortTakenError)) break;
    }
  }
  throw lastError;
}
