// Power cuts, not process kills: the WAL and the snapshotter run on PowerCutDisk, which loses
// every change not yet synced (mode "drop") or keeps a torn prefix of it (mode "tear"), and
// every name whose directory was not synced. After each cut, reopened through the same disk:
// - every save() that resolved before the cut is there, whole;
// - what is there beyond it is a whole-record prefix of what was in flight (never a torn
//   record, never a gap), and the hard state never goes back past an acknowledged one;
// - exactly one fdatasync per save() carrying entries or a term/vote change, none otherwise.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Entry, HardState, Snapshot } from "@etcd-ts/raft";
import { SnapError, Snapshotter, Wal, type WalFileSystem, type WalOptions } from "../src/index.js";
import { PowerCutDisk, PowerCutError, seeded, type PowerCutMode } from "../src/testing/index.js";
import { META } from "./helpers.js";

const WAL_DIR = "/data/member/wal";
const SNAP_DIR = "/data/member/snap";

/** A disk with /data made durable (the data dir an operator created long ago). */
async function freshDisk(mode: PowerCutMode = "drop", seed = 1): Promise<PowerCutDisk> {
  const disk = new PowerCutDisk({ mode, seed });
  const fs = disk.mount();
  await fs.mkdir("/data");
  await fs.fsyncDir("/");
  return disk;
}

function entry(index: number, term: number, size: number, salt: number): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + salt + i) & 0xff;
  return { index, term, type: 0, data };
}

/** show makes entries comparable, data included. */
function show(list: readonly Entry[]): string[] {
  return list.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString("hex")}`);
}

const EMPTY: HardState = { term: 0, vote: 0n, commit: 0 };
const sameState = (a: HardState, b: HardState): boolean => a.term === b.term && a.vote === b.vote && a.commit === b.commit;

describe("directories and the files in them", () => {
  test("a WAL that create() returned survives a power cut", async () => {
    const disk = await freshDisk();
    await Wal.create("/data/wal", META, { fs: disk.mount(), segmentSize: 4096 });
    disk.powerCut();
    const wal = await Wal.open("/data/wal", undefined, { fs: disk.mount(), segmentSize: 4096 });
    assert.deepEqual((await wal.readAll()).metadata, META);
    await wal.close();
  });

  test("create() makes the directories it creates durable", async () => {
    const disk = await freshDisk();
    const wal = await Wal.create(WAL_DIR, META, { fs: disk.mount(), segmentSize: 4096 });
    await wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(1, 1, 10, 0)]);
    disk.powerCut();
    const reopened = await Wal.open(WAL_DIR, undefined, { fs: disk.mount(), segmentSize: 4096 });
    assert.deepEqual(show((await reopened.readAll()).entries), show([entry(1, 1, 10, 0)]));
    await reopened.close();
  });

  test("a snapshot that save() returned survives a power cut, in a directory save() created", async () => {
    const disk = await freshDisk();
    await new Snapshotter(SNAP_DIR, { fs: disk.mount() }).save(snapshot(1, 10));
    disk.powerCut();
    assert.equal((await new Snapshotter(SNAP_DIR, { fs: disk.mount() }).load()).metadata.index, 10);
  });
});

describe("one fdatasync per Ready", () => {
  test("exactly one per save with entries or a term/vote change, none for commit-only or unchanged", async () => {
    const disk = await freshDisk();
    const fs = disk.mount();
    const wal = await Wal.create(WAL_DIR, META, { fs, segmentSize: 1 << 20 });
    const segment = `${WAL_DIR}/${wal.segmentFiles()[0]}`;
    let index = 0;
    const cases: { name: string; save: () => Promise<void>; syncs: number }[] = [
      { name: "entries and a new term", save: () => wal.save({ term: 1, vote: 1n, commit: 0 }, [entry(++index, 1, 50, 0)]), syncs: 1 },
      { name: "entries, same hard state", save: () => wal.save(undefined, [entry(++index, 1, 50, 0), entry(++index, 1, 50, 0)]), syncs: 1 },
      { name: "commit only", save: () => wal.save({ term: 1, vote: 1n, commit: 2 }, []), syncs: 0 },
      { name: "unchanged", save: () => wal.save({ term: 1, vote: 1n, commit: 2 }, []), syncs: 0 },
      { name: "nothing at all", save: () => wal.save(undefined, []), syncs: 0 },
      { name: "entries and a commit", save: () => wal.save({ term: 1, vote: 1n, commit: 3 }, [entry(++index, 1, 50, 0)]), syncs: 1 },
      { name: "a new term, no entries", save: () => wal.save({ term: 2, vote: 0n, commit: 3 }, []), syncs: 1 },
      { name: "a vote, no entries", save: () => wal.save({ term: 2, vote: 3n, commit: 3 }, []), syncs: 1 },
      { name: "a snapshot marker", save: () => wal.saveSnapshot({ index: 3, term: 1 }), syncs: 1 },
      { name: "256 entries in one Ready", save: () => wal.save({ term: 2, vote: 3n, commit: 4 }, Array.from({ length: 256 }, () => entry(++index, 2, 100, 0))), syncs: 1 },
    ];
    for (const { name, save, syncs } of cases) {
      // The segment pipeline preallocates the next segment (*.tmp) in the background: not part of a save.
      const before = disk.syncs.length;
      await save();
      const made = disk.syncs.slice(before).filter((s) => !s.path.endsWith(".tmp"));
      assert.deepEqual(made, Array.from({ length: syncs }, () => ({ kind: "fdatasync", path: segment })), name);
    }
    await wal.close();
  });

  test("a save that fills the segment also syncs the cut: the full segment, the next one, the directory", async () => {
    const disk = await freshDisk();
    const wal = await Wal.create(WAL_DIR, META, { fs: disk.mount(), segmentSize: 4096 });
    const first = `${WAL_DIR}/${wal.segmentFiles()[0]}`;
    // Let the pipeline finish preallocating the next segment (0.tmp) before measuring.
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    const before = disk.syncs.length;
    await wal.save({ term: 1, vote: 1n, commit: 0 }, Array.from({ length: 10 }, (_, i) => entry(i + 1, 1, 500, 0)));
    assert.equal(wal.segmentFiles().length, 2, "the save cut the segment");
    // 1.tmp is the segment after next, preallocated in the background.
    assert.deepEqual(
      disk.syncs.slice(before).filter((s) => !s.path.endsWith("/1.tmp")),
      [
        { kind: "fdatasync", path: first }, // the save
        { kind: "fdatasync", path: first }, // the full segment, truncated to its records
        { kind: "fdatasync", path: `${WAL_DIR}/0.tmp` }, // the next one's first records, before its rename
        { kind: "fsyncDir", path: WAL_DIR }, // the rename
      ],
    );
    await wal.close();
  });
});

// ---------------------------------------------------------------------------------------------
// The property: random Readies, segment cuts, snapshot markers; a power cut at a random change
// (inside a write, between a write and its fdatasync, inside a segment cut, inside create or
// the repair of a torn tail) or at a random moment with saves in flight; reopen; check.

/** A record as the WAL writes it, for the model: what readAll makes of a prefix of them. */
type ModelRecord = { readonly kind: "entry"; readonly entry: Entry } | { readonly kind: "state"; readonly state: HardState };

interface LogState {
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
}

function applyRecord(state: LogState, record: ModelRecord): LogState {
  if (record.kind === "state") return { entries: state.entries, hardState: record.state };
  // A later write of an index replaces the suffix from it (a new leader's entries).
  return { entries: [...state.entries.slice(0, record.entry.index - 1), record.entry], hardState: state.hardState };
}

/**
 * Writer drives one life of a WAL the way raft would (terms, votes, overwrites of uncommitted
 * suffixes, commit advances) and keeps the model: the records issued since the WAL was opened
 * at `base`, and how far the acknowledged ones reach.
 */
class Writer {
  /** The records issued since open, in the WAL's write order. */
  readonly records: ModelRecord[] = [];
  /** buffered: a commit-only hard state the WAL holds in memory until the next synced write. */
  private buffered: ModelRecord[] = [];
  /** floor: how many of `records` a synced call that resolved before the cut made durable. */
  floor = 0;
  private state: HardState;
  private lastIndex: number;
  /** termAt[i]: the term of the entry at index i, as issued. */
  private readonly termAt: number[];
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly wal: Wal,
    private readonly disk: PowerCutDisk,
    readonly base: LogState,
    private readonly next: (bound: number) => number,
  ) {
    this.state = base.hardState;
    this.lastIndex = base.entries.length;
    this.termAt = [0, ...base.entries.map((e) => e.term)];
  }

  /** step issues one random call; awaits it or not (a Ready pipelined behind another). */
  async step(salt: number): Promise<void> {
    const roll = this.next(100);
    let call: () => Promise<void>;
    let synced: boolean;
    if (roll < 55) {
      // Entries (maybe with a new term that overwrites the uncommitted suffix), commit maybe.
      let state = this.state;
      let from = this.lastIndex + 1;
      if (this.next(5) === 0 || state.term === 0) {
        state = { term: state.term + 1, vote: BigInt(1 + this.next(3)), commit: state.commit };
        from = state.commit + 1 + this.next(this.lastIndex - state.commit + 1);
      }
      const term = state.term;
      const list = Array.from({ length: 1 + this.next(6) }, (_, i) => entry(from + i, term, 1 + this.next(400), salt));
      const last = list.at(-1)!.index;
      if (this.next(2) === 0) state = { ...state, commit: Math.max(state.commit, Math.min(last, state.commit + this.next(4))) };
      const hardState = sameState(state, this.state) && this.next(2) === 0 ? undefined : state;
      call = () => this.wal.save(hardState, list);
      this.flush();
      for (const e of list) this.records.push({ kind: "entry", entry: e });
      if (hardState) this.records.push({ kind: "state", state: hardState });
      this.state = state;
      this.lastIndex = last;
      this.termAt.length = from;
      for (const e of list) this.termAt.push(e.term);
      synced = true;
    } else if (roll < 80) {
      // Commit only: buffered, not synced.
      const state = { ...this.state, commit: Math.min(this.lastIndex, this.state.commit + this.next(3)) };
      call = () => this.wal.save(state, []);
      if (!sameState(state, this.state)) this.buffered.push({ kind: "state", state });
      this.state = state;
      synced = false;
    } else if (roll < 90) {
      // An election, no entries: a new term (voted or not), or a vote in this term if none yet.
      const state =
        this.state.vote === 0n && this.state.term > 0
          ? { ...this.state, vote: BigInt(1 + this.next(3)) }
          : { term: this.state.term + 1, vote: BigInt(this.next(4)), commit: this.state.commit };
      call = () => this.wal.save(state, []);
      this.flush();
      this.records.push({ kind: "state", state });
      this.state = state;
      synced = true;
    } else if (this.state.commit > 0) {
      // A snapshot marker at the commit index (no effect on what readAll returns from index 0).
      const marker = { index: this.state.commit, term: this.termAt[this.state.commit]! };
      call = () => this.wal.saveSnapshot(marker);
      this.flush();
      synced = true;
    } else {
      call = () => this.wal.save(undefined, []);
      synced = false;
    }
    const reach = this.records.length;
    const cutsBefore = this.disk.powerCuts;
    const done = call().then(
      () => {
        // Acknowledged only if it resolved before the power went.
        if (this.disk.powerCuts === cutsBefore && synced) this.floor = Math.max(this.floor, reach);
      },
      () => undefined,
    );
    this.inFlight.push(done);
    if (this.next(4) !== 0) await done;
  }

  private flush(): void {
    this.records.push(...this.buffered);
    this.buffered = [];
  }

  /** settle waits for every call to end (each fails once the power is gone). */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight);
  }
}

interface Recovered {
  readonly wal: Wal;
  readonly state: LogState;
}

/** openLife reopens through a new life's file system, or creates the WAL if none was made durable. */
async function openLife(disk: PowerCutDisk, options: WalOptions): Promise<Recovered> {
  const opts = { ...options, fs: disk.mount() };
  if (!(await Wal.exists(WAL_DIR, opts))) {
    const wal = await Wal.create(WAL_DIR, META, opts);
    return { wal, state: { entries: [], hardState: EMPTY } };
  }
  const wal = await Wal.open(WAL_DIR, undefined, opts);
  const contents = await wal.readAll();
  assert.deepEqual(contents.metadata, META);
  return { wal, state: { entries: contents.entries, hardState: contents.hardState } };
}

/** What a life issued: the state its WAL opened at, the records since, how many were acknowledged. */
interface Issued {
  readonly base: LogState;
  readonly records: readonly ModelRecord[];
  readonly floor: number;
}

/**
 * check: the recovered state is the base plus some prefix of the issued records that reaches at
 * least every acknowledged one — whole records only, in order.
 */
function check(label: string, issued: Issued, recovered: LogState): void {
  let state = issued.base;
  const candidates: LogState[] = [];
  for (let i = 0; i <= issued.records.length; i++) {
    if (i >= issued.floor) candidates.push(state);
    if (i < issued.records.length) state = applyRecord(state, issued.records[i]!);
  }
  const got = show(recovered.entries).join();
  if (candidates.some((c) => sameState(c.hardState, recovered.hardState) && show(c.entries).join() === got)) return;
  const acked = candidates[0]!;
  const hs = (h: HardState): string => `term ${h.term} vote ${h.vote} commit ${h.commit}`;
  assert.fail(
    `${label}: recovered ${recovered.entries.length} entries, ${hs(recovered.hardState)}; no whole-record prefix of the ` +
      `${issued.records.length} records issued that covers the ${issued.floor} acknowledged gives that ` +
      `(acknowledged: ${acked.entries.length} entries, ${hs(acked.hardState)})`,
  );
}

/**
 * scenario: four lives of a WAL on one disk. Each life reopens (checking what it finds against
 * what the life before issued and had acknowledged), then makes random calls until the power
 * goes — at a random change, or at a random moment after its calls with some still in flight.
 */
async function scenario(mode: PowerCutMode, seed: number): Promise<void> {
  const next = seeded(seed);
  const disk = await freshDisk(mode, seed);
  const options: WalOptions = { segmentSize: 2048 + next(4) * 1024 };
  // Before the first create returns nothing is acknowledged: an empty log or no WAL at all.
  let issued: Issued = { base: { entries: [], hardState: EMPTY }, records: [], floor: 0 };
  for (let life = 0; life < 4; life++) {
    const label = `${mode} seed ${seed} life ${life}`;
    const cutsBefore = disk.powerCuts;
    disk.cutAfter(next(life === 0 ? 120 : 80));
    let recovered: Recovered;
    try {
      recovered = await openLife(disk, options);
    } catch (error) {
      if (!(error instanceof PowerCutError) || disk.powerCuts === cutsBefore) throw error;
      continue; // the power went while opening: nothing new was acknowledged, the model stands
    }
    check(label, issued, recovered.state);
    const writer = new Writer(recovered.wal, disk, recovered.state, next);
    const calls = 5 + next(30);
    for (let i = 0; i < calls && disk.powerCuts === cutsBefore; i++) await writer.step(seed * 1000 + life * 100 + i);
    if (disk.powerCuts === cutsBefore) {
      for (let turns = next(6); turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
      disk.powerCut();
    }
    await writer.settle();
    issued = writer;
  }
  const last = await openLife(disk, options);
  check(`${mode} seed ${seed} final`, issued, last.state);
  // The recovered WAL takes appends again.
  const lastIndex = last.state.entries.length;
  await last.wal.save({ ...last.state.hardState, term: last.state.hardState.term + 1 }, [entry(lastIndex + 1, last.state.hardState.term + 1, 10, 0)]);
  await last.wal.close();
}

describe("the WAL across power cuts", () => {
  for (const mode of ["drop", "tear"] as const) {
    test(`${mode}: acknowledged saves survive, nothing torn or out of order appears`, async () => {
      for (let seed = 1; seed <= 60; seed++) await scenario(mode, seed);
    });
  }
});

// ---------------------------------------------------------------------------------------------

function snapshot(term: number, index: number): Snapshot {
  return {
    data: Uint8Array.from({ length: 200 + index }, (_, i) => (i * term + index) & 0xff),
    metadata: { term, index, confState: { voters: [1n, 2n, 3n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
  };
}

describe("the snapshotter across power cuts", () => {
  for (const mode of ["drop", "tear"] as const) {
    test(`${mode}: the newest snapshot save() returned loads, or one in flight; nothing torn loads`, async () => {
      for (let seed = 1; seed <= 60; seed++) {
        const next = seeded(seed);
        const disk = await freshDisk(mode, seed);
        let acked: number | undefined;
        let index = 0;
        for (let life = 0; life < 3; life++) {
          const cutsBefore = disk.powerCuts;
          const fs = disk.mount();
          if (life > 0) await checkSnapshots(fs, acked, index, `${mode} seed ${seed} life ${life}`);
          disk.cutAfter(next(40));
          const snaps = new Snapshotter(SNAP_DIR, { fs });
          try {
            for (let i = 0; i < 8 && disk.powerCuts === cutsBefore; i++) {
              index += 1 + next(10);
              await snaps.save(snapshot(1 + (index >> 4), index));
              if (disk.powerCuts === cutsBefore) acked = index;
              if (next(3) === 0) await snaps.purge(2);
            }
          } catch (error) {
            if (!(error instanceof PowerCutError)) throw error;
          }
          if (disk.powerCuts === cutsBefore) disk.powerCut();
        }
        await checkSnapshots(disk.mount(), acked, index, `${mode} seed ${seed} final`);
      }
    });
  }

  test("a torn .snap file is never loaded: load sets it aside and falls back to the one before", async () => {
    let fellBack = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const disk = await freshDisk("tear", seed);
      const fs = disk.mount();
      const snaps = new Snapshotter(SNAP_DIR, { fs });
      await snaps.save(snapshot(1, 10));
      // A newer file under its real name whose content was never synced (as a snapshotter that
      // renamed before syncing would leave it): the power cut tears it.
      const bytes = await fs.readFile(`${SNAP_DIR}/${(await snaps.snapNames())[0]}`);
      const torn = await fs.open(`${SNAP_DIR}/0000000000000002-0000000000000014.snap`, "w");
      await new Promise<void>((resolve, reject) => torn.write(bytes, 0, bytes.length, 0, (e) => (e ? reject(e) : resolve())));
      await fs.fsyncDir(SNAP_DIR);
      disk.powerCut();
      const reloaded = new Snapshotter(SNAP_DIR, { fs: disk.mount() });
      const loaded = await reloaded.load();
      // The torn file holds snapshot (1, 10)'s bytes: whole, it is a valid file (and says index 10).
      assert.equal(loaded.metadata.index, 10, `seed ${seed}`);
      if (reloaded.broken.length > 0) {
        fellBack++;
        assert.match(reloaded.broken[0]!.reason, /checksum|shorter|undecodable/);
      }
    }
    assert.ok(fellBack > 20, `most seeds tear the file (${fellBack} of 30)`);
  });
});

async function checkSnapshots(fs: WalFileSystem, acked: number | undefined, lastIssued: number, label: string): Promise<void> {
  const snaps = new Snapshotter(SNAP_DIR, { fs });
  let loaded: Snapshot | undefined;
  try {
    loaded = await snaps.load();
  } catch (error) {
    if (!(error instanceof SnapError)) throw error;
  }
  assert.deepEqual(snaps.broken, [], `${label}: no torn file under a real name`);
  if (acked === undefined) return;
  assert.ok(loaded, `${label}: snapshot ${acked} was acknowledged, none loads`);
  assert.ok(loaded.metadata.index >= acked && loaded.metadata.index <= lastIssued, `${label}: loaded ${loaded.metadata.index}, acknowledged ${acked}`);
  assert.deepEqual(loaded, snapshot(loaded.metadata.term, loaded.metadata.index), `${label}: intact`);
}
