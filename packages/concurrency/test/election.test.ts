// Election against a live server: campaign, proclaim, resign, observe, failover when the
// leader's session dies, and interop with `etcdctl elect`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import type { Client} from "@etcd-ts/client";
import { text } from "@etcd-ts/client";
import { Election, ElectionNoLeaderError, ElectionNotLeaderError, Session } from "../src/index.js";
import { useServerAndClient, type TestServer } from "./support/servers.js";

let server: TestServer;
let client: Client;

useServerAndClient((started, connected) => {
  server = started;
  client = connected;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("election", () => {
  test("campaign, leader, proclaim, resign; the next candidate takes over", async () => {
    const a = await Session.create(client, { ttl: 10 });
    const b = await Session.create(client, { ttl: 10 });
    const ea = new Election(a, "elect/one");
    const eb = new Election(b, "elect/one");
    await assert.rejects(ea.leader(), ElectionNoLeaderError);
    await assert.rejects(eb.proclaim("x"), ElectionNotLeaderError);
    await ea.campaign("a1");
    assert.equal(text((await eb.leader()).value), "a1");
    assert.equal(text((await eb.leader()).key), `elect/one/${a.lease.toString(16)}`);
    let bLeads = false;
    const campaigning = eb.campaign("b1").then(() => (bLeads = true));
    await sleep(200);
    assert.equal(bLeads, false);
    await ea.proclaim("a2");
    assert.equal(text((await eb.leader()).value), "a2");
    await ea.resign();
    await campaigning;
    assert.equal(text((await ea.leader()).value), "b1");
    await eb.resign();
    await a.close();
    await b.close();
  });

  test("failover: the leader's session dies and the next campaigner leads; observe sees both", async () => {
    const a = await Session.create(client, { ttl: 2 });
    const b = await Session.create(client, { ttl: 10 });
    const observer = await Session.create(client, { ttl: 10 });
    await new Election(a, "elect/fo").campaign("first");
    const controller = new AbortController();
    const seen: string[] = [];
    const observing = (async () => {
      for await (const kv of new Election(observer, "elect/fo").observe({ signal: controller.signal })) {
        seen.push(text(kv.value));
        if (seen.length === 2) break;
      }
    })();
    const eb = new Election(b, "elect/fo");
    const campaigning = eb.campaign("second");
    await sleep(200);
    a.orphan(); // the leader stops renewing: its lease expires within 2 s
    await campaigning;
    await observing;
    controller.abort();
    assert.deepEqual(seen, ["first", "second"]);
    await b.close();
    await observer.close();
  });
});

describe("election interop with etcdctl elect", () => {
  test("etcdctl elect leads while we wait; we lead when it quits; etcdctl observes our value", async () => {
    const env = { ...process.env, ETCDCTL_API: "3" };
    const leaderProcess = spawn("etcdctl", ["--endpoints", server.address, "elect", "elect/ctl", "from-etcdctl"], { env });
    await new Promise<void>((resolve) => leaderProcess.stdout.once("data", () => resolve()));
    const session = await Session.create(client, { ttl: 10 });
    const election = new Election(session, "elect/ctl");
    assert.equal(text((await election.leader()).value), "from-etcdctl");
    let leading = false;
    const campaigning = election.campaign("from-ts").then(() => (leading = true));
    await sleep(300);
    assert.equal(leading, false);
    leaderProcess.kill("SIGINT");
    await campaigning;
    const observer = spawn("etcdctl", ["--endpoints", server.address, "elect", "-l", "elect/ctl"], { env });
    let out = "";
    await new Promise<void>((resolve) =>
      observer.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("from-ts")) resolve();
      }),
    );
    observer.kill("SIGINT");
    assert.match(out, new RegExp(`^elect/ctl/${session.lease.toString(16)}\\nfrom-ts`));
    await session.close();
  });
});
