/**
 * AsyncQueue: a push-driven async iterator. Producers `push` items and finally `end()` or
 * `fail(error)`; one consumer reads with `for await`. Items are buffered without bound (a
 * watch must not lose events); the consumer breaking out of the loop calls `onReturn`.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private error: unknown;
  private hasError = false;

  constructor(private readonly onReturn?: () => void) {}

  /** push adds an item (ignored once ended). */
  push(item: T): void {
    if (this.done) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** end finishes the iteration after the buffered items. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.flushEnd();
  }

  /** fail finishes the iteration with an error after the buffered items. */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.hasError = true;
    this.error = error;
    this.flushEnd();
  }

  /** ended reports whether end() or fail() ran. */
  get ended(): boolean {
    return this.done;
  }

  /** buffered is the number of items pushed and not yet read. */
  get buffered(): number {
    return this.items.length - this.head;
  }

  private flushEnd(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.buffered > 0) return;
    this.waiter = undefined;
    if (this.hasError) {
      this.hasError = false;
      waiter.reject(this.error);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      if (this.hasError) {
        this.hasError = false;
        return Promise.reject(this.error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.items.length = 0;
      this.head = 0;
      this.onReturn?.();
    }
    this.hasError = false;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
