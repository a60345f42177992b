/**
 * The KV wire mapping, both ways: builds the requests of `get`, `put`, `delete` and `txn`
 * within a key space (prefixing keys), and turns their answers back into the client's
 * types (stripping the prefix, filling a missing header).
 *
 * One module for both because a transaction nests the other three: `opMessage` builds a
 * get/put/delete op with the same builders `KV` uses, and `normalizeTxn` reads its results
 * with the same normalizers. Kept out of `KV.ts` and `Txn.ts` so neither imports the other
 * for them (`Txn.ts` needs none of this: its builder only collects ops). Internal: never
 * exported by the package (`"./internal/*": null`).
 */
import { etcdserverpb as pb } from "@etcd-ts/api";
import type { PartialMessage } from "@etcd-ts/api";
import type { Bytes } from "../keys.js";
import { toBytes } from "../keys.js";
import type { DeleteOptions, DeleteResponse, GetOptions, GetResponse, PutOptions, PutResponse, ResponseHeader, SortOrder, SortTarget } from "../kvTypes.js";
import type { Compare, CompareOperator, Op, OpResult, TxnResponse } from "../Txn.js";
import type { KeySpace } from "./KeySpace.js";

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

const OPERATORS: Record<CompareOperator, pb.Compare_CompareResult> = {
  "=": pb.Compare_CompareResult.EQUAL,
  "!=": pb.Compare_CompareResult.NOT_EQUAL,
  ">": pb.Compare_CompareResult.GREATER,
  "<": pb.Compare_CompareResult.LESS,
};

/** compareMessage turns a Compare into its wire form within a key space. */
export function compareMessage(space: KeySpace, c: Compare): PartialMessage<pb.Compare> {
  const { key, rangeEnd } = space.range(c.key, c.range);
  const result = OPERATORS[c.operator];
  if (result === undefined) throw new TypeError(`etcd client: unknown compare operator ${String(c.operator)}`);
  const base = { key, rangeEnd, result };
  switch (c.target) {
    case "value":
      return { ...base, target: pb.Compare_CompareTarget.VALUE, targetUnion: { $case: "value", value: toBytes(c.operand as Bytes) } };
    case "version":
      return { ...base, target: pb.Compare_CompareTarget.VERSION, targetUnion: { $case: "version", version: Number(c.operand) } };
    case "createRevision":
      return { ...base, target: pb.Compare_CompareTarget.CREATE, targetUnion: { $case: "createRevision", createRevision: Number(c.operand) } };
    case "modRevision":
      return { ...base, target: pb.Compare_CompareTarget.MOD, targetUnion: { $case: "modRevision", modRevision: Number(c.operand) } };
    case "lease":
      return { ...base, target: pb.Compare_CompareTarget.LEASE, targetUnion: { $case: "lease", lease: BigInt(c.operand as bigint) } };
  }
}

/** opMessage turns an Op into its wire form within a key space. */
export function opMessage(space: KeySpace, op: Op): PartialMessage<pb.RequestOp> {
  switch (op.type) {
    case "get":
      return { request: { $case: "requestRange", requestRange: rangeRequest(space, op.key, op.options) } };
    case "put":
      return { request: { $case: "requestPut", requestPut: putRequest(space, op.key, op.value, op.options) } };
    case "delete":
      return { request: { $case: "requestDeleteRange", requestDeleteRange: deleteRequest(space, op.key, op.options) } };
    case "txn":
      return { request: { $case: "requestTxn", requestTxn: txnRequest(space, op.compares, op.success, op.failure) } };
  }
}

/** txnRequest builds a TxnRequest within a key space. */
export function txnRequest(space: KeySpace, compares: readonly Compare[], success: readonly Op[], failure: readonly Op[]): PartialMessage<pb.TxnRequest> {
  return {
    compare: compares.map((c) => compareMessage(space, c)),
    success: success.map((o) => opMessage(space, o)),
    failure: failure.map((o) => opMessage(space, o)),
  };
}

/** isReadOnly reports whether ops (nested txns included) only read, so a retry is harmless. */
export function isReadOnly(ops: readonly Op[]): boolean {
  return ops.every((op) => op.type === "get" || (op.type === "txn" && isReadOnly(op.success) && isReadOnly(op.failure)));
}

/** normalizeTxn turns a wire TxnResponse into a TxnResponse of this view (keys stripped). */
export function normalizeTxn(space: KeySpace, res: pb.TxnResponse): TxnResponse {
  const responses: OpResult[] = [];
  for (const r of res.responses) {
    const response = r.response;
    if (response === undefined) continue;
    switch (response.$case) {
      case "responseRange":
        responses.push({ type: "get", response: normalizeRange(space, response.responseRange) });
        break;
      case "responsePut":
        responses.push({ type: "put", response: normalizePut(space, response.responsePut) });
        break;
      case "responseDeleteRange":
        responses.push({ type: "delete", response: normalizeDelete(space, response.responseDeleteRange) });
        break;
      case "responseTxn":
        responses.push({ type: "txn", response: normalizeTxn(space, response.responseTxn) });
        break;
    }
  }
  return { header: normalizeHeader(res.header), succeeded: res.succeeded, responses };
}