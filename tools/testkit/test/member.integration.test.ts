// startMember against both servers: each serves on its own reserved port, a restartable
// member comes back on the same port with its data, a frozen one answers nothing until thawed,
// and a daemon that cannot run is an error that says so.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { listensOn, startCluster, startMember, type MemberBinary } from "../src/index.js";

const etcdctl = (endpoint: string, ...args: string[]): string =>
  execFileSync("etcdctl", ["--endpoints", endpoint, "--dial-timeout", "3s", "--command-timeout", "3s", ...args], {
    encoding: "utf8",
    env: { ...process.env, ETCDCTL_API: "3" },
  });

const haveEtcd = ((): boolean => {
  try {
    execFileSync(process.env["ETCD_BINARY"] ?? "etcd", ["--version"], { stdio: "ignore" });
    execFileSync("etcdctl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

for (const binary of ["etcd", "etcd-ts"] as const satisfies readonly MemberBinary[]) {
  test(`${binary}: a restartable member keeps its port and data across restart, and stop removes its data dir`, { skip: !haveEtcd && "needs etcd and etcdctl", timeout: 60_000 }, async () => {
    const member = await startMember({ binary, restartable: true, flags: ["--snapshot-count", "1000"] });
    try {
      assert.equal(listensOn(member.pid, member.ports.client), true);
      assert.ok(member.command.includes("--snapshot-count"));
      etcdctl(member.clientAddress, "put", "k", "v1");
      const before = member.pid;
      await member.restart();
      assert.notEqual(member.pid, before);
      assert.equal(listensOn(member.pid, member.ports.client), true);
      assert.equal(etcdctl(member.clientAddress, "get", "k", "--print-value-only").trim(), "v1");
    } finally {
      await member.stop();
    }
    assert.equal(member.running, false);
    assert.equal(existsSync(member.dataDir), false);
  });
}

test("a frozen member answers nothing until thawed", { skip: !haveEtcd && "needs etcd", timeout: 60_000 }, async () => {
  const member = await startMember({ binary: "etcd" });
  try {
    await member.freeze();
    const answered = await Promise.race([member.healthy(), new Promise((resolve) => setTimeout(() => resolve("silent"), 500))]);
    assert.equal(answered, "silent");
    member.thaw();
    assert.equal(await member.healthy(), true);
  } finally {
    await member.stop();
  }
});

test("restart is refused unless the member was started restartable", { skip: !haveEtcd && "needs etcd", timeout: 60_000 }, async () => {
  const member = await startMember({ binary: "etcd" });
  try {
    await assert.rejects(member.restart(), /not started restartable/);
  } finally {
    await member.stop();
  }
});

test("a binary that is not there is an error naming it, without waiting for the timeout", async () => {
  await assert.rejects(startMember({ binary: "/nonexistent/etcd", readyTimeoutMs: 60_000 }), /could not run \/nonexistent\/etcd/);
});

test("startCluster starts three members with one leader", { skip: !haveEtcd && "needs etcd", timeout: 90_000 }, async () => {
  const cluster = await startCluster({ binary: "etcd", size: 3, flags: ["--heartbeat-interval", "50", "--election-timeout", "500"] });
  try {
    assert.equal(cluster.endpoints.length, 3);
    for (const member of cluster.members) assert.equal(listensOn(member.pid, member.ports.client), true);
    const list = etcdctl(cluster.members[0]!.clientAddress, "member", "list");
    for (const name of ["m0", "m1", "m2"]) assert.match(list, new RegExp(`, ${name}, `));
  } finally {
    await cluster.stop();
  }
});
