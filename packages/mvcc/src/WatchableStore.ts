/**
 * WatchableStore: watchers over the store's changes (etcd's `watchableStore`).
 *
 * It lives where watch streams are served (the main thread) and sees the store through a
 * {@link WatchSource}: the events of each applied batch arrive through
 * {@link WatchableStore.notify}, and history is read back through
 * {@link WatchSource.eventsSince} in bounded batches.
 *
 * - A watcher watches one key or a range (`rangeEnd` in the wire convention: empty = one
 *   key, `\0` = from key on) from a start revision (0 = the next one).
 * - Synced watchers (start revision past the current one) get each batch's events as they
 *   are applied. Unsynced watchers catch up from the backend: events in revision order,
 *   never splitting a revision, at most ~`syncBatchEvents` per read.
 * - A watcher whose start revision was compacted gets one response with
 *   `compactRevision` set and is removed (the server then cancels it, as etcd does).
 * - Slow consumers: each {@link WatchStream} buffers at most `bufferSize` responses. A
 *   watcher whose response does not fit becomes a victim: it keeps that response, gets
 *   nothing more meanwhile, and is retried when the consumer drains the buffer; then it
 *   catches up from the backend like an unsynced watcher. Writers never wait, and no event
 *   is lost or reordered.
 * - Filters drop puts or deletes; a response left empty by filters is not sent.
 * - `prevKv` watchers get the previous KV of each event (see {@link WatchableStore.needsPrevKv}).
 * - Progress notifications (an empty response at the current revision) go through the
 *   stream's buffer like events, and only when nothing at or below their revision is still to
 *   come: {@link WatchStream.requestProgress} answers one synced watcher;
 *   {@link WatchStream.requestProgressAll} answers for the whole stream (watch ID
 *   {@link PROGRESS_ALL_WATCH_ID}) once every watcher on it is synced, waiting until then
 *   (etcd 3.5.8+; Kubernetes' consistent reads from its watch cache rely on it).
 * - The store never speaks of a revision it has not been notified of: a catch-up read that
 *   sees further (the engine applies ahead of the batches reaching {@link WatchableStore.notify})
 *   is cut at the notified revision, so no response runs ahead of a later progress notification.
 *
 * Not here: gRPC framing, fragmenting of large responses, watch IDs chosen by the client
 * (the server maps them), periodic progress timers (the server owns timers).
 */
import { MvccError } from "./errors.js";
import type { mvccpb } from "@etcd-ts/api";
import { keyString } from "./internal/keys.js";

type Event = mvccpb.Event;

/**
 * PROGRESS_ALL_WATCH_ID is the watch ID of a progress notification for a whole stream
 * ({@link WatchStream.requestProgressAll}): etcd's `InvalidWatchID` (-1), which clients
 * broadcast to every watcher of the stream.
 */
export const PROGRESS_ALL_WATCH_ID = -1;

/** WatchFilter drops one kind of event: etcd's `NOPUT` (0) and `NODELETE` (1). */
export type WatchFilter = 0 | 1;

/** WatchOptions are the options of {@link WatchStream.watch}. */
export interface WatchOptions {
  /** startRevision is the first revision to deliver (0: the next one). */
  readonly startRevision?: number;
  /** prevKv asks for the previous KV in every event. */
  readonly prevKv?: boolean;
  /** filters drop puts (0) and/or deletes (1). */
  readonly filters?: readonly WatchFilter[];
}

/** WatchResponse is one delivery to one watcher. */
export interface WatchResponse {
  /** watchId names the watcher within its stream. */
  readonly watchId: number;
  /** events are whole revisions of changes, in revision order. */
  readonly events: Event[];
  /** revision is the store revision this response brings the watcher up to. */
  readonly revision: number;
  /** compactRevision, if not 0, says the start revision was compacted (watcher removed). */
  readonly compactRevision: number;
}

/** EventsPage is a page of history read by {@link WatchSource.eventsSince}. */
export interface EventsPage {
  /** events are the changes from the asked revision on, whole revisions only. */
  readonly events: Event[];
  /** revision is the last revision covered by this page (the store's if complete). */
  readonly revision: number;
  /** compactRevision is the store's compact revision at the read. */
  readonly compactRevision: number;
}

/** WatchSource is what the watchable store needs from the engine. */
export interface WatchSource {
  /**
   * eventsSince reads the events of revisions >= fromRevision, at most about maxEvents
   * (revisions are never split), with prevKv when asked. Fails (or returns an empty page
   * with compactRevision >= fromRevision) if fromRevision was compacted.
   */
  eventsSince(fromRevision: number, maxEvents: number, prevKv: boolean): Promise<EventsPage>;
}

/** WatchableStoreOptions configure a {@link WatchableStore}. */
export interface WatchableStoreOptions {
  /** revision is the store's current revision at start. */
  readonly revision: number;
  /** compactRevision is the store's compact revision at start. */
  readonly compactRevision: number;
  /** bufferSize is the responses a stream buffers before watchers become victims (128). */
  readonly bufferSize?: number;
  /** syncBatchEvents bounds one catch-up read (1000). */
  readonly syncBatchEvents?: number;
}

interface Watcher {
  readonly id: number;
  readonly stream: WatchStream;
  readonly key: string;
  readonly end: string | undefined; // undefined: single key; "": unbounded
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  minRev: number;
  state: "synced" | "unsynced" | "victim";
  pending: WatchResponse | undefined;
}

function toEnd(rangeEnd: Uint8Array | undefined): string | undefined {
  if (rangeEnd === undefined || rangeEnd.length === 0) return undefined;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return "";
  return keyString(rangeEnd);
}

function matches(w: Watcher, key: string): boolean {
  if (w.end === undefined) return key === w.key;
  return key >= w.key && (w.end === "" || key < w.end);
}

/** WatchableStore dispatches store events to watchers; see the module comment. */
export class WatchableStore {
  private openStreams = 0;
  private readonly stripped = new WeakMap<Event, Event>();
  private readonly source: WatchSource;
  private currentRev: number;
  private compactRev: number;
  private readonly bufferSize: number;
  private readonly syncBatchEvents: number;
  private readonly keyWatchers = new Map<string, Set<Watcher>>();
  private readonly rangeWatchers = new Set<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  private readonly victims = new Set<Watcher>();
  /** streams with a stream-wide progress request not yet answered. */
  private readonly progressRequested = new Set<WatchStream>();
  private prevKvWatchers = 0;
  private syncing = false;
  private closed = false;

  /** Creates a watchable store over source at the given revisions. */
  constructor(source: WatchSource, options: WatchableStoreOptions) {
    this.source = source;
    this.currentRev = options.revision;
    this.compactRev = options.compactRevision;
    this.bufferSize = options.bufferSize ?? 128;
    this.syncBatchEvents = options.syncBatchEvents ?? 1000;
  }

  /** revision is the last revision notified. */
  get revision(): number {
    return this.currentRev;
  }

  /** needsPrevKv tells whether any watcher wants prevKv (ask the engine for it then). */
  get needsPrevKv(): boolean {
    return this.prevKvWatchers > 0;
  }

  /** stats counts watchers by state (metrics, tests). */
  stats(): { synced: number; unsynced: number; victims: number } {
    let synced = this.rangeWatchers.size;
    for (const set of this.keyWatchers.values()) synced += set.size;
    return { synced, unsynced: this.unsynced.size, victims: this.victims.size };
  }

  /** newStream opens a stream of watchers sharing one response buffer. */
  newStream(): WatchStream {
    this.openStreams++;
    return new WatchStream(this, this.bufferSize);
  }

  /** streams is the number of open watch streams (metrics). */
  get streams(): number {
    return this.openStreams;
  }

  /** @internal a stream closed. */
  streamClosed(stream: WatchStream): void {
    this.openStreams--;
    this.progressRequested.delete(stream);
  }

  /**
   * notify delivers the events of an applied batch: `events` in revision order, the store
   * now at `revision`. Also pass `compactRevision` when a compaction was applied.
   */
  notify(revision: number, events: readonly Event[], compactRevision?: number): void {
    if (compactRevision !== undefined) this.compactRev = Math.max(this.compactRev, compactRevision);
    if (revision <= this.currentRev && events.length === 0) return;
    this.currentRev = Math.max(this.currentRev, revision);
    if (events.length === 0) return;
    const perWatcher = new Map<Watcher, Event[]>();
    const add = (w: Watcher, ev: Event): void => {
      if (ev.kv!.modRevision < w.minRev) return;
      let list = perWatcher.get(w);
      if (list === undefined) perWatcher.set(w, (list = []));
      list.push(ev);
    };
    for (const ev of events) {
      const key = keyString(ev.kv!.key);
      const exact = this.keyWatchers.get(key);
      if (exact !== undefined) for (const w of exact) add(w, ev);
      for (const w of this.rangeWatchers) if (matches(w, key)) add(w, ev);
    }
    for (const [w, evs] of perWatcher) {
      const response = this.respond(w, evs, revision);
      w.minRev = revision + 1;
      if (response !== undefined && !w.stream.offer(response)) {
        this.unsync(w);
        w.state = "victim";
        w.pending = response;
        this.victims.add(w);
      }
    }
  }

  /**
   * withoutPrevKv is the event as watchers without prev_kv see it: one object per event, shared
   * by all of them, so a response writer can encode each event once however many watch it.
   */
  private withoutPrevKv(ev: Event): Event {
    let stripped = this.stripped.get(ev);
    if (stripped === undefined) this.stripped.set(ev, (stripped = { type: ev.type, kv: ev.kv }));
    return stripped;
  }

  private respond(w: Watcher, events: Event[], revision: number): WatchResponse | undefined {
    const out: Event[] = [];
    for (const ev of events) {
      if ((ev.type === 0 && w.noPut) || (ev.type === 1 && w.noDelete)) continue;
      out.push(w.prevKv || ev.prevKv === undefined ? ev : this.withoutPrevKv(ev));
    }
    if (out.length === 0) return undefined;
    return { watchId: w.id, events: out, revision, compactRevision: 0 };
  }

  /** @internal add registers a new watcher. */
  add(stream: WatchStream, id: number, key: Uint8Array, rangeEnd: Uint8Array | undefined, options: WatchOptions): void {
    const startRevision = options.startRevision ?? 0;
    const w: Watcher = {
      id,
      stream,
      key: keyString(key),
      end: toEnd(rangeEnd),
      prevKv: options.prevKv === true,
      noPut: options.filters?.includes(0) === true,
      noDelete: options.filters?.includes(1) === true,
      minRev: startRevision === 0 || startRevision > this.currentRev ? (startRevision === 0 ? this.currentRev + 1 : startRevision) : startRevision,
      state: "synced",
      pending: undefined,
    };
    if (w.prevKv) this.prevKvWatchers++;
    stream.watchers.set(id, w);
    if (w.minRev > this.currentRev) this.sync(w);
    else {
      w.state = "unsynced";
      this.unsynced.add(w);
      this.scheduleSync();
    }
  }

  /** @internal remove drops a watcher wherever it is. */
  remove(w: Watcher): void {
    this.unsync(w);
    this.unsynced.delete(w);
    this.victims.delete(w);
    if (w.prevKv) this.prevKvWatchers--;
    w.stream.watchers.delete(w.id);
    // the watcher a stream-wide progress request was waiting for may be this one
    this.progressIfSynced(w.stream);
  }

  /**
   * @internal progress sends a synced watcher an empty response at the current revision. A
   * synced watcher has had every event up to the current revision offered to its stream, so
   * the notification cannot overtake one.
   */
  progress(w: Watcher): boolean {
    if (w.state !== "synced") return false;
    return w.stream.offer({ watchId: w.id, events: [], revision: this.currentRev, compactRevision: 0 });
  }

  /** @internal progressAll records a stream-wide progress request and answers it if it can. */
  progressAll(stream: WatchStream): boolean {
    this.progressRequested.add(stream);
    return this.progressIfSynced(stream);
  }

  /**
   * progressIfSynced answers the stream's pending stream-wide progress request if every
   * watcher on it is synced: then each event at or below the current revision for them is
   * already in the stream's buffer (or sent), and the notification goes in behind them.
   * Otherwise the request waits; it is checked again whenever one of the stream's watchers
   * is synced or removed, and when its buffer drains. Requests made while one waits are
   * answered by the same notification (etcd 3.5.8+ keeps one pending flag per stream).
   */
  private progressIfSynced(stream: WatchStream): boolean {
    if (!this.progressRequested.has(stream)) return false;
    for (const w of stream.watchers.values()) if (w.state !== "synced") return false;
    if (!stream.offer({ watchId: PROGRESS_ALL_WATCH_ID, events: [], revision: this.currentRev, compactRevision: 0 })) return false;
    this.progressRequested.delete(stream);
    return true;
  }

  /** @internal drained is called when a stream's buffer has room again: retry its victims. */
  drained(stream: WatchStream): void {
    for (const w of this.victims) {
      if (w.stream !== stream || w.pending === undefined) continue;
      if (!stream.offer(w.pending)) return;
      w.pending = undefined;
      this.victims.delete(w);
      if (w.minRev > this.currentRev) this.sync(w);
      else {
        w.state = "unsynced";
        this.unsynced.add(w);
        this.scheduleSync();
      }
    }
    // room again: a stream-wide progress request may have found the buffer full
    this.progressIfSynced(stream);
  }

  /** close stops catch-up work. */
  close(): void {
    this.closed = true;
  }

  private sync(w: Watcher): void {
    w.state = "synced";
    if (w.end === undefined) {
      let set = this.keyWatchers.get(w.key);
      if (set === undefined) this.keyWatchers.set(w.key, (set = new Set()));
      set.add(w);
    } else {
      this.rangeWatchers.add(w);
    }
    // the stream's pending stream-wide progress request may have waited for this watcher
    this.progressIfSynced(w.stream);
  }

  private unsync(w: Watcher): void {
    if (w.end === undefined) {
      const set = this.keyWatchers.get(w.key);
      if (set !== undefined) {
        set.delete(w);
        if (set.size === 0) this.keyWatchers.delete(w.key);
      }
    } else {
      this.rangeWatchers.delete(w);
    }
  }

  private scheduleSync(): void {
    if (this.syncing || this.closed) return;
    this.syncing = true;
    queueMicrotask(() => {
      this.syncUnsynced().then(
        () => {
          this.syncing = false;
          if (this.unsynced.size > 0) setTimeout(() => this.scheduleSync(), 0);
        },
        () => {
          this.syncing = false;
          if (this.unsynced.size > 0) setTimeout(() => this.scheduleSync(), 100);
        },
      );
    });
  }

  /** syncUnsynced runs one catch-up round for the unsynced watchers. */
  private async syncUnsynced(): Promise<void> {
    if (this.unsynced.size === 0) return;
    let minRev = Infinity;
    let prevKv = false;
    for (const w of this.unsynced) {
      if (w.minRev < this.compactRev) {
        // etcd: a watcher behind the compaction learns the compact revision and is dropped
        if (w.stream.offer({ watchId: w.id, events: [], revision: this.currentRev, compactRevision: this.compactRev })) this.remove(w);
        continue;
      }
      minRev = Math.min(minRev, w.minRev);
      prevKv ||= w.prevKv;
    }
    if (minRev === Infinity) return;
    const page = await this.source.eventsSince(minRev, this.syncBatchEvents, prevKv);
    if (page.compactRevision > this.compactRev) this.compactRev = page.compactRevision;
    // The engine may have applied batches that have not reached notify yet, and the read may
    // have seen them. Deliver only up to the notified revision: the rest comes with its batch
    // (minRev stops there), and no watcher is told of a revision a progress notification at
    // the current revision would then contradict.
    const upTo = Math.min(page.revision, this.currentRev);
    const watchers = [...this.unsynced];
    for (const w of watchers) {
      if (!this.unsynced.has(w)) continue;
      if (w.minRev < page.compactRevision) continue; // handled next round
      const evs = page.events.filter((ev) => ev.kv!.modRevision >= w.minRev && ev.kv!.modRevision <= upTo && matches(w, keyString(ev.kv!.key)));
      const response = evs.length > 0 ? this.respond(w, evs, upTo) : undefined;
      w.minRev = Math.max(w.minRev, upTo + 1);
      if (response !== undefined && !w.stream.offer(response)) {
        // the consumer is slow: hold the response back until it drains
        this.unsynced.delete(w);
        w.state = "victim";
        w.pending = response;
        this.victims.add(w);
        continue;
      }
      if (w.minRev > this.currentRev) {
        this.unsynced.delete(w);
        this.sync(w);
      }
    }
  }
}

/**
 * WatchStream is a set of watchers sharing one bounded buffer of responses, read with
 * {@link WatchStream.next} or `for await`. Closing it removes its watchers.
 */
export class WatchStream implements AsyncIterable<WatchResponse> {
  /** @internal watchers of this stream by ID. */
  readonly watchers = new Map<number, Watcher>();
  private readonly store: WatchableStore;
  private readonly capacity: number;
  private readonly buffer: WatchResponse[] = [];
  private waiter: ((response: WatchResponse | undefined) => void) | undefined;
  private nextId = 0;
  private closed = false;

  /** @internal use {@link WatchableStore.newStream}. */
  constructor(store: WatchableStore, capacity: number) {
    this.store = store;
    this.capacity = capacity;
  }

  /**
   * watch adds a watcher on key (or [key, rangeEnd)) and returns its ID. Responses for it
   * come through this stream.
   */
  watch(key: Uint8Array, rangeEnd: Uint8Array | undefined, options: WatchOptions = {}, requestedId = 0): number {
    let id = requestedId;
    if (id > 0) {
      // A client-chosen ID (etcd 3.4): refused when this stream already uses it.
      if (this.watchers.has(id)) throw new MvccError("duplicateWatchId");
    } else {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    this.store.add(this, id, key, rangeEnd, options);
    return id;
  }

  /** has tells whether a watcher ID is in use on this stream. */
  has(id: number): boolean {
    return this.watchers.has(id);
  }

  /** cancel removes a watcher; it returns whether it existed. */
  cancel(id: number): boolean {
    const w = this.watchers.get(id);
    if (w === undefined) return false;
    this.store.remove(w);
    return true;
  }

  /**
   * requestProgress sends watcher `id`, if it is synced, an empty response at the current
   * revision (etcd's periodic progress notification); it returns whether one was sent. An
   * unsynced watcher gets nothing: it still has events at or below that revision to come.
   */
  requestProgress(id: number): boolean {
    const w = this.watchers.get(id);
    return w !== undefined && this.store.progress(w);
  }

  /**
   * requestProgressAll asks for a progress notification for the whole stream: a response
   * with watch ID {@link PROGRESS_ALL_WATCH_ID}, no events, and the store's revision R, put
   * in this stream's buffer behind every response with events at or below R for the
   * stream's watchers (etcd 3.5.8+). If some watcher is still catching up (unsynced, or a
   * victim of a full buffer), the request waits until all are synced; requests made
   * meanwhile share that one answer. A stream without watchers is answered at once (etcd
   * 3.5.8+ sends nothing then; 3.4 answers). Returns whether it was answered at once.
   */
  requestProgressAll(): boolean {
    return this.store.progressAll(this);
  }

  /** @internal offer buffers a response; false if the buffer is full. */
  offer(response: WatchResponse): boolean {
    if (this.closed) return true;
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter(response);
      return true;
    }
    if (this.buffer.length >= this.capacity) return false;
    this.buffer.push(response);
    return true;
  }

  /** pending is the number of buffered responses. */
  get pending(): number {
    return this.buffer.length;
  }

  /** next takes the next response, waiting for one; undefined once closed. */
  next(): Promise<WatchResponse | undefined> {
    const response = this.buffer.shift();
    if (response !== undefined) {
      if (this.buffer.length < this.capacity) queueMicrotask(() => this.store.drained(this));
      return Promise.resolve(response);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
      queueMicrotask(() => this.store.drained(this));
    });
  }

  /** Iterates responses until the stream closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    for (;;) {
      const response = await this.next();
      if (response === undefined) return;
      yield response;
    }
  }

  /** close removes every watcher of the stream and ends iteration. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.streamClosed(this);
    for (const w of [...this.watchers.values()]) this.store.remove(w);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(undefined);
  }
}
