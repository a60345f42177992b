/**
 * EndpointManager: reads and writes service endpoints in the key and value format of etcd's
 * Go `clientv3/naming/endpoints.Manager`, so Go services and ours see each other.
 *
 * Format: the endpoints of the service (target) `T` are the keys `T/<anything>` (usually
 * `T/<addr>`); each value is the JSON `{"Op":0,"Addr":"<host:port>","Metadata":<any>}`
 * (Op 0 is "add"; Metadata `null` when absent). Values that do not parse are skipped.
 */
import type { Client } from "../Client.js";
import type { PutOptions } from "../kvTypes.js";
import { Op } from "../Txn.js";
import type { WatchOptions } from "../Watch.js";
import { text } from "../keys.js";

/** Endpoint is one instance of a service: its address and optional metadata. */
export interface Endpoint {
  /** addr is the address clients connect to, e.g. `10.0.0.7:50051`. */
  readonly addr: string;
  /** metadata is any JSON value describing the instance (Go's `Metadata interface{}`). */
  readonly metadata?: unknown;
}

/** EndpointUpdate is one change of the endpoint set. */
export type EndpointUpdate = { readonly op: "add"; readonly key: string; readonly endpoint: Endpoint } | { readonly op: "delete"; readonly key: string };

/** encodeEndpoint is the stored value of an endpoint (Go's `internal.Update` as JSON). */
export function encodeEndpoint(endpoint: Endpoint): string {
  return JSON.stringify({ Op: 0, Addr: endpoint.addr, Metadata: endpoint.metadata ?? null });
}

/** decodeEndpoint parses a stored value; undefined when it is not an endpoint. */
export function decodeEndpoint(value: Uint8Array): Endpoint | undefined {
  try {
    const parsed = JSON.parse(text(value)) as { Addr?: unknown; Metadata?: unknown };
    if (typeof parsed !== "object" || parsed === null || typeof parsed.Addr !== "string") return undefined;
    return parsed.Metadata === null || parsed.Metadata === undefined ? { addr: parsed.Addr } : { addr: parsed.Addr, metadata: parsed.Metadata };
  } catch {
    return undefined;
  }
}

/** EndpointManager manages the endpoints of one service name (target). */
export class EndpointManager {
  /** Creates a manager for `target` (a service name such as `services/greeter`). */
  constructor(
    private readonly client: Client,
    /** target is the service name; endpoint keys are `target/...`. */
    readonly target: string,
  ) {
    if (target === "") throw new TypeError("naming: invalid target");
  }

  private checkKey(key: string): void {
    if (!key.startsWith(`${this.target}/`)) throw new TypeError(`endpoints: endpoint key should be prefixed with '${this.target}/' got: '${key}'`);
  }

  /** update applies several adds and deletes atomically. */
  async update(updates: readonly (EndpointUpdate & { readonly options?: Pick<PutOptions, "lease"> })[]): Promise<void> {
    const ops = updates.map((u) => {
      this.checkKey(u.key);
      return u.op === "add" ? Op.put(u.key, encodeEndpoint(u.endpoint), u.options) : Op.delete(u.key);
    });
    await this.client.txn().then(...ops).commit();
  }

  /** addEndpoint registers one endpoint under `key` (optionally attached to a lease). */
  addEndpoint(key: string, endpoint: Endpoint, options?: Pick<PutOptions, "lease">): Promise<void> {
    return this.update([{ op: "add", key, endpoint, ...(options === undefined ? {} : { options }) }]);
  }

  /** deleteEndpoint removes one endpoint. */
  deleteEndpoint(key: string): Promise<void> {
    return this.update([{ op: "delete", key }]);
  }

  /** list returns the endpoints by key, and the revision they were read at. */
  async list(): Promise<{ endpoints: Map<string, Endpoint>; revision: number }> {
    const res = await this.client.get(`${this.target}/`, { prefix: true });
    const endpoints = new Map<string, Endpoint>();
    for (const kv of res.kvs) {
      const endpoint = decodeEndpoint(kv.value);
      if (endpoint !== undefined) endpoints.set(text(kv.key), endpoint);
    }
    return { endpoints, revision: res.header.revision };
  }

  /**
   * watch yields the changes of the endpoint set after `revision`, a batch per watch
   * response, until the signal aborts. The underlying watch resumes across reconnects.
   */
  async *watch(revision: number, options?: Pick<WatchOptions, "signal">): AsyncGenerator<EndpointUpdate[], void, undefined> {
    const watcher = this.client.watch(`${this.target}/`, { prefix: true, startRevision: revision + 1, signal: options?.signal });
    for await (const res of watcher) {
      const updates: EndpointUpdate[] = [];
      for (const event of res.events) {
        const key = text(event.kv.key);
        if (event.type === "delete") {
          updates.push({ op: "delete", key });
        } else {
          const endpoint = decodeEndpoint(event.kv.value);
          if (endpoint !== undefined) updates.push({ op: "add", key, endpoint });
        }
      }
      if (updates.length > 0) yield updates;
    }
  }
}
