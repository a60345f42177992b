/**
 * Client: the entry point. One client holds one HTTP/2 connection per endpoint (gRPC over
 * node:http2), one Watch stream and one LeaseKeepAlive stream, shared by all its views.
 *
 * ```ts
 * const client = new Client({ endpoints: ["http://127.0.0.1:2379"] });
 * await client.put("greeting", "hello");
 * console.log(await client.getString("greeting"));
 * client.close();
 * ```
 *
 * Endpoints and failover: calls go to one pinned endpoint; an endpoint that cannot be reached
 * is avoided with a growing backoff and the next one is pinned (see `internal/Endpoints.ts`).
 * Reads are retried on another endpoint when a server is unreachable; a write whose outcome
 * is unknown is never re-sent but fails with `UnknownOutcomeError`. Every call takes
 * `timeout` (ms) and `signal` (AbortSignal).
 *
 * A connection with calls or streams open is checked with HTTP/2 pings after
 * `dialKeepAliveTime` of silence; one that does not answer within `dialKeepAliveTimeout` is
 * dropped, so a member that vanished without closing its connections (a partition, a frozen
 * host) is noticed and its watches and keep-alives move to another endpoint.
 *
 * A client of a server in the same process needs no socket: `new Client({ channel })` makes
 * its calls on a {@link Channel} (`@etcd-ts/server`'s `startEtcd()` hands one back ready).
 *
 * `close()` cancels calls in flight, ends every watch and keep-alive, clears every timer and
 * closes the connections: a process with nothing else to do then exits.
 */
import { Auth } from "./Auth.js";
import type { Channel } from "./Channel.js";
import { Cluster } from "./Cluster.js";
import { Maintenance } from "./Maintenance.js";
import { Namespace } from "./Namespace.js";
import { KeepAliveManager } from "./Lease.js";
import { WatchManager } from "./Watch.js";
import { KeySpace } from "./internal/KeySpace.js";
import type { TlsOptions } from "./internal/ConnectionOptions.js";
import { Transport } from "./internal/Transport.js";

/** ClientOptions configure a client; only `endpoints` is required. */
export interface ClientOptions {
  /** endpoints are the members to talk to: `http://host:port`, `https://host:port` or `host:port`. */
  readonly endpoints: readonly string[] | string;
  /** username and password turn on authentication (a token is fetched and refreshed). */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /**
   * tls is the TLS material; with it every endpoint uses TLS. `https://` endpoints use TLS
   * with the system roots without it.
   */
  readonly tls?: TlsOptions | undefined;
  /** dialTimeout (ms) bounds one connection attempt to one endpoint. Default 5000. */
  readonly dialTimeout?: number | undefined;
  /** callTimeout (ms) is the default `timeout` of every unary call. Default: none. */
  readonly callTimeout?: number | undefined;
  /** maxAttempts bounds the attempts of one call across endpoints. Default 10. */
  readonly maxAttempts?: number | undefined;
  /** retryBackoffMs is the first retry delay, doubled per attempt. Default 50. */
  readonly retryBackoffMs?: number | undefined;
  /** maxRetryBackoffMs caps the retry delay. Default 1000. */
  readonly maxRetryBackoffMs?: number | undefined;
  /**
   * dialKeepAliveTime (ms): a connection with calls open that received nothing for this long
   * is sent an HTTP/2 ping. Default 30000; 0 turns pings off. etcd answers pings sent more
   * often than every 5 s (its `--grpc-keepalive-min-time`) with GOAWAY, so keep it above.
   */
  readonly dialKeepAliveTime?: number | undefined;
  /** dialKeepAliveTimeout (ms): a ping unanswered this long drops the connection. Default 10000. */
  readonly dialKeepAliveTimeout?: number | undefined;
}

/**
 * ChannelClientOptions configure a client that makes its calls on an in-process
 * {@link Channel} instead of connecting to endpoints; only `channel` is required.
 */
export interface ChannelClientOptions {
  /** channel carries every call (see `Channel.ts`); closing the client does not close it. */
  readonly channel: Channel;
  /** username and password turn on authentication (a token is fetched and refreshed). */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** callTimeout (ms) is the default `timeout` of every unary call. Default: none. */
  readonly callTimeout?: number | undefined;
  /** maxAttempts bounds the attempts of one call. Default 10. */
  readonly maxAttempts?: number | undefined;
  /** retryBackoffMs is the first retry delay, doubled per attempt. Default 50. */
  readonly retryBackoffMs?: number | undefined;
  /** maxRetryBackoffMs caps the retry delay. Default 1000. */
  readonly maxRetryBackoffMs?: number | undefined;
}

/** CHANNEL_ENDPOINT is the one endpoint a channel client lists: the channel (never dialed). */
const CHANNEL_ENDPOINT = "in-process:0";

/** Client is an etcd v3 client: the root {@link Namespace} plus Auth, Cluster and Maintenance. */
export class Client extends Namespace {
  /** auth administers users, roles and permissions. */
  readonly auth: Auth;
  /** cluster lists and changes members. */
  readonly cluster: Cluster;
  /** maintenance: status, alarms, defragment, hashes, snapshot, leader transfer. */
  readonly maintenance: Maintenance;

  /**
   * Creates a client; it connects lazily, on the first call. Given `channel` instead of
   * `endpoints`, it makes every call on that channel, in-process.
   */
  constructor(options: ClientOptions | ChannelClientOptions) {
    const common = {
      username: options.username,
      password: options.password,
      callTimeout: options.callTimeout,
      maxAttempts: options.maxAttempts ?? 10,
      retryBackoffMs: options.retryBackoffMs ?? 50,
      maxRetryBackoffMs: options.maxRetryBackoffMs ?? 1000,
    };
    const transport =
      "channel" in options
        ? new Transport({ ...common, endpoints: [CHANNEL_ENDPOINT], channel: options.channel, dialTimeout: 0, keepAliveTime: 0, keepAliveTimeout: 0 })
        : new Transport({
            ...common,
            endpoints: typeof options.endpoints === "string" ? [options.endpoints] : options.endpoints,
            tls: options.tls,
            dialTimeout: options.dialTimeout ?? 5000,
            keepAliveTime: options.dialKeepAliveTime ?? 30_000,
            keepAliveTimeout: options.dialKeepAliveTimeout ?? 10_000,
          });
    super({ transport, watches: new WatchManager(transport), keepAlives: new KeepAliveManager(transport) }, KeySpace.ROOT);
    this.auth = new Auth(transport, KeySpace.ROOT);
    this.cluster = new Cluster(transport);
    this.maintenance = new Maintenance(transport);
  }

  /** endpoints lists the client's endpoints as given. */
  get endpoints(): string[] {
    return this.core.transport.endpoints.all().map((e) => e.raw);
  }

  /** setEndpoints replaces the endpoint list (connections to dropped endpoints stay until close). */
  setEndpoints(endpoints: readonly string[]): void {
    this.core.transport.endpoints.set(endpoints);
  }

  /** syncEndpoints replaces the endpoint list with the client URLs of the cluster's members. */
  async syncEndpoints(): Promise<string[]> {
    const res = await this.cluster.memberList();
    const urls = res.members.filter((m) => !m.isLearner).flatMap((m) => m.clientURLs);
    if (urls.length > 0) this.setEndpoints(urls);
    return urls;
  }

  /** closed reports whether `close()` ran. */
  get closed(): boolean {
    return this.core.transport.closed;
  }

  /**
   * close releases everything: in-flight calls reject with `ClientClosedError`, watches end,
   * keep-alives stop (leases are not revoked), timers are cleared, connections closed.
   */
  close(): Promise<void> {
    this.core.transport.close();
    return Promise.resolve();
  }

  /** Symbol.asyncDispose closes the client (`await using client = new Client(...)`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
