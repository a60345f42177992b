// Auth (with token refresh), Cluster and Maintenance against a live server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AuthFailedError, Client, InvalidAuthTokenError, PermissionDeniedError } from "../src/index.js";
import { startServer, type TestCluster } from "./support/servers.js";

let server: TestCluster;

before(async () => {
  // Simple tokens expire after --auth-token-ttl seconds of disuse: a short TTL lets the test
  // see the client refresh one.
  server = await startServer(["--auth-token-ttl", "1"]);
});

after(async () => {
  await server?.stop();
});

describe("cluster and maintenance", () => {
  test("memberList, status, hashKV, alarms, defragment, snapshot", async () => {
    const client = new Client({ endpoints: server.endpoints });
    try {
      const members = await client.cluster.memberList();
      assert.equal(members.members.length, 1);
      assert.deepEqual(members.members[0]!.clientURLs, server.endpoints);
      const status = await client.maintenance.status({ endpoint: server.endpoints[0] });
      assert.equal(status.version, "3.4.23");
      assert.equal(status.leader, members.members[0]!.ID);
      assert.ok((await client.maintenance.hashKV()).hash !== 0);
      assert.deepEqual((await client.maintenance.alarms()).alarms, []);
      await client.maintenance.defragment();
      let size = 0;
      for await (const chunk of client.maintenance.snapshot()) size += chunk.length;
      assert.ok(size > 16 * 1024, `snapshot of ${size} bytes`);
      assert.deepEqual(await client.syncEndpoints(), server.endpoints);
    } finally {
      await client.close();
    }
  });
});

describe("auth", () => {
  test("users, roles, permissions; a client logs in, refreshes an expired token, is denied outside its range", async () => {
    const admin = new Client({ endpoints: server.endpoints });
    await admin.auth.userAdd("root", "rootpw");
    await admin.auth.roleAdd("root");
    await admin.auth.userGrantRole("root", "root");
    await admin.auth.userAdd("app", "apppw");
    await admin.auth.roleAdd("app-rw");
    await admin.auth.roleGrantPermission("app-rw", "readwrite", "app/", { prefix: true });
    await admin.auth.userGrantRole("app", "app-rw");
    assert.deepEqual((await admin.auth.userGet("app")).roles, ["app-rw"]);
    assert.equal((await admin.auth.roleGet("app-rw")).perm.length, 1);
    await admin.auth.enable();
    await admin.close();

    const root = new Client({ endpoints: server.endpoints, username: "root", password: "rootpw" });
    const app = new Client({ endpoints: server.endpoints, username: "app", password: "apppw" });
    try {
      await app.put("app/k", "v");
      assert.equal(await app.getString("app/k"), "v");
      await assert.rejects(app.put("other", "v"), PermissionDeniedError);
      // Let the simple token expire (TTL 1 s), then use the client again: it re-authenticates.
      const watcher = app.watch("app/", { prefix: true });
      await watcher.ready;
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(await app.getString("app/k"), "v");
      await app.put("app/k2", "v2");
      const iterator = watcher[Symbol.asyncIterator]();
      const next = await iterator.next();
      assert.equal(next.done, false);
      await assert.rejects(new Client({ endpoints: server.endpoints, username: "app", password: "wrong" }).get("app/k"), AuthFailedError);
      assert.ok(InvalidAuthTokenError); // the refresh is triggered by this error class
      await root.auth.disable();
    } finally {
      await root.close();
      await app.close();
    }
  });
});
