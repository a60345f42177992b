// The Ready loop (etcdserver/ReadyLoop.ts) against a scripted raft node, a fake WAL whose
// write and sync the test completes by hand, and a recording apply queue. Every step is
// driven explicitly (no timers), so each test checks an order, not a timing:
// persist before send, apply never ahead of the WAL, answers only once durable, early apply
// of entries already durable, an incoming snapshot before the entries, commit-only saves
// not waited for, raft learning conf changes before advance, and a stop in the middle of a Ready.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConfChangeType,
  EntryType,
  MessageType,
  emptyConfState,
  encodeConfChange,
  type Entry,
  type HardState,
  type Message,
  type Ready,
  type Snapshot,
} from "@etcd-ts/raft";
import type { ApplyGate } from "../src/etcdserver/Applier.js";
import { ReadyLoop, type ReadyWal } from "../src/etcdserver/ReadyLoop.js";

const entry = (index: number, term = 2): Entry => ({ index, term, type: EntryType.EntryNormal, data: Uint8Array.of(index) });
const entries = (from: number, to: number): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
const message = (to: bigint, type: MessageType = MessageType.MsgApp): Message => ({
  type,
  to,
  from: 1n,
  term: 2,
  logTerm: 2,
  index: 0,
  entries: [],
  commit: 0,
  reject: false,
  rejectHint: 0,
  context: new Uint8Array(0),
});
const hardState = (commit: number, term = 2, vote = 1n): HardState => ({ term, vote, commit });
const ready = (fields: Partial<Ready>): Ready => ({
  readStates: [],
  entries: [],
  committedEntries: [],
  messages: [],
  messagesAfterPersist: [],
  mustSync: false,
  ...fields,
});
const indexes = (list: readonly Entry[]): string => list.map((e) => e.index).join(",");

/** A save the test completes: `write()` calls its onWritten, `sync()` resolves it, `fail()` rejects it. */
interface PendingSave {
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  write(): void;
  sync(): void;
  fail(error: Error): void;
}

/** Rig is a ReadyLoop on fakes, with one log of everything the loop did, in order. */
class Rig {
  readonly log: string[] = [];
  readonly readies: Ready[] = [];
  readonly saves: PendingSave[] = [];
  readonly gates: ApplyGate[] = [];
  readonly crashes: Error[] = [];
  taken = 0;
  readonly loop: ReadyLoop;

  constructor(durableIndex = 0) {
    const log = this.log;
    const wal: ReadyWal = {
      save: (hs, list, onWritten) =>
        new Promise<void>((resolve, reject) => {
          log.push(`wal.save [${indexes(list)}]${hs ? ` commit=${hs.commit}` : ""}`);
          this.saves.push({
            hardState: hs,
            entries: list,
            write: () => onWritten?.(),
            sync: () => {
              log.push(`wal.synced [${indexes(list)}]`);
              resolve();
            },
            fail: reject,
          });
        }),
      saveSnapshot: (marker) => {
        log.push(`wal.snapshot ${marker.index}`);
        return Promise.resolve();
      },
    };
    this.loop = new ReadyLoop(
      {
        node: {
          hasReady: () => this.readies.length > 0,
          ready: () => {
            this.taken++;
            return this.readies.shift()!;
          },
          advance: () => void log.push("advance"),
          applyConfChange: (cc) => {
            log.push(`raft.confChange ${"nodeId" in cc ? cc.nodeId : "v2"}`);
            return emptyConfState();
          },
        },
        storage: {
          applySnapshot: (snapshot) => void log.push(`storage.snapshot ${snapshot.metadata.index}`),
          setHardState: (hs) => void log.push(`storage.hardState commit=${hs.commit}`),
          append: (list) => void log.push(`storage.append [${indexes(list)}]`),
        },
        wal,
        snapshots: {
          save: (snapshot) => {
            log.push(`snap.save ${snapshot.metadata.index}`);
            return Promise.resolve("file.snap");
          },
        },
        send: (messages) => void log.push(`send ${messages.map((m) => m.to).join(",")}`),
        apply: (list, gate) => {
          log.push(`apply [${indexes(list)}]${gate ? " gated" : ""}`);
          if (gate) this.gates.push(gate);
        },
        readStates: (states) => void log.push(`readStates ${states.map((s) => s.index).join(",")}`),
        softState: (lead) => void log.push(`lead ${lead}`),
        walSynced: () => undefined,
        crash: (error) => void this.crashes.push(error),
      },
      durableIndex,
    );
  }

  /** lastSave is the save in flight. */
  get lastSave(): PendingSave {
    const save = this.saves.at(-1);
    assert.ok(save, "a WAL save was made");
    return save;
  }
}

/** turn lets every queued microtask and one macrotask run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** settledNow tells whether a promise has settled by the end of this turn. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await turn();
  return settled;
}

test("persist before send: messages go out at once, messagesAfterPersist only once the WAL save is durable", async () => {
  const rig = new Rig();
  rig.readies.push(ready({ hardState: hardState(0), entries: entries(1, 2), messages: [message(2n, MessageType.MsgHeartbeat)], messagesAfterPersist: [message(3n, MessageType.MsgAppResp)] }));
  const run = rig.loop.process();
  await turn();
  assert.deepEqual(rig.log, ["send 2", "wal.save [1,2] commit=0"], "nothing after the save before it is durable");
  rig.lastSave.write();
  await turn();
  assert.deepEqual(rig.log, ["send 2", "wal.save [1,2] commit=0"], "written is not durable");
  rig.lastSave.sync();
  await run;
  assert.deepEqual(rig.log, ["send 2", "wal.save [1,2] commit=0", "wal.synced [1,2]", "storage.hardState commit=0", "storage.append [1,2]", "send 3", "advance"]);
});

test("a Ready's own committed entries are applied once their records are written and answered only once durable", async () => {
  const rig = new Rig();
  // A single member: the entries of this Ready are committed in it.
  rig.readies.push(ready({ hardState: hardState(2), entries: entries(1, 2), committedEntries: entries(1, 2) }));
  const run = rig.loop.process();
  await turn();
  assert.deepEqual(rig.log, ["wal.save [1,2] commit=2", "apply [1,2] gated"]);
  const gate = rig.gates[0]!;
  assert.equal(await settledNow(gate.written), false, "not written yet: the store must not apply");
  rig.lastSave.write();
  assert.equal(await settledNow(gate.written), true, "written: the store may apply while the sync runs");
  assert.equal(await settledNow(gate.durable), false, "not durable: no answer may go out");
  rig.lastSave.sync();
  assert.equal(await settledNow(gate.durable), true);
  await run;
  assert.equal(rig.log.at(-1), "advance");
});

test("early apply: committed entries already durable go to the apply queue before this Ready's save, ungated", async () => {
  const rig = new Rig(4);
  rig.readies.push(ready({ hardState: hardState(6), entries: entries(5, 6), committedEntries: entries(3, 6) }));
  const run = rig.loop.process();
  await turn();
  assert.deepEqual(rig.log, ["apply [3,4]", "wal.save [5,6] commit=6", "apply [5,6] gated"]);
  rig.lastSave.write();
  rig.lastSave.sync();
  await run;
  // The next Ready's commits are all durable now: applied at once, no gate.
  rig.readies.push(ready({ hardState: hardState(6), committedEntries: [] }), ready({ committedEntries: entries(7, 7), entries: [] }));
  rig.log.length = 0;
  await rig.loop.process();
  assert.ok(rig.log.includes("apply [7]"), rig.log.join(" | "));
});

test("a save of the commit index alone is not waited for; a failing one stops the member", async () => {
  const rig = new Rig(2);
  rig.readies.push(ready({ hardState: hardState(0) }));
  const first = rig.loop.process();
  await turn();
  rig.lastSave.sync();
  await first;
  rig.readies.push(ready({ hardState: hardState(2), committedEntries: entries(1, 2) }));
  rig.log.length = 0;
  await rig.loop.process();
  assert.deepEqual(rig.log, ["apply [1,2]", "wal.save [] commit=2", "storage.hardState commit=2", "advance"], "advanced with the commit-only save in flight");
  rig.lastSave.fail(new Error("disk gone"));
  await turn();
  assert.deepEqual(rig.crashes.map((e) => e.message), ["disk gone"]);
});

test("a failing WAL save stops the loop before storage, send or advance", async () => {
  const rig = new Rig();
  rig.readies.push(ready({ hardState: hardState(0), entries: entries(1, 1), messagesAfterPersist: [message(2n)] }), ready({ entries: entries(2, 2) }));
  const run = rig.loop.process();
  await turn();
  rig.lastSave.fail(new Error("EIO"));
  await run;
  assert.deepEqual(rig.log, ["wal.save [1] commit=0"]);
  assert.deepEqual(rig.crashes.map((e) => e.message), ["EIO"]);
  assert.equal(rig.taken, 1);
});

test("an incoming snapshot is saved (snap file, then WAL marker) and installed before the Ready's entries", async () => {
  const rig = new Rig();
  const snapshot: Snapshot = { data: new Uint8Array(0), metadata: { index: 10, term: 2, confState: emptyConfState() } };
  rig.readies.push(ready({ snapshot, hardState: hardState(10), entries: entries(11, 11) }));
  const run = rig.loop.process();
  await turn();
  rig.lastSave.sync();
  await run;
  assert.deepEqual(rig.log.slice(0, 4), ["snap.save 10", "wal.snapshot 10", "storage.snapshot 10", "wal.save [11] commit=10"]);
});

test("raft learns a committed conf change before advance, while applying it may lag", async () => {
  const rig = new Rig(1);
  const cc = { type: EntryType.EntryConfChange, index: 1, term: 1, data: encodeConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: 7n, context: new Uint8Array(0), id: 0n }) };
  rig.readies.push(ready({ committedEntries: [cc] }));
  await rig.loop.process();
  assert.deepEqual(rig.log, ["raft.confChange 7", "apply [1]", "advance"]);
});

test("stop in the middle of a Ready: the save in flight completes, the Ready finishes, no later Ready is taken", async () => {
  const rig = new Rig();
  rig.readies.push(ready({ hardState: hardState(0), entries: entries(1, 1) }), ready({ entries: entries(2, 2) }));
  const run = rig.loop.process();
  await turn();
  const stopped = rig.loop.stop();
  assert.equal(await settledNow(stopped), false, "stop waits for the WAL save in flight");
  rig.lastSave.sync();
  await stopped;
  await run;
  assert.equal(rig.taken, 1, "the second Ready was not taken");
  assert.deepEqual(rig.log, ["wal.save [1] commit=0", "wal.synced [1]", "storage.hardState commit=0", "storage.append [1]", "advance"]);
  await rig.loop.process();
  assert.equal(rig.taken, 1, "a stopped loop takes no Ready");
});
