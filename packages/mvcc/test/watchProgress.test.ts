// Progress notifications never run ahead of events (etcd 3.5.8+'s rule, which Kubernetes'
// consistent reads from its watch cache rely on): a progress notification at revision R tells
// a client that every event at or below R for the watchers it covers has been delivered.
//
// The store is driven through a ScriptedSource, so a catch-up read can be completed exactly
// between two applied batches, and the engine can be ahead of the notified revision (applied
// in the worker, its batch not yet passed to notify) as it is in the server.
//
// etcd 3.4.23 (the oracle on this machine) answers a progress request at once, ahead of the
// catch-up events of a watcher that is still unsynced; these tests follow the fixed etcd.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PROGRESS_ALL_WATCH_ID, WatchableStore, type WatchResponse, type WatchStream } from "../src/WatchableStore.js";
import { ScriptedSource } from "./support/scriptedSource.js";
import { b } from "./support/util.js";

/** settle lets the store's queued catch-up rounds (microtasks and 0 ms timers) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

const summary = (r: WatchResponse | undefined) => r && { watchId: r.watchId, events: r.events.map((e) => e.kv!.modRevision), revision: r.revision };

async function drain(stream: WatchStream): Promise<ReturnType<typeof summary>[]> {
  const out: ReturnType<typeof summary>[] = [];
  while (stream.pending > 0) out.push(summary(await stream.next()));
  return out;
}

describe("progress requests for a whole stream (watch ID -1)", () => {
  it("wait until the stream's unsynced watchers have caught up, then follow their events", async () => {
    const source = new ScriptedSource();
    for (let i = 0; i < 3; i++) source.put("k"); // revisions 2..4
    source.takeBatch();
    const store = new WatchableStore(source, { revision: source.revision, compactRevision: -1 });
    const stream = store.newStream();
    const id = stream.watch(b("k"), undefined, { startRevision: 2 });
    assert.equal(stream.requestProgressAll(), false, "the watcher from revision 2 is not synced yet");
    await settle();
    assert.equal(stream.pending, 0, "nothing is sent before the catch-up read completes");
    source.completeRead();
    await settle();
    assert.deepEqual(await drain(stream), [
      { watchId: id, events: [2, 3, 4], revision: 4 },
      { watchId: PROGRESS_ALL_WATCH_ID, events: [], revision: 4 },
    ]);
  });

  it("wait for a victim to be retried and caught up", async () => {
    const source = new ScriptedSource();
    const store = new WatchableStore(source, { revision: 1, compactRevision: -1, bufferSize: 2 });
    const stream = store.newStream();
    const id = stream.watch(b("k"), undefined);
    for (let i = 0; i < 3; i++) {
      source.put("k");
      const batch = source.takeBatch()!;
      store.notify(batch.revision, batch.events);
    }
    assert.equal(store.stats().victims, 1, "the third response did not fit");
    assert.equal(stream.requestProgressAll(), false);
    const first = summary(await stream.next()); // makes room: the victim's response goes in
    await settle();
    assert.deepEqual([first, ...(await drain(stream))], [
      { watchId: id, events: [2], revision: 2 },
      { watchId: id, events: [3], revision: 3 },
      { watchId: id, events: [4], revision: 4 },
      { watchId: PROGRESS_ALL_WATCH_ID, events: [], revision: 4 },
    ]);
  });

  it("wait for room when the buffer is full, and answer several requests once", async () => {
    const source = new ScriptedSource();
    const store = new WatchableStore(source, { revision: 1, compactRevision: -1, bufferSize: 1 });
    const stream = store.newStream();
    const id = stream.watch(b("k"), undefined);
    source.put("k");
    const batch = source.takeBatch()!;
    store.notify(batch.revision, batch.events);
    assert.equal(stream.requestProgressAll(), false, "the buffer is full");
    assert.equal(stream.requestProgressAll(), false);
    const first = summary(await stream.next());
    await settle();
    assert.deepEqual([first, ...(await drain(stream))], [
      { watchId: id, events: [2], revision: 2 },
      { watchId: PROGRESS_ALL_WATCH_ID, events: [], revision: 2 },
    ]);
  });

  it("are released when the last unsynced watcher is cancelled", async () => {
    const source = new ScriptedSource();
    source.put("k");
    source.takeBatch();
    const store = new WatchableStore(source, { revision: source.revision, compactRevision: -1 });
    const stream = store.newStream();
    const id = stream.watch(b("k"), undefined, { startRevision: 1 });
    assert.equal(stream.requestProgressAll(), false);
    stream.cancel(id);
    assert.deepEqual(await drain(stream), [{ watchId: PROGRESS_ALL_WATCH_ID, events: [], revision: 2 }]);
  });

  it("on a stream without watchers are answered at once", async () => {
    // etcd 3.5.8+ sends nothing then (it sends through one of the stream's watchers); etcd
    // 3.4.23 answers. We answer: no event can be behind it.
    const source = new ScriptedSource();
    const store = new WatchableStore(source, { revision: 1, compactRevision: -1 });
    const stream = store.newStream();
    assert.equal(stream.requestProgressAll(), true);
    assert.deepEqual(await drain(stream), [{ watchId: PROGRESS_ALL_WATCH_ID, events: [], revision: 1 }]);
  });
});

describe("a catch-up read that sees past the notified revision", () => {
  it("is cut at the notified revision, so no later progress goes back", async () => {
    const source = new ScriptedSource();
    source.put("a"); // 2
    source.put("b"); // 3
    source.takeBatch();
    const store = new WatchableStore(source, { revision: 3, compactRevision: -1 });
    const stream = store.newStream();
    const live = stream.watch(b("a"), undefined);
    const history = stream.watch(b("b"), undefined, { startRevision: 2 });
    await settle();
    // The engine applies revisions 4 and 5 before the catch-up read runs; their batch
    // reaches the watchable store (notify) only afterwards.
    source.put("b"); // 4
    source.put("a"); // 5
    source.completeRead();
    await settle();
    assert.equal(stream.requestProgress(live), true);
    const batch = source.takeBatch()!;
    store.notify(batch.revision, batch.events);
    assert.deepEqual(await drain(stream), [
      { watchId: history, events: [3], revision: 3 },
      { watchId: live, events: [], revision: 3 },
      { watchId: history, events: [4], revision: 5 },
      { watchId: live, events: [5], revision: 5 },
    ]);
  });
});

// ---- property: random puts, batches, watches (some from old revisions), cancels, progress
// requests (per stream and per watcher), catch-up reads and slow consumers.

const KEYS = ["a", "b", "c", "d"] as const;
/** The watched ranges, in the wire convention: end undefined = one key, "\0" = from key on. */
const RANGES = [
  { key: "a", end: undefined },
  { key: "b", end: undefined },
  { key: "a", end: "c" },
  { key: "b", end: "\0" },
] as const;

type Action =
  | { kind: "put"; key: string }
  | { kind: "notify"; max: number }
  | { kind: "watch"; stream: number; range: number; start: "next" | "old" | "future"; pick: number }
  | { kind: "cancel"; stream: number; pick: number }
  | { kind: "progressAll"; stream: number }
  | { kind: "progress"; stream: number; pick: number }
  | { kind: "read" }
  | { kind: "consume"; stream: number; max: number }
  | { kind: "tick" };

const STREAMS = 2;
const streamArb = fc.integer({ min: 0, max: STREAMS - 1 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("notify" as const), max: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("watch" as const),
      stream: streamArb,
      range: fc.integer({ min: 0, max: RANGES.length - 1 }),
      start: fc.constantFrom("next" as const, "old" as const, "old" as const, "future" as const),
      pick: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), stream: streamArb, pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("progressAll" as const), stream: streamArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("progress" as const), stream: streamArb, pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ kind: "read" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("consume" as const), stream: streamArb, max: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "tick" as const }) },
);

interface WatcherModel {
  readonly id: number;
  readonly range: (typeof RANGES)[number];
  /** start is the first revision the watcher may see. */
  readonly start: number;
  canceled: boolean;
  /** floor: a progress notification covering this watcher said every event <= floor was sent. */
  floor: number;
  readonly received: number[];
}

interface StreamModel {
  readonly stream: WatchStream;
  readonly watchers: Map<number, WatcherModel>;
  /** maxRevision is the highest event or response revision received on the stream. */
  maxRevision: number;
  /** the watchers live when each stream-wide progress notification was offered, oldest first. */
  readonly progressCovers: WatcherModel[][];
  lastRequestAt: number;
  lastAnswerOfferedAt: number;
}

function inRange(range: (typeof RANGES)[number], key: string): boolean {
  if (range.end === undefined) return key === range.key;
  return key >= range.key && (range.end === "\0" || key < range.end);
}

async function runScenario(actions: readonly Action[]): Promise<void> {
  const source = new ScriptedSource();
  const store = new WatchableStore(source, { revision: 1, compactRevision: -1, bufferSize: 3, syncBatchEvents: 2 });
  let clock = 0;
  const models: StreamModel[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const stream = store.newStream();
    const model: StreamModel = { stream, watchers: new Map(), maxRevision: 0, progressCovers: [], lastRequestAt: -1, lastAnswerOfferedAt: -1 };
    // A spy on the stream's buffer: it records which watchers were live when a stream-wide
    // progress notification went in (what that notification speaks for); it changes nothing.
    const offer = stream.offer.bind(stream);
    stream.offer = (response: WatchResponse): boolean => {
      const taken = offer(response);
      if (taken && response.watchId === PROGRESS_ALL_WATCH_ID) {
        model.progressCovers.push([...model.watchers.values()].filter((w) => !w.canceled));
        model.lastAnswerOfferedAt = clock;
      }
      return taken;
    };
    models.push(model);
  }

  const receive = (model: StreamModel, r: WatchResponse): void => {
    const where = `stream ${models.indexOf(model)}, response ${JSON.stringify(summary(r))}`;
    assert.equal(r.compactRevision, 0, where);
    if (r.events.length === 0) {
      // A progress notification: never behind anything already sent on the stream.
      assert.ok(r.revision >= model.maxRevision, `progress went back: ${where} after revision ${model.maxRevision}`);
      model.maxRevision = r.revision;
      const covered = r.watchId === PROGRESS_ALL_WATCH_ID ? model.progressCovers.shift() : [model.watchers.get(r.watchId)!];
      assert.ok(covered !== undefined && covered.every((w) => w !== undefined), `unexpected progress: ${where}`);
      for (const w of covered) w.floor = Math.max(w.floor, r.revision);
      return;
    }
    const w = model.watchers.get(r.watchId);
    assert.ok(w !== undefined, `events for an unknown watcher: ${where}`);
    for (const ev of r.events) {
      const revision = ev.kv!.modRevision;
      assert.ok(inRange(w.range, Buffer.from(ev.kv!.key).toString()), `event outside the range: ${where}`);
      assert.ok(revision >= w.start, `event before the start revision ${w.start}: ${where}`);
      assert.ok(revision > (w.received.at(-1) ?? 0), `events out of order: ${where}`);
      assert.ok(revision > w.floor, `event at or below an earlier progress revision ${w.floor}: ${where}`);
      assert.ok(revision <= r.revision, `event above its response revision: ${where}`);
      w.received.push(revision);
    }
    model.maxRevision = Math.max(model.maxRevision, r.revision);
  };

  const consume = async (model: StreamModel, max = Infinity): Promise<void> => {
    for (let n = 0; n < max && model.stream.pending > 0; n++) receive(model, (await model.stream.next())!);
  };

  for (const action of actions) {
    clock++;
    switch (action.kind) {
      case "put":
        source.put(action.key);
        break;
      case "notify": {
        const batch = source.takeBatch(action.max);
        if (batch !== undefined) store.notify(batch.revision, batch.events);
        break;
      }
      case "watch": {
        const model = models[action.stream]!;
        const range = RANGES[action.range]!;
        // A client knows revisions up to the store's notified one; "old" starts there or before.
        const startRevision =
          action.start === "next" ? 0 : action.start === "old" ? 1 + (action.pick % store.revision) : store.revision + 1 + (action.pick % 3);
        const id = model.stream.watch(b(range.key), range.end === undefined ? undefined : b(range.end), { startRevision });
        model.watchers.set(id, { id, range, start: startRevision === 0 ? store.revision + 1 : startRevision, canceled: false, floor: 0, received: [] });
        break;
      }
      case "cancel": {
        const model = models[action.stream]!;
        const live = [...model.watchers.values()].filter((w) => !w.canceled);
        const w = live[action.pick % Math.max(1, live.length)];
        if (w === undefined) break;
        w.canceled = true;
        assert.equal(model.stream.cancel(w.id), true);
        break;
      }
      case "progressAll": {
        const model = models[action.stream]!;
        model.lastRequestAt = clock;
        model.stream.requestProgressAll();
        break;
      }
      case "progress": {
        const model = models[action.stream]!;
        const live = [...model.watchers.values()].filter((w) => !w.canceled);
        const w = live[action.pick % Math.max(1, live.length)];
        if (w !== undefined) model.stream.requestProgress(w.id);
        break;
      }
      case "read":
        if (source.pendingReads > 0) source.completeRead();
        await settle();
        break;
      case "consume":
        await consume(models[action.stream]!, action.max);
        await settle();
        break;
      case "tick":
        await settle();
        break;
    }
  }

  // Let everything finish: every batch notified, every read answered, every buffer read.
  clock++;
  for (let round = 0; ; round++) {
    assert.ok(round < 1000, "the store did not settle");
    const batch = source.takeBatch();
    if (batch !== undefined) store.notify(batch.revision, batch.events);
    const read = source.pendingReads > 0;
    if (read) source.completeRead();
    for (const model of models) await consume(model);
    await settle();
    const stats = store.stats();
    if (batch === undefined && !read && source.pendingReads === 0 && stats.unsynced === 0 && stats.victims === 0 && models.every((m) => m.stream.pending === 0)) break;
  }

  for (const [index, model] of models.entries()) {
    if (model.lastRequestAt >= 0) assert.ok(model.lastAnswerOfferedAt >= model.lastRequestAt, `stream ${index}: a progress request was never answered`);
    for (const w of model.watchers.values()) {
      const expected = source.history
        .filter((ev) => ev.kv!.modRevision >= w.start && inRange(w.range, Buffer.from(ev.kv!.key).toString()))
        .map((ev) => ev.kv!.modRevision);
      if (w.canceled) assert.deepEqual(w.received, expected.slice(0, w.received.length), `stream ${index}, cancelled watcher ${w.id}`);
      else assert.deepEqual(w.received, expected, `stream ${index}, watcher ${w.id}`);
    }
  }
  for (const model of models) model.stream.close();
}

describe("property: progress notifications never run ahead of events", () => {
  it("per stream, progress revisions never go back and no event at or below one follows it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 60 }), (actions) => runScenario(actions)),
      { numRuns: Number(process.env["MVCC_WATCH_RUNS"] ?? 150) },
    );
  });
});
