/**
 * The framing of WAL records, and nothing above it:
 *
 *     offset 0  u32 LE  data length
 *     offset 4  u32 LE  checksum: CRC-32C over (type byte, data), chained from the previous record
 *     offset 8  u8      record type (never 0)
 *     offset 9  data
 *
 * The checksum chain means a record is only valid after the one before it: a record copied
 * from elsewhere, or a segment missing from the middle, fails the check. Each segment opens
 * with a CRC record whose data is the chain value it continues from.
 */
import { crc32cUpdate } from "./crc32c.js";
import type { RecordType } from "./RecordType.js";

/** RECORD_HEADER_SIZE is the size of the frame before the data. */
export const RECORD_HEADER_SIZE = 9;

/** MAX_RECORD_SIZE bounds a record's data: a larger length field is corruption, not data. */
export const MAX_RECORD_SIZE = 1 << 30;

/** WalRecord is one decoded record; `data` views the input buffer. */
export interface WalRecord {
  readonly type: number;
  readonly data: Uint8Array;
  /** offset is where the record's frame starts in its file. */
  readonly offset: number;
}

/** frameChecksum computes a record's checksum given the chain value before it. */
export function frameChecksum(previous: number, type: number, data: Uint8Array): number {
  return crc32cUpdate(crc32cUpdate(previous, Uint8Array.of(type)), data);
}

/** RecordEncoder appends framed records to a growing buffer, carrying the checksum chain. */
export class RecordEncoder {
  private buffer = new Uint8Array(64 * 1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  constructor(
    /** crc is the chain value after the last record appended. */
    public crc: number,
  ) {}

  /** append frames one record. */
  append(type: RecordType, data: Uint8Array): void {
    const size = RECORD_HEADER_SIZE + data.length;
    if (this.length + size > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < this.length + size) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.crc = frameChecksum(this.crc, type, data);
    this.view.setUint32(this.length, data.length, true);
    this.view.setUint32(this.length + 4, this.crc, true);
    this.buffer[this.length + 8] = type;
    this.buffer.set(data, this.length + RECORD_HEADER_SIZE);
    this.length += size;
  }

  /** bytes returns the frames appended since the last `reset` (a view). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** size is the number of bytes appended since the last `reset`. */
  get size(): number {
    return this.length;
  }

  /** reset forgets the appended frames; the checksum chain goes on. */
  reset(): void {
    this.length = 0;
  }
}

/** What the decoder found at an offset. */
export type DecodeResult =
  | { readonly kind: "record"; readonly record: WalRecord; readonly next: number }
  /** end: a zeroed header (preallocated space) or the end of the input. */
  | { readonly kind: "end" }
  /** bad: the frame at `offset` is incomplete or fails its checksum. */
  | { readonly kind: "bad"; readonly offset: number; readonly reason: string; readonly frameEnd: number };

/**
 * decodeRecord reads the frame at `offset`, checking it against the chain value `crc`.
 * A CRC record is checked against its own data (it restarts the chain): the caller compares
 * that data with the chain it carried, when it has one.
 */
export function decodeRecord(buf: Uint8Array, offset: number, crc: number): DecodeResult {
  if (offset >= buf.length) return { kind: "end" };
  if (offset + RECORD_HEADER_SIZE > buf.length) {
    return isZero(buf, offset, buf.length)
      ? { kind: "end" }
      : { kind: "bad", offset, reason: "incomplete record header", frameEnd: buf.length };
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = view.getUint32(offset, true);
  const stored = view.getUint32(offset + 4, true);
  const type = buf[offset + 8]!;
  if (length === 0 && stored === 0 && type === 0) return { kind: "end" };
  if (type === 0) return { kind: "bad", offset, reason: "record type 0", frameEnd: offset + RECORD_HEADER_SIZE };
  if (length > MAX_RECORD_SIZE) return { kind: "bad", offset, reason: `record length ${length} is absurd`, frameEnd: buf.length };
  const end = offset + RECORD_HEADER_SIZE + length;
  if (end > buf.length) return { kind: "bad", offset, reason: `record of ${length} bytes runs past the end of the file`, frameEnd: buf.length };
  const data = buf.subarray(offset + RECORD_HEADER_SIZE, end);
  const chainFrom = type === 4 && length === 4 ? view.getUint32(offset + RECORD_HEADER_SIZE, true) : crc;
  const expected = frameChecksum(chainFrom, type, data);
  if (expected !== stored) {
    return { kind: "bad", offset, reason: `checksum mismatch (stored ${hex(stored)}, computed ${hex(expected)})`, frameEnd: end };
  }
  return { kind: "record", record: { type, data, offset }, next: end };
}

/** isZero tells whether buf[start, end) is all zero bytes. */
export function isZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
