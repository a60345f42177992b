/**
 * The data of each WAL record type. Entries and hard states use raft's codec (format 1 of
 * @etcd-ts/raft, shared with the peer transport); the WAL's own records — metadata, snapshot
 * markers, CRC carries — are fixed-width little-endian here. IDs are 64-bit (bigint); terms
 * and indexes are numbers (< 2^53).
 */
export { decodeEntry, decodeHardState, encodeEntry, encodeHardState } from "@etcd-ts/raft";

/** WalMetadata identifies the member whose log this is. */
export interface WalMetadata {
  readonly nodeId: bigint;
  readonly clusterId: bigint;
}

/** SnapshotMarker records that a raft snapshot at (index, term) was saved. */
export interface SnapshotMarker {
  readonly index: number;
  readonly term: number;
}

function u64(view: DataView, at: number, value: number | bigint): void {
  view.setBigUint64(at, BigInt(value), true);
}
function readNumber(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`value ${value} does not fit a number`);
  return Number(value);
}
function viewOf(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}
function expectLength(data: Uint8Array, min: number, what: string): DataView {
  if (data.length < min) throw new RangeError(`${what} record of ${data.length} bytes, expected ${min}`);
  return viewOf(data);
}

/** encodeMetadata lays out node ID and cluster ID. */
export function encodeMetadata(metadata: WalMetadata): Uint8Array {
  const out = new Uint8Array(16);
  const view = viewOf(out);
  u64(view, 0, metadata.nodeId);
  u64(view, 8, metadata.clusterId);
  return out;
}

/** decodeMetadata reads node ID and cluster ID. */
export function decodeMetadata(data: Uint8Array): WalMetadata {
  const view = expectLength(data, 16, "metadata");
  return { nodeId: view.getBigUint64(0, true), clusterId: view.getBigUint64(8, true) };
}

/** encodeSnapshotMarker lays out index and term. */
export function encodeSnapshotMarker(marker: SnapshotMarker): Uint8Array {
  const out = new Uint8Array(16);
  const view = viewOf(out);
  u64(view, 0, marker.index);
  u64(view, 8, marker.term);
  return out;
}

/** decodeSnapshotMarker reads index and term. */
export function decodeSnapshotMarker(data: Uint8Array): SnapshotMarker {
  const view = expectLength(data, 16, "snapshot");
  return { index: readNumber(view, 0), term: readNumber(view, 8) };
}

/** encodeCrc is the data of a CRC record: the chain value carried into the segment. */
export function encodeCrc(crc: number): Uint8Array {
  const out = new Uint8Array(4);
  viewOf(out).setUint32(0, crc, true);
  return out;
}

/** decodeCrc reads a CRC record's chain value. */
export function decodeCrc(data: Uint8Array): number {
  return expectLength(data, 4, "crc").getUint32(0, true);
}
