/**
 * ReadOnly: the leader's bookkeeping for ReadIndex requests in the safe mode. Each request
 * (keyed by its context bytes) remembers the commit index at arrival; it completes once a
 * quorum acknowledged a heartbeat carrying its context, which proves the leader was still
 * the leader when the request arrived. Completing one request completes all earlier ones.
 *
 * Limits: request contexts must be unique among pending requests (a duplicate is ignored);
 * state is dropped whenever the node's role or term changes, and those requests are lost
 * (the application retries, as etcd does).
 */
import { bytesKey } from "./internal/util.js";
import type { Message, NodeId } from "./types.js";

/** ReadOnlyOption chooses how a leader confirms its leadership for a read. */
export const ReadOnlyOption = {
  /** ReadOnlySafe: confirm with a heartbeat round to a quorum (the default; always safe). */
  ReadOnlySafe: 0,
  /**
   * ReadOnlyLeaseBased: trust the leader lease (requires CheckQuorum). Cheaper, but unsafe if
   * clocks drift enough that a deposed leader still believes in its lease.
   */
  ReadOnlyLeaseBased: 1,
} as const;
/** ReadOnlyOption is one of the {@link ReadOnlyOption} values. */
export type ReadOnlyOption = (typeof ReadOnlyOption)[keyof typeof ReadOnlyOption];

/** ReadIndexStatus is one pending read: the request, the commit index at arrival, and the acks so far. */
export interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Map<NodeId, boolean>;
}

/** ReadOnly tracks pending ReadIndex requests in arrival order. */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: { key: string; ctx: Uint8Array }[] = [];

  /** Creates an empty tracker for the given option. */
  constructor(readonly option: ReadOnlyOption) {}

  /** addRequest records a read request `m` (context = m.entries[0].data) at commit `index`. */
  addRequest(index: number, m: Message): void {
    const ctx = m.entries[0]!.data;
    const key = bytesKey(ctx);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Map() });
    this.queue.push({ key, ctx });
  }

  /** recvAck records `id`'s heartbeat ack for `context`; returns the acks, or undefined if unknown. */
  recvAck(id: NodeId, context: Uint8Array): Map<NodeId, boolean> | undefined {
    const rs = this.pending.get(bytesKey(context));
    if (rs === undefined) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /** advance completes the request with `context` and every request before it, returning them in order. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = bytesKey(context);
    const i = this.queue.findIndex((q) => q.key === key);
    if (i < 0) return [];
    const done: ReadIndexStatus[] = [];
    for (let j = 0; j <= i; j++) {
      const k = this.queue[j]!.key;
      const rs = this.pending.get(k);
      if (rs === undefined) throw new Error("raft: cannot find corresponding read state from pending map");
      done.push(rs);
      this.pending.delete(k);
    }
    this.queue = this.queue.slice(i + 1);
    return done;
  }

  /** lastPendingRequestCtx returns the context of the newest pending request (empty if none). */
  lastPendingRequestCtx(): Uint8Array | undefined {
    return this.queue[this.queue.length - 1]?.ctx;
  }

  /** pendingCount is the number of pending requests. */
  pendingCount(): number {
    return this.queue.length;
  }
}
