// Auto-compaction schedules, on a fake timer: revision mode keeps `retention` revisions;
// periodic mode compacts to the revision seen one retention ago.
import assert from "node:assert/strict";
import { test, mock } from "node:test";
import { AutoCompactor, parseRetentionMs } from "../src/etcdserver/AutoCompactor.js";

test("retention parsing: bare numbers are hours, durations as Go writes them", () => {
  assert.equal(parseRetentionMs("1"), 3_600_000);
  assert.equal(parseRetentionMs("0.5"), 1_800_000);
  assert.equal(parseRetentionMs("90m"), 5_400_000);
  assert.equal(parseRetentionMs("1h30m"), 5_400_000);
  assert.equal(parseRetentionMs("10s"), 10_000);
  assert.throws(() => parseRetentionMs("soon"));
});

test("revision mode compacts to current minus retention every 5 minutes, on the leader only", () => {
  mock.timers.enable({ apis: ["setInterval", "Date"] });
  try {
    let revision = 100;
    let leader = true;
    const compacted: number[] = [];
    const compactor = new AutoCompactor({ isLeader: () => leader, currentRevision: () => revision, compact: (r) => { compacted.push(r); return Promise.resolve(); } }, "revision", "30");
    compactor.start();
    mock.timers.tick(5 * 60_000);
    assert.deepEqual(compacted, [70]);
    mock.timers.tick(5 * 60_000);
    assert.deepEqual(compacted, [70], "nothing new to compact");
    revision = 200;
    leader = false;
    mock.timers.tick(5 * 60_000);
    assert.deepEqual(compacted, [70], "followers do not compact");
    leader = true;
    mock.timers.tick(5 * 60_000);
    assert.deepEqual(compacted, [70, 170]);
    compactor.stop();
  } finally {
    mock.timers.reset();
  }
});

test("periodic mode compacts to the revision sampled one retention ago", () => {
  mock.timers.enable({ apis: ["setInterval", "Date"], now: 0 });
  try {
    let revision = 1;
    const compacted: number[] = [];
    const compactor = new AutoCompactor({ isLeader: () => true, currentRevision: () => revision, compact: (r) => { compacted.push(r); return Promise.resolve(); } }, "periodic", "100s");
    compactor.start(); // sample at t=0: revision 1
    for (let t = 1; t <= 20; t++) {
      revision = t * 10; // revision grows 10 per 10 s
      mock.timers.tick(10_000);
    }
    // At t = 200 s the sample from t = 100 s (revision 100) is one retention old.
    assert.equal(compacted.at(-1), 100);
    assert.ok(compacted.every((r, i) => i === 0 || r > compacted[i - 1]!));
    compactor.stop();
  } finally {
    mock.timers.reset();
  }
});
