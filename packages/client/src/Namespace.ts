/**
 * Namespace: a view of the keyspace under a key prefix, as etcd's `namespace` package.
 *
 * `client.namespace("app/")` returns a view whose KV, Watch and Lease calls add `app/` to
 * every key sent (range ends included: "to the end of the keyspace" becomes "to the end of
 * the prefix") and strip it from every key received. Views nest (`ns.namespace("a/")`). A
 * view shares its client's connections, watch stream and keep-alives; closing is the
 * client's job. Lease IDs and revisions are not namespaced; `compact` is global.
 *
 * What it does not do: it does not check that a key received lies inside the prefix (the
 * server only returns such keys for requests built here).
 */
import type { Bytes } from "./keys.js";
import { KV } from "./KV.js";
import { Lease } from "./Lease.js";
import type { KeepAliveManager } from "./Lease.js";
import { Watch, type WatchManager, type WatchOptions, type Watcher } from "./Watch.js";
import type { Transport } from "./internal/Transport.js";
import type { KeySpace } from "./internal/KeySpace.js";

/** The shared machinery of a client and all its views. */
export interface ClientCore {
  readonly transport: Transport;
  readonly watches: WatchManager;
  readonly keepAlives: KeepAliveManager;
}

/** Namespace is a KV + Watch + Lease view of one key prefix. */
export class Namespace extends KV {
  /** watcher is this view's watch API (`watch()` is a shortcut). */
  readonly watcher: Watch;
  /** lease is the lease API (its `timeToLive` keys are in this view's namespace). */
  readonly lease: Lease;

  /** @internal Created by `client.namespace()`. */
  constructor(
    protected readonly core: ClientCore,
    space: KeySpace,
  ) {
    super(core.transport, space);
    this.watcher = new Watch(core.watches, space);
    this.lease = new Lease(core.transport, core.keepAlives, space);
  }

  /** prefix is the full key prefix of this view (empty for the client itself). */
  get prefix(): Uint8Array {
    return this.space.prefix;
  }

  /** watch starts watching `key` (or a range with range options); see {@link Watch}. */
  watch(key: Bytes, options?: WatchOptions): Watcher {
    return this.watcher.watch(key, options);
  }

  /** namespace returns a view nested under `prefix` within this one. */
  namespace(prefix: Bytes): Namespace {
    return new Namespace(this.core, this.space.child(prefix));
  }
}
