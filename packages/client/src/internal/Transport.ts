/**
 * The client's connection layer: one grpc-js channel per endpoint, the retry and failover
 * rules for unary calls, auth tokens, and streams for the Watch and Lease managers.
 *
 * Retry rules (etcd's Go client's, made explicit):
 *  - a call that never left the client (its channel could not connect, or grpc-js reports
 *    "No connection established") is retried on the next endpoint, whatever it is;
 *  - an idempotent call (reads: range, read-only txn, status, member list, ...) that fails
 *    with UNAVAILABLE after it was sent is retried too, with backoff;
 *  - a write that fails with UNAVAILABLE after it was sent is NOT re-sent: its outcome is
 *    unknown and it ends with {@link UnknownOutcomeError};
 *  - "invalid auth token" / "auth revision is old" refresh the token and re-send once (the
 *    server refused the request before applying it);
 *  - every other status ends the call with its typed error (`errorFromStatus`).
 * The budget is `maxAttempts` attempts and the call's deadline, whichever ends first.
 *
 * Only this file and the stream managers touch grpc-js.
 */
import * as grpc from "@grpc/grpc-js";
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
import type { MethodDefinition, PartialMessage } from "@etcd-ts/api";
import { CallTimeoutError, ClientClosedError, NoEndpointAvailableError, UnknownOutcomeError } from "../errors.js";
import { Endpoints, type EndpointAddress } from "./Endpoints.js";

/** CallOptions are the per-call knobs every client method takes. */
export interface CallOptions {
  /** timeout in ms for the whole call, retries included; the client's `callTimeout` by default. */
  readonly timeout?: number | undefined;
  /** signal aborts the call; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** TLS material for secure endpoints (PEM). */
export interface TlsOptions {
  /** ca is the trusted root certificate(s); the system roots when absent. */
  readonly ca?: Uint8Array | string | undefined;
  /** cert is the client certificate for mutual TLS. */
  readonly cert?: Uint8Array | string | undefined;
  /** key is the client certificate's private key. */
  readonly key?: Uint8Array | string | undefined;
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
  readonly grpcOptions?: grpc.ChannelOptions | undefined;
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

/** A duplex stream and the endpoint it runs on. */
export interface OpenStream<Req, Res> {
  readonly stream: grpc.ClientDuplexStream<PartialMessage<Req>, Res>;
  readonly endpoint: string;
}

/** The grpc-js messages that say a call never reached a server. */
const NOT_SENT = /^(No connection established|Channel closed before call started|.*waiting for LB pick|.*No connection established)/;

const toBuffer = (v: Uint8Array | string | undefined): Buffer | null =>
  v === undefined ? null : typeof v === "string" ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** isTransportFailure: UNAVAILABLE raised by the transport rather than answered by etcd. */
function isTransportFailure(err: grpc.ServiceError): boolean {
  return err.code === GrpcStatus.UNAVAILABLE && errorClassForMessage(statusDetails(err)) === undefined;
}

/** Transport owns the channels, the token and the retry loop. */
export class Transport {
  readonly endpoints: Endpoints;
  private readonly channels = new Map<string, grpc.Client>();
  private readonly inflight = new Set<{ cancel(): void }>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private readonly closeHooks = new Set<() => void>();
  private token: string | undefined;
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

  /** channel returns (creating on first use) the grpc-js client for an endpoint. */
  channel(endpoint: EndpointAddress): grpc.Client {
    let channel = this.channels.get(endpoint.address);
    if (channel === undefined) {
      const tls = this.options.tls;
      const credentials =
        endpoint.secure || tls !== undefined
          ? grpc.credentials.createSsl(toBuffer(tls?.ca), toBuffer(tls?.key), toBuffer(tls?.cert))
          : grpc.credentials.createInsecure();
      channel = new grpc.Client(endpoint.address, credentials, {
        "grpc.max_receive_message_length": -1,
        "grpc.max_send_message_length": -1,
        "grpc.keepalive_time_ms": 30_000,
        "grpc.keepalive_timeout_ms": 10_000,
        "grpc.initial_reconnect_backoff_ms": 100,
        "grpc.max_reconnect_backoff_ms": 2000,
        "grpc.use_local_subchannel_pool": 1,
        ...this.options.grpcOptions,
      });
      this.channels.set(endpoint.address, channel);
    }
    return channel;
  }

  /** endpointFor resolves a user-given endpoint (as listed, or `host:port`) to a listed one. */
  endpointFor(endpoint: string): EndpointAddress {
    const found = this.endpoints.all().find((e) => e.raw === endpoint || e.address === endpoint);
    if (found === undefined) throw new TypeError(`etcd client: ${endpoint} is not one of the client's endpoints`);
    return found;
  }

  /** metadata returns the call metadata (the auth token), authenticating first if needed. */
  async metadata(): Promise<grpc.Metadata> {
    const metadata = new grpc.Metadata();
    if (this.options.username === undefined) return metadata;
    metadata.set("token", this.token ?? (await this.authenticate()));
    return metadata;
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
      if (Date.now() >= deadline) throw new CallTimeoutError(timeout ?? 0, !policy.idempotent && lastError !== undefined, { cause: lastError });
      const endpoint = pinned ?? this.endpoints.pick(Date.now());
      if (attempt > 0 && (tried.has(endpoint.address) || !this.endpoints.isAlive(endpoint.address, Date.now()))) {
        const backoff = Math.min(this.options.retryBackoffMs * 2 ** Math.min(attempt - 1, 16), this.options.maxRetryBackoffMs);
        await this.delay(Math.min(backoff * (0.75 + Math.random() * 0.5), Math.max(0, deadline - Date.now())), signal);
        if (this.isClosed) throw new ClientClosedError();
      }
      tried.add(endpoint.address);
      const channel = this.channel(endpoint);
      if (!(await this.ready(channel, Math.min(deadline, Date.now() + this.options.dialTimeout), signal))) {
        // Never sent: safe to try elsewhere whatever the call.
        lastError = new EtcdError(GrpcStatus.UNAVAILABLE, `etcd client: cannot connect to ${endpoint.raw}`);
        this.endpoints.markFailed(endpoint.address, Date.now());
        continue;
      }
      const metadata = policy.noAuth ? new grpc.Metadata() : await this.metadata();
      const token = this.token;
      try {
        const res = await this.callOnce(channel, method, request, metadata, deadline, signal);
        this.endpoints.markHealthy(endpoint.address);
        return res;
      } catch (caught) {
        if (this.isClosed) throw new ClientClosedError({ cause: caught });
        if (signal?.aborted) throw signal.reason;
        const err = caught as grpc.ServiceError;
        if (err.code === GrpcStatus.DEADLINE_EXCEEDED && Date.now() >= deadline - 1) {
          throw new CallTimeoutError(timeout ?? 0, !policy.idempotent, { cause: err });
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
        const notSent = transport && NOT_SENT.test(statusDetails(err));
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

  /**
   * ready makes sure a channel is connected: true at once when it is, false as soon as it
   * fails to connect (TRANSIENT_FAILURE) or `until` passes, so a dead endpoint costs one
   * connection attempt, not a whole dial timeout.
   */
  private async ready(channel: grpc.Client, until: number, signal: AbortSignal | undefined): Promise<boolean> {
    const ch = channel.getChannel();
    const first = ch.getConnectivityState(true);
    if (first === grpc.connectivityState.READY) return true;
    if (first === grpc.connectivityState.TRANSIENT_FAILURE || first === grpc.connectivityState.SHUTDOWN) return false;
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      const finish = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        this.inflight.delete(entry);
        signal?.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const entry = { cancel: () => finish(false) };
      const onAbort = (): void => {
        reject(signal?.reason);
        finish(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.inflight.add(entry);
      const watch = (state: grpc.connectivityState): void => {
        ch.watchConnectivityState(state, until, (error) => {
          if (settled) return;
          if (error) return finish(false);
          const next = ch.getConnectivityState(true);
          if (next === grpc.connectivityState.READY) finish(true);
          else if (next === grpc.connectivityState.TRANSIENT_FAILURE || next === grpc.connectivityState.SHUTDOWN) finish(false);
          else watch(next);
        });
      };
      watch(first);
    });
  }

  /** callOnce makes one unary call on one channel. */
  private callOnce<Req, Res>(
    channel: grpc.Client,
    method: MethodDefinition<Req, Res>,
    request: PartialMessage<Req>,
    metadata: grpc.Metadata,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const call = channel.makeUnaryRequest<PartialMessage<Req>, Res>(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        deadline === Infinity ? {} : { deadline },
        (err, res) => {
          this.inflight.delete(call);
          if (signal !== undefined) signal.removeEventListener("abort", onAbort);
          if (err) reject(err);
          else resolve(res as Res);
        },
      );
      const onAbort = (): void => call.cancel();
      if (signal !== undefined) signal.addEventListener("abort", onAbort, { once: true });
      this.inflight.add(call);
    });
  }

  /**
   * openStream opens a bidi stream on the pinned endpoint (connecting first, with the token).
   * It rejects when the endpoint cannot be reached; the endpoint is then marked failed.
   */
  async openStream<Req, Res>(method: MethodDefinition<Req, Res>, wanted: () => boolean = () => true): Promise<OpenStream<Req, Res>> {
    if (this.isClosed) throw new ClientClosedError();
    const endpoint = this.endpoints.pick(Date.now());
    const channel = this.channel(endpoint);
    if (!(await this.ready(channel, Date.now() + this.options.dialTimeout, undefined))) {
      this.endpoints.markFailed(endpoint.address, Date.now());
      throw new EtcdError(GrpcStatus.UNAVAILABLE, `etcd client: cannot connect to ${endpoint.raw}`);
    }
    const metadata = await this.metadata();
    if (this.isClosed) throw new ClientClosedError();
    // A stream started and cancelled at once can leave grpc-js's connection open after
    // close(): do not start one nobody wants any more.
    if (!wanted()) throw new EtcdError(GrpcStatus.CANCELLED, "etcd client: stream no longer needed");
    const stream = channel.makeBidiStreamRequest<PartialMessage<Req>, Res>(method.path, method.requestSerialize, method.responseDeserialize, metadata);
    return { stream, endpoint: endpoint.address };
  }

  /** streamFailed records that a stream on `endpoint` broke with `err` (transport failures only). */
  streamFailed(endpoint: string, err: grpc.ServiceError | Error): void {
    const code = (err as grpc.ServiceError).code;
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
        reject(signal?.reason);
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

  /** close cancels in-flight calls and timers, runs the close hooks and closes every channel. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const hook of [...this.closeHooks]) hook();
    this.closeHooks.clear();
    for (const call of [...this.inflight]) call.cancel();
    this.inflight.clear();
    for (const { timer, reject } of this.timers) {
      clearTimeout(timer);
      reject(new ClientClosedError());
    }
    this.timers.clear();
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }
}
