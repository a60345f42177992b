/**
 * LeaseQueue: a binary min-heap of (lease ID, time) pairs with one slot per lease, so a
 * lease's deadline can be moved in O(log n) — the lessor's expiry and checkpoint schedules.
 */

/** LeaseDeadline is one scheduled time of one lease. */
export interface LeaseDeadline {
  readonly id: bigint;
  readonly at: number;
}

/** LeaseQueue orders leases by a deadline; each lease appears at most once. */
export class LeaseQueue {
  private readonly heap: { id: bigint; at: number }[] = [];
  private readonly position = new Map<bigint, number>();

  /** size is the number of scheduled leases. */
  get size(): number {
    return this.heap.length;
  }

  /** peek returns the earliest deadline without removing it. */
  peek(): LeaseDeadline | undefined {
    return this.heap[0];
  }

  /** set schedules `id` at `at`, replacing its previous deadline if it had one. */
  set(id: bigint, at: number): void {
    const i = this.position.get(id);
    if (i === undefined) {
      this.heap.push({ id, at });
      this.position.set(id, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const item = this.heap[i]!;
    const earlier = at < item.at;
    item.at = at;
    if (earlier) this.up(i);
    else this.down(i);
  }

  /** delete unschedules `id`; a no-op if it is not scheduled. */
  delete(id: bigint): void {
    const i = this.position.get(id);
    if (i === undefined) return;
    const last = this.heap.pop()!;
    this.position.delete(id);
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.position.set(last.id, i);
      this.up(i);
      this.down(i);
    }
  }

  /** pop removes and returns the earliest deadline. */
  pop(): LeaseDeadline | undefined {
    const top = this.heap[0];
    if (top) this.delete(top.id);
    return top;
  }

  /** reset replaces the whole schedule in O(n) (a heapify), for scheduling every lease at once. */
  reset(deadlines: Iterable<LeaseDeadline>): void {
    this.clear();
    for (const { id, at } of deadlines) {
      this.position.set(id, this.heap.length);
      this.heap.push({ id, at });
    }
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** clear unschedules everything. */
  clear(): void {
    this.heap.length = 0;
    this.position.clear();
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.at < heap[smallest]!.at) smallest = left;
      if (right < heap.length && heap[right]!.at < heap[smallest]!.at) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const x = heap[a]!;
    const y = heap[b]!;
    heap[a] = y;
    heap[b] = x;
    this.position.set(y.id, a);
    this.position.set(x.id, b);
  }
}
