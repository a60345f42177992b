/**
 * Transactions: compares, operations, the `txn()` builder and its result.
 *
 * `Compare.*` and `Op.*` build plain descriptions, independent of any client; a client view
 * maps their keys (namespace prefix) when it sends them. A transaction is
 * `if (all compares hold) then ops else ops`, applied atomically at one revision; etcd allows
 * a key to be written at most once per branch and at most `--max-txn-ops` (128) ops.
 *
 * ```ts
 * const res = await client.txn()
 *   .if(Compare.modRevision("cfg", "=", rev))
 *   .then(Op.put("cfg", next))
 *   .else(Op.get("cfg"))
 *   .commit();
 * ```
 */
import type { Bytes } from "./keys.js";
import type { CallOptions } from "./internal/Transport.js";
import type { RangeSpec } from "./internal/KeySpace.js";
import type { DeleteOptions, DeleteResponse, GetOptions, GetResponse, PutOptions, PutResponse, ResponseHeader } from "./kvTypes.js";

/** CompareOperator is how a compare relates the key's field to the given value. */
export type CompareOperator = "=" | "!=" | ">" | "<";

/** CompareTarget is the field of a key a compare looks at. */
export type CompareTarget = "value" | "version" | "createRevision" | "modRevision" | "lease";

/** CompareRange extends a compare to every key of a range (etcd >= 3.3). */
export type CompareRange = Pick<RangeSpec, "prefix" | "fromKey" | "rangeEnd">;

/** Compare is one condition of a transaction. Build it with the `Compare.*` functions. */
export interface Compare {
  readonly target: CompareTarget;
  readonly key: Bytes;
  readonly operator: CompareOperator;
  readonly operand: Bytes | number | bigint;
  readonly range?: CompareRange | undefined;
}

/** Compare builds transaction conditions on a key's value, version, revisions or lease. */
export const Compare = {
  /** value compares the key's value (bytewise) with `value`. */
  value: (key: Bytes, operator: CompareOperator, value: Bytes, range?: CompareRange): Compare => ({ target: "value", key, operator, operand: value, range }),
  /** version compares the key's version (0 when the key does not exist). */
  version: (key: Bytes, operator: CompareOperator, version: number, range?: CompareRange): Compare => ({ target: "version", key, operator, operand: version, range }),
  /** createRevision compares the key's create revision (0 when it does not exist). */
  createRevision: (key: Bytes, operator: CompareOperator, revision: number, range?: CompareRange): Compare => ({ target: "createRevision", key, operator, operand: revision, range }),
  /** modRevision compares the key's last modification revision (0 when it does not exist). */
  modRevision: (key: Bytes, operator: CompareOperator, revision: number, range?: CompareRange): Compare => ({ target: "modRevision", key, operator, operand: revision, range }),
  /** lease compares the key's lease ID (0n when it has none). */
  lease: (key: Bytes, operator: CompareOperator, lease: bigint, range?: CompareRange): Compare => ({ target: "lease", key, operator, operand: lease, range }),
} as const;

/** Op is one operation of a transaction branch. Build it with the `Op.*` functions. */
export type Op =
  | { readonly type: "get"; readonly key: Bytes; readonly options?: GetOptions | undefined }
  | { readonly type: "put"; readonly key: Bytes; readonly value: Bytes; readonly options?: PutOptions | undefined }
  | { readonly type: "delete"; readonly key: Bytes; readonly options?: DeleteOptions | undefined }
  | { readonly type: "txn"; readonly compares: readonly Compare[]; readonly success: readonly Op[]; readonly failure: readonly Op[] };

/** Op builds transaction operations. */
export const Op = {
  /** get reads a key or range (the same options as `client.get`). */
  get: (key: Bytes, options?: GetOptions): Op => ({ type: "get", key, options }),
  /** put writes a key (the same options as `client.put`). */
  put: (key: Bytes, value: Bytes, options?: PutOptions): Op => ({ type: "put", key, value, options }),
  /** delete deletes a key or range (the same options as `client.delete`). */
  delete: (key: Bytes, options?: DeleteOptions): Op => ({ type: "delete", key, options }),
  /** txn nests a transaction (etcd >= 3.3); it must not write a key its parent writes. */
  txn: (compares: readonly Compare[], success: readonly Op[], failure: readonly Op[] = []): Op => ({ type: "txn", compares, success, failure }),
} as const;

/** OpResult is the answer to one operation, in the order of the branch that ran. */
export type OpResult =
  | { readonly type: "get"; readonly response: GetResponse }
  | { readonly type: "put"; readonly response: PutResponse }
  | { readonly type: "delete"; readonly response: DeleteResponse }
  | { readonly type: "txn"; readonly response: TxnResponse };

/** TxnResponse is the answer to a transaction. */
export interface TxnResponse {
  readonly header: ResponseHeader;
  /** succeeded is true when every compare held (the `then` branch ran). */
  readonly succeeded: boolean;
  /** responses answer the operations of the branch that ran, in order. */
  readonly responses: OpResult[];
}

/**
 * Txn is the transaction builder: `if(...)`, `then(...)`, `else(...)` (each at most once,
 * in that order, as etcd's Go client insists), then `commit()`.
 */
export class Txn {
  private compares: Compare[] = [];
  private success: Op[] = [];
  private failure: Op[] = [];
  private stage = 0;

  /** @internal Created by `client.txn()`. */
  constructor(private readonly run: (compares: readonly Compare[], success: readonly Op[], failure: readonly Op[], options?: CallOptions) => Promise<TxnResponse>) {}

  /** if adds the conditions (all must hold for `then` to run). */
  if(...compares: Compare[]): this {
    if (this.stage > 0) throw new Error("etcd client: txn.if() must come first, once");
    this.stage = 1;
    this.compares.push(...compares);
    return this;
  }

  /** then adds the operations run when every condition holds. */
  then(...ops: Op[]): this {
    if (this.stage > 1) throw new Error("etcd client: txn.then() must come before else(), once");
    this.stage = 2;
    this.success.push(...ops);
    return this;
  }

  /** else adds the operations run when some condition fails. */
  else(...ops: Op[]): this {
    if (this.stage > 2) throw new Error("etcd client: txn.else() may be called once");
    this.stage = 3;
    this.failure.push(...ops);
    return this;
  }

  /** commit sends the transaction. A read-only one is retried like a read; others never are. */
  commit(options?: CallOptions): Promise<TxnResponse> {
    return this.run(this.compares, this.success, this.failure, options);
  }
}
