/**
 * KV: get, put, delete, txn and compact, over etcd's `etcdserverpb.KV` service.
 *
 * Keys and values go in as `string` or `Uint8Array` and come back as `Uint8Array` views of
 * the received message (no copy); `text()` / `json()` (or `getString` / `getJSON`) decode them.
 * A KV instance belongs to a key space: the client's root one, or a `namespace(prefix)` view,
 * whose keys are prefixed on the way out and stripped on the way back.
 *
 * Retries: `get` and read-only transactions are retried on another endpoint when a server
 * is unreachable; `put`, `delete`, `compact` and writing transactions are never re-sent
 * once sent (see `UnknownOutcomeError`).
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { PartialMessage, mvccpb } from "@etcd-ts/api";
import type { Bytes } from "./keys.js";
import { json as parseJson, text, toBytes } from "./keys.js";
import type { CallOptions, Transport } from "./internal/Transport.js";
import type { KeySpace, RangeSpec } from "./internal/KeySpace.js";
import { Txn, isReadOnly, normalizeTxn, txnRequest } from "./Txn.js";
import type { Compare, Op, TxnResponse } from "./Txn.js";

/** KeyValue is a stored key with its value and revisions (etcd's mvccpb.KeyValue). */
export type KeyValue = mvccpb.KeyValue;

/** ResponseHeader is the header of every answer: cluster, member, revision, raft term. */
export type ResponseHeader = pb.ResponseHeader;

/** SortTarget is what a range is sorted by. */
export type SortTarget = "key" | "version" | "createRevision" | "modRevision" | "value";

/** SortOrder is the direction of a sort; "none" keeps key order. */
export type SortOrder = "none" | "ascend" | "descend";

/** GetOptions select what `get` reads. Without range options it reads one key. */
export interface GetOptions extends CallOptions, RangeSpec {
  /** prefix reads every key starting with the key. */
  readonly prefix?: boolean | undefined;
  /** fromKey reads every key >= the key. */
  readonly fromKey?: boolean | undefined;
  /** rangeEnd reads `[key, rangeEnd)`. */
  readonly rangeEnd?: Bytes | undefined;
  /** limit caps the number of keys returned (0: no limit); `more` says whether some were left. */
  readonly limit?: number | undefined;
  /** revision reads the keyspace as of that revision (0: the latest). */
  readonly revision?: number | undefined;
  /** sort orders the result. */
  readonly sort?: { readonly target?: SortTarget | undefined; readonly order?: SortOrder | undefined } | undefined;
  /** keysOnly returns keys without values. */
  readonly keysOnly?: boolean | undefined;
  /** countOnly returns only the count. */
  readonly countOnly?: boolean | undefined;
  /** serializable reads the local member's state without a consensus round (may be stale). */
  readonly serializable?: boolean | undefined;
  /** minModRevision, maxModRevision, minCreateRevision, maxCreateRevision filter the keys. */
  readonly minModRevision?: number | undefined;
  readonly maxModRevision?: number | undefined;
  readonly minCreateRevision?: number | undefined;
  readonly maxCreateRevision?: number | undefined;
}

/** PutOptions tune a put. */
export interface PutOptions extends CallOptions {
  /** lease attaches the key to a lease (deleted when the lease ends). */
  readonly lease?: bigint | undefined;
  /** prevKv returns the previous key-value in `prevKv`. */
  readonly prevKv?: boolean | undefined;
  /** ignoreValue keeps the current value (the key must exist; pass an empty value). */
  readonly ignoreValue?: boolean | undefined;
  /** ignoreLease keeps the current lease (the key must exist). */
  readonly ignoreLease?: boolean | undefined;
}

/** DeleteOptions select what `delete` deletes. Without range options it deletes one key. */
export interface DeleteOptions extends CallOptions, RangeSpec {
  /** prevKv returns the deleted key-values in `prevKvs`. */
  readonly prevKv?: boolean | undefined;
}

/** GetResponse is the answer to `get`. */
export interface GetResponse {
  readonly header: ResponseHeader;
  /** kvs are the keys read, in the requested order. */
  readonly kvs: KeyValue[];
  /** more is true when `limit` left keys out. */
  readonly more: boolean;
  /** count is the number of keys in the range (regardless of limit). */
  readonly count: number;
}

/** PutResponse is the answer to `put`. */
export interface PutResponse {
  readonly header: ResponseHeader;
  /** prevKv is the key-value before the put, when asked for and it existed. */
  readonly prevKv?: KeyValue | undefined;
}

/** DeleteResponse is the answer to `delete`. */
export interface DeleteResponse {
  readonly header: ResponseHeader;
  /** deleted is the number of keys deleted. */
  readonly deleted: number;
  /** prevKvs are the deleted key-values, when asked for. */
  readonly prevKvs: KeyValue[];
}

/** CompactResponse is the answer to `compact`. */
export interface CompactResponse {
  readonly header: ResponseHeader;
}

const SORT_TARGETS: Record<SortTarget, pb.RangeRequest_SortTarget> = {
  key: pb.RangeRequest_SortTarget.KEY,
  version: pb.RangeRequest_SortTarget.VERSION,
  createRevision: pb.RangeRequest_SortTarget.CREATE,
  modRevision: pb.RangeRequest_SortTarget.MOD,
  value: pb.RangeRequest_SortTarget.VALUE,
};

const SORT_ORDERS: Record<SortOrder, pb.RangeRequest_SortOrder> = {
  none: pb.RangeRequest_SortOrder.NONE,
  ascend: pb.RangeRequest_SortOrder.ASCEND,
  descend: pb.RangeRequest_SortOrder.DESCEND,
};

const EMPTY_HEADER: ResponseHeader = Object.freeze({ clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 });

/** normalizeHeader returns the header, or a zero header when the server sent none. */
export function normalizeHeader(header: ResponseHeader | undefined): ResponseHeader {
  return header ?? EMPTY_HEADER;
}

/** rangeRequest builds a RangeRequest within a key space. */
export function rangeRequest(space: KeySpace, key: Bytes, o: GetOptions | undefined): PartialMessage<pb.RangeRequest> {
  const range = space.range(key, o);
  if (o === undefined) return range;
  const sortOrder = o.sort === undefined ? 0 : SORT_ORDERS[o.sort.order ?? "ascend"];
  const sortTarget = o.sort === undefined ? 0 : SORT_TARGETS[o.sort.target ?? "key"];
  return {
    key: range.key,
    rangeEnd: range.rangeEnd,
    limit: o.limit ?? 0,
    revision: o.revision ?? 0,
    sortOrder,
    sortTarget,
    serializable: o.serializable ?? false,
    keysOnly: o.keysOnly ?? false,
    countOnly: o.countOnly ?? false,
    minModRevision: o.minModRevision ?? 0,
    maxModRevision: o.maxModRevision ?? 0,
    minCreateRevision: o.minCreateRevision ?? 0,
    maxCreateRevision: o.maxCreateRevision ?? 0,
  };
}

/** putRequest builds a PutRequest within a key space. */
export function putRequest(space: KeySpace, key: Bytes, value: Bytes, o: PutOptions | undefined): PartialMessage<pb.PutRequest> {
  const request: PartialMessage<pb.PutRequest> = { key: space.key(key), value: toBytes(value) };
  if (o === undefined) return request;
  return { ...request, lease: o.lease ?? 0n, prevKv: o.prevKv ?? false, ignoreValue: o.ignoreValue ?? false, ignoreLease: o.ignoreLease ?? false };
}

/** deleteRequest builds a DeleteRangeRequest within a key space. */
export function deleteRequest(space: KeySpace, key: Bytes, o: DeleteOptions | undefined): PartialMessage<pb.DeleteRangeRequest> {
  return { ...space.range(key, o), prevKv: o?.prevKv ?? false };
}

/** normalizeRange strips a RangeResponse's keys for a key space. */
export function normalizeRange(space: KeySpace, res: pb.RangeResponse): GetResponse {
  for (const kv of res.kvs) space.stripKv(kv);
  return { header: normalizeHeader(res.header), kvs: res.kvs, more: res.more, count: res.count };
}

/** normalizePut strips a PutResponse's key for a key space. */
export function normalizePut(space: KeySpace, res: pb.PutResponse): PutResponse {
  return res.prevKv === undefined ? { header: normalizeHeader(res.header) } : { header: normalizeHeader(res.header), prevKv: space.stripKv(res.prevKv) };
}

/** normalizeDelete strips a DeleteRangeResponse's keys for a key space. */
export function normalizeDelete(space: KeySpace, res: pb.DeleteRangeResponse): DeleteResponse {
  for (const kv of res.prevKvs) space.stripKv(kv);
  return { header: normalizeHeader(res.header), deleted: res.deleted, prevKvs: res.prevKvs };
}

const { KVService } = pb;

/** KV reads and writes keys of one key space. */
export class KV {
  /** @internal Created by the client (`client.kv`, `client.namespace(...)`). */
  constructor(
    protected readonly transport: Transport,
    protected readonly space: KeySpace,
  ) {}

  /** get reads one key, or a range with range options. */
  async get(key: Bytes, options?: GetOptions): Promise<GetResponse> {
    const res = await this.transport.unary(KVService.range, rangeRequest(this.space, key, options), { idempotent: true }, options);
    return normalizeRange(this.space, res);
  }

  /** getString returns one key's value as text, or undefined when the key does not exist. */
  async getString(key: Bytes, options?: GetOptions): Promise<string | undefined> {
    const res = await this.get(key, options);
    return text(res.kvs[0]?.value);
  }

  /** getJSON returns one key's value parsed as JSON, or undefined when the key does not exist. */
  async getJSON<T = unknown>(key: Bytes, options?: GetOptions): Promise<T | undefined> {
    const res = await this.get(key, options);
    return parseJson<T>(res.kvs[0]?.value);
  }

  /** put writes a key. */
  async put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResponse> {
    const res = await this.transport.unary(KVService.put, putRequest(this.space, key, value, options), { idempotent: false }, options);
    return normalizePut(this.space, res);
  }

  /** putJSON writes a key whose value is `JSON.stringify(value)`. */
  putJSON(key: Bytes, value: unknown, options?: PutOptions): Promise<PutResponse> {
    return this.put(key, JSON.stringify(value), options);
  }

  /** delete deletes one key, or a range with range options. */
  async delete(key: Bytes, options?: DeleteOptions): Promise<DeleteResponse> {
    const res = await this.transport.unary(KVService.deleteRange, deleteRequest(this.space, key, options), { idempotent: false }, options);
    return normalizeDelete(this.space, res);
  }

  /** txn starts a transaction builder; see {@link Txn}. */
  txn(): Txn {
    return new Txn((compares, success, failure, options) => this.commitTxn(compares, success, failure, options));
  }

  /** commitTxn sends a transaction given as its three parts. */
  async commitTxn(compares: readonly Compare[], success: readonly Op[], failure: readonly Op[], options?: CallOptions): Promise<TxnResponse> {
    const idempotent = isReadOnly(success) && isReadOnly(failure);
    const res = await this.transport.unary(KVService.txn, txnRequest(this.space, compares, success, failure), { idempotent }, options);
    return normalizeTxn(this.space, res);
  }

  /**
   * compact discards the history before `revision` (keys' latest values stay). With
   * `physical`, it answers only once the space is actually released.
   */
  async compact(revision: number, options?: CallOptions & { readonly physical?: boolean | undefined }): Promise<CompactResponse> {
    const res = await this.transport.unary(KVService.compact, { revision, physical: options?.physical ?? false }, { idempotent: false }, options);
    return { header: normalizeHeader(res.header) };
  }
}
