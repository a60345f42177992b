/**
 * AppliedIndex: the member's applied raft index and the callers waiting for it to reach an
 * index (etcd's applyWait). The applier advances it after each batch; a waiter is released
 * in the same turn, with no polling. Every waiter has a deadline; `expire` (called from the
 * member's tick) rejects the overdue ones, so a wait costs no timer of its own.
 *
 * Not here: what "applied" means for durability. The applier advances the index only once
 * the batch's outcomes may be seen (its WAL records are durable).
 */

interface IndexWaiter {
  readonly index: number;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** AppliedIndex holds the applied index and releases the waits it satisfies. */
export class AppliedIndex {
  // Sorted by index: `advance` releases a prefix.
  private waiters: IndexWaiter[] = [];

  constructor(private applied: number) {}

  /** value is the last applied raft index. */
  get value(): number {
    return this.applied;
  }

  /** pending is the number of callers waiting. */
  get pending(): number {
    return this.waiters.length;
  }

  /**
   * wait resolves once the applied index is at least `index` (at once if it already is);
   * `expire` rejects it after `deadline` (ms, performance.now()).
   */
  wait(index: number, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    if (index <= this.applied) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.index > index) at--;
      this.waiters.splice(at, 0, { index, deadline, resolve, reject });
    });
  }

  /** advance moves the applied index up to `index` (never down) and releases the waits it reaches. */
  advance(index: number): void {
    if (index <= this.applied) return;
    this.applied = index;
    let released = 0;
    while (released < this.waiters.length && this.waiters[released]!.index <= index) released++;
    if (released === 0) return;
    const done = this.waiters.splice(0, released);
    for (const waiter of done) waiter.resolve();
  }

  /** expire rejects, with `error()`, the waits whose deadline is at or before `now`. */
  expire(now: number, error: () => unknown): void {
    if (this.waiters.length === 0) return;
    const overdue = this.waiters.filter((waiter) => waiter.deadline <= now);
    if (overdue.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.deadline > now);
    for (const waiter of overdue) waiter.reject(error());
  }

  /** failAll rejects every wait (shutdown). */
  failAll(error: unknown): void {
    const all = this.waiters;
    this.waiters = [];
    for (const waiter of all) waiter.reject(error);
  }
}
