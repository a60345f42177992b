/**
 * `etcdutl snapshot status`: the hash, revision, total keys and total size of a snapshot
 * file, in etcdctl 3.4's output formats (simple, table, json).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Backend, DATA_FILE } from "@etcd-ts/mvcc";
import { crc32cUpdate } from "@etcd-ts/wal";
import type { ProgressSink } from "./progress.js";
import { extractSnapshotFile } from "./snapshotFile.js";

/** The buckets a member's backend holds, in name order (etcd hashes buckets in name order). */
const BUCKETS = ["alarm", "auth", "authRoles", "authUsers", "key", "lease", "members", "meta"];

/** SnapshotStatus is what `snapshot status` reports. */
export interface SnapshotStatus {
  /** hash is a CRC-32C over every bucket's name, keys and values. */
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

/** snapshotStatus opens a snapshot file read-only (a temporary copy) and sums it up. */
export async function snapshotStatus(path: string, progress?: ProgressSink): Promise<SnapshotStatus> {
  const dir = await mkdtemp(join(tmpdir(), "etcdutl-status-"));
  try {
    const file = await extractSnapshotFile(path, join(dir, DATA_FILE), { verify: false, ...(progress ? { progress } : {}) });
    const backend = Backend.open(dir);
    try {
      let hash = 0;
      let totalKey = 0;
      let revision = 0;
      for (const name of BUCKETS) {
        const entries = backend.entries(backend.bucket(name));
        hash = crc32cUpdate(hash, new TextEncoder().encode(name));
        for (const { key, value } of entries) {
          hash = crc32cUpdate(crc32cUpdate(hash, key), value);
          totalKey++;
        }
        if (name === "key" && entries.length > 0) {
          const last = entries[entries.length - 1]!.key;
          revision = Number(Buffer.from(last.buffer, last.byteOffset, 8).readBigUInt64BE(0));
        }
      }
      return { hash, revision, totalKey, totalSize: file.size };
    } finally {
      await backend.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** formatStatus prints a status as etcdctl 3.4 does (`-w simple|table|json`). */
export function formatStatus(status: SnapshotStatus, format: string): string {
  const hash = status.hash.toString(16);
  const size = humanSize(status.totalSize);
  switch (format) {
    case "json":
      return `${JSON.stringify({ hash: status.hash, revision: status.revision, totalKey: status.totalKey, totalSize: status.totalSize })}\n`;
    case "table": {
      const header = ["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"];
      const row = [hash, String(status.revision), String(status.totalKey), size];
      const widths = header.map((h, i) => Math.max(h.length, row[i]!.length) + 2);
      const line = `+${widths.map((w) => "-".repeat(w)).join("+")}+`;
      const cells = (values: string[]): string => `|${values.map((v, i) => center(v, widths[i]!)).join("|")}|`;
      return `${line}\n${cells(header)}\n${line}\n${cells(row)}\n${line}\n`;
    }
    default:
      return `${hash}, ${status.revision}, ${status.totalKey}, ${size}\n`;
  }
}

function center(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return " ".repeat(left) + text + " ".repeat(width - text.length - left);
}

/** humanSize formats bytes as go-humanize's Bytes (SI units), which etcdctl uses. */
export function humanSize(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const units = ["B", "kB", "MB", "GB", "TB"];
  const e = Math.floor(Math.log(bytes) / Math.log(1000));
  const value = bytes / 1000 ** e;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[e]}`;
}
