/**
 * `etcdutl snapshot restore`: a fresh member data dir whose store holds a snapshot's data,
 * as etcd's restore makes one — the backend from the file (its checksum checked), the
 * members bucket rewritten for the new cluster, and a WAL + raft snapshot at index N (one
 * entry per member, term 1) so the member boots as a new cluster with the old keys.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineCore, openEngine, type BucketWrite } from "@etcd-ts/mvcc";
import { ConfChangeType, EntryType, encodeConfChange, type Entry } from "@etcd-ts/raft";
import { computeClusterId, computeMemberId, parseInitialCluster } from "@etcd-ts/server";
import { Snapshotter, Wal } from "@etcd-ts/wal";
import type { ProgressSink } from "./progress.js";
import { extractSnapshotFile } from "./snapshotFile.js";

/** RestoreOptions are etcdctl 3.4's `snapshot restore` flags. */
export interface RestoreOptions {
  readonly name: string;
  readonly dataDir: string;
  readonly walDir?: string | undefined;
  readonly initialCluster: string;
  readonly initialClusterToken: string;
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly skipHashCheck: boolean;
  /** progress is where the progress bar goes (default stderr; drawn only on a terminal). */
  readonly progress?: ProgressSink;
}

/** RestoreResult names what was made. */
export interface RestoreResult {
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly members: number;
}

const MEMBERS_BUCKET = "members";

/** restoreSnapshot makes `options.dataDir` from the snapshot file at `path`. */
export async function restoreSnapshot(path: string, options: RestoreOptions): Promise<RestoreResult> {
  if (existsSync(options.dataDir)) throw new Error(`data-dir "${options.dataDir}" exists`);
  const cluster = parseInitialCluster(options.initialCluster);
  const own = cluster.get(options.name);
  if (!own) throw new Error(`couldn't find local name "${options.name}" in the initial cluster configuration`);
  if ([...own].sort().join(",") !== [...options.initialAdvertisePeerUrls].sort().join(",")) {
    throw new Error(`--initial-cluster has ${options.name}=${own.join(",")} but missing from --initial-advertise-peer-urls=${options.initialAdvertisePeerUrls.join(",")}`);
  }
  const members = [...cluster].map(([name, urls]) => ({ id: computeMemberId(urls, options.initialClusterToken), name, peerURLs: urls }));
  const memberId = members.find((m) => m.name === options.name)!.id;
  const clusterId = computeClusterId(members.map((m) => m.id));
  const commit = members.length;

  // The backend: the snapshot's data file (checksum checked on the way), installed where the
  // member keeps it. Nothing is created in the data dir before the file proved good.
  const dbDir = join(options.dataDir, "member", "snap", "db");
  const staging = await mkdtemp(join(tmpdir(), "etcdutl-restore-"));
  try {
    const staged = join(staging, "db");
    await extractSnapshotFile(path, staged, { verify: !options.skipHashCheck, ...(options.progress ? { progress: options.progress } : {}) });
    await mkdir(dbDir, { recursive: true });
    EngineCore.installSnapshot(dbDir, staged);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const engine = await openEngine(dbDir, { inProcess: true });
  try {
    const writes: BucketWrite[] = (await engine.readBucket(MEMBERS_BUCKET)).map(({ key }) => ({ bucket: MEMBERS_BUCKET, key, value: null }));
    for (const m of members) {
      const value = new TextEncoder().encode(JSON.stringify({ id: m.id.toString(16), name: m.name, peerURLs: m.peerURLs, clientURLs: [], isLearner: false }));
      writes.push({ bucket: MEMBERS_BUCKET, key: new TextEncoder().encode(m.id.toString(16).padStart(16, "0")), value });
    }
    // The consistent index becomes the new log's last index: nothing of the old log applies.
    await engine.apply({ index: commit, term: 1, ops: [], writes });
    await engine.sync();
  } finally {
    await engine.close();
  }

  // The raft side: one conf-change entry per member, committed, and a snapshot at its end.
  const walDir = options.walDir ?? join(options.dataDir, "member", "wal");
  const wal = await Wal.create(walDir, { nodeId: memberId, clusterId });
  try {
    const entries: Entry[] = members.map((m, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: m.id, id: 0n, context: new Uint8Array(0) }),
    }));
    await wal.save({ term: 1, vote: members[0]!.id, commit }, entries);
    await wal.saveSnapshot({ index: commit, term: 1 });
  } finally {
    await wal.close();
  }
  await new Snapshotter(join(options.dataDir, "member", "snap")).save({
    data: new Uint8Array(0),
    metadata: { index: commit, term: 1, confState: { voters: members.map((m) => m.id), learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
  });
  return { memberId, clusterId, members: members.length };
}
