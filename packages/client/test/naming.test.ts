// Service registration and discovery: Go's endpoints format, the live set with change
// events, deregistration on close and on kill -9 (lease expiry), and the grpc-js resolver.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { health } from "@etcd-ts/api";
import type { Client } from "../src/index.js";
import { Discovery, EndpointManager, Registration, registerEtcdResolver } from "../src/naming/index.js";
import { useServerAndClient, type TestCluster } from "./support/servers.js";

let server: TestCluster;
let client: Client;

useServerAndClient((started, connected) => {
  server = started;
  client = connected;
});

/** until polls `check` every 50 ms for up to `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("naming", () => {
  test("values are Go's endpoints.Manager JSON; keys are <service>/<addr>", async () => {
    const registration = await Registration.register(client, "svc/fmt", { addr: "10.0.0.1:80", metadata: { w: 1 } });
    assert.equal(await client.getString("svc/fmt/10.0.0.1:80"), '{"Op":0,"Addr":"10.0.0.1:80","Metadata":{"w":1}}');
    await registration.close();
    assert.equal((await client.get("svc/fmt/10.0.0.1:80")).count, 0);
    // A value written by a Go service (no metadata) is read back.
    await client.put("svc/fmt/go-instance", '{"Op":0,"Addr":"10.0.0.2:80","Metadata":null}');
    await client.put("svc/fmt/garbage", "not json");
    const { endpoints } = await new EndpointManager(client, "svc/fmt").list();
    assert.deepEqual([...endpoints], [["svc/fmt/go-instance", { addr: "10.0.0.2:80" }]]);
    await assert.rejects(new EndpointManager(client, "svc/fmt").addEndpoint("other/x", { addr: "a:1" }), TypeError);
  });

  test("discovery: snapshot, then adds and deletes as they happen", async () => {
    const a = await Registration.register(client, "svc/live", { addr: "127.0.0.1:1001" });
    const discovery = await Discovery.start(client, "svc/live");
    assert.deepEqual(discovery.addresses(), ["127.0.0.1:1001"]);
    const changes: string[] = [];
    discovery.onChange((updates) => changes.push(...updates.map((u) => `${u.op} ${u.key}`)));
    const b = await Registration.register(client, "svc/live", { addr: "127.0.0.1:1002" });
    await until(() => discovery.addresses().length === 2, 5000, "the second instance");
    await a.close();
    await until(() => discovery.addresses().length === 1, 5000, "the first instance to go");
    assert.deepEqual(changes, ["add svc/live/127.0.0.1:1002", "delete svc/live/127.0.0.1:1001"]);
    await b.close();
    await discovery.close();
  });

  test("an instance killed with SIGKILL disappears within its TTL", async () => {
    const discovery = await Discovery.start(client, "svc/crash");
    const fixture = fileURLToPath(new URL("./fixtures/register-and-wait.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture, server.endpoints[0]!, "svc/crash", "127.0.0.1:2001"], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await until(() => discovery.addresses().length === 1, 5000, "the instance");
    assert.deepEqual([...discovery.endpoints.values()], [{ addr: "127.0.0.1:2001", metadata: { zone: "a" } }]);
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await until(() => discovery.addresses().length === 0, 6000, "the instance to expire");
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed <= 2000 + 1500, `gone after ${elapsed} ms with a 2 s TTL`);
    await discovery.close();
  });

  test("the grpc-js resolver feeds the live set to round_robin", async () => {
    // Two gRPC servers answering health checks with their own name in the status.
    const servers: grpc.Server[] = [];
    const addresses: string[] = [];
    for (const name of ["one", "two"]) {
      const s = new grpc.Server();
      s.addService(health.HealthService, {
        check: (_call: unknown, callback: grpc.sendUnaryData<health.HealthCheckResponse>) =>
          callback(null, { status: name === "one" ? health.HealthCheckResponse_ServingStatus.SERVING : health.HealthCheckResponse_ServingStatus.NOT_SERVING }),
      });
      const port = await new Promise<number>((resolve, reject) => s.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      servers.push(s);
      addresses.push(`127.0.0.1:${port}`);
    }
    const regs = await Promise.all(addresses.map((addr) => Registration.register(client, "svc/grpc", { addr })));
    registerEtcdResolver(client);
    const channel = new grpc.Client("etcd:///svc/grpc", grpc.credentials.createInsecure(), {
      "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    });
    const method = health.HealthService.check;
    const check = (): Promise<number> =>
      new Promise((resolve, reject) =>
        channel.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, {}, (err, res) => (err ? reject(err) : resolve(res!.status))),
      );
    try {
      const seen = new Set<number>();
      for (let i = 0; i < 20 && seen.size < 2; i++) seen.add(await check());
      assert.equal(seen.size, 2, "round_robin reached both instances");
      await regs[1]!.close();
      // Once the resolver reports the removal, only "one" answers.
      let onlyOne = false;
      for (let i = 0; i < 100 && !onlyOne; i++) {
        const answers = new Set<number>();
        for (let j = 0; j < 4; j++) answers.add(await check());
        onlyOne = answers.size === 1 && answers.has(health.HealthCheckResponse_ServingStatus.SERVING);
        if (!onlyOne) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(onlyOne);
    } finally {
      channel.close();
      await regs[0]!.close();
      for (const s of servers) s.forceShutdown();
    }
  });
});
