/**
 * Snapshotter: the raft snapshot files of a member, `member/snap/%016x-%016x.snap`
 * (term-index, etcd's naming).
 *
 * A file is `[u32 LE CRC-32C of the payload][payload]`, the payload being raft's encoding of
 * the Snapshot (metadata with the ConfState, and its data — small here: the LMDB copy that
 * backs a snapshot lives apart, in `snap/db`). Files are written under a temporary name,
 * synced and renamed, and the directory synced, so neither a crash nor a power cut leaves a
 * half file under a real name, or loses a snapshot that `save` returned. Loading takes the
 * newest file whose checksum holds; a corrupt one is renamed `*.broken` and reported, never
 * silently used.
 */
import { join } from "node:path";
import { decodeSnapshot, encodeSnapshot, type Snapshot } from "@etcd-ts/raft";
import { crc32c } from "./crc32c.js";
import { SnapError } from "./errors.js";
import { mkdirDurable, nodeFileSystem, writeFully, type WalFileSystem } from "./FileSystem.js";
import { hex16 } from "./SegmentName.js";

const SNAP_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

/** snapFileName formats the file name of a snapshot at (term, index). */
export function snapFileName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

/** BrokenSnapshot reports a snapshot file that failed its check and was set aside. */
export interface BrokenSnapshot {
  readonly file: string;
  readonly reason: string;
}

/** SnapshotterOptions configures a Snapshotter. */
export interface SnapshotterOptions {
  /** fs is the file layer (default: node:fs); tests pass `PowerCutDisk.mount()` from `@etcd-ts/wal/testing`. */
  readonly fs?: WalFileSystem;
}

/** Snapshotter saves, loads and purges snapshot files in one directory. */
export class Snapshotter {
  /** broken lists the files `load` set aside since this snapshotter was made. */
  readonly broken: BrokenSnapshot[] = [];
  private readonly fs: WalFileSystem;

  constructor(
    /** dir is the snapshot directory (`member/snap`). */
    readonly dir: string,
    options: SnapshotterOptions = {},
  ) {
    this.fs = options.fs ?? nodeFileSystem;
  }

  /**
   * save writes a snapshot durably — file synced, renamed into place, directory synced (and
   * the directories it had to create synced into their parents) — and returns its path.
   */
  async save(snapshot: Snapshot): Promise<string> {
    // A directory created here is synced into its parent, or a power cut could take it (and
    // the snapshot in it) away.
    await mkdirDurable(this.fs, this.dir);
    const payload = encodeSnapshot(snapshot);
    const file = new Uint8Array(4 + payload.length);
    new DataView(file.buffer).setUint32(0, crc32c(payload), true);
    file.set(payload, 4);
    const name = snapFileName(snapshot.metadata.term, snapshot.metadata.index);
    const tmp = join(this.dir, `${name}.tmp`);
    const handle = await this.fs.open(tmp, "w");
    try {
      await writeFully(handle, file, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(tmp, join(this.dir, name));
    await this.fs.fsyncDir(this.dir);
    return join(this.dir, name);
  }

  /** snapNames lists the snapshot files, newest (highest term, then index) first. */
  async snapNames(): Promise<string[]> {
    const files = await this.fs.readdir(this.dir).catch(() => [] as string[]);
    return files.filter((f) => SNAP_PATTERN.test(f)).sort().reverse();
  }

  /**
   * load returns the newest valid snapshot (optionally only among those `accept` allows, e.g.
   * those the WAL has markers for). Corrupt files are renamed `*.broken` and listed in
   * `broken`. Throws SnapError when no valid snapshot is left.
   */
  async load(accept: (term: number, index: number) => boolean = () => true): Promise<Snapshot> {
    for (const name of await this.snapNames()) {
      const match = SNAP_PATTERN.exec(name)!;
      const term = Number.parseInt(match[1]!, 16);
      const index = Number.parseInt(match[2]!, 16);
      if (!accept(term, index)) continue;
      const path = join(this.dir, name);
      const reason = await this.check(path);
      if (typeof reason !== "string") return reason;
      this.broken.push({ file: path, reason });
      await this.fs.rename(path, `${path}.broken`);
    }
    throw new SnapError(`snap: no available snapshot in ${this.dir}`);
  }

  /** Reads and checks one file: the snapshot, or why it is unusable. */
  private async check(path: string): Promise<Snapshot | string> {
    const bytes = await this.fs.readFile(path);
    if (bytes.length < 4) return "file shorter than its checksum";
    const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const payload = bytes.subarray(4);
    if (crc32c(payload) !== stored) return "checksum mismatch";
    try {
      return decodeSnapshot(payload);
    } catch (error) {
      return `undecodable: ${(error as Error).message}`;
    }
  }

  /** purge deletes all but the newest `keep` snapshot files; returns the deleted paths. */
  async purge(keep: number): Promise<string[]> {
    const doomed = (await this.snapNames()).slice(Math.max(keep, 0)).map((name) => join(this.dir, name));
    for (const path of doomed) await this.fs.remove(path);
    return doomed;
  }
}
