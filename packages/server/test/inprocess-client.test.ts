/**
 * The in-process client (`startEtcd().client`, `GrpcServer.channel()`): unary calls, a watch
 * stream, the auth token carried as metadata, and close.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, Op, ClientClosedError, InvalidAuthTokenError, PermissionDeniedError } from "@etcd-ts/client";
import { UserEmptyError } from "@etcd-ts/api";
import { startEtcd } from "../src/index.js";

test("unary calls and a watch stream go through the in-process client", async () => {
  const etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
  try {
    const { client } = etcd;
    const watcher = client.watch("w/", { prefix: true });
    await watcher.ready;
    await client.put("w/a", "1");
    const txn = await client.txn().then(Op.put("w/b", "2")).commit();
    assert.equal(txn.succeeded, true);
    const seen: string[] = [];
    for await (const event of watcher.events()) {
      seen.push(`${event.type} ${Buffer.from(event.kv.key).toString()}`);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ["put w/a", "put w/b"]);
    await watcher.cancel();
    assert.deepEqual((await client.get("w/", { prefix: true })).kvs.map((kv) => Buffer.from(kv.value).toString()), ["1", "2"]);
  } finally {
    await etcd.close();
  }
  await assert.rejects(etcd.client.put("k", "v"), ClientClosedError);
});

test("the token travels as metadata: an authenticated in-process client is checked like any other", async () => {
  const etcd = await startEtcd({ listenClientUrls: ["http://127.0.0.1:0"], advertiseClientUrls: ["http://127.0.0.1:0"] });
  try {
    const root = etcd.client;
    await root.auth.userAdd("root", "rootpw");
    await root.auth.userGrantRole("root", "root");
    await root.auth.userAdd("alice", "alicepw");
    await root.auth.enable();
    const asRoot = new Client({ channel: etcd.channel, username: "root", password: "rootpw" });
    const asAlice = new Client({ channel: etcd.channel, username: "alice", password: "alicepw" });
    try {
      await asRoot.put("secret", "s");
      await assert.rejects(asAlice.put("secret", "x"), PermissionDeniedError);
      await assert.rejects(root.put("secret", "x"), (e: unknown) => e instanceof UserEmptyError || e instanceof InvalidAuthTokenError);
      assert.equal(await asRoot.getString("secret"), "s");
    } finally {
      await asRoot.close();
      await asAlice.close();
    }
  } finally {
    await etcd.close();
  }
});
