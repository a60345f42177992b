// Leases across a member restart, in-process: with checkpointing off (etcd 3.4/3.5's default)
// a restarted member gives a lease its full TTL again plus an election timeout; with
// --experimental-enable-lease-checkpoint and -persist it resumes from the checkpointed
// remaining TTL. The checkpoint interval is shortened (only an embedder can) so one is
// recorded within the test.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { etcdserverpb as pb } from "@etcd-ts/api";
import { startEtcd, type EtcdConfigOptions } from "../src/index.js";

const LEASE = 0x1234n;
const TTL = 3600;

/** Starts a member on `dataDir` with `options` on free ports. */
const start = (dataDir: string, options: EtcdConfigOptions = {}) =>
  startEtcd({ dataDir, listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"], ...options });

/** Polls `check` every 100 ms until it holds, failing with `what` after 20 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries++) {
    if (tries > 200) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withDataDir(body: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "etcd-ts-lease-"));
  try {
    await body(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

test("checkpointing off (the default): a restarted member gives a lease its full TTL plus an election timeout", async () => {
  await withDataDir(async (dataDir) => {
    const first = await start(dataDir);
    try {
      await first.server.propose("leaseGrant", pb.LeaseGrantRequest.create({ ID: LEASE, TTL }));
      // Long enough for the countdown to show, and for a checkpoint had any been scheduled.
      await until("3 s of the lease to pass", () => first.server.lessor.timeToLive(LEASE, false).ttl <= TTL - 3);
      assert.equal(first.server.lessor.lookup(LEASE)?.remainingTTL, 0, "no checkpoint was recorded");
    } finally {
      await first.close();
    }
    const second = await start(dataDir);
    try {
      // Full TTL + 1 s (the election timeout); one second of slack for the start itself.
      assert.ok(second.server.lessor.timeToLive(LEASE, false).ttl >= TTL, `full TTL again, got ${second.server.lessor.timeToLive(LEASE, false).ttl}`);
    } finally {
      await second.close();
    }
  });
});

test("checkpointing and persisting on: a restarted member resumes from the checkpointed remaining TTL", async () => {
  await withDataDir(async (dataDir) => {
    const options = { experimentalEnableLeaseCheckpoint: true, experimentalEnableLeaseCheckpointPersist: true, leaseCheckpointInterval: 500 };
    const first = await start(dataDir, options);
    let checkpointed = 0;
    try {
      await first.server.propose("leaseGrant", pb.LeaseGrantRequest.create({ ID: LEASE, TTL }));
      // A checkpoint applied through raft sets the remaining TTL on the member's lessor.
      await until("a checkpoint 3 s into the lease", () => {
        checkpointed = first.server.lessor.lookup(LEASE)?.remainingTTL ?? 0;
        return checkpointed > 0 && checkpointed <= TTL - 3;
      });
    } finally {
      await first.close();
    }
    const second = await start(dataDir, options);
    try {
      // At most the last checkpoint written plus the election timeout (a later one may have been written).
      const ttl = second.server.lessor.timeToLive(LEASE, false).ttl;
      assert.ok(ttl <= checkpointed + 1, `resumed from the checkpoint (${checkpointed} s), got ${ttl}`);
    } finally {
      await second.close();
    }
  });
});
