// Lease against a live server: grant, time-to-live, list, revoke, keep-alive (renewal,
// loss on revoke, close), keep-alive-once.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Client} from "../src/index.js";
import { LeaseExpiredError, LeaseNotFoundError, text } from "../src/index.js";
import { useServerAndClient } from "./support/servers.js";

let client: Client;

useServerAndClient((_server, connected) => {
  client = connected;
});

describe("lease", () => {
  test("grant, timeToLive with keys, leases, revoke", async () => {
    const lease = await client.lease.grant(60);
    assert.equal(lease.ttl, 60);
    assert.ok(lease.id > 0n);
    await client.put("l/k", "v", { lease: lease.id });
    const ttl = await client.lease.timeToLive(lease.id, { keys: true });
    assert.equal(ttl.grantedTtl, 60);
    assert.ok(ttl.ttl > 0 && ttl.ttl <= 60);
    assert.deepEqual(ttl.keys.map((k) => text(k)), ["l/k"]);
    const ns = await client.namespace("l/").lease.timeToLive(lease.id, { keys: true });
    assert.deepEqual(ns.keys.map((k) => text(k)), ["k"]);
    assert.ok((await client.lease.leases()).leases.includes(lease.id));
    await client.lease.revoke(lease.id);
    assert.equal((await client.lease.timeToLive(lease.id)).ttl, -1);
    assert.equal((await client.get("l/k")).count, 0);
    await assert.rejects(client.lease.revoke(lease.id), LeaseNotFoundError);
  });

  test("a chosen lease ID above 2^53 is kept exactly", async () => {
    const id = 0x7fff_ffff_ffff_fff0n;
    const lease = await client.lease.grant(30, { id });
    assert.equal(lease.id, id);
    await client.lease.revoke(id);
  });

  test("keepAliveOnce renews; on a revoked lease it is LeaseNotFoundError", async () => {
    const lease = await client.lease.grant(30);
    const res = await client.lease.keepAliveOnce(lease.id);
    assert.equal(res.id, lease.id);
    assert.equal(res.ttl, 30);
    await client.lease.revoke(lease.id);
    const err = await client.lease.keepAliveOnce(lease.id).catch((e: unknown) => e);
    assert.ok(err instanceof LeaseNotFoundError, String(err));
  });

  test("keepAlive keeps a short lease alive past its TTL; close stops it", async () => {
    const lease = await client.lease.grant(2);
    const keepAlive = client.lease.keepAlive(lease.id, { ttl: 2 });
    let renewals = 0;
    keepAlive.onKeepAlive((res) => {
      assert.equal(res.id, lease.id);
      renewals++;
    });
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(renewals >= 3, `${renewals} renewals in 3 s of a 2 s lease`);
    // Alive 3 s into a 2 s lease. TTL counts whole seconds left, rounded down: a live lease
    // renewed more than a second ago on a busy machine shows 0; an expired one shows -1.
    const left = (await client.lease.timeToLive(lease.id)).ttl;
    assert.ok(left >= 0 && left <= 2, `TTL ${left}`);
    keepAlive.close();
    assert.equal(await keepAlive.done, undefined);
    await client.lease.revoke(lease.id);
  });

  test("keepAlive reports the loss of a revoked lease with LeaseExpiredError", async () => {
    // Loss is noticed at the next renewal, TTL/3 later.
    const lease = await client.lease.grant(3);
    const keepAlive = client.lease.keepAlive(lease.id, { ttl: 3 });
    await new Promise<void>((resolve) => keepAlive.onKeepAlive(() => resolve()));
    await client.lease.revoke(lease.id);
    const done = await keepAlive.done;
    assert.ok(done instanceof LeaseExpiredError);
    assert.equal(done.leaseId, lease.id);
  });

  test("two handles on one lease share it; the lease is renewed until both close", async () => {
    const lease = await client.lease.grant(3);
    const a = client.lease.keepAlive(lease.id);
    const b = client.lease.keepAlive(lease.id);
    await new Promise<void>((resolve) => b.onKeepAlive(() => resolve()));
    a.close();
    assert.equal(await a.done, undefined);
    await client.lease.revoke(lease.id);
    assert.ok((await b.done) instanceof LeaseExpiredError);
  });
});
