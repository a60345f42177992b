/**
 * EncodedRange: a range answer already in wire format, so a read crosses from the storage
 * worker as one transferred buffer instead of a structured clone of every key-value, and the
 * server sends it without encoding it again (DESIGN §5: messages between threads carry bytes).
 */
import { etcdserverpb } from "@etcd-ts/api";

/** EncodedRange is a RangeResponse without its header, encoded, and the revision the header needs. */
export interface EncodedRange {
  /** revision is the store revision the read was served at (the header's revision). */
  readonly revision: number;
  /** body is RangeResponse{kvs, more, count} in protobuf: append an encoded header field to complete it. */
  readonly body: Uint8Array;
}

/** encodeRange encodes a range answer's body. */
export function encodeRange(response: etcdserverpb.RangeResponse): EncodedRange {
  return {
    revision: response.header?.revision ?? 0,
    body: etcdserverpb.RangeResponse.encode({ kvs: response.kvs, more: response.more, count: response.count }),
  };
}

/**
 * transferable returns `bytes` when it is the whole of its ArrayBuffer, else a copy that is:
 * only such a buffer may be moved to another thread. (Small encodings are views into Node's
 * shared Buffer pool, and moving the pool would empty every other Buffer cut from it.)
 */
export function transferable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}
