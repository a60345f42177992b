/**
 * Revisions and their on-disk keys.
 *
 * A revision names one change in the store: `main` is the store-wide revision of the write
 * transaction (it starts at 1 and grows by one per write transaction that changes
 * something), `sub` numbers the changes inside that transaction from 0.
 *
 * In the backend every change is stored under its revision key: 8 bytes big-endian `main`,
 * the byte `_`, 8 bytes big-endian `sub`, and for a deletion a trailing `t` (the tombstone
 * mark). Byte order of revision keys is therefore revision order, which is what makes
 * range scans by revision (watch catch-up, compaction, restore) single cursor walks.
 * This is etcd's layout (`mvcc/revision.go`).
 *
 * Limits: `main` and `sub` are JavaScript numbers, exact up to 2^53 - 1.
 */

/** Revision is one point in the store's history: a write txn (`main`) and a change in it (`sub`). */
export interface Revision {
  /** main is the store revision of the write transaction. */
  readonly main: number;
  /** sub numbers the change inside its transaction, from 0. */
  readonly sub: number;
}

/** REVISION_KEY_LENGTH is the byte length of a revision key without a tombstone mark. */
export const REVISION_KEY_LENGTH = 17;

/** MARKED_REVISION_KEY_LENGTH is the byte length of a revision key carrying the tombstone mark. */
export const MARKED_REVISION_KEY_LENGTH = 18;

/** TOMBSTONE_MARK is the byte (`t`) appended to the revision key of a deletion. */
export const TOMBSTONE_MARK = 0x74;

const TWO_32 = 0x1_0000_0000;

function writeUint64(out: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  const low = value >>> 0;
  out[offset] = high >>> 24;
  out[offset + 1] = (high >>> 16) & 0xff;
  out[offset + 2] = (high >>> 8) & 0xff;
  out[offset + 3] = high & 0xff;
  out[offset + 4] = low >>> 24;
  out[offset + 5] = (low >>> 16) & 0xff;
  out[offset + 6] = (low >>> 8) & 0xff;
  out[offset + 7] = low & 0xff;
}

function readUint64(bytes: Uint8Array, offset: number): number {
  const high = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  const low = ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0;
  return high * TWO_32 + low;
}

/**
 * revisionKey encodes a revision as its backend key; `tombstone` appends the deletion mark.
 * The result is a Buffer so that LMDB takes it without a copy.
 */
export function revisionKey(main: number, sub: number, tombstone = false): Buffer {
  const out = Buffer.allocUnsafe(tombstone ? MARKED_REVISION_KEY_LENGTH : REVISION_KEY_LENGTH);
  writeUint64(out, 0, main);
  out[8] = 0x5f; // '_'
  writeUint64(out, 9, sub);
  if (tombstone) out[17] = TOMBSTONE_MARK;
  return out;
}

/** parseRevisionKey decodes a backend revision key (marked or not) into its revision. */
export function parseRevisionKey(key: Uint8Array): Revision {
  if (key.length !== REVISION_KEY_LENGTH && key.length !== MARKED_REVISION_KEY_LENGTH) {
    throw new RangeError(`not a revision key: ${key.length} bytes`);
  }
  return { main: readUint64(key, 0), sub: readUint64(key, 9) };
}

/** revisionKeyMain decodes only the main revision of a backend revision key. */
export function revisionKeyMain(key: Uint8Array): number {
  return readUint64(key, 0);
}

/** revisionKeySub decodes only the sub revision of a backend revision key. */
export function revisionKeySub(key: Uint8Array): number {
  return readUint64(key, 9);
}

/** isTombstoneKey tells whether a backend revision key carries the tombstone mark. */
export function isTombstoneKey(key: Uint8Array): boolean {
  return key.length === MARKED_REVISION_KEY_LENGTH && key[17] === TOMBSTONE_MARK;
}

/** compareRevisions orders revisions: negative if a < b, 0 if equal, positive if a > b. */
export function compareRevisions(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

/** encodeUint64 encodes a non-negative integer as 8 bytes big-endian (meta values). */
export function encodeUint64(value: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  writeUint64(out, 0, value);
  return out;
}

/** decodeUint64 decodes 8 bytes big-endian written by {@link encodeUint64}. */
export function decodeUint64(bytes: Uint8Array): number {
  return readUint64(bytes, 0);
}
