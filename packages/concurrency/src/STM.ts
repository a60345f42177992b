/**
 * STM: software transactional memory over etcd, with etcd's four isolation levels.
 *
 * `runSTM(client, async (stm) => { ... })` runs the function against a transaction-local
 * view: reads go to etcd (cached for the rest of the attempt), writes are buffered. At the
 * end, the writes are committed in one etcd transaction guarded by compares that detect
 * conflicting writes; on conflict the function is run again from scratch. The function must
 * therefore be free of side effects other than through `stm`.
 *
 * Isolation levels (etcd's):
 *  - `serializableSnapshot` (default): all reads at the revision of the first read; commit
 *    fails if any key read or written changed since then. No write skew.
 *  - `serializable`: all reads at the revision of the first read; commit fails if a key read
 *    changed.
 *  - `repeatableReads`: reads at the latest revision, each key read once; commit fails if a
 *    key read changed.
 *  - `readCommitted`: reads at the latest revision; commit never fails (no conflict check).
 */
import { Compare, Op, type Client, type GetResponse, type PutOptions, type TxnResponse } from "@etcd-ts/client";
import { STMRetriesExhaustedError } from "./errors.js";

/** Isolation is an STM isolation level. */
export type Isolation = "serializableSnapshot" | "serializable" | "repeatableReads" | "readCommitted";

/** STM is the transaction-local view given to the function run by {@link runSTM}. */
export interface STM {
  /** get returns the value of the first of `keys` that exists ("" when none does). */
  get(...keys: string[]): Promise<string>;
  /** put buffers a write. */
  put(key: string, value: string, options?: Pick<PutOptions, "lease">): void;
  /** del buffers a delete. */
  del(key: string): void;
  /** rev returns the key's mod revision as read by this transaction (0 when absent). */
  rev(key: string): Promise<number>;
}

/** STMOptions tune {@link runSTM}. */
export interface STMOptions {
  /** isolation level; `serializableSnapshot` by default. */
  readonly isolation?: Isolation | undefined;
  /** prefetch reads these keys up front, in one round trip. */
  readonly prefetch?: readonly string[] | undefined;
  /** signal aborts between attempts and during reads. */
  readonly signal?: AbortSignal | undefined;
  /** maxAttempts bounds the runs of the function (default: unbounded). */
  readonly maxAttempts?: number | undefined;
}

interface Write {
  readonly value: string;
  readonly op: Op;
}

const MAX_REVISION = Number.MAX_SAFE_INTEGER;

class Attempt implements STM {
  readonly reads = new Map<string, GetResponse>();
  readonly writes = new Map<string, Write>();
  private snapshotRevision = 0;

  constructor(
    private readonly client: Client,
    private readonly isolation: Isolation,
    private readonly prefetched: Map<string, GetResponse>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  private get snapshot(): boolean {
    return this.isolation === "serializable" || this.isolation === "serializableSnapshot";
  }

  async get(...keys: string[]): Promise<string> {
    for (const key of keys) {
      const write = this.writes.get(key);
      if (write !== undefined) return write.value;
    }
    const res = await this.fetch(keys);
    const kv = res?.kvs[0];
    return kv === undefined ? "" : new TextDecoder().decode(kv.value);
  }

  put(key: string, value: string, options?: Pick<PutOptions, "lease">): void {
    this.writes.set(key, { value, op: Op.put(key, value, options?.lease === undefined ? undefined : { lease: options.lease }) });
  }

  del(key: string): void {
    this.writes.set(key, { value: "", op: Op.delete(key) });
  }

  async rev(key: string): Promise<number> {
    const res = await this.fetch([key]);
    return res?.kvs[0]?.modRevision ?? 0;
  }

  /** fetch returns the first key's read, reading every key not read yet in one txn. */
  private async fetch(keys: string[]): Promise<GetResponse | undefined> {
    if (keys.length === 0) return undefined;
    if (this.snapshot) {
      for (const key of keys) {
        const pre = this.prefetched.get(key);
        if (pre !== undefined) {
          this.prefetched.delete(key);
          this.reads.set(key, pre);
          if (this.snapshotRevision === 0) this.snapshotRevision = pre.header.revision;
        }
      }
    }
    const cached = this.reads.get(keys[0]!);
    if (cached !== undefined) return cached;
    const missing = keys.filter((k) => !this.reads.has(k));
    const firstRead = this.snapshotRevision === 0;
    const revision = this.snapshot && !firstRead ? this.snapshotRevision : 0;
    const res = await this.client
      .txn()
      .then(...missing.map((k) => Op.get(k, { revision, serializable: !this.snapshot || !firstRead })))
      .commit({ signal: this.signal });
    missing.forEach((key, i) => {
      const r = res.responses[i];
      if (r?.type === "get") this.reads.set(key, r.response);
    });
    if (this.snapshot && firstRead) this.snapshotRevision = res.header.revision;
    return this.reads.get(keys[0]!);
  }

  /** firstRevision is the lowest revision any read was made at. */
  private firstRevision(): number {
    let first = MAX_REVISION - 1;
    for (const r of this.reads.values()) if (r.header.revision < first) first = r.header.revision;
    return first;
  }

  /** conflicts are the compares that make the commit fail when another writer interfered. */
  conflicts(): Compare[] {
    if (this.isolation === "readCommitted") return [];
    const compares: Compare[] = [];
    for (const [key, res] of this.reads) compares.push(Compare.modRevision(key, "=", res.kvs[0]?.modRevision ?? 0));
    if (this.isolation === "serializableSnapshot") {
      const first = this.firstRevision() + 1;
      for (const key of this.writes.keys()) compares.push(Compare.modRevision(key, "<", first));
    }
    return compares;
  }
}

/**
 * runSTM runs `apply` in a transaction and commits its writes, re-running it on conflict;
 * resolves with the committing transaction's response. An error thrown by `apply` aborts
 * without committing and is rethrown.
 */
export async function runSTM(client: Client, apply: (stm: STM) => Promise<void>, options?: STMOptions): Promise<TxnResponse> {
  const isolation = options?.isolation ?? "serializableSnapshot";
  const signal = options?.signal;
  const maxAttempts = options?.maxAttempts ?? Infinity;
  let prefetched = new Map<string, GetResponse>();
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const stm = new Attempt(client, isolation, prefetched, signal);
    if (options?.prefetch !== undefined && options.prefetch.length > 0) await stm.get(...options.prefetch);
    await apply(stm);
    const keys = [...stm.reads.keys()];
    const snapshot = isolation === "serializable" || isolation === "serializableSnapshot";
    const res = await client
      .txn()
      .if(...stm.conflicts())
      .then(...[...stm.writes.values()].map((w) => w.op))
      .else(...(snapshot ? keys.map((k) => Op.get(k)) : []))
      .commit({ signal });
    if (res.succeeded) return res;
    if (attempt >= maxAttempts) throw new STMRetriesExhaustedError(attempt);
    // The failed commit read the keys' current state: the next attempt starts from it.
    prefetched = new Map();
    if (snapshot) {
      keys.forEach((key, i) => {
        const r = res.responses[i];
        if (r?.type === "get") prefetched.set(key, { ...r.response, header: res.header });
      });
    }
  }
}
