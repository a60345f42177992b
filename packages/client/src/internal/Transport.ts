/**
 * The client's connection layer: one HTTP/2 connection per endpoint (`Connection.ts`, gRPC
 * over node:http2) — or, for a client given a {@link Channel}, that channel as its one
 * endpoint (`ChannelConnection.ts`, no socket) — the retry and failover rules for unary calls, auth tokens, and streams
 * for the Watch, Lease and Maintenance APIs.
 *
 * Retry rules (etcd's Go client's, made explicit):
 *  - a call that never left the client (no connection to its endpoint, or a stream the
 *    server refused before processing it) is retried on the next endpoint, whatever it is;
 *  - an idempotent call (reads: range, read-only txn, status, member list, ...) that fails
 *    with UNAVAILABLE after it was sent is retried too, with backoff;
 *  - a write that fails with UNAVAILABLE after it was sent is NOT re-sent: its outcome is
 *    unknown and it ends with {@link UnknownOutcomeError};
 *  - "invalid auth token" / "auth revision is old" refresh the token and re-send once (the
 *    server refused the request before applying it);
 *  - every other status ends the call with its typed error (`errorFromStatus`).
 * The budget is `maxAttempts` attempts and the call's deadline, whichever ends first.
 */
import {
  AuthOldRevisionError,
  EtcdError,
  GrpcStatus,
  InvalidAuthTokenError,
  NoLeaderError,
  errorClassForMessage,
  errorFromStatus,
  etcdserverpb,
  statusDetails,
} from "@etcd-ts/api";
import type { MethodDefinition, PartialMessage, StatusLike } from "@etcd-ts/api";
import { CallTimeoutError, ClientClosedError, NoEndpointAvailableError, UnknownOutcomeError } from "../errors.js";
import { CallError } from "./CallStatus.js";
import type { Channel } from "../Channel.js";
import type { CallConnection, Metadata } from "./CallConnection.js";
import { ChannelConnection } from "./ChannelConnection.js";
import { Connection } from "./Connection.js";
import type { TlsOptions } from "./ConnectionOptions.js";
import { Endpoints, type EndpointAddress } from "./Endpoints.js";
import type { Call, CallHandlers } from "./StreamCall.js";

/** CallOptions are the per-call knobs every client method takes. */
export interface CallOptions {
  /** timeout in ms for the whole call, retries included; the client's `callTimeout` by default. */
  readonly timeout?: number | undefined;
  /** signal aborts the call; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** TransportOptions are the client options this layer uses. */
export interface TransportOptions {
  readonly endpoints: readonly string[];
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly tls?: TlsOptions | undefined;
  readonly dialTimeout: number;
  readonly callTimeout?: number | undefined;
  readonly maxAttempts: number;
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs: number;
  readonly keepAliveTime: number;
  readonly keepAliveTimeout: number;
  /** channel, when set, carries every call in-process (see `Channel.ts`); `endpoints` then names it alone. */
  readonly channel?: Channel | undefined;
}

/** How a call may be retried, and where it goes. */
export interface CallPolicy {
  /** idempotent calls may be re-sent after an UNAVAILABLE whose outcome is unknown. */
  readonly idempotent: boolean;
  /** endpoint pins the call to one endpoint (`host:port` or as given), with no failover. */
  readonly endpoint?: string | undefined;
  /** noAuth sends the call without a token (Authenticate itself). */
  readonly noAuth?: boolean | undefined;
}

/** StreamOptions aim and bound a stream. */
export interface StreamOptions {
  /** endpoint pins the stream to one endpoint; the pinned one by default. */
  readonly endpoint?: string | undefined;
  /** deadline (epoch ms) ends the stream with DEADLINE_EXCEEDED. */
  readonly deadline?: number | undefined;
  /** signal ends the stream with CANCELLED. */
  readonly signal?: AbortSignal | undefined;
  /** wanted is checked last before the stream starts: a stream nobody wants any more is not started. */
  readonly wanted?: (() => boolean) | undefined;
}

/** A stream and the endpoint it runs on. */
export interface OpenStream<Req> {
  readonly call: Call<Req>;
  readonly endpoint: string;
}

/** isTransportFailure: UNAVAILABLE raised by the transport rather than answered by etcd. */
function isTransportFailure(err: StatusLike): boolean {
  return err.code === GrpcStatus.UNAVAILABLE && errorClassForMessage(statusDetails(err)) === undefined;
}

/** Transport owns the connections, the token and the retry loop. */
export class Transport {
  readonly endpoints: Endpoints;
  private readonly connections = new Map<string, CallConnection>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private readonly closeHooks = new Set<() => void>();
  private token: string | undefined;
  private tokenMetadata: Metadata | undefined;
  private tokenPromise: Promise<string> | undefined;
  private isClosed = false;

  constructor(private readonly options: TransportOptions) {
    this.endpoints = new Endpoints(options.endpoints, { baseMs: options.retryBackoffMs * 2, maxMs: Math.max(options.maxRetryBackoffMs * 2, 1000) });
  }

  /** closed reports whether close() ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** onClose registers a hook run (once) by close(); returns its remover. */
  onClose(hook: () => void): () => void {
    this.closeHooks.add(hook);
    return () => this.closeHooks.delete(hook);
  }

  /** connection returns (creating on first use) the connection to an endpoint. */
  connection(endpoint: EndpointAddress): CallConnection {
    let connection = this.connections.get(endpoint.address);
    if (connection === undefined && this.options.channel !== undefined) {
      connection = new ChannelConnection(this.options.channel);
      this.connections.set(endpoint.address, connection);
    } else if (connection === undefined) {
      connection = new Connection({
        endpoint,
        tls: this.options.tls,
        dialTimeoutMs: this.options.dialTimeout,
        keepAliveTimeMs: this.options.keepAliveTime,
        keepAliveTimeoutMs: this.options.keepAliveTimeout,
      });
      this.connections.set(endpoint.address, connection);
    }
    return connection;
  }

  /** endpointFor resolves a user-given endpoint (as listed, or `host:port`) to a listed one. */
  endpointFor(endpoint: string): EndpointAddress {
    const found = this.endpoints.all().find((e) => e.raw === endpoint || e.address === endpoint);
    if (found === undefined) throw new TypeError(`etcd client: ${endpoint} is not one of the client's endpoints`);
    return found;
  }

  /** metadata returns the call metadata (the auth token), authenticating first if needed. */
  async metadata(): Promise<Metadata | undefined> {
    if (this.options.username === undefined) return undefined;
    return this.metadataFor(this.token ?? (await this.authenticate()));
  }

  /** hasAuth reports whether the client authenticates. */
  get hasAuth(): boolean {
    return this.options.username !== undefined;
  }

  /** invalidateToken drops `token` (if still current) so the next call authenticates again. */
  invalidateToken(token: string | undefined): void {
    if (this.token === token) this.token = undefined;
  }

  /** currentToken is the token in use, if any. */
  get currentToken(): string | undefined {
    return this.token;
  }

  /** authenticate fetches a token with the client's credentials (one request at a time). */
  authenticate(): Promise<string> {
    this.tokenPromise ??= this.unary(
      etcdserverpb.AuthService.authenticate,
      { name: this.options.username ?? "", password: this.options.password ?? "" },
      { idempotent: true, noAuth: true },
    ).then(
      (res) => {
        this.tokenPromise = undefined;
        this.token = res.token;
        return res.token;
      },
      (err: unknown) => {
        this.tokenPromise = undefined;
        throw err;
      },
    );
    return this.tokenPromise;
  }

  /** unary runs one call under the retry rules above. */
  async unary<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: PartialMessage<Req>,
    policy: CallPolicy,
    options?: CallOptions,
  ): Promise<Res> {
    const timeout = options?.timeout ?? this.options.callTimeout;
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
    const signal = options?.signal;
    const pinned = policy.endpoint === undefined ? undefined : this.endpointFor(policy.endpoint);
    let authRetried = false;
    let lastError: Error | undefined;
    const tried = new Set<string>();
    for (let attempt = 0; attempt < this.options.maxAttempts; attempt++) {
      if (this.isClosed) throw new ClientClosedError();
      signal?.throwIfAborted();
      const now = Date.now();
      if (now >= deadline) throw new CallTimeoutError(timeout ?? 0, !policy.idempotent && lastError !== undefined, { cause: lastError });
      const endpoint = pinned ?? this.endpoints.pick(now);
      if (attempt > 0 && (tried.has(endpoint.address) || !this.endpoints.isAlive(endpoint.address, now))) {
        const backoff = Math.min(this.options.retryBackoffMs * 2 ** Math.min(attempt - 1, 16), this.options.maxRetryBackoffMs);
        await this.delay(Math.min(backoff * (0.75 + Math.random() * 0.5), Math.max(0, deadline - Date.now())), signal);
        if (this.isClosed) throw new ClientClosedError();
      }
      tried.add(endpoint.address);
      const connection = this.connection(endpoint);
      if (!connection.isReady && !(await connection.connect(Math.min(deadline, Date.now() + this.options.dialTimeout), signal))) {
        // Never sent: safe to try elsewhere whatever the call.
        if (this.isClosed) throw new ClientClosedError();
        lastError = new EtcdError(GrpcStatus.UNAVAILABLE, `etcd client: cannot connect to ${endpoint.raw}`);
        this.endpoints.markFailed(endpoint.address, Date.now());
        continue;
      }
      const metadata = policy.noAuth || this.options.username === undefined ? undefined : this.token !== undefined ? this.metadataFor(this.token) : await this.metadata();
      const token = this.token;
      try {
        const res = await connection.unary(method, request, metadata, deadline, signal);
        this.endpoints.markHealthy(endpoint.address);
        return res;
      } catch (caught) {
        if (this.isClosed) throw new ClientClosedError({ cause: caught });
        if (signal?.aborted) throw signal.reason;
        if (!(caught instanceof CallError)) throw caught;
        const err = caught;
        if (err.code === GrpcStatus.DEADLINE_EXCEEDED && Date.now() >= deadline - 1) {
          throw new CallTimeoutError(timeout ?? 0, !policy.idempotent && !err.notSent, { cause: err });
        }
        const etcdError = errorFromStatus(err);
        if ((etcdError instanceof InvalidAuthTokenError || etcdError instanceof AuthOldRevisionError) && this.hasAuth && !authRetried) {
          authRetried = true;
          this.invalidateToken(token);
          attempt--;
          continue;
        }
        if (err.code !== GrpcStatus.UNAVAILABLE) throw etcdError;
        const transport = isTransportFailure(err);
        const notSent = err.notSent;
        if (transport || etcdError instanceof NoLeaderError) this.endpoints.markFailed(endpoint.address, Date.now());
        lastError = etcdError;
        if (pinned !== undefined && !notSent) throw etcdError;
        if (!policy.idempotent && !notSent) {
          throw transport ? new UnknownOutcomeError(method.originalName, { cause: etcdError }) : etcdError;
        }
      }
    }
    throw new NoEndpointAvailableError(this.options.maxAttempts, { cause: lastError });
  }

  /** metadataFor returns the (cached) metadata carrying `token`. */
  private metadataFor(token: string): Metadata {
    if (this.tokenMetadata?.["token"] !== token) this.tokenMetadata = { token };
    return this.tokenMetadata;
  }

  /**
   * openStream opens a stream on the pinned endpoint (or `options.endpoint`), connecting
   * first, with the token. It rejects when the endpoint cannot be reached (the endpoint is
   * then marked failed) or the client closed. Once it resolved, everything that happens to
   * the stream reaches `handlers`.
   */
  async openStream<Req, Res>(method: MethodDefinition<Req, Res>, handlers: CallHandlers<Res>, options: StreamOptions = {}): Promise<OpenStream<Req>> {
    if (this.isClosed) throw new ClientClosedError();
    const endpoint = options.endpoint === undefined ? this.endpoints.pick(Date.now()) : this.endpointFor(options.endpoint);
    const connection = this.connection(endpoint);
    if (!connection.isReady && !(await connection.connect(Date.now() + this.options.dialTimeout, options.signal))) {
      if (this.isClosed) throw new ClientClosedError();
      this.endpoints.markFailed(endpoint.address, Date.now());
      throw new EtcdError(GrpcStatus.UNAVAILABLE, `etcd client: cannot connect to ${endpoint.raw}`);
    }
    const metadata = await this.metadata();
    if (this.isClosed) throw new ClientClosedError();
    options.signal?.throwIfAborted();
    if (options.wanted !== undefined && !options.wanted()) throw new EtcdError(GrpcStatus.CANCELLED, "etcd client: stream no longer needed");
    try {
      const call = connection.stream(method, metadata, handlers, options.deadline ?? Infinity, options.signal);
      return { call, endpoint: endpoint.address };
    } catch (err) {
      // The connection was lost (or the deadline passed) since it was ready: nothing was sent.
      if (!(err instanceof CallError)) throw err;
      if (err.code === GrpcStatus.UNAVAILABLE) this.endpoints.markFailed(endpoint.address, Date.now());
      throw errorFromStatus(err);
    }
  }

  /** streamFailed records that a stream on `endpoint` broke with `err` (transport failures only). */
  streamFailed(endpoint: string, err: { readonly code?: number }): void {
    const code = err.code;
    if (code === GrpcStatus.UNAVAILABLE || code === undefined) this.endpoints.markFailed(endpoint, Date.now());
  }

  /** streamHealthy records that a stream on `endpoint` got an answer. */
  streamHealthy(endpoint: string): void {
    this.endpoints.markHealthy(endpoint);
  }

  /** backoffMs is the reconnect delay after `failures` consecutive stream failures. */
  backoffMs(failures: number): number {
    const base = Math.min(this.options.retryBackoffMs * 2 ** Math.min(failures, 16), this.options.maxRetryBackoffMs);
    return base * (0.75 + Math.random() * 0.5);
  }

  /** delay waits `ms`; close() rejects it with ClientClosedError, the signal with its reason. */
  delay(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.isClosed) return reject(new ClientClosedError());
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, ms),
        reject,
      };
      const onAbort = (): void => {
        clearTimeout(entry.timer);
        this.timers.delete(entry);
        // Whatever the aborter chose (an Error or not) is passed on unchanged, as a rethrow.
        const reason: unknown = signal?.reason;
        reject(reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.timers.add(entry);
    });
  }

  /** schedule runs `fn` after `ms` unless close() runs first; returns a canceller. */
  schedule(ms: number, fn: () => void): () => void {
    const entry = {
      timer: setTimeout(() => {
        this.timers.delete(entry);
        fn();
      }, ms),
      reject: () => {},
    };
    this.timers.add(entry);
    return () => {
      clearTimeout(entry.timer);
      this.timers.delete(entry);
    };
  }

  /** close runs the close hooks, cancels timers and closes every connection (failing the calls in flight). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const hook of [...this.closeHooks]) hook();
    this.closeHooks.clear();
    for (const { timer, reject } of this.timers) {
      clearTimeout(timer);
      reject(new ClientClosedError());
    }
    this.timers.clear();
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
