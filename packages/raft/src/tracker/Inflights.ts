/**
 * Inflights: the flow-control window of one follower in replicate state — the last index of
 * each MsgApp sent but not yet acknowledged, with its payload size. Sending stops when the
 * window is full by count (MaxInflightMsgs) or by bytes (MaxInflightBytes).
 */

/** Inflights is a ring buffer of in-flight append messages (last index and bytes of each). */
export class Inflights {
  private start = 0;
  private countInner = 0;
  private bytesInner = 0;
  private indexes: number[] = [];
  private sizes: number[] = [];

  /** Creates a window of at most `size` messages and `maxBytes` payload bytes (0 = no byte limit). */
  constructor(
    readonly size: number,
    readonly maxBytes: number = 0,
  ) {}

  /** clone returns an independent copy. */
  clone(): Inflights {
    const c = new Inflights(this.size, this.maxBytes);
    c.start = this.start;
    c.countInner = this.countInner;
    c.bytesInner = this.bytesInner;
    c.indexes = this.indexes.slice();
    c.sizes = this.sizes.slice();
    return c;
  }

  /** add records a message ending at `index` carrying `bytes`; indexes must increase. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error("raft: cannot add into a full inflights");
    let next = this.start + this.countInner;
    if (next >= this.size) next -= this.size;
    if (next >= this.indexes.length) {
      // Grow lazily: most followers never fill the window.
      this.indexes.push(index);
      this.sizes.push(bytes);
    } else {
      this.indexes[next] = index;
      this.sizes[next] = bytes;
    }
    this.countInner++;
    this.bytesInner += bytes;
  }

  /** freeLE frees every message with last index <= `to`. */
  freeLE(to: number): void {
    if (this.countInner === 0 || to < this.indexes[this.start]!) return;
    let idx = this.start;
    let i = 0;
    let bytes = 0;
    for (; i < this.countInner; i++) {
      if (to < this.indexes[idx]!) break;
      bytes += this.sizes[idx]!;
      idx++;
      if (idx >= this.size) idx -= this.size;
    }
    this.countInner -= i;
    this.bytesInner -= bytes;
    this.start = idx;
    if (this.countInner === 0) this.start = 0;
  }

  /** full reports whether no more messages may be sent. */
  full(): boolean {
    return this.countInner === this.size || (this.maxBytes !== 0 && this.bytesInner >= this.maxBytes);
  }

  /** count is the number of messages in flight. */
  count(): number {
    return this.countInner;
  }

  /** bytes is the payload size in flight. */
  bytes(): number {
    return this.bytesInner;
  }

  /** reset empties the window. */
  reset(): void {
    this.start = 0;
    this.countInner = 0;
    this.bytesInner = 0;
  }
}
