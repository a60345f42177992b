/**
 * Wait: proposers waiting for their request to be applied, by request ID. The applier
 * triggers an ID with the outcome; a proposer that gives up (timeout, cancel) is forgotten.
 */

/** Wait registers waiters and triggers them. */
export class Wait<T> {
  private readonly waiters = new Map<bigint, { resolve: (value: T) => void; reject: (error: unknown) => void }>();

  /** register returns a promise for the outcome of `id`. */
  register(id: bigint): Promise<T> {
    return new Promise<T>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
  }

  /** size is the number of proposers waiting. */
  get size(): number {
    return this.waiters.size;
  }

  /** has tells whether someone waits on `id` (only the proposing member does). */
  has(id: bigint): boolean {
    return this.waiters.has(id);
  }

  /** trigger resolves the waiter of `id`, if any. */
  trigger(id: bigint, value: T): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    waiter.resolve(value);
  }

  /** fail rejects the waiter of `id`, if any. */
  fail(id: bigint, error: unknown): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    waiter.reject(error);
  }

  /** failAll rejects every waiter (shutdown). */
  failAll(error: unknown): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  /** forget drops a waiter without settling it. */
  forget(id: bigint): void {
    this.waiters.delete(id);
  }
}
