/**
 * The kinds of WAL records. Zero is never a type: a zeroed record header is how the reader
 * recognises the preallocated, never written end of a segment.
 */
export const RecordType = {
  /** METADATA: the member's identity (node ID, cluster ID); first in every segment. */
  METADATA: 1,
  /** ENTRY: one raft log entry. */
  ENTRY: 2,
  /** STATE: the raft hard state (term, vote, commit). */
  STATE: 3,
  /** CRC: the running checksum carried into a new segment; first record of each segment. */
  CRC: 4,
  /** SNAPSHOT: a marker that a raft snapshot (index, term) was saved. */
  SNAPSHOT: 5,
} as const;

/** RecordType is one of the record kinds. */
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** recordTypeName names a record type for dumps and errors. */
export function recordTypeName(type: number): string {
  for (const [name, value] of Object.entries(RecordType)) if (value === type) return name;
  return `UNKNOWN(${type})`;
}
