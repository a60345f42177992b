// A deliberately dumb in-memory model of etcd 3.4's KV semantics: the full history as a
// list of changes per key, scanned linearly. Model-based tests compare the real store
// against it.
import type { etcdserverpb, mvccpb } from "@etcd-ts/api";

type KeyValue = mvccpb.KeyValue;

interface Change {
  main: number;
  sub: number;
  kv: KeyValue | undefined; // undefined = tombstone
}

const EMPTY = new Uint8Array(0);

function k(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

export class ModelError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

export interface ModelEvent {
  type: number;
  kv: KeyValue;
  prevKv?: KeyValue | undefined;
}

export class Model {
  history = new Map<string, Change[]>();
  rev = 1;
  compactRev = -1;
  events: ModelEvent[] = [];

  private visible(key: string, atRev: number): KeyValue | undefined {
    const changes = this.history.get(key) ?? [];
    let found: Change | undefined;
    for (const c of changes) if (c.main <= atRev) found = c;
    return found?.kv;
  }

  private keysIn(key: Uint8Array, end: Uint8Array): string[] {
    const start = k(key);
    if (end.length === 0) return [start];
    const unbounded = end.length === 1 && end[0] === 0;
    const stop = k(end);
    return [...this.history.keys()].filter((x) => x >= start && (unbounded || x < stop)).sort();
  }

  rangeAt(key: Uint8Array, end: Uint8Array, rev: number, curRev: number): KeyValue[] {
    if (rev > curRev) throw new ModelError("futureRev");
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new ModelError("compacted");
    const out: KeyValue[] = [];
    for (const x of this.keysIn(key, end)) {
      const kv = this.visible(x, rev);
      if (kv !== undefined) out.push(kv);
    }
    return out;
  }

  range(r: etcdserverpb.RangeRequest, curRev = this.rev): etcdserverpb.RangeResponse {
    const all = this.rangeAt(r.key, r.rangeEnd, r.revision, curRev);
    const count = all.length;
    let kvs = r.countOnly ? [] : all;
    if (r.maxModRevision) kvs = kvs.filter((x) => x.modRevision <= r.maxModRevision);
    if (r.minModRevision) kvs = kvs.filter((x) => x.modRevision >= r.minModRevision);
    if (r.maxCreateRevision) kvs = kvs.filter((x) => x.createRevision <= r.maxCreateRevision);
    if (r.minCreateRevision) kvs = kvs.filter((x) => x.createRevision >= r.minCreateRevision);
    let order = r.sortOrder;
    if (r.sortTarget !== 0 && order === 0) order = 1;
    if (order !== 0) {
      const field = (x: KeyValue): number | string =>
        [k(x.key), x.version, x.createRevision, x.modRevision, k(x.value)][r.sortTarget]!;
      const sorted = [...kvs].sort((a, b) => {
        const fa = field(a);
        const fb = field(b);
        return fa < fb ? -1 : fa > fb ? 1 : 0;
      });
      kvs = order === 2 ? [...kvs].sort((a, b) => {
        const fa = field(a);
        const fb = field(b);
        return fa < fb ? 1 : fa > fb ? -1 : 0;
      }) : sorted;
    }
    let more = false;
    if (r.limit > 0 && kvs.length > r.limit) {
      kvs = kvs.slice(0, r.limit);
      more = true;
    }
    if (r.keysOnly) kvs = kvs.map((x) => ({ ...x, value: EMPTY }));
    return { header: hdr(curRev), kvs, more, count };
  }

  // --- writes, with an explicit "txn" context: changes made so far in this write txn
  private pending: { main: number; changes: Change[]; events: ModelEvent[] } | undefined;

  private begin(): void {
    this.pending = { main: this.rev + 1, changes: [], events: [] };
  }

  private readRev(): number {
    return this.pending !== undefined && this.pending.changes.length > 0 ? this.rev + 1 : this.rev;
  }

  private commit(): number {
    const p = this.pending!;
    this.pending = undefined;
    if (p.changes.length > 0) {
      this.rev++;
      this.events.push(...p.events);
    }
    return this.rev;
  }

  private record(key: string, kv: KeyValue | undefined): void {
    const p = this.pending!;
    const c: Change = { main: p.main, sub: p.changes.length, kv };
    p.changes.push(c);
    const list = this.history.get(key) ?? [];
    list.push(c);
    this.history.set(key, list);
  }

  private doPut(r: etcdserverpb.PutRequest): etcdserverpb.PutResponse {
    const prev = this.rangeAt(r.key, EMPTY, 0, this.readRev())[0];
    if ((r.ignoreValue || r.ignoreLease) && prev === undefined) throw new ModelError("keyNotFound");
    const key = k(r.key);
    const main = this.pending!.main;
    const kv: KeyValue = {
      key: r.key,
      value: r.ignoreValue ? prev!.value : r.value,
      lease: r.ignoreLease ? prev!.lease : r.lease,
      createRevision: prev?.createRevision ?? main,
      modRevision: main,
      version: (prev?.version ?? 0) + 1,
    };
    this.record(key, kv);
    this.pending!.events.push({ type: 0, kv, prevKv: prev });
    const resp: etcdserverpb.PutResponse = { header: hdr(main) };
    if (r.prevKv && prev !== undefined) resp.prevKv = prev;
    return resp;
  }

  private doDelete(r: etcdserverpb.DeleteRangeRequest): etcdserverpb.DeleteRangeResponse {
    const prevs = this.rangeAt(r.key, r.rangeEnd, 0, this.readRev());
    const main = this.pending!.main;
    for (const prev of prevs) {
      this.record(k(prev.key), undefined);
      this.pending!.events.push({
        type: 1,
        kv: { key: prev.key, value: EMPTY, createRevision: 0, modRevision: main, version: 0, lease: 0n },
        prevKv: prev,
      });
    }
    const rev = prevs.length > 0 || this.pending!.changes.length > 0 ? main : this.rev;
    return { header: hdr(rev), deleted: prevs.length, prevKvs: r.prevKv ? prevs : [] };
  }

  put(r: etcdserverpb.PutRequest): etcdserverpb.PutResponse {
    this.begin();
    try {
      const resp = this.doPut(r);
      this.commit();
      return resp;
    } catch (e) {
      this.rollback();
      throw e;
    }
  }

  deleteRange(r: etcdserverpb.DeleteRangeRequest): etcdserverpb.DeleteRangeResponse {
    this.begin();
    const resp = this.doDelete(r);
    this.commit();
    return resp;
  }

  private rollback(): void {
    const p = this.pending!;
    for (const c of p.changes) for (const list of this.history.values()) { const i = list.indexOf(c); if (i >= 0) list.splice(i, 1); }
    this.pending = undefined;
  }

  private cmp(c: etcdserverpb.Compare): boolean {
    let kvs: KeyValue[];
    try { kvs = this.rangeAt(c.key, c.rangeEnd, 0, this.rev); } catch { return false; }
    const zero: KeyValue = { key: EMPTY, value: EMPTY, createRevision: 0, modRevision: 0, version: 0, lease: 0n };
    if (kvs.length === 0) {
      if (c.target === 3) return false;
      kvs = [zero];
    }
    return kvs.every((kv) => {
      const u = c.targetUnion;
      let res: number;
      if (c.target === 3) { const a = k(kv.value); const b = u?.$case === "value" ? k(u.value) : ""; res = a < b ? -1 : a > b ? 1 : 0; }
      else {
        const a = [kv.version, kv.createRevision, kv.modRevision, 0, kv.lease][c.target]!;
        const names = ["version", "createRevision", "modRevision", "value", "lease"];
        const b = u?.$case === names[c.target] ? (u as unknown as Record<string, number | bigint>)[names[c.target]!]! : c.target === 4 ? 0n : 0;
        res = a < b ? -1 : a > b ? 1 : 0;
      }
      return [res === 0, res > 0, res < 0, res !== 0][c.result]!;
    });
  }

  // Evaluate every compare first (against the state before the txn), as etcd does.
  private path(r: etcdserverpb.TxnRequest): boolean[] {
    const ok = r.compare.every((c) => this.cmp(c));
    const out = [ok];
    for (const op of ok ? r.success : r.failure) if (op.request?.$case === "requestTxn") out.push(...this.path(op.request.requestTxn));
    return out;
  }

  private walk(r: etcdserverpb.TxnRequest, path: boolean[], visit: (op: etcdserverpb.RequestOp) => void): number {
    let rest = path;
    let n = 0;
    for (const op of path[0] ? r.success : r.failure) {
      const q = op.request;
      if (q?.$case === "requestTxn") { const t = this.walk(q.requestTxn, rest.slice(1), visit); n += t + 1; rest = rest.slice(t + 1); continue; }
      visit(op);
    }
    return n;
  }

  private check(r: etcdserverpb.TxnRequest, path: boolean[], isWrite: boolean): void {
    if (isWrite) {
      this.walk(r, path, (op) => {
        const q = op.request;
        if (q?.$case === "requestPut" && (q.requestPut.ignoreValue || q.requestPut.ignoreLease)) {
          if (this.rangeAt(q.requestPut.key, EMPTY, 0, this.rev).length === 0) throw new ModelError("keyNotFound");
        }
      });
    }
    this.walk(r, path, (op) => {
      const q = op.request;
      if (q?.$case === "requestRange" && q.requestRange.revision !== 0) {
        if (q.requestRange.revision > this.rev) throw new ModelError("futureRev");
        if (q.requestRange.revision < this.compactRev) throw new ModelError("compacted");
      }
    });
  }

  private run(r: etcdserverpb.TxnRequest, path: boolean[]): { resp: etcdserverpb.TxnResponse; used: number } {
    const responses: etcdserverpb.ResponseOp[] = [];
    let rest = path;
    let used = 0;
    for (const op of path[0] ? r.success : r.failure) {
      const q = op.request;
      switch (q?.$case) {
        case "requestRange": responses.push({ response: { $case: "responseRange", responseRange: this.range(q.requestRange, this.readRev()) } }); break;
        case "requestPut": responses.push({ response: { $case: "responsePut", responsePut: this.doPut(q.requestPut) } }); break;
        case "requestDeleteRange": responses.push({ response: { $case: "responseDeleteRange", responseDeleteRange: this.doDelete(q.requestDeleteRange) } }); break;
        case "requestTxn": {
          const nested = this.run(q.requestTxn, rest.slice(1));
          responses.push({ response: { $case: "responseTxn", responseTxn: nested.resp } });
          rest = rest.slice(nested.used + 1);
          used += nested.used + 1;
          break;
        }
        default: responses.push({ response: undefined });
      }
    }
    return { resp: { header: hdr(0), succeeded: path[0]!, responses }, used };
  }

  txn(r: etcdserverpb.TxnRequest): etcdserverpb.TxnResponse {
    const path = this.path(r);
    const isWrite = [...r.success, ...r.failure].some((op) => op.request?.$case !== "requestRange");
    this.check(r, path, isWrite);
    this.begin();
    const { resp } = this.run(r, path);
    const changed = this.pending!.changes.length > 0;
    this.commit();
    resp.header = hdr(changed ? this.rev : this.rev);
    return resp;
  }

  compact(rev: number): void {
    if (rev <= this.compactRev) throw new ModelError("compacted");
    if (rev > this.rev) throw new ModelError("futureRev");
    this.compactRev = rev;
  }
}

export function hdr(revision: number): etcdserverpb.ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0 };
}
