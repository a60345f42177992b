/**
 * The compact binary codec of raft's data types: entries, messages, hard state, conf state,
 * snapshots and configuration changes. The peer transport and the WAL share it, so the format
 * is a contract (format 1, described below); changing it needs a new record / frame type at
 * the layer that stores or ships it.
 *
 * Encoding (all integers are unsigned LEB128 varints, "uv"; node IDs are varints of up to 64
 * bits; byte strings are `uv length` + bytes; a flag byte is 0 or 1):
 * - Entry:        type:u8 term:uv index:uv data:bytes
 * - HardState:    term:uv vote:uv64 commit:uv
 * - ConfState:    voters:ids learners:ids votersOutgoing:ids learnersNext:ids autoLeave:flag
 *                 (ids = uv count, then each id as uv64)
 * - Snapshot:     index:uv term:uv ConfState data:bytes
 * - ConfChange:   type:u8 nodeId:uv64 id:uv64 context:bytes
 * - ConfChangeV2: transition:u8 count:uv (type:u8 nodeId:uv64)* context:bytes
 * - Message:      type:u8 to:uv64 from:uv64 term:uv logTerm:uv index:uv commit:uv
 *                 flags:u8 (bit 0 reject, bit 1 snapshot present) rejectHint:uv context:bytes
 *                 entryCount:uv Entry* [Snapshot]
 *
 * Zero-copy: decoded `data` / `context` fields are views into the input buffer; copy them if
 * the buffer is reused. Decoders reject truncated input, trailing bytes, unknown enum values
 * and integers beyond 2^53 - 1 (terms, indexes) or 2^64 - 1 (IDs) with a {@link CodecError}.
 */
import type {
  ConfChange,
  ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  ConfChangeV2,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NodeId,
  Snapshot,
  SnapshotMetadata,
} from "./types.js";

/** CodecError is thrown when bytes cannot be decoded (truncated, malformed or out of range). */
export class CodecError extends Error {
  constructor(message: string) {
    super(`raft codec: ${message}`);
    this.name = "CodecError";
  }
}

const MAX_U64 = (1n << 64n) - 1n;
const TWO_POW_31 = 0x80000000;

/** uvarintSize returns how many bytes the varint encoding of a non-negative safe integer takes. */
function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}

/** entrySize returns the encoded size of an entry in bytes; raft's size limits count this. */
export function entrySize(e: Entry): number {
  const len = e.data.length;
  return 1 + uvarintSize(e.term) + uvarintSize(e.index) + uvarintSize(len) + len;
}

class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  uv(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new CodecError(`not an unsigned safe integer: ${v}`);
    this.ensure(8);
    const buf = this.buf;
    if (v < TWO_POW_31) {
      while (v >= 0x80) {
        buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    while (v >= 0x80) {
      buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }
  id(v: NodeId): void {
    if (v < 0n || v > MAX_U64) throw new CodecError(`node id out of range: ${v}`);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.uv(Number(v));
      return;
    }
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
  bytes(b: Uint8Array): void {
    this.uv(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  u8(): number {
    const v = this.buf[this.pos];
    if (v === undefined) throw new CodecError(`truncated input at offset ${this.pos}`);
    this.pos++;
    return v;
  }
  uv(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new CodecError(`integer beyond 2^53 at offset ${this.pos}`);
        return result;
      }
      mul *= 128;
    }
    throw new CodecError(`integer beyond 2^53 at offset ${this.pos}`);
  }
  id(): NodeId {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (result > MAX_U64) throw new CodecError(`node id beyond 2^64 at offset ${this.pos}`);
        return result;
      }
      shift += 7n;
    }
    throw new CodecError(`node id beyond 2^64 at offset ${this.pos}`);
  }
  bytes(): Uint8Array {
    const len = this.uv();
    if (this.pos + len > this.buf.length) throw new CodecError(`truncated byte string at offset ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  flag(): boolean {
    const v = this.u8();
    if (v > 1) throw new CodecError(`bad flag ${v} at offset ${this.pos - 1}`);
    return v === 1;
  }
  count(): number {
    const n = this.uv();
    // Every counted item takes at least one byte: a cheap guard against absurd counts.
    if (n > this.buf.length - this.pos) throw new CodecError(`count ${n} exceeds input at offset ${this.pos}`);
    return n;
  }
  done(what: string): void {
    if (this.pos !== this.buf.length) {
      throw new CodecError(`${this.buf.length - this.pos} trailing bytes after ${what}`);
    }
  }
}

function enumValue<T extends number>(v: number, max: number, what: string): T {
  if (v > max) throw new CodecError(`unknown ${what} ${v}`);
  return v as T;
}

// --- Entry -----------------------------------------------------------------------------------

function writeEntry(w: Writer, e: Entry): void {
  w.u8(e.type);
  w.uv(e.term);
  w.uv(e.index);
  w.bytes(e.data);
}

function readEntry(r: Reader): Entry {
  const type = enumValue<EntryType>(r.u8(), 2, "entry type");
  const term = r.uv();
  const index = r.uv();
  const data = r.bytes();
  return { term, index, type, data };
}

/** encodeEntry encodes one log entry. */
export function encodeEntry(e: Entry): Uint8Array {
  const w = new Writer(entrySize(e));
  writeEntry(w, e);
  return w.finish();
}

/** decodeEntry decodes one log entry; its data is a view into `bytes`. */
export function decodeEntry(bytes: Uint8Array): Entry {
  const r = new Reader(bytes);
  const e = readEntry(r);
  r.done("entry");
  return e;
}

// --- HardState -------------------------------------------------------------------------------

/** encodeHardState encodes a HardState. */
export function encodeHardState(hs: HardState): Uint8Array {
  const w = new Writer(24);
  w.uv(hs.term);
  w.id(hs.vote);
  w.uv(hs.commit);
  return w.finish();
}

/** decodeHardState decodes a HardState. */
export function decodeHardState(bytes: Uint8Array): HardState {
  const r = new Reader(bytes);
  const hs: HardState = { term: r.uv(), vote: r.id(), commit: r.uv() };
  r.done("hard state");
  return hs;
}

// --- ConfState / Snapshot --------------------------------------------------------------------

function writeIds(w: Writer, ids: readonly NodeId[]): void {
  w.uv(ids.length);
  for (const id of ids) w.id(id);
}

function readIds(r: Reader): NodeId[] {
  const n = r.count();
  const ids: NodeId[] = new Array<NodeId>(n);
  for (let i = 0; i < n; i++) ids[i] = r.id();
  return ids;
}

function writeConfState(w: Writer, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
  writeIds(w, cs.votersOutgoing);
  writeIds(w, cs.learnersNext);
  w.u8(cs.autoLeave ? 1 : 0);
}

function readConfState(r: Reader): ConfState {
  const voters = readIds(r);
  const learners = readIds(r);
  const votersOutgoing = readIds(r);
  const learnersNext = readIds(r);
  const autoLeave = r.flag();
  return { voters, learners, votersOutgoing, learnersNext, autoLeave };
}

/** encodeConfState encodes a ConfState. */
export function encodeConfState(cs: ConfState): Uint8Array {
  const w = new Writer(32);
  writeConfState(w, cs);
  return w.finish();
}

/** decodeConfState decodes a ConfState. */
export function decodeConfState(bytes: Uint8Array): ConfState {
  const r = new Reader(bytes);
  const cs = readConfState(r);
  r.done("conf state");
  return cs;
}

function writeSnapshotMetadata(w: Writer, m: SnapshotMetadata): void {
  w.uv(m.index);
  w.uv(m.term);
  writeConfState(w, m.confState);
}

function readSnapshotMetadata(r: Reader): SnapshotMetadata {
  const index = r.uv();
  const term = r.uv();
  const confState = readConfState(r);
  return { confState, index, term };
}

/** encodeSnapshotMetadata encodes snapshot metadata alone (what a WAL snapshot record needs). */
export function encodeSnapshotMetadata(m: SnapshotMetadata): Uint8Array {
  const w = new Writer(48);
  writeSnapshotMetadata(w, m);
  return w.finish();
}

/** decodeSnapshotMetadata decodes snapshot metadata. */
export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  const r = new Reader(bytes);
  const m = readSnapshotMetadata(r);
  r.done("snapshot metadata");
  return m;
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  writeSnapshotMetadata(w, s.metadata);
  w.bytes(s.data);
}

function readSnapshot(r: Reader): Snapshot {
  const metadata = readSnapshotMetadata(r);
  const data = r.bytes();
  return { data, metadata };
}

/** encodeSnapshot encodes a snapshot (metadata and data). */
export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer(64 + s.data.length);
  writeSnapshot(w, s);
  return w.finish();
}

/** decodeSnapshot decodes a snapshot; its data is a view into `bytes`. */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const r = new Reader(bytes);
  const s = readSnapshot(r);
  r.done("snapshot");
  return s;
}

// --- ConfChange ------------------------------------------------------------------------------

/** encodeConfChange encodes a V1 configuration change (the data of an EntryConfChange). */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new Writer(32 + cc.context.length);
  w.u8(cc.type);
  w.id(cc.nodeId);
  w.id(cc.id);
  w.bytes(cc.context);
  return w.finish();
}

/** decodeConfChange decodes a V1 configuration change. */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  const r = new Reader(bytes);
  const type = enumValue<ConfChangeType>(r.u8(), 3, "conf change type");
  const nodeId = r.id();
  const id = r.id();
  const context = r.bytes();
  r.done("conf change");
  return { type, nodeId, context, id };
}

/** encodeConfChangeV2 encodes a V2 configuration change (the data of an EntryConfChangeV2). */
export function encodeConfChangeV2(cc: ConfChangeV2): Uint8Array {
  const w = new Writer(16 + cc.changes.length * 11 + cc.context.length);
  w.u8(cc.transition);
  w.uv(cc.changes.length);
  for (const c of cc.changes) {
    w.u8(c.type);
    w.id(c.nodeId);
  }
  w.bytes(cc.context);
  return w.finish();
}

/**
 * decodeConfChangeV2 decodes a V2 configuration change. Empty input decodes to the empty change
 * ("leave the joint config"), which is what raft proposes itself on auto-leave.
 */
export function decodeConfChangeV2(bytes: Uint8Array): ConfChangeV2 {
  if (bytes.length === 0) return { transition: 0, changes: [], context: bytes };
  const r = new Reader(bytes);
  const transition = enumValue<ConfChangeTransition>(r.u8(), 2, "conf change transition");
  const n = r.count();
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < n; i++) {
    const type = enumValue<ConfChangeType>(r.u8(), 3, "conf change type");
    changes.push({ type, nodeId: r.id() });
  }
  const context = r.bytes();
  r.done("conf change v2");
  return { transition, changes, context };
}

// --- Message ---------------------------------------------------------------------------------

/** encodeMessage encodes a message with its entries and snapshot. */
export function encodeMessage(m: Message): Uint8Array {
  let size = 48 + m.context.length;
  for (const e of m.entries) size += entrySize(e);
  if (m.snapshot !== undefined) size += 64 + m.snapshot.data.length;
  const w = new Writer(size);
  w.u8(m.type);
  w.id(m.to);
  w.id(m.from);
  w.uv(m.term);
  w.uv(m.logTerm);
  w.uv(m.index);
  w.uv(m.commit);
  w.u8((m.reject ? 1 : 0) | (m.snapshot !== undefined ? 2 : 0));
  w.uv(m.rejectHint);
  w.bytes(m.context);
  w.uv(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot !== undefined) writeSnapshot(w, m.snapshot);
  return w.finish();
}

/** decodeMessage decodes a message; byte fields are views into `bytes`. */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new Reader(bytes);
  const type = enumValue<MessageType>(r.u8(), 18, "message type");
  const to = r.id();
  const from = r.id();
  const term = r.uv();
  const logTerm = r.uv();
  const index = r.uv();
  const commit = r.uv();
  const flags = r.u8();
  if (flags > 3) throw new CodecError(`bad message flags ${flags}`);
  const rejectHint = r.uv();
  const context = r.bytes();
  const n = r.count();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  const m: Message = {
    type,
    to,
    from,
    term,
    logTerm,
    index,
    entries,
    commit,
    reject: (flags & 1) !== 0,
    rejectHint,
    context,
  };
  if ((flags & 2) !== 0) m.snapshot = readSnapshot(r);
  r.done("message");
  return m;
}
