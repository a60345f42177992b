// Session and Mutex against a live server: lock safety under contention, tryLock, fairness,
// release on session loss, and interop with `etcdctl lock` both ways.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { describe, test } from "node:test";
import { Client } from "@etcd-ts/client";
import { Mutex, RWMutex, Session, SessionExpiredError } from "../src/index.js";
import { useServerAndClient, type TestServer } from "./support/servers.js";

let server: TestServer;
let client: Client;

useServerAndClient((started, connected) => {
  server = started;
  client = connected;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** etcdctl runs the real etcdctl against the test server. */
function etcdctl(...args: string[]): ChildProcessWithoutNullStreams {
  return spawn("etcdctl", ["--endpoints", server.address, ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
}

/** firstLine resolves with the first line a process prints. */
function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`etcdctl exited ${code} before printing`)));
  });
}

describe("session", () => {
  test("close revokes the lease; a revoked lease ends the session with an error", async () => {
    const session = await Session.create(client, { ttl: 5 });
    await client.put("s/k", "v", { lease: session.lease });
    await session.close();
    assert.equal(await session.done, undefined);
    assert.equal((await client.get("s/k")).count, 0);

    const lost = await Session.create(client, { ttl: 3 });
    await client.lease.revoke(lost.lease);
    assert.ok((await lost.done) instanceof Error);
  });
});

describe("mutex", () => {
  test("N workers increment a counter under the mutex: no lost update", async () => {
    const workers = 5;
    const rounds = 10;
    await client.put("counter", "0");
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const own = new Client({ endpoints: server.endpoints });
        const session = await Session.create(own, { ttl: 10 });
        const mutex = new Mutex(session, "locks/counter");
        try {
          for (let i = 0; i < rounds; i++) {
            await mutex.lock();
            const value = Number(await own.getString("counter"));
            await sleep(1);
            await own.put("counter", String(value + 1));
            await mutex.unlock();
          }
        } finally {
          await session.close();
          await own.close();
        }
      }),
    );
    assert.equal(await client.getString("counter"), String(workers * rounds));
  });

  test("the key is <name>/<lease hex>; tryLock fails while held; isOwner guards a txn", async () => {
    const a = await Session.create(client, { ttl: 10 });
    const b = await Session.create(client, { ttl: 10 });
    const ma = new Mutex(a, "locks/try");
    const mb = new Mutex(b, "locks/try");
    assert.equal(await ma.tryLock(), true);
    assert.equal(ma.key, `locks/try/${a.lease.toString(16)}`);
    assert.equal(await mb.tryLock(), false);
    assert.equal((await client.get("locks/try/", { prefix: true })).count, 1, "a failed tryLock leaves no key");
    const guarded = await client.txn().if(ma.isOwner()).commit();
    assert.equal(guarded.succeeded, true);
    await ma.unlock();
    assert.equal(await mb.tryLock(), true);
    await mb.unlock();
    await a.close();
    await b.close();
  });

  test("waiters get the lock in arrival order; a lost session releases it", async () => {
    const holder = await Session.create(client, { ttl: 2 });
    const lock = new Mutex(holder, "locks/fair");
    await lock.lock();
    const order: number[] = [];
    const sessions = await Promise.all([1, 2, 3].map(() => Session.create(client, { ttl: 10 })));
    const waits = sessions.map(async (s, i) => {
      await sleep(50 * i);
      const m = new Mutex(s, "locks/fair");
      await m.lock();
      order.push(i);
      await m.unlock();
    });
    await sleep(300);
    holder.orphan(); // no more keep-alives: the lease expires within its TTL, releasing the lock
    await Promise.all(waits);
    assert.deepEqual(order, [0, 1, 2]);
    for (const s of sessions) await s.close();
  });

  test("lock() waiting when its own session dies rejects with SessionExpiredError", async () => {
    const holder = await Session.create(client, { ttl: 10 });
    await new Mutex(holder, "locks/dying").lock();
    const waiter = await Session.create(client, { ttl: 10 });
    const waiting = new Mutex(waiter, "locks/dying").lock();
    await sleep(100);
    await client.lease.revoke(waiter.lease);
    await assert.rejects(waiting, SessionExpiredError);
    await holder.close();
  });

  test("an abort signal stops waiting and removes the waiting key", async () => {
    const holder = await Session.create(client, { ttl: 10 });
    await new Mutex(holder, "locks/abort").lock();
    const waiter = await Session.create(client, { ttl: 10 });
    await assert.rejects(new Mutex(waiter, "locks/abort").lock({ signal: AbortSignal.timeout(200) }));
    assert.equal((await client.get("locks/abort/", { prefix: true })).count, 1);
    await holder.close();
    await waiter.close();
  });
});

describe("mutex interop with etcdctl lock", () => {
  test("a lock held by etcdctl blocks our Mutex until etcdctl lets go", async () => {
    const child = etcdctl("lock", "interop/a");
    const key = await firstLine(child);
    assert.match(key, /^interop\/a\/[0-9a-f]+$/);
    const session = await Session.create(client, { ttl: 10 });
    const mutex = new Mutex(session, "interop/a");
    assert.equal(await mutex.tryLock(), false);
    let acquired = false;
    const locking = mutex.lock().then(() => (acquired = true));
    await sleep(300);
    assert.equal(acquired, false);
    child.kill("SIGINT"); // etcdctl releases its lock (revokes its session) on interrupt
    await locking;
    assert.equal(acquired, true);
    await mutex.unlock();
    await session.close();
  });

  test("our Mutex blocks etcdctl lock until we unlock", async () => {
    const session = await Session.create(client, { ttl: 10 });
    const mutex = new Mutex(session, "interop/b");
    await mutex.lock();
    const child = etcdctl("lock", "interop/b");
    let printed = false;
    const line = firstLine(child).then((l) => {
      printed = true;
      return l;
    });
    await sleep(500);
    assert.equal(printed, false, "etcdctl must wait while we hold the lock");
    await mutex.unlock();
    assert.match(await line, /^interop\/b\/[0-9a-f]+$/);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGINT");
    await exited;
    await session.close();
  });
});

describe("rwmutex", () => {
  test("readers share, a writer excludes", async () => {
    const s1 = await Session.create(client, { ttl: 10 });
    const s2 = await Session.create(client, { ttl: 10 });
    const s3 = await Session.create(client, { ttl: 10 });
    const r1 = new RWMutex(s1, "rw");
    const r2 = new RWMutex(s2, "rw");
    const w = new RWMutex(s3, "rw");
    await r1.readLock();
    await r2.readLock();
    let written = false;
    const writing = w.lock().then(() => (written = true));
    await sleep(200);
    assert.equal(written, false);
    await r1.readUnlock();
    await sleep(100);
    assert.equal(written, false);
    await r2.readUnlock();
    await writing;
    const r3 = new RWMutex(s1, "rw");
    let read = false;
    const reading = r3.readLock().then(() => (read = true));
    await sleep(200);
    assert.equal(read, false);
    await w.unlock();
    await reading;
    await r3.readUnlock();
    for (const s of [s1, s2, s3]) await s.close();
  });
});
