/**
 * ReadIndexBatcher: linearizable reads share ReadIndex rounds (DESIGN §4). A read that
 * arrives joins the next round (one promise per round, not per read); every read of a round
 * is released together once the applied index reaches the index that round returned.
 * Rounds older than the read timeout are failed by `expire`, called from the member's tick.
 */
import type { ReadState } from "@etcd-ts/raft";

class Round {
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  ctx = "";
  index = 0;
  constructor(readonly startedAt: number) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** ReadIndexBatcher batches ReadIndex requests of one member. */
export class ReadIndexBatcher {
  private nextCtx = 1n;
  private current: Round | undefined; // in flight: raft asked, no read state yet
  private queued: Round | undefined; // reads that arrived while a round was in flight
  private readonly ready: Round[] = []; // read state known, waiting for apply

  constructor(
    /** requestReadIndex asks raft for a read index with this context. */
    private readonly requestReadIndex: (ctx: Uint8Array) => void,
    private readonly appliedIndex: () => number,
  ) {}

  /** wait resolves when a read may be served linearizably. */
  wait(): Promise<void> {
    const round = (this.queued ??= new Round(performance.now()));
    if (!this.current) this.startRound();
    return round.done;
  }

  private startRound(): void {
    const round = this.queued;
    if (!round) return;
    this.queued = undefined;
    const ctxBytes = Buffer.alloc(8);
    ctxBytes.writeBigUInt64BE(this.nextCtx++);
    round.ctx = ctxBytes.toString("hex");
    this.current = round;
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
    if (this.ready.length === 0) return;
    const applied = this.appliedIndex();
    while (this.ready.length > 0 && this.ready[0]!.index <= applied) this.ready.shift()!.resolve();
  }

  /** retry re-asks for the round in flight (its request may have been dropped, e.g. no leader yet). */
  retry(): void {
    if (this.current) this.requestReadIndex(Buffer.from(this.current.ctx, "hex"));
  }

  /**
   * expire fails the rounds started at or before `startedBefore` (ms, performance.now()) with
   * `error()`. A round in flight that expires is dropped; the reads queued behind it start the next.
   */
  expire(startedBefore: number, error: () => unknown): void {
    while (this.ready.length > 0 && this.ready[0]!.startedAt <= startedBefore) this.ready.shift()!.reject(error());
    if (this.current && this.current.startedAt <= startedBefore) {
      this.current.reject(error());
      this.current = undefined;
      this.startRound();
    }
    if (this.queued && this.queued.startedAt <= startedBefore) {
      this.queued.reject(error());
      this.queued = undefined;
    }
  }

  /** failAll rejects every waiting read. */
  failAll(error: unknown): void {
    for (const round of [...this.ready, this.current, this.queued]) round?.reject(error);
    this.ready.length = 0;
    this.current = undefined;
    this.queued = undefined;
  }
}
