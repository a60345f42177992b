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

/** Below this size a buffer is cheaper to copy with its message than to move. */
const TRANSFER_MIN_BYTES = 64 * 1024;

/**
 * forPosting prepares `bytes` to cross to another thread: large buffers are moved (added to
 * `transfers`), small ones copied with the message. Either way only the bytes themselves
 * travel: small encodings are views into Node's shared Buffer pool, which a structured clone
 * would copy whole and a transfer would take from every other Buffer cut from it.
 */
export function forPosting(bytes: Uint8Array, transfers: ArrayBuffer[]): Uint8Array {
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
  if (own.byteLength >= TRANSFER_MIN_BYTES) transfers.push(own.buffer as ArrayBuffer);
  return own;
}
