/**
 * Registration: a service instance announced under a lease kept alive. The endpoint key
 * disappears when the registration is closed (deleted and the lease revoked) or when the
 * process dies (the lease expires within its TTL).
 */
import type { Client } from "../Client.js";
import type { LeaseKeepAlive } from "../Lease.js";
import { EndpointManager, type Endpoint } from "./EndpointManager.js";

/** RegisterOptions tune a registration. */
export interface RegisterOptions {
  /** ttl of the registration's lease in seconds (default 10): how long a crash goes unnoticed. */
  readonly ttl?: number | undefined;
  /** key is the endpoint key (default `<service>/<addr>`); it must start with `<service>/`. */
  readonly key?: string | undefined;
}

/** Registration is a live announcement of one endpoint. */
export class Registration {
  /** done resolves when the registration ended: undefined after close(), the error when lost. */
  readonly done: Promise<Error | undefined>;

  private constructor(
    private readonly client: Client,
    /** key is the endpoint key. */
    readonly key: string,
    /** lease is the lease the key is attached to. */
    readonly lease: bigint,
    private readonly keepAlive: LeaseKeepAlive,
  ) {
    this.done = keepAlive.done;
  }

  /** register announces `endpoint` under `service`, kept alive until close(). */
  static async register(client: Client, service: string, endpoint: Endpoint, options?: RegisterOptions): Promise<Registration> {
    const ttl = options?.ttl ?? 10;
    const key = options?.key ?? `${service}/${endpoint.addr}`;
    const manager = new EndpointManager(client, service);
    const lease = await client.lease.grant(ttl);
    const keepAlive = client.lease.keepAlive(lease.id, { ttl });
    try {
      await manager.addEndpoint(key, endpoint, { lease: lease.id });
    } catch (err) {
      keepAlive.close();
      await client.lease.revoke(lease.id).catch(() => {});
      throw err;
    }
    return new Registration(client, key, lease.id, keepAlive);
  }

  /** close deregisters: stops the keep-alive and revokes the lease (deleting the key). */
  async close(): Promise<void> {
    this.keepAlive.close();
    await this.client.lease.revoke(this.lease).catch((err: unknown) => {
      if ((err as { name?: string }).name !== "LeaseNotFoundError") throw err;
    });
  }
}
