/**
 * EtcdServer: one etcd member — raft node, WAL, snapshots, MVCC engine, watchers, lessor,
 * membership — and the loop that drives them (DESIGN §3–§5).
 *
 * The raft loop is a ReadyLoop (WAL, storage, apply queue per Ready; see ReadyLoop.ts);
 * committed entries go to the Applier through a queue (applying lags committing). Proposals
 * wait by request ID for the applier's outcome (Wait); linearizable reads wait for a shared
 * ReadIndex round and for the applied index to reach it (ReadIndexBatcher, AppliedIndex).
 *
 * What the RPC layer sees of a member is narrower than this class: RaftKV, RaftLessor,
 * Authenticator and Cluster (etcdserver/*.ts), which it implements.
 *
 * Single member for now: there is no peer transport yet (the cluster issue adds it), so a
 * member whose initial cluster has other members refuses to start.
 */
import { join } from "node:path";
import {
  BadLeaderTransfereeError,
  LeaseNotFoundError,
  NotLeaderError,
  SERVER_VERSION,
  NoLeaderError,
  NoSpaceError,
  RequestTimeoutError,
  TooManyRequestsError,
  RequestTooLargeError,
  StoppedError,
  etcdserverpb as pb,
} from "@etcd-ts/api";
import { AuthStore, checkLeaseTimeToLive, checkRange, checkTxn, createTokenProvider, simpleTokenIndex, type AuthInfo } from "@etcd-ts/auth";
import { Lessor, NotPrimaryError, minLeaseTTL, type LeaseStatus } from "@etcd-ts/lease";
import { checkTxnRequest, costPut, costTxn, isMvccError, isTxnReadonly, LEASE_OVERHEAD, openEngine, Quota, WatchableStore, type MvccEngine, type WatchStream } from "@etcd-ts/mvcc";
import {
  ErrProposalDropped,
  MemoryStorage,
  RawNode,
  isEmptySnapshot,
  type ConfState,
  type Entry,
  type Snapshot,
} from "@etcd-ts/raft";
import { mkdirDurable, nodeFileSystem, Snapshotter, SnapError, Wal, type WalFileSystem } from "@etcd-ts/wal";
import { DEFAULT_QUOTA_BYTES, parseInitialCluster, type EtcdConfig } from "../config/EtcdConfig.js";
import { computeClusterId, computeMemberId } from "../membership/ids.js";
import { decodeMember, encodeMember, type Member } from "../membership/Member.js";
import { ALARM_BUCKET, AlarmStore } from "./AlarmStore.js";
import { Applier, MEMBERS_BUCKET, type ApplyGate } from "./Applier.js";
import { AuthBackendBridge } from "./AuthBackendBridge.js";
import { AutoCompactor } from "./AutoCompactor.js";
import type { ApplyOutcome } from "./ApplyOutcome.js";
import { authenticate } from "./authenticate.js";
import { encodeInternalRequest, type AuthRequestKind, type RequestKind, type RequestOf, type ResponseOf } from "./InternalRequest.js";
import { decodeLeaseRecord, LEASE_BUCKET } from "./leaseRecords.js";
import { AppliedIndex } from "./AppliedIndex.js";
import type { Authenticator } from "./Authenticator.js";
import type { Cluster } from "./Cluster.js";
import type { EncodedRangeResponse, RaftKV } from "./RaftKV.js";
import type { RaftLessor } from "./RaftLessor.js";
import type { Maintenance } from "./Maintenance.js";
import type { Watchable } from "./Watchable.js";
import { ReadIndexBatcher } from "./ReadIndexBatcher.js";
import { ReadyLoop } from "./ReadyLoop.js";
import { SnapshotTrigger } from "./SnapshotTrigger.js";
import { RequestIdGenerator } from "./RequestIdGenerator.js";
import { Wait } from "./Wait.js";
import { ServerMetrics } from "../metrics/ServerMetrics.js";
import { boundCommonName } from "../tls/commonName.js";
import type { EngineStatus } from "@etcd-ts/mvcc";

/** Entries kept in memory behind a raft snapshot, for slow followers (etcd's catch-up count). */
const SNAPSHOT_CATCH_UP_ENTRIES = 5000;
/** WAL segments and snapshot files kept after a purge (etcd's --max-wals / --max-snapshots). */
const MAX_WALS = 5;
const MAX_SNAPSHOTS = 5;
/** Proposals are refused while applying lags committing by more than this (etcd's maxGapBetweenApplyAndCommitIndex). */
const MAX_APPLY_LAG = 5000;

/** Proposal is a request with its kind, as a union each member of which pairs the two. */
type Proposal = { [K in RequestKind]: { readonly kind: K; readonly request: RequestOf<K> } }[RequestKind];

/** ServerIo is what a member does its file I/O through, where tests may replace it. */
export interface ServerIo {
  /** walFs: the file system of the WAL and the snapshot files (default node:fs). */
  readonly walFs?: WalFileSystem;
}

/** EtcdServer is a running member. */
export class EtcdServer implements RaftKV, RaftLessor, Authenticator, Cluster, Watchable, Maintenance {
  /** wait holds the proposers waiting for their request's outcome, by request ID. */
  private readonly wait = new Wait<ApplyOutcome>();
  private readonly members = new Map<bigint, Member>();
  /** appliedIndex is the last applied raft index, with the callers waiting for it to move. */
  private readonly appliedIndex: AppliedIndex;
  /** snapshots takes a raft snapshot every snapshot-count applied entries (see SnapshotTrigger). */
  private readonly snapshots: SnapshotTrigger;
  private leader = 0n;
  private readonly applier: Applier;
  private readonly readIndex: ReadIndexBatcher;
  private applyQueue: Promise<void> = Promise.resolve();
  /** readyLoop takes raft's Readys: WAL, storage, apply queue (see ReadyLoop). */
  private readonly readyLoop: ReadyLoop;
  /** leaderWaiters wait for a leader to be known (readyNotify). */
  private leaderWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /** Proposal IDs, unique across restarts (member bits, start time, counter). */
  private readonly requestIds: RequestIdGenerator;
  private readonly quota: Quota;
  /** backendSize is the backend's size after the last applied batch (what the quota checks). */
  private backendSize: number;
  private fatal: Error | undefined;
  private readonly compactor: AutoCompactor;
  /** metrics are the member's Prometheus metrics, etcd's names. */
  readonly metrics: ServerMetrics;
  private lastStatus: EngineStatus | undefined;

  private constructor(
    readonly config: EtcdConfig,
    readonly memberId: bigint,
    readonly clusterId: bigint,
    private readonly node: RawNode,
    storage: MemoryStorage,
    private readonly wal: Wal,
    snapshotter: Snapshotter,
    private readonly engine: MvccEngine,
    readonly watchable: WatchableStore,
    readonly lessor: Lessor,
    readonly auth: AuthStore,
    authBackend: AuthBackendBridge,
    /** alarms are the cluster's alarms, loaded from the backend at boot (see AlarmStore). */
    readonly alarms: AlarmStore,
    consistentIndex: number,
    backendSize: number,
    snapshot: Snapshot | undefined,
  ) {
    this.backendSize = backendSize;
    this.quota = new Quota(config.quotaBackendBytes);
    this.appliedIndex = new AppliedIndex(Math.max(consistentIndex, snapshot?.metadata.index ?? 0));
    this.snapshots = new SnapshotTrigger(
      {
        backend: engine,
        storage,
        snapshots: snapshotter,
        wal,
        confState: () => this.currentConfState(),
        snapSynced: (seconds) => this.metrics.snapFsync.observe(seconds),
        crash: (error) => this.crash(error),
      },
      { snapshotCount: config.snapshotCount, catchUpEntries: SNAPSHOT_CATCH_UP_ENTRIES, maxWals: MAX_WALS, maxSnapshots: MAX_SNAPSHOTS },
      snapshot?.metadata.index ?? 0,
    );
    this.readyLoop = new ReadyLoop(
      {
        node,
        storage,
        wal,
        snapshots: snapshotter,
        // No peer transport yet: a single member has no one to send to.
        send: () => undefined,
        apply: (entries, gate) => this.enqueueApply(entries, gate),
        readStates: (states) => this.readIndex.onReadStates(states),
        softState: (lead) => this.onSoftState(lead),
        walSynced: (seconds) => this.metrics.walFsync.observe(seconds),
        crash: (error) => this.crash(error),
      },
      storage.lastIndex(),
    );
    this.requestIds = new RequestIdGenerator(memberId);
    this.applier = new Applier(
      {
        store: { apply: (batch) => engine.apply(batch), notify: (revision, events, compactRevision) => watchable.notify(revision, events, compactRevision) },
        leases: lessor,
        auth: { store: auth, drainWrites: () => authBackend.drain() },
        cluster: { members: this.members, alarms },
        results: {
          header: (revision) => this.header(revision),
          respond: (id, outcome) => this.wait.trigger(id, outcome),
          applied: (index) => this.onApplied(index),
          batchCommitted: (seconds, dbSize) => this.onBatchCommitted(seconds, dbSize),
          storeRequest: (kind) => this.metrics.storeRequest(kind),
          leaseGranted: (ttl) => {
            this.metrics.leaseGranted.inc();
            this.metrics.leaseTtl.observe(ttl);
          },
          leaseRevoked: () => this.metrics.leaseRevoked.inc(),
        },
      },
      consistentIndex,
    );
    this.metrics = new ServerMetrics({
      hasLeader: () => this.leader !== 0n,
      isLeader: () => this.isLeader,
      isLearner: () => this.members.get(this.memberId)?.isLearner === true,
      committed: () => this.committedRaftIndex,
      applied: () => this.appliedIndex.value,
      pending: () => this.wait.size,
      dbSize: () => this.lastStatus?.dbSize ?? 0,
      dbSizeInUse: () => this.lastStatus?.dbSizeInUse ?? 0,
      keys: () => this.lastStatus?.keys ?? 0,
      revision: () => this.watchable.revision,
      compactRevision: () => this.lastStatus?.compactRevision ?? 0,
      quotaBytes: () => config.quotaBackendBytes || DEFAULT_QUOTA_BYTES,
      watchers: () => this.watchable.stats(),
      watchStreams: () => this.watchable.streams,
      authRevision: () => this.auth.revision,
      walBytesWritten: () => this.wal.bytesWritten,
      memberIdHex: () => this.memberId.toString(16),
    });
    this.compactor = new AutoCompactor(
      {
        isLeader: () => this.isLeader,
        currentRevision: () => this.watchable.revision,
        compact: async (revision) => {
          await this.propose("compact", pb.CompactionRequest.create({ revision }));
        },
      },
      config.autoCompactionMode,
      config.autoCompactionRetention,
    );
    this.readIndex = new ReadIndexBatcher(
      (ctx) => this.node.readIndex(ctx),
      () => this.appliedIndex.value,
    );
  }

  /**
   * start opens (or creates) the member's data dir and starts its raft loop. `io.walFs` is
   * the file system of the WAL and the snapshot files (default node:fs; tests pass a disk
   * that loses unsynced writes at a power cut).
   */
  static async start(config: EtcdConfig, io: ServerIo = {}): Promise<EtcdServer> {
    const fs = io.walFs ?? nodeFileSystem;
    const memberDir = join(config.dataDir, "member");
    const walDir = config.walDir ?? join(memberDir, "wal");
    const snapDir = join(memberDir, "snap");
    // Each directory made here is synced into its parent: a power cut must not take the
    // member's WAL and snapshots away with a directory entry that never reached the disk.
    await mkdirDurable(fs, snapDir);
    const engine = await openEngine(join(snapDir, "db"));
    try {
      return await EtcdServer.boot(config, walDir, snapDir, engine, fs);
    } catch (error) {
      await engine.close().catch(() => undefined);
      throw error;
    }
  }

  private static async boot(config: EtcdConfig, walDir: string, snapDir: string, engine: MvccEngine, fs: WalFileSystem): Promise<EtcdServer> {
    const status = await engine.status();
    const lessor = new Lessor({
      minLeaseTTL: minLeaseTTL(config.electionTimeout),
      now: () => performance.now(),
      checkpointing: config.experimentalEnableLeaseCheckpoint,
      persistCheckpoints: config.experimentalEnableLeaseCheckpointPersist,
      checkpointIntervalMs: config.leaseCheckpointInterval,
    });
    const storage = new MemoryStorage();
    const snapshotter = new Snapshotter(snapDir, { fs });
    const electionTick = Math.max(2, Math.round(config.electionTimeout / config.heartbeatInterval));
    const raftConfig = { electionTick, heartbeatTick: 1, storage, checkQuorum: true, preVote: true, maxSizePerMsg: 1024 * 1024, maxInflightMsgs: 512 };
    let memberId: bigint;
    let clusterId: bigint;
    let node: RawNode;
    let wal: Wal;
    let snapshot: Snapshot | undefined;
    const bootstrapMembers: Member[] = [];

    if (!(await Wal.exists(walDir, { fs }))) {
      if (config.initialClusterState === "existing") throw new Error("etcd-ts: joining an existing cluster needs the peer transport (not built yet)");
      const cluster = parseInitialCluster(config.initialCluster);
      const own = cluster.get(config.name);
      if (!own) throw new Error(`couldn't find local name "${config.name}" in the initial cluster configuration`);
      if (cluster.size > 1) throw new Error("etcd-ts: multi-member clusters need the peer transport (not built yet)");
      // A backend that applied entries of a log that is gone would take the new log's first
      // entries for "already applied".
      checkBackendWithinWal(status.consistentIndex, 0);
      for (const [name, urls] of cluster) {
        const id = computeMemberId(urls, config.initialClusterToken);
        bootstrapMembers.push({ id, name, peerURLs: urls, clientURLs: name === config.name ? [...config.advertiseClientUrls] : [], isLearner: false });
      }
      memberId = bootstrapMembers.find((m) => m.name === config.name)!.id;
      clusterId = computeClusterId(bootstrapMembers.map((m) => m.id));
      wal = await Wal.create(walDir, { nodeId: memberId, clusterId }, { fs });
      node = new RawNode({ ...raftConfig, id: memberId });
      node.bootstrap(bootstrapMembers.map((m) => ({ id: m.id, context: encodeMember(m) })));
    } else {
      snapshot = await snapshotter.load().catch((error: unknown) => {
        if (error instanceof SnapError) return undefined;
        throw error;
      });
      const marker = snapshot ? { index: snapshot.metadata.index, term: snapshot.metadata.term } : { index: 0, term: 0 };
      wal = await Wal.open(walDir, marker, { fs });
      const contents = await wal.readAll();
      memberId = contents.metadata.nodeId;
      clusterId = contents.metadata.clusterId;
      if (snapshot && !isEmptySnapshot(snapshot)) storage.applySnapshot(snapshot);
      storage.setHardState(contents.hardState);
      storage.append(contents.entries);
      node = new RawNode({ ...raftConfig, id: memberId });
      checkBackendWithinWal(status.consistentIndex, storage.lastIndex());
    }

    const watchable = new WatchableStore(engine, { revision: status.revision, compactRevision: status.compactRevision });
    const authBackend = await AuthBackendBridge.open(engine);
    const tokenProvider = createTokenProvider(config.authToken, { simpleTokenTtlMs: config.authTokenTtl * 1000 });
    const auth = new AuthStore({ backend: authBackend, tokenProvider, bcryptCost: config.bcryptCost });
    const alarms = AlarmStore.load(await engine.readBucket(ALARM_BUCKET), memberId);
    const server = new EtcdServer(config, memberId, clusterId, node, storage, wal, snapshotter, engine, watchable, lessor, auth, authBackend, alarms, status.consistentIndex, status.dbSize, snapshot);
    await server.restoreStores();
    server.run(bootstrapMembers.length === 1);
    return server;
  }

  /** Rebuilds members and leases (with their keys) from the backend (alarms are loaded before the server is built). */
  private async restoreStores(): Promise<void> {
    for (const { value } of await this.engine.readBucket(MEMBERS_BUCKET)) {
      const member = decodeMember(value);
      this.members.set(member.id, member);
    }
    const leases = (await this.engine.readBucket(LEASE_BUCKET)).map(({ key, value }) => decodeLeaseRecord(key, value));
    this.lessor.restore(leases);
    this.lessor.drainPersistence();
    if (leases.length > 0) {
      const all = await this.engine.range(pb.RangeRequest.create({ key: Uint8Array.of(0), rangeEnd: Uint8Array.of(0), keysOnly: true }));
      for (const kv of all.kvs) if (kv.lease !== 0n && this.lessor.has(kv.lease)) this.lessor.attach(kv.lease, [Uint8Array.from(kv.key)]);
    }
  }

  /** Starts ticking; a fresh single-member cluster campaigns at once instead of waiting a timeout. */
  private run(campaignNow: boolean): void {
    this.tickTimer = setInterval(() => {
      this.node.tick();
      this.expireRequests();
      this.scheduleReady();
    }, this.config.heartbeatInterval);
    this.leaseTimer = setInterval(() => this.leaseDuties(), 500);
    this.compactor.start();
    if (campaignNow || this.isSingleVoter()) this.node.campaign();
    this.scheduleReady();
  }

  private isSingleVoter(): boolean {
    const voters = this.node.status().config.voters;
    return voters.length === 1 && voters[0] === this.memberId;
  }

  // --- the raft loop ------------------------------------------------------------------------

  private scheduleReady(): void {
    this.readyLoop.schedule();
  }

  private enqueueApply(entries: Entry[], gate?: ApplyGate): void {
    this.applyQueue = this.applyQueue.then(() => this.applier.apply(entries, gate)).catch((error: Error) => this.crash(error));
  }

  /** defrag rewrites the backend without free pages; the quota sees the smaller size at once. */
  async defrag(): Promise<void> {
    const result = await this.engine.defrag();
    this.backendSize = result.after.size;
  }

  /** refreshStatus reads the engine's sizes for the metrics (called before a scrape). */
  async refreshStatus(): Promise<void> {
    this.lastStatus = await this.engine.status();
  }

  /** onBatchCommitted takes a committed batch's duration and the backend size after it. */
  private onBatchCommitted(seconds: number, dbSize: number): void {
    this.backendSize = dbSize;
    this.metrics.backendCommit.observe(seconds);
    // etcd warns "apply request took too long" past 100 ms and counts it.
    if (seconds > 0.1) this.metrics.slowApply.inc();
  }

  private onSoftState(lead: bigint): void {
    if (lead !== 0n && lead !== this.leader) this.metrics.leaderChanges.inc();
    const wasLeader = this.leader === this.memberId;
    this.leader = lead;
    const isLeader = lead === this.memberId;
    if (isLeader && !wasLeader) this.lessor.promote(this.config.electionTimeout);
    if (!isLeader && wasLeader) this.lessor.demote();
    if (lead !== 0n) {
      this.readIndex.retry();
      const waiters = this.leaderWaiters;
      this.leaderWaiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  /** crash stops the member after an unrecoverable storage failure (etcd panics here). */
  private crash(error: Error): void {
    if (this.fatal) return;
    this.fatal = error;
    process.emitWarning(`etcd-ts: member stopped after a fatal error: ${error.stack ?? error.message}`);
    void this.close();
  }

  // --- what the applier reports -----------------------------------------------------------------

  /** header builds a response header at `revision`. */
  header(revision: number): pb.ResponseHeader {
    return pb.ResponseHeader.create({ clusterId: this.clusterId, memberId: this.memberId, revision, raftTerm: this.readyLoop.term });
  }

  /** onApplied moves the applied index: waits and ReadIndex rounds it reaches go, a snapshot may be due. */
  private onApplied(index: number): void {
    this.appliedIndex.advance(index);
    this.readIndex.onApplied();
    this.snapshots.onApplied(this.appliedIndex.value);
  }

  private currentConfState(): ConfState {
    const config = this.node.status().config;
    return { voters: [...config.voters], learners: [...config.learners], votersOutgoing: [...config.votersOutgoing], learnersNext: [...config.learnersNext], autoLeave: config.autoLeave };
  }

  // --- serving --------------------------------------------------------------------------------

  /** isLeader tells whether this member leads. */
  get isLeader(): boolean {
    return this.leader === this.memberId;
  }

  /** leaderId is the current leader's ID (0n when there is none). */
  get leaderId(): bigint {
    return this.leader;
  }

  /** raftTerm is the current term. */
  get raftTerm(): number {
    return this.readyLoop.term;
  }

  /** appliedRaftIndex is the last applied raft index. */
  get appliedRaftIndex(): number {
    return this.appliedIndex.value;
  }

  /** committedRaftIndex is raft's commit index. */
  get committedRaftIndex(): number {
    return this.node.status().hardState.commit;
  }

  /** memberList lists the cluster's members in ID order. */
  memberList(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** alarmList lists the active alarms. */
  alarmList(): pb.AlarmMember[] {
    return this.alarms.list();
  }

  // --- Watchable ----------------------------------------------------------------------------

  /** newWatchStream opens a stream of watchers on the watchable store. */
  newWatchStream(): WatchStream {
    return this.watchable.newStream();
  }

  /** currentRevision is the revision the watchable store has reached. */
  get currentRevision(): number {
    return this.watchable.revision;
  }

  /** checkWatch refuses a watcher its caller may not read (see {@link Watchable.checkWatch}). */
  async checkWatch(metadata: Readonly<Record<string, string>>, key: Uint8Array, rangeEnd: Uint8Array): Promise<void> {
    if (!this.auth.isAuthEnabled()) return;
    this.auth.isRangePermitted(await this.authInfo(metadata), key, rangeEnd);
  }

  /** maxRequestBytes is the largest request (and watch response fragment) the member takes. */
  get maxRequestBytes(): number {
    return this.config.maxRequestBytes;
  }

  // --- Maintenance --------------------------------------------------------------------------

  /** status reports the member (see {@link Maintenance.status}). */
  async status(): Promise<pb.StatusResponse> {
    const status = await this.engine.status();
    return pb.StatusResponse.create({
      header: this.header(status.revision),
      version: SERVER_VERSION,
      dbSize: status.dbSize,
      dbSizeInUse: status.dbSizeInUse,
      leader: this.leaderId,
      raftIndex: this.committedRaftIndex,
      raftTerm: this.raftTerm,
      raftAppliedIndex: this.appliedRaftIndex,
      isLearner: false,
    });
  }

  /** alarm proposes an alarm request. */
  alarm(request: pb.AlarmRequest, authInfo: AuthInfo | undefined): Promise<pb.AlarmResponse> {
    return this.propose("alarm", request, authInfo);
  }

  /** checkAdmin refuses a caller other than root when auth is enabled (the caller is resolved only then). */
  async checkAdmin(metadata: Readonly<Record<string, string>>): Promise<void> {
    if (!this.auth.isAuthEnabled()) return;
    this.auth.isAdminPermitted(await this.authInfo(metadata));
  }

  /** hash is etcd's Hash of the backend. */
  async hash(): Promise<pb.HashResponse> {
    const started = performance.now();
    const hash = await this.engine.hash();
    this.metrics.hashDuration.observe((performance.now() - started) / 1000);
    return pb.HashResponse.create({ header: this.header(this.watchable.revision), hash });
  }

  /** hashKV is etcd's HashKV at a revision. */
  async hashKV(request: pb.HashKVRequest): Promise<pb.HashKVResponse> {
    const started = performance.now();
    const result = await this.engine.hashKV(request.revision);
    this.metrics.hashRevDuration.observe((performance.now() - started) / 1000);
    return pb.HashKVResponse.create({ header: this.header(this.watchable.revision), hash: result.hash, compactRevision: result.compactRev });
  }

  /** defragment rewrites the backend without free pages. */
  async defragment(): Promise<pb.DefragmentResponse> {
    const started = performance.now();
    this.metrics.defragInflight.set(1);
    try {
      await this.defrag();
    } finally {
      this.metrics.defragInflight.set(0);
    }
    this.metrics.backendDefrag.observe((performance.now() - started) / 1000);
    return pb.DefragmentResponse.create({ header: this.header(this.watchable.revision) });
  }

  /** moveLeader hands leadership to a voting member (a single member already leads). */
  moveLeader(request: pb.MoveLeaderRequest): pb.MoveLeaderResponse {
    const target = this.members.get(request.targetID);
    if (!target || target.isLearner) throw new BadLeaderTransfereeError();
    if (!this.isLeader) throw new NotLeaderError();
    // Transfers between members come with the peer transport.
    if (request.targetID !== this.memberId) this.node.transferLeader(request.targetID);
    return pb.MoveLeaderResponse.create({ header: this.header(this.watchable.revision) });
  }

  /** snapshot writes a consistent copy of the backend to `toFile`. */
  async snapshot(toFile: string): Promise<void> {
    const started = performance.now();
    await this.engine.snapshot(toFile);
    this.metrics.backendSnapshot.observe((performance.now() - started) / 1000);
  }

  /** watchProgressNotifyIntervalMs: how often quiet progress-notify watchers hear the revision (etcd: 10 min). */
  watchProgressNotifyIntervalMs = 10 * 60_000;

  /** requestTimeoutMs is how long a proposal may take: etcd's 5 s plus two election timeouts. */
  get requestTimeoutMs(): number {
    return 5000 + 2 * this.config.electionTimeout;
  }

  /**
   * propose sends a request through raft and resolves with its response once applied.
   * Errors are etcd's: too large, no leader (dropped), timed out, stopped, or what applying gave.
   * `signal`: a caller that may give up (lock and election waits) learns it with the outcome;
   * gRPC handlers pass none, since the gRPC layer itself answers a cancelled client.
   */
  async propose<K extends RequestKind>(kind: K, request: RequestOf<K>, authInfo?: AuthInfo, signal?: AbortSignal): Promise<ResponseOf<K>> {
    if (this.stopped) throw new StoppedError();
    if (this.committedRaftIndex - this.appliedIndex.value > MAX_APPLY_LAG) throw new TooManyRequestsError();
    // TypeScript does not narrow a generic K: the pair becomes the union it is, once, here.
    const proposal = { kind, request } as Proposal;
    if (!this.withinQuota(proposal)) await this.refuseOverQuota();
    const id = this.requestIds.next();
    const data = encodeInternalRequest({ ...proposal, id, user: authInfo?.username ?? "", authRevision: authInfo?.revision ?? 0 });
    if (data.length > this.config.maxRequestBytes) throw new RequestTooLargeError();
    // The deadline is enforced by the tick (`expireRequests`), and a cancelled caller learns it
    // once the outcome is known: no timer or abort listener per proposal (the gRPC layer has
    // already answered a cancelled client).
    const outcome = this.wait.register(id, performance.now() + this.requestTimeoutMs);
    try {
      this.node.propose(data);
    } catch (error) {
      this.wait.forget(id);
      if (error === ErrProposalDropped || (error as Error).name === "RaftError") throw new NoLeaderError();
      throw error;
    }
    this.scheduleReady();
    const result = await outcome.catch((error: unknown) => ({ ok: false as const, error: error as Error }));
    if (signal?.aborted) {
      this.metrics.proposalsFailed.inc();
      throw signal.reason;
    }
    // The applier answers a request with the response of the request's kind (see Applier).
    if (result.ok) return result.response as ResponseOf<K>;
    this.metrics.proposalsFailed.inc();
    throw result.error;
  }

  /**
   * withinQuota tells whether a put, txn or lease grant leaves the backend below its quota
   * (etcd's quotaKVServer / quotaLeaseServer); other requests always do.
   */
  private withinQuota(proposal: Proposal): boolean {
    let cost: number;
    if (proposal.kind === "put") cost = costPut(proposal.request);
    else if (proposal.kind === "txn") cost = costTxn(proposal.request);
    else if (proposal.kind === "leaseGrant") cost = LEASE_OVERHEAD;
    else return true;
    return this.quota.available(this.backendSize, cost);
  }

  /**
   * refuseOverQuota refuses a request over the quota before it reaches raft: the NOSPACE
   * alarm is raised through raft first, then the caller gets NOSPACE; nothing of the request
   * is applied.
   */
  private async refuseOverQuota(): Promise<never> {
    if (this.alarms.list(this.memberId, pb.AlarmType.NOSPACE).length === 0) {
      const alarm = pb.AlarmRequest.create({ action: pb.AlarmRequest_AlarmAction.ACTIVATE, memberID: this.memberId, alarm: pb.AlarmType.NOSPACE });
      await this.propose("alarm", alarm).catch(() => undefined);
    }
    throw new NoSpaceError();
  }

  /** linearizableReadNotify resolves when a read may be served linearizably (shared ReadIndex). */
  linearizableReadNotify(): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppedError());
    const ready = this.readIndex.wait();
    this.scheduleReady();
    return ready;
  }

  // --- RaftKV: the KV requests, each served one way -----------------------------------------

  /** range serves a Range (see {@link RaftKV.range}). */
  range(request: pb.RangeRequest, authInfo: AuthInfo | undefined): Promise<pb.RangeResponse> {
    return this.read(request, authInfo, async (engine) => {
      const response = await engine.range(request);
      response.header = this.header(response.header?.revision ?? 0);
      return response;
    });
  }

  /** rangeEncoded serves a Range answered in wire format (see {@link RaftKV.rangeEncoded}). */
  rangeEncoded(request: pb.RangeRequest, authInfo: AuthInfo | undefined): Promise<EncodedRangeResponse> {
    return this.read(request, authInfo, async (engine) => {
      const { revision, body } = await engine.rangeEncoded(request);
      return { header: this.header(revision), body };
    });
  }

  /**
   * read is the one read path of a Range: a linearizable one waits for a shared ReadIndex
   * round first; then the caller's permission is checked against the applied auth state
   * (as etcd's doSerialize checks after linearizableReadNotify), then the store answers.
   */
  private async read<T>(request: pb.RangeRequest, authInfo: AuthInfo | undefined, serve: (engine: MvccEngine) => Promise<T>): Promise<T> {
    if (!request.serializable) await this.linearizableReadNotify();
    if (this.auth.isAuthEnabled()) checkRange(this.auth, authInfo, request);
    this.metrics.storeRequest("range");
    try {
      return await serve(this.engine);
    } catch (error) {
      throw isMvccError(error) ? error.toApiError() : error;
    }
  }

  /** put proposes a Put. */
  put(request: pb.PutRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.PutResponse> {
    return this.propose("put", request, authInfo, signal);
  }

  /** deleteRange proposes a DeleteRange. */
  deleteRange(request: pb.DeleteRangeRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.DeleteRangeResponse> {
    return this.propose("deleteRange", request, authInfo, signal);
  }

  /**
   * txn serves a Txn (see {@link RaftKV.txn}). A txn of ranges only is a read, as in etcd's
   * EtcdServer.Txn: after a ReadIndex round unless every range is serializable, then checked,
   * then evaluated by the store at its applied revision; it never goes through raft.
   */
  async txn(request: pb.TxnRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.TxnResponse> {
    checkTxnRequest(request, this.config.maxTxnOps);
    if (!isTxnReadonly(request)) return this.propose("txn", request, authInfo, signal);
    if (!isTxnSerializable(request)) await this.linearizableReadNotify();
    if (this.auth.isAuthEnabled()) checkTxn(this.auth, authInfo, request);
    this.metrics.storeRequest("txn");
    return this.readTxn(request);
  }

  /** readTxn evaluates a read-only txn from a read view of the store (no write transaction). */
  private async readTxn(request: pb.TxnRequest): Promise<pb.TxnResponse> {
    const response = await this.engine.readTxn(request);
    response.header = this.header(response.header?.revision ?? 0);
    return response;
  }

  /** compact proposes a Compaction; a physical one waits for the backend's part (see {@link RaftKV.compact}). */
  async compact(request: pb.CompactionRequest, authInfo: AuthInfo | undefined): Promise<pb.CompactionResponse> {
    const response = await this.propose("compact", request, authInfo);
    if (request.physical) await this.engine.compacted(request.revision);
    return response;
  }

  /** Fails proposals and reads older than the request timeout (run from the tick). */
  private expireRequests(): void {
    const now = performance.now();
    this.wait.expire(now, () => new RequestTimeoutError());
    this.appliedIndex.expire(now, () => new RequestTimeoutError());
    this.readIndex.expire(now - this.requestTimeoutMs, () => {
      this.metrics.readIndexesFailed.inc();
      this.metrics.slowReadIndexes.inc();
      return new RequestTimeoutError();
    });
  }

  /**
   * readyNotify resolves once the member serves: it has a leader and has applied what was
   * committed when it got one (etcd's ReadyNotify, which waits for the member to publish).
   */
  async readyNotify(): Promise<void> {
    for (;;) {
      await this.whenLeader();
      try {
        await this.linearizableReadNotify();
        return;
      } catch (error) {
        if (this.stopped) throw error;
        // not yet: the read timed out (no quorum behind the leader); wait for a leader again
      }
    }
  }

  /** whenLeader resolves once the member knows a leader (at once if it does). */
  private whenLeader(): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppedError());
    if (this.leader !== 0n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.leaderWaiters.push({ resolve, reject }));
  }

  /**
   * authInfo resolves the caller from its `token` metadata when auth is enabled: undefined
   * without a token (unless a client certificate's CN was bound to the metadata, see
   * tls/commonName.ts), InvalidAuthTokenError for a bad one. A simple token names the raft index
   * of its Authenticate entry; it is only known once that index is applied here.
   */
  async authInfo(metadata: Readonly<Record<string, string>>): Promise<AuthInfo | undefined> {
    if (!this.auth.isAuthEnabled()) return undefined;
    const token = metadata["token"] ?? metadata["authorization"];
    if (!token) {
      // --client-cert-auth: the verified client certificate's CN is the user (etcd's AuthInfoFromTLS).
      const commonName = boundCommonName(metadata);
      return commonName === undefined ? undefined : { username: commonName, revision: this.auth.revision };
    }
    const index = simpleTokenIndex(token);
    if (index !== undefined) await this.waitApplied(index);
    return this.auth.authInfoFromToken(token);
  }

  // --- Authenticator: the auth requests ------------------------------------------------------

  /** authRequest proposes an auth request as it came (see {@link Authenticator.authRequest}). */
  authRequest<K extends AuthRequestKind>(kind: K, request: RequestOf<K>, authInfo: AuthInfo | undefined): Promise<ResponseOf<K>> {
    return this.propose(kind, request, authInfo);
  }

  /** authenticate serves Authenticate: the password checked here, the token issued through raft. */
  authenticate(request: pb.AuthenticateRequest): Promise<pb.AuthenticateResponse> {
    return authenticate(
      this.auth,
      () => this.linearizableReadNotify(),
      (proposal) => this.propose("authenticate", pb.AuthenticateRequest.create(proposal)),
      request,
    );
  }

  /** userAdd hashes the password (unless the user has none) and proposes the user without it. */
  async userAdd(request: pb.AuthUserAddRequest, authInfo: AuthInfo | undefined): Promise<pb.AuthUserAddResponse> {
    const hashed = request.password !== "" && !request.options?.noPassword ? await this.auth.hashPassword(request.password) : request.hashedPassword;
    return this.propose("userAdd", { ...request, password: "", hashedPassword: hashed }, authInfo);
  }

  /** userChangePassword hashes the new password and proposes the change without it. */
  async userChangePassword(request: pb.AuthUserChangePasswordRequest, authInfo: AuthInfo | undefined): Promise<pb.AuthUserChangePasswordResponse> {
    const hashed = request.password !== "" ? await this.auth.hashPassword(request.password) : request.hashedPassword;
    return this.propose("userChangePassword", { ...request, password: "", hashedPassword: hashed }, authInfo);
  }

  /** authStatus answers from this member's view, without raft (etcd 3.5). */
  authStatus(): pb.AuthStatusResponse {
    return pb.AuthStatusResponse.create({ ...this.auth.authStatus(), header: this.header(this.watchable.revision) });
  }

  /** waitApplied resolves once the applied index reaches `index` (bounded by the request timeout). */
  waitApplied(index: number): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppedError());
    return this.appliedIndex.wait(index, performance.now() + this.requestTimeoutMs);
  }

  /**
   * newLeaseId picks the ID of a lease a client granted with ID 0, as etcd does: the next
   * request ID made a positive 63-bit number. It is not checked against existing leases (nor
   * is it in etcd): a clash with a client-chosen ID fails the grant with LeaseExistError.
   */
  newLeaseId(): bigint {
    for (;;) {
      const id = this.requestIds.next() & 0x7fff_ffff_ffff_ffffn;
      if (id !== 0n) return id;
    }
  }

  /**
   * renewLease serves a keepalive: on the leader only (a follower would forward it). A lease
   * that expired but is not revoked yet is answered once the revoke applies
   * (LeaseNotFoundError) or the member stops leading (NoLeaderError), as etcd's lessor does.
   */
  async renewLease(id: bigint): Promise<number> {
    if (!this.isLeader) throw new NoLeaderError();
    try {
      const ttl = await this.lessor.renew(id);
      this.metrics.leaseRenewed.inc();
      return ttl;
    } catch (error) {
      // No peer transport yet to forward to a new leader: the client retries.
      if (error instanceof NotPrimaryError) throw new NoLeaderError();
      throw error;
    }
  }

  // --- RaftLessor: the lease requests --------------------------------------------------------

  /** leaseGrant proposes a grant; ID 0 gets one picked by {@link EtcdServer.newLeaseId}. */
  leaseGrant(request: pb.LeaseGrantRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<pb.LeaseGrantResponse> {
    const ID = request.ID === 0n ? this.newLeaseId() : request.ID;
    return this.propose("leaseGrant", { ...request, ID }, authInfo, signal);
  }

  /** leaseRevoke proposes a revoke. */
  leaseRevoke(request: pb.LeaseRevokeRequest, authInfo: AuthInfo | undefined): Promise<pb.LeaseRevokeResponse> {
    return this.propose("leaseRevoke", request, authInfo);
  }

  /** leaseKeepAlive answers one keepalive (see {@link RaftLessor.leaseKeepAlive}). */
  async leaseKeepAlive(id: bigint): Promise<pb.LeaseKeepAliveResponse> {
    // The header is taken before renewing, as etcd does, so its revision is never past the
    // one at which the lease was renewed (or revoked).
    const header = this.header(this.watchable.revision);
    let TTL: number;
    try {
      TTL = await this.renewLease(id);
    } catch (error) {
      // etcd answers a keepalive of an unknown or revoked lease with TTL 0.
      if (!(error instanceof LeaseNotFoundError)) throw error;
      TTL = 0;
    }
    return pb.LeaseKeepAliveResponse.create({ header, ID: id, TTL });
  }

  /** leaseTimeToLive answers TimeToLive (see {@link RaftLessor.leaseTimeToLive}). */
  async leaseTimeToLive(request: pb.LeaseTimeToLiveRequest, authInfo: AuthInfo | undefined): Promise<pb.LeaseTimeToLiveResponse> {
    await this.linearizableReadNotify();
    let status: LeaseStatus | undefined;
    try {
      status = this.lessor.timeToLive(request.ID, request.keys);
    } catch (error) {
      if (!(error instanceof LeaseNotFoundError)) throw error;
    }
    // Checked in the same turn as the lookup: the keys checked are the keys listed, and no auth
    // change can land in between (etcd re-reads the auth revision afterwards for that).
    if (request.keys) checkLeaseTimeToLive(this.auth, authInfo, status?.keys ?? []);
    const header = this.header(this.watchable.revision);
    if (status === undefined) return pb.LeaseTimeToLiveResponse.create({ header, ID: request.ID, TTL: -1 });
    return pb.LeaseTimeToLiveResponse.create({ header, ID: request.ID, TTL: status.ttl, grantedTTL: status.grantedTTL, keys: status.keys });
  }

  /** leaseLeases lists the leases after a ReadIndex round. */
  async leaseLeases(): Promise<pb.LeaseLeasesResponse> {
    await this.linearizableReadNotify();
    return pb.LeaseLeasesResponse.create({ header: this.header(this.watchable.revision), leases: this.lessor.list().map((lease) => ({ ID: lease.id })) });
  }

  /** The leader's periodic lease work: revoke expired leases, checkpoint long ones. */
  private leaseDuties(): void {
    (this.auth.tokenProvider as { sweepExpired?: () => void }).sweepExpired?.();
    if (!this.isLeader || this.stopped) return;
    for (const id of this.lessor.expiredLeases()) {
      this.metrics.leaseExpired.inc();
      this.propose("leaseRevoke", pb.LeaseRevokeRequest.create({ ID: id })).catch(() => undefined);
    }
    const checkpoints = this.lessor.dueCheckpoints();
    if (checkpoints.length > 0) {
      const request = pb.LeaseCheckpointRequest.create({ checkpoints: checkpoints.map((c) => ({ ID: c.id, remainingTTL: c.remainingTTL })) });
      this.propose("leaseCheckpoint", request).catch(() => undefined);
    }
  }

  /** close stops the member: the loop, pending requests, the WAL and the engine. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tickTimer);
    clearInterval(this.leaseTimer);
    // Keepalives waiting on an expired lease's revoke end here (etcd's stopped lessor).
    this.lessor.demote();
    this.compactor.stop();
    this.wait.failAll(new StoppedError());
    this.readIndex.failAll(new StoppedError());
    this.appliedIndex.failAll(new StoppedError());
    for (const waiter of this.leaderWaiters.splice(0)) waiter.reject(new StoppedError());
    // The Ready being handled finishes (its WAL save is in flight); no new one starts.
    await this.readyLoop.stop();
    await this.snapshots.stop();
    await this.applyQueue.catch(() => undefined);
    this.watchable.close();
    await this.wal.close().catch(() => undefined);
    await this.engine.close().catch(() => undefined);
  }
}

/**
 * checkBackendWithinWal refuses a backend that has applied raft entries the WAL does not
 * hold. The backend commits a Ready's entries while their WAL fdatasync is in flight, so a
 * system crash can keep the backend's pages and lose the WAL's tail; booting on would let
 * new entries at those indexes pass for "already applied" and be skipped.
 */
function checkBackendWithinWal(consistentIndex: number, lastWalIndex: number): void {
  if (consistentIndex <= lastWalIndex) return;
  const wal = lastWalIndex === 0 ? "the WAL is empty or missing" : `the last index in the WAL is ${lastWalIndex}`;
  throw new Error(
    `etcd-ts: the backend has applied raft index ${consistentIndex}, but ${wal}: ` +
      "the WAL lost entries the backend already holds (a system crash before the WAL's fsync completed?); " +
      "refusing to start — restore this member from a snapshot, or remove it and add it back to the cluster",
  );
}

/**
 * isTxnReadonly tells whether a txn is served as a read (mvcc's, etcd's isTxnReadonly): every
 * op of both branches is a range; a nested txn, even of ranges only, or an empty op goes
 * through raft.
 */
export { isTxnReadonly };

/** isTxnSerializable tells whether every range of a read-only txn is serializable (etcd's isTxnSerializable). */
export function isTxnSerializable(txn: pb.TxnRequest): boolean {
  const serializable = (op: pb.RequestOp): boolean => op.request?.$case === "requestRange" && op.request.requestRange.serializable;
  return txn.success.every(serializable) && txn.failure.every(serializable);
}
