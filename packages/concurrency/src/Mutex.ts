/**
 * Mutex: a distributed lock, fair by create revision, with etcd's key layout so it
 * interoperates with `etcdctl lock` and Go's `concurrency.Mutex`.
 *
 * Locking `name` writes the key `name/<session lease ID in hex>` (empty value, attached to the
 * session's lease) if absent; the holder is the key with the lowest create revision under
 * `name/`. A waiter watches only the key created just before its own (no thundering herd).
 * The lock is released by `unlock()`, or by the session's lease ending (crash, expiry).
 *
 * One session holds at most one key per lock name: two Mutex objects of one session on the
 * same name are the same lock (as in etcd).
 */
import { Compare, type ResponseHeader } from "@etcd-ts/client";
import { Op } from "@etcd-ts/client";
import type { Session } from "./Session.js";
import { LockedError, SessionExpiredError } from "./errors.js";
import { sessionSignal, waitDeletes } from "./internal/wait.js";

/** Mutex is a lock named by a key prefix. */
export class Mutex {
  private readonly prefix: string;
  private myKey = "";
  private myRevision = -1;
  private lastHeader: ResponseHeader | undefined;

  /** Creates a mutex on `name` (keys go under `name/`) held through `session`. */
  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.prefix = `${name}/`;
  }

  /** key is this session's key under the lock (empty when not locking). */
  get key(): string {
    return this.myKey;
  }

  /** header is the response header of the transaction that acquired the lock. */
  get header(): ResponseHeader | undefined {
    return this.lastHeader;
  }

  /** enqueue writes this session's key (if absent) and returns whether it already holds the lock. */
  private async enqueue(signal: AbortSignal | undefined): Promise<{ owner: boolean; header: ResponseHeader }> {
    const client = this.session.client;
    this.myKey = `${this.prefix}${this.session.leaseHex}`;
    const getOwner = Op.get(this.prefix, { prefix: true, sort: { target: "createRevision", order: "ascend" }, limit: 1 });
    const res = await client
      .txn()
      .if(Compare.createRevision(this.myKey, "=", 0))
      .then(Op.put(this.myKey, "", { lease: this.session.lease }), getOwner)
      .else(Op.get(this.myKey), getOwner)
      .commit({ signal });
    this.myRevision = res.header.revision;
    const mine = res.responses[0];
    if (!res.succeeded && mine?.type === "get") this.myRevision = mine.response.kvs[0]?.createRevision ?? this.myRevision;
    const owner = res.responses[1];
    const ownerKv = owner?.type === "get" ? owner.response.kvs[0] : undefined;
    return { owner: ownerKv === undefined || ownerKv.createRevision === this.myRevision, header: res.header };
  }

  /**
   * lock waits until this session holds the lock. If the signal aborts or the session
   * ends while waiting, the waiting key is removed and lock() rejects.
   */
  async lock(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    const linked = sessionSignal(options?.signal, this.session.done, () => new SessionExpiredError());
    try {
      const { owner, header } = await this.enqueue(linked.signal);
      if (owner) {
        this.lastHeader = header;
        return;
      }
      try {
        this.lastHeader = await waitDeletes(this.session.client, this.prefix, this.myRevision - 1, linked.signal);
      } catch (err) {
        await this.unlock().catch(() => {});
        throw err;
      }
    } finally {
      linked.dispose();
    }
  }

  /** tryLock takes the lock if it is free and returns true, or returns false at once. */
  async tryLock(options?: { readonly signal?: AbortSignal | undefined }): Promise<boolean> {
    const { owner, header } = await this.enqueue(options?.signal);
    if (owner) {
      this.lastHeader = header;
      return true;
    }
    await this.unlock();
    return false;
  }

  /** tryLockOrThrow is tryLock that rejects with {@link LockedError} when the lock is held. */
  async tryLockOrThrow(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    if (!(await this.tryLock(options))) throw new LockedError();
  }

  /** unlock releases the lock (or gives up waiting). */
  async unlock(): Promise<void> {
    if (this.myKey !== "") await this.session.client.delete(this.myKey);
    this.myKey = "";
    this.myRevision = -1;
  }

  /** isOwner is a compare that holds while this session owns the lock (for guarded txns). */
  isOwner(): Compare {
    return Compare.createRevision(this.myKey, "=", this.myRevision);
  }

  /** isLocked asks the server whether this session currently owns the lock. */
  async isLocked(): Promise<boolean> {
    if (this.myKey === "") return false;
    const res = await this.session.client.get(this.prefix, { prefix: true, sort: { target: "createRevision", order: "ascend" }, limit: 1 });
    return res.kvs[0]?.createRevision === this.myRevision;
  }
}
