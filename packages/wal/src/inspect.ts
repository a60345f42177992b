/**
 * inspectWal: a read-only walk over every segment of a WAL — for `etcdutl`-style dump and
 * verify commands. It checks every record's checksum and the chain between segments, lists
 * the records (optionally one by one to a callback), and reports problems without repairing
 * anything or taking the lock.
 */
import { join } from "node:path";
import type { HardState } from "@etcd-ts/raft";
import { decodeRecord, isZero } from "./RecordCodec.js";
import { RecordType, recordTypeName } from "./RecordType.js";
import { decodeCrc, decodeEntry, decodeHardState, decodeMetadata, decodeSnapshotMarker, type SnapshotMarker, type WalMetadata } from "./records.js";
import { sortedSegments } from "./SegmentName.js";
import { nodeFileSystem, type WalFileSystem } from "./FileSystem.js";

/** InspectedRecord describes one record for a dump. */
export interface InspectedRecord {
  readonly file: string;
  readonly offset: number;
  readonly type: string;
  /** size of the record's data in bytes. */
  readonly size: number;
  /** detail: index/term of an entry, the hard state, the marker, the metadata. */
  readonly detail: string;
}

/** WalProblem is a record that failed its check. `tornTail` if open() would repair it. */
export interface WalProblem {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  readonly tornTail: boolean;
}

/** WalReport sums up a WAL. */
export interface WalReport {
  readonly segments: string[];
  readonly records: number;
  readonly entries: number;
  readonly firstIndex: number | undefined;
  readonly lastIndex: number | undefined;
  readonly hardState: HardState | undefined;
  readonly metadata: WalMetadata | undefined;
  readonly snapshots: SnapshotMarker[];
  readonly problems: WalProblem[];
}

/**
 * inspectWal reads a WAL without changing it; `onRecord` sees each valid record in order.
 * `fs` is the file layer to read through (default: node:fs).
 */
export async function inspectWal(dir: string, onRecord?: (record: InspectedRecord) => void, fs: WalFileSystem = nodeFileSystem): Promise<WalReport> {
  const segments = sortedSegments(await fs.readdir(dir));
  const problems: WalProblem[] = [];
  const snapshots: SnapshotMarker[] = [];
  let records = 0;
  let entries = 0;
  let firstIndex: number | undefined;
  let lastIndex: number | undefined;
  let hardState: HardState | undefined;
  let metadata: WalMetadata | undefined;
  let crc: number | undefined;
  for (let s = 0; s < segments.length; s++) {
    const file = join(dir, segments[s]!.file);
    const buf = await fs.readFile(file);
    let offset = 0;
    let first = true;
    for (;;) {
      const result = decodeRecord(buf, offset, crc ?? 0);
      if (result.kind === "end") break;
      if (result.kind === "bad") {
        const tornTail = s === segments.length - 1 && (result.frameEnd >= buf.length || isZero(buf, result.frameEnd, buf.length));
        problems.push({ file, offset: result.offset, reason: result.reason, tornTail });
        break;
      }
      const { record } = result;
      offset = result.next;
      records++;
      const chainBefore = crc;
      crc = new DataView(buf.buffer, buf.byteOffset + record.offset + 4, 4).getUint32(0, true);
      let detail = "";
      switch (record.type) {
        case RecordType.CRC: {
          const carried = decodeCrc(record.data);
          detail = `carries 0x${carried.toString(16)}`;
          if (first && chainBefore !== undefined && carried !== chainBefore) {
            problems.push({ file, offset: record.offset, reason: "checksum chain broken between segments", tornTail: false });
          }
          break;
        }
        case RecordType.ENTRY: {
          const entry = decodeEntry(record.data);
          entries++;
          firstIndex ??= entry.index;
          lastIndex = entry.index;
          detail = `index ${entry.index} term ${entry.term} type ${entry.type} ${entry.data.length} bytes`;
          break;
        }
        case RecordType.STATE:
          hardState = decodeHardState(record.data);
          detail = `term ${hardState.term} vote ${hardState.vote.toString(16)} commit ${hardState.commit}`;
          break;
        case RecordType.METADATA:
          metadata = decodeMetadata(record.data);
          detail = `node ${metadata.nodeId.toString(16)} cluster ${metadata.clusterId.toString(16)}`;
          break;
        case RecordType.SNAPSHOT: {
          const marker = decodeSnapshotMarker(record.data);
          snapshots.push(marker);
          detail = `index ${marker.index} term ${marker.term}`;
          break;
        }
      }
      first = false;
      onRecord?.({ file, offset: record.offset, type: recordTypeName(record.type), size: record.data.length, detail });
    }
  }
  return { segments: segments.map((s) => s.file), records, entries, firstIndex, lastIndex, hardState, metadata, snapshots, problems };
}
