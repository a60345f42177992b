/**
 * A key space: the key prefix a client view adds to every key it sends and strips from every
 * key it receives (etcd's namespace package). The root key space has an empty prefix and does
 * nothing. Ranges map as etcd's namespace does: `[k, end)` becomes `[p+k, p+end)`, and the
 * open end `\0` ("to the end of the keyspace") becomes the end of the prefix.
 */
import type { mvccpb } from "@etcd-ts/api";
import { type Bytes, ZERO_BYTE, concatBytes, prefixEnd, toBytes } from "../keys.js";

/** How a request names its range: one key, a prefix, from a key on, or an explicit end. */
export interface RangeSpec {
  readonly prefix?: boolean | undefined;
  readonly fromKey?: boolean | undefined;
  readonly rangeEnd?: Bytes | undefined;
}

/** KeySpace maps keys between a view and the server. */
export class KeySpace {
  static readonly ROOT = new KeySpace(new Uint8Array(0));

  constructor(readonly prefix: Uint8Array) {}

  /** child returns the key space nested under `prefix` within this one. */
  child(prefix: Bytes): KeySpace {
    return new KeySpace(concatBytes(this.prefix, toBytes(prefix)));
  }

  /** key maps one key to the server's key. */
  key(key: Bytes): Uint8Array {
    return concatBytes(this.prefix, toBytes(key));
  }

  /** range maps a key and its range options to the server's `[key, rangeEnd)`. */
  range(key: Bytes, spec: RangeSpec | undefined): { key: Uint8Array; rangeEnd: Uint8Array } {
    const raw = toBytes(key);
    let end: Uint8Array | undefined;
    if (spec?.rangeEnd !== undefined) end = toBytes(spec.rangeEnd);
    else if (spec?.prefix) end = prefixEnd(raw);
    else if (spec?.fromKey) end = ZERO_BYTE;
    if (this.prefix.length === 0) return { key: raw, rangeEnd: end ?? new Uint8Array(0) };
    const fullKey = concatBytes(this.prefix, raw);
    if (end === undefined || end.length === 0) return { key: fullKey, rangeEnd: new Uint8Array(0) };
    if (end.length === 1 && end[0] === 0) return { key: fullKey, rangeEnd: prefixEnd(this.prefix) };
    return { key: fullKey, rangeEnd: concatBytes(this.prefix, end) };
  }

  /** strip removes the prefix from a key the server sent. */
  strip(key: Uint8Array): Uint8Array {
    return this.prefix.length === 0 ? key : key.subarray(this.prefix.length);
  }

  /** stripKv removes the prefix from a key-value in place and returns it. */
  stripKv<T extends mvccpb.KeyValue | undefined>(kv: T): T {
    if (kv !== undefined && this.prefix.length !== 0) kv.key = kv.key.subarray(this.prefix.length);
    return kv;
  }
}
