// The lessor on a fake clock: etcd's grant/revoke/renew/TimeToLive semantics and errors,
// countdowns only on the leader, leader changes never expiring a lease early, bounded
// expiry, checkpoints, and what is persisted.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LeaseExistError, LeaseNotFoundError, LeaseTTLTooLargeError } from "@etcd-ts/api";
import { Lessor, MAX_LEASE_TTL, NotPrimaryError, minLeaseTTL, type LeaseRecord, type LessorConfig } from "../src/index.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function setup(config: Partial<LessorConfig> = {}) {
  let now = 1_000_000;
  const lessor = new Lessor({ minLeaseTTL: 2, now: () => now, ...config });
  return { lessor, advance: (ms: number) => (now += ms), now: () => now };
}

/** track records whether a promise has settled, without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>) {
  const tracked = { promise, settled: false };
  promise.then(
    () => (tracked.settled = true),
    () => (tracked.settled = true),
  );
  return tracked;
}

/** settle lets every queued promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("state machine side", () => {
  test("the minimum TTL is 1.5 election timeouts rounded up to seconds", () => {
    assert.equal(minLeaseTTL(1000), 2);
    assert.equal(minLeaseTTL(5000), 8);
    assert.equal(minLeaseTTL(100), 1);
  });

  test("grant floors the TTL, and refuses ID 0, a taken ID and a TTL above the maximum with etcd's errors", () => {
    const { lessor } = setup();
    assert.equal(lessor.grant(1n, 1).ttl, 2);
    assert.equal(lessor.grant(2n, 60).ttl, 60);
    assert.throws(() => lessor.grant(0n, 10), LeaseNotFoundError);
    assert.throws(() => lessor.grant(1n, 10), (e: unknown) => e instanceof LeaseExistError && e.message === "etcdserver: lease already exists");
    assert.throws(() => lessor.grant(3n, MAX_LEASE_TTL + 1), (e: unknown) => e instanceof LeaseTTLTooLargeError && e.message === "etcdserver: too large lease TTL");
    assert.equal(lessor.grant(4n, MAX_LEASE_TTL).ttl, MAX_LEASE_TTL);
  });

  test("revoke returns the attached keys in byte order and forgets the lease", () => {
    const { lessor } = setup();
    lessor.grant(7n, 10);
    lessor.attach(7n, [bytes("b"), bytes("a"), bytes("c")]);
    lessor.detach(7n, [bytes("c")]);
    assert.deepEqual(lessor.revoke(7n).map(text), ["a", "b"]);
    assert.equal(lessor.has(7n), false);
    assert.throws(() => lessor.revoke(7n), (e: unknown) => e instanceof LeaseNotFoundError && e.message === "etcdserver: requested lease not found");
    assert.throws(() => lessor.attach(7n, [bytes("x")]), LeaseNotFoundError);
  });

  test("every persisted change is queued for the caller's transaction, in order", () => {
    const { lessor } = setup({ persistCheckpoints: true });
    lessor.grant(1n, 10);
    lessor.grant(2n, 20);
    lessor.checkpoint(2n, 15);
    lessor.revoke(1n);
    assert.deepEqual(lessor.drainPersistence(), [
      { kind: "put", record: { id: 1n, ttl: 10, remainingTTL: 0 } },
      { kind: "put", record: { id: 2n, ttl: 20, remainingTTL: 0 } },
      { kind: "put", record: { id: 2n, ttl: 20, remainingTTL: 15 } },
      { kind: "delete", id: 1n },
    ]);
    assert.deepEqual(lessor.drainPersistence(), []);
  });

  test("restore rebuilds leases from records with identical IDs and TTLs", () => {
    const { lessor } = setup();
    lessor.grant(0x7fff_0000_0000_0001n, 30);
    lessor.grant(5n, 100);
    lessor.checkpoint(5n, 40);
    const records = lessor.list().map((l) => l.record());
    const { lessor: restored } = setup();
    restored.restore(records);
    assert.deepEqual(restored.list().map((l) => l.record()), records);
    assert.equal(restored.timeToLive(5n, false).ttl, 40, "a follower reports the checkpointed remainder");
  });
});

describe("leader side", () => {
  test("leases never expire on a follower; on the leader they expire after their TTL", () => {
    const { lessor, advance } = setup();
    lessor.grant(1n, 5);
    advance(60_000);
    assert.deepEqual(lessor.expiredLeases(), []);
    lessor.promote(0);
    advance(4_999);
    assert.deepEqual(lessor.expiredLeases(), []);
    advance(1);
    assert.deepEqual(lessor.expiredLeases(), [1n]);
    assert.deepEqual(lessor.expiredLeases(), [], "handed out once, then only after the retry interval");
    advance(3_000);
    assert.deepEqual(lessor.expiredLeases(), [1n], "still alive (its revoke was lost): handed out again");
    lessor.revoke(1n);
    advance(10_000);
    assert.deepEqual(lessor.expiredLeases(), []);
  });

  test("promote extends every lease by the given time, so a leader change never expires one early", () => {
    const { lessor, advance } = setup();
    lessor.promote(0);
    lessor.grant(1n, 10);
    advance(9_000); // 1 s left under the old leader
    lessor.demote();
    lessor.promote(1_000); // new leader: a full TTL plus one election timeout
    advance(10_999);
    assert.deepEqual(lessor.expiredLeases(), []);
    advance(1);
    assert.deepEqual(lessor.expiredLeases(), [1n]);
  });

  test("renew restarts the countdown and returns the TTL; leader only; an unknown lease is not found at once", async () => {
    const { lessor, advance } = setup();
    lessor.grant(1n, 10);
    await assert.rejects(lessor.renew(1n), NotPrimaryError);
    lessor.promote(0);
    advance(8_000);
    assert.equal(await lessor.renew(1n), 10);
    advance(8_000);
    assert.deepEqual(lessor.expiredLeases(), []);
    assert.equal(lessor.timeToLive(1n, false).ttl, 2);
    await assert.rejects(lessor.renew(99n), LeaseNotFoundError);
  });

  test("renewing an expired lease whose revoke has not applied yet waits for the revoke, then is not found", async () => {
    const { lessor, advance } = setup();
    lessor.promote(0);
    lessor.grant(1n, 5);
    lessor.grant(2n, 60);
    advance(5_000);
    assert.deepEqual(lessor.expiredLeases(), [1n]); // the server proposes its revoke now
    const renewal = track(lessor.renew(1n));
    await settle();
    assert.equal(renewal.settled, false, "answered before the revoke applied");
    assert.equal(await lessor.renew(2n), 60, "other leases are renewed meanwhile");
    advance(3_000);
    assert.deepEqual(lessor.expiredLeases(), [1n], "the revoke was lost: proposed again");
    await settle();
    assert.equal(renewal.settled, false);
    lessor.revoke(1n); // the revoke applies
    await assert.rejects(renewal.promise, LeaseNotFoundError);
  });

  test("renewing an expired lease waits until the member stops leading, then is not primary", async () => {
    const { lessor, advance } = setup();
    lessor.promote(0);
    lessor.grant(1n, 5);
    advance(6_000);
    const renewal = track(lessor.renew(1n));
    await settle();
    assert.equal(renewal.settled, false);
    lessor.demote(); // the revoke may never apply under this leader: the client retries elsewhere
    await assert.rejects(renewal.promise, NotPrimaryError);
    assert.equal(lessor.has(1n), true);
  });

  test("renewing an expired lease across a restore: gone is not found, kept is renewed from its restored countdown", async () => {
    const { lessor, advance } = setup();
    lessor.promote(0);
    lessor.grant(1n, 5);
    lessor.grant(2n, 5);
    const records = lessor.list().map((l) => l.record());
    advance(6_000);
    const gone = track(lessor.renew(1n));
    const kept = track(lessor.renew(2n));
    await settle();
    assert.equal(gone.settled || kept.settled, false);
    lessor.restore(records.filter((r) => r.id === 2n)); // e.g. a snapshot from the new leader
    await assert.rejects(gone.promise, LeaseNotFoundError);
    assert.equal(await kept.promise, 5);
  });

  test("timeToLive reports granted TTL, whole seconds left (truncated), and the keys on request", () => {
    const { lessor, advance } = setup();
    lessor.promote(0);
    lessor.grant(1n, 60);
    lessor.attach(1n, [bytes("k2"), bytes("k1")]);
    advance(1_500);
    const status = lessor.timeToLive(1n, true);
    assert.equal(status.grantedTTL, 60);
    assert.equal(status.ttl, 58);
    assert.deepEqual(status.keys.map(text), ["k1", "k2"]);
    assert.deepEqual(lessor.timeToLive(1n, false).keys, []);
    assert.throws(() => lessor.timeToLive(2n, false), LeaseNotFoundError);
  });

  test("expiry is handed out at a bounded rate", () => {
    const { lessor, advance } = setup({ revokeRate: 100 });
    lessor.promote(0);
    for (let i = 1n; i <= 300n; i++) lessor.grant(i, 5);
    advance(5_000);
    assert.equal(lessor.expiredLeases().length, 50);
    assert.equal(lessor.expiredLeases().length, 50);
    assert.equal(lessor.expiredLeases(1000).length, 200);
  });

  test("promote spreads a pile-up of expiries to 3/4 of the revoke rate per second", () => {
    const { lessor, advance } = setup({ revokeRate: 100 });
    for (let i = 1n; i <= 300n; i++) lessor.grant(i, 10);
    lessor.promote(0);
    // Count what falls due in each second after the TTL.
    advance(10_000);
    const perSecond: number[] = [];
    for (let s = 0; s < 6; s++) {
      const expired = lessor.expiredLeases(10_000);
      for (const id of expired) lessor.revoke(id); // as the server's revoke proposals would
      perSecond.push(expired.length);
      advance(1_000);
    }
    assert.equal(perSecond.reduce((a, b) => a + b, 0), 300);
    for (const count of perSecond) assert.ok(count <= 76, `at most ~75 a second, got ${perSecond.join(",")}`);
  });

  test("checkpoints are off by default (etcd 3.4/3.5): none is ever due", async () => {
    const { lessor, advance } = setup({ checkpointIntervalMs: 60_000 });
    lessor.promote(0);
    lessor.grant(1n, 3600);
    // A checkpoint applied from the log (an older leader had them on) schedules none here,
    // and neither does the renewal that resets its remainder.
    lessor.checkpoint(1n, 3000);
    assert.equal(await lessor.renew(1n), 3600);
    for (let minute = 0; minute < 10; minute++) {
      advance(60_000);
      assert.deepEqual(lessor.dueCheckpoints(), []);
    }
  });

  test("without checkpoints, a restart or a leader change gives every lease its full TTL plus the election timeout", () => {
    const { lessor, advance } = setup({ checkpointIntervalMs: 60_000 });
    const follower = setup({ checkpointIntervalMs: 60_000 }).lessor;
    const backend = new Map<bigint, LeaseRecord>(); // the leader's lease table
    // What applying a committed entry does on both members, the leader's writes kept.
    const apply = (step: (l: Lessor) => void): void => {
      step(lessor);
      step(follower);
      for (const op of lessor.drainPersistence()) {
        if (op.kind === "put") backend.set(op.record.id, op.record);
        else backend.delete(op.id);
      }
      follower.drainPersistence();
    };
    lessor.promote(0);
    apply((l) => l.grant(1n, 3600));
    for (let minute = 0; minute < 10; minute++) {
      advance(60_000);
      const due = lessor.dueCheckpoints();
      apply((l) => due.forEach((c) => l.checkpoint(c.id, c.remainingTTL)));
    }
    assert.equal(lessor.timeToLive(1n, false).ttl, 3000, "ten minutes went by on the leader");

    const restarted = setup().lessor;
    restarted.restore([...backend.values()]);
    restarted.promote(1_000);
    assert.equal(restarted.timeToLive(1n, false).ttl, 3601, "restart: full TTL + election timeout");

    lessor.demote();
    follower.promote(1_000);
    assert.equal(follower.timeToLive(1n, false).ttl, 3601, "leader change: full TTL + election timeout");
  });

  test("checkpoints: long leases get their remaining TTL recorded, and a new leader resumes from it", async () => {
    const { lessor, advance } = setup({ checkpointing: true, persistCheckpoints: true, checkpointIntervalMs: 60_000 });
    lessor.promote(0);
    lessor.grant(1n, 3600);
    lessor.grant(2n, 30); // shorter than the interval: never checkpointed
    advance(60_000);
    const due = lessor.dueCheckpoints();
    assert.deepEqual(due, [{ id: 1n, remainingTTL: 3540 }]);
    for (const c of due) lessor.checkpoint(c.id, c.remainingTTL); // applied through consensus

    // A follower that applied the checkpoint becomes leader: it counts down from 3540 s, not 3600 s.
    const records = lessor.list().map((l) => l.record());
    const other = setup({ checkpointing: true, persistCheckpoints: true, checkpointIntervalMs: 60_000 });
    other.lessor.restore(records);
    other.lessor.promote(1_000);
    assert.equal(other.lessor.timeToLive(1n, false).ttl, 3541);

    // Renewing clears the remainder everywhere with a checkpoint of 0.
    await other.lessor.renew(1n);
    assert.deepEqual(other.lessor.dueCheckpoints(), [{ id: 1n, remainingTTL: 0 }]);
  });

  test("checkpoints without persistence (etcd's default when on): kept across a leader change, not across a restart", () => {
    const { lessor, advance } = setup({ checkpointing: true, checkpointIntervalMs: 60_000 });
    const follower = setup({ checkpointing: true, checkpointIntervalMs: 60_000 }).lessor;
    lessor.promote(0);
    for (const l of [lessor, follower]) l.grant(1n, 3600);
    advance(60_000);
    const due = lessor.dueCheckpoints();
    assert.deepEqual(due, [{ id: 1n, remainingTTL: 3540 }]);
    for (const l of [lessor, follower]) for (const c of due) l.checkpoint(c.id, c.remainingTTL);
    assert.deepEqual(lessor.drainPersistence(), [{ kind: "put", record: { id: 1n, ttl: 3600, remainingTTL: 0 } }], "only the grant is written");

    lessor.demote();
    follower.promote(1_000);
    assert.equal(follower.timeToLive(1n, false).ttl, 3541, "leader change: the checkpointed remainder");

    const restarted = setup({ checkpointing: true }).lessor;
    restarted.restore([{ id: 1n, ttl: 3600, remainingTTL: 0 }]);
    restarted.promote(1_000);
    assert.equal(restarted.timeToLive(1n, false).ttl, 3601, "restart: full TTL + election timeout");
  });

  test("demote stops countdowns and checkpoints", () => {
    const { lessor, advance } = setup({ checkpointing: true, checkpointIntervalMs: 1_000 });
    lessor.promote(0);
    lessor.grant(1n, 5);
    lessor.demote();
    advance(100_000);
    assert.deepEqual(lessor.expiredLeases(), []);
    assert.deepEqual(lessor.dueCheckpoints(), []);
    assert.equal(lessor.isPrimary, false);
  });
});
