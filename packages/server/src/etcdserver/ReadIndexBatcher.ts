/**
 * ReadIndexBatcher: linearizable reads share ReadIndex rounds (DESIGN §4). A read that
 * arrives waits for the next round to start; every read of one round is released together
 * once the applied index reaches the index that round returned.
 */
import type { ReadState } from "@etcd-ts/raft";

interface Round {
  readonly ctx: string;
  readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[];
  index?: number;
}

/** ReadIndexBatcher batches ReadIndex requests of one member. */
export class ReadIndexBatcher {
  private nextCtx = 1n;
  private current: Round | undefined; // in flight: raft asked, no read state yet
  private queued: Round["waiters"] = []; // arrived while a round was in flight
  private readonly ready: Round[] = []; // read state known, waiting for apply

  constructor(
    /** requestReadIndex asks raft for a read index with this context. */
    private readonly requestReadIndex: (ctx: Uint8Array) => void,
    private readonly appliedIndex: () => number,
  ) {}

  /** wait resolves when a read may be served linearizably. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ resolve, reject });
      if (!this.current) this.startRound();
    });
  }

  private startRound(): void {
    if (this.queued.length === 0) return;
    const ctxBytes = Buffer.alloc(8);
    ctxBytes.writeBigUInt64BE(this.nextCtx++);
    this.current = { ctx: ctxBytes.toString("hex"), waiters: this.queued };
    this.queued = [];
    this.requestReadIndex(ctxBytes);
  }

  /** onReadStates takes the read states of a Ready. */
  onReadStates(states: readonly ReadState[]): void {
    for (const state of states) {
      const ctx = Buffer.from(state.requestCtx).toString("hex");
      if (this.current?.ctx !== ctx) continue;
      this.current.index = state.index;
      this.ready.push(this.current);
      this.current = undefined;
      this.onApplied();
      this.startRound();
    }
  }

  /** onApplied releases the rounds the applied index has caught up with. */
  onApplied(): void {
    const applied = this.appliedIndex();
    while (this.ready.length > 0 && this.ready[0]!.index! <= applied) {
      for (const waiter of this.ready.shift()!.waiters) waiter.resolve();
    }
  }

  /** retry re-asks for the round in flight (its request may have been dropped, e.g. no leader yet). */
  retry(): void {
    if (this.current) this.requestReadIndex(Buffer.from(this.current.ctx, "hex"));
  }

  /** failAll rejects every waiting read. */
  failAll(error: unknown): void {
    const rounds = [...this.ready, ...(this.current ? [this.current] : [])];
    for (const round of rounds) for (const w of round.waiters) w.reject(error);
    for (const w of this.queued) w.reject(error);
    this.ready.length = 0;
    this.current = undefined;
    this.queued = [];
  }
}
