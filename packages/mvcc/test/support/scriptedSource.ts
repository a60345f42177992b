// A WatchSource whose history reads are answered when the test says so, for watch tests that
// need to place a catch-up read exactly between two applied batches.
//
// It plays both sides of the engine: `put` applies a change (the engine is now ahead of the
// watchable store), `takeBatch` hands the test the changes not yet notified (what the applier
// would pass to `notify`), and each `eventsSince` waits until `completeRead` reads the
// history as it is at that moment (the worker may read after later batches were applied).
import { mvccpb } from "@etcd-ts/api";
import type { EventsPage, WatchSource } from "../../src/WatchableStore.js";

type Event = mvccpb.Event;

interface PendingRead {
  readonly fromRevision: number;
  readonly maxEvents: number;
  readonly resolve: (page: EventsPage) => void;
}

/** ScriptedSource is an in-memory history whose reads complete on demand. */
export class ScriptedSource implements WatchSource {
  /** revision is the last applied revision (1: an empty store, as etcd starts). */
  revision = 1;
  /** history holds every applied event, in revision order (one event per revision). */
  readonly history: Event[] = [];
  private notified = 0; // events of `history` handed out by takeBatch
  private readonly reads: PendingRead[] = [];

  /** put applies a put of key (one revision) and returns its event. */
  put(key: string): Event {
    this.revision++;
    const previous = this.history.findLast((ev) => Buffer.from(ev.kv!.key).toString() === key);
    const event = mvccpb.Event.create({
      type: 0,
      kv: {
        key: Buffer.from(key),
        value: Buffer.from(`v${this.revision}`),
        createRevision: previous?.kv!.createRevision ?? this.revision,
        modRevision: this.revision,
        version: (previous?.kv!.version ?? 0) + 1,
      },
    });
    this.history.push(event);
    return event;
  }

  /** takeBatch returns up to `max` applied revisions not yet notified, as one batch. */
  takeBatch(max = Infinity): { revision: number; events: Event[] } | undefined {
    if (this.notified === this.history.length) return undefined;
    const events = this.history.slice(this.notified, this.notified + max);
    this.notified += events.length;
    return { revision: events.at(-1)!.kv!.modRevision, events };
  }

  /** pendingReads is the number of reads waiting for completeRead. */
  get pendingReads(): number {
    return this.reads.length;
  }

  /** completeRead answers the oldest waiting read from the history as it is now. */
  completeRead(): void {
    const read = this.reads.shift();
    if (read === undefined) throw new Error("no read is waiting");
    // One event per revision, so a page of maxEvents never splits a revision.
    const events = this.history.filter((ev) => ev.kv!.modRevision >= read.fromRevision).slice(0, read.maxEvents);
    const complete = events.length < read.maxEvents || events.at(-1)!.kv!.modRevision === this.revision;
    read.resolve({ events, revision: complete ? this.revision : events.at(-1)!.kv!.modRevision, compactRevision: -1 });
  }

  eventsSince(fromRevision: number, maxEvents: number): Promise<EventsPage> {
    return new Promise((resolve) => this.reads.push({ fromRevision, maxEvents, resolve }));
  }
}
