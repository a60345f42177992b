/**
 * Lease: grant, revoke, time-to-live, list, and keep-alive.
 *
 * `keepAlive(id)` renews a lease for as long as the returned handle is open: every lease of a
 * client shares one LeaseKeepAlive stream; each lease is renewed about every TTL/3 (the TTL
 * the server last answered), re-sent every 500 ms while unanswered. The lease is reported
 * lost (the handle's `done` resolves with a {@link LeaseExpiredError}) when the server answers
 * TTL 0 (expired or revoked), or when no renewal was acknowledged for a whole TTL (the server
 * must then be presumed to have expired it). A broken stream is reopened on the next endpoint
 * with backoff, without losing the lease as long as it comes back within the TTL.
 *
 * Grant and revoke are writes (never re-sent once sent); time-to-live and list are reads.
 */
import { LeaseNotFoundError, errorFromStatus, etcdserverpb as pb } from "@etcd-ts/api";
import type { CallOptions, Transport } from "./internal/Transport.js";
import { ManagedStream } from "./internal/ManagedStream.js";
import type { KeySpace } from "./internal/KeySpace.js";
import { ClientClosedError, LeaseExpiredError } from "./errors.js";
import type { ResponseHeader } from "./kvTypes.js";
import { normalizeHeader } from "./internal/requests.js";
import { startsWith } from "./keys.js";

/** LeaseGrantResponse is the answer to `grant`. */
export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  /** id is the lease ID (chosen by the server unless one was given). */
  readonly id: bigint;
  /** ttl is the granted TTL in seconds (the server may raise it to its minimum). */
  readonly ttl: number;
}

/** LeaseTimeToLiveResponse is the answer to `timeToLive`. */
export interface LeaseTimeToLiveResponse {
  readonly header: ResponseHeader;
  readonly id: bigint;
  /** ttl is the remaining TTL in seconds; -1 when the lease does not exist (any more). */
  readonly ttl: number;
  /** grantedTtl is the TTL the lease was granted with. */
  readonly grantedTtl: number;
  /** keys are the keys attached to the lease, when asked for. */
  readonly keys: Uint8Array[];
}

/** LeaseKeepAliveResponse is one acknowledged renewal. */
export interface LeaseKeepAliveResponse {
  readonly header: ResponseHeader;
  readonly id: bigint;
  /** ttl is the TTL the lease was renewed to, in seconds. */
  readonly ttl: number;
}

/** KeepAliveOptions tune `keepAlive`. */
export interface KeepAliveOptions {
  /**
   * ttl is the lease's TTL in seconds, if known: until the first renewal is acknowledged,
   * the lease is presumed lost after this long (10 s when not given).
   */
  readonly ttl?: number | undefined;
}

const KEEPALIVE_TICK_MS = 500;
const { LeaseService } = pb;

/**
 * LeaseKeepAlive is an open keep-alive of one lease. `close()` stops renewing (the lease
 * then expires after its TTL unless revoked); `done` tells when and why it stopped.
 */
export class LeaseKeepAlive {
  /**
   * done resolves when renewing stopped: with `undefined` after `close()` (or the client's
   * close), with a {@link LeaseExpiredError} when the lease was lost.
   */
  readonly done: Promise<Error | undefined>;
  private resolveDone!: (e: Error | undefined) => void;
  private readonly listeners = new Set<(res: LeaseKeepAliveResponse) => void>();
  private lastResponse: LeaseKeepAliveResponse | undefined;
  private stopped = false;

  /** @internal Created by `lease.keepAlive()`. */
  constructor(
    /** id is the lease kept alive. */
    readonly id: bigint,
    private readonly manager: KeepAliveManager,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** last is the last acknowledged renewal, if any. */
  get last(): LeaseKeepAliveResponse | undefined {
    return this.lastResponse;
  }

  /** onKeepAlive calls `listener` on every acknowledged renewal; returns its remover. */
  onKeepAlive(listener: (res: LeaseKeepAliveResponse) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** close stops renewing the lease (it is not revoked). */
  close(): void {
    this.manager.remove(this);
    this.stop(undefined);
  }

  /** @internal */
  renewed(res: LeaseKeepAliveResponse): void {
    this.lastResponse = res;
    for (const listener of this.listeners) listener(res);
  }

  /** @internal */
  stop(error: Error | undefined): void {
    if (this.stopped) return;
    this.stopped = true;
    this.listeners.clear();
    this.resolveDone(error);
  }
}

interface KeepAliveEntry {
  readonly id: bigint;
  nextSend: number;
  deadline: number;
  readonly handles: Set<LeaseKeepAlive>;
}

/** KeepAliveManager renews a client's kept-alive leases over one stream. */
export class KeepAliveManager {
  private readonly stream: ManagedStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>;
  private cancelTick: (() => void) | undefined;
  private readonly entries = new Map<bigint, KeepAliveEntry>();
  private closed = false;

  constructor(private readonly transport: Transport) {
    this.stream = new ManagedStream(transport, LeaseService.leaseKeepAlive, {
      wanted: () => !this.closed && this.entries.size > 0,
      onOpen: () => {
        for (const entry of this.entries.values()) entry.nextSend = 0;
        this.tick();
      },
      onMessage: (res) => this.onResponse(res),
      // Nothing to redo: the ticker keeps counting down each lease's deadline meanwhile.
      onDown: () => {},
    });
    transport.onClose(() => this.close());
  }

  /** add starts renewing `id` for a new handle. */
  add(id: bigint, options?: KeepAliveOptions): LeaseKeepAlive {
    const handle = new LeaseKeepAlive(id, this);
    if (this.closed) {
      handle.stop(undefined);
      return handle;
    }
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = { id, nextSend: 0, deadline: Date.now() + (options?.ttl ?? 10) * 1000, handles: new Set() };
      this.entries.set(id, entry);
    }
    entry.handles.add(handle);
    this.stream.ensure();
    this.tick();
    return handle;
  }

  /** remove stops renewing for one handle (the lease when it was the last one). */
  remove(handle: LeaseKeepAlive): void {
    const entry = this.entries.get(handle.id);
    if (entry === undefined || !entry.handles.delete(handle)) return;
    if (entry.handles.size === 0) this.entries.delete(handle.id);
    if (this.entries.size === 0) this.idle();
  }

  private lose(entry: KeepAliveEntry, error: Error): void {
    this.entries.delete(entry.id);
    for (const handle of entry.handles) handle.stop(error);
    if (this.entries.size === 0) this.idle();
  }

  /** idle closes the stream and the ticker when nothing is left to renew. */
  private idle(): void {
    this.stream.stop();
    this.cancelTick?.();
    this.cancelTick = undefined;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.idle();
    for (const entry of this.entries.values()) for (const handle of entry.handles) handle.stop(undefined);
    this.entries.clear();
  }

  /** tick sends due renewals, declares overdue leases lost, and re-arms itself. */
  private tick(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    if (this.closed || this.entries.size === 0) return;
    const now = Date.now();
    for (const entry of [...this.entries.values()]) {
      if (now >= entry.deadline) {
        this.lose(entry, new LeaseExpiredError(entry.id, "no keep-alive acknowledged within its TTL"));
        continue;
      }
      if (now >= entry.nextSend && this.stream.write({ ID: entry.id })) entry.nextSend = now + KEEPALIVE_TICK_MS;
    }
    if (this.entries.size > 0) this.cancelTick = this.transport.schedule(KEEPALIVE_TICK_MS, () => this.tick());
  }

  private onResponse(res: pb.LeaseKeepAliveResponse): void {
    this.stream.healthy();
    const entry = this.entries.get(res.ID);
    if (entry === undefined) return;
    if (res.TTL <= 0) {
      this.lose(entry, new LeaseExpiredError(entry.id, "the server reports it expired or revoked"));
      return;
    }
    const now = Date.now();
    entry.nextSend = now + (res.TTL * 1000) / 3;
    entry.deadline = now + res.TTL * 1000;
    const response: LeaseKeepAliveResponse = { header: normalizeHeader(res.header), id: res.ID, ttl: res.TTL };
    for (const handle of entry.handles) handle.renewed(response);
  }
}

/** Lease is the lease API (leases are not namespaced; `timeToLive` keys are, in a namespace). */
export class Lease {
  /** @internal Created by the client. */
  constructor(
    private readonly transport: Transport,
    private readonly manager: KeepAliveManager,
    private readonly space: KeySpace,
  ) {}

  /** grant creates a lease of `ttl` seconds (with a chosen `id` if given). */
  async grant(ttl: number, options?: CallOptions & { readonly id?: bigint | undefined }): Promise<LeaseGrantResponse> {
    const res = await this.transport.unary(LeaseService.leaseGrant, { TTL: ttl, ID: options?.id ?? 0n }, { idempotent: false }, options);
    return { header: normalizeHeader(res.header), id: res.ID, ttl: res.TTL };
  }

  /** revoke ends a lease now, deleting its keys. */
  async revoke(id: bigint, options?: CallOptions): Promise<{ readonly header: ResponseHeader }> {
    const res = await this.transport.unary(LeaseService.leaseRevoke, { ID: id }, { idempotent: false }, options);
    return { header: normalizeHeader(res.header) };
  }

  /** timeToLive reports a lease's remaining TTL (and its keys with `keys: true`). */
  async timeToLive(id: bigint, options?: CallOptions & { readonly keys?: boolean | undefined }): Promise<LeaseTimeToLiveResponse> {
    const res = await this.transport.unary(LeaseService.leaseTimeToLive, { ID: id, keys: options?.keys ?? false }, { idempotent: true }, options);
    const prefix = this.space.prefix;
    const keys = prefix.length === 0 ? res.keys : res.keys.filter((k) => startsWith(k, prefix)).map((k) => this.space.strip(k));
    return { header: normalizeHeader(res.header), id: res.ID, ttl: res.TTL, grantedTtl: res.grantedTTL, keys };
  }

  /** leases lists the IDs of every live lease. */
  async leases(options?: CallOptions): Promise<{ readonly header: ResponseHeader; readonly leases: bigint[] }> {
    const res = await this.transport.unary(LeaseService.leaseLeases, {}, { idempotent: true }, options);
    return { header: normalizeHeader(res.header), leases: res.leases.map((l) => l.ID) };
  }

  /** keepAlive renews a lease until the returned handle is closed or the lease is lost. */
  keepAlive(id: bigint, options?: KeepAliveOptions): LeaseKeepAlive {
    return this.manager.add(id, options);
  }

  /**
   * keepAliveOnce renews a lease once (on a stream of its own). A lease that no longer
   * exists is a {@link LeaseNotFoundError}.
   */
  async keepAliveOnce(id: bigint, options?: CallOptions): Promise<LeaseKeepAliveResponse> {
    const signal = options?.signal;
    const timeout = options?.timeout;
    signal?.throwIfAborted();
    let settle!: { resolve: (res: LeaseKeepAliveResponse) => void; reject: (e: unknown) => void };
    const answer = new Promise<LeaseKeepAliveResponse>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // What to undo once answered, failed, timed out, aborted or closed (whichever comes first).
    const cleanups: (() => void)[] = [];
    let finished = false;
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      for (const cleanup of cleanups) cleanup();
      return true;
    };
    const { call } = await this.transport.openStream(LeaseService.leaseKeepAlive, {
      onMessage: (res) => {
        if (!finish()) return;
        if (res.TTL <= 0) settle.reject(new LeaseNotFoundError());
        else settle.resolve({ header: normalizeHeader(res.header), id: res.ID, ttl: res.TTL });
      },
      onEnd: (err) => {
        if (!finish()) return;
        if (signal?.aborted) settle.reject(signal.reason);
        else settle.reject(err === undefined ? new Error("etcd client: the keep-alive stream ended without an answer") : errorFromStatus(err));
      },
    });
    cleanups.push(() => call.cancel());
    cleanups.push(this.transport.onClose(() => finish() && settle.reject(new ClientClosedError())));
    if (timeout !== undefined) {
      cleanups.push(this.transport.schedule(timeout, () => finish() && settle.reject(new Error(`etcd client: no keep-alive answer within ${timeout} ms`))));
    }
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (finish()) settle.reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener("abort", onAbort));
    }
    call.write({ ID: id });
    return answer;
  }
}
