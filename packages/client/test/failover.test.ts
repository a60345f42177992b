// A three-member cluster loses the member the client is pinned to: reads and writes move
// to the others, a watch resumes there without gap or duplicate, a keep-alive survives.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, UnknownOutcomeError, text, type WatchEvent } from "../src/index.js";
import { startCluster, type TestCluster } from "./support/servers.js";

let cluster: TestCluster;

before(async () => {
  cluster = await startCluster(3);
});

after(async () => {
  await cluster?.stop();
});

/**
 * putChecked writes a key; when the outcome is unknown (the connection died under the
 * write), it reads the key back and writes again only if the first write did not land:
 * the pattern UnknownOutcomeError asks of callers.
 */
async function putChecked(client: Client, key: string, value: string): Promise<void> {
  try {
    await client.put(key, value);
  } catch (err) {
    if (!(err instanceof UnknownOutcomeError)) throw err;
    if ((await client.getString(key)) !== value) await client.put(key, value);
  }
}

test("the pinned member dies: calls, a watch and a keep-alive carry on with the others", async () => {
  // Pin a follower: a dead leader would add etcd's own election and request timeout (~6 s)
  // to the test without exercising more of the client.
  const probe = new Client({ endpoints: cluster.endpoints });
  const leader = (await probe.maintenance.status()).leader;
  const { members } = await probe.cluster.memberList();
  await probe.close();
  const victim = cluster.members.find((m) => members.find((x) => x.ID !== leader && x.clientURLs[0] === m.clientUrl))!;
  const client = new Client({ endpoints: [victim.clientUrl, ...cluster.endpoints.filter((e) => e !== victim.clientUrl)] });
  try {
    const watcher = client.watch("f/", { prefix: true });
    await watcher.ready;
    const lease = await client.lease.grant(3);
    const keepAlive = client.lease.keepAlive(lease.id, { ttl: 3 });
    await client.put("f/leased", "v", { lease: lease.id });
    const iterator = watcher[Symbol.asyncIterator]();
    const events: WatchEvent[] = [];
    const expected: string[] = ["f/leased"];
    for (let i = 0; i < 5; i++) {
      await client.put(`f/${i}`, "v");
      expected.push(`f/${i}`);
    }
    // The client pins the first endpoint; kill it.
    await victim.kill();
    for (let i = 5; i < 10; i++) {
      await putChecked(client, `f/${i}`, "v");
      expected.push(`f/${i}`);
    }
    assert.equal(await client.getString("f/9"), "v");
    while (events.length < expected.length) {
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([
        iterator.next(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${events.length} events`)), 10_000))),
      ]).finally(() => clearTimeout(timer));
      if (next.done) break;
      events.push(...next.value.events);
    }
    assert.deepEqual(events.map((e) => text(e.kv.key)), expected);
    // The lease outlives its TTL thanks to the keep-alive moving to another member.
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(await client.getString("f/leased"), "v");
    keepAlive.close();
  } finally {
    await client.close();
  }
});
