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

/** encodeRange encodes a range answer's body (a fresh, exactly sized buffer: transferable). */
export function encodeRange(response: etcdserverpb.RangeResponse): EncodedRange {
  return {
    revision: response.header?.revision ?? 0,
    body: etcdserverpb.RangeResponse.encode({ kvs: response.kvs, more: response.more, count: response.count }),
  };
}
