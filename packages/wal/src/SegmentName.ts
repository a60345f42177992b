/**
 * WAL segment file names, etcd's layout: `%016x-%016x.wal`, the segment's sequence number
 * and the raft index of the first entry it may hold, both as 16 lower-case hex digits.
 */

/** SegmentName is a parsed segment file name. */
export interface SegmentName {
  readonly seq: number;
  readonly index: number;
  readonly file: string;
}

const PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

/** segmentFileName formats a segment's file name. */
export function segmentFileName(seq: number, index: number): string {
  return `${hex16(seq)}-${hex16(index)}.wal`;
}

/** parseSegmentName parses a file name, or returns undefined for anything that is not a segment. */
export function parseSegmentName(file: string): SegmentName | undefined {
  const match = PATTERN.exec(file);
  if (!match) return undefined;
  return { seq: Number.parseInt(match[1]!, 16), index: Number.parseInt(match[2]!, 16), file };
}

/** sortedSegments keeps the segment names of a directory listing, ordered by sequence. */
export function sortedSegments(files: readonly string[]): SegmentName[] {
  return files
    .map(parseSegmentName)
    .filter((s): s is SegmentName => s !== undefined)
    .sort((a, b) => a.seq - b.seq);
}

/**
 * searchIndex returns the position of the last segment whose first index is <= `index`:
 * the segment a reader starting after raft index `index` must begin with.
 */
export function searchIndex(segments: readonly SegmentName[], index: number): number {
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i]!.index <= index) return i;
  return -1;
}

/** hex16 formats a number as 16 lower-case hex digits. */
export function hex16(n: number): string {
  return n.toString(16).padStart(16, "0");
}
