/**
 * startEtcd: a member in-process, as Go's `embed` package gives one — the daemon's options as
 * a typed object (etcd's defaults), port 0 picking free ports, a temporary data dir (removed
 * on close) when none is given. Resolves once the member serves; `close()` stops it cleanly
 * so the process can exit.
 *
 * ```ts
 * const etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"] });
 * await etcd.client.put("greeting", "hello"); // in-process: no socket
 * // other processes connect to etcd.clientUrls
 * await etcd.close();
 * ```
 *
 * Client TLS is set up in etcd's order, before the data dir is touched: the cipher suites are
 * checked, auto TLS makes its certificate, every `https://` listen URL needs a certificate and
 * key (etcd's "TLS key/cert (--cert-file, --key-file) must be provided for client url ..."),
 * and the files are loaded once, so that a bad file fails the start (etcd fails a moment
 * later, once it serves; the messages are the same).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { Client, type Channel } from "@etcd-ts/client";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type ClientTlsConfig, type EtcdConfig, type EtcdConfigOptions } from "../config/EtcdConfig.js";
import { EtcdServer } from "../etcdserver/EtcdServer.js";
import { GrpcServer } from "../grpc/GrpcServer.js";
import { gatewayHandler } from "../gateway/index.js";
import { httpHandler } from "../http/handlers.js";
import { opensslCiphers } from "../tls/cipherSuites.js";
import { ensureSelfCert } from "../tls/selfCert.js";
import { ServerTls } from "../tls/ServerTls.js";
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
  /**
   * client is a typed @etcd-ts/client Client of this member, connected in-process (its calls
   * go to the gRPC handlers directly: no socket, no HTTP/2, the same answers). `close()`
   * closes it. It does not authenticate: with auth enabled, make another with
   * `new Client({ channel, username, password })` over `channel`.
   */
  readonly client: Client;
  /** channel carries @etcd-ts/client calls to this member in-process (`new Client({ channel })`). */
  readonly channel: Channel;
  /** clientUrls are the URLs it serves clients on (actual ports when 0 was asked; `https://` for TLS). */
  readonly clientUrls: readonly string[];
  /** config is the member's config as it runs (with auto TLS, `clientTls` names the generated files). */
  readonly config: EtcdConfig;
  /** close stops the member and removes a temporary data dir. */
  close(): Promise<void>;
}

/** EtcdEvents are what a running member tells its embedder beyond its API (for logs). */
export interface EtcdEvents {
  /**
   * onTlsReject hears of a client connection refused by TLS (`remote` is `ip:port`): a failed
   * handshake (no client certificate, not TLS at all, ...) or a revoked certificate — etcd's
   * "rejected connection from ..." log line.
   */
  readonly onTlsReject?: (remote: string, reason: string) => void;
}

/** gRPC overhead etcd allows above --max-request-bytes for the message limit. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

/** startEtcd starts a member with etcd's defaults under `options`. */
export async function startEtcd(options: EtcdConfigOptions = {}, events: EtcdEvents = {}): Promise<Etcd> {
  const temporaryDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "etcd-ts-")) : undefined;
  let base = defaultConfig({ ...options, ...(temporaryDir ? { dataDir: temporaryDir } : {}) });
  let server: EtcdServer | undefined;
  const grpc = new GrpcServer({
    maxReceiveMessageSize: base.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    observer: {
      started: (method) => server?.metrics.callStarted(method),
      handled: (method, code) => server?.metrics.callHandled(method, code),
      clientRequest: (type, version) => server?.metrics.clientRequest(type, version),
      received: (method, bytes) => server?.metrics.messageReceived(method, bytes),
      sent: (method, bytes) => server?.metrics.messageSent(method, bytes),
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
    base = { ...base, clientTls: await clientTlsOf(base) };
    const tls = await serverTlsFor(base);
    const clientUrls: string[] = [];
    for (const url of base.listenClientUrls) {
      const parsed = new URL(url);
      const host = parsed.hostname.replace(/^\[|\]$/g, "");
      const secure = parsed.protocol === "https:" ? { tls: tls!, ...(events.onTlsReject ? { onTlsReject: events.onTlsReject } : {}) } : {};
      const listener = new ClientListener({ host, port: Number(parsed.port || 2379), grpc, http1, holdUntilServe: true, maxConcurrentStreams: base.maxConcurrentStreams, ...secure });
      await listener.listen();
      listeners.push(listener);
      clientUrls.push(`${parsed.protocol}//${parsed.hostname}:${listener.address().port}`);
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
    const channel = grpc.channel();
    const client = new Client({ channel });
    let closed = false;
    return {
      server: running,
      client,
      channel,
      clientUrls,
      config,
      async close() {
        if (closed) return;
        closed = true;
        await client.close();
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

/**
 * clientTlsOf checks the cipher suites and applies auto TLS: without a certificate and key,
 * a self-signed pair in `<dataDir>/fixtures/client` for the listen URLs' hosts replaces the
 * client TLS settings (client cert auth, CA and CRL included, as etcd's ClientSelfCert does).
 */
async function clientTlsOf(config: EtcdConfig): Promise<ClientTlsConfig> {
  const tls = config.clientTls;
  opensslCiphers(tls.cipherSuites);
  if (!tls.autoTls || tls.certFile !== "" || tls.keyFile !== "") return tls;
  const hosts = config.listenClientUrls.map((url) => new URL(url).hostname.replace(/^\[|\]$/g, ""));
  const files = await ensureSelfCert(join(config.dataDir, "fixtures", "client"), hosts);
  return { ...files, trustedCaFile: "", clientCertAuth: false, autoTls: true, cipherSuites: tls.cipherSuites, crlFile: "", allowedHostname: "" };
}

/** serverTlsFor loads the certificates when a listen URL is https (and refuses other schemes). */
async function serverTlsFor(config: EtcdConfig): Promise<ServerTls | undefined> {
  const tls = config.clientTls;
  let secure = false;
  for (const url of config.listenClientUrls) {
    const protocol = new URL(url).protocol;
    if (protocol !== "http:" && protocol !== "https:") throw new Error(`etcd-ts: ${protocol} client URLs are not supported (${url})`);
    if (protocol === "https:" && tls.certFile === "" && tls.keyFile === "") {
      throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url} with HTTPS scheme`);
    }
    secure ||= protocol === "https:";
  }
  if (!secure) return undefined;
  return ServerTls.load({
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    trustedCaFile: tls.trustedCaFile,
    clientCertAuth: tls.clientCertAuth,
    crlFile: tls.crlFile,
    allowedHostname: tls.allowedHostname,
    cipherSuites: tls.cipherSuites,
  });
}
