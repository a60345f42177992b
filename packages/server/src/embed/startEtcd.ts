/**
 * startEtcd: a member in-process, as Go's `embed` package gives one — the daemon's options as
 * a typed object (etcd's defaults), port 0 picking free ports, a temporary data dir (removed
 * on close) when none is given. Resolves once the member serves; `close()` stops it cleanly
 * so the process can exit.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type EtcdConfig } from "../config/EtcdConfig.js";
import { EtcdServer } from "../etcdserver/EtcdServer.js";
import { GrpcServer } from "../grpc/GrpcServer.js";
import { gatewayHandler } from "../gateway/index.js";
import { httpHandler } from "../http/handlers.js";
import { ClientListener } from "../transport/ClientListener.js";
import { registerAuth } from "../v3rpc/auth.js";
import { registerCluster } from "../v3rpc/cluster.js";
import { registerElection } from "../v3rpc/election.js";
import { registerLock } from "../v3rpc/lock.js";
import { registerHealth } from "../v3rpc/health.js";
import { registerKV } from "../v3rpc/kv.js";
import { registerLease } from "../v3rpc/lease.js";
import { registerMaintenance } from "../v3rpc/maintenance.js";
import { registerWatch } from "../v3rpc/watch.js";

/** Etcd is a running embedded member. */
export interface Etcd {
  readonly server: EtcdServer;
  /** clientUrls are the URLs it serves clients on (actual ports when 0 was asked). */
  readonly clientUrls: readonly string[];
  readonly config: EtcdConfig;
  /** close stops the member and removes a temporary data dir. */
  close(): Promise<void>;
}

/** gRPC overhead etcd allows above --max-request-bytes for the message limit. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

/** startEtcd starts a member with etcd's defaults under `options`. */
export async function startEtcd(options: Partial<EtcdConfig> = {}): Promise<Etcd> {
  const temporaryDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "etcd-ts-")) : undefined;
  const base = defaultConfig({ ...options, ...(temporaryDir ? { dataDir: temporaryDir } : {}) });
  let server: EtcdServer | undefined;
  const grpc = new GrpcServer({
    maxReceiveMessageSize: base.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    observer: {
      started: (method) => server?.metrics.callStarted(method),
      handled: (method, code) => server?.metrics.callHandled(method, code),
    },
  });
  const listeners: ClientListener[] = [];
  const gateway = gatewayHandler(grpc, { maxReceiveMessageSize: base.maxRequestBytes + GRPC_OVERHEAD_BYTES });
  let serveHttp: ReturnType<typeof httpHandler> | undefined;
  const http1 = (...args: Parameters<ReturnType<typeof httpHandler>>): void => {
    if (server) (serveHttp ??= httpHandler(server, gateway))(...args);
    else {
      args[1].writeHead(503);
      args[1].end();
    }
  };
  try {
    const clientUrls: string[] = [];
    for (const url of base.listenClientUrls) {
      const parsed = new URL(url);
      if (parsed.protocol !== "http:") throw new Error(`etcd-ts: ${parsed.protocol} client URLs need TLS support (not built yet)`);
      const host = parsed.hostname.replace(/^\[|\]$/g, "");
      const listener = new ClientListener({ host, port: Number(parsed.port || 2379), grpc, http1, holdUntilServe: true });
      await listener.listen();
      listeners.push(listener);
      clientUrls.push(`http://${parsed.hostname}:${listener.address().port}`);
    }
    // Port 0 in an advertised URL means "the port we got".
    const advertiseClientUrls = base.advertiseClientUrls.map((url, i) => (new URL(url).port === "0" ? (clientUrls[i] ?? url) : url));
    const config: EtcdConfig = { ...base, advertiseClientUrls };
    server = await EtcdServer.start(config);
    registerKV(grpc, server);
    registerWatch(grpc, server);
    registerLease(grpc, server);
    registerCluster(grpc, server);
    registerMaintenance(grpc, server);
    registerAuth(grpc, server);
    registerLock(grpc, server);
    registerElection(grpc, server);
    registerHealth(grpc);
    await server.readyNotify();
    for (const listener of listeners) listener.serve();
    const running = server;
    let closed = false;
    return {
      server: running,
      clientUrls,
      config,
      async close() {
        if (closed) return;
        closed = true;
        grpc.abortAll();
        await Promise.all(listeners.map((l) => l.close()));
        await running.close();
        if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    grpc.abortAll();
    await Promise.all(listeners.map((l) => l.close().catch(() => undefined)));
    await server?.close().catch(() => undefined);
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
    throw error;
  }
}
