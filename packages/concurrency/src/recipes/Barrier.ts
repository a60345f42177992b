/**
 * Barrier: blocks waiters until the barrier key is deleted (etcd's `recipes.Barrier`).
 * `hold()` creates the key, `release()` deletes it, `wait()` returns once it is absent.
 */
import type { Client } from "@etcd-ts/client";
import { putNew } from "../internal/keys.js";
import { waitEvents } from "../internal/wait.js";

/** Barrier is a single-key barrier. */
export class Barrier {
  /** Creates a barrier on `key`. */
  constructor(
    private readonly client: Client,
    private readonly key: string,
  ) {}

  /** hold raises the barrier (rejects with KeyExistsError if it is already up). */
  async hold(): Promise<void> {
    await putNew(this.client, this.key, "");
  }

  /** release lowers the barrier, letting every waiter through. */
  async release(): Promise<void> {
    await this.client.delete(this.key);
  }

  /** wait resolves once the barrier is down. */
  async wait(options?: { readonly signal?: AbortSignal | undefined }): Promise<void> {
    const res = await this.client.get(this.key, { signal: options?.signal });
    if (res.kvs.length === 0) return;
    await waitEvents(this.client, this.key, res.header.revision + 1, ["delete"], options);
  }
}
