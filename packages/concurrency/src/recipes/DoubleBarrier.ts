/**
 * DoubleBarrier: `count` parties enter together and leave together (etcd's
 * `recipes.DoubleBarrier` layout: `key/waiters/<unique>` per party, attached to its session's
 * lease, and `key/ready` once all have entered).
 */
import type { Session } from "../Session.js";
import { TooManyClientsError } from "../errors.js";
import { putUnique, type CreatedKey } from "../internal/keys.js";
import { waitEvents } from "../internal/wait.js";

/** DoubleBarrier synchronizes the start and end of a computation among `count` parties. */
export class DoubleBarrier {
  private myKey: CreatedKey | undefined;

  /** Creates a double barrier on `key` for `count` parties. */
  constructor(
    private readonly session: Session,
    private readonly key: string,
    private readonly count: number,
  ) {}

  /** enter waits until `count` parties have entered. */
  async enter(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    const client = this.session.client;
    this.myKey = await putUnique(client, `${this.key}/waiters`, "", this.session.lease);
    const res = await client.get(`${this.key}/waiters/`, { prefix: true });
    if (res.kvs.length > this.count) throw new TooManyClientsError();
    if (res.kvs.length === this.count) {
      await client.put(`${this.key}/ready`, "");
      return;
    }
    await waitEvents(client, `${this.key}/ready`, this.myKey.revision, ["put"], options);
  }

  /** leave waits until every party has left. */
  async leave(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    const client = this.session.client;
    for (;;) {
      const res = await client.get(`${this.key}/waiters/`, { prefix: true });
      if (res.kvs.length === 0) return;
      let lowest = res.kvs[0]!;
      let highest = res.kvs[0]!;
      for (const kv of res.kvs) {
        if (kv.modRevision < lowest.modRevision) lowest = kv;
        if (kv.modRevision > highest.modRevision) highest = kv;
      }
      const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
      const mine = this.myKey?.key;
      if (res.kvs.length === 1) {
        await client.delete(`${this.key}/ready`);
        if (mine !== undefined) await client.delete(mine);
        return;
      }
      if (decode(lowest.key) === mine) {
        // The lowest leaves last: wait for the highest to go, then look again.
        await waitEvents(client, decode(highest.key), highest.modRevision, ["delete"], options);
        continue;
      }
      if (mine !== undefined) await client.delete(mine);
      await waitEvents(client, decode(lowest.key), lowest.modRevision, ["delete"], options);
      // Once the lowest is gone everyone has left; the loop sees an empty set or stragglers.
      if (mine !== undefined) return;
    }
  }
}
