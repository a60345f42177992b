/**
 * ReadyLoop: the member's raft loop (etcd's raftNode) — takes raft's Readys one at a time and
 * does what the Ready contract asks, in this order:
 *
 *   softState ─► send `messages` ─► incoming snapshot: snap file, WAL marker, storage
 *   ─► committed entries already durable: to the apply queue at once (early apply)
 *   ─► WAL.save(hardState, entries): ONE fdatasync; committed entries of this Ready's own
 *      go to the apply queue gated (applied once written, answered once durable)
 *   ─► MemoryStorage: hardState, entries ─► send `messagesAfterPersist`
 *   ─► read states to the ReadIndex batcher ─► advance()
 *
 * Contracts it keeps (and test/ready-loop.test.ts pins): nothing in `messagesAfterPersist`
 * goes out before the WAL save resolves; no entry reaches the apply queue before the WAL has
 * its record written, nor is answered before it is durable; raft learns committed conf
 * changes before advance(). A save of the commit index alone is not awaited (raft can
 * relearn it); the WAL keeps saves in order and fails every later one after a failure.
 *
 * Not here: applying (the apply queue is the caller's), peers (`send` is the transport's),
 * timers (the caller ticks raft and calls {@link ReadyLoop.schedule}).
 */
import {
  EntryType,
  decodeConfChange,
  decodeConfChangeV2,
  isEmptySnapshot,
  type Entry,
  type HardState,
  type MemoryStorage,
  type Message,
  type RawNode,
  type ReadState,
  type Ready,
} from "@etcd-ts/raft";
import type { Snapshotter } from "@etcd-ts/wal";
import type { ApplyGate } from "./Applier.js";

/** ReadyWal is what the loop needs of the write-ahead log (@etcd-ts/wal's Wal). */
export interface ReadyWal {
  /**
   * save appends entries and the hard state; it resolves once they are durable (one
   * fdatasync) and calls `onWritten` once their records are written, before the sync.
   * Saves complete in call order; after a failure every later save fails.
   */
  save(hardState: HardState | undefined, entries: readonly Entry[], onWritten?: () => void): Promise<void>;
  /** saveSnapshot records a snapshot marker (durably). */
  saveSnapshot(marker: { readonly index: number; readonly term: number }): Promise<void>;
}

/** ReadyLoopPorts are the loop's collaborators, each narrowed to what it calls. */
export interface ReadyLoopPorts {
  readonly node: Pick<RawNode, "hasReady" | "ready" | "advance" | "applyConfChange">;
  readonly storage: Pick<MemoryStorage, "applySnapshot" | "setHardState" | "append">;
  readonly wal: ReadyWal;
  readonly snapshots: Pick<Snapshotter, "save">;
  /** send hands messages to the peer transport (a single member has no one to send to). */
  send(messages: readonly Message[]): void;
  /** apply queues committed entries for the applier, in order; `gate` holds entries whose WAL sync is in flight. */
  apply(entries: Entry[], gate?: ApplyGate): void;
  /** readStates hands completed ReadIndex requests over. */
  readStates(states: readonly ReadState[]): void;
  /** softState tells the leader raft knows (0n: none). */
  softState(lead: bigint): void;
  /** walSynced reports how long one WAL save with an fdatasync took, in seconds. */
  walSynced(seconds: number): void;
  /** crash stops the member after a failure it cannot go on from. */
  crash(error: Error): void;
}

/** ReadyLoop drives one member's Readys; see the module comment. */
export class ReadyLoop {
  /** durableIndex is the last raft index the WAL has made durable. */
  private durableIndex: number;
  private termValue = 0;
  private vote = 0n;
  private scheduled = false;
  private processing = false;
  private stopped = false;
  /** run is the loop's current run (stop waits for it). */
  private run: Promise<void> = Promise.resolve();

  /** `durableIndex` is the last index the WAL held at boot. */
  constructor(
    private readonly ports: ReadyLoopPorts,
    durableIndex: number,
  ) {
    this.durableIndex = durableIndex;
  }

  /** term is the raft term of the last hard state handled. */
  get term(): number {
    return this.termValue;
  }

  /** schedule runs the loop on a later turn (once, however often it is called meanwhile). */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.process();
    });
  }

  /**
   * process handles Readys until raft has none (or the loop is stopped); a failure goes to
   * `crash`. A call while a run is under way joins that run, which takes the new Readys.
   */
  process(): Promise<void> {
    if (this.processing || this.stopped) return this.run;
    this.run = this.drain();
    return this.run;
  }

  private async drain(): Promise<void> {
    this.processing = true;
    try {
      while (!this.stopped && this.ports.node.hasReady()) {
        const ready = this.ports.node.ready();
        await this.handle(ready);
        this.ports.node.advance();
      }
    } catch (error) {
      this.ports.crash(error as Error);
    } finally {
      this.processing = false;
    }
  }

  /** stop takes no new Ready and resolves once the one being handled is done (its WAL save included). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.run;
  }

  private async handle(ready: Ready): Promise<void> {
    const { node, storage, wal } = this.ports;
    if (ready.softState) this.ports.softState(ready.softState.lead);
    if (ready.messages.length > 0) this.ports.send(ready.messages);
    if (ready.snapshot && !isEmptySnapshot(ready.snapshot)) {
      await this.ports.snapshots.save(ready.snapshot);
      await wal.saveSnapshot({ index: ready.snapshot.metadata.index, term: ready.snapshot.metadata.term });
      storage.applySnapshot(ready.snapshot);
      this.durableIndex = Math.max(this.durableIndex, ready.snapshot.metadata.index);
    }
    // Committed entries already durable before this Ready (all of them on a single member, whose
    // commits always come from an earlier Ready) are applied while this Ready's entries are
    // fsynced; only the ones in this Ready's own entries must wait for the WAL.
    const committed = ready.committedEntries;
    let early = 0;
    while (early < committed.length && committed[early]!.index <= this.durableIndex) early++;
    // Raft must know a committed conf change before advance(), or it may accept the next one
    // (or campaign) against a stale configuration; the rest of applying may lag behind.
    for (const entry of committed) {
      if (entry.type === EntryType.EntryConfChange) node.applyConfChange(decodeConfChange(entry.data));
      else if (entry.type === EntryType.EntryConfChangeV2) node.applyConfChange(decodeConfChangeV2(entry.data));
    }
    if (early > 0) this.ports.apply(committed.slice(0, early));
    let late = committed.slice(early);
    if (ready.entries.length > 0 || (ready.hardState && (ready.hardState.term !== this.termValue || ready.hardState.vote !== this.vote))) {
      const started = performance.now();
      // Committed entries of this Ready's own (a single member's commits) are applied while the
      // fdatasync runs, once their records are written — so the store never gets ahead of the
      // WAL in a process crash — and their outcomes are released only once the sync is done:
      // nothing is acknowledged before it is durable.
      let onWritten: (() => void) | undefined;
      const written = late.length > 0 ? new Promise<void>((resolve) => (onWritten = resolve)) : undefined;
      const saved = wal.save(ready.hardState, ready.entries, onWritten);
      if (written) {
        this.ports.apply(late, { written: Promise.race([written, saved]), durable: saved });
        late = [];
      }
      await saved;
      this.ports.walSynced((performance.now() - started) / 1000);
    } else if (ready.hardState) {
      // Only the commit index moved: the WAL writes it without an fsync (raft can relearn
      // it), so nothing waits for it. The WAL keeps saves in call order, and a failure
      // fails every later save, which stops the member.
      wal.save(ready.hardState, []).catch((error: Error) => this.ports.crash(error));
    }
    if (ready.hardState) {
      storage.setHardState(ready.hardState);
      this.termValue = ready.hardState.term;
      this.vote = ready.hardState.vote;
    }
    if (ready.entries.length > 0) {
      storage.append(ready.entries);
      this.durableIndex = ready.entries[ready.entries.length - 1]!.index;
    }
    if (ready.messagesAfterPersist.length > 0) this.ports.send(ready.messagesAfterPersist);
    if (ready.readStates.length > 0) this.ports.readStates(ready.readStates);
    if (late.length > 0) this.ports.apply(late);
  }
}
