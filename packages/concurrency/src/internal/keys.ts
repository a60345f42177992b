/**
 * Keys the recipes create: new-only keys (put if absent), unique keys under a prefix,
 * sequential keys, and deleting a key only at a known revision.
 */
import { Compare, Op, type Client } from "@etcd-ts/client";

/** KeyExistsError: a put-if-absent found the key present. */
export class KeyExistsError extends Error {
  constructor(key: string) {
    super(`concurrency: key ${key} already exists`);
    this.name = "KeyExistsError";
  }
}

/** A key created by a recipe, with the revision that created it. */
export interface CreatedKey {
  readonly key: string;
  readonly revision: number;
}

/** putNew writes `key` only if it does not exist; returns the creating revision. */
export async function putNew(client: Client, key: string, value: string, lease?: bigint): Promise<number> {
  const res = await client
    .txn()
    .if(Compare.version(key, "=", 0))
    .then(Op.put(key, value, lease === undefined ? undefined : { lease }))
    .commit();
  if (!res.succeeded) throw new KeyExistsError(key);
  return res.header.revision;
}

let lastUnique = 0n;

/** uniqueSuffix is a number that grows on every call (nanoseconds since the epoch, bumped). */
function uniqueSuffix(): string {
  let now = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (now <= lastUnique) now = lastUnique + 1n;
  lastUnique = now;
  return now.toString();
}

/** putUnique writes a new key `prefix/<unique number>`; returns it. */
export async function putUnique(client: Client, prefix: string, value: string, lease?: bigint): Promise<CreatedKey> {
  for (;;) {
    const key = `${prefix}/${uniqueSuffix()}`;
    try {
      return { key, revision: await putNew(client, key, value, lease) };
    } catch (err) {
      if (!(err instanceof KeyExistsError)) throw err;
    }
  }
}

/**
 * putSequential writes `prefix/<16-digit sequence number>`, one above the last key under
 * the prefix, guarded by a marker key `__<prefix>` so concurrent writers take turns.
 */
export async function putSequential(client: Client, prefix: string, value: string): Promise<CreatedKey> {
  for (;;) {
    const last = await client.get(`${prefix}/`, { prefix: true, sort: { target: "key", order: "descend" }, limit: 1 });
    let sequence = 0;
    const lastKv = last.kvs[0];
    if (lastKv !== undefined) {
      const fields = new TextDecoder().decode(lastKv.key).split("/");
      sequence = Number.parseInt(fields[fields.length - 1] ?? "", 10) + 1;
      if (!Number.isFinite(sequence)) throw new Error(`concurrency: bad sequential key under ${prefix}`);
    }
    const key = `${prefix}/${String(sequence).padStart(16, "0")}`;
    const marker = `__${prefix}`;
    const res = await client
      .txn()
      .if(Compare.modRevision(marker, "<", last.header.revision + 1))
      .then(Op.put(marker, ""), Op.put(key, value))
      .commit();
    if (res.succeeded) return { key, revision: res.header.revision };
  }
}

/** deleteAtRevision deletes `key` only if its mod revision is still `revision`. */
export async function deleteAtRevision(client: Client, key: string, revision: number): Promise<boolean> {
  const res = await client.txn().if(Compare.modRevision(key, "=", revision)).then(Op.delete(key)).commit();
  return res.succeeded;
}
