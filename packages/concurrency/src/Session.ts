/**
 * Session: a lease kept alive for as long as the session is open, the liveness token of
 * every lock, election candidacy and ephemeral key built on it (etcd's `concurrency.Session`).
 *
 * When the session's lease is lost (expired because the process could not renew it, or
 * revoked), `done` resolves with the reason, and everything held under it is gone on the
 * server: locks are released, candidacies withdrawn, ephemeral keys deleted.
 */
import type { Client, LeaseKeepAlive } from "@etcd-ts/client";

/** SessionOptions tune a session. */
export interface SessionOptions {
  /** ttl of the session's lease in seconds (default 60, as etcd's). */
  readonly ttl?: number | undefined;
  /** lease reuses an existing lease instead of granting one. */
  readonly lease?: bigint | undefined;
  /** signal aborts creating the session. */
  readonly signal?: AbortSignal | undefined;
}

/** DEFAULT_SESSION_TTL is the lease TTL of a session, in seconds, when none is given. */
export const DEFAULT_SESSION_TTL = 60;

/** Session is a kept-alive lease. Create one with {@link Session.create}. */
export class Session {
  /**
   * done resolves when the session ends: with `undefined` after `close()` / `orphan()`,
   * with the error (e.g. `LeaseExpiredError`) when the lease was lost.
   */
  readonly done: Promise<Error | undefined>;

  private constructor(
    /** client is the client the session runs on. */
    readonly client: Client,
    /** lease is the session's lease ID. */
    readonly lease: bigint,
    /** ttl is the lease TTL in seconds. */
    readonly ttl: number,
    private readonly keepAlive: LeaseKeepAlive,
  ) {
    this.done = keepAlive.done;
  }

  /** create grants a lease (unless one is given) and starts keeping it alive. */
  static async create(client: Client, options?: SessionOptions): Promise<Session> {
    const ttl = options?.ttl ?? DEFAULT_SESSION_TTL;
    const lease = options?.lease ?? (await client.lease.grant(ttl, { signal: options?.signal })).id;
    return new Session(client, lease, ttl, client.lease.keepAlive(lease, { ttl }));
  }

  /** leaseHex is the lease ID in hex, as etcd's key layouts write it. */
  get leaseHex(): string {
    return this.lease.toString(16);
  }

  /** orphan stops keeping the lease alive without revoking it (it expires after its TTL). */
  orphan(): void {
    this.keepAlive.close();
  }

  /** close ends the session: stops the keep-alive and revokes the lease (releasing everything). */
  async close(): Promise<void> {
    this.orphan();
    await this.client.lease.revoke(this.lease, { timeout: this.ttl * 1000 }).catch((err: unknown) => {
      if ((err as { name?: string }).name !== "LeaseNotFoundError") throw err;
    });
  }
}
