/**
 * PriorityQueue: a queue served lowest priority number first, FIFO within a priority
 * (etcd's `recipes.PriorityQueue` layout: `key/<5-digit priority>/<16-digit sequence>`).
 */
import type { Client } from "@etcd-ts/client";
import { deleteAtRevision, putSequential } from "../internal/keys.js";
import { waitEvents } from "../internal/wait.js";
import { claimFirst } from "./Queue.js";

/** PriorityQueue is a priority queue under a key. */
export class PriorityQueue {
  private readonly prefix: string;

  /** Creates a priority queue under `key`. */
  constructor(
    private readonly client: Client,
    key: string,
  ) {
    this.prefix = `${key}/`;
  }

  /** enqueue adds a value with a priority in 0..65535 (0 is served first). */
  async enqueue(value: string, priority: number): Promise<void> {
    if (!Number.isInteger(priority) || priority < 0 || priority > 0xffff) throw new RangeError("priority must be an integer in 0..65535");
    await putSequential(this.client, `${this.prefix}${String(priority).padStart(5, "0")}`, value);
  }

  /** dequeue removes and returns the most urgent value, waiting if the queue is empty. */
  async dequeue(options?: { readonly signal?: AbortSignal | undefined }): Promise<string> {
    for (;;) {
      const res = await this.client.get(this.prefix, { prefix: true, sort: { target: "key", order: "ascend" }, limit: 1, signal: options?.signal });
      const claimed = await claimFirst(this.client, res.kvs);
      if (claimed !== undefined) return new TextDecoder().decode(claimed.value);
      if (res.more || res.kvs.length > 0) continue;
      const event = await waitEvents(this.client, this.prefix, res.header.revision, ["put"], { prefix: true, signal: options?.signal });
      if (await deleteAtRevision(this.client, new TextDecoder().decode(event.kv.key), event.kv.modRevision)) {
        return new TextDecoder().decode(event.kv.value);
      }
    }
  }
}
