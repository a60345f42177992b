/**
 * Compaction: the backend half of compacting the store at a revision.
 *
 * When the store compacts at `rev` it compacts its index at once and records
 * `scheduledCompactRev` in meta; a {@link Compaction} then walks the stored revisions up
 * to `rev` in batches, deleting every revision the index no longer keeps (for each key the
 * latest change at or below `rev`, unless that is a tombstone). Each batch is its own LMDB
 * transaction; between batches other work (writes, reads) runs. After the last batch it
 * records `finishedCompactRev`. A crash mid-way leaves `scheduled > finished`; the store
 * redoes the compaction on open (deleting twice is harmless). This is etcd's
 * `scheduleCompaction` (`mvcc/kvstore_compaction.go`).
 */
import type { Backend } from "./Backend.js";
import { MetaKey } from "./Backend.js";
import { revisionId } from "./KeyIndex.js";
import { revisionKey, revisionKeyMain, revisionKeySub } from "./Revision.js";

/** Compaction is one scheduled compaction's backend work; see the module comment. */
export class Compaction {
  /** revision is the compaction's revision. */
  readonly revision: number;
  /** deleted counts the revisions removed so far. */
  deleted = 0;
  private readonly backend: Backend;
  private readonly keep: Set<string>;
  private readonly batchLimit: number;
  private last: Buffer = Buffer.alloc(17);
  private readonly end: Buffer;
  private finished = false;
  private readonly waiters: (() => void)[] = [];

  /** Creates the job; `keep` are the revisions at or below `revision` to keep. */
  constructor(backend: Backend, revision: number, keep: Set<string>, batchLimit = 1000) {
    this.backend = backend;
    this.revision = revision;
    this.keep = keep;
    this.batchLimit = batchLimit;
    this.end = revisionKey(revision + 1, 0);
  }

  /** done tells whether every batch has run. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * step runs one batch (one LMDB transaction of at most `batchLimit` visited revisions);
   * it returns true when the compaction is finished.
   */
  step(): boolean {
    if (this.finished) return true;
    const db = this.backend.revisions;
    this.backend.transact(() => {
      let visited = 0;
      let lastKey: Buffer | undefined;
      for (const key of db.getKeys({ start: this.last, end: this.end, limit: this.batchLimit })) {
        visited++;
        lastKey = key;
        if (!this.keep.has(revisionId(revisionKeyMain(key), revisionKeySub(key)))) {
          db.removeSync(key);
          this.deleted++;
        }
      }
      if (visited < this.batchLimit || lastKey === undefined) {
        this.backend.put(this.backend.meta, MetaKey.finishedCompactRev, revisionKey(this.revision, 0));
        this.finished = true;
      } else {
        this.last = revisionKey(revisionKeyMain(lastKey), revisionKeySub(lastKey) + 1);
      }
    });
    if (this.finished) for (const waiter of this.waiters.splice(0)) waiter();
    return this.finished;
  }

  /** runToEnd runs every remaining batch now, without pausing. */
  runToEnd(): void {
    while (!this.step());
  }

  /**
   * run runs the batches with `pauseMs` between them (etcd pauses 10 ms) so that other
   * work on this thread proceeds; the promise settles when the compaction is finished.
   */
  async run(pauseMs = 10): Promise<void> {
    while (!this.step()) await new Promise<void>((resolve) => setTimeout(resolve, pauseMs));
  }

  /** whenDone resolves when the last batch has run. */
  whenDone(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
