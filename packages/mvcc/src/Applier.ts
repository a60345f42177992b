/**
 * Applier: etcd's KV requests (`etcdserverpb` Range, Put, DeleteRange, Txn, Compaction)
 * applied to a {@link KVStore}, with etcd 3.4's exact results (`etcdserver/apply.go`).
 *
 * Responses carry a header with only `revision` set: the server fills cluster, member and
 * term. Errors are {@link MvccError}s (see `errors.ts`). Validation that etcd does in the
 * gRPC layer before proposing (empty keys, `--max-txn-ops`, duplicate keys in a txn) is
 * {@link checkTxnRequest}, for the server to call; the applier assumes it passed.
 *
 * Differences worth knowing: sorting is stable (ties keep key order), where Go's
 * `sort.Sort` leaves the order of ties unspecified.
 */
import { DuplicateKeyError, EmptyKeyError, KeyNotFoundError, ProtoWriter, TooManyOpsError, etcdserverpb } from "@etcd-ts/api";
import type { mvccpb } from "@etcd-ts/api";
import { encodeRange, type EncodedRange } from "./EncodedRange.js";
import { MvccError } from "./errors.js";
import { compareBytes, keyString } from "./internal/keys.js";
import type { KVStore, TxnRead, TxnWrite } from "./KVStore.js";

type RangeRequest = etcdserverpb.RangeRequest;
type RangeResponse = etcdserverpb.RangeResponse;
type PutRequest = etcdserverpb.PutRequest;
type PutResponse = etcdserverpb.PutResponse;
type DeleteRangeRequest = etcdserverpb.DeleteRangeRequest;
type DeleteRangeResponse = etcdserverpb.DeleteRangeResponse;
type TxnRequest = etcdserverpb.TxnRequest;
type TxnResponse = etcdserverpb.TxnResponse;
type Compare = etcdserverpb.Compare;
type ResponseOp = etcdserverpb.ResponseOp;
type KeyValue = mvccpb.KeyValue;
type Event = mvccpb.Event;

const { SortOrder, SortTarget, CompareResult, CompareTarget } = {
  SortOrder: etcdserverpb.RangeRequest_SortOrder,
  SortTarget: etcdserverpb.RangeRequest_SortTarget,
  CompareResult: etcdserverpb.Compare_CompareResult,
  CompareTarget: etcdserverpb.Compare_CompareTarget,
};

/** LeaseChecker tells the applier whether a lease exists (etcd checks at apply time). */
export interface LeaseChecker {
  /** exists tells whether lease `id` is granted and not revoked. */
  exists(id: bigint): boolean;
}

/** WriteResult is a write request's response plus the watch events it produced. */
export interface WriteResult<R> {
  /** response is the request's response (header revision set). */
  readonly response: R;
  /** events are the changes of the write, in order (empty if nothing changed). */
  readonly events: Event[];
}

/** ApplierOptions configure an {@link Applier}. */
export interface ApplierOptions {
  /** leases, when given, makes puts with an unknown lease fail with `leaseNotFound`. */
  readonly leases?: LeaseChecker;
  /** prevKv fills `prevKv` of returned events (for watchers that asked for it). */
  readonly eventsWithPrevKv?: boolean;
}

function header(revision: number): etcdserverpb.ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0 };
}

/** Applier applies KV requests to a store; see the module comment. */
export class Applier {
  /** store is the store requests apply to. */
  readonly store: KVStore;
  private readonly leases: LeaseChecker | undefined;
  /** eventsWithPrevKv makes write events carry prevKv; may be changed between requests. */
  eventsWithPrevKv: boolean;

  /** Creates an applier over store. */
  constructor(store: KVStore, options: ApplierOptions = {}) {
    this.store = store;
    this.leases = options.leases;
    this.eventsWithPrevKv = options.eventsWithPrevKv === true;
  }

  /** range serves a RangeRequest at the current revision (or `revision`). */
  range(request: RangeRequest, txn: TxnRead = this.store.read()): RangeResponse {
    return applyRange(txn, request);
  }

  /**
   * rangeEncoded serves a RangeRequest straight into wire format. Plain ranges (no sort,
   * filter, keys-only or count-only) copy the stored KeyValues without decoding them —
   * the cost of a large range is then one copy per key; the rest go through `range`.
   */
  rangeEncoded(request: RangeRequest): EncodedRange {
    const r = request;
    const plain =
      r.sortOrder === SortOrder.NONE && r.sortTarget === SortTarget.KEY && !r.keysOnly && !r.countOnly &&
      r.minModRevision === 0 && r.maxModRevision === 0 && r.minCreateRevision === 0 && r.maxCreateRevision === 0;
    if (!plain) return encodeRange(this.range(request));
    const writer = new ProtoWriter();
    let kept = 0;
    const { count, rev } = this.store.rangeStored(r.key, r.rangeEnd, { limit: r.limit > 0 ? r.limit + 1 : 0, rev: r.revision }, (stored) => {
      if (r.limit > 0 && kept === r.limit) return; // the extra one only tells `more`
      kept++;
      writer.uint32(KVS_TAG);
      writer.bytes(stored);
    });
    const more = r.limit > 0 && count > r.limit;
    if (more) {
      writer.uint32(MORE_TAG);
      writer.bool(true);
    }
    if (count !== 0) {
      writer.uint32(COUNT_TAG);
      writer.int64Number(count);
    }
    return { revision: rev, body: writer.finishCopy() };
  }

  /** put applies a PutRequest in its own write txn. */
  put(request: PutRequest): WriteResult<PutResponse> {
    if (request.lease !== 0n && this.leases !== undefined && !this.leases.exists(request.lease)) throw new MvccError("leaseNotFound");
    const txn = this.store.write({ prevKv: this.eventsWithPrevKv });
    try {
      const response = applyPut(txn, request);
      return { response, events: txn.end() };
    } catch (error) {
      txn.end();
      throw error;
    }
  }

  /** deleteRange applies a DeleteRangeRequest in its own write txn. */
  deleteRange(request: DeleteRangeRequest): WriteResult<DeleteRangeResponse> {
    const txn = this.store.write({ prevKv: this.eventsWithPrevKv });
    const response = applyDeleteRange(txn, request);
    return { response, events: txn.end() };
  }

  /**
   * txn applies a TxnRequest: compares against the current revision pick the branch
   * (recursively for nested txns), puts and ranges of that path are checked before
   * anything is written, then the branch runs in one write txn (or a read view when it
   * writes nothing). `leases` (default: the applier's) checks the leases of the taken
   * path's puts only, as etcd does.
   */
  txn(request: TxnRequest, leases: LeaseChecker | undefined = this.leases): WriteResult<TxnResponse> {
    const view = this.store.read();
    const path = compareToPath(view, request);
    const isWrite = !isTxnReadonly(request);
    if (isWrite) checkRequests(request, path, (op) => this.checkPut(view, op, leases));
    checkRequests(request, path, (op) => checkRange(view, op));
    const response = newTxnResponse(request, path).response;
    if (!isWrite) {
      applyTxnOps(readOnlyWrite(view), request, path, response);
      response.header = header(view.rev());
      return { response, events: [] };
    }
    const txn = this.store.write({ prevKv: this.eventsWithPrevKv });
    applyTxnOps(txn, request, path, response);
    const rev = txn.changes().length !== 0 ? txn.rev() + 1 : txn.rev();
    const events = txn.end();
    response.header = header(rev);
    return { response, events };
  }

  /**
   * compact schedules a compaction (see {@link KVStore.compact}); the response header
   * carries the current revision. The returned job must be run to free backend space.
   */
  compact(request: etcdserverpb.CompactionRequest): { response: etcdserverpb.CompactionResponse; job: ReturnType<KVStore["compact"]> } {
    const job = this.store.compact(request.revision);
    return { response: { header: header(this.store.rev()) }, job };
  }

  private checkPut(view: TxnRead, op: etcdserverpb.RequestOp, leases: LeaseChecker | undefined): void {
    if (op.request?.$case !== "requestPut") return;
    const put = op.request.requestPut;
    if (put.ignoreValue || put.ignoreLease) {
      if (view.range(put.key, EMPTY).kvs.length === 0) throw new MvccError("keyNotFound");
    }
    if (put.lease !== 0n && leases !== undefined && !leases.exists(put.lease)) throw new MvccError("leaseNotFound");
  }
}

const EMPTY = new Uint8Array(0);
/** RangeResponse's field tags: kvs (2) and more (3) and count (4). */
const KVS_TAG = (2 << 3) | 2;
const MORE_TAG = 3 << 3;
const COUNT_TAG = 4 << 3;

/** applyRange is etcd's applierV3backend.Range over a view. */
export function applyRange(txn: TxnRead, r: RangeRequest): RangeResponse {
  let limit = r.limit;
  if (r.sortOrder !== SortOrder.NONE || r.minModRevision !== 0 || r.maxModRevision !== 0 || r.minCreateRevision !== 0 || r.maxCreateRevision !== 0) {
    limit = 0; // fetch everything; sort and truncate afterwards
  }
  if (limit > 0) limit++; // one extra for `more`
  const rr = txn.range(r.key, r.rangeEnd, { limit, rev: r.revision, count: r.countOnly });
  let kvs = rr.kvs;
  if (r.maxModRevision !== 0) kvs = kvs.filter((kv) => !(kv.modRevision > r.maxModRevision));
  if (r.minModRevision !== 0) kvs = kvs.filter((kv) => !(kv.modRevision < r.minModRevision));
  if (r.maxCreateRevision !== 0) kvs = kvs.filter((kv) => !(kv.createRevision > r.maxCreateRevision));
  if (r.minCreateRevision !== 0) kvs = kvs.filter((kv) => !(kv.createRevision < r.minCreateRevision));

  let sortOrder = r.sortOrder;
  if (r.sortTarget !== SortTarget.KEY && sortOrder === SortOrder.NONE) sortOrder = SortOrder.ASCEND;
  if (sortOrder !== SortOrder.NONE) {
    const cmp = sortComparator(r.sortTarget);
    if (sortOrder === SortOrder.ASCEND) kvs.sort(cmp);
    else if (sortOrder === SortOrder.DESCEND) kvs.sort((a, b) => cmp(b, a));
  }
  let more = false;
  if (r.limit > 0 && kvs.length > r.limit) {
    kvs = kvs.slice(0, r.limit);
    more = true;
  }
  if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
  return { header: header(rr.rev), kvs, more, count: rr.count };
}

function sortComparator(target: etcdserverpb.RangeRequest_SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case SortTarget.VERSION:
      return (a, b) => a.version - b.version;
    case SortTarget.CREATE:
      return (a, b) => a.createRevision - b.createRevision;
    case SortTarget.MOD:
      return (a, b) => a.modRevision - b.modRevision;
    case SortTarget.VALUE:
      return (a, b) => compareBytes(a.value, b.value);
    default:
      return (a, b) => compareBytes(a.key, b.key);
  }
}

/** applyPut is etcd's applierV3backend.Put inside a write txn. */
export function applyPut(txn: TxnWrite, p: PutRequest): PutResponse {
  let value = p.value;
  let lease = p.lease;
  let prev: KeyValue | undefined;
  if (p.ignoreValue || p.ignoreLease || p.prevKv) prev = txn.range(p.key, EMPTY).kvs[0];
  if ((p.ignoreValue || p.ignoreLease) && prev === undefined) throw new MvccError("keyNotFound");
  if (p.ignoreValue) value = prev!.value;
  if (p.ignoreLease) lease = prev!.lease;
  const rev = txn.put(p.key, value, lease);
  const response: PutResponse = { header: header(rev) };
  if (p.prevKv && prev !== undefined) response.prevKv = prev;
  return response;
}

/** applyDeleteRange is etcd's applierV3backend.DeleteRange inside a write txn. */
export function applyDeleteRange(txn: TxnWrite, dr: DeleteRangeRequest): DeleteRangeResponse {
  let prevKvs: KeyValue[] = [];
  if (dr.prevKv) prevKvs = txn.range(dr.key, dr.rangeEnd).kvs;
  const { deleted, rev } = txn.deleteRange(dr.key, dr.rangeEnd);
  return { header: header(rev), deleted, prevKvs };
}

/** isTxnReadonly is etcd's: a txn whose ops (both branches) are all ranges writes nothing. */
export function isTxnReadonly(r: TxnRequest): boolean {
  // etcd: any op that is not a range (nested txns and empty ops included) makes it a write
  for (const op of r.success) if (op.request?.$case !== "requestRange") return false;
  for (const op of r.failure) if (op.request?.$case !== "requestRange") return false;
  return true;
}

/** compareToPath evaluates compares: element 0 for this txn, then nested txns in order. */
function compareToPath(view: TxnRead, r: TxnRequest): boolean[] {
  const path = [applyCompares(view, r.compare)];
  const ops = path[0] ? r.success : r.failure;
  for (const op of ops) {
    if (op.request?.$case === "requestTxn") path.push(...compareToPath(view, op.request.requestTxn));
  }
  return path;
}

function applyCompares(view: TxnRead, compares: readonly Compare[]): boolean {
  for (const c of compares) if (!applyCompare(view, c)) return false;
  return true;
}

const ZERO_KV: KeyValue = { key: EMPTY, value: EMPTY, createRevision: 0, modRevision: 0, version: 0, lease: 0n };

function applyCompare(view: TxnRead, c: Compare): boolean {
  let kvs: KeyValue[];
  try {
    kvs = view.range(c.key, c.rangeEnd).kvs;
  } catch {
    return false;
  }
  if (kvs.length === 0) {
    if (c.target === CompareTarget.VALUE) return false; // no way to compare a missing value
    return compareKV(c, ZERO_KV);
  }
  for (const kv of kvs) if (!compareKV(c, kv)) return false;
  return true;
}

function sign(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKV(c: Compare, kv: KeyValue): boolean {
  let result = 0;
  const u = c.targetUnion;
  switch (c.target) {
    case CompareTarget.VALUE:
      result = Math.sign(compareBytes(kv.value, u?.$case === "value" ? u.value : EMPTY));
      break;
    case CompareTarget.CREATE:
      result = sign(kv.createRevision, u?.$case === "createRevision" ? u.createRevision : 0);
      break;
    case CompareTarget.MOD:
      result = sign(kv.modRevision, u?.$case === "modRevision" ? u.modRevision : 0);
      break;
    case CompareTarget.VERSION:
      result = sign(kv.version, u?.$case === "version" ? u.version : 0);
      break;
    case CompareTarget.LEASE:
      result = sign(kv.lease, u?.$case === "lease" ? u.lease : 0n);
      break;
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
  }
  return true;
}

function checkRequests(r: TxnRequest, path: boolean[], check: (op: etcdserverpb.RequestOp) => void): number {
  let txnCount = 0;
  const ops = path[0] ? r.success : r.failure;
  let rest = path;
  for (const op of ops) {
    if (op.request?.$case === "requestTxn") {
      const txns = checkRequests(op.request.requestTxn, rest.slice(1), check);
      txnCount += txns + 1;
      rest = rest.slice(txns + 1);
      continue;
    }
    check(op);
  }
  return txnCount;
}

function checkRange(view: TxnRead, op: etcdserverpb.RequestOp): void {
  if (op.request?.$case !== "requestRange") return;
  const rev = op.request.requestRange.revision;
  if (rev === 0) return;
  if (rev > view.rev()) throw new MvccError("futureRev");
  if (rev < view.firstRev()) throw new MvccError("compacted");
}

function newTxnResponse(r: TxnRequest, path: boolean[]): { response: TxnResponse; txnCount: number } {
  const ops = path[0] ? r.success : r.failure;
  const responses: ResponseOp[] = [];
  let txnCount = 0;
  let rest = path;
  for (const op of ops) {
    const req = op.request;
    if (req?.$case === "requestTxn") {
      const nested = newTxnResponse(req.requestTxn, rest.slice(1));
      responses.push({ response: { $case: "responseTxn", responseTxn: nested.response } });
      rest = rest.slice(1 + nested.txnCount);
      txnCount += nested.txnCount + 1;
    } else {
      responses.push({ response: undefined });
    }
  }
  return { response: { header: header(0), succeeded: path[0] === true, responses }, txnCount };
}

function applyTxnOps(txn: TxnWrite, r: TxnRequest, path: boolean[], response: TxnResponse): number {
  const ops = path[0] ? r.success : r.failure;
  let txns = 0;
  let rest = path;
  ops.forEach((op, i) => {
    const req = op.request;
    const slot = response.responses[i]!;
    switch (req?.$case) {
      case "requestRange":
        slot.response = { $case: "responseRange", responseRange: applyRange(txn, req.requestRange) };
        break;
      case "requestPut":
        slot.response = { $case: "responsePut", responsePut: applyPut(txn, req.requestPut) };
        break;
      case "requestDeleteRange":
        slot.response = { $case: "responseDeleteRange", responseDeleteRange: applyDeleteRange(txn, req.requestDeleteRange) };
        break;
      case "requestTxn": {
        const nested = slot.response as { $case: "responseTxn"; responseTxn: TxnResponse };
        const applied = applyTxnOps(txn, req.requestTxn, rest.slice(1), nested.responseTxn);
        txns += applied + 1;
        rest = rest.slice(applied + 1);
        break;
      }
      default:
        break;
    }
  });
  return txns;
}

/** readOnlyWrite adapts a read view for a txn that writes nothing. */
function readOnlyWrite(view: TxnRead): TxnWrite {
  return {
    rev: () => view.rev(),
    firstRev: () => view.firstRev(),
    range: (key, end, options) => view.range(key, end, options),
    put: () => {
      throw new Error("mvcc: put in a read-only txn");
    },
    deleteRange: () => {
      throw new Error("mvcc: delete in a read-only txn");
    },
    changes: () => [],
    end: () => [],
  };
}

/**
 * checkTxnRequest is the validation etcd's gRPC layer does before proposing a Txn
 * (`v3rpc/key.go`): at most `maxTxnOps` compares or ops per branch ({@link TooManyOpsError}),
 * no empty keys ({@link EmptyKeyError}), empty ops ({@link KeyNotFoundError}), and no key
 * written twice on one path of the txn, counting nested txns ({@link DuplicateKeyError}).
 */
export function checkTxnRequest(r: TxnRequest, maxTxnOps = 128): void {
  checkTxnOps(r, maxTxnOps);
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

function checkTxnOps(r: TxnRequest, maxTxnOps: number): void {
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) throw new TooManyOpsError();
  for (const c of r.compare) if (c.key.length === 0) throw new EmptyKeyError();
  for (const op of [...r.success, ...r.failure]) {
    const req = op.request;
    if (req === undefined) throw new KeyNotFoundError();
    switch (req.$case) {
      case "requestRange":
        if (req.requestRange.key.length === 0) throw new EmptyKeyError();
        break;
      case "requestPut":
        if (req.requestPut.key.length === 0) throw new EmptyKeyError();
        break;
      case "requestDeleteRange":
        if (req.requestDeleteRange.key.length === 0) throw new EmptyKeyError();
        break;
      case "requestTxn":
        checkTxnOps(req.requestTxn, maxTxnOps - opc);
        break;
    }
  }
}

interface Interval {
  readonly start: string;
  readonly end: string | undefined; // undefined: single key; "" unbounded
}

function intersects(intervals: readonly Interval[], key: string): boolean {
  for (const iv of intervals) {
    if (iv.end === undefined ? iv.start === key : key >= iv.start && (iv.end === "" || key < iv.end)) return true;
  }
  return false;
}

function checkIntervals(ops: readonly etcdserverpb.RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    if (op.request?.$case !== "requestDeleteRange") continue;
    const d = op.request.requestDeleteRange;
    const end = d.rangeEnd.length === 0 ? undefined : d.rangeEnd.length === 1 && d.rangeEnd[0] === 0 ? "" : keyString(d.rangeEnd);
    dels.push({ start: keyString(d.key), end });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.request?.$case !== "requestTxn") continue;
    const then = checkIntervals(op.request.requestTxn.success);
    const otherwise = checkIntervals(op.request.requestTxn.failure);
    for (const k of then.puts) {
      if (puts.has(k) || intersects(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw new DuplicateKeyError();
      if (intersects(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (op.request?.$case !== "requestPut") continue;
    const k = keyString(op.request.requestPut.key);
    if (puts.has(k) || intersects(dels, k)) throw new DuplicateKeyError();
    puts.add(k);
  }
  return { puts, dels };
}
