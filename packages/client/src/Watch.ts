/**
 * Watch: change streams of keys and ranges, as async iterables.
 *
 * ```ts
 * const watcher = client.watch("config/", { prefix: true, prevKv: true });
 * for await (const { events } of watcher) for (const e of events) console.log(e.type, text(e.kv.key));
 * ```
 *
 * Every watch of a client shares one gRPC Watch stream (one per client, whatever the number
 * of watches); watches are created on it one at a time, as etcd assigns their IDs in order.
 * When the stream breaks (a member dies, restarts, or the connection drops) it is reopened on
 * the next live endpoint with backoff, and every watch is re-created from the revision after
 * the last one it delivered: no gap and no duplicate. If that revision has been compacted
 * meanwhile, the watch ends with {@link WatchCompactedError} (carrying the compact revision),
 * as does a watch asked to start below the compacted revision.
 *
 * What it does not do: it does not request fragmented responses (etcd's `fragment`), and
 * responses are buffered without bound while the consumer is slow.
 */
import {
  AuthOldRevisionError,
  EtcdError,
  GrpcStatus,
  InvalidAuthTokenError,
  WatchCanceledError,
  errorFromStatus,
  etcdserverpb as pb,
  mvccpb,
} from "@etcd-ts/api";
import type { PartialMessage } from "@etcd-ts/api";
import type { Bytes } from "./keys.js";
import { AsyncQueue } from "./internal/AsyncQueue.js";
import { ManagedStream } from "./internal/ManagedStream.js";
import type { KeySpace, RangeSpec } from "./internal/KeySpace.js";
import type { Transport } from "./internal/Transport.js";
import { ClientClosedError, WatchCompactedError } from "./errors.js";
import type { KeyValue, ResponseHeader } from "./kvTypes.js";
import { normalizeHeader } from "./internal/requests.js";

/** WatchOptions select what a watch reports. Without range options it watches one key. */
export interface WatchOptions extends RangeSpec {
  /** prefix watches every key starting with the key. */
  readonly prefix?: boolean | undefined;
  /** fromKey watches every key >= the key. */
  readonly fromKey?: boolean | undefined;
  /** rangeEnd watches `[key, rangeEnd)`. */
  readonly rangeEnd?: Bytes | undefined;
  /** startRevision replays history from this revision (0: only changes from now on). */
  readonly startRevision?: number | undefined;
  /** prevKv includes each event's previous key-value. */
  readonly prevKv?: boolean | undefined;
  /** noPut / noDelete filter out puts / deletes. */
  readonly filters?: { readonly noPut?: boolean | undefined; readonly noDelete?: boolean | undefined } | undefined;
  /** progressNotify asks the server for periodic empty responses carrying the revision. */
  readonly progressNotify?: boolean | undefined;
  /** signal cancels the watch (the iteration then ends normally). */
  readonly signal?: AbortSignal | undefined;
}

/** WatchEvent is one change of one key. */
export interface WatchEvent {
  readonly type: "put" | "delete";
  /** kv is the key after the change (for a delete: the key and the delete's revision). */
  readonly kv: KeyValue;
  /** prevKv is the key before the change, when asked for and it existed. */
  readonly prevKv?: KeyValue | undefined;
}

/** WatchResponse is one batch of events (all of the same or increasing revisions). */
export interface WatchResponse {
  readonly header: ResponseHeader;
  /** revision is the store revision when the batch was sent (header.revision). */
  readonly revision: number;
  readonly events: WatchEvent[];
  /** progressNotify is true for an empty progress response (no events). */
  readonly progressNotify: boolean;
}

interface WatcherState {
  readonly seq: number;
  readonly space: KeySpace;
  readonly request: PartialMessage<pb.WatchCreateRequest>;
  /** nextRev is the revision to resume from; 0 until the first creation answered. */
  nextRev: number;
  serverId: number | undefined;
  canceled: boolean;
  readonly queue: AsyncQueue<WatchResponse>;
  ready: { resolve(rev: number): void; reject(e: unknown): void; settled: boolean };
}

/** Watcher is one watch: iterate it for responses, or `events()` for single events. */
export class Watcher implements AsyncIterable<WatchResponse> {
  /**
   * ready resolves with the revision the watch started at once the server created it, and
   * rejects if creation failed (the iteration fails with the same error).
   */
  readonly ready: Promise<number>;

  /** @internal Created by `client.watch()`. */
  constructor(
    private readonly state: WatcherState,
    ready: Promise<number>,
    private readonly manager: WatchManager,
  ) {
    this.ready = ready;
  }

  /** revision is the last revision delivered (or the start revision - 1); 0 before creation. */
  get revision(): number {
    return Math.max(0, this.state.nextRev - 1);
  }

  /** cancel stops the watch; a pending iteration ends normally. */
  cancel(): Promise<void> {
    this.manager.cancel(this.state);
    return Promise.resolve();
  }

  /** events iterates over single events instead of batches. */
  async *events(): AsyncGenerator<WatchEvent, void, undefined> {
    for await (const response of this) yield* response.events;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    return this.state.queue;
  }
}

const INVALID_WATCH_ID = -1;

const toEvent = (space: KeySpace, e: mvccpb.Event): WatchEvent => {
  const kv = space.stripKv(e.kv ?? mvccpb.KeyValue.create());
  const type = e.type === mvccpb.Event_EventType.DELETE ? "delete" : "put";
  return e.prevKv === undefined ? { type, kv } : { type, kv, prevKv: space.stripKv(e.prevKv) };
};

/** WatchManager multiplexes a client's watches over one Watch stream. */
export class WatchManager {
  private readonly stream: ManagedStream<pb.WatchRequest, pb.WatchResponse>;
  private readonly active = new Map<number, WatcherState>();
  private pending: WatcherState[] = [];
  private creating: WatcherState | undefined;
  private readonly all = new Set<WatcherState>();
  private seq = 0;
  private closed = false;

  constructor(private readonly transport: Transport) {
    this.stream = new ManagedStream(transport, pb.WatchService.watch, {
      wanted: () => !this.closed && this.all.size > 0,
      onOpen: () => this.sendNextCreate(),
      onMessage: (res) => this.onResponse(res),
      onDown: () => this.onStreamDown(),
    });
    transport.onClose(() => this.close());
  }

  /** watch starts a watch of `key` (or a range) in a key space. */
  watch(space: KeySpace, key: Bytes, options?: WatchOptions): Watcher {
    const range = space.range(key, options);
    const filters: pb.WatchCreateRequest_FilterType[] = [];
    if (options?.filters?.noPut) filters.push(pb.WatchCreateRequest_FilterType.NOPUT);
    if (options?.filters?.noDelete) filters.push(pb.WatchCreateRequest_FilterType.NODELETE);
    let ready!: WatcherState["ready"];
    const readyPromise = new Promise<number>((resolve, reject) => {
      ready = { resolve, reject, settled: false };
    });
    readyPromise.catch(() => {}); // the iteration reports the error too
    const state: WatcherState = {
      seq: this.seq++,
      space,
      request: { ...range, filters, prevKv: options?.prevKv ?? false, progressNotify: options?.progressNotify ?? false },
      nextRev: options?.startRevision ?? 0,
      serverId: undefined,
      canceled: false,
      queue: new AsyncQueue<WatchResponse>(() => this.cancel(state)),
      ready,
    };
    const watcher = new Watcher(state, readyPromise, this);
    if (this.closed) {
      this.finish(state, new ClientClosedError());
      return watcher;
    }
    const signal = options?.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.finish(state, undefined);
        return watcher;
      }
      signal.addEventListener("abort", () => this.cancel(state), { once: true });
    }
    this.all.add(state);
    this.pending.push(state);
    this.ensureStream();
    return watcher;
  }

  /** requestProgress asks the server for a progress response on every watch of the stream. */
  requestProgress(): void {
    this.stream.write({ requestUnion: { $case: "progressRequest", progressRequest: {} } });
  }

  /** cancel stops one watch; the stream closes when no watch is left. */
  cancel(state: WatcherState): void {
    if (state.canceled) return;
    state.canceled = true;
    this.all.delete(state);
    this.pending = this.pending.filter((s) => s !== state);
    this.finish(state, undefined);
    if (this.all.size === 0) {
      this.closeStream();
      return;
    }
    if (state.serverId !== undefined && this.active.get(state.serverId) === state) {
      this.active.delete(state.serverId);
      this.stream.write({ requestUnion: { $case: "cancelRequest", cancelRequest: { watchId: state.serverId } } });
    }
  }

  /** close ends every watch and the stream (client.close()). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeStream();
    for (const state of this.all) {
      state.canceled = true;
      this.finish(state, undefined, new ClientClosedError());
    }
    this.all.clear();
    this.pending = [];
  }

  /** finish ends a watch's iteration (with `error` if given) and settles `ready`. */
  private finish(state: WatcherState, error: unknown, readyError: unknown = error ?? new WatchCanceledError()): void {
    if (!state.ready.settled) {
      state.ready.settled = true;
      state.ready.reject(readyError);
    }
    if (error === undefined) state.queue.end();
    else state.queue.fail(error);
  }

  private closeStream(): void {
    this.stream.stop();
    this.creating = undefined;
    this.active.clear();
  }

  private ensureStream(): void {
    if (this.closed || this.all.size === 0) return;
    if (this.stream.isOpen) this.sendNextCreate();
    else this.stream.ensure();
  }

  /** onStreamDown re-queues every watch of the broken stream, in creation order, for the next one. */
  private onStreamDown(): void {
    const requeue = [...(this.creating ? [this.creating] : []), ...this.active.values(), ...this.pending].filter((s) => !s.canceled);
    requeue.sort((a, b) => a.seq - b.seq);
    for (const state of requeue) state.serverId = undefined;
    this.pending = requeue;
    this.creating = undefined;
    this.active.clear();
  }

  private sendNextCreate(): void {
    if (!this.stream.isOpen) return;
    while (this.creating === undefined && this.pending.length > 0) {
      const state = this.pending.shift()!;
      if (state.canceled) continue;
      this.creating = state;
      this.stream.write({ requestUnion: { $case: "createRequest", createRequest: { ...state.request, startRevision: state.nextRev } } });
    }
  }

  private onResponse(res: pb.WatchResponse): void {
    const header = normalizeHeader(res.header);
    if (res.created) {
      const state = this.creating;
      this.creating = undefined;
      if (state === undefined) return;
      this.stream.healthy();
      if (res.canceled) {
        this.onCreateRefused(state, res);
      } else if (state.canceled) {
        this.stream.write({ requestUnion: { $case: "cancelRequest", cancelRequest: { watchId: res.watchId } } });
      } else {
        state.serverId = res.watchId;
        this.active.set(res.watchId, state);
        if (state.nextRev === 0) state.nextRev = header.revision + 1;
        if (!state.ready.settled) {
          state.ready.settled = true;
          state.ready.resolve(state.nextRev - 1);
        }
      }
      this.sendNextCreate();
      return;
    }
    if (res.watchId === INVALID_WATCH_ID) {
      // A progress response for the whole stream.
      for (const state of this.active.values()) this.deliver(state, res, header);
      return;
    }
    const state = this.active.get(res.watchId);
    if (state === undefined) return;
    if (res.canceled) {
      this.active.delete(res.watchId);
      if (state.canceled) return;
      const reason = res.cancelReason;
      if (reason === InvalidAuthTokenError.message || reason === AuthOldRevisionError.message) {
        this.transport.invalidateToken(this.transport.currentToken);
        state.serverId = undefined;
        this.pending.push(state);
        this.sendNextCreate();
        return;
      }
      this.all.delete(state);
      state.canceled = true;
      const error =
        res.compactRevision > 0
          ? new WatchCompactedError(res.compactRevision)
          : reason !== ""
            ? errorFromStatus({ code: GrpcStatus.UNKNOWN, details: reason })
            : new WatchCanceledError();
      this.finish(state, error);
      if (this.all.size === 0) this.closeStream();
      return;
    }
    this.deliver(state, res, header);
  }

  private onCreateRefused(state: WatcherState, res: pb.WatchResponse): void {
    const reason = res.cancelReason;
    if (reason === InvalidAuthTokenError.message || reason === AuthOldRevisionError.message) {
      this.transport.invalidateToken(this.transport.currentToken);
      this.pending.unshift(state);
      // The token goes with the stream: reopen it.
      this.stream.restart(new EtcdError(GrpcStatus.UNAUTHENTICATED, reason));
      return;
    }
    this.all.delete(state);
    state.canceled = true;
    const error =
      res.compactRevision > 0
        ? new WatchCompactedError(res.compactRevision)
        : errorFromStatus({ code: GrpcStatus.UNKNOWN, details: reason === "" ? WatchCanceledError.message : reason });
    this.finish(state, error);
  }

  private deliver(state: WatcherState, res: pb.WatchResponse, header: ResponseHeader): void {
    if (res.fragment) return; // never requested
    const events = res.events;
    if (events.length > 0) {
      const last = events[events.length - 1]!;
      state.nextRev = (last.kv?.modRevision ?? header.revision) + 1;
    } else if (header.revision + 1 > state.nextRev) {
      state.nextRev = header.revision + 1;
    }
    const converted = new Array<WatchEvent>(events.length);
    for (let i = 0; i < events.length; i++) converted[i] = toEvent(state.space, events[i]!);
    state.queue.push({ header, revision: header.revision, events: converted, progressNotify: events.length === 0 });
  }
}

/** Watch is the watch API of one key space (the client's, or a namespace's). */
export class Watch {
  /** @internal Created by the client. */
  constructor(
    private readonly manager: WatchManager,
    private readonly space: KeySpace,
  ) {}

  /** watch starts watching `key` (or a range, with range options). */
  watch(key: Bytes, options?: WatchOptions): Watcher {
    return this.manager.watch(this.space, key, options);
  }

  /** requestProgress asks for a progress response on every watch of the client's stream. */
  requestProgress(): void {
    this.manager.requestProgress();
  }
}
