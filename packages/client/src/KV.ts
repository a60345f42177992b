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
import type { Bytes } from "./keys.js";
import { json as parseJson, text } from "./keys.js";
import type { CallOptions, Transport } from "./internal/Transport.js";
import type { KeySpace } from "./internal/KeySpace.js";
import { deleteRequest, isReadOnly, normalizeDelete, normalizeHeader, normalizePut, normalizeRange, normalizeTxn, putRequest, rangeRequest, txnRequest } from "./internal/requests.js";
import type { CompactResponse, DeleteOptions, DeleteResponse, GetOptions, GetResponse, PutOptions, PutResponse } from "./kvTypes.js";
import { Txn } from "./Txn.js";
import type { Compare, Op, TxnResponse } from "./Txn.js";


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
