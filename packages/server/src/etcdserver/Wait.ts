/**
 * Wait: proposers waiting for their request to be applied, by request ID. The applier
 * triggers an ID with the outcome. Every waiter has a deadline; `expire` (called from the
 * member's tick) rejects the overdue ones, so a proposal costs no timer of its own.
 */

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
}

/** Wait registers waiters and triggers them. */
export class Wait<T> {
  // Insertion order is deadline order as long as every waiter gets the same timeout, which
  // lets `expire` stop at the first waiter still in time.
  private readonly waiters = new Map<bigint, Waiter<T>>();

  /** register returns a promise for the outcome of `id`, rejected by `expire` after `deadline` (ms, performance.now()). */
  register(id: bigint, deadline = Number.POSITIVE_INFINITY): Promise<T> {
    return new Promise<T>((resolve, reject) => this.waiters.set(id, { resolve, reject, deadline }));
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

  /** expire rejects, with `error()`, the waiters whose deadline is at or before `now`. */
  expire(now: number, error: () => unknown): void {
    for (const [id, waiter] of this.waiters) {
      if (waiter.deadline > now) break;
      this.waiters.delete(id);
      waiter.reject(error());
    }
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
