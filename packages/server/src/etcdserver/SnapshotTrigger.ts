/**
 * SnapshotTrigger: takes a raft snapshot once `snapshotCount` entries were applied since the
 * last one (etcd's triggerSnapshot), so the WAL and the in-memory log can drop what it covers.
 *
 * Order, each step awaited before the next: the backend is synced (the WAL is about to drop
 * entries it holds only in unsynced pages) ─► the snapshot file is saved ─► its marker goes
 * into the WAL ─► the in-memory log is compacted, keeping `catchUpEntries` for slow
 * followers ─► WAL segments before the snapshot are released and old WAL and snapshot files
 * purged. One snapshot at a time; a failure stops the member.
 *
 * The snapshot carries no data: the backend (with its consistent index) is the state.
 */
import type { ConfState, MemoryStorage } from "@etcd-ts/raft";
import type { Snapshotter } from "@etcd-ts/wal";

/** SnapshotTriggerPorts are what taking a snapshot touches. */
export interface SnapshotTriggerPorts {
  /** backend: sync makes every applied batch durable. */
  readonly backend: { sync(): Promise<void> };
  readonly storage: Pick<MemoryStorage, "createSnapshot" | "compact">;
  readonly snapshots: Pick<Snapshotter, "save" | "purge">;
  readonly wal: {
    saveSnapshot(marker: { readonly index: number; readonly term: number }): Promise<void>;
    releaseLockTo(index: number): void;
    purge(maxSegments: number): Promise<unknown>;
  };
  /** confState is raft's current configuration. */
  confState(): ConfState;
  /** snapSynced reports how long saving the snapshot file took, in seconds. */
  snapSynced(seconds: number): void;
  /** crash stops the member after a failure. */
  crash(error: Error): void;
}

/** SnapshotTriggerOptions are etcd's snapshot knobs. */
export interface SnapshotTriggerOptions {
  /** snapshotCount: applied entries between snapshots (--snapshot-count). */
  readonly snapshotCount: number;
  /** catchUpEntries: entries kept in memory behind a snapshot for slow followers. */
  readonly catchUpEntries: number;
  /** maxWals / maxSnapshots: files kept after a purge (--max-wals, --max-snapshots). */
  readonly maxWals: number;
  readonly maxSnapshots: number;
}

/** SnapshotTrigger decides when to snapshot and takes the snapshot. */
export class SnapshotTrigger {
  private taking: Promise<void> | undefined;
  private stopped = false;

  /** `snapshotIndex` is the index of the snapshot the member booted from (0: none). */
  constructor(
    private readonly ports: SnapshotTriggerPorts,
    private readonly options: SnapshotTriggerOptions,
    private snapshotIndexValue: number,
  ) {}

  /** snapshotIndex is the index of the last snapshot taken. */
  get snapshotIndex(): number {
    return this.snapshotIndexValue;
  }

  /** onApplied starts a snapshot at `appliedIndex` if one is due and none is being taken. */
  onApplied(appliedIndex: number): void {
    if (this.taking !== undefined || this.stopped) return;
    if (appliedIndex - this.snapshotIndexValue <= this.options.snapshotCount) return;
    this.taking = this.take(appliedIndex).finally(() => (this.taking = undefined));
  }

  /** stop starts no more snapshots and resolves once the one being taken is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.taking;
  }

  private async take(index: number): Promise<void> {
    const { backend, storage, snapshots, wal } = this.ports;
    try {
      await backend.sync();
      const snapshot = storage.createSnapshot(index, this.ports.confState(), new Uint8Array(0));
      const started = performance.now();
      await snapshots.save(snapshot);
      this.ports.snapSynced((performance.now() - started) / 1000);
      await wal.saveSnapshot({ index, term: snapshot.metadata.term });
      this.snapshotIndexValue = index;
      if (index > this.options.catchUpEntries) storage.compact(index - this.options.catchUpEntries);
      wal.releaseLockTo(index);
      await wal.purge(this.options.maxWals);
      await snapshots.purge(this.options.maxSnapshots);
    } catch (error) {
      this.ports.crash(error as Error);
    }
  }
}
