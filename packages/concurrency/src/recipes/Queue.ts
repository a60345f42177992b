/**
 * Queue: a multi-producer, multi-consumer FIFO queue (etcd's `recipes.Queue` layout: items
 * are `prefix/<unique>` keys, dequeued in create-revision order; a consumer claims an item by
 * deleting it at its revision, so each item goes to exactly one consumer).
 */
import type { Client, KeyValue } from "@etcd-ts/client";
import { deleteAtRevision, putUnique } from "../internal/keys.js";
import { waitEvents } from "../internal/wait.js";

/** claimFirst deletes the first key of `kvs` still at its revision, and returns it. */
export async function claimFirst(client: Client, kvs: readonly KeyValue[]): Promise<KeyValue | undefined> {
  for (const kv of kvs) {
    if (await deleteAtRevision(client, new TextDecoder().decode(kv.key), kv.modRevision)) return kv;
  }
  return undefined;
}

/** Queue is a FIFO queue under a key prefix. */
export class Queue {
  /** Creates a queue under `prefix`. */
  constructor(
    private readonly client: Client,
    private readonly prefix: string,
  ) {}

  /** enqueue appends a value. */
  async enqueue(value: string): Promise<void> {
    await putUnique(this.client, this.prefix, value);
  }

  /** dequeue removes and returns the oldest value, waiting for one if the queue is empty. */
  async dequeue(options?: { readonly signal?: AbortSignal | undefined }): Promise<string> {
    for (;;) {
      const res = await this.client.get(`${this.prefix}/`, { prefix: true, sort: { target: "createRevision", order: "ascend" }, limit: 1, signal: options?.signal });
      const claimed = await claimFirst(this.client, res.kvs);
      if (claimed !== undefined) return new TextDecoder().decode(claimed.value);
      if (res.more || res.kvs.length > 0) continue;
      const event = await waitEvents(this.client, `${this.prefix}/`, res.header.revision, ["put"], { prefix: true, signal: options?.signal });
      if (await deleteAtRevision(this.client, new TextDecoder().decode(event.kv.key), event.kv.modRevision)) {
        return new TextDecoder().decode(event.kv.value);
      }
    }
  }
}
