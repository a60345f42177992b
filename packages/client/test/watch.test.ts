// Watch against a live server: events and options, many watches on one stream, compaction
// as a typed error, cancellation, and resuming without gaps or duplicates across a restart.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client, WatchCompactedError, text, type WatchEvent, type Watcher } from "../src/index.js";
import { useServerAndClient, type TestCluster } from "./support/servers.js";

let server: TestCluster;
let client: Client;

useServerAndClient((started, connected) => {
  server = started;
  client = connected;
});

/**
 * take reads `n` events from a watcher (failing after 10 s) without ending the iteration
 * (breaking out of a for-await loop would cancel the watch).
 */
async function take(watcher: Watcher, n: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const iterator = watcher[Symbol.asyncIterator]();
  const deadline = Date.now() + 10_000;
  while (events.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`got ${events.length} of ${n} events`)), Math.max(0, deadline - Date.now()));
    });
    try {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) break;
      events.push(...next.value.events);
    } finally {
      clearTimeout(timer);
    }
  }
  assert.ok(events.length >= n, `got ${events.length} of ${n} events`);
  return events;
}

/** metric reads one gauge from the server's /metrics. */
async function metric(name: string): Promise<number> {
  const body = await (await fetch(`${server.endpoints[0]}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1]);
}

const summary = (e: WatchEvent): string => `${e.type} ${text(e.kv.key)}=${text(e.kv.value)}`;

describe("watch", () => {
  test("put and delete events of one key, with prevKv", async () => {
    const watcher = client.watch("w/k", { prevKv: true });
    const startRev = await watcher.ready;
    assert.ok(startRev > 0);
    await client.put("w/k", "1");
    await client.put("w/other", "x");
    await client.delete("w/k");
    const events = await take(watcher, 2);
    assert.deepEqual(events.map(summary), ["put w/k=1", "delete w/k="]);
    assert.equal(text(events[1]!.prevKv?.value), "1");
    assert.equal(events[0]!.kv.modRevision, startRev + 1);
  });

  test("prefix watch from a past revision replays history; filters drop event types", async () => {
    const first = await client.put("h/a", "1");
    await client.put("h/b", "2");
    await client.delete("h/a");
    const all = await take(client.watch("h/", { prefix: true, startRevision: first.header.revision }), 3);
    assert.deepEqual(all.map(summary), ["put h/a=1", "put h/b=2", "delete h/a="]);
    const noPut = await take(client.watch("h/", { prefix: true, startRevision: first.header.revision, filters: { noPut: true } }), 1);
    assert.deepEqual(noPut.map(summary), ["delete h/a="]);
    const noDelete = await take(client.watch("h/", { prefix: true, startRevision: first.header.revision, filters: { noDelete: true } }), 2);
    assert.deepEqual(noDelete.map(summary), ["put h/a=1", "put h/b=2"]);
  });

  test("events() yields single events; a txn's events share one revision", async () => {
    const watcher = client.watch("x/", { prefix: true });
    await watcher.ready;
    const { Op } = await import("../src/index.js");
    await client.txn().then(Op.put("x/1", "a"), Op.put("x/2", "b")).commit();
    const seen: string[] = [];
    const revisions = new Set<number>();
    for await (const e of watcher.events()) {
      seen.push(summary(e));
      revisions.add(e.kv.modRevision);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ["put x/1=a", "put x/2=b"]);
    assert.equal(revisions.size, 1);
  });

  test("progress requests answer with the current revision", async () => {
    const watcher = client.watch("quiet/", { prefix: true });
    await watcher.ready;
    const put = await client.put("elsewhere", "v");
    client.watcher.requestProgress();
    for await (const res of watcher) {
      assert.equal(res.progressNotify, true);
      assert.ok(res.revision >= put.header.revision);
      break;
    }
  });

  test("many watches share one gRPC stream, and the stream closes with the last one", async () => {
    const streams = await metric("etcd_debugging_mvcc_watch_stream_total");
    const watchersBefore = await metric("etcd_debugging_mvcc_watcher_total");
    const own = new Client({ endpoints: server.endpoints });
    try {
      const watchers = Array.from({ length: 40 }, (_, i) => own.watch(`many/${i}`));
      await Promise.all(watchers.map((w) => w.ready));
      assert.equal(await metric("etcd_debugging_mvcc_watch_stream_total"), streams + 1);
      assert.equal(await metric("etcd_debugging_mvcc_watcher_total"), watchersBefore + 40);
      await client.put("many/7", "seven");
      const [event] = await take(watchers[7]!, 1);
      assert.equal(summary(event!), "put many/7=seven");
      for (const w of watchers) await w.cancel();
      for (let i = 0; i < 100 && (await metric("etcd_debugging_mvcc_watch_stream_total")) !== streams; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await metric("etcd_debugging_mvcc_watch_stream_total"), streams);
    } finally {
      await own.close();
    }
  });

  test("a watch from a compacted revision fails with WatchCompactedError carrying the compact revision", async () => {
    const first = await client.put("cw/k", "1");
    const second = await client.put("cw/k", "2");
    await client.compact(second.header.revision);
    const watcher = client.watch("cw/k", { startRevision: first.header.revision });
    await assert.rejects(
      (async () => {
        for await (const _ of watcher) assert.fail("no events expected");
      })(),
      (err: unknown) => err instanceof WatchCompactedError && err.compactRevision === second.header.revision,
    );
  });

  test("an abort signal and breaking out of the loop both cancel the watch", async () => {
    const controller = new AbortController();
    const watcher = client.watch("ab/k", { signal: controller.signal });
    await watcher.ready;
    setTimeout(() => controller.abort(), 20);
    for await (const _ of watcher) assert.fail("no events expected");
    const other = client.watch("ab/k");
    await other.ready;
    await client.put("ab/k", "v");
    for await (const _ of other) break;
  });

  test("a namespaced watch sees its own keys, stripped", async () => {
    const ns = client.namespace("nsw/");
    const watcher = ns.watch("", { prefix: true });
    await watcher.ready;
    await client.put("nsw-outside", "no");
    await ns.put("inside", "yes");
    const [event] = await take(watcher, 1);
    assert.equal(summary(event!), "put inside=yes");
  });
});

describe("watch across a server restart", () => {
  test("resumes from the last delivered revision: no gap, no duplicate", async () => {
    const watcher = client.watch("r/", { prefix: true });
    await watcher.ready;
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      await client.put(`r/${i}`, `${i}`);
      expected.push(`put r/${i}=${i}`);
    }
    const before = await take(watcher, 5);
    assert.equal(before.length, 5);
    const member = server.members[0]!;
    await member.kill();
    await member.start();
    for (let i = 5; i < 10; i++) {
      await client.put(`r/${i}`, `${i}`);
      expected.push(`put r/${i}=${i}`);
    }
    const afterRestart = await take(watcher, 5);
    assert.deepEqual([...before, ...afterRestart].map(summary), expected);
    const revisions = [...before, ...afterRestart].map((e) => e.kv.modRevision);
    assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b));
    assert.equal(new Set(revisions).size, 10);
  });
});
