/**
 * ProtoReader: the decoding half of our protobuf runtime, used by the generated codecs.
 *
 * Reads protobuf wire format from a Uint8Array. `bytes` fields come back as views into the
 * input (zero copy): a caller that keeps them past the input's lifetime copies them itself.
 *
 * Malformed input throws a {@link ProtoDecodeError} whose message is the one etcd 3.4's
 * gogo/protobuf decoder gives for the same bytes ("unexpected EOF", "proto: integer
 * overflow", "proto: wrong wireType = 0 for field Key", ...), since etcd's clients see that
 * text after "grpc: error unmarshalling request: ". Every read takes the end of the message
 * being decoded and never passes it, as gogo decodes each sub-message from its own slice (a
 * parameter, not a field: the hot reads stay free of per-message state). A tag is read as
 * gogo reads it: a varint of up to 10 bytes whose bits 3..34 are the field number.
 *
 * Two deliberate differences with gogo, both refusals where etcd accepts:
 * - invalid UTF-8 in a `string` field is an error (gogo keeps the bytes; a JS string cannot
 *   hold them, and replacing them would let distinct names and passwords collide);
 * - messages nested deeper than {@link MAX_MESSAGE_DEPTH} are an error (gogo has no limit;
 *   etcd's default --max-txn-ops refuses such transactions after decoding anyway).
 */

const textDecoder = new TextDecoder("utf-8", { fatal: true });
const TWO_POW_32 = 0x1_0000_0000;

/**
 * MAX_MESSAGE_DEPTH bounds how deeply the recursive messages (a transaction inside a
 * transaction) may nest in one decode: a TxnRequest and its RequestOp count one level each,
 * so 255 inner transactions fit, more than etcd's default --max-txn-ops (128) lets through.
 */
export const MAX_MESSAGE_DEPTH = 512;

/** ProtoDecodeError says why bytes are not a valid encoding of the expected message. */
export class ProtoDecodeError extends Error {
  override readonly name = "ProtoDecodeError";
}

/** gogo's io.ErrUnexpectedEOF. */
const EOF_TEXT = "unexpected EOF";
/** gogo's ErrIntOverflow: a varint of more than 10 bytes. */
const OVERFLOW_TEXT = "proto: integer overflow";
/** gogo's ErrInvalidLength. */
const NEGATIVE_LENGTH_TEXT = "proto: negative length found during unmarshaling";

/**
 * ProtoReader reads protobuf wire format; the generated `decode` functions drive it. Each read
 * takes `end`, the end of the message being decoded (default: the end given to the constructor).
 */
export class ProtoReader {
  readonly buf: Uint8Array;
  pos: number;
  /** end is the end of the input this reader decodes (the top-level message's end). */
  readonly end: number;
  /** depth counts the recursive messages being decoded, one inside the other. */
  depth = 0;
  private viewCache: DataView | undefined;
  /** Where the last tag that gogo reads as a negative field number ended (for its error text). */
  private illegalTagEnd = -1;
  /** The halves of the last 64-bit varint read by `varint64` (fields, not an array: no allocation). */
  private lo = 0;
  private hi = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  private get view(): DataView {
    return (this.viewCache ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** uint32 reads a varint and returns its low 32 bits as an unsigned number. */
  uint32(end: number = this.end): number {
    const buf = this.buf;
    let pos = this.pos;
    let byte = buf[pos++]!;
    let value = byte & 0x7f;
    if (byte < 0x80) return this.done(pos, value, end);
    byte = buf[pos++]!;
    value |= (byte & 0x7f) << 7;
    if (byte < 0x80) return this.done(pos, value, end);
    byte = buf[pos++]!;
    value |= (byte & 0x7f) << 14;
    if (byte < 0x80) return this.done(pos, value, end);
    byte = buf[pos++]!;
    value |= (byte & 0x7f) << 21;
    if (byte < 0x80) return this.done(pos, value, end);
    byte = buf[pos++]!;
    value = (value | ((byte & 0x0f) << 28)) >>> 0;
    // Bytes 6..10 of a 64-bit varint carry bits above 32: skip them.
    for (let i = 0; byte >= 0x80 && i < 5; i++) byte = buf[pos++]!;
    if (byte >= 0x80) throw this.varintError(end);
    return this.done(pos, value, end);
  }

  private done(pos: number, value: number, end: number): number {
    if (pos > end) throw this.varintError(end);
    this.pos = pos;
    return value;
  }

  /**
   * varintError says why the varint at `pos` cannot be read, in gogo's order: a byte at or
   * past the message end is "unexpected EOF", an 11th byte an overflow.
   */
  private varintError(end: number): ProtoDecodeError {
    for (let pos = this.pos, count = 0; ; pos++, count++) {
      if (count >= 10) return new ProtoDecodeError(OVERFLOW_TEXT);
      if (pos >= end || this.buf[pos]! < 0x80) return new ProtoDecodeError(EOF_TEXT);
    }
  }

  /**
   * tag reads a field tag. Field numbers of gogo's reading that do not fit in 29 bits come
   * back as 2^29-1 (a number no message uses, so the field is skipped) or, when gogo's
   * reading is zero or negative, as 0 (an illegal tag, reported by `unknown` as gogo does).
   */
  tag(end: number = this.end): number {
    const pos = this.pos;
    const byte = this.buf[pos]!;
    if (byte < 0x80 && pos < end) {
      this.pos = pos + 1;
      return byte;
    }
    return this.wideTag(end);
  }

  private wideTag(end: number): number {
    const start = this.pos;
    const low = this.uint32(end);
    const size = this.pos - start;
    if (size < 5 || (size === 5 && (this.buf[start + 4]! & 0x70) === 0)) return low;
    // A tag of 5+ bytes whose bits 32 and up reach gogo's int32(wire >> 3).
    this.pos = start;
    this.varint64(end);
    const field = (this.lo >>> 3) | (this.hi << 29);
    const wire = this.lo & 7;
    if (field <= 0) {
      this.illegalTagEnd = this.pos;
      return wire;
    }
    return field < 0x2000_0000 ? ((field << 3) | wire) >>> 0 : 0x1fff_ffff * 8 + wire;
  }

  /** int32 reads a varint as a signed 32-bit number. */
  int32(end: number = this.end): number {
    return this.uint32(end) | 0;
  }

  /** Reads a full 64-bit varint into `this.lo` and `this.hi`. */
  private varint64(end: number): void {
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
      if (byte < 0x80) return this.done64(pos, lo >>> 0, 0, end);
    }
    // Byte five straddles the two halves.
    byte = buf[pos++]!;
    lo = (lo | ((byte & 0x0f) << 28)) >>> 0;
    hi = (byte & 0x7f) >> 4;
    if (byte < 0x80) return this.done64(pos, lo, hi, end);
    for (shift = 3; shift < 32; shift += 7) {
      byte = buf[pos++]!;
      hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) return this.done64(pos, lo, hi >>> 0, end);
    }
    throw this.varintError(end);
  }

  private done64(pos: number, lo: number, hi: number, end: number): void {
    if (pos > end) throw this.varintError(end);
    this.pos = pos;
    this.lo = lo;
    this.hi = hi;
  }

  /** int64Number reads an int64 varint as a number (exact below 2^53 in magnitude). */
  int64Number(end: number = this.end): number {
    this.varint64(end);
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
  uint64Number(end: number = this.end): number {
    this.varint64(end);
    const { lo, hi } = this;
    return hi * TWO_POW_32 + lo;
  }

  /** int64Bigint reads an int64 varint as a signed bigint. */
  int64Bigint(end: number = this.end): bigint {
    this.varint64(end);
    const { lo, hi } = this;
    if (hi === 0) return BigInt(lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** uint64Bigint reads a uint64 varint as an unsigned bigint. */
  uint64Bigint(end: number = this.end): bigint {
    this.varint64(end);
    const { lo, hi } = this;
    if (hi === 0) return BigInt(lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** bool reads a varint as a boolean: true if any of its 64 bits is set (as gogo). */
  bool(end: number = this.end): boolean {
    const pos = this.pos;
    const byte = this.buf[pos]!;
    if (byte < 0x80 && pos < end) {
      this.pos = pos + 1;
      return byte !== 0;
    }
    this.varint64(end);
    return (this.lo | this.hi) !== 0;
  }

  /** length reads the varint length of a length-delimited field and checks it fits the message. */
  private length(end: number): number {
    const buf = this.buf;
    const pos = this.pos;
    let length = buf[pos]!;
    if (length < 0x80) this.pos = pos + 1;
    else {
      const second = buf[pos + 1]!;
      if (second < 0x80) {
        length = (length & 0x7f) | (second << 7);
        this.pos = pos + 2;
      } else length = this.longLength(end);
    }
    // (A length byte at or past `end` leaves pos past it: the check below fails then too.)
    if (this.pos + length > end) throw new ProtoDecodeError(EOF_TEXT);
    return length;
  }

  /** A length of 3+ varint bytes, read as gogo's signed 64-bit int. */
  private longLength(end: number): number {
    this.varint64(end);
    if (this.hi & 0x80000000) throw new ProtoDecodeError(NEGATIVE_LENGTH_TEXT);
    if (this.hi !== 0) throw new ProtoDecodeError(EOF_TEXT);
    return this.lo;
  }

  private need(length: number, end: number): number {
    const start = this.pos;
    if (start + length > end) throw new ProtoDecodeError(EOF_TEXT);
    this.pos = start + length;
    return start;
  }

  /** fixed32 reads a little-endian unsigned 32-bit value. */
  fixed32(end: number = this.end): number {
    return this.view.getUint32(this.need(4, end), true);
  }

  /** double reads a little-endian IEEE 754 double. */
  double(end: number = this.end): number {
    return this.view.getFloat64(this.need(8, end), true);
  }

  /** float reads a little-endian IEEE 754 single. */
  float(end: number = this.end): number {
    return this.view.getFloat32(this.need(4, end), true);
  }

  /** bytes reads a length-prefixed byte string as a view into the input. */
  bytes(end: number = this.end): Uint8Array {
    const length = this.length(end);
    const start = this.pos;
    this.pos = start + length;
    return this.buf.subarray(start, start + length);
  }

  /** string reads a length-prefixed UTF-8 string; invalid UTF-8 is a decode error. */
  string(end: number = this.end): string {
    const length = this.length(end);
    const start = this.pos;
    this.pos = start + length;
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
  sub(end: number = this.end): number {
    const length = this.length(end);
    return this.pos + length;
  }

  /**
   * enter counts one more level of a recursive message (TxnRequest in RequestOp in ...);
   * beyond {@link MAX_MESSAGE_DEPTH} it is an error. `leave` undoes it.
   */
  enter(): void {
    if (++this.depth > MAX_MESSAGE_DEPTH) throw new ProtoDecodeError("proto: exceeded maximum recursion depth");
  }

  /** leave ends the level `enter` counted. */
  leave(): void {
    this.depth--;
  }

  /**
   * unknown handles a tag no field of message `typeName` declares: gogo's checks (end group,
   * field number 0 or below), then the field is skipped, as proto3 requires.
   */
  unknown(tag: number, typeName: string, end: number = this.end): void {
    const wire = tag & 7;
    if (wire === 4) throw ProtoReader.endGroup(typeName);
    if (tag >>> 3 === 0) throw this.illegalTag(tag, typeName);
    this.skip(wire, end);
  }

  /**
   * skip passes over a field of the given wire type whose tag was just read, as gogo does:
   * groups nest by depth (no field-number matching), any overrun is "unexpected EOF".
   */
  skip(wireType: number, end: number = this.end): void {
    let wire = wireType;
    let depth = 0;
    for (;;) {
      switch (wire) {
        case 0:
          this.varint64(end);
          break;
        case 1:
          this.need(8, end);
          break;
        case 2:
          this.need(this.length(end), end);
          break;
        case 3:
          depth++;
          break;
        case 4:
          if (depth === 0) throw new ProtoDecodeError("proto: unexpected end of group");
          depth--;
          break;
        case 5:
          this.need(4, end);
          break;
        default:
          throw new ProtoDecodeError(`proto: illegal wireType ${wire}`);
      }
      if (depth === 0) return;
      if (this.pos >= end) throw new ProtoDecodeError(EOF_TEXT);
      this.varint64(end);
      wire = this.lo & 7;
    }
  }

  /** wrongType is gogo's error for a known field that arrived with another wire type. */
  static wrongType(goFieldName: string, wireType: number, typeName: string): ProtoDecodeError {
    if (wireType === 4) return ProtoReader.endGroup(typeName);
    return new ProtoDecodeError(`proto: wrong wireType = ${wireType} for field ${goFieldName}`);
  }

  private static endGroup(typeName: string): ProtoDecodeError {
    return new ProtoDecodeError(`proto: ${typeName}: wiretype end group for non-group`);
  }

  private illegalTag(tag: number, typeName: string): ProtoDecodeError {
    // gogo prints the field number (an int32) and the whole tag varint (a uint64) as "wire type".
    if (this.illegalTagEnd === this.pos) {
      const field = (this.lo >>> 3) | (this.hi << 29);
      const whole = ((BigInt(this.hi) << 32n) | BigInt(this.lo)).toString();
      return new ProtoDecodeError(`proto: ${typeName}: illegal tag ${field} (wire type ${whole})`);
    }
    return new ProtoDecodeError(`proto: ${typeName}: illegal tag 0 (wire type ${tag})`);
  }
}

function decodeUtf8(buf: Uint8Array, start: number, length: number): string {
  try {
    return textDecoder.decode(buf.subarray(start, start + length));
  } catch {
    throw new ProtoDecodeError("proto: string field contains invalid UTF-8");
  }
}
