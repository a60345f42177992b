/**
 * RWMutex: a readers-writer lock (etcd's `recipes.RWMutex` layout): readers write
 * `name/read/<unique>`, writers `name/write/<unique>`, both attached to the session's lease.
 * A reader waits for every writer that queued before it; a writer waits for everyone that
 * queued before it. Fair by revision.
 */
import type { Session } from "./Session.js";
import { putUnique, type CreatedKey } from "./internal/keys.js";
import { waitEvents } from "./internal/wait.js";

/** RWMutex is a readers-writer lock named by a key prefix. */
export class RWMutex {
  private readonly prefix: string;
  private myKey: CreatedKey | undefined;

  /** Creates a readers-writer lock on `name` held through `session`. */
  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.prefix = `${name}/`;
  }

  /** readLock waits until no writer queued earlier holds or waits for the lock. */
  async readLock(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    this.myKey = await putUnique(this.session.client, `${this.prefix}read`, "", this.session.lease);
    while (!(await this.waitOnLast(`${this.prefix}write`, options?.signal))) {
      // the writer before us left; look again
    }
  }

  /** lock (write lock) waits until everyone queued earlier is gone. */
  async lock(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    this.myKey = await putUnique(this.session.client, `${this.prefix}write`, "", this.session.lease);
    while (!(await this.waitOnLast(this.prefix, options?.signal))) {
      // the holder before us left; look again
    }
  }

  /** waitOnLast returns true when no key under `prefix` predates ours, else waits for the latest one to go. */
  private async waitOnLast(prefix: string, signal: AbortSignal | undefined): Promise<boolean> {
    const client = this.session.client;
    const mine = this.myKey!;
    const last = await client.get(prefix, {
      prefix: true,
      sort: { target: "modRevision", order: "descend" },
      limit: 1,
      maxModRevision: mine.revision - 1,
      signal,
    });
    const kv = last.kvs[0];
    if (kv === undefined) return true;
    await waitEvents(client, new TextDecoder().decode(kv.key), mine.revision, ["delete"], { signal });
    return false;
  }

  /** readUnlock releases a read lock. */
  readUnlock(): Promise<void> {
    return this.release();
  }

  /** unlock releases the write lock. */
  unlock(): Promise<void> {
    return this.release();
  }

  private async release(): Promise<void> {
    const key = this.myKey;
    this.myKey = undefined;
    if (key !== undefined) await this.session.client.delete(key.key);
  }
}
