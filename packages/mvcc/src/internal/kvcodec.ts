// A partial decoder of stored mvccpb.KeyValue bytes for the index rebuild: it reads the
// key, create revision, version and lease without allocating the value.

/** StoredKeyFields are the fields of a stored KeyValue the index rebuild needs. */
export interface StoredKeyFields {
  key: string; // latin1
  createRevision: number;
  version: number;
  lease: bigint;
}

/** scanKeyValue reads the index fields of an encoded KeyValue into out. */
export function scanKeyValue(buf: Buffer, out: StoredKeyFields): void {
  out.key = "";
  out.createRevision = 0;
  out.version = 0;
  out.lease = 0n;
  let pos = 0;
  const end = buf.length;
  while (pos < end) {
    const tag = buf[pos++]!; // field numbers 1..6 fit one byte
    const wire = tag & 7;
    const field = tag >>> 3;
    if (wire === 0) {
      let value = 0;
      let scale = 1;
      let big = false;
      let lo = 0n;
      let shift = 0n;
      for (;;) {
        const b = buf[pos++]!;
        if (field === 6) {
          lo |= BigInt(b & 0x7f) << shift;
          shift += 7n;
          big = true;
        } else {
          value += (b & 0x7f) * scale;
          scale *= 128;
        }
        if ((b & 0x80) === 0) break;
      }
      if (field === 2) out.createRevision = value;
      else if (field === 4) out.version = value;
      else if (field === 6 && big) out.lease = BigInt.asIntN(64, lo);
    } else if (wire === 2) {
      let length = 0;
      let scale = 1;
      for (;;) {
        const b = buf[pos++]!;
        length += (b & 0x7f) * scale;
        scale *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (field === 1) out.key = buf.toString("latin1", pos, pos + length);
      pos += length;
    } else {
      throw new Error(`mvcc: unexpected wire type ${wire} in a stored KeyValue`);
    }
  }
}
