// STM against a live server: bank transfers under contention keep the total at every
// isolation level that detects conflicts; aborts; read-committed commits blindly.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Client } from "@etcd-ts/client";
import { Barrier, DoubleBarrier, PriorityQueue, Queue, Session, runSTM, type Isolation } from "../src/index.js";
import { useServerAndClient } from "./support/servers.js";

let client: Client;

useServerAndClient((_server, connected) => {
  client = connected;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("stm", () => {
  for (const isolation of ["serializableSnapshot", "serializable", "repeatableReads"] as Isolation[]) {
    test(`${isolation}: concurrent bank transfers keep the total`, async () => {
      const accounts = 5;
      const prefix = `bank-${isolation}/`;
      for (let i = 0; i < accounts; i++) await client.put(`${prefix}${i}`, "100");
      let attempts = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, worker) => {
          for (let t = 0; t < 8; t++) {
            const from = `${prefix}${(worker + t) % accounts}`;
            const to = `${prefix}${(worker + t + 1 + (t % 3)) % accounts}`;
            await runSTM(
              client,
              async (stm) => {
                attempts++;
                const a = Number(await stm.get(from));
                const b = Number(await stm.get(to));
                const amount = Math.min(a, 1 + ((worker * 7 + t) % 20));
                stm.put(from, String(a - amount));
                stm.put(to, String(b + amount));
              },
              { isolation },
            );
          }
        }),
      );
      const res = await client.get(prefix, { prefix: true });
      const total = res.kvs.reduce((sum, kv) => sum + Number(new TextDecoder().decode(kv.value)), 0);
      assert.equal(total, accounts * 100);
      assert.ok(attempts >= 32);
    });
  }

  test("an error thrown by the function aborts without writing; prefetch and rev work", async () => {
    await client.put("stm/x", "1");
    await assert.rejects(
      runSTM(client, async (stm) => {
        // read-modify-write, then give up: the buffered write must not reach the store
        stm.put("stm/x", String(Number(await stm.get("stm/x")) + 1));
        throw new Error("give up");
      }),
      /give up/,
    );
    assert.equal(await client.getString("stm/x"), "1");
    const res = await runSTM(
      client,
      async (stm) => {
        assert.ok((await stm.rev("stm/x")) > 0);
        assert.equal(await stm.get("stm/missing", "stm/x"), "");
        stm.del("stm/x");
        assert.equal(await stm.get("stm/x"), "");
      },
      { prefetch: ["stm/x"] },
    );
    assert.equal(res.succeeded, true);
    assert.equal((await client.get("stm/x")).count, 0);
  });

  test("readCommitted commits without conflict checks", async () => {
    await client.put("rc/k", "1");
    await runSTM(
      client,
      async (stm) => {
        const v = await stm.get("rc/k");
        await client.put("rc/k", "interfering");
        stm.put("rc/k", `${v}+1`);
      },
      { isolation: "readCommitted" },
    );
    assert.equal(await client.getString("rc/k"), "1+1");
  });
});

describe("recipes", () => {
  test("barrier: waiters pass once released", async () => {
    const barrier = new Barrier(client, "barrier/b");
    await barrier.hold();
    let passed = false;
    const waiting = new Barrier(client, "barrier/b").wait().then(() => (passed = true));
    await sleep(200);
    assert.equal(passed, false);
    await barrier.release();
    await waiting;
    await new Barrier(client, "barrier/b").wait();
  });

  test("double barrier: three parties enter and leave together", async () => {
    const sessions = await Promise.all([0, 1, 2].map(() => Session.create(client, { ttl: 10 })));
    const log: string[] = [];
    await Promise.all(
      sessions.map(async (s, i) => {
        const b = new DoubleBarrier(s, "dbarrier", 3);
        await sleep(50 * i);
        await b.enter();
        log.push("in");
        await b.leave();
        log.push("out");
      }),
    );
    assert.deepEqual(log, ["in", "in", "in", "out", "out", "out"]);
    for (const s of sessions) await s.close();
  });

  test("queue: FIFO, each item to one consumer, dequeue waits for an item", async () => {
    const queue = new Queue(client, "queue");
    await queue.enqueue("a");
    await queue.enqueue("b");
    assert.equal(await queue.dequeue(), "a");
    assert.equal(await queue.dequeue(), "b");
    const waiting = queue.dequeue();
    await sleep(100);
    await new Queue(client, "queue").enqueue("c");
    assert.equal(await waiting, "c");
    const items = Array.from({ length: 6 }, (_, i) => `i${i}`);
    for (const item of items) await queue.enqueue(item);
    const got = await Promise.all(items.map(() => new Queue(client, "queue").dequeue()));
    assert.deepEqual([...got].sort(), items);
  });

  test("priority queue: lower priority number first, FIFO within a priority", async () => {
    const pq = new PriorityQueue(client, "pq");
    await pq.enqueue("low-1", 10);
    await pq.enqueue("high", 1);
    await pq.enqueue("low-2", 10);
    assert.equal(await pq.dequeue(), "high");
    assert.equal(await pq.dequeue(), "low-1");
    assert.equal(await pq.dequeue(), "low-2");
  });
});
