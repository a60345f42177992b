/**
 * Applier: applies committed raft entries to the member's state — the MVCC engine, the
 * lessor, the membership — and hands every outcome to the request's proposer.
 *
 * Data flow per call (one raft Ready's committed entries, in order):
 *   entries ─► decode ─► KV requests become ops of ONE engine batch (one LMDB transaction,
 *   with the consistent index and the lease/members bucket writes) ─► results by request ID
 *   ─► watch events to the watchable store ─► lease key attachments from the events.
 * Lease grants and checkpoints act on the lessor, conf changes on the membership, alarms on
 * the alarm store, auth requests on the auth store, in entry order (their bucket writes join
 * the batch). A lease revoke first flushes the ops before it (so keys they attach are known),
 * then deletes its keys in one revision. Entries at or below the consistent index were
 * applied before a restart and are skipped. (Raft learns conf changes in the Ready loop itself.)
 *
 * Durability (see {@link ApplyGate}): a batch whose WAL records are still being synced is
 * applied once they are written, and its outcomes and the applied index go out only once they
 * are durable.
 *
 * The applier holds no server: it gets one port per thing it changes or tells
 * ({@link ApplierPorts}) and owns the consistent index it skips replayed entries by.
 */
import {
  CorruptError,
  LeaseNotFoundError,
  NoSpaceError,
  etcdserverpb as pb,
  type EtcdError,
  type mvccpb,
} from "@etcd-ts/api";
import { checkDeleteRange, checkLeaseRevoke, checkPut, checkRoleGet, checkTxn, checkUserGet, type AuthInfo, type AuthStore } from "@etcd-ts/auth";
import { NO_LEASE, type Lessor } from "@etcd-ts/lease";
import { costTxn, type ApplyBatch, type ApplyOp, type ApplyResponse, type ApplyResult, type BucketWrite } from "@etcd-ts/mvcc";
import { ConfChangeType, EntryType, decodeConfChange, decodeConfChangeV2, type ConfChangeV2, type Entry, asConfChangeV2 } from "@etcd-ts/raft";
import { decodeMember, encodeMember, memberKey, type Member } from "../membership/Member.js";
import type { AlarmStore } from "./AlarmStore.js";
import type { ApplyOutcome } from "./ApplyOutcome.js";
import { decodeInternalRequest, type InternalRequest, type RequestKind } from "./InternalRequest.js";
import { leaseWrites } from "./leaseRecords.js";

/** MEMBERS_BUCKET holds the cluster's members. */
export const MEMBERS_BUCKET = "members";

/** ApplyStore is where applied KV requests go: the backend's batch apply and the watchers of its events. */
export interface ApplyStore {
  /** apply writes one batch in one backend transaction (mvcc's MvccEngine.apply). */
  apply(batch: ApplyBatch): Promise<ApplyResult>;
  /** notify hands a committed batch's events to the watchers (mvcc's WatchableStore.notify). */
  notify(revision: number, events: readonly mvccpb.Event[], compactRevision: number): void;
}

/** ApplyLeases is what applying does with leases: the lessor's state machine calls. */
export type ApplyLeases = Pick<Lessor, "has" | "lookup" | "grant" | "revoke" | "checkpoint" | "attach" | "detach" | "drainPersistence">;

/** ApplyAuth is the auth store applied requests change, and the bucket writes those changes made. */
export interface ApplyAuth {
  readonly store: AuthStore;
  /** drainWrites hands over the auth bucket writes queued since the last call (AuthBackendBridge.drain). */
  drainWrites(): BucketWrite[];
}

/** ClusterState is the membership and the alarms, both changed by applied entries. */
export interface ClusterState {
  readonly members: Map<bigint, Member>;
  /** alarms are the cluster's alarms: NOSPACE caps writes, CORRUPT refuses them. */
  readonly alarms: AlarmStore;
}

/**
 * ApplyResults is who hears what applying produced: each outcome (for the proposer, if it
 * waits on this member), the applied index, and the counts the metrics keep.
 */
export interface ApplyResults {
  /** header builds a response header at a revision. */
  header(revision: number): pb.ResponseHeader;
  /** respond hands request `id`'s outcome to its proposer (nobody waits for another member's). */
  respond(id: bigint, outcome: ApplyOutcome): void;
  /** applied reports the applied index after each flush, once the outcomes are out. */
  applied(index: number): void;
  /** batchCommitted reports how long one backend batch took, in seconds, and the backend size after it. */
  batchCommitted(seconds: number, dbSize: number): void;
  /** storeRequest counts a write request handed to the store. */
  storeRequest(kind: "put" | "delete" | "txn"): void;
  /** leaseGranted / leaseRevoked count lease changes. */
  leaseGranted(ttl: number): void;
  leaseRevoked(): void;
}

/** ApplierPorts are the applier's capabilities, one port per thing it changes or tells. */
export interface ApplierPorts {
  readonly store: ApplyStore;
  readonly leases: ApplyLeases;
  readonly auth: ApplyAuth;
  readonly cluster: ClusterState;
  readonly results: ApplyResults;
}

type Pending =
  | { readonly kind: "op"; readonly id: bigint; readonly map: (response: ApplyResponse) => unknown }
  | { readonly kind: "done"; readonly id: bigint; readonly outcome: ApplyOutcome | ((revision: number) => ApplyOutcome) };

/**
 * ApplyGate holds a batch of entries whose WAL records are still being made durable:
 * the store may apply them once `written` resolves, the outcomes go out once `durable` does.
 */
export interface ApplyGate {
  readonly written: Promise<unknown>;
  readonly durable: Promise<unknown>;
}

/** Applier applies committed entries for one server. */
export class Applier {
  private gate: ApplyGate | undefined;
  private ops: ApplyOp[] = [];
  private pending: Pending[] = [];
  private writes: BucketWrite[] = [];
  private lastIndex = 0;
  private lastTerm = 0;

  private readonly store: ApplyStore;
  private readonly lessor: ApplyLeases;
  private readonly auth: ApplyAuth;
  private readonly cluster: ClusterState;
  private readonly results: ApplyResults;

  /** `consistentIndex` is the last raft index the backend holds: entries up to it are not applied again. */
  constructor(ports: ApplierPorts, private consistentIndexValue: number) {
    this.store = ports.store;
    this.lessor = ports.leases;
    this.auth = ports.auth;
    this.cluster = ports.cluster;
    this.results = ports.results;
  }

  /** consistentIndex is the last raft index the backend has applied. */
  get consistentIndex(): number {
    return this.consistentIndexValue;
  }

  /** apply applies one Ready's committed entries, in order (see {@link ApplyGate} for `gate`). */
  async apply(entries: readonly Entry[], gate?: ApplyGate): Promise<void> {
    if (gate) await gate.written;
    this.gate = gate;
    try {
      await this.applyEntries(entries);
    } finally {
      this.gate = undefined;
    }
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      const replayed = entry.index <= this.consistentIndexValue;
      if (entry.type === EntryType.EntryConfChange || entry.type === EntryType.EntryConfChangeV2) {
        this.applyConfChange(entry, replayed);
      } else if (!replayed && entry.data.length > 0) {
        const request = decodeInternalRequest(entry.data);
        if (request.kind === "leaseRevoke" && this.ops.length > 0) await this.flush();
        this.applyRequest(request, entry.index);
        this.writes.push(...this.auth.drainWrites());
      }
      if (!replayed) {
        this.lastIndex = entry.index;
        this.lastTerm = entry.term;
      }
    }
    await this.flush();
  }

  private applyConfChange(entry: Entry, replayed: boolean): void {
    const cc: ConfChangeV2 =
      entry.type === EntryType.EntryConfChange ? asConfChangeV2(decodeConfChange(entry.data)) : decodeConfChangeV2(entry.data);
    // raft itself learnt the change in the Ready loop, before advance() (see EtcdServer).
    for (const change of cc.changes) {
      if (change.type === ConfChangeType.ConfChangeRemoveNode) {
        this.cluster.members.delete(change.nodeId);
        if (!replayed) this.writes.push({ bucket: MEMBERS_BUCKET, key: memberKey(change.nodeId), value: null });
        continue;
      }
      const existing = this.cluster.members.get(change.nodeId);
      const member: Member =
        cc.context.length > 0 ? decodeMember(cc.context) : (existing ?? { id: change.nodeId, name: "", peerURLs: [], clientURLs: [], isLearner: false });
      const updated = { ...member, id: change.nodeId, isLearner: change.type === ConfChangeType.ConfChangeAddLearnerNode };
      this.cluster.members.set(change.nodeId, updated);
      if (!replayed) this.writes.push({ bucket: MEMBERS_BUCKET, key: memberKey(change.nodeId), value: encodeMember(updated) });
    }
  }

  private applyRequest(request: InternalRequest, index: number): void {
    const lessor = this.lessor;
    if (this.auth.store.isAuthEnabled()) {
      const authInfo: AuthInfo | undefined = request.user !== "" ? { username: request.user, revision: request.authRevision } : undefined;
      try {
        this.checkPermission(request, authInfo);
      } catch (error) {
        return this.fail(request.id, error as EtcdError);
      }
    }
    if (AUTH_METHODS[request.kind as AuthKind] !== undefined) return this.applyAuth(request as Extract<InternalRequest, { kind: AuthKind }>, index);
    const refused = this.alarmRefusal(request);
    if (refused !== undefined) return this.fail(request.id, refused);
    switch (request.kind) {
      case "put": {
        const lease = request.request.lease;
        if (lease !== NO_LEASE && !lessor.has(lease)) return this.fail(request.id, new LeaseNotFoundError());
        this.results.storeRequest("put");
        return this.op(request.id, { op: "put", request: request.request });
      }
      case "deleteRange":
        this.results.storeRequest("delete");
        return this.op(request.id, { op: "deleteRange", request: request.request });
      case "txn": {
        // Which branch runs is known only once the engine evaluates the compares: it gets the
        // missing leases and fails the txn only if the taken path puts with one.
        const unknownLeases = txnLeases(request.request).filter((id) => !lessor.has(id));
        this.results.storeRequest("txn");
        return this.op(request.id, { op: "txn", request: request.request, ...(unknownLeases.length > 0 ? { unknownLeases } : {}) });
      }
      case "compact":
        return this.op(request.id, { op: "compact", request: request.request });
      case "leaseGrant": {
        try {
          const lease = lessor.grant(request.request.ID, request.request.TTL);
          this.results.leaseGranted(lease.ttl);
          this.done(request.id, (revision) => ({ ok: true, response: pb.LeaseGrantResponse.create({ header: this.results.header(revision), ID: lease.id, TTL: lease.ttl }) }));
        } catch (error) {
          this.fail(request.id, error as EtcdError);
        }
        return;
      }
      case "leaseRevoke": {
        let keys: Uint8Array[];
        try {
          keys = lessor.revoke(request.request.ID);
        } catch (error) {
          return this.fail(request.id, error as EtcdError);
        }
        this.results.leaseRevoked();
        const respond = (revision: number): pb.LeaseRevokeResponse => pb.LeaseRevokeResponse.create({ header: this.results.header(revision) });
        if (keys.length === 0) return this.done(request.id, (revision) => ({ ok: true, response: respond(revision) }));
        const txn = pb.TxnRequest.create({ success: keys.map((key) => ({ request: { $case: "requestDeleteRange", requestDeleteRange: { key } } })) });
        this.ops.push({ op: "txn", request: txn });
        this.pending.push({ kind: "op", id: request.id, map: (response) => respond(response.header?.revision ?? 0) });
        return;
      }
      case "leaseCheckpoint":
        for (const checkpoint of request.request.checkpoints) lessor.checkpoint(checkpoint.ID, checkpoint.remainingTTL);
        return this.done(request.id, (revision) => ({ ok: true, response: pb.LeaseCheckpointResponse.create({ header: this.results.header(revision) }) }));
      case "alarm": {
        const alarms = this.applyAlarm(request.request);
        return this.done(request.id, (revision) => ({ ok: true, response: pb.AlarmResponse.create({ alarms, header: this.results.header(revision) }) }));
      }
    }
  }

  /**
   * The requests an active alarm refuses: etcd's corrupt applier refuses every KV and lease
   * write with CORRUPT; its capped applier (NOSPACE) refuses puts, txns that put and lease
   * grants, and leaves deletes, compaction and revokes through so that space can be freed.
   */
  private alarmRefusal(request: InternalRequest): EtcdError | undefined {
    const { alarms } = this.cluster;
    if (alarms.has(pb.AlarmType.CORRUPT)) {
      switch (request.kind) {
        case "put":
        case "deleteRange":
        case "txn":
        case "compact":
        case "leaseGrant":
        case "leaseRevoke":
          return new CorruptError();
      }
    }
    if (alarms.has(pb.AlarmType.NOSPACE)) {
      if (request.kind === "put" || request.kind === "leaseGrant") return new NoSpaceError();
      if (request.kind === "txn" && costTxn(request.request) > 0) return new NoSpaceError();
    }
    return undefined;
  }

  /** Applies an Alarm request to the alarm store; the change is written with the batch. */
  private applyAlarm(request: pb.AlarmRequest): pb.AlarmMember[] {
    const { alarms } = this.cluster;
    const Action = pb.AlarmRequest_AlarmAction;
    let change;
    switch (request.action) {
      case Action.GET:
        return alarms.list(0n, request.alarm); // etcd lists by type only, whatever the member
      case Action.ACTIVATE:
        change = alarms.activate(request.memberID, request.alarm);
        break;
      case Action.DEACTIVATE:
        change = alarms.deactivate(request.memberID, request.alarm);
        break;
      default:
        return [];
    }
    if (change === undefined) return [];
    this.writes.push(...change.writes);
    return [change.alarm];
  }

  /** The permission checks etcd's auth applier makes before applying a request. */
  private checkPermission(request: InternalRequest, authInfo: AuthInfo | undefined): void {
    const { store: auth } = this.auth;
    const lessor = this.lessor;
    const leaseKeys = (id: bigint): Uint8Array[] => lessor.lookup(id)?.sortedKeys() ?? [];
    switch (request.kind) {
      case "put":
        return checkPut(auth, authInfo, request.request, leaseKeys(request.request.lease));
      case "deleteRange":
        return checkDeleteRange(auth, authInfo, request.request);
      case "txn":
        return checkTxn(auth, authInfo, request.request);
      case "leaseRevoke":
        return checkLeaseRevoke(auth, authInfo, leaseKeys(request.request.ID));
      case "userGet":
        return checkUserGet(auth, authInfo, request.request);
      case "roleGet":
        return checkRoleGet(auth, authInfo, request.request);
      case "authenticate":
        return;
      default:
        if (AUTH_METHODS[request.kind as AuthKind] !== undefined) auth.isAdminPermitted(authInfo);
    }
  }

  /** Applies an auth request with the auth store; its response gets the header at apply time. */
  private applyAuth(request: Extract<InternalRequest, { kind: AuthKind }>, index: number): void {
    const { store: auth } = this.auth;
    let response: object;
    try {
      if (request.kind === "authenticate") {
        response = auth.authenticate(request.request.name, { index, simpleTokenPrefix: request.request.password });
      } else {
        const method = AUTH_METHODS[request.kind] as keyof AuthStore;
        response = (auth[method] as (r: unknown) => object).call(auth, request.request);
      }
    } catch (error) {
      return this.fail(request.id, error as EtcdError);
    }
    this.done(request.id, (revision) => ({ ok: true, response: { ...response, header: this.results.header(revision) } }));
  }

  private op(id: bigint, op: ApplyOp): void {
    this.ops.push(op);
    this.pending.push({ kind: "op", id, map: (response) => response });
  }

  private done(id: bigint, outcome: ApplyOutcome | ((revision: number) => ApplyOutcome)): void {
    this.pending.push({ kind: "done", id, outcome });
  }

  private fail(id: bigint, error: EtcdError): void {
    this.pending.push({ kind: "done", id, outcome: { ok: false, error } });
  }

  /** Writes what has accumulated as one engine batch and settles its proposers. */
  private async flush(): Promise<void> {
    const writes = [...this.writes, ...leaseWrites(this.lessor.drainPersistence())];
    const ops = this.ops;
    const pending = this.pending;
    const index = this.lastIndex;
    const term = this.lastTerm;
    this.ops = [];
    this.pending = [];
    this.writes = [];
    if (ops.length === 0 && writes.length === 0 && pending.length === 0) {
      if (this.gate) await this.gate.durable;
      if (index > this.consistentIndexValue) this.results.applied(index);
      return;
    }
    const started = performance.now();
    const result = await this.store.apply({ index, term, ops, writes, prevKv: true });
    this.results.batchCommitted((performance.now() - started) / 1000, result.dbSize);
    // Applied, but not to be seen before the WAL has it for sure.
    if (this.gate) await this.gate.durable;
    this.consistentIndexValue = result.consistentIndex;
    this.attachLeases(result.events);
    this.store.notify(result.revision, result.events, result.compactRevision);
    let opIndex = 0;
    for (const p of pending) {
      if (p.kind === "done") {
        this.results.respond(p.id, typeof p.outcome === "function" ? p.outcome(result.revision) : p.outcome);
        continue;
      }
      const r = result.results[opIndex++]!;
      if (!r.ok) {
        this.results.respond(p.id, { ok: false, error: r.error.toApiError() });
        continue;
      }
      const response = r.response;
      response.header = this.results.header(response.header?.revision ?? result.revision);
      this.results.respond(p.id, { ok: true, response: p.map(response) });
    }
    this.results.applied(index);
  }

  /** Keeps lease → key attachments in step with the writes' events. */
  private attachLeases(events: readonly mvccpb.Event[]): void {
    const lessor = this.lessor;
    for (const event of events) {
      const key = event.kv?.key;
      if (!key) continue;
      const previous = event.prevKv?.lease ?? NO_LEASE;
      if (previous !== NO_LEASE) lessor.detach(previous, [key]);
      if (event.type === 0 && event.kv!.lease !== NO_LEASE && lessor.has(event.kv!.lease)) lessor.attach(event.kv!.lease, [key]);
    }
  }
}

/** The auth requests and the AuthStore method applying each. */
const AUTH_METHODS = {
  authEnable: "authEnable",
  authDisable: "authDisable",
  authenticate: "authenticate",
  userAdd: "userAdd",
  userDelete: "userDelete",
  userChangePassword: "userChangePassword",
  userGrantRole: "userGrantRole",
  userGet: "userGet",
  userList: "userList",
  userRevokeRole: "userRevokeRole",
  roleAdd: "roleAdd",
  roleGet: "roleGet",
  roleList: "roleList",
  roleGrantPermission: "roleGrantPermission",
  roleRevokePermission: "roleRevokePermission",
  roleDelete: "roleDelete",
} as const satisfies Partial<Record<RequestKind, keyof AuthStore>>;
type AuthKind = keyof typeof AUTH_METHODS;

/** txnLeases lists the leases a txn's puts name, on both branches and in nested txns. */
function txnLeases(txn: pb.TxnRequest, into: bigint[] = []): bigint[] {
  for (const branch of [txn.success, txn.failure]) {
    for (const op of branch) {
      const r = op.request;
      if (r?.$case === "requestPut" && r.requestPut.lease !== NO_LEASE && !into.includes(r.requestPut.lease)) into.push(r.requestPut.lease);
      if (r?.$case === "requestTxn") txnLeases(r.requestTxn, into);
    }
  }
  return into;
}
