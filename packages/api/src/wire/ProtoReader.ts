/**
 * ProtoReader: the decoding half of our protobuf runtime, used by the generated codecs.
 *
 * Reads protobuf wire format from a Uint8Array. `bytes` fields come back as views into the
 * input (zero copy): a caller that keeps them past the input's lifetime copies them itself.
 * Malformed input (truncation, a bad wire type, an absurd length, an over-long varint)
 * throws a {@link ProtoDecodeError}; the server maps that to an InvalidArgument status.
 */

const textDecoder = new TextDecoder("utf-8", { fatal: true });
const TWO_POW_32 = 0x1_0000_0000;

/** ProtoDecodeError says why bytes are not a valid encoding of the expected message. */
export class ProtoDecodeError extends Error {
  override readonly name = "ProtoDecodeError";
}

/** ProtoReader reads protobuf wire format; the generated `decode` functions drive it. */
export class ProtoReader {
  readonly buf: Uint8Array;
  pos: number;
  /** end is the end of the current message (the input's end for the top-level message). */
  end: number;
  private viewCache: DataView | undefined;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  private get view(): DataView {
    return (this.viewCache ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** uint32 reads a varint and returns its low 32 bits as an unsigned number. */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let byte = buf[pos++]!;
    let value = byte & 0x7f;
    if (byte < 0x80) return this.done(pos, value);
    byte = buf[pos++]!;
    value |= (byte & 0x7f) << 7;
    if (byte < 0x80) return this.done(pos, value);
    byte = buf[pos++]!;
    value |= (byte & 0x7f) << 14;
    if (byte < 0x80) return this.done(pos, value);
    byte = buf[pos++]!;
    value |= (byte & 0x7f) << 21;
    if (byte < 0x80) return this.done(pos, value);
    byte = buf[pos++]!;
    value = (value | ((byte & 0x0f) << 28)) >>> 0;
    // Bytes 6..10 of a 64-bit varint carry bits above 32: skip them.
    for (let i = 0; byte >= 0x80 && i < 5; i++) byte = buf[pos++]!;
    if (byte >= 0x80) throw new ProtoDecodeError("varint longer than 10 bytes");
    return this.done(pos, value);
  }

  private done(pos: number, value: number): number {
    if (pos > this.end) throw new ProtoDecodeError("truncated varint");
    this.pos = pos;
    return value;
  }

  /** int32 reads a varint as a signed 32-bit number. */
  int32(): number {
    return this.uint32() | 0;
  }

  /** The halves of the last 64-bit varint read by `varint64` (fields, not an array: no allocation). */
  private lo = 0;
  private hi = 0;

  /** Reads a full 64-bit varint into `this.lo` and `this.hi`. */
  private varint64(): void {
    const buf = this.buf;
    let lo = 0;
    let hi: number;
    let pos = this.pos;
    let shift = 0;
    let byte: number;
    // Bits 0..27 in the first four bytes.
    for (; shift < 28; shift += 7) {
      byte = buf[pos++]!;
      lo |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done64(pos, lo >>> 0, 0);
    }
    // Byte five straddles the two halves.
    byte = buf[pos++]!;
    lo = (lo | ((byte & 0x0f) << 28)) >>> 0;
    hi = (byte & 0x7f) >> 4;
    if (byte < 0x80) return this.done64(pos, lo, hi);
    for (shift = 3; shift < 32; shift += 7) {
      byte = buf[pos++]!;
      hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done64(pos, lo, hi >>> 0);
    }
    throw new ProtoDecodeError("varint longer than 10 bytes");
  }

  private done64(pos: number, lo: number, hi: number): void {
    if (pos > this.end) throw new ProtoDecodeError("truncated varint");
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
  }

  /** int64Number reads an int64 varint as a number (exact below 2^53 in magnitude). */
  int64Number(): number {
    this.varint64();
    const { lo, hi } = this;
    if (hi === 0) return lo;
    if (hi & 0x80000000) {
      // Negative: value = -(2^64 - (hi:lo)).
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * TWO_POW_32 + nlo);
    }
    return hi * TWO_POW_32 + lo;
  }

  /** uint64Number reads a uint64 varint as a number (exact below 2^53). */
  uint64Number(): number {
    this.varint64();
    const { lo, hi } = this;
    return hi * TWO_POW_32 + lo;
  }

  /** int64Bigint reads an int64 varint as a signed bigint. */
  int64Bigint(): bigint {
    this.varint64();
    const { lo, hi } = this;
    if (hi === 0) return BigInt(lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** uint64Bigint reads a uint64 varint as an unsigned bigint. */
  uint64Bigint(): bigint {
    this.varint64();
    const { lo, hi } = this;
    if (hi === 0) return BigInt(lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** bool reads a varint as a boolean. */
  bool(): boolean {
    return this.uint32() !== 0;
  }

  private need(length: number): number {
    const start = this.pos;
    if (length < 0 || start + length > this.end) throw new ProtoDecodeError(`length ${length} past the end of the message`);
    this.pos = start + length;
    return start;
  }

  /** fixed32 reads a little-endian unsigned 32-bit value. */
  fixed32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  /** double reads a little-endian IEEE 754 double. */
  double(): number {
    return this.view.getFloat64(this.need(8), true);
  }

  /** float reads a little-endian IEEE 754 single. */
  float(): number {
    return this.view.getFloat32(this.need(4), true);
  }

  /** bytes reads a length-prefixed byte string as a view into the input. */
  bytes(): Uint8Array {
    const length = this.uint32();
    const start = this.need(length);
    return this.buf.subarray(start, start + length);
  }

  /** string reads a length-prefixed UTF-8 string; invalid UTF-8 is a decode error. */
  string(): string {
    const length = this.uint32();
    const start = this.need(length);
    const buf = this.buf;
    if (length < 64) {
      // Fast path for short ASCII, the usual case (names, URLs).
      let out = "";
      for (let i = start; i < start + length; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return decodeUtf8(buf, start, length);
        out += String.fromCharCode(c);
      }
      return out;
    }
    return decodeUtf8(buf, start, length);
  }

  /** sub returns the end offset of a length-delimited sub-message starting here. */
  sub(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw new ProtoDecodeError(`length ${length} past the end of the message`);
    return end;
  }

  /** skip passes over a field of the given wire type (unknown fields are ignored, as proto3 says). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.need(8);
        return;
      case 2:
        this.need(this.uint32());
        return;
      case 5:
        this.need(4);
        return;
      case 3: {
        // A deprecated group: skip nested fields up to its end tag.
        for (;;) {
          if (this.pos >= this.end) throw new ProtoDecodeError("unterminated group");
          const tag = this.uint32();
          if ((tag & 7) === 4) return;
          this.skip(tag & 7);
        }
      }
      default:
        throw new ProtoDecodeError(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  /** expect checks that a known field arrived with the wire type its declaration implies. */
  static wrongType(fieldNumber: number, wireType: number): ProtoDecodeError {
    return new ProtoDecodeError(`field ${fieldNumber} has wrong wire type ${wireType}`);
  }
}

function decodeUtf8(buf: Uint8Array, start: number, length: number): string {
  try {
    return textDecoder.decode(buf.subarray(start, start + length));
  } catch {
    throw new ProtoDecodeError("string field is not valid UTF-8");
  }
}
