/**
 * Test support for the JSON gateway: our member with the gateway served on its own HTTP
 * port (the gateway is not wired into startEtcd's client port by these tests), and a small
 * HTTP client that sees what curl sees: status, headers, raw body, trailers.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startEtcd, type Etcd } from "../../src/index.js";
import { gatewayHandler } from "../../src/gateway/index.js";
import { GrpcServer } from "../../src/grpc/GrpcServer.js";
import { registerAuth } from "../../src/v3rpc/auth.js";
import { registerCluster } from "../../src/v3rpc/cluster.js";
import { registerElection } from "../../src/v3rpc/election.js";
import { registerKV } from "../../src/v3rpc/kv.js";
import { registerLease } from "../../src/v3rpc/lease.js";
import { registerLock } from "../../src/v3rpc/lock.js";
import { registerMaintenance } from "../../src/v3rpc/maintenance.js";
import { registerWatch } from "../../src/v3rpc/watch.js";

/** GatewayMember is our member plus a gateway URL over it. */
export interface GatewayMember {
  readonly etcd: Etcd;
  readonly grpc: GrpcServer;
  /** url is `http://127.0.0.1:<port>` of the gateway. */
  readonly url: string;
  close(): Promise<void>;
}

/** serveGateway serves a gateway over `grpc` on a fresh port. */
export async function serveGateway(grpc: GrpcServer): Promise<{ url: string; server: Server }> {
  const server = createServer(gatewayHandler(grpc));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** startGatewayMember starts our member and a gateway over all of its services. */
export async function startGatewayMember(services: "all" | "kv-only" = "all"): Promise<GatewayMember> {
  const etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
  const grpc = new GrpcServer({ maxReceiveMessageSize: etcd.config.maxRequestBytes + 512 * 1024 });
  registerKV(grpc, etcd.server);
  if (services === "all") {
    registerWatch(grpc, etcd.server);
    registerLease(grpc, etcd.server);
    registerCluster(grpc, etcd.server);
    registerMaintenance(grpc, etcd.server);
    registerAuth(grpc, etcd.server);
    registerLock(grpc, etcd.server);
    registerElection(grpc, etcd.server);
  }
  const { url, server } = await serveGateway(grpc);
  return {
    etcd,
    grpc,
    url,
    async close() {
      grpc.abortAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await etcd.close();
    },
  };
}

/** HttpResult is one HTTP exchange as the client saw it. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly trailers: Record<string, string | undefined>;
}

/** send makes one HTTP/1.1 request and reads the whole response. */
export function send(url: string, path: string, body?: string, method = "POST", headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers: { ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), trailers: res.trailers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** StreamReader is an open streaming response read line by line. */
export interface StreamReader {
  readonly status: Promise<{ status: number; headers: IncomingHttpHeaders }>;
  /** lines resolves once `count` lines arrived in total (all lines so far). */
  lines(count: number, timeoutMs?: number): Promise<string[]>;
  /** raw is every byte received so far. */
  raw(): string;
  /** ended resolves when the server ends the response. */
  readonly ended: Promise<void>;
  close(): void;
}

/** openStream posts `body` and keeps reading the streamed response. */
export function openStream(url: string, path: string, body: string): StreamReader {
  let text = "";
  const waiters: (() => void)[] = [];
  let resolveStatus!: (s: { status: number; headers: IncomingHttpHeaders }) => void;
  let resolveEnded!: () => void;
  const status = new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve) => (resolveStatus = resolve));
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const req = httpRequest(`${url}${path}`, { method: "POST", headers: { "content-length": String(Buffer.byteLength(body)) } }, (res) => {
    resolveStatus({ status: res.statusCode ?? 0, headers: res.headers });
    res.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      for (const w of waiters.splice(0)) w();
    });
    res.on("end", () => resolveEnded());
    res.on("error", () => resolveEnded());
  });
  req.on("error", () => resolveEnded());
  req.end(body);
  const complete = (): string[] => text.split("\n").slice(0, -1);
  return {
    status,
    ended,
    raw: () => text,
    async lines(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (complete().length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} lines; got: ${text}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return complete();
    },
    close: () => req.destroy(),
  };
}
