// TLS against a live server with client-certificate authentication: calls, a watch and a
// keep-alive over https endpoints; the wrong CA or a missing client certificate never connects.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { Client, NoEndpointAvailableError, text } from "../src/index.js";
import { makeCerts, type TestCerts } from "./support/certs.js";
import { startServer, type TestCluster } from "./support/servers.js";

let certs: TestCerts | undefined;
let server: TestCluster | undefined;

before(async () => {
  certs = await makeCerts();
  if (certs !== undefined) server = await startServer([], certs);
});

after(async () => {
  await server?.stop();
  if (certs !== undefined) await rm(certs.dir, { recursive: true, force: true });
});

describe("tls", () => {
  test("calls, a watch and a keep-alive over https with a client certificate", async (t) => {
    if (certs === undefined || server === undefined) return t.skip("openssl is not installed");
    const client = new Client({ endpoints: server.endpoints, tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    try {
      assert.match(server.endpoints[0]!, /^https:\/\//);
      const watcher = client.watch("tls/", { prefix: true });
      await watcher.ready;
      await client.put("tls/k", "secret");
      assert.equal(await client.getString("tls/k"), "secret");
      for await (const { events } of watcher) {
        assert.equal(text(events[0]!.kv.key), "tls/k");
        break;
      }
      const lease = await client.lease.grant(10);
      assert.equal((await client.lease.keepAliveOnce(lease.id)).id, lease.id);
      await client.lease.revoke(lease.id);
    } finally {
      await client.close();
    }
  });

  test("the name checked is `servername` when given (SNI and verification)", async (t) => {
    if (certs === undefined || server === undefined) return t.skip("openssl is not installed");
    const client = new Client({
      endpoints: server.endpoints,
      tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, servername: "localhost" },
      maxAttempts: 2,
    });
    try {
      await client.put("tls/sni", "v");
    } finally {
      await client.close();
    }
    const wrongName = new Client({
      endpoints: server.endpoints,
      tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, servername: "not-the-server" },
      maxAttempts: 2,
      retryBackoffMs: 10,
    });
    try {
      await assert.rejects(wrongName.get("tls/sni"), NoEndpointAvailableError);
    } finally {
      await wrongName.close();
    }
  });

  test("a server certificate from another CA, or no client certificate: never connected", async (t) => {
    if (certs === undefined || server === undefined) return t.skip("openssl is not installed");
    for (const tls of [{ ca: certs.otherCa, cert: certs.clientCert, key: certs.clientKey }, { ca: certs.ca }]) {
      const client = new Client({ endpoints: server.endpoints, tls, maxAttempts: 2, retryBackoffMs: 10 });
      try {
        const err = await client.put("tls/no", "v").catch((e: unknown) => e);
        assert.ok(err instanceof NoEndpointAvailableError, String(err));
      } finally {
        await client.close();
      }
    }
  });
});
