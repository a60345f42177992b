/**
 * KVStore: the revisioned key-value store (etcd's `mvcc.store`), synchronous, for the one
 * thread that owns the backend (the storage worker, or a test).
 *
 * - The store revision starts at 1 and grows by one per write transaction that changed
 *   something; changes inside one transaction get sub revisions 0, 1, ...
 * - {@link KVStore.read} and {@link KVStore.write} open the {@link TxnRead} /
 *   {@link TxnWrite} views the applier works through. A write txn's ranges see its own
 *   earlier changes (at revision + 1), exactly like etcd's.
 * - Writes go to the backend's current LMDB transaction: wrap a batch in
 *   `backend.transact(...)` (and call {@link KVStore.saveConsistentIndex} in it) to make
 *   the batch one atomic commit. If a transaction aborts (an exception), the in-memory
 *   index no longer matches the backend: the store must be reopened.
 * - {@link KVStore.compact} compacts the index at once and returns a {@link Compaction}
 *   that deletes the backend's obsolete revisions in paced batches.
 *
 * Range ends follow the wire convention: empty = the single key, `\0` = every key from
 * `key` on, anything else = exclusive upper bound.
 */
import { mvccpb } from "@etcd-ts/api";
import type { Backend, BackendDatabase } from "./Backend.js";
import { MetaKey } from "./Backend.js";
import { Compaction } from "./Compactor.js";
import { MvccError } from "./errors.js";
import { Crc32c } from "./internal/crc32c.js";
import { keyString } from "./internal/keys.js";
import { scanKeyValue } from "./internal/kvcodec.js";
import type { StoredKeyFields } from "./internal/kvcodec.js";
import { revisionId } from "./KeyIndex.js";
import {
  decodeUint64,
  encodeUint64,
  isTombstoneKey,
  revisionKey,
  revisionKeyMain,
  revisionKeySub,
} from "./Revision.js";
import { TreeIndex, UNBOUNDED } from "./TreeIndex.js";
import type { EventsPage } from "./WatchableStore.js";

type KeyValue = mvccpb.KeyValue;
type Event = mvccpb.Event;

/** RangeOptions are the options of a store range (etcd's `mvcc.RangeOptions`). */
export interface RangeOptions {
  /** limit caps the number of KVs returned (0: no cap); count is not capped. */
  readonly limit?: number;
  /** rev reads at that revision (0: the current one). */
  readonly rev?: number;
  /** count returns only the count, no KVs. */
  readonly count?: boolean;
}

/** RangeResult is what a store range finds (etcd's `mvcc.RangeResult`). */
export interface RangeResult {
  /** kvs are the KVs found, in key order, at most `limit`. */
  readonly kvs: KeyValue[];
  /** count is the number of keys in range, regardless of the limit. */
  readonly count: number;
  /** rev is the revision of the read view (the current revision, not the asked one). */
  readonly rev: number;
}

/** TxnRead is a read view of the store (etcd's `mvcc.TxnRead`). */
export interface TxnRead {
  /** rev is the revision the view reads at. */
  rev(): number;
  /** firstRev is the oldest readable revision (the compact revision). */
  firstRev(): number;
  /** range reads keys in [key, rangeEnd) (wire convention for rangeEnd). */
  range(key: Uint8Array, rangeEnd: Uint8Array, options?: RangeOptions): RangeResult;
}

/** TxnWrite is a write transaction of the store (etcd's `mvcc.TxnWrite`). */
export interface TxnWrite extends TxnRead {
  /** put writes key; returns the revision of the write. */
  put(key: Uint8Array, value: Uint8Array, lease: bigint): number;
  /** deleteRange deletes live keys in range; returns how many and the txn's revision. */
  deleteRange(key: Uint8Array, rangeEnd: Uint8Array): { deleted: number; rev: number };
  /** changes are the KVs written so far (tombstones have createRevision 0). */
  changes(): readonly KeyValue[];
  /**
   * end finishes the transaction: if it changed anything the store revision grows by one.
   * Returns its watch events in order (deletes carry the key and mod revision only).
   */
  end(): Event[];
}

/** WriteOptions configure {@link KVStore.write}. */
export interface WriteOptions {
  /** prevKv fills `prevKv` of the returned events (one extra read per change). */
  readonly prevKv?: boolean;
}

/** HashResult is the answer of {@link KVStore.hashByRev}. */
export interface HashResult {
  /** hash is the CRC-32C of the KVs up to the revision (compaction aware). */
  readonly hash: number;
  /** currentRev is the store revision when hashed. */
  readonly currentRev: number;
  /** compactRev is the compact revision when hashed (-1: never compacted). */
  readonly compactRev: number;
}

/** KVStoreOptions configure {@link KVStore.open}. */
export interface KVStoreOptions {
  /** compactionBatchLimit is the number of revisions a compaction step visits (1000). */
  readonly compactionBatchLimit?: number;
}

const EMPTY = new Uint8Array(0);

function isUnboundedEnd(rangeEnd: Uint8Array): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/** indexEnd converts a wire range end to the index's convention. */
function indexEnd(rangeEnd: Uint8Array): string | undefined {
  if (rangeEnd.length === 0) return undefined;
  if (isUnboundedEnd(rangeEnd)) return UNBOUNDED;
  return keyString(rangeEnd);
}

/** KVStore is the revisioned store; see the module comment. */
export class KVStore {
  /** backend is the LMDB environment the store lives in. */
  readonly backend: Backend;
  /** index is the in-memory key index. */
  readonly index = new TreeIndex();
  private revisionsDb: BackendDatabase;
  private currentRev = 1;
  private compactMainRev = -1;
  private consistentIdx = 0;
  private currentTerm = 0;
  private readonly compactionBatchLimit: number;
  private pending: Compaction | undefined;
  private readonly leases = new Map<string, bigint>();

  private constructor(backend: Backend, options: KVStoreOptions) {
    this.backend = backend;
    this.revisionsDb = backend.revisions;
    this.compactionBatchLimit = options.compactionBatchLimit ?? 1000;
  }

  /**
   * open loads the store from the backend: it rebuilds the index from every stored
   * revision and, if a compaction was scheduled and not finished, compacts the index again
   * and leaves the backend part in {@link KVStore.pendingCompaction} (run it).
   */
  static open(backend: Backend, options: KVStoreOptions = {}): KVStore {
    const store = new KVStore(backend, options);
    store.restore();
    return store;
  }

  private restore(): void {
    const meta = this.backend.meta;
    const finished = meta.get(MetaKey.finishedCompactRev);
    if (finished !== undefined) this.compactMainRev = revisionKeyMain(finished);
    const scheduled = meta.get(MetaKey.scheduledCompactRev);
    let scheduledCompact = scheduled !== undefined ? revisionKeyMain(scheduled) : 0;
    const ci = meta.get(MetaKey.consistentIndex);
    if (ci !== undefined) this.consistentIdx = decodeUint64(ci);
    const term = meta.get(MetaKey.term);
    if (term !== undefined) this.currentTerm = decodeUint64(term);

    const fields: StoredKeyFields = { key: "", createRevision: 0, version: 0, lease: 0n };
    let currentRev = 1;
    for (const { key, value } of this.revisionsDb.getRange({})) {
      const main = revisionKeyMain(key);
      const sub = revisionKeySub(key);
      const tomb = isTombstoneKey(key);
      scanKeyValue(value, fields);
      currentRev = main;
      this.index.restore(fields.key, main, sub, fields.createRevision, fields.version, tomb);
      if (tomb || fields.lease === 0n) this.leases.delete(fields.key);
      else this.leases.set(fields.key, fields.lease);
    }
    this.currentRev = Math.max(currentRev, this.compactMainRev);
    if (scheduledCompact <= this.compactMainRev) scheduledCompact = 0;
    if (scheduledCompact !== 0) {
      this.compactMainRev = scheduledCompact;
      const keep = this.index.compact(scheduledCompact);
      this.pending = new Compaction(this.backend, scheduledCompact, keep, this.compactionBatchLimit);
    }
  }

  /**
   * rebindBackend picks up the backend's reopened databases after `backend.defrag()`
   * (the index stays: defrag changes no data).
   */
  rebindBackend(): void {
    this.revisionsDb = this.backend.revisions;
  }

  /** rev is the current store revision. */
  rev(): number {
    return this.currentRev;
  }

  /** compactRevision is the revision of the last compaction (-1: none). */
  compactRevision(): number {
    return this.compactMainRev;
  }

  /** consistentIndex is the applied raft index stored with the data (0: none). */
  consistentIndex(): number {
    return this.consistentIdx;
  }

  /** term is the raft term stored with the consistent index. */
  term(): number {
    return this.currentTerm;
  }

  /**
   * pendingCompaction is the backend half of a compaction found unfinished on open (run it
   * to completion), or undefined.
   */
  get pendingCompaction(): Compaction | undefined {
    const job = this.pending;
    return job !== undefined && !job.done ? job : undefined;
  }

  /**
   * restoredLeases maps every live key that carries a lease to its lease ID, as found on
   * open (the lessor re-attaches them; etcd does the same on restore).
   */
  restoredLeases(): ReadonlyMap<string, bigint> {
    return this.leases;
  }

  /**
   * saveConsistentIndex stores the applied raft index and term in the backend's current
   * transaction: call it inside the `backend.transact` of the batch it covers.
   */
  saveConsistentIndex(index: number, term: number): void {
    this.consistentIdx = index;
    this.currentTerm = term;
    this.backend.put(this.backend.meta, MetaKey.consistentIndex, encodeUint64(index));
    this.backend.put(this.backend.meta, MetaKey.term, encodeUint64(term));
  }

  /** read opens a read view at the current revision. */
  read(): TxnRead {
    const rev = this.currentRev;
    return {
      rev: () => rev,
      firstRev: () => this.compactMainRev,
      range: (key, rangeEnd, options) => this.rangeKeys(key, rangeEnd, rev, options ?? {}),
    };
  }

  /** write opens a write transaction; end it with `end()` before opening another. */
  write(options: WriteOptions = {}): TxnWrite {
    return new StoreTxnWrite(this, this.currentRev, options.prevKv === true);
  }

  /** range is `read().range(...)`. */
  range(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions = {}): RangeResult {
    return this.rangeKeys(key, rangeEnd, this.currentRev, options);
  }

  /** @internal rangeKeys implements ranges for read and write views. */
  rangeKeys(key: Uint8Array, rangeEnd: Uint8Array, curRev: number, options: RangeOptions): RangeResult {
    let rev = options.rev ?? 0;
    if (rev > curRev) throw new MvccError("futureRev");
    if (rev <= 0) rev = curRev;
    if (rev < this.compactMainRev) throw new MvccError("compacted");
    const start = keyString(key);
    const end = indexEnd(rangeEnd);
    if (options.count === true) return { kvs: [], count: this.index.count(start, end, rev), rev: curRev };
    const found = this.index.revisions(start, end, rev, options.limit ?? 0);
    const kvs = new Array<KeyValue>(found.keys.length);
    for (let i = 0; i < found.keys.length; i++) {
      kvs[i] = this.readRevision(found.revisions[2 * i]!, found.revisions[2 * i + 1]!, false);
    }
    return { kvs, count: found.total, rev: curRev };
  }

  /**
   * @internal rangeStored is `range` answering with each KeyValue as stored (its protobuf
   * encoding), written by `visit` in key order without being decoded: the encoded-range path.
   */
  rangeStored(key: Uint8Array, rangeEnd: Uint8Array, options: RangeOptions, visit: (storedKeyValue: Uint8Array) => void): { count: number; rev: number } {
    const curRev = this.currentRev;
    let rev = options.rev ?? 0;
    if (rev > curRev) throw new MvccError("futureRev");
    if (rev <= 0) rev = curRev;
    if (rev < this.compactMainRev) throw new MvccError("compacted");
    const found = this.index.revisions(keyString(key), indexEnd(rangeEnd), rev, options.limit ?? 0);
    for (let i = 0; i < found.keys.length; i++) {
      const main = found.revisions[2 * i]!;
      const sub = found.revisions[2 * i + 1]!;
      // The fast read may answer in lmdb's shared buffer (`isGlobal`, valid up to `lastSize`),
      // reused by the next read: `visit` copies it before then.
      const bytes = this.revisionsDb.getBinaryFast(revisionKey(main, sub, false)) as (Buffer & { isGlobal?: boolean }) | undefined;
      if (bytes === undefined) throw new Error(`mvcc: revision ${main}_${sub} missing from the backend`);
      visit(bytes.isGlobal === true ? bytes.subarray(0, (this.revisionsDb as unknown as { lastSize: number }).lastSize) : bytes);
    }
    return { count: found.total, rev: curRev };
  }

  /** @internal readRevision reads one stored revision (it must exist). */
  readRevision(main: number, sub: number, tombstone: boolean): KeyValue {
    const bytes = this.revisionsDb.get(revisionKey(main, sub, tombstone));
    if (bytes === undefined) throw new Error(`mvcc: revision ${main}_${sub} missing from the backend`);
    return mvccpb.KeyValue.decode(bytes);
  }

  /** @internal writeRevision stores one change in the backend's current transaction. */
  writeRevision(main: number, sub: number, tombstone: boolean, kv: KeyValue): void {
    this.backend.put(this.revisionsDb, revisionKey(main, sub, tombstone), mvccpb.KeyValue.encode(kv));
  }

  /** @internal endWrite is called by a write txn that changed something. */
  endWrite(): void {
    this.currentRev++;
  }

  /**
   * compact schedules a compaction at rev: the index is compacted now and the returned
   * {@link Compaction} removes the obsolete revisions from the backend in paced steps.
   * Throws `compacted` if rev is not above the last compaction, `futureRev` if beyond the
   * current revision. Reads below rev fail with `compacted` from now on.
   */
  compact(rev: number): Compaction {
    if (rev <= this.compactMainRev) throw new MvccError("compacted");
    if (rev > this.currentRev) throw new MvccError("futureRev");
    this.compactMainRev = rev;
    this.backend.transact(() => this.backend.put(this.backend.meta, MetaKey.scheduledCompactRev, revisionKey(rev, 0)));
    const keep = this.index.compact(rev);
    this.pending = new Compaction(this.backend, rev, keep, this.compactionBatchLimit);
    return this.pending;
  }

  /**
   * eventsSince reads the stored changes of revisions >= fromRev as watch events, in
   * revision order: about maxEvents of them, never splitting a revision. `revision` is the
   * last revision covered (the current one when the page reaches the end). With prevKv,
   * each event carries the key's previous KV when still readable.
   */
  eventsSince(fromRev: number, maxEvents: number, prevKv = false): EventsPage {
    const curRev = this.currentRev;
    const events: Event[] = [];
    let lastMain = 0;
    let revision = curRev;
    for (const { key, value } of this.revisionsDb.getRange({ start: revisionKey(Math.max(fromRev, 0), 0), end: revisionKey(curRev + 1, 0) })) {
      const main = revisionKeyMain(key);
      if (events.length >= maxEvents && main !== lastMain) {
        revision = lastMain;
        break;
      }
      lastMain = main;
      const kv = mvccpb.KeyValue.decode(value);
      const event: Event = isTombstoneKey(key)
        ? { type: mvccpb.Event_EventType.DELETE, kv: { ...kv, modRevision: main } }
        : { type: mvccpb.Event_EventType.PUT, kv };
      if (prevKv && main - 1 >= this.compactMainRev && (event.type === mvccpb.Event_EventType.DELETE || kv.version > 1)) {
        const prev = this.rangeKeys(kv.key, EMPTY, curRev, { rev: main - 1 }).kvs[0];
        if (prev !== undefined) event.prevKv = prev;
      }
      events.push(event);
    }
    return { events, revision, compactRevision: this.compactMainRev };
  }

  /**
   * hashByRev hashes (CRC-32C) the stored revisions up to rev (0: current), skipping those
   * a finished compaction at the compact revision would have removed, so members that
   * applied the same entries agree whatever their compaction progress (etcd's HashKV).
   */
  hashByRev(rev: number): HashResult {
    const compactRev = this.compactMainRev;
    const currentRev = this.currentRev;
    if (rev > 0 && rev <= compactRev) throw new MvccError("compacted");
    if (rev > 0 && rev > currentRev) throw new MvccError("futureRev");
    if (rev === 0) rev = currentRev;
    const keep = this.index.keep(rev);
    const hash = new Crc32c().update(Buffer.from("key"));
    for (const { key, value } of this.revisionsDb.getRange({ end: revisionKey(rev + 1, 0) })) {
      const main = revisionKeyMain(key);
      if (main <= compactRev && keep.size > 0 && !keep.has(revisionId(main, revisionKeySub(key)))) continue;
      hash.update(key).update(value);
    }
    return { hash: hash.digest(), currentRev, compactRev };
  }

  /**
   * hash hashes every bucket of the backend except the consistent index and term (etcd's
   * Hash, for the `hash` maintenance call).
   */
  hash(buckets: readonly string[] = ["key", "meta"]): number {
    const h = new Crc32c();
    for (const name of [...buckets].sort()) {
      h.update(Buffer.from(name));
      for (const { key, value } of this.backend.bucket(name).getRange({})) {
        if (name === "meta" && (key.equals(MetaKey.consistentIndex) || key.equals(MetaKey.term))) continue;
        h.update(key).update(value);
      }
    }
    return h.digest();
  }
}

class StoreTxnWrite implements TxnWrite {
  private readonly written: KeyValue[] = [];
  private readonly events: Event[] = [];
  private ended = false;

  constructor(
    private readonly store: KVStore,
    private readonly beginRev: number,
    private readonly withPrevKv: boolean,
  ) {}

  rev(): number {
    return this.beginRev;
  }

  firstRev(): number {
    return this.store.compactRevision();
  }

  private readRev(): number {
    return this.written.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  range(key: Uint8Array, rangeEnd: Uint8Array, options?: RangeOptions): RangeResult {
    return this.store.rangeKeys(key, rangeEnd, this.readRev(), options ?? {});
  }

  put(key: Uint8Array, value: Uint8Array, lease: bigint): number {
    const rev = this.beginRev + 1;
    const sub = this.written.length;
    const k = keyString(key);
    const prev = this.store.index.get(k, rev);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev !== undefined ? prev.created : rev,
      modRevision: rev,
      version: (prev !== undefined ? prev.version : 0) + 1,
      lease,
    };
    this.store.writeRevision(rev, sub, false, kv);
    this.store.index.put(k, rev, sub);
    this.written.push(kv);
    const event: Event = { type: mvccpb.Event_EventType.PUT, kv };
    if (this.withPrevKv && prev !== undefined) event.prevKv = this.store.readRevision(prev.modMain, prev.modSub, false);
    this.events.push(event);
    return rev;
  }

  deleteRange(key: Uint8Array, rangeEnd: Uint8Array): { deleted: number; rev: number } {
    const found = this.store.index.revisions(keyString(key), indexEnd(rangeEnd), this.readRev());
    const rev = this.beginRev + 1;
    for (let i = 0; i < found.keys.length; i++) {
      const k = found.keys[i]!;
      const keyBytes = Buffer.from(k, "latin1");
      const sub = this.written.length;
      const tomb: KeyValue = { key: keyBytes, value: EMPTY, createRevision: 0, modRevision: 0, version: 0, lease: 0n };
      this.store.writeRevision(rev, sub, true, tomb);
      this.store.index.tombstone(k, rev, sub);
      this.written.push(tomb);
      const event: Event = {
        type: mvccpb.Event_EventType.DELETE,
        kv: { key: keyBytes, value: EMPTY, createRevision: 0, modRevision: rev, version: 0, lease: 0n },
      };
      if (this.withPrevKv) event.prevKv = this.store.readRevision(found.revisions[2 * i]!, found.revisions[2 * i + 1]!, false);
      this.events.push(event);
    }
    if (found.keys.length !== 0 || this.written.length > 0) return { deleted: found.keys.length, rev };
    return { deleted: 0, rev: this.beginRev };
  }

  changes(): readonly KeyValue[] {
    return this.written;
  }

  end(): Event[] {
    if (this.ended) return [];
    this.ended = true;
    if (this.written.length !== 0) this.store.endWrite();
    return this.events;
  }
}
