/**
 * Election: leader election with etcd's key layout, interoperable with `etcdctl elect` and
 * Go's `concurrency.Election`.
 *
 * A candidate writes `name/<session lease ID in hex>` = its value (attached to the session's
 * lease); the leader is the candidate with the lowest create revision. `campaign` resolves
 * once this candidate leads; `proclaim` changes the leader's value; `resign` steps down;
 * `leader` reads the current leader; `observe` follows the leader over time. A leader whose
 * session ends (crash, expiry) is replaced by the next candidate in line.
 */
import { Compare, Op, type KeyValue, type ResponseHeader } from "@etcd-ts/client";
import type { Session } from "./Session.js";
import { ElectionNoLeaderError, ElectionNotLeaderError, SessionExpiredError } from "./errors.js";
import { sessionSignal, waitDeletes } from "./internal/wait.js";

/** Election is one named election, seen through one session. */
export class Election {
  private readonly prefix: string;
  private leaderKey = "";
  private leaderRevision = -1;
  private isCandidate = false;
  private lastHeader: ResponseHeader | undefined;

  /** Creates an election on `name` (keys go under `name/`) for `session`. */
  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.prefix = `${name}/`;
  }

  /** key is this candidate's key while campaigning or leading. */
  get key(): string {
    return this.leaderKey;
  }

  /** revision is the create revision of this candidate's key. */
  get revision(): number {
    return this.leaderRevision;
  }

  /** header is the header of the last successful campaign/proclaim/resign. */
  get header(): ResponseHeader | undefined {
    return this.lastHeader;
  }

  /**
   * campaign puts this candidate in line with `value` and resolves when it leads. If the
   * signal aborts (or the session ends) while waiting, it resigns and rejects.
   */
  async campaign(value: string | Uint8Array, options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    const client = this.session.client;
    const key = `${this.prefix}${this.session.leaseHex}`;
    const res = await client
      .txn()
      .if(Compare.createRevision(key, "=", 0))
      .then(Op.put(key, value, { lease: this.session.lease }))
      .else(Op.get(key))
      .commit({ signal: options?.signal });
    this.leaderKey = key;
    this.leaderRevision = res.header.revision;
    this.isCandidate = true;
    if (!res.succeeded) {
      const existing = res.responses[0];
      const kv = existing?.type === "get" ? existing.response.kvs[0] : undefined;
      if (kv !== undefined) {
        this.leaderRevision = kv.createRevision;
        const current = new TextDecoder().decode(kv.value);
        const wanted = typeof value === "string" ? value : new TextDecoder().decode(value);
        if (current !== wanted) {
          try {
            await this.proclaim(value);
          } catch (err) {
            await this.resign().catch(() => {});
            throw err;
          }
        }
      }
    }
    const linked = sessionSignal(options?.signal, this.session.done, () => new SessionExpiredError());
    try {
      await waitDeletes(client, this.prefix, this.leaderRevision - 1, linked.signal);
    } catch (err) {
      if (options?.signal?.aborted) await this.resign().catch(() => {});
      else this.isCandidate = false;
      throw err;
    } finally {
      linked.dispose();
    }
    this.lastHeader = res.header;
  }

  /** proclaim sets the leader's value without a new election; only the leader may. */
  async proclaim(value: string | Uint8Array): Promise<void> {
    if (!this.isCandidate) throw new ElectionNotLeaderError();
    const res = await this.session.client
      .txn()
      .if(Compare.createRevision(this.leaderKey, "=", this.leaderRevision))
      .then(Op.put(this.leaderKey, value, { lease: this.session.lease }))
      .commit();
    if (!res.succeeded) {
      this.leaderKey = "";
      throw new ElectionNotLeaderError();
    }
    this.lastHeader = res.header;
  }

  /** resign steps down (or leaves the line); the next candidate then leads. */
  async resign(): Promise<void> {
    if (!this.isCandidate) return;
    const res = await this.session.client
      .txn()
      .if(Compare.createRevision(this.leaderKey, "=", this.leaderRevision))
      .then(Op.delete(this.leaderKey))
      .commit();
    this.lastHeader = res.header;
    this.leaderKey = "";
    this.isCandidate = false;
  }

  /** leader returns the current leader's key-value, or rejects with {@link ElectionNoLeaderError}. */
  async leader(): Promise<KeyValue> {
    const res = await this.session.client.get(this.prefix, { prefix: true, sort: { target: "createRevision", order: "ascend" }, limit: 1 });
    const kv = res.kvs[0];
    if (kv === undefined) throw new ElectionNoLeaderError();
    return kv;
  }

  /**
   * observe yields the leader's key-value now (once there is one) and every time the
   * leadership or the leader's value changes, until the signal aborts or the loop breaks.
   */
  async *observe(options?: { readonly signal?: AbortSignal | undefined }): AsyncGenerator<KeyValue, void, undefined> {
    const client = this.session.client;
    const signal = options?.signal;
    while (!signal?.aborted) {
      const res = await client.get(this.prefix, { prefix: true, sort: { target: "createRevision", order: "ascend" }, limit: 1, signal });
      let kv = res.kvs[0];
      let revision = res.header.revision;
      if (kv === undefined) {
        // No leader yet: wait for the first candidate.
        const watcher = client.watch(this.prefix, { prefix: true, startRevision: res.header.revision, signal });
        for await (const w of watcher) {
          const put = w.events.find((e) => e.type === "put");
          if (put !== undefined) {
            kv = put.kv;
            revision = put.kv.modRevision;
            break;
          }
        }
        if (kv === undefined) return;
      }
      yield kv;
      // Follow this leader's key until it is deleted.
      const watcher = client.watch(new TextDecoder().decode(kv.key), { startRevision: revision + 1, signal });
      let deleted = false;
      for await (const w of watcher) {
        for (const event of w.events) {
          if (event.type === "delete") {
            deleted = true;
            break;
          }
          yield event.kv;
        }
        if (deleted) break;
      }
      if (!deleted) return;
    }
  }
}
