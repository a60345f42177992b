/**
 * The types of KV's calls: their options and their answers, as the client's users see them.
 *
 * A leaf: `KV.ts` (which re-exports every name here, its public home), `Txn.ts` (whose ops
 * carry these options and whose results carry these answers) and `internal/requests.ts`
 * (which maps them to and from the wire) all import it, and it imports none of them, so
 * the three do not import one another in a circle. Types only: nothing here runs.
 */
import type { etcdserverpb as pb, mvccpb } from "@etcd-ts/api";
import type { Bytes } from "./keys.js";
import type { CallOptions } from "./internal/Transport.js";
import type { RangeSpec } from "./internal/KeySpace.js";

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
